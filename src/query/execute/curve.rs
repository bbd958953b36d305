//! `curve`: the knowledge curve of each slot of a selector — its answer as
//! known time advances. Where `history` tells the story in the order events
//! were *recorded*, the curve tells it in the order things became *known*:
//! each step is the first day on which the slot's winner or its status
//! changed, as `as known <that day>` would answer.
//!
//! The answer can change only on a day some claim or denial of the slot
//! starts to count: the last day of its known period (SPEC §3: `K` is known
//! by `Q` when `K.end <= Q.end`). So the slot is asked again `as known` each
//! such day, and a step is kept where the answer differs from the one
//! before. The steps of one series are computed before its first row;
//! series follow one another.

use super::super::ast::Reading;
use super::super::rows::{
    series_items, AnswerRow, Cancel, KnowledgeStep, Reply, RowType, StatementKind,
};
use crate::answer::{self, Selector};
use crate::error::Result;
use crate::index::{TargetEntry, View};
use crate::period::{Day, Period};
use crate::store::Store;
use std::collections::BTreeSet;

pub(super) fn curve<'s>(store: &'s Store, r: &Reading, cancel: Cancel) -> Result<Reply<'s>> {
    let view = store.view(super::names::recorded(store, r.recorded)?);
    let question = super::names::question(&view, r)?;
    let series = view.series(
        question.selector.subject.as_deref(),
        &question.selector.attribute,
    )?;
    let period = r.valid.unwrap_or(Period::ALL);
    let stop = cancel.clone();
    let rows = cancel
        .until(series.into_iter())
        .flat_map(move |(subject, attribute)| {
            series_items(
                steps(view, &question, &period, &subject, &attribute, &stop)
                    .map(|steps| steps.into_iter().map(AnswerRow::Knowledge).collect()),
            )
        });
    Ok(Reply::new(
        view.position,
        StatementKind::Curve,
        RowType::Knowledge,
        rows,
        cancel,
    ))
}

/// The steps of every slot of one series, ordered by slot, then known time.
fn steps(
    view: View<'_>,
    question: &answer::Get,
    period: &Period,
    subject: &str,
    attribute: &str,
    cancel: &Cancel,
) -> Result<Vec<KnowledgeStep>> {
    let mut days = BTreeSet::new();
    let mut count_from = |known: Option<Period>| {
        if let Some(end) = known.and_then(|k| k.end) {
            days.insert(end.0 - 1);
        }
    };
    for claim in view.claims(subject, attribute, period)? {
        count_from(match claim.entry.known {
            Some(known) => Some(known),
            None => view.source_published(&claim.entry.source)?,
        });
        for (_, target) in view.targets_of(&claim)? {
            if let TargetEntry::Denied { known, source } = target {
                count_from(match known {
                    Some(known) => Some(known),
                    None => view.source_published(&source)?,
                });
            }
        }
    }
    let mut slot_question = question.clone();
    slot_question.selector = Selector::exact(subject, attribute);
    // The slots as of the day asked before, each with its answer. A slot
    // inside one of them with the same answer has not changed: a state
    // attribute's run splits when a claim about some of its days starts to
    // count, and the pieces that keep the old answer are no new step.
    let mut before: Vec<(Period, (String, crate::resolve::Status))> = Vec::new();
    let mut steps = Vec::new();
    for day in days {
        // A series with many claims asks many questions: a cancelled
        // statement stops between two of them.
        if cancel.is_cancelled() {
            return Err(crate::error::Error::Cancelled);
        }
        slot_question.known = Some(Period::day(Day(day)));
        let mut now = Vec::new();
        for row in answer::get(view, &slot_question)? {
            let answer = (row.winner.event.clone(), row.status);
            let unchanged = before.iter().any(|(valid, earlier)| {
                *earlier == answer
                    && valid.start_key() <= row.valid.start_key()
                    && row.valid.end_key() <= valid.end_key()
            });
            now.push((row.valid, answer));
            if unchanged {
                continue;
            }
            steps.push(KnowledgeStep {
                subject: row.subject,
                attribute: row.attribute,
                valid: row.valid,
                known_from: Period::day(Day(day)),
                value: row.winner.value,
                status: row.status,
                modality: row.winner.modality,
                event: row.winner.event,
                source: row.winner.source,
                claims: 1 + row.others.len(),
            });
        }
        before = now;
    }
    steps.sort_by_key(|s| {
        (
            s.valid.start_key(),
            s.valid.end_key(),
            s.known_from.start_key(),
        )
    });
    Ok(steps)
}
