//! The executor: answers a parsed [`Statement`] with the store's typed API,
//! producing an [`Output`] of JSON-shaped rows that `render` prints as a
//! table, JSON or CSV.
//!
//! Every reading statement first checks the names it mentions (an unknown
//! subject or attribute is an error with a "did you mean"), then reads
//! through one [`View`] so that the whole answer comes from one log
//! position, which the output reports as `log_seq`.

use super::ast::*;
use super::catalog;
use crate::answer::{ClaimView, Get, Reader, Row, Selector};
use crate::error::{Error, Result};
use crate::event::{Claim, Definition, Denial, Event, Kind, Modality, Retraction, Source};
use crate::period::{Day, Period};
use crate::projection::{AttributeMatch, TargetEntry, View};
use crate::resolve::{self, Status};
use crate::storage::Table;
use crate::store::Store;
use crate::validate::did_you_mean;
use serde_json::{json, Map, Value as Json};

/// The answer to one statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// The log position the answer was computed at (after a write: the
    /// position of its last event).
    pub log_seq: u64,
    /// Which statement produced it: `get`, `history`, `timeline`, …
    pub kind: &'static str,
    /// The columns a table or CSV shows, in order; keys into `rows`.
    pub columns: Vec<&'static str>,
    pub rows: Vec<Map<String, Json>>,
}

/// Answers one statement.
pub fn execute(store: &Store, statement: &Statement) -> Result<Output> {
    match statement {
        Statement::Get(r) => get(store, r),
        Statement::History(r) => history(store, r),
        Statement::Timeline { reading, every } => timeline(store, reading, *every),
        Statement::Diff {
            selector,
            valid,
            before,
            after,
        } => diff(store, selector, *valid, *before, *after),
        Statement::Explain(r) => explain(store, r),
        Statement::Contested {
            selector,
            known,
            recorded,
        } => contested(store, selector.as_ref(), *known, *recorded),
        Statement::Sources { of } => catalog::sources(store, of.as_ref()),
        Statement::ShowSource(id) => catalog::show_source(store, id),
        Statement::Subjects => catalog::subjects(store),
        Statement::Attributes => catalog::attributes(store),
        write => append(store, write),
    }
}

const GET_COLUMNS: [&str; 9] = [
    "subject",
    "attribute",
    "valid",
    "value",
    "status",
    "known",
    "source",
    "event",
    "others",
];

pub(super) fn selector(view: &View<'_>, syntax: &SelectorSyntax) -> Result<Selector> {
    if let Some(subject) = &syntax.subject {
        if !view.has_subject(subject)? {
            let known = subject_names(view)?;
            return Err(Error::InvalidInput(format!(
                "unknown subject '{subject}'{}",
                did_you_mean(subject, &known)
            )));
        }
    }
    let attribute = match &syntax.attribute {
        AttributeSyntax::Exact(a) => {
            if view.kind(a)?.is_none() {
                let known = view.names(Table::Attributes)?;
                return Err(Error::InvalidInput(format!(
                    "unknown attribute '{a}'{}",
                    did_you_mean(a, &known)
                )));
            }
            AttributeMatch::Exact(a.clone())
        }
        AttributeSyntax::Under(a) => AttributeMatch::Prefix(format!("{a}.")),
        AttributeSyntax::Any => AttributeMatch::Any,
    };
    Ok(Selector {
        subject: syntax.subject.clone(),
        attribute,
    })
}

fn subject_names(view: &View<'_>) -> Result<Vec<String>> {
    let mut names: Vec<String> = view
        .series(None, &AttributeMatch::Any)?
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

fn claim_json(c: &ClaimView) -> Map<String, Json> {
    let mut m = Map::new();
    m.insert("value".into(), json!(c.value.to_string()));
    m.insert("event".into(), json!(c.event));
    m.insert("known".into(), json!(c.known.to_string()));
    m.insert("source".into(), json!(c.source));
    m
}

/// The normative JSON shape of a `get` row (SPEC §8).
pub fn row_json(row: &Row) -> Map<String, Json> {
    let mut m = Map::new();
    m.insert("subject".into(), json!(row.subject));
    m.insert("attribute".into(), json!(row.attribute));
    m.insert("valid".into(), json!(row.valid.to_string()));
    m.insert("value".into(), json!(row.winner.value.to_string()));
    m.insert("status".into(), json!(row.status.name()));
    m.insert("event".into(), json!(row.winner.event));
    m.insert("known".into(), json!(row.winner.known.to_string()));
    m.insert("source".into(), json!(row.winner.source));
    m.insert("modality".into(), json!(row.winner.modality.name()));
    m.insert("quote".into(), json!(row.winner.quote));
    let others: Vec<Json> = row
        .others
        .iter()
        .map(|(c, standing)| {
            let mut o = claim_json(c);
            o.insert("status".into(), json!(standing.name()));
            // Keep the documented key order: event, value, status, known, source.
            let order = ["event", "value", "status", "known", "source"];
            Json::Object(
                order
                    .iter()
                    .filter_map(|k| o.get(*k).map(|v| (k.to_string(), v.clone())))
                    .collect(),
            )
        })
        .collect();
    m.insert("others".into(), Json::Array(others));
    m
}

fn rows_for(store: &Store, view: &View<'_>, r: &Reading) -> Result<Vec<Row>> {
    let question = Get {
        selector: selector(view, &r.selector)?,
        valid: r.valid,
        known: r.known,
        recorded: Some(view.position),
    };
    Ok(store.get(&question)?.rows)
}

pub(super) fn output(
    log_seq: u64,
    kind: &'static str,
    columns: &[&'static str],
    rows: Vec<Map<String, Json>>,
) -> Output {
    Output {
        log_seq,
        kind,
        columns: columns.to_vec(),
        rows,
    }
}

fn get(store: &Store, r: &Reading) -> Result<Output> {
    let view = store.view(r.recorded);
    let rows = rows_for(store, &view, r)?;
    Ok(output(
        view.position,
        "get",
        &GET_COLUMNS,
        rows.iter().map(row_json).collect(),
    ))
}

fn contested(
    store: &Store,
    selector_syntax: Option<&SelectorSyntax>,
    known: Option<Period>,
    recorded: Option<u64>,
) -> Result<Output> {
    let view = store.view(recorded);
    let everything = SelectorSyntax {
        subject: None,
        attribute: AttributeSyntax::Any,
    };
    let reading = Reading {
        selector: selector_syntax.cloned().unwrap_or(everything),
        valid: None,
        known,
        recorded,
    };
    let rows = rows_for(store, &view, &reading)?;
    let rows = rows
        .iter()
        .filter(|r| r.status == Status::Contested)
        .map(row_json)
        .collect();
    Ok(output(view.position, "contested", &GET_COLUMNS, rows))
}

/// Every event about the matching claims, in log order, each with the
/// standing of its claim just after it was recorded.
fn history(store: &Store, r: &Reading) -> Result<Output> {
    let view = store.view(r.recorded);
    let sel = selector(&view, &r.selector)?;
    let period = r.valid.unwrap_or(Period::ALL);
    let reader = Reader::new(view);
    // (seq, the claim it concerns)
    let mut events: Vec<(u64, u64, String, String, Period)> = Vec::new();
    for (subject, attribute) in view.series(sel.subject.as_deref(), &sel.attribute)? {
        for claim in view.claims(&subject, &attribute, &period)? {
            events.push((
                claim.seq,
                claim.seq,
                subject.clone(),
                attribute.clone(),
                claim.valid,
            ));
            for (actor, _) in view.targets(claim.seq)? {
                events.push((
                    actor,
                    claim.seq,
                    subject.clone(),
                    attribute.clone(),
                    claim.valid,
                ));
                // A retraction of a denial changes the claim's standing too.
                for (second, target) in view.targets(actor)? {
                    if target == TargetEntry::Retracted {
                        events.push((
                            second,
                            claim.seq,
                            subject.clone(),
                            attribute.clone(),
                            claim.valid,
                        ));
                    }
                }
            }
        }
    }
    events.sort_by_key(|e| (e.0, e.1));
    events.dedup();
    let mut rows = Vec::new();
    for (seq, claim_seq, subject, attribute, valid) in events {
        let record = reader.record(seq)?;
        let claim_record = reader.record(claim_seq)?;
        let Event::Assert(claim) = &claim_record.event else {
            continue;
        };
        let question = Get {
            selector: Selector::exact(&subject, &attribute),
            valid: Some(valid),
            known: r.known,
            recorded: Some(seq),
        };
        let answer = store.get(&question)?;
        let claim_id = claim.id.clone().unwrap_or_default();
        let mut standings: Vec<String> = Vec::new();
        let mut winner = String::new();
        for row in &answer.rows {
            let standing = if row.winner.seq == claim_seq {
                format!("winner, {}", row.status)
            } else if let Some((_, s)) = row.others.iter().find(|(c, _)| c.seq == claim_seq) {
                s.name().to_string()
            } else {
                continue;
            };
            if !standings.contains(&standing) {
                standings.push(standing);
            }
            if winner.is_empty() {
                winner = format!("{} ({})", row.winner.value, row.winner.event);
            }
        }
        if standings.is_empty() {
            let retracted = store.view(Some(seq)).is_retracted(claim_seq)?;
            standings.push(if retracted {
                "retracted".into()
            } else {
                "not yet known".into()
            });
        }
        let mut m = Map::new();
        m.insert("seq".into(), json!(seq));
        m.insert(
            "event".into(),
            json!(record.event.event_id().unwrap_or_default()),
        );
        m.insert("op".into(), json!(record.event.op()));
        m.insert("subject".into(), json!(subject));
        m.insert("attribute".into(), json!(attribute));
        m.insert("valid".into(), json!(valid.to_string()));
        m.insert("claim".into(), json!(claim_id));
        m.insert("value".into(), json!(claim.value.to_string()));
        let (known, source) = match &record.event {
            Event::Assert(c) => (c.known, c.source.clone()),
            Event::Deny(d) => (d.known, d.source.clone()),
            _ => (None, String::new()),
        };
        let known = if source.is_empty() {
            None
        } else {
            Some(Reader::new(store.view(Some(seq))).effective_known(known, &source)?)
        };
        m.insert("known".into(), json!(known.map(|k| k.to_string())));
        m.insert("source".into(), json!(source));
        m.insert("standing".into(), json!(standings.join("; ")));
        m.insert("winner".into(), json!(winner));
        rows.push(m);
    }
    let columns = [
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
        "winner",
    ];
    Ok(output(view.position, "history", &columns, rows))
}

fn timeline(store: &Store, r: &Reading, every: Option<(Unit, Aggregate)>) -> Result<Output> {
    let view = store.view(r.recorded);
    let rows = rows_for(store, &view, r)?;
    let Some((unit, aggregate)) = every else {
        return Ok(output(
            view.position,
            "timeline",
            &GET_COLUMNS,
            rows.iter().map(row_json).collect(),
        ));
    };
    let mut out = Vec::new();
    let mut start = 0;
    while start < rows.len() {
        let series_end = rows[start..]
            .iter()
            .position(|x| x.subject != rows[start].subject || x.attribute != rows[start].attribute)
            .map_or(rows.len(), |i| start + i);
        let series = &rows[start..series_end];
        start = series_end;
        let kind = view.kind(&series[0].attribute)?.unwrap_or(Kind::Period);
        let span = r.valid.unwrap_or(Period::ALL);
        let first = span
            .start
            .or_else(|| series.iter().filter_map(|x| x.valid.start).min());
        let last = span
            .end
            .or_else(|| series.iter().filter_map(|x| x.valid.end).max());
        let (Some(first), Some(last)) = (first, last) else {
            return Err(Error::InvalidInput(format!(
                "the timeline of {}.{} is unbounded; give it a period with 'from … to …'",
                series[0].subject, series[0].attribute
            )));
        };
        for bucket in buckets(first, last, unit) {
            let inside: Vec<(&Row, Period)> = series
                .iter()
                .filter_map(|x| x.valid.intersect(&bucket).map(|p| (x, p)))
                .collect();
            if inside.is_empty() {
                continue;
            }
            let value = aggregate_value(&inside, aggregate, kind).map_err(|m| {
                Error::InvalidInput(format!(
                    "{}.{} in {bucket}: {m}",
                    series[0].subject, series[0].attribute
                ))
            })?;
            let mut m = Map::new();
            m.insert("subject".into(), json!(series[0].subject));
            m.insert("attribute".into(), json!(series[0].attribute));
            m.insert("period".into(), json!(bucket.to_string()));
            m.insert("aggregate".into(), json!(aggregate.name()));
            m.insert("value".into(), json!(value));
            m.insert("claims".into(), json!(inside.len()));
            out.push(m);
        }
    }
    let columns = [
        "subject",
        "attribute",
        "period",
        "aggregate",
        "value",
        "claims",
    ];
    Ok(output(view.position, "timeline", &columns, out))
}

/// Calendar-aligned buckets of `unit` covering `[first, last)`.
fn buckets(first: Day, last: Day, unit: Unit) -> Vec<Period> {
    let months = match unit {
        Unit::Decade => 120,
        Unit::Year => 12,
        Unit::Half => 6,
        Unit::Quarter => 3,
        Unit::Month => 1,
        Unit::Day => 0,
    };
    let mut out = Vec::new();
    if months == 0 {
        let mut d = first.0;
        while d < last.0 && out.len() < 100_000 {
            out.push(Period::day(Day(d)));
            d += 1;
        }
        return out;
    }
    let (y, m, _) = first.ymd();
    let mut index = y * 12 + (m - 1);
    index -= index.rem_euclid(months);
    while out.len() < 100_000 {
        let (sy, sm) = (index.div_euclid(12), index.rem_euclid(12) + 1);
        let (ey, em) = (
            (index + months).div_euclid(12),
            (index + months).rem_euclid(12) + 1,
        );
        let (Ok(start), Ok(end)) = (
            Day::from_ymd(sy, sm, 1),
            Day::from_ymd(ey.min(9999), if ey > 9999 { 12 } else { em }, 1),
        ) else {
            break;
        };
        if start >= last {
            break;
        }
        out.push(Period::new(start, end));
        index += months;
    }
    out
}

fn aggregate_value(
    inside: &[(&Row, Period)],
    aggregate: Aggregate,
    kind: Kind,
) -> Result<String, String> {
    match aggregate {
        Aggregate::Count => return Ok(inside.len().to_string()),
        Aggregate::First => return Ok(inside[0].0.winner.value.to_string()),
        Aggregate::Last => return Ok(inside[inside.len() - 1].0.winner.value.to_string()),
        _ => {}
    }
    let unit = inside[0].0.winner.value.unit().map(str::to_string);
    let mut numbers = Vec::new();
    for (row, part) in inside {
        let v = &row.winner.value;
        let n = v
            .magnitude()
            .ok_or_else(|| format!("{} is not a number, so it has no {}", v, aggregate.name()))?;
        if v.unit() != unit.as_deref() {
            return Err(format!(
                "values in different units ({} and {}) cannot be combined",
                unit.as_deref().unwrap_or("none"),
                v.unit().unwrap_or("none")
            ));
        }
        let days = (part.end_key() - part.start_key()) as f64;
        numbers.push((n, days));
    }
    let result = match aggregate {
        Aggregate::Min => numbers.iter().map(|x| x.0).fold(f64::INFINITY, f64::min),
        Aggregate::Max => numbers
            .iter()
            .map(|x| x.0)
            .fold(f64::NEG_INFINITY, f64::max),
        _ => match kind {
            // A state holds for days: weigh each value by how long it held.
            Kind::State => {
                numbers.iter().map(|(n, d)| n * d).sum::<f64>()
                    / numbers.iter().map(|x| x.1).sum::<f64>()
            }
            Kind::Period => numbers.iter().map(|x| x.0).sum::<f64>() / numbers.len() as f64,
        },
    };
    let value = crate::value::Value::Quantity(crate::value::Quantity {
        amount: crate::value::Amount::Exact(result),
        unit,
    });
    Ok(value.to_string())
}

/// What changed between two moments: slots that are new, changed, denied,
/// gone (retracted), or whose status changed.
fn diff(
    store: &Store,
    syntax: &SelectorSyntax,
    valid: Option<Period>,
    before: Moment,
    after: Moment,
) -> Result<Output> {
    let view = store.view(None);
    let sel = selector(&view, syntax)?;
    let at = |m: Moment| -> Result<Vec<Row>> {
        let (known, recorded) = match m {
            Moment::Known(p) => (Some(p), None),
            Moment::Seq(n) => (None, Some(n)),
        };
        Ok(store
            .get(&Get {
                selector: sel.clone(),
                valid,
                known,
                recorded,
            })?
            .rows)
    };
    let (old, new) = (at(before)?, at(after)?);
    let mut series: Vec<(String, String)> = old
        .iter()
        .chain(new.iter())
        .map(|r| (r.subject.clone(), r.attribute.clone()))
        .collect();
    series.sort();
    series.dedup();
    let mut rows = Vec::new();
    for (subject, attribute) in series {
        let pick = |rows: &[Row]| -> Vec<Row> {
            rows.iter()
                .filter(|r| r.subject == subject && r.attribute == attribute)
                .cloned()
                .collect()
        };
        let (a, b) = (pick(&old), pick(&new));
        // Compare on the pieces cut by every boundary of either answer, so
        // that period slots compare exactly and state runs compare by day.
        let valids: Vec<Period> = a.iter().chain(b.iter()).map(|r| r.valid).collect();
        let kind = view.kind(&attribute)?.unwrap_or(Kind::Period);
        let pieces: Vec<Period> = match kind {
            Kind::State => resolve::timeline(&valids, &Period::ALL)
                .into_iter()
                .map(|(p, _)| p)
                .collect(),
            Kind::Period => {
                let mut v = valids.clone();
                v.sort_by_key(|p| (p.start_key(), p.end_key()));
                v.dedup();
                v
            }
        };
        let find = |rows: &[Row], piece: &Period| -> Option<Row> {
            rows.iter()
                .find(|r| {
                    if kind == Kind::State {
                        r.valid.intersect(piece) == Some(*piece)
                    } else {
                        r.valid == *piece
                    }
                })
                .cloned()
        };
        let mut last: Option<(Period, Option<String>, Option<String>, &'static str)> = None;
        let flush = |entry: Option<(Period, Option<String>, Option<String>, &'static str)>,
                     rows: &mut Vec<Map<String, Json>>| {
            if let Some((p, before, after, change)) = entry {
                let mut m = Map::new();
                m.insert("change".into(), json!(change));
                m.insert("subject".into(), json!(subject));
                m.insert("attribute".into(), json!(attribute));
                m.insert("valid".into(), json!(p.to_string()));
                m.insert("before".into(), json!(before));
                m.insert("after".into(), json!(after));
                rows.push(m);
            }
        };
        for piece in pieces {
            let (x, y) = (find(&a, &piece), find(&b, &piece));
            let describe = |r: &Option<Row>| {
                r.as_ref()
                    .map(|r| format!("{} ({}, {})", r.winner.value, r.status, r.winner.event))
            };
            let change = match (&x, &y) {
                (None, None) => None,
                (None, Some(_)) => Some("new"),
                (Some(_), None) => Some("retracted"),
                (Some(p), Some(q)) => {
                    if q.status == Status::Denied && p.status != Status::Denied {
                        Some("denied")
                    } else if p.winner.value != q.winner.value || p.winner.event != q.winner.event {
                        Some("changed")
                    } else if p.status != q.status {
                        Some("status")
                    } else {
                        None
                    }
                }
            };
            let Some(change) = change else {
                flush(last.take(), &mut rows);
                continue;
            };
            let (bx, by) = (describe(&x), describe(&y));
            match &mut last {
                Some((p, lb, la, lc))
                    if *lc == change && *lb == bx && *la == by && p.end == piece.start =>
                {
                    p.end = piece.end;
                }
                _ => {
                    flush(last.take(), &mut rows);
                    last = Some((piece, bx, by, change));
                }
            }
        }
        flush(last.take(), &mut rows);
    }
    Ok(output(
        view.position,
        "diff",
        &["change", "subject", "attribute", "valid", "before", "after"],
        rows,
    ))
}

/// Every candidate of every slot, counted or not, and why it won or lost.
fn explain(store: &Store, r: &Reading) -> Result<Output> {
    let view = store.view(r.recorded);
    let rows = rows_for(store, &view, r)?;
    let period = r.valid.unwrap_or(Period::ALL);
    let mut reader = Reader::new(view);
    let mut out = Vec::new();
    let mut series: Vec<(String, String)> = Vec::new();
    let sel = selector(&view, &r.selector)?;
    for s in view.series(sel.subject.as_deref(), &sel.attribute)? {
        series.push(s);
    }
    for (subject, attribute) in series {
        let all = view.claims(&subject, &attribute, &period)?;
        let slots: Vec<&Row> = rows
            .iter()
            .filter(|x| x.subject == subject && x.attribute == attribute)
            .collect();
        // Slots: the answer's rows, plus the valid periods of claims that
        // did not count anywhere (so a not-yet-known claim is explained too).
        let mut keys: Vec<Period> = slots.iter().map(|x| x.valid).collect();
        for c in &all {
            if !keys.iter().any(|k| k.overlaps(&c.valid)) {
                keys.push(c.valid);
            }
        }
        keys.sort_by_key(|p| (p.start_key(), p.end_key()));
        keys.dedup();
        for key in keys {
            let row = slots.iter().find(|x| x.valid == key);
            for c in all
                .iter()
                .filter(|c| c.valid.overlaps(&key) && (row.is_some() || c.valid == key))
            {
                let record = reader.record(c.seq)?;
                let Event::Assert(claim) = &record.event else {
                    continue;
                };
                let known = reader.effective_known(c.entry.known, &c.entry.source)?;
                let (verdict, reason) =
                    verdict(&mut reader, c.seq, &known, r.known.as_ref(), row.copied())?;
                let mut m = Map::new();
                m.insert("subject".into(), json!(subject));
                m.insert("attribute".into(), json!(attribute));
                m.insert("valid".into(), json!(key.to_string()));
                m.insert("event".into(), json!(claim.id.clone().unwrap_or_default()));
                m.insert("value".into(), json!(claim.value.to_string()));
                m.insert("known".into(), json!(known.to_string()));
                m.insert("source".into(), json!(claim.source));
                m.insert("verdict".into(), json!(verdict));
                m.insert("reason".into(), json!(reason));
                out.push(m);
            }
        }
    }
    let columns = [
        "subject",
        "attribute",
        "valid",
        "event",
        "value",
        "known",
        "source",
        "verdict",
        "reason",
    ];
    Ok(output(view.position, "explain", &columns, out))
}

fn verdict(
    reader: &mut Reader<'_>,
    seq: u64,
    known: &Period,
    asked: Option<&Period>,
    row: Option<&Row>,
) -> Result<(String, String)> {
    for (actor, t) in reader.view.targets(seq)? {
        if t == TargetEntry::Retracted {
            let id = reader
                .record(actor)?
                .event
                .event_id()
                .unwrap_or_default()
                .to_string();
            return Ok((
                "retracted".into(),
                format!("retracted by {id} at seq {actor}: the recording was wrong"),
            ));
        }
    }
    if let Some(q) = asked {
        if !known.known_by(q) {
            return Ok((
                "not yet known".into(),
                format!("known {known} ends after the question's {q}"),
            ));
        }
    }
    let Some(row) = row else {
        return Ok((
            "not counted".into(),
            "no slot of the answer holds it".into(),
        ));
    };
    let winner_rank = format!(
        "known until {}, seq {}",
        end_text(&row.winner.known),
        row.winner.seq
    );
    if row.winner.seq == seq {
        let how = match row.status {
            Status::Denied => "every claim of the slot is denied; the latest known of them stands, denied".to_string(),
            Status::Contested => format!("the undenied claim known last ({winner_rank}), but another claim known as late disagrees"),
            Status::Current => format!("the undenied claim known last ({winner_rank})"),
        };
        return Ok((format!("winner, {}", row.status), how));
    }
    let Some((_, standing)) = row.others.iter().find(|(c, _)| c.seq == seq) else {
        return Ok(("not counted".into(), "it does not cover this slot".into()));
    };
    let reason = match standing {
        resolve::Standing::Denied => {
            let mut by = Vec::new();
            for (actor, t) in reader.view.targets(seq)? {
                if let TargetEntry::Denied { known, source } = t {
                    let k = reader.effective_known(known, &source)?;
                    if asked.is_none_or(|q| k.known_by(q)) && !reader.view.is_retracted(actor)? {
                        by.push(format!(
                            "{} ({source}, known {k})",
                            reader.record(actor)?.event.event_id().unwrap_or_default()
                        ));
                    }
                }
            }
            format!("denied by {}", by.join(", "))
        }
        resolve::Standing::Agrees => format!("same value as the winner {}", row.winner.event),
        resolve::Standing::Superseded => {
            format!(
                "known {known} ended before the winner's {} began",
                row.winner.known
            )
        }
        resolve::Standing::Conflicting => format!(
            "a different value, known as late as the winner {} ({winner_rank})",
            row.winner.event
        ),
    };
    Ok((standing.name().to_string(), reason))
}

fn end_text(p: &Period) -> String {
    p.end
        .map_or("never".to_string(), |d| Day(d.0 - 1).to_string())
}

/// Turns a writing statement into its event.
pub fn to_event(statement: &Statement) -> Option<Event> {
    Some(match statement.clone() {
        Statement::Define {
            attribute,
            kind,
            unit,
            doc,
        } => Event::Define(Definition {
            attribute,
            kind,
            unit,
            doc,
        }),
        Statement::Source(s) => Event::Source(Source {
            id: s.id,
            title: s.title,
            publisher: s.publisher,
            published: s.published,
            url: s.url,
            text: s.text,
            note: s.note,
        }),
        Statement::Assert(a) => Event::Assert(Claim {
            id: a.id,
            subject: a.subject,
            attribute: a.attribute,
            valid: a.valid,
            value: a.value,
            known: a.known,
            source: a.source,
            quote: a.quote,
            modality: a.modality.unwrap_or(Modality::Fact),
            note: a.note,
        }),
        Statement::Deny {
            target,
            known,
            source,
            quote,
            id,
        } => Event::Deny(Denial {
            id,
            target,
            known,
            source,
            quote,
        }),
        Statement::Retract { target, reason, id } => {
            Event::Retract(Retraction { id, target, reason })
        }
        _ => return None,
    })
}

fn append(store: &Store, statement: &Statement) -> Result<Output> {
    let event =
        to_event(statement).ok_or_else(|| Error::InvalidInput("not a writing statement".into()))?;
    let op = event.op();
    let appended = store.append(vec![event]).map_err(|e| match e {
        Error::Rejected { field, message, .. } => {
            Error::InvalidInput(format!("{op} refused, '{field}': {message}"))
        }
        other => other,
    })?;
    let mut m = Map::new();
    m.insert("seq".into(), json!(appended.last_seq));
    m.insert("op".into(), json!(op));
    m.insert(
        "event".into(),
        json!(appended.ids.first().cloned().flatten()),
    );
    Ok(output(
        appended.last_seq,
        "write",
        &["seq", "op", "event"],
        vec![m],
    ))
}
