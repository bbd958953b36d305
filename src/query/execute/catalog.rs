//! The catalog statements: `sources`, `sources of …`, `source ID`,
//! `subjects` and `attributes` — what the store holds, rather than what it
//! says about the world.

use super::super::ast::SelectorSyntax;
use super::super::rows::{
    AnswerRow, AttributeListing, Cancel, Reply, RowType, SourceDetail, SourceListing,
    SourceRevision, StatementKind, SubjectListing,
};
use crate::answer::{Reader, Selector};
use crate::error::{Error, Result};
use crate::event::Event;
use crate::index::AttributeMatch;
use crate::period::Period;
use crate::storage::Table;
use crate::store::Store;
use crate::validate::did_you_mean;
use std::collections::BTreeMap;

pub(super) fn sources<'s>(
    store: &'s Store,
    of: Option<&SelectorSyntax>,
    cancel: Cancel,
) -> Result<Reply<'s>> {
    let view = store.view(None);
    let mut cited: BTreeMap<String, usize> = BTreeMap::new();
    let sel = match of {
        Some(s) => super::names::selector(&view, s)?,
        None => Selector {
            subject: None,
            attribute: AttributeMatch::Any,
        },
    };
    for (subject, attribute) in view.series(sel.subject.as_deref(), &sel.attribute)? {
        for c in view.claims(&subject, &attribute, &Period::ALL)? {
            *cited.entry(c.entry.source).or_default() += 1;
        }
    }
    let reader = Reader::new(view);
    let mut rows = Vec::new();
    for id in view.names(Table::Sources)? {
        let count = cited.get(&id).copied().unwrap_or(0);
        if of.is_some() && count == 0 {
            continue;
        }
        let Some(seq) = view.source_seq(&id)? else {
            continue;
        };
        let Event::Source(s) = reader.record(seq)?.event else {
            continue;
        };
        rows.push(AnswerRow::Source(SourceListing {
            id: s.id,
            published: s.published,
            publisher: s.publisher,
            title: s.title,
            claims: count,
        }));
    }
    Ok(Reply::from_rows(
        view.position,
        StatementKind::Sources,
        RowType::Source,
        rows,
        cancel,
    ))
}

pub(super) fn show_source<'s>(store: &'s Store, id: &str, cancel: Cancel) -> Result<Reply<'s>> {
    let view = store.view(None);
    let Some(seq) = view.source_seq(id)? else {
        let known = view.names(Table::Sources)?;
        return Err(Error::Unknown {
            what: "source",
            id: id.to_string(),
            hint: did_you_mean(id, &known),
        });
    };
    let Event::Source(s) = Reader::new(view).record(seq)?.event else {
        return Err(Error::Corrupt(format!(
            "the source index names record {seq}, which is not a source"
        )));
    };
    // The dates of the revisions are in the index; only the revision shown
    // is read from the log.
    let revisions = view
        .source_revisions(id)?
        .into_iter()
        .map(|(seq, published)| SourceRevision { seq, published })
        .collect();
    let row = AnswerRow::SourceText(SourceDetail {
        id: s.id,
        title: s.title,
        publisher: s.publisher,
        published: s.published,
        url: s.url,
        note: s.note,
        text: s.text,
        revised_at_seq: seq,
        revisions,
    });
    Ok(Reply::from_rows(
        view.position,
        StatementKind::Source,
        RowType::SourceText,
        vec![row],
        cancel,
    ))
}

pub(super) fn subjects<'s>(store: &'s Store, cancel: Cancel) -> Result<Reply<'s>> {
    let view = store.view(None);
    // Series come ordered by attribute first; gather each subject's.
    let mut subjects: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (subject, attribute) in view.series(None, &AttributeMatch::Any)? {
        subjects.entry(subject).or_default().push(attribute);
    }
    let rows = subjects
        .into_iter()
        .map(|(subject, attributes)| {
            AnswerRow::Subject(SubjectListing {
                subject,
                attributes,
            })
        })
        .collect();
    Ok(Reply::from_rows(
        view.position,
        StatementKind::Subjects,
        RowType::Subject,
        rows,
        cancel,
    ))
}

pub(super) fn attributes<'s>(store: &'s Store, cancel: Cancel) -> Result<Reply<'s>> {
    let view = store.view(None);
    let series = view.series(None, &AttributeMatch::Any)?;
    let mut rows = Vec::new();
    for name in view.names(Table::Attributes)? {
        let Some(d) = view.definition(&name)? else {
            continue;
        };
        rows.push(AnswerRow::Attribute(AttributeListing {
            subjects: series.iter().filter(|(_, a)| *a == name).count(),
            attribute: d.attribute,
            kind: d.kind,
            unit: d.unit,
            doc: d.doc,
        }));
    }
    Ok(Reply::from_rows(
        view.position,
        StatementKind::Attributes,
        RowType::Attribute,
        rows,
        cancel,
    ))
}
