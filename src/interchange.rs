//! The JSON Lines interchange format of SPEC §8: reading an import file into
//! typed events, and writing the log back out so that it round-trips.
//!
//! An import file is one batch. [`parse_file`] reads it whole first; every
//! error names the file, the line and the field, and nothing is appended
//! unless every line parses and the store accepts every event
//! ([`import_file`] maps the store's refusals back to their lines).
//!
//! `export` writes each record in the import shape plus `seq`, `recorded`
//! (RFC 3339) and `hash` (hex). Import ignores those three fields: an
//! imported log is a new recording, with its own seqs and times. A claim
//! whose known period defaulted to its source's stays without `known`, so the
//! default keeps following source revisions after a round trip.

use crate::dating::Dating;
use crate::error::{Error, Result};
use crate::event::{written, Claim, Definition, Denial, Event, Kind, Modality, Retraction, Source};
use crate::log::{self, Envelope};
use crate::period::Period;
use crate::store::{Appended, Store};
use crate::value::Value;
use line::{Line, Written};
use serde_json::{Map, Value as Json};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

mod line;
mod parts;

pub use parts::{import_reader, PART_LINES};

/// Lines longer than this are refused rather than parsed.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// The fields each op accepts; anything else is a typo worth reporting.
fn allowed_fields(op: &str) -> &'static [&'static str] {
    match op {
        "define" => &["op", "attribute", "kind", "unit", "doc"],
        "source" => &[
            "op",
            "id",
            "title",
            "publisher",
            "published",
            "url",
            "text",
            "note",
        ],
        "assert" => &[
            "op",
            "id",
            "subject",
            "attribute",
            "valid",
            "value",
            "known",
            "source",
            "quote",
            "modality",
            "note",
        ],
        "deny" => &["op", "id", "target", "known", "source", "quote"],
        "retract" => &["op", "id", "target", "reason"],
        _ => &[],
    }
}

/// Fields that `export` adds and import accepts and ignores.
const EXPORT_FIELDS: [&str; 3] = ["seq", "recorded", "hash"];

/// A parsed import file: each event with the line it came from.
pub struct ParsedFile {
    pub name: String,
    pub events: Vec<Event>,
    pub lines: Vec<usize>,
    /// Indices of the events whose lines carry an export's `seq` and
    /// `hash`: claims judged when first written, which the unit rule lets
    /// in with a warning.
    pub exported: Vec<usize>,
}

/// How far an import has come, for a progress bar on another thread:
/// bytes and events parsed so far, then whether the batch is being written.
#[derive(Debug, Default)]
pub struct Progress {
    pub bytes: AtomicU64,
    pub events: AtomicU64,
    pub writing: AtomicBool,
}

/// Parses a whole import file. `name` is used in error messages.
pub fn parse_file(name: &str, bytes: &[u8]) -> Result<ParsedFile> {
    parse_file_with_progress(name, bytes, &Progress::default())
}

/// [`parse_file`], counting into `progress` as it goes.
pub fn parse_file_with_progress(
    name: &str,
    bytes: &[u8],
    progress: &Progress,
) -> Result<ParsedFile> {
    // A byte-order mark (editors on some systems write one) is not part of
    // the first line.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    parse_part(name, bytes, 0, progress)
}

/// Parses whole lines that follow `lines_before` lines of the file: a
/// large part in two halves on two threads, split at a line end (the first
/// half's error, if any, is the first error of the part).
fn parse_part(
    name: &str,
    bytes: &[u8],
    lines_before: usize,
    progress: &Progress,
) -> Result<ParsedFile> {
    // The vectors of events are sized once, from the count of lines (the
    // first half's for both halves, which it then takes in): grown as
    // they went, their copies and first touches were a tenth of a part's
    // parse.
    let lines_in = |bytes: &[u8]| bytes.iter().filter(|b| **b == b'\n').count() + 1;
    if bytes.len() >= PARALLEL_PARSE_BYTES {
        let middle = bytes[bytes.len() / 2..]
            .iter()
            .position(|b| *b == b'\n')
            .map(|i| bytes.len() / 2 + i + 1);
        if let Some(middle) = middle {
            let (first_lines, second_lines) =
                (lines_in(&bytes[..middle]), lines_in(&bytes[middle..]));
            let lines_in_first = lines_before + first_lines - 1;
            let (first, second) = std::thread::scope(|scope| {
                let second = scope.spawn(|| {
                    parse_lines(
                        name,
                        &bytes[middle..],
                        lines_in_first,
                        second_lines,
                        progress,
                    )
                });
                let first = parse_lines(
                    name,
                    &bytes[..middle],
                    lines_before,
                    first_lines + second_lines,
                    progress,
                );
                (
                    first,
                    second
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                )
            });
            let mut parsed = first?;
            let rest = second?;
            let offset = parsed.events.len();
            parsed.events.extend(rest.events);
            parsed.lines.extend(rest.lines);
            parsed
                .exported
                .extend(rest.exported.iter().map(|i| i + offset));
            return Ok(parsed);
        }
    }
    parse_lines(name, bytes, lines_before, lines_in(bytes), progress)
}

/// Lines between two updates of a [`Progress`].
const PROGRESS_LINES: usize = 4096;

/// Parts from this size on are parsed on two threads.
const PARALLEL_PARSE_BYTES: usize = 1024 * 1024;

/// Parses whole lines; `lines_before` is how many lines precede `bytes` in
/// the file, for line numbers; `room` is how many events to make room for.
fn parse_lines(
    name: &str,
    bytes: &[u8],
    lines_before: usize,
    room: usize,
    progress: &Progress,
) -> Result<ParsedFile> {
    let (mut counted_bytes, mut counted_events) = (0u64, 0u64);
    let mut parsed = ParsedFile {
        name: name.to_string(),
        events: Vec::with_capacity(room),
        lines: Vec::with_capacity(room),
        exported: Vec::new(),
    };
    for (index, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let line_no = lines_before + index + 1;
        counted_bytes += raw.len() as u64 + 1;
        if index % PROGRESS_LINES == PROGRESS_LINES - 1 {
            progress.bytes.fetch_add(counted_bytes, Ordering::Relaxed);
            let events = parsed.events.len() as u64;
            progress
                .events
                .fetch_add(events - counted_events, Ordering::Relaxed);
            (counted_bytes, counted_events) = (0, events);
        }
        let error = |field: Option<&str>, message: String| Error::Import {
            file: name.to_string(),
            line: line_no,
            field: field.map(str::to_string),
            message,
        };
        if raw.len() > MAX_LINE_BYTES {
            return Err(error(
                None,
                format!(
                    "the line is {} bytes long; the limit is {MAX_LINE_BYTES}",
                    raw.len()
                ),
            ));
        }
        let line = std::str::from_utf8(raw).map_err(|e| {
            error(
                None,
                format!(
                    "not valid UTF-8 (bad byte at column {})",
                    e.valid_up_to() + 1
                ),
            )
        })?;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let line = match serde_json::from_str::<Line>(trimmed) {
            Ok(line) => line,
            // Not an object, or not JSON: parsed again only to say which.
            Err(_) => {
                serde_json::from_str::<Json>(trimmed).map_err(|e| {
                    // serde_json ends its message with the position, which
                    // this one already gives (its line is the file's).
                    let text = e.to_string();
                    let suffix = format!(" at line {} column {}", e.line(), e.column());
                    let what = text.strip_suffix(&suffix).unwrap_or(&text);
                    error(
                        None,
                        format!("invalid JSON at column {}: {what}", e.column()),
                    )
                })?;
                return Err(error(
                    None,
                    "expected a JSON object such as {\"op\":\"assert\", …}".to_string(),
                ));
            }
        };
        if let Some(key) = line.repeated() {
            return Err(error(
                Some(key),
                "given twice on this line (which one is meant?)".to_string(),
            ));
        }
        let event = parse_object(&line).map_err(|(field, message)| error(field, message))?;
        if line.has("seq") && line.has("hash") {
            parsed.exported.push(parsed.events.len());
        }
        parsed.events.push(event);
        parsed.lines.push(line_no);
    }
    progress.bytes.fetch_add(counted_bytes, Ordering::Relaxed);
    progress.events.fetch_add(
        parsed.events.len() as u64 - counted_events,
        Ordering::Relaxed,
    );
    Ok(parsed)
}

type FieldError = (Option<&'static str>, String);

fn parse_object(line: &Line) -> Result<Event, FieldError> {
    let fields = Fields(line);
    let op = fields.required("op")?;
    let allowed = allowed_fields(&op);
    if allowed.is_empty() {
        return Err((
            Some("op"),
            format!("unknown op '{op}' (expected define, source, assert, deny or retract)"),
        ));
    }
    for key in line.names() {
        if !allowed.contains(&key) && !EXPORT_FIELDS.contains(&key) {
            return Err((
                None,
                format!(
                    "unknown field '{key}' for op '{op}' (expected one of: {})",
                    allowed.join(", ")
                ),
            ));
        }
    }
    Ok(match op.as_str() {
        "define" => Event::Define(Definition {
            attribute: fields.required("attribute")?,
            kind: match fields.optional("kind")? {
                None => Kind::Period,
                Some(k) => Kind::from_name(&k).ok_or((
                    Some("kind"),
                    format!("unknown kind '{k}' (expected period or state)"),
                ))?,
            },
            unit: fields.optional("unit")?,
            doc: fields.optional("doc")?,
        }),
        "source" => {
            let (published, published_form) = fields
                .dating("published")?
                .ok_or((Some("published"), "missing".to_string()))?;
            Event::Source(Source {
                id: fields.required("id")?,
                title: fields.required("title")?,
                publisher: fields.required("publisher")?,
                published,
                url: fields.optional("url")?,
                text: fields.optional("text")?,
                note: fields.optional("note")?,
                published_form,
            })
        }
        "assert" => {
            let (valid, valid_form) = fields
                .dating("valid")?
                .ok_or((Some("valid"), "missing".to_string()))?;
            let (known, known_form) = match fields.dating("known")? {
                Some((known, form)) => (Some(known), form),
                None => (None, None),
            };
            Event::Assert(Claim {
                id: fields.optional("id")?,
                subject: fields.required("subject")?,
                attribute: fields.required("attribute")?,
                valid,
                valid_form,
                known_form,
                value: fields.value("value")?,
                known,
                source: fields.required("source")?,
                quote: fields.optional("quote")?,
                modality: match fields.optional("modality")? {
                    None => Modality::Fact,
                    Some(m) => Modality::from_name(&m).ok_or((
                        Some("modality"),
                        format!(
                            "unknown modality '{m}' (expected fact, plan, forecast or considered)"
                        ),
                    ))?,
                },
                note: fields.optional("note")?,
            })
        }
        "deny" => {
            let (known, known_form) = match fields.dating("known")? {
                Some((known, form)) => (Some(known), form),
                None => (None, None),
            };
            Event::Deny(Denial {
                id: fields.optional("id")?,
                target: fields.required("target")?,
                known,
                source: fields.required("source")?,
                quote: fields.optional("quote")?,
                known_form,
            })
        }
        _ => Event::Retract(Retraction {
            id: fields.optional("id")?,
            target: fields.required("target")?,
            reason: fields.required("reason")?,
        }),
    })
}

/// Typed access to the fields of one line, with errors naming the field.
struct Fields<'a>(&'a Line<'a>);

impl Fields<'_> {
    fn optional(&self, field: &'static str) -> Result<Option<String>, FieldError> {
        match self.0.get(field) {
            Written::Null => Ok(None),
            Written::Str(s) => Ok(Some(s.to_string())),
            other => Err((Some(field), format!("expected a string, found {other}"))),
        }
    }

    fn required(&self, field: &'static str) -> Result<String, FieldError> {
        self.optional(field)?
            .ok_or((Some(field), "missing (this field is required)".to_string()))
    }

    /// A period field: a string of SPEC §3 (uncertain forms included), or
    /// an integer year; split into the period the log files it under and
    /// its written form when that says more (`event::split_dating`). Which
    /// forms a field may take (no unknown end in a known date, a certain
    /// period for a period attribute) is the store's validation's to judge,
    /// as for every other way of writing an event.
    fn dating(&self, field: &'static str) -> Result<Option<(Period, Option<Dating>)>, FieldError> {
        let year;
        let text = match self.0.get(field) {
            Written::Null => return Ok(None),
            Written::Str(s) => s.as_ref(),
            Written::Unsigned(n) => {
                year = n.to_string();
                year.as_str()
            }
            other => {
                return Err((
                    Some(field),
                    format!("expected a period such as \"2010-10\", found {other}"),
                ))
            }
        };
        if let Some(period) = Period::parse_common(text) {
            return Ok(Some((period, None)));
        }
        let dating = Dating::parse(text).map_err(|e| {
            (
                Some(field),
                format!("invalid period '{text}': {}", e.describe(text.trim())),
            )
        })?;
        Ok(Some(crate::event::split_dating(dating)))
    }

    /// A value field: a literal of SPEC §4, or a JSON number (unitless).
    fn value(&self, field: &'static str) -> Result<Value, FieldError> {
        match self.0.get(field) {
            Written::Null => Err((Some(field), "missing (this field is required)".to_string())),
            Written::Str(s) => match Value::parse_common(s) {
                Some(value) => Ok(value),
                None => s.parse::<Value>().map_err(|m| (Some(field), m)),
            },
            Written::Unsigned(n) => Ok(Value::number(*n as f64)),
            Written::Other(Json::Number(n)) => n
                .as_f64()
                .map(Value::number)
                .ok_or((Some(field), format!("the number {n} is out of range"))),
            Written::Bool(b) => Ok(Value::Bool(*b)),
            other => Err((
                Some(field),
                format!("expected a value such as \"24280 t\", found {other}"),
            )),
        }
    }
}

/// Appends a parsed file as one batch, naming the line of a refused event.
pub fn append_file(store: &Store, parsed: ParsedFile) -> Result<Appended> {
    let ParsedFile {
        name,
        events,
        lines,
        exported,
    } = parsed;
    let grandfathered = |index: usize| exported.binary_search(&index).is_ok();
    let mut appended = store
        .append_with(events, &grandfathered)
        .map_err(|e| at_line(&name, &lines, e))?;
    for (index, message) in &mut appended.warnings {
        *message = warning_at(&name, &lines, *index, message);
    }
    Ok(appended)
}

/// The store's refusal of event `index` (`Error::Rejected`) as an error of
/// the file: its name and the event's line (`lines[index]`).
fn at_line(name: &str, lines: &[usize], error: Error) -> Error {
    match error {
        Error::Rejected {
            index,
            field,
            message,
        } => Error::Import {
            file: name.to_string(),
            line: lines.get(index).copied().unwrap_or(0),
            field: Some(field.to_string()),
            message,
        },
        other => other,
    }
}

/// A warning about event `index` naming its line, as errors do.
fn warning_at(name: &str, lines: &[usize], index: usize, message: &str) -> String {
    let line = lines.get(index).copied().unwrap_or(0);
    format!("{name}:{line}: field 'value': {message}")
}

/// Parses and appends one import file.
pub fn import_file(store: &Store, name: &str, bytes: &[u8]) -> Result<Appended> {
    import_file_with_progress(store, name, bytes, &Progress::default())
}

/// [`import_file`], counting into `progress` as it goes.
pub fn import_file_with_progress(
    store: &Store,
    name: &str,
    bytes: &[u8],
    progress: &Progress,
) -> Result<Appended> {
    import_reader(store, name, bytes, progress)
}

/// The import-shaped JSON object of an event.
pub fn event_json(event: &Event) -> Map<String, Json> {
    let mut m = Map::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            m.insert(k.to_string(), Json::String(v));
        }
    };
    put("op", Some(event.op().to_string()));
    match event {
        Event::Define(d) => {
            put("attribute", Some(d.attribute.clone()));
            put("kind", Some(d.kind.name().to_string()));
            put("unit", d.unit.clone());
            put("doc", d.doc.clone());
        }
        Event::Source(s) => {
            put("id", Some(s.id.clone()));
            put("title", Some(s.title.clone()));
            put("publisher", Some(s.publisher.clone()));
            put("published", Some(written(&s.published_form, s.published)));
            put("url", s.url.clone());
            put("text", s.text.clone());
            put("note", s.note.clone());
        }
        Event::Assert(c) => {
            put("id", c.id.clone());
            put("subject", Some(c.subject.clone()));
            put("attribute", Some(c.attribute.clone()));
            put("valid", Some(c.valid_text()));
            put("value", Some(c.value.to_string()));
            put("known", c.known.map(|k| written(&c.known_form, k)));
            put("source", Some(c.source.clone()));
            put("quote", c.quote.clone());
            put("modality", Some(c.modality.name().to_string()));
            put("note", c.note.clone());
        }
        Event::Deny(d) => {
            put("id", d.id.clone());
            put("target", Some(d.target.clone()));
            put("known", d.known.map(|k| written(&d.known_form, k)));
            put("source", Some(d.source.clone()));
            put("quote", d.quote.clone());
        }
        Event::Retract(r) => {
            put("id", r.id.clone());
            put("target", Some(r.target.clone()));
            put("reason", Some(r.reason.clone()));
        }
    }
    m
}

/// One exported line: the event plus its seq, recorded time and hash.
pub fn export_line(envelope: &Envelope) -> String {
    let mut m = event_json(&envelope.record.event);
    m.insert("seq".into(), Json::from(envelope.record.seq));
    let recorded = log::recorded_text(envelope.record.recorded);
    m.insert("recorded".into(), Json::String(recorded));
    m.insert("hash".into(), Json::String(log::hex(&envelope.hash)));
    Json::Object(m).to_string()
}

/// Writes the whole log as JSON Lines.
pub fn export(store: &Store, out: &mut dyn std::io::Write) -> Result<u64> {
    let mut count = 0;
    for envelope in store.records() {
        writeln!(out, "{}", export_line(&envelope?))?;
        count += 1;
    }
    Ok(count)
}
