//! `timeline … every <unit> <aggregate>`: the resolved slots of each series
//! cut into calendar buckets and summarised, one series at a time.

use super::super::ast::{Aggregate, Reading, Unit};
use super::super::rows::{series_items, AnswerRow, Bucket, Cancel, Reply, RowType, StatementKind};
use crate::answer::{self, Row};
use crate::error::{Error, Result};
use crate::event::{Kind, Modality};
use crate::index::View;
use crate::period::{Day, Period};
use crate::resolve::{Certainty, Status};
use crate::store::Store;
use crate::value::{Amount, Quantity, Value};

pub(super) fn timeline<'s>(
    store: &'s Store,
    r: &Reading,
    unit: Unit,
    aggregate: Aggregate,
    cancel: Cancel,
) -> Result<Reply<'s>> {
    let view = store.view(super::names::recorded(store, r.recorded)?);
    let question = super::names::question(&view, r)?;
    if aggregate == Aggregate::Sum {
        // Refused before the first row, not midway through the answer.
        let selector = &question.selector;
        for (subject, attribute, entry) in
            view.series_entries(selector.subject.as_deref(), &selector.attribute)?
        {
            if entry.kind == Kind::State {
                return Err(Error::InvalidInput(format!(
                    "{subject}.{attribute} is a state (it holds on each day), which has no sum; sum adds period attributes such as quotas and production"
                )));
            }
        }
    }
    let span = r.valid.unwrap_or(Period::ALL);
    let rows = cancel
        .until(answer::get_by_series(view, &question)?)
        .flat_map(move |series| {
            series_items(series.and_then(|rows| buckets_of(view, &rows, span, unit, aggregate)))
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
///
/// Only slots whose winner stands are aggregated: a slot whose every claim
/// was denied answers `denied` in a `get`, and averaging or adding its
/// number would report a refuted figure as if it held. Each bucket names
/// the modalities of the winners it used, so that a plan never reads as a
/// fact (SPEC §8).
fn buckets_of(
    view: View<'_>,
    series: &[Row],
    span: Period,
    unit: Unit,
    aggregate: Aggregate,
) -> Result<Vec<AnswerRow>> {
    let series: Vec<&Row> = series
        .iter()
        .filter(|row| row.status != Status::Denied)
        .collect();
    let Some(head) = series.first() else {
        return Ok(Vec::new());
    };
    let kind = view.kind(&head.attribute)?.unwrap_or(Kind::Period);
    let first = match span.start {
        Some(first) => Some(first),
        None => default_first(&series, unit)?,
    };
    let last = match span.end {
        Some(last) => Some(last),
        None => default_last(&series, unit)?,
    };
    let (Some(first), Some(last)) = (first, last) else {
        return Err(Error::InvalidInput(format!(
            "the timeline of {}.{} is unbounded; give it a period with 'from … to …'",
            head.subject, head.attribute
        )));
    };
    let span = Period::new(first, last);
    let mut out = Vec::new();
    for bucket in buckets(first, last, unit)? {
        // A bucket is labelled with the span it covers: `every decade` from
        // 2010 to 2013 is 2010..2013, not the 2010s.
        let Some(bucket) = bucket.intersect(&span) else {
            continue;
        };
        let inside: Vec<(&Row, Period)> = if aggregate == Aggregate::Sum {
            tiling(&series, &bucket)
        } else {
            series
                .iter()
                .filter_map(|x| x.valid.intersect(&bucket).map(|p| (*x, p)))
                .collect()
        };
        if inside.is_empty() {
            continue;
        }
        let used = if aggregate == Aggregate::Sum {
            inside.iter().map(|(_, p)| *p).collect()
        } else {
            Vec::new()
        };
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
            modality: modalities(&inside),
            claims: inside.len(),
            used,
            certainty: inside
                .iter()
                .fold(Certainty::Exact, |c, (row, _)| c.and(row.certainty)),
        }));
    }
    Ok(out)
}

/// Where a timeline without `from` starts: at the earliest start of its
/// rows, or, when a row is open at its start (`..2009-12-14`), at the
/// start of the bucket that holds the row's last day, so that the row
/// is shown and its bucket is whole. `None` when no row gives a date.
fn default_first(rows: &[&Row], unit: Unit) -> Result<Option<Day>> {
    let mut first: Option<Day> = None;
    for row in rows {
        let candidate = match (row.valid.start, row.valid.end) {
            (Some(start), _) => start,
            (None, Some(end)) => bucket_holding(Day(end.0 - 1), unit)?.0,
            (None, None) => continue,
        };
        first = Some(first.map_or(candidate, |f| f.min(candidate)));
    }
    Ok(first)
}

/// Where a timeline without `to` ends: at the latest end of its rows, or,
/// when a row is open at its end (`2012..`), at the end of the bucket
/// that holds the row's first day. `None` when no row gives a date.
fn default_last(rows: &[&Row], unit: Unit) -> Result<Option<Day>> {
    let mut last: Option<Day> = None;
    for row in rows {
        let candidate = match (row.valid.start, row.valid.end) {
            (_, Some(end)) => end,
            (Some(start), None) => bucket_holding(start, unit)?.1,
            (None, None) => continue,
        };
        last = Some(last.map_or(candidate, |l| l.max(candidate)));
    }
    Ok(last)
}

/// The first and last-plus-one day of the calendar bucket of `unit` that
/// holds `day`.
fn bucket_holding(day: Day, unit: Unit) -> Result<(Day, Day)> {
    buckets(day, Day(day.0 + 1), unit)?
        .first()
        .and_then(|b| Some((b.start?, b.end?)))
        .ok_or_else(|| Error::InvalidInput(format!("no {} holds {day}", unit.name())))
}

/// The modalities of the winners a bucket used, in SPEC order, joined
/// with `+` (`fact`, `fact+plan`).
fn modalities(inside: &[(&Row, Period)]) -> String {
    Modality::ALL
        .into_iter()
        .filter(|m| inside.iter().any(|(row, _)| row.winner.modality == *m))
        .map(Modality::name)
        .collect::<Vec<_>>()
        .join("+")
}

/// At most this many buckets per series: a timeline is read by a person
/// or a chart, and `every day` over three centuries is a mistake to point
/// out, not an answer to cut short silently.
const MAX_BUCKETS: usize = 100_000;

/// The slots `sum` adds in `bucket`, in the order of their start: of the
/// slots wholly inside it, never two that overlap (so a year and its
/// halves are never both added), the set that covers the most days of the
/// bucket, and of those the one with the fewest slots, the coarsest: a
/// year rather than its halves, but both halves rather than a slot of its
/// first nine months.
fn tiling<'r>(series: &[&'r Row], bucket: &Period) -> Vec<(&'r Row, Period)> {
    let within: Vec<&Row> = series
        .iter()
        .copied()
        .filter(|x| x.valid.intersect(bucket) == Some(x.valid))
        .collect();
    let periods: Vec<Period> = within.iter().map(|x| x.valid).collect();
    cover(&periods)
        .into_iter()
        .map(|i| (within[i], within[i].valid))
        .collect()
}

/// Which of `periods` (bounded) to take so that no two overlap, they cover
/// the most days, and, covering as many, they are the fewest; indices in
/// the order of the periods' starts. Weighted interval scheduling: the
/// periods by their end, and for each prefix the best choice of it.
fn cover(periods: &[Period]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..periods.len()).collect();
    order.sort_by_key(|&i| (periods[i].end_key(), periods[i].start_key()));
    // best[k]: the best score of the first k periods in `order`, as
    // (days covered, fewer periods), and whether the k-th was taken, after
    // which prefix.
    let mut best: Vec<((i64, i64), Option<usize>)> = vec![((0, 0), None)];
    for (k, &i) in order.iter().enumerate() {
        let p = periods[i];
        let before = order[..k].partition_point(|&j| periods[j].end_key() <= p.start_key());
        let ((days, fewer), _) = best[before];
        let taken = (days + (p.end_key() - p.start_key()), fewer - 1);
        let skipped = best[k].0;
        best.push(if taken > skipped {
            (taken, Some(before))
        } else {
            (skipped, None)
        });
    }
    let mut chosen = Vec::new();
    let mut k = order.len();
    while k > 0 {
        match best[k].1 {
            Some(before) => {
                chosen.push(order[k - 1]);
                k = before;
            }
            None => k -= 1,
        }
    }
    chosen.sort_by_key(|&i| periods[i].start_key());
    chosen
}

/// Calendar-aligned buckets of `unit` covering `[first, last)`.
fn buckets(first: Day, last: Day, unit: Unit) -> Result<Vec<Period>> {
    let too_many = || {
        Error::InvalidInput(format!(
            "every {} from {first} to {last} makes more than {MAX_BUCKETS} buckets; \
             ask a shorter period or a coarser unit",
            unit.name()
        ))
    };
    let months = match unit {
        Unit::Decade => 120,
        Unit::Year => 12,
        Unit::Half => 6,
        Unit::Quarter => 3,
        Unit::Month => 1,
        Unit::Day => {
            if (last.0 as i64 - first.0 as i64) > MAX_BUCKETS as i64 {
                return Err(too_many());
            }
            return Ok((first.0..last.0).map(|d| Period::day(Day(d))).collect());
        }
    };
    // The bucket that holds `first` starts on a multiple of the unit.
    let (y, m, _) = first.ymd();
    let index = y * 12 + (m - 1);
    let index = index - index.rem_euclid(months);
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) + 1);
    let mut out = Vec::new();
    for k in 0.. {
        let start = Day::first_of_month(year, month, k * months);
        if start >= last {
            break;
        }
        if out.len() == MAX_BUCKETS {
            return Err(too_many());
        }
        let end = Day::first_of_month(year, month, (k + 1) * months);
        out.push(Period::new(start, end));
    }
    Ok(out)
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
    // The precision of the numbers as written: a range's midpoint is
    // computed (0.1..0.2 is 0.15000000000000002), so its bounds say it.
    let mut digits: Option<i32> = None;
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
        digits = digits.max(written_decimals(v));
    }
    let result = match aggregate {
        Aggregate::Min => numbers.iter().map(|x| x.0).fold(f64::INFINITY, f64::min),
        Aggregate::Max => numbers
            .iter()
            .map(|x| x.0)
            .fold(f64::NEG_INFINITY, f64::max),
        Aggregate::Sum => numbers.iter().map(|x| x.0).sum::<f64>(),
        _ => match kind {
            // A state holds for days: weigh each value by how long it held.
            Kind::State => {
                numbers.iter().map(|(n, d)| n * d).sum::<f64>()
                    / numbers.iter().map(|x| x.1).sum::<f64>()
            }
            Kind::Period => numbers.iter().map(|x| x.0).sum::<f64>() / numbers.len() as f64,
        },
    };
    // No float noise: at most two digits more than the most precise input.
    let result = match digits {
        Some(d) => round_to(result, d + 2),
        None => result,
    };
    Ok(Value::Quantity(Quantity {
        amount: Amount::Exact(result),
        unit,
    }))
}

/// How many digits a number has after the point as printed (Rust's
/// shortest round-trip form, never with an exponent); `None` when it is
/// not finite.
fn decimals(n: f64) -> Option<i32> {
    if !n.is_finite() {
        return None;
    }
    let text = n.to_string();
    Some(text.split_once('.').map_or(0, |(_, f)| f.len() as i32))
}

/// How many digits after the point a value's numbers were written with:
/// a range's bounds, not its computed midpoint. `None` for a number that
/// is not finite, or a value that is not a number.
fn written_decimals(value: &Value) -> Option<i32> {
    match value {
        Value::Quantity(q) => match q.amount {
            Amount::Between(low, high) => decimals(low).max(decimals(high)),
            Amount::Exact(n)
            | Amount::Approximately(n)
            | Amount::AtMost(n)
            | Amount::AtLeast(n) => decimals(n),
        },
        _ => None,
    }
}

/// `x` rounded to `digits` places after the point.
fn round_to(x: f64, digits: i32) -> f64 {
    if digits > 15 {
        return x;
    }
    let factor = 10f64.powi(digits);
    (x * factor).round() / factor
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Day {
        Period::parse(text).unwrap().start.unwrap()
    }

    #[test]
    fn buckets_are_calendar_aligned_and_the_last_month_of_9999_is_whole() {
        let months = buckets(
            day("9999-10-15"),
            Day::first_of_month(9999, 12, 1),
            Unit::Month,
        )
        .unwrap();
        let names: Vec<String> = months.iter().map(|p| p.to_string()).collect();
        assert_eq!(names, ["9999-10", "9999-11", "9999-12"]);
        let decades = buckets(day("2013-05-01"), day("2031-01-01"), Unit::Decade).unwrap();
        let names: Vec<String> = decades.iter().map(|p| p.to_string()).collect();
        assert_eq!(names, ["2010s", "2020s", "2030s"]);
    }

    /// A range counts as its midpoint, whose noise its bounds do not have:
    /// 0.1..0.2 t is 0.15 t, never 0.15000000000000002 t.
    #[test]
    fn a_ranges_precision_is_its_bounds() {
        let range = Value::parse("0.1..0.2 t").unwrap();
        assert_eq!(range.magnitude(), Some(0.15000000000000002));
        assert_eq!(written_decimals(&range), Some(1));
        assert_eq!(round_to(0.15000000000000002, 1 + 2), 0.15);
        assert_eq!(written_decimals(&Value::parse("~40 %").unwrap()), Some(0));
        assert_eq!(written_decimals(&Value::parse("'text'").unwrap()), None);
    }

    /// `sum` adds the coarsest slots that tile a bucket (SPEC §7): a year
    /// over its halves, its halves over a slot of nine months of it, and
    /// never two that overlap.
    #[test]
    fn a_sum_takes_the_coarsest_slots_that_cover_the_most() {
        let p = |text: &str| Period::parse(text).unwrap();
        let names = |periods: &[Period]| -> Vec<String> {
            cover(periods)
                .into_iter()
                .map(|i| periods[i].to_string())
                .collect()
        };
        let nine_months_and_halves = [p("2011-01..2011-09"), p("2011-H1"), p("2011-H2")];
        assert_eq!(names(&nine_months_and_halves), ["2011-H1", "2011-H2"]);
        let with_the_year = [p("2011-H2"), p("2011"), p("2011-H1")];
        assert_eq!(names(&with_the_year), ["2011"]);
        let apart = [p("2011-Q4"), p("2011-Q1"), p("2011-02")];
        assert_eq!(names(&apart), ["2011-Q1", "2011-Q4"]);
        assert!(cover(&[]).is_empty());
    }

    #[test]
    fn an_average_has_no_float_noise() {
        assert_eq!(decimals(90.7), Some(1));
        assert_eq!(decimals(97.0), Some(0));
        assert_eq!(decimals(1e-9), Some(9));
        assert_eq!(decimals(f64::NAN), None);
        assert_eq!(round_to(1.0 / 3.0, 16), 1.0 / 3.0, "beyond f64's digits");
        assert_eq!(round_to(90.69961664841183, 3), 90.7);
        assert_eq!(round_to(2.0 / 3.0, 2), 0.67);
    }

    #[test]
    fn too_many_buckets_is_an_error_never_a_silent_cut() {
        let error = buckets(day("1700-01-01"), day("2021-01-01"), Unit::Day).unwrap_err();
        assert!(
            error.to_string().contains("more than 100000 buckets"),
            "{error}"
        );
        assert!(buckets(day("2000-01-01"), day("2010-01-01"), Unit::Day).is_ok());
    }
}
