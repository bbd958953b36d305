//! Printing a reply: an aligned table for people, one JSON object for
//! programs (`{"log_seq": N, "rows": [...]}`, SPEC §8), or CSV. This is the
//! only place where typed rows become text.
//!
//! JSON and CSV are written row by row as the reply yields them
//! ([`write()`]); a table must see every row to size its columns, so it is
//! made from an [`Answered`]. Tables and CSV show the columns of the row
//! type; a list-valued cell (the `others` of a `get`) shows how many entries
//! it has, since the table is a summary and the JSON is the full answer.

use super::rows::{AnswerRow, Answered, Reply, RowType, SlotState};
use crate::answer::{ClaimView, Row};
use crate::error::Result;
use comfy_table::{presets, Cell, ColumnConstraint, ContentArrangement, Table, Width};
use serde_json::{json, Map, Value as Json};
use std::io::Write;
use unicode_width::UnicodeWidthStr;

/// How answers are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
    /// One `field: value` line each, rows one after another.
    Vertical,
    /// A chart (`query::svg`): get, timeline and curve answers.
    Svg,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Vertical => "vertical",
            Format::Svg => "svg",
        }
    }

    pub fn from_name(name: &str) -> Option<Format> {
        match name.to_ascii_lowercase().as_str() {
            "table" => Some(Format::Table),
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            "vertical" => Some(Format::Vertical),
            "svg" => Some(Format::Svg),
            _ => None,
        }
    }
}

/// The columns a table or CSV shows for each row type, in order; each is a
/// key of the row's JSON object.
pub fn columns(row_type: RowType) -> &'static [&'static str] {
    match row_type {
        RowType::Slot => &[
            "subject",
            "attribute",
            "valid",
            "value",
            "status",
            "modality",
            "certainty",
            "known",
            "source",
            "event",
            "others",
        ],
        RowType::Claim => &[
            "subject",
            "attribute",
            "valid",
            "value",
            "status",
            "modality",
            "certainty",
            "known",
            "source",
            "event",
        ],
        // Every field an event of any op can have; the vertical layout,
        // which is how a table shows one event, leaves out the empty ones.
        RowType::Event => &[
            "seq",
            "recorded",
            "hash",
            "op",
            "id",
            "subject",
            "attribute",
            "valid",
            "value",
            "known",
            "source",
            "modality",
            "quote",
            "note",
            "target",
            "reason",
            "title",
            "publisher",
            "published",
            "url",
            "kind",
            "unit",
            "doc",
            "context",
        ],
        RowType::Step => &[
            "seq",
            "event",
            "op",
            "subject",
            "attribute",
            "valid",
            "claim",
            "value",
            "known",
            "source",
            "standing",
            "certainty",
            "winner",
        ],
        RowType::Knowledge => &[
            "subject",
            "attribute",
            "valid",
            "known_from",
            "value",
            "status",
            "modality",
            "event",
            "source",
            "claims",
        ],
        RowType::Bucket => &[
            "subject",
            "attribute",
            "period",
            "aggregate",
            "value",
            "modality",
            "certainty",
            "claims",
        ],
        RowType::Change => &["change", "subject", "attribute", "valid", "before", "after"],
        RowType::Verdict => &[
            "subject",
            "attribute",
            "valid",
            "event",
            "value",
            "known",
            "source",
            "verdict",
            "certainty",
            "reason",
        ],
        RowType::Source => &["id", "published", "publisher", "title", "claims"],
        RowType::SourceText => &["id", "title", "publisher", "published", "url", "excerpt"],
        RowType::Subject => &["subject", "attributes"],
        RowType::Attribute => &["attribute", "kind", "unit", "subjects", "doc"],
        RowType::Written => &["seq", "op", "event"],
    }
}

/// The columns of CSV: a table's, except that a resolved slot carries every
/// field of its JSON row that is not a list (SPEC §8), and `others` as a
/// count.
pub fn csv_columns(row_type: RowType) -> &'static [&'static str] {
    match row_type {
        RowType::Slot => &[
            "subject",
            "attribute",
            "valid",
            "value",
            "status",
            "modality",
            "certainty",
            "event",
            "known",
            "source",
            "quote",
            "others",
        ],
        RowType::Claim => &[
            "subject",
            "attribute",
            "valid",
            "value",
            "status",
            "modality",
            "certainty",
            "event",
            "known",
            "source",
            "quote",
        ],
        // The whole source: a table shows it a field a line, text included.
        RowType::SourceText => &[
            "id",
            "title",
            "publisher",
            "published",
            "url",
            "note",
            "revisions",
            "text",
        ],
        other => columns(other),
    }
}

/// The normative JSON shape of a `get` row (SPEC §8).
pub fn slot_json(row: &Row) -> Map<String, Json> {
    let mut m = Map::new();
    m.insert("subject".into(), json!(row.subject));
    m.insert("attribute".into(), json!(row.attribute));
    m.insert("valid".into(), json!(row.valid_text()));
    m.insert("value".into(), json!(row.winner.value.to_string()));
    m.insert("status".into(), json!(row.status.name()));
    m.insert("event".into(), json!(row.winner.event));
    m.insert("known".into(), json!(row.winner.known_text()));
    m.insert("source".into(), json!(row.winner.source));
    m.insert("modality".into(), json!(row.winner.modality.name()));
    m.insert("certainty".into(), json!(row.certainty.name()));
    m.insert("quote".into(), json!(row.winner.quote));
    let others: Vec<Json> = row
        .others
        .iter()
        .map(|(c, standing)| other_json(c, standing.name()))
        .collect();
    m.insert("others".into(), Json::Array(others));
    m
}

/// An entry of `others`, in the documented key order.
fn other_json(c: &ClaimView, standing: &str) -> Json {
    json!({
        "event": c.event,
        "value": c.value.to_string(),
        "status": standing,
        "known": c.known_text(),
        "source": c.source,
        "certainty": c.certainty.name(),
    })
}

fn slot_state_json(state: &Option<SlotState>) -> Json {
    match state {
        None => Json::Null,
        Some(s) => json!({
            "value": s.value.to_string(),
            "status": s.status.name(),
            "event": s.event,
        }),
    }
}

/// How a table or CSV shows a slot's answer at one moment of a diff.
fn slot_state_text(state: &Option<SlotState>) -> Json {
    match state {
        None => Json::Null,
        Some(s) => json!(format!("{} ({}, {})", s.value, s.status, s.event)),
    }
}

/// The JSON object of one row: what `--format json` prints.
pub fn row_json(row: &AnswerRow) -> Map<String, Json> {
    let object = match row {
        AnswerRow::Slot(row) => return slot_json(row),
        AnswerRow::Event(e) => json!({
            "seq": e.seq,
            "recorded": e.recorded,
            "hash": e.hash,
            "event": e.event,
            "context": e.context,
        }),
        AnswerRow::Claim(c) => json!({
            "subject": c.subject,
            "attribute": c.attribute,
            "valid": c.valid_text(),
            "event": c.event,
            "value": c.value.to_string(),
            "status": c.status.name(),
            "modality": c.modality.name(),
            "certainty": c.certainty.name(),
            "known": c.known_text(),
            "source": c.source,
            "quote": c.quote,
        }),
        AnswerRow::Step(s) => json!({
            "seq": s.seq,
            "event": s.event,
            "op": s.op,
            "subject": s.subject,
            "attribute": s.attribute,
            "valid": s.valid_text(),
            "claim": s.claim,
            "value": s.value.to_string(),
            "known": s.known_text(),
            "source": s.source,
            "standing": s.standings.join("; "),
            "certainty": s.certainty.name(),
            "winner": s.winner.as_ref().map_or(String::new(), |w| format!("{} ({})", w.value, w.event)),
        }),
        AnswerRow::Knowledge(k) => json!({
            "subject": k.subject,
            "attribute": k.attribute,
            "valid": k.valid.to_string(),
            "known_from": k.known_from.to_string(),
            "value": k.value.to_string(),
            "status": k.status.name(),
            "modality": k.modality.name(),
            "event": k.event,
            "source": k.source,
            "claims": k.claims,
        }),
        AnswerRow::Bucket(b) => {
            let mut bucket = json!({
                "subject": b.subject,
                "attribute": b.attribute,
                "period": b.period.to_string(),
                "aggregate": b.aggregate.name(),
                "value": b.value.to_string(),
                "modality": b.modality,
                "certainty": b.certainty.name(),
                "claims": b.claims,
            });
            // `sum` says which slots it added.
            if !b.used.is_empty() {
                bucket["used"] = json!(b.used.iter().map(|p| p.to_string()).collect::<Vec<_>>());
            }
            bucket
        }
        AnswerRow::Change(c) => json!({
            "change": c.change.name(),
            "subject": c.subject,
            "attribute": c.attribute,
            "valid": c.valid_text(),
            "before": slot_state_json(&c.before),
            "after": slot_state_json(&c.after),
        }),
        AnswerRow::Verdict(v) => json!({
            "subject": v.subject,
            "attribute": v.attribute,
            "valid": v.valid_text(),
            "event": v.event,
            "value": v.value.to_string(),
            "known": v.known_text(),
            "source": v.source,
            "verdict": v.outcome.to_string(),
            "certainty": v.certainty.name(),
            "reason": v.reason,
        }),
        AnswerRow::Source(s) => json!({
            "id": s.id,
            "published": s.published.to_string(),
            "publisher": s.publisher,
            "title": s.title,
            "claims": s.claims,
        }),
        AnswerRow::SourceText(s) => json!({
            "id": s.id,
            "title": s.title,
            "publisher": s.publisher,
            "published": s.published.to_string(),
            "url": s.url,
            "note": s.note,
            "text": s.text,
            "excerpt": s.text.as_deref().map(excerpt),
            "revised_at_seq": s.revised_at_seq,
            "revisions": s.revisions.iter().map(|r| json!({
                "seq": r.seq,
                "published": r.published.to_string(),
            })).collect::<Vec<_>>(),
        }),
        AnswerRow::Subject(s) => json!({
            "subject": s.subject,
            "attributes": s.attributes,
        }),
        AnswerRow::Attribute(a) => json!({
            "attribute": a.attribute,
            "kind": a.kind.name(),
            "unit": a.unit,
            "subjects": a.subjects,
            "doc": a.doc,
        }),
        AnswerRow::Written(w) => json!({
            "seq": w.seq,
            "op": w.op,
            "event": w.event,
        }),
    };
    match object {
        Json::Object(map) => map,
        _ => Map::new(),
    }
}

/// The cells a table or CSV shows of one row, keyed by column.
fn row_cells(row: &AnswerRow) -> Map<String, Json> {
    if let AnswerRow::Event(e) = row {
        // The event's own fields side by side with where the log keeps it.
        let mut cells = Map::new();
        cells.insert("seq".into(), json!(e.seq));
        cells.insert("recorded".into(), json!(e.recorded));
        cells.insert("hash".into(), json!(e.hash));
        cells.extend(e.event.iter().map(|(k, v)| (k.clone(), v.clone())));
        cells.insert("context".into(), json!(e.context));
        return cells;
    }
    let mut cells = row_json(row);
    if let AnswerRow::SourceText(s) = row {
        let revisions: Vec<String> = s
            .revisions
            .iter()
            .map(|r| format!("seq {}: published {}", r.seq, r.published))
            .collect();
        cells.insert("revisions".into(), json!(revisions.join("; ")));
    }
    if let AnswerRow::Bucket(b) = row {
        if !b.used.is_empty() {
            let used: Vec<String> = b.used.iter().map(|p| p.to_string()).collect();
            cells.insert(
                "aggregate".into(),
                json!(format!("sum of {}", used.join(", "))),
            );
        }
    }
    if let AnswerRow::Change(c) = row {
        cells.insert("before".into(), slot_state_text(&c.before));
        cells.insert("after".into(), slot_state_text(&c.after));
    }
    cells
}

/// The start of a source's text, on one line: tables show it, JSON carries
/// the whole text beside it.
fn excerpt(text: &str) -> String {
    let flat = crate::verify::normalize(text);
    match flat.char_indices().nth(160) {
        Some((i, _)) => format!("{}…", &flat[..i]),
        None => flat,
    }
}

/// The text of one cell.
/// Text from the store as a terminal may show it: control characters
/// (an escape sequence in a source text could recolour or rewrite the
/// screen) become visible symbols (ESC is `␛`), tabs spaces; line breaks
/// stay. JSON and CSV output keep the text as it is.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\n';
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push('\n'),
            '\t' => out.push(' '),
            c if (c as u32) < 0x20 => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('?')),
            '\u{7f}' => out.push('\u{2421}'),
            c if c.is_control() && c != '\n' => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A message for a terminal: printable, and at most `limit` characters
/// (an error that quotes 10 MB of input quotes its start and says how
/// much more there was).
pub fn message_for_terminal(message: &str, limit: usize) -> String {
    let shown: String = message.chars().take(limit).collect();
    let rest = message.chars().count().saturating_sub(limit);
    let mut out = printable(&shown).into_owned();
    if rest > 0 {
        out.push_str(&format!("… ({rest} more characters)"));
    }
    out
}

pub fn cell_text(value: Option<&Json>) -> String {
    match value {
        None | Some(Json::Null) => String::new(),
        Some(Json::String(s)) => s.clone(),
        Some(Json::Array(items)) if !items.is_empty() && items.iter().all(Json::is_string) => items
            .iter()
            .filter_map(Json::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        Some(Json::Array(items)) => items.len().to_string(),
        Some(other) => other.to_string(),
    }
}

/// Rows a table takes at most: a longer answer is printed as tables of
/// this many rows each, so that its memory stays bounded (SPEC §9): a
/// table must see every row it shows to size its columns, and `*.*` over
/// a million claims, taken whole, held 3.8 GB.
const TABLE_ROWS: usize = 1000;

/// Writes a reply as it is computed: JSON and CSV row by row, a table once
/// its rows are in ([`TABLE_ROWS`] at a time). An error met midway is
/// returned after what was written, so the caller can report it.
pub fn write(reply: Reply<'_>, format: Format, width: u16, out: &mut dyn Write) -> Result<()> {
    match format {
        Format::Table => {
            let (log_seq, kind, row_type) = (reply.log_seq, reply.kind, reply.row_type);
            let mut reply = reply;
            let mut next = || -> Result<Answered> {
                Ok(Answered {
                    log_seq,
                    kind,
                    row_type,
                    rows: (&mut reply).take(TABLE_ROWS).collect::<Result<_>>()?,
                })
            };
            let mut part = next()?;
            if part.rows.len() < TABLE_ROWS {
                out.write_all(table(&part, width).as_bytes())?;
                return Ok(());
            }
            // A long answer: a table per part, each sized for its own
            // rows, and one count at the end.
            let mut shown = 0;
            while !part.rows.is_empty() {
                out.write_all(table_rows(&part, width, shown + 1).as_bytes())?;
                shown += part.rows.len();
                part = next()?;
            }
            out.write_all(count_line(shown, log_seq).as_bytes())?;
        }
        Format::Svg => {
            let answered = reply.collect_all()?;
            out.write_all(super::svg::chart(&answered)?.as_bytes())?;
        }
        Format::Json => {
            write!(out, "{{\"log_seq\":{},\"rows\":[", reply.log_seq)?;
            for (i, row) in reply.enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                serde_json::to_writer(&mut *out, &row_json(&row?)).map_err(std::io::Error::from)?;
            }
            out.write_all(b"]}\n")?;
        }
        Format::Vertical => {
            let (log_seq, row_type) = (reply.log_seq, reply.row_type);
            let mut count = 0;
            for row in reply {
                count += 1;
                out.write_all(vertical_row(count, row_type, &row?).as_bytes())?;
            }
            if count == 0 {
                writeln!(out, "(no rows; log_seq {log_seq})")?;
            } else {
                out.write_all(count_line(count, log_seq).as_bytes())?;
            }
        }
        Format::Csv => write_csv(reply, &mut true, out)?,
    }
    Ok(())
}

/// A reply as CSV rows, after the header while `header_due` (a query file
/// whose answers share one row type continues one document under one
/// header), which is cleared once the header is written.
///
/// The header waits for the first row (or the end of an empty answer), so
/// that an answer failing before its first row (a timeline whose values
/// cannot be averaged) prints no document at all, only its error.
pub fn write_csv(reply: Reply<'_>, header_due: &mut bool, out: &mut dyn Write) -> Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let columns = csv_columns(reply.row_type);
    for row in reply {
        let cells = row_cells(&row?);
        if std::mem::take(header_due) {
            writer.write_record(columns).map_err(csv_error)?;
        }
        writer
            .write_record(columns.iter().map(|c| cell_text(cells.get(*c))))
            .map_err(csv_error)?;
    }
    if std::mem::take(header_due) {
        writer.write_record(columns).map_err(csv_error)?;
    }
    writer.flush()?;
    Ok(())
}

fn csv_error(e: csv::Error) -> crate::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io.into(),
        other => crate::Error::InvalidInput(format!("csv: {other:?}")),
    }
}

/// A reply in JSON for one line of a query file, written as it is
/// computed, one object on one line. An error met after the rows began
/// ends the object after the rows written, with `"line"` and `"error"`, so
/// that the line stays one object; it is returned as `Ok(Some(error))`.
/// An error writing `out` is an `Err`.
pub fn write_json_line(
    reply: Reply<'_>,
    line: usize,
    out: &mut dyn Write,
) -> Result<Option<crate::Error>> {
    write!(out, "{{\"log_seq\":{},\"rows\":[", reply.log_seq)?;
    for (i, row) in reply.enumerate() {
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                let message = Json::String(e.to_string());
                writeln!(out, "],\"line\":{line},\"error\":{message}}}")?;
                return Ok(Some(e));
            }
        };
        if i > 0 {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut *out, &row_json(&row)).map_err(std::io::Error::from)?;
    }
    out.write_all(b"]}\n")?;
    Ok(None)
}

/// An aligned table, `width` columns wide at most (0: as wide as the
/// terminal, or unlimited when not on one), followed by a line that counts
/// the rows and names the log position.
///
/// No number, date, id or word is ever split across lines: each column is
/// at least as wide as its widest word, and long cells wrap at spaces. When
/// even that does not fit the width, the answer is printed in the vertical
/// layout instead, one `field: value` line each.
pub fn table(answered: &Answered, width: u16) -> String {
    if answered.rows.is_empty() {
        return format!("(no rows; log_seq {})\n", answered.log_seq);
    }
    let mut out = table_rows(answered, width, 1);
    out.push_str(&count_line(answered.rows.len(), answered.log_seq));
    out
}

/// The line after a table: how many rows, at which log position.
fn count_line(count: usize, log_seq: u64) -> String {
    format!(
        "{count} row{}; log_seq {log_seq}\n",
        if count == 1 { "" } else { "s" }
    )
}

/// [`table`] without its count line; `first` numbers the first row where
/// the rows are printed vertically.
fn table_rows(answered: &Answered, width: u16, first: usize) -> String {
    // One event, or one source with its text, reads best a field a line.
    if matches!(answered.row_type, RowType::Event | RowType::SourceText) {
        return vertical_rows(answered, first);
    }
    let columns = columns(answered.row_type);
    let cells: Vec<Vec<String>> = answered
        .rows
        .iter()
        .map(|row| {
            let cells = row_cells(row);
            columns
                .iter()
                .map(|c| printable(&cell_text(cells.get(*c))).into_owned())
                .collect()
        })
        .collect();
    let mut table = Table::new();
    table.load_preset(presets::UTF8_FULL_CONDENSED);
    table.set_content_arrangement(ContentArrangement::Dynamic);
    if width > 0 {
        table.set_width(width);
    }
    let mut widths_set = None;
    if let Some(limit) = table.width() {
        // Per column, the widest of the pieces `split` cuts its header and
        // cells into.
        let widest_piece = |split: fn(&str) -> Vec<&str>| -> Vec<usize> {
            (0..columns.len())
                .map(|c| {
                    std::iter::once(columns[c])
                        .chain(cells.iter().map(|row| row[c].as_str()))
                        .flat_map(split)
                        .map(UnicodeWidthStr::width)
                        .max()
                        .unwrap_or(0)
                })
                .collect()
        };
        // The narrowest each column can be without splitting a word, and
        // the width its longest line would take unwrapped.
        let narrowest = widest_piece(|text| text.split_whitespace().collect());
        let widest = widest_piece(|text| text.lines().collect());
        // Each column has a space of padding on both sides and a border.
        let room = (limit as usize).saturating_sub(3 * columns.len() + 1);
        let Some(widths) = column_widths(&narrowest, &widest, room) else {
            return vertical_rows(answered, first);
        };
        widths_set = Some(widths);
    }
    table.set_header(columns.iter().map(Cell::new));
    for row in cells {
        table.add_row(row.into_iter().map(Cell::new));
    }
    if let Some(widths) = widths_set {
        // Every width is fixed here, once the columns exist (constraints
        // set before them are dropped): comfy-table's own arrangement keeps
        // a lower boundary only while it exceeds the average column, and
        // cut ids and dates in two.
        table.set_constraints(widths.iter().map(|w| {
            ColumnConstraint::Absolute(Width::Fixed((w + 2).min(u16::MAX as usize) as u16))
        }));
    }
    format!("{table}\n")
}

/// The content width of each column of a table with `room` characters for
/// content: at least its longest word (`narrowest`), so that no number,
/// date, id or word is split across lines (SPEC §8), at most its longest
/// line (`widest`); the room left after every column has its longest word
/// goes, a character at a time, to the columns that would still wrap.
/// `None` when even the longest words do not fit.
fn column_widths(narrowest: &[usize], widest: &[usize], room: usize) -> Option<Vec<usize>> {
    let mut widths = narrowest.to_vec();
    let mut left = room.checked_sub(widths.iter().sum())?;
    while left > 0 {
        let mut gave = false;
        for (width, most) in widths.iter_mut().zip(widest) {
            if left > 0 && *width < *most {
                *width += 1;
                left -= 1;
                gave = true;
            }
        }
        if !gave {
            break;
        }
    }
    Some(widths)
}

/// The vertical layout (like psql's `\x`): each row as a numbered block of
/// `field: value` lines, every field that is not a list, so that nothing is
/// cut however narrow the terminal.
pub fn vertical(answered: &Answered) -> String {
    let mut out = vertical_rows(answered, 1);
    out.push_str(&count_line(answered.rows.len(), answered.log_seq));
    out
}

/// [`vertical`] without its count line, the first row numbered `first`.
fn vertical_rows(answered: &Answered, first: usize) -> String {
    let mut out = String::new();
    for (i, row) in answered.rows.iter().enumerate() {
        out.push_str(&vertical_row(first + i, answered.row_type, row));
    }
    out
}

/// One row of the vertical layout.
fn vertical_row(number: usize, row_type: RowType, row: &AnswerRow) -> String {
    let columns = csv_columns(row_type);
    let cells = row_cells(row);
    let name_width = columns.iter().map(|c| c.len()).max().unwrap_or(0);
    let mut out = format!("-[ row {number} ]-\n");
    for column in columns {
        let text = printable(&cell_text(cells.get(*column))).into_owned();
        // An event's fields depend on its op: show those it has.
        if row_type == RowType::Event && text.is_empty() {
            continue;
        }
        out.push_str(&format!("{column:<name_width$} : {text}\n"));
    }
    out
}

/// Prints a whole reply in the chosen format, as one string.
pub fn render(reply: Reply<'_>, format: Format, width: u16) -> Result<String> {
    let mut out = Vec::new();
    write(reply, format, width, &mut out)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// A small bar chart of a timeline's numeric values, one line per row, so
/// the shape of a series shows at a glance. `None` when nothing is numeric.
pub fn chart(rows: &[AnswerRow]) -> Option<String> {
    const WIDTH: f64 = 40.0;
    const PARTS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    let points: Vec<(String, String, f64)> = rows
        .iter()
        .filter_map(|r| {
            let (subject, attribute, period, value) = match r {
                AnswerRow::Slot(s) => (&s.subject, &s.attribute, s.valid, &s.winner.value),
                AnswerRow::Bucket(b) => (&b.subject, &b.attribute, b.period, &b.value),
                _ => return None,
            };
            let magnitude = value.magnitude()?;
            Some((
                format!("{subject}.{attribute} {period}"),
                value.to_string(),
                magnitude,
            ))
        })
        .collect();
    if points.is_empty() {
        return None;
    }
    let max = points.iter().map(|p| p.2.abs()).fold(0.0, f64::max);
    let max = if max > 0.0 { max } else { 1.0 };
    let label_width = points
        .iter()
        .map(|p| p.0.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (label, value, magnitude) in &points {
        let eighths = (magnitude.abs() / max * WIDTH * 8.0).round() as usize;
        let bar = format!("{}{}", "█".repeat(eighths / 8), PARTS[eighths % 8]);
        let sign = if *magnitude < 0.0 { "-" } else { "" };
        out.push_str(&format!("{label:<label_width$} │{sign}{bar} {value}\n"));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::rows::{Cancel, Reply};
    use crate::Store;

    /// A line of a query file whose answer fails after some rows stays one
    /// JSON object: the rows written, then the line and the error.
    #[test]
    fn a_json_line_that_fails_midway_ends_its_object_with_the_error() {
        let store = Store::in_memory();
        let log = concat!(
            "{\"op\":\"define\",\"attribute\":\"output\",\"unit\":\"t\"}\n",
            "{\"op\":\"source\",\"id\":\"s\",\"title\":\"S\",\"publisher\":\"P\",\"published\":\"2011\"}\n",
            "{\"op\":\"assert\",\"subject\":\"mine\",\"attribute\":\"output\",\"valid\":\"2009\",\"value\":\"5 t\",\"source\":\"s\"}\n",
            "{\"op\":\"assert\",\"subject\":\"mine\",\"attribute\":\"output\",\"valid\":\"2010\",\"value\":\"6 t\",\"source\":\"s\"}\n",
        );
        crate::interchange::import_file(&store, "log.jsonl", log.as_bytes()).unwrap();
        let answered = crate::query::run(&store, "mine.output")
            .unwrap()
            .collect_all()
            .unwrap();
        assert_eq!(answered.rows.len(), 2);
        let mut rows = answered.rows.clone().into_iter();
        let first = rows.next().unwrap();
        let failing = vec![Ok(first), Err(crate::Error::Cancelled)].into_iter();
        let reply = Reply::new(
            answered.log_seq,
            answered.kind,
            answered.row_type,
            failing,
            Cancel::new(),
        );
        let mut out = Vec::new();
        let error = write_json_line(reply, 7, &mut out).unwrap();
        assert!(matches!(error, Some(crate::Error::Cancelled)), "{error:?}");
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        let object: Json = serde_json::from_str(&text).unwrap();
        assert_eq!(object["rows"].as_array().unwrap().len(), 1, "{text}");
        assert_eq!(object["line"], 7);
        assert!(object["error"].as_str().is_some(), "{text}");
    }
}
