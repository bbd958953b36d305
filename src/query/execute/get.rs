//! `get`, `contested`, and `timeline` without `every`: the resolved slots of
//! a selector, streamed one series at a time so that `*.*` over a large
//! store is never held whole.

use super::super::ast::{AttributeSyntax, Reading, Recorded, SelectorSyntax};
use super::super::rows::{series_items, AnswerRow, Cancel, Reply, RowType, StatementKind};
use crate::answer::{self, Row};
use crate::error::Result;
use crate::period::Period;
use crate::resolve::Status;
use crate::store::Store;

/// The slots of `r`, as a `get` (or a plain `timeline`, which answers the
/// same rows under its own name).
pub(super) fn get<'s>(
    store: &'s Store,
    r: &Reading,
    kind: StatementKind,
    cancel: Cancel,
) -> Result<Reply<'s>> {
    let view = store.view(super::names::recorded(store, r.recorded)?);
    let question = super::names::question(&view, r)?;
    let series = cancel.until(answer::get_by_series(view, &question)?);
    Ok(Reply::new(
        view.position,
        kind,
        RowType::Slot,
        slots(series, |_| true),
        cancel,
    ))
}

/// Every slot whose winner is contested, over the selector or everything.
pub(super) fn contested<'s>(
    store: &'s Store,
    selector: Option<&SelectorSyntax>,
    (known, possibly): (Option<Period>, bool),
    recorded: Option<Recorded>,
    cancel: Cancel,
) -> Result<Reply<'s>> {
    let view = store.view(super::names::recorded(store, recorded)?);
    let everything = SelectorSyntax {
        subject: None,
        attribute: AttributeSyntax::Any,
    };
    let reading = Reading {
        selector: selector.cloned().unwrap_or(everything),
        valid: None,
        known,
        possibly,
        recorded,
        filter: Default::default(),
    };
    let question = super::names::question(&view, &reading)?;
    let series = cancel.until(answer::get_by_series(view, &question)?);
    Ok(Reply::new(
        view.position,
        StatementKind::Contested,
        RowType::Slot,
        slots(series, |row| row.status == Status::Contested),
        cancel,
    ))
}

/// The rows of each series in turn that `keep` accepts, as answer rows.
fn slots<'a>(
    series: impl Iterator<Item = Result<Vec<Row>>> + 'a,
    keep: impl Fn(&Row) -> bool + 'a,
) -> impl Iterator<Item = Result<AnswerRow>> + 'a {
    series.flat_map(move |rows| {
        series_items(rows.map(|rows| {
            rows.into_iter()
                .filter(|row| keep(row))
                .map(AnswerRow::Slot)
                .collect()
        }))
    })
}
