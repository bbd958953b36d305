//! The executor: answers a parsed [`Statement`] with the store's typed API
//! and returns a [`Reply`] of typed rows, one module per statement family:
//!
//! - `get`: `get`, `contested`, and `timeline` without `every` — resolved
//!   slots, streamed one series at a time;
//! - `claims`: the claims themselves, each with its status, filtered by
//!   `where`;
//! - `history`: every event of a slot, in log order, with its standing;
//! - `curve`: the knowledge curve, each slot's answer as known time
//!   advances;
//! - `timeline`: `timeline … every`, calendar buckets, one series at a time;
//! - `diff`: what changed in knowledge between two moments;
//! - `explain`: every candidate of a slot and why it won or lost, one
//!   series at a time;
//! - `catalog`: `sources`, `source ID`, `subjects`, `attributes`;
//! - `show`: one event whole, its quote in its source's context;
//! - `write`: the writing statements, each one batch.
//!
//! Every reading statement first checks the names it mentions (an unknown
//! subject or attribute is an error with a "did you mean"), then reads
//! through one view of the index so that the whole answer comes from one log
//! position, which the reply reports as `log_seq`. Nothing here formats
//! text for people or programs: that is [`super::render`]'s job.

mod catalog;
mod claims;
mod curve;
mod diff;
mod explain;
mod get;
mod history;
mod names;
mod show;
mod timeline;
mod write;

use super::ast::*;
use super::rows::{Cancel, Reply, StatementKind};
use crate::error::Result;
use crate::store::Store;

/// Answers one statement; `cancel` stops the reply between two rows.
pub fn execute<'s>(store: &'s Store, statement: &Statement, cancel: &Cancel) -> Result<Reply<'s>> {
    let cancel = cancel.clone();
    match statement {
        Statement::Get(r) => get::get(store, r, StatementKind::Get, cancel),
        Statement::Contested {
            selector,
            known,
            possibly,
            recorded,
        } => get::contested(
            store,
            selector.as_ref(),
            (*known, *possibly),
            *recorded,
            cancel,
        ),
        Statement::History(r) => history::history(store, r, cancel),
        Statement::Curve(r) => curve::curve(store, r, cancel),
        Statement::Claims(r) => claims::claims(store, r, cancel),
        Statement::Timeline {
            reading,
            every: None,
        } => get::get(store, reading, StatementKind::Timeline, cancel),
        Statement::Timeline {
            reading,
            every: Some((unit, aggregate)),
        } => timeline::timeline(store, reading, *unit, *aggregate, cancel),
        Statement::Diff {
            selector,
            valid,
            before,
            after,
        } => diff::diff(store, selector, *valid, *before, *after, cancel),
        Statement::Explain(r) => explain::explain(store, r, cancel),
        Statement::Sources { of } => catalog::sources(store, of.as_ref(), cancel),
        Statement::ShowSource(id) => catalog::show_source(store, id, cancel),
        Statement::Show(id) => show::show(store, id, cancel),
        Statement::Subjects => catalog::subjects(store, cancel),
        Statement::Attributes => catalog::attributes(store, cancel),
        // A write is one batch, committed or not: it is never reported as
        // cancelled after it landed.
        Statement::Write(event) => write::append(store, event, Cancel::new()),
        Statement::Limit(statement, n) => {
            let reply = execute(store, statement, &cancel)?;
            let n = usize::try_from(*n).unwrap_or(usize::MAX);
            Ok(reply.limit(n))
        }
    }
}
