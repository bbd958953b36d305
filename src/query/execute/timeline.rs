//! `timeline … every <unit> <aggregate>`: the resolved slots of each series
//! cut into calendar buckets and summarised, one series at a time.

use super::super::ast::{Aggregate, Reading, Unit};
use super::super::rows::{AnswerRow, Bucket, Cancel, Reply, RowType, StatementKind};
use crate::answer::{self, Row};
use crate::error::{Error, Result};
use crate::event::Kind;
use crate::index::View;
use crate::period::{Day, Period};
use crate::store::Store;
use crate::value::{Amount, Quantity, Value};

pub(super) fn timeline<'s>(
    store: &'s Store,
    r: &Reading,
    unit: Unit,
    aggregate: Aggregate,
    cancel: Cancel,
) -> Result<Reply<'s>> {
    let view = store.view(r.recorded);
    let question = super::names::question(&view, r)?;
    let span = r.valid.unwrap_or(Period::ALL);
    let rows = answer::get_by_series(view, &question)?.flat_map(move |series| {
        match series.and_then(|rows| buckets_of(view, &rows, span, unit, aggregate)) {
            Ok(buckets) => buckets.into_iter().map(Ok).collect(),
            Err(e) => vec![Err(e)],
        }
    });
    Ok(Reply::new(
        view.position,
        StatementKind::Timeline,
        RowType::Bucket,
        rows,
        cancel,
    ))
}

/// The buckets of one series' rows over `span`.
fn buckets_of(
    view: View<'_>,
    series: &[Row],
    span: Period,
    unit: Unit,
    aggregate: Aggregate,
) -> Result<Vec<AnswerRow>> {
    let Some(head) = series.first() else {
        return Ok(Vec::new());
    };
    let kind = view.kind(&head.attribute)?.unwrap_or(Kind::Period);
    let first = span
        .start
        .or_else(|| series.iter().filter_map(|x| x.valid.start).min());
    let last = span
        .end
        .or_else(|| series.iter().filter_map(|x| x.valid.end).max());
    let (Some(first), Some(last)) = (first, last) else {
        return Err(Error::InvalidInput(format!(
            "the timeline of {}.{} is unbounded; give it a period with 'from … to …'",
            head.subject, head.attribute
        )));
    };
    let mut out = Vec::new();
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
                head.subject, head.attribute
            ))
        })?;
        out.push(AnswerRow::Bucket(Bucket {
            subject: head.subject.clone(),
            attribute: head.attribute.clone(),
            period: bucket,
            aggregate,
            value,
            claims: inside.len(),
        }));
    }
    Ok(out)
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

/// One bucket's aggregate over the slots inside it, each clipped to it.
fn aggregate_value(
    inside: &[(&Row, Period)],
    aggregate: Aggregate,
    kind: Kind,
) -> Result<Value, String> {
    match aggregate {
        Aggregate::Count => {
            return Ok(Value::Quantity(Quantity {
                amount: Amount::Exact(inside.len() as f64),
                unit: None,
            }))
        }
        Aggregate::First => return Ok(inside[0].0.winner.value.clone()),
        Aggregate::Last => return Ok(inside[inside.len() - 1].0.winner.value.clone()),
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
    Ok(Value::Quantity(Quantity {
        amount: Amount::Exact(result),
        unit,
    }))
}
