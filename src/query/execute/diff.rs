//! `diff`: what changed in knowledge between two moments (two known times
//! or two log positions): slots that are new, changed, denied, gone
//! (retracted), or whose status changed. Both answers are compared on the
//! pieces cut by every boundary of either, so period slots compare exactly
//! and state runs compare day by day; neighbouring pieces with the same
//! change are merged back into one row.

use super::super::ast::{Moment, SelectorSyntax};
use super::super::rows::{
    AnswerRow, Cancel, Change, ChangeKind, Reply, RowType, SlotState, StatementKind,
};
use crate::answer::{Get, Row};
use crate::error::Result;
use crate::event::Kind;
use crate::period::Period;
use crate::resolve::{self, Status};
use crate::store::Store;

pub(super) fn diff<'s>(
    store: &'s Store,
    syntax: &SelectorSyntax,
    valid: Option<Period>,
    before: Moment,
    after: Moment,
    cancel: Cancel,
) -> Result<Reply<'s>> {
    // The first moment must come first: going back, a slot that was not
    // yet known would read as retracted.
    let reversed = match (before, after) {
        (Moment::Known(a), Moment::Known(b)) => a.end_key() > b.end_key(),
        (Moment::Seq(a), Moment::Seq(b)) => a > b,
        _ => false,
    };
    if reversed {
        return Err(crate::error::Error::InvalidInput(format!(
            "diff compares an earlier moment with a later one, and {before} comes after {after}; write 'between {after} and {before}'"
        )));
    }
    let view = store.view(None);
    let sel = super::names::selector(&view, syntax)?;
    let at = |m: Moment| -> Result<Vec<Row>> {
        let (known, recorded) = match m {
            // Both answers come from the one position the reply reports.
            Moment::Known(p) => (Some(p), Some(view.position)),
            Moment::Seq(n) => (None, Some(n)),
        };
        Ok(store
            .get(&Get {
                selector: sel.clone(),
                valid,
                known,
                recorded,
                filter: Default::default(),
                possibly: false,
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
        // Computed whole: a cancelled statement stops between two series.
        if cancel.is_cancelled() {
            return Err(crate::error::Error::Cancelled);
        }
        let pick = |rows: &[Row]| -> Vec<Row> {
            rows.iter()
                .filter(|r| r.subject == subject && r.attribute == attribute)
                .cloned()
                .collect()
        };
        let kind = view.kind(&attribute)?.unwrap_or(Kind::Period);
        for mut change in changes(&pick(&old), &pick(&new), kind) {
            change.subject = subject.clone();
            change.attribute = attribute.clone();
            rows.push(AnswerRow::Change(change));
        }
    }
    Ok(Reply::from_rows(
        view.position,
        StatementKind::Diff,
        RowType::Change,
        rows,
        cancel,
    ))
}

/// The changes from `a` to `b`, the rows of one series at two moments
/// (subject and attribute left for the caller to fill in).
fn changes<'r>(a: &'r [Row], b: &'r [Row], kind: Kind) -> Vec<Change> {
    let valids: Vec<Period> = a.iter().chain(b.iter()).map(|r| r.valid).collect();
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
    let find = |rows: &'r [Row], piece: &Period| -> Option<&'r Row> {
        rows.iter().find(|r| {
            if kind == Kind::State {
                r.valid.intersect(piece) == Some(*piece)
            } else {
                r.valid == *piece
            }
        })
    };
    let state = |r: &Row| SlotState {
        value: r.winner.value.clone(),
        status: r.status,
        event: r.winner.event.clone(),
    };
    let mut out: Vec<Change> = Vec::new();
    // Whether the last piece pushed ends where the next may continue it.
    let mut open = false;
    for piece in pieces {
        let (x_row, y_row) = (find(a, &piece), find(b, &piece));
        // A period slot prints as its winner wrote it (SPEC §3); a state
        // piece plainly.
        let valid_form = y_row.or(x_row).and_then(|r| r.valid_form);
        let (x, y) = (x_row.map(state), y_row.map(state));
        let change = match (&x, &y) {
            (None, None) => None,
            (None, Some(_)) => Some(ChangeKind::New),
            (Some(_), None) => Some(ChangeKind::Retracted),
            (Some(p), Some(q)) => {
                if q.status == Status::Denied && p.status != Status::Denied {
                    Some(ChangeKind::Denied)
                } else if p.value != q.value || p.event != q.event {
                    Some(ChangeKind::Changed)
                } else if p.status != q.status {
                    Some(ChangeKind::Status)
                } else {
                    None
                }
            }
        };
        let Some(change) = change else {
            open = false;
            continue;
        };
        match out.last_mut() {
            Some(last)
                if open
                    && last.change == change
                    && last.before == x
                    && last.after == y
                    && last.valid.end == piece.start =>
            {
                last.valid.end = piece.end;
            }
            _ => out.push(Change {
                change,
                subject: String::new(),
                attribute: String::new(),
                valid: piece,
                before: x,
                after: y,
                valid_form,
            }),
        }
        open = true;
    }
    out
}
