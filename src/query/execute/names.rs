//! Checking the names a statement mentions against the store: an unknown
//! subject or attribute is an error with a "did you mean", never an empty
//! answer. Every reading statement's executor starts here.

use super::super::ast::{AttributeSyntax, Reading, Recorded, SelectorSyntax};
use crate::answer::{EventFilter, Get, Selector};
use crate::error::{Error, Result};
use crate::index::{AttributeMatch, View};
use crate::storage::Table;
use crate::store::Store;
use crate::validate::did_you_mean;

/// Checks a selector's names against the store and makes it typed.
pub(super) fn selector(view: &View<'_>, syntax: &SelectorSyntax) -> Result<Selector> {
    if let Some(subject) = &syntax.subject {
        if !view.has_subject(subject)? {
            let known = view.subject_names()?;
            return Err(Error::InvalidInput(format!(
                "unknown subject '{subject}'{}",
                did_you_mean(subject, &known)
            )));
        }
    }
    let attribute = match &syntax.attribute {
        AttributeSyntax::Exact(a) => {
            if view.kind(a)?.is_none() {
                let everything = View {
                    position: u64::MAX,
                    ..*view
                };
                if everything.kind(a)?.is_some() {
                    return Err(Error::InvalidInput(format!(
                        "attribute '{a}' is not yet defined at log position {} (it is defined later in the log)",
                        view.position
                    )));
                }
                let known = view.names(Table::Attributes)?;
                return Err(Error::InvalidInput(format!(
                    "unknown attribute '{a}'{}",
                    did_you_mean(a, &known)
                )));
            }
            AttributeMatch::Exact(a.clone())
        }
        AttributeSyntax::Under(a) => AttributeMatch::Prefix(format!("{a}.")),
        AttributeSyntax::Any => AttributeMatch::Any,
    };
    Ok(Selector {
        subject: syntax.subject.clone(),
        attribute,
    })
}

/// The log position `as recorded at …` names: a seq as given, or the last
/// record written before a period ends.
pub(super) fn recorded(store: &Store, recorded: Option<Recorded>) -> Result<Option<u64>> {
    match recorded {
        None => Ok(None),
        Some(Recorded::Seq(n)) => Ok(Some(n)),
        Some(Recorded::Before(p)) => match p.end {
            Some(end) => store
                .position_recorded_before(end.start_of_day_micros())
                .map(Some),
            None => Ok(None),
        },
    }
}

/// A `where source = X` names a source the store has, or is an error with a
/// "did you mean": a typo must not look like an empty answer.
pub(super) fn check_source(view: &View<'_>, source: Option<&str>) -> Result<()> {
    let Some(source) = source else {
        return Ok(());
    };
    if view.source_seq(source)?.is_some() {
        return Ok(());
    }
    let known = view.names(Table::Sources)?;
    Err(Error::InvalidInput(format!(
        "unknown source '{source}'{}",
        did_you_mean(source, &known)
    )))
}

/// The typed `get` a reading statement asks, at the view's position.
pub(super) fn question(view: &View<'_>, r: &Reading) -> Result<Get> {
    check_source(view, r.filter.source.as_deref())?;
    Ok(Get {
        selector: selector(view, &r.selector)?,
        valid: r.valid,
        known: r.known,
        possibly: r.possibly,
        recorded: Some(view.position),
        filter: EventFilter {
            source: r.filter.source.clone(),
            modality: r.filter.modality,
            quote_contains: r.filter.quote_contains.clone(),
        },
    })
}
