//! The writing statements (`define`, `source`, `assert`, `deny`,
//! `retract`): each becomes one event, appended as a batch of one.

use super::super::ast::Statement;
use super::super::rows::{AnswerRow, Cancel, Reply, RowType, StatementKind, Written};
use crate::error::{Error, Result};
use crate::event::{Claim, Definition, Denial, Event, Modality, Retraction, Source};
use crate::store::Store;

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

pub(super) fn append<'s>(
    store: &'s Store,
    statement: &Statement,
    cancel: Cancel,
) -> Result<Reply<'s>> {
    let event =
        to_event(statement).ok_or_else(|| Error::InvalidInput("not a writing statement".into()))?;
    let op = event.op();
    let appended = store.append(vec![event]).map_err(|e| match e {
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
