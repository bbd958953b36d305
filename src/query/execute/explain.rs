//! `explain`: every candidate of every slot of a selector, counted or not,
//! with the outcome of SPEC §5's rules for it and the reason as a sentence.
//! A claim not yet known at the question's time is explained too, under the
//! slot it would fill. Verdicts come one series at a time.

use super::super::ast::Reading;
use super::super::rows::{
    series_items, AnswerRow, Cancel, Outcome, Reply, RowType, StatementKind, Verdict,
};
use crate::answer::{Reader, Row};
use crate::dating::Qualifier;
use crate::error::Result;
use crate::event::{Event, Kind};
use crate::index::{IndexedClaim, SeriesEntry, TargetEntry, View};
use crate::period::{Day, Period};
use crate::resolve::{Standing, Status};
use crate::store::Store;

pub(super) fn explain<'s>(store: &'s Store, r: &Reading, cancel: Cancel) -> Result<Reply<'s>> {
    let view = store.view(super::names::recorded(store, r.recorded)?);
    let question = super::names::question(&view, r)?;
    let period = r.valid.unwrap_or(Period::ALL);
    let known = r.known;
    let sel = &question.selector;
    let series = view.series_entries(sel.subject.as_deref(), &sel.attribute)?;
    let mut reader = Reader::new(view);
    reader.possibly = r.possibly;
    // One series at a time: its claims, its resolved slots, the verdicts.
    let rows = cancel
        .until(series.into_iter())
        .flat_map(move |(subject, attribute, entry)| {
            let verdicts = explain_series(
                view,
                &mut reader,
                (&subject, &attribute, entry),
                &period,
                known.as_ref(),
            );
            series_items(verdicts)
        });
    Ok(Reply::new(
        view.position,
        StatementKind::Explain,
        RowType::Verdict,
        rows,
        cancel,
    ))
}

/// The verdicts of one series: every claim of every slot, counted or not.
fn explain_series(
    view: View<'_>,
    reader: &mut Reader<'_>,
    (subject, attribute, entry): (&str, &str, SeriesEntry),
    period: &Period,
    asked: Option<&Period>,
) -> Result<Vec<AnswerRow>> {
    let all = view.claims_of(entry, period)?;
    let slots = reader.rows_of(subject, attribute, entry.kind, all.clone(), period, asked)?;
    // Slots: the answer's rows, plus the valid periods of claims that did
    // not count anywhere (so a not-yet-known claim is explained too). A
    // period slot is its exact valid period (SPEC §5: a claim about 2010
    // and one about 2010-H2 never meet), so a period claim is explained
    // under its own slot only; a state claim under every run of days it
    // touches.
    let belongs = |c: &IndexedClaim, slot: &Period| match entry.kind {
        Kind::Period => c.valid == *slot,
        Kind::State => c.valid.overlaps(slot),
    };
    let mut keys: Vec<Period> = slots.iter().map(|x| x.valid).collect();
    for c in &all {
        if !keys.iter().any(|k| belongs(c, k)) {
            keys.push(c.valid);
        }
    }
    keys.sort_by_key(|p| (p.start_key(), p.end_key()));
    keys.dedup();
    let mut out = Vec::new();
    for key in keys {
        let row = slots.iter().find(|x| x.valid == key);
        for c in all
            .iter()
            .filter(|c| belongs(c, &key) && (row.is_some() || c.valid == key))
        {
            let record = reader.record(c.seq)?;
            let Event::Assert(claim) = &record.event else {
                continue;
            };
            let known = reader.effective_known(c.entry.known, &c.entry.source)?;
            let (outcome, reason) = verdict(reader, c, &known, asked, row)?;
            let certainty = row
                .and_then(|row| {
                    std::iter::once(&row.winner)
                        .chain(row.others.iter().map(|(c, _)| c))
                        .find(|claim| claim.seq == c.seq)
                        .map(|claim| claim.certainty)
                })
                .unwrap_or_else(|| {
                    Qualifier::of_forms([&c.entry.valid_form, &c.entry.known_form]).into()
                });
            out.push(AnswerRow::Verdict(Verdict {
                subject: subject.to_string(),
                attribute: attribute.to_string(),
                valid: key,
                event: claim.id.clone().unwrap_or_default(),
                value: claim.value.clone(),
                known,
                source: claim.source.clone(),
                outcome,
                reason,
                certainty,
                // A state run prints its days plainly (SPEC §3).
                valid_form: c.entry.valid_form.filter(|_| entry.kind == Kind::Period),
                known_form: c.entry.known_form,
            }));
        }
    }
    Ok(out)
}

/// The outcome for `claim` in `row` (its slot, if it counted), and why.
fn verdict(
    reader: &mut Reader<'_>,
    claim: &IndexedClaim,
    known: &Period,
    asked: Option<&Period>,
    row: Option<&Row>,
) -> Result<(Outcome, String)> {
    let seq = claim.seq;
    let targets = reader.view.targets_of(claim)?;
    for (actor, t) in targets.iter().cloned() {
        if t == TargetEntry::Retracted {
            let id = reader
                .record(actor)?
                .event
                .event_id()
                .unwrap_or_default()
                .to_string();
            return Ok((
                Outcome::Retracted,
                format!("retracted by {id} at seq {actor}: the recording was wrong"),
            ));
        }
    }
    if let (Some(q), None) = (asked, reader.counts(known, asked)) {
        return Ok((
            Outcome::NotYetKnown,
            format!("known {known} ends after the question's {q}"),
        ));
    }
    let Some(row) = row else {
        return Ok((Outcome::NotCounted, "no slot of the answer holds it".into()));
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
        return Ok((Outcome::Winner(row.status), how));
    }
    let Some((_, standing)) = row.others.iter().find(|(c, _)| c.seq == seq) else {
        return Ok((Outcome::NotCounted, "it does not cover this slot".into()));
    };
    let reason = match standing {
        Standing::Denied => {
            let mut by = Vec::new();
            for (actor, t) in targets {
                if let TargetEntry::Denied { known, source } = t {
                    let k = reader.effective_known(known, &source)?;
                    let Some(possibly) = reader.counts(&k, asked) else {
                        continue;
                    };
                    if !reader.view.is_retracted(actor)? {
                        by.push(format!(
                            "{} ({source}, known {k}{})",
                            reader.record(actor)?.event.event_id().unwrap_or_default(),
                            if possibly { ", possibly" } else { "" }
                        ));
                    }
                }
            }
            format!("denied by {}", by.join(", "))
        }
        Standing::Agrees => format!("same value as the winner {}", row.winner.event),
        Standing::Superseded => {
            format!(
                "known {known} ended before the winner's {} began",
                row.winner.known
            )
        }
        Standing::Conflicting => format!(
            "a different value, known as late as the winner {} ({winner_rank})",
            row.winner.event
        ),
    };
    Ok((Outcome::Lost(*standing), reason))
}

/// The last day of a period, or "never" when it is open.
fn end_text(p: &Period) -> String {
    p.end
        .map_or("never".to_string(), |d| Day(d.0 - 1).to_string())
}
