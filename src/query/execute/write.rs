//! The writing statements (`define`, `source`, `assert`, `deny`,
//! `retract`): each carries its event, appended as a batch of one.

use super::super::rows::{AnswerRow, Cancel, Reply, RowType, StatementKind, Written};
use crate::error::{Error, Result};
use crate::event::Event;
use crate::store::Store;

pub(super) fn append<'s>(store: &'s Store, event: &Event, cancel: Cancel) -> Result<Reply<'s>> {
    let op = event.op();
    let appended = store.append(vec![event.clone()]).map_err(|e| match e {
        Error::Rejected { field, message, .. } => {
            Error::InvalidInput(format!("{op} refused, '{field}': {message}"))
        }
        other => other,
    })?;
    let row = AnswerRow::Written(Written {
        seq: appended.last_seq,
        op,
        event: appended.ids.first().cloned().flatten(),
    });
    Ok(Reply::from_rows(
        appended.last_seq,
        StatementKind::Write,
        RowType::Written,
        vec![row],
        cancel,
    ))
}
