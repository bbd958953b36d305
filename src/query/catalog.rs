//! The catalog statements: `sources`, `sources of …`, `source ID`,
//! `subjects` and `attributes` — what the store holds, rather than what it
//! says about the world.

use super::ast::SelectorSyntax;
use super::execute::{output, selector, Output};
use crate::answer::{Reader, Selector};
use crate::error::{Error, Result};
use crate::event::Event;
use crate::period::Period;
use crate::projection::AttributeMatch;
use crate::storage::Table;
use crate::store::Store;
use crate::validate::did_you_mean;
use serde_json::{json, Map, Value as Json};

pub(super) fn sources(store: &Store, of: Option<&SelectorSyntax>) -> Result<Output> {
    let view = store.view(None);
    let mut cited: std::collections::BTreeMap<String, usize> = Default::default();
    let sel = match of {
        Some(s) => selector(&view, s)?,
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
        let mut m = Map::new();
        m.insert("id".into(), json!(s.id));
        m.insert("published".into(), json!(s.published.to_string()));
        m.insert("publisher".into(), json!(s.publisher));
        m.insert("title".into(), json!(s.title));
        m.insert("claims".into(), json!(count));
        rows.push(m);
    }
    Ok(output(
        view.position,
        "sources",
        &["id", "published", "publisher", "title", "claims"],
        rows,
    ))
}

pub(super) fn show_source(store: &Store, id: &str) -> Result<Output> {
    let view = store.view(None);
    let Some(seq) = view.source_seq(id)? else {
        let known = view.names(Table::Sources)?;
        return Err(Error::InvalidInput(format!(
            "unknown source '{id}'{}",
            did_you_mean(id, &known)
        )));
    };
    let Event::Source(s) = Reader::new(view).record(seq)?.event else {
        return Err(Error::Corrupt(format!(
            "the source index names record {seq}, which is not a source"
        )));
    };
    let mut m = Map::new();
    m.insert("id".into(), json!(s.id));
    m.insert("title".into(), json!(s.title));
    m.insert("publisher".into(), json!(s.publisher));
    m.insert("published".into(), json!(s.published.to_string()));
    m.insert("url".into(), json!(s.url));
    m.insert("note".into(), json!(s.note));
    // Tables show the start of the text; JSON carries all of it.
    let excerpt = s.text.as_deref().map(|t| {
        let flat = crate::verify::normalize(t);
        match flat.char_indices().nth(160) {
            Some((i, _)) => format!("{}…", &flat[..i]),
            None => flat,
        }
    });
    m.insert("text".into(), json!(s.text));
    m.insert("excerpt".into(), json!(excerpt));
    m.insert("revised_at_seq".into(), json!(seq));
    Ok(output(
        view.position,
        "source",
        &["id", "title", "publisher", "published", "url", "excerpt"],
        vec![m],
    ))
}

pub(super) fn subjects(store: &Store) -> Result<Output> {
    let view = store.view(None);
    let mut rows: Vec<Map<String, Json>> = Vec::new();
    for (subject, attribute) in view.series(None, &AttributeMatch::Any)? {
        if rows
            .last()
            .and_then(|m| m.get("subject"))
            .and_then(Json::as_str)
            != Some(subject.as_str())
        {
            let mut m = Map::new();
            m.insert("subject".into(), json!(subject));
            m.insert("attributes".into(), json!([]));
            rows.push(m);
        }
        if let Some(Json::Array(list)) = rows.last_mut().and_then(|m| m.get_mut("attributes")) {
            list.push(json!(attribute));
        }
    }
    rows.sort_by(|a, b| {
        a.get("subject")
            .and_then(Json::as_str)
            .cmp(&b.get("subject").and_then(Json::as_str))
    });
    // Series come ordered by attribute first; merge subjects split apart.
    let mut merged: Vec<Map<String, Json>> = Vec::new();
    for row in rows {
        match merged.last_mut() {
            Some(last) if last.get("subject") == row.get("subject") => {
                if let (Some(Json::Array(a)), Some(Json::Array(b))) =
                    (last.get_mut("attributes"), row.get("attributes"))
                {
                    a.extend(b.iter().cloned());
                }
            }
            _ => merged.push(row),
        }
    }
    Ok(output(
        view.position,
        "subjects",
        &["subject", "attributes"],
        merged,
    ))
}

pub(super) fn attributes(store: &Store) -> Result<Output> {
    let view = store.view(None);
    let series = view.series(None, &AttributeMatch::Any)?;
    let mut rows = Vec::new();
    for name in view.names(Table::Attributes)? {
        let Some(d) = view.definition(&name)? else {
            continue;
        };
        let mut m = Map::new();
        m.insert("attribute".into(), json!(d.attribute));
        m.insert("kind".into(), json!(d.kind.name()));
        m.insert("unit".into(), json!(d.unit));
        m.insert(
            "subjects".into(),
            json!(series.iter().filter(|(_, a)| *a == name).count()),
        );
        m.insert("doc".into(), json!(d.doc));
        rows.push(m);
    }
    Ok(output(
        view.position,
        "attributes",
        &["attribute", "kind", "unit", "subjects", "doc"],
        rows,
    ))
}
