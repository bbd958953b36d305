//! `history`: every event about the claims of a selector — the claims
//! themselves, the denials that target them, the retractions of either, and
//! the revisions of a source that move a default known date (SPEC §8: the
//! story's last winner is always the plain get's) — in log order, each with the standing of its claim just after the event
//! was recorded, answered by asking the slot again `as recorded at` that
//! event's seq.
//!
//! The steps of all series are sorted together by seq, so this reply is
//! computed whole before its first row.

use super::super::ast::Reading;
use super::super::rows::{
    AnswerRow, Cancel, HistoryStep, Reply, RowType, StatementKind, WinnerRef,
};
use crate::answer::{Get, Reader, Selector};
use crate::dating::Qualifier;
use crate::error::Result;
use crate::event::{Event, Kind};
use crate::index::{TargetEntry, View};
use crate::period::Period;
use crate::resolve::Certainty;
use crate::store::Store;
use std::collections::HashMap;

/// An event and the claim it concerns, in the series it belongs to.
#[derive(PartialEq)]
struct Touch {
    seq: u64,
    claim_seq: u64,
    subject: String,
    attribute: String,
    valid: Period,
    /// What the step asks the slot: the claim's valid period for a period
    /// attribute (its one slot); for a state attribute, the days of it that
    /// the question asked about.
    asked: Period,
}

/// The revisions of each source, read once per statement however many
/// claims and denials cite it.
struct Revisions<'a> {
    view: View<'a>,
    seqs: HashMap<String, Vec<u64>>,
}

impl Revisions<'_> {
    /// The seqs of the revisions of `source` recorded after `seq` that
    /// move its published period: a revision that keeps it (a corrected
    /// title, say) moves no claim's known date, so it is no step.
    fn after(&mut self, source: &str, seq: u64) -> Result<Vec<u64>> {
        if !self.seqs.contains_key(source) {
            let revisions = self.view.source_revisions(source)?;
            let seqs = revisions
                .iter()
                .enumerate()
                .filter(|(i, (_, published))| *i == 0 || revisions[i - 1].1 != *published)
                .map(|(_, (revision, _))| *revision)
                .collect();
            self.seqs.insert(source.to_string(), seqs);
        }
        Ok(self.seqs[source]
            .iter()
            .copied()
            .filter(|revision| *revision > seq)
            .collect())
    }
}

pub(super) fn history<'s>(store: &'s Store, r: &Reading, cancel: Cancel) -> Result<Reply<'s>> {
    let view = store.view(super::names::recorded(store, r.recorded)?);
    let sel = super::names::selector(&view, &r.selector)?;
    let period = r.valid.unwrap_or(Period::ALL);
    let reader = Reader::new(view);
    let mut revisions = Revisions {
        view,
        seqs: HashMap::new(),
    };
    let mut touches: Vec<Touch> = Vec::new();
    for (subject, attribute) in view.series(sel.subject.as_deref(), &sel.attribute)? {
        let state = view.kind(&attribute)? == Some(Kind::State);
        for claim in view.claims(&subject, &attribute, &period)? {
            let asked = if state {
                claim.valid.intersect(&period).unwrap_or(claim.valid)
            } else {
                claim.valid
            };
            let touch = |seq: u64| Touch {
                seq,
                claim_seq: claim.seq,
                subject: subject.clone(),
                attribute: attribute.clone(),
                valid: claim.valid,
                asked,
            };
            touches.push(touch(claim.seq));
            // A claim known "when its source was published" moves when the
            // source is revised after it.
            if claim.entry.known.is_none() {
                for revision in revisions.after(&claim.entry.source, claim.seq)? {
                    touches.push(touch(revision));
                }
            }
            for (actor, target) in view.targets_of(&claim)? {
                touches.push(touch(actor));
                if let TargetEntry::Denied {
                    known: None,
                    source,
                } = &target
                {
                    for revision in revisions.after(source, actor)? {
                        touches.push(touch(revision));
                    }
                }
                // A retraction of a denial changes the claim's standing too.
                for second in view.retracted_by(actor)? {
                    touches.push(touch(second));
                }
            }
        }
    }
    touches.sort_by_key(|t| (t.seq, t.claim_seq));
    touches.dedup();
    let mut rows = Vec::new();
    for touch in touches {
        // Computed whole before the first row: a cancelled statement (Ctrl-C,
        // the reading room's deadline) stops between two steps.
        if cancel.is_cancelled() {
            return Err(crate::error::Error::Cancelled);
        }
        if let Some(step) = step(store, &reader, r, &touch)? {
            rows.push(AnswerRow::Step(step));
        }
    }
    Ok(Reply::from_rows(
        view.position,
        StatementKind::History,
        RowType::Step,
        rows,
        cancel,
    ))
}

/// The step of one event: the claim's standing in every slot it covers
/// just after the event, and the slot's winner then — whatever became of
/// the claim itself (a retracted claim's slot may still have a winner).
fn step(
    store: &Store,
    reader: &Reader<'_>,
    r: &Reading,
    touch: &Touch,
) -> Result<Option<HistoryStep>> {
    let valid = touch.valid;
    let record = reader.record(touch.seq)?;
    let claim_record = reader.record(touch.claim_seq)?;
    let Event::Assert(claim) = &claim_record.event else {
        return Ok(None);
    };
    let question = Get {
        selector: Selector::exact(&touch.subject, &touch.attribute),
        valid: Some(touch.asked),
        known: r.known,
        recorded: Some(touch.seq),
        filter: Default::default(),
        possibly: r.possibly,
    };
    let answer = store.get(&question)?;
    let mut standings: Vec<String> = Vec::new();
    let mut winner = None;
    // The claim's own qualifiers, unless where it stands makes it possible.
    let mut certainty: Certainty =
        Qualifier::of_forms([&claim.valid_form, &claim.known_form]).into();
    for row in &answer.rows {
        let standing = if row.winner.seq == touch.claim_seq {
            certainty = certainty.and(row.winner.certainty);
            format!("winner, {}", row.status)
        } else if let Some((c, s)) = row.others.iter().find(|(c, _)| c.seq == touch.claim_seq) {
            certainty = certainty.and(c.certainty);
            s.name().to_string()
        } else {
            continue;
        };
        if !standings.contains(&standing) {
            standings.push(standing);
        }
        if winner.is_none() {
            winner = Some(WinnerRef {
                value: row.winner.value.clone(),
                event: row.winner.event.clone(),
            });
        }
    }
    if winner.is_none() {
        // The claim stands nowhere now: the winner of its own slot (a
        // period attribute) or of the first run asked (a state attribute).
        let slot = answer
            .rows
            .iter()
            .find(|row| row.valid == touch.valid)
            .or(answer.rows.first());
        winner = slot.map(|row| WinnerRef {
            value: row.winner.value.clone(),
            event: row.winner.event.clone(),
        });
    }
    if standings.is_empty() {
        let retracted = store.view(Some(touch.seq)).is_retracted(touch.claim_seq)?;
        standings.push(if retracted {
            "retracted".into()
        } else {
            "not yet known".into()
        });
    }
    let (known, known_form, source) = match &record.event {
        Event::Assert(c) => (c.known, c.known_form, c.source.clone()),
        Event::Deny(d) => (d.known, d.known_form, d.source.clone()),
        // A revision: the source's new published period.
        Event::Source(s) => (Some(s.published), s.published_form, s.id.clone()),
        _ => (None, None, String::new()),
    };
    let known = if source.is_empty() {
        None
    } else {
        Some(Reader::new(store.view(Some(touch.seq))).effective_known(known, &source)?)
    };
    Ok(Some(HistoryStep {
        seq: touch.seq,
        // A source revision has no event id; its source id names it.
        event: match &record.event {
            Event::Source(s) => s.id.clone(),
            other => other.event_id().unwrap_or_default().to_string(),
        },
        op: record.event.op(),
        subject: touch.subject.clone(),
        attribute: touch.attribute.clone(),
        valid,
        claim: claim.id.clone().unwrap_or_default(),
        value: claim.value.clone(),
        known,
        source,
        standings,
        winner,
        certainty,
        valid_form: claim.valid_form,
        known_form,
    }))
}
