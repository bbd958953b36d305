//! The events of the log (SPEC §2): definitions, sources, claims, denials and
//! retractions. These are the only things ever written; every answer is
//! computed from them.
//!
//! The structs here are plain data. Whether an event may be appended (its
//! source exists, its target is an assert, its id is free) depends on the log
//! before it and is decided by the store's validator, not here; what this
//! module checks is only what can be judged from the event alone, such as the
//! spelling of names ([`check_name`]).

use crate::dating::Dating;
use crate::period::Period;
use crate::value::Value;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One event as written to the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Event {
    Define(Definition),
    Source(Source),
    Assert(Claim),
    Deny(Denial),
    Retract(Retraction),
}

impl Event {
    /// The op name used by the import format.
    pub fn op(&self) -> &'static str {
        match self {
            Event::Define(_) => "define",
            Event::Source(_) => "source",
            Event::Assert(_) => "assert",
            Event::Deny(_) => "deny",
            Event::Retract(_) => "retract",
        }
    }

    /// The event id of a claim, denial or retraction, once assigned.
    pub fn event_id(&self) -> Option<&str> {
        match self {
            Event::Assert(c) => c.id.as_deref(),
            Event::Deny(d) => d.id.as_deref(),
            Event::Retract(r) => r.id.as_deref(),
            Event::Define(_) | Event::Source(_) => None,
        }
    }

    pub(crate) fn event_id_mut(&mut self) -> Option<&mut Option<String>> {
        match self {
            Event::Assert(c) => Some(&mut c.id),
            Event::Deny(d) => Some(&mut d.id),
            Event::Retract(r) => Some(&mut r.id),
            Event::Define(_) | Event::Source(_) => None,
        }
    }
}

/// How an attribute's claims divide into slots (SPEC §5). (Renaming
/// changes only the typed JSON form: bincode writes variants by index.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Flows and totals over a period: the slot is the exact valid period.
    Period,
    /// What holds on each day: claims compete day by day.
    State,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Period => "period",
            Kind::State => "state",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        match name.to_ascii_lowercase().as_str() {
            "period" => Some(Kind::Period),
            "state" => Some(Kind::State),
            _ => None,
        }
    }
}

/// How a claim was meant by its source. (Renaming changes only the typed
/// JSON form: bincode writes variants by index.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Modality {
    Fact,
    Plan,
    Forecast,
    Considered,
}

impl Modality {
    pub const ALL: [Modality; 4] = [
        Modality::Fact,
        Modality::Plan,
        Modality::Forecast,
        Modality::Considered,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Modality::Fact => "fact",
            Modality::Plan => "plan",
            Modality::Forecast => "forecast",
            Modality::Considered => "considered",
        }
    }

    pub fn from_name(name: &str) -> Option<Modality> {
        Modality::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Modality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `define`: an attribute, its kind, unit and one-line doc.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Definition {
    pub attribute: String,
    pub kind: Kind,
    pub unit: Option<String>,
    pub doc: Option<String>,
}

/// `source`: a document that claims are cited from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub id: String,
    pub title: String,
    pub publisher: String,
    pub published: Period,
    pub url: Option<String>,
    /// The full text or the quoted excerpt, so that quotes can be verified.
    pub text: Option<String>,
    pub note: Option<String>,
    /// `published` as written, when that says more than the period: a
    /// qualifier or unspecified digits (SPEC §3). `published` is then its
    /// possible extent.
    pub published_form: Option<Dating>,
}

/// `assert`: subject.attribute = value over a valid period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// Given by the writer, or `e<seq>` assigned on append.
    pub id: Option<String>,
    pub subject: String,
    pub attribute: String,
    pub valid: Period,
    pub value: Value,
    /// When it became known; `None` means "when the source was published",
    /// read from the source revision in force at the time of the question.
    pub known: Option<Period>,
    pub source: String,
    pub quote: Option<String>,
    pub modality: Modality,
    pub note: Option<String>,
    /// `valid` as written, when that says more than the period: a
    /// qualifier, unspecified digits or an unknown end (SPEC §3). `valid`
    /// is then its possible extent, and this gives the certain one.
    pub valid_form: Option<Dating>,
    /// `known` as written, likewise (a qualifier or unspecified digits).
    pub known_form: Option<Dating>,
}

impl Claim {
    /// The days the claim certainly covers (all of `valid` unless its
    /// written form is vague), if any.
    pub fn certain_valid(&self) -> Option<Period> {
        match &self.valid_form {
            Some(form) => form.certain(),
            None => Some(self.valid),
        }
    }

    /// `valid` as it prints: the written form when there is one.
    pub fn valid_text(&self) -> String {
        written(&self.valid_form, self.valid)
    }
}

/// A period as it prints: its written form when there is one.
pub fn written(form: &Option<Dating>, period: Period) -> String {
    match form {
        Some(form) => form.to_string(),
        None => period.to_string(),
    }
}

/// A written period split into what the log keeps: its possible extent,
/// and the written form when that says more.
pub fn split_dating(dating: Dating) -> (Period, Option<Dating>) {
    let form = dating.plain().is_err().then_some(dating);
    (dating.possible(), form)
}

/// `deny`: a source denies an earlier claim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Denial {
    pub id: Option<String>,
    /// The event id of the denied claim.
    pub target: String,
    pub known: Option<Period>,
    pub source: String,
    pub quote: Option<String>,
    /// `known` as written, when that says more than the period.
    pub known_form: Option<Dating>,
}

/// `retract`: the recording of an assert or deny was wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Retraction {
    pub id: Option<String>,
    pub target: String,
    pub reason: String,
}

/// What a name is, for the messages of [`check_name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// `china`, `united_states`: lower-case snake case.
    Subject,
    /// `export_quota`, `mining_tax.light`: snake-case segments joined by dots.
    Attribute,
    /// Source and event ids: letters, digits, `-`, `_`, `.`, `:` and `/`.
    Id,
}

/// Checks the spelling of a subject, attribute or id, returning what is wrong.
/// The longest subject, attribute or id, in bytes: a name is read by a
/// person in a table, and a 10 MB one would only slow every table down.
pub const MAX_NAME_BYTES: usize = 200;

pub fn check_name(kind: NameKind, name: &str) -> Result<(), String> {
    if name.len() > MAX_NAME_BYTES {
        let start: String = name.chars().take(40).collect();
        let what = match kind {
            NameKind::Subject => "a subject",
            NameKind::Attribute => "an attribute name",
            NameKind::Id => "an id",
        };
        return Err(format!(
            "'{start}…' is {} bytes long; {what} is at most {MAX_NAME_BYTES} bytes",
            name.len()
        ));
    }
    let snake = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && !s.starts_with('_')
    };
    let ok = match kind {
        NameKind::Subject => snake(name),
        NameKind::Attribute => name.split('.').all(snake),
        NameKind::Id => {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.:/".contains(c))
                && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        }
    };
    if ok {
        return Ok(());
    }
    Err(match kind {
        NameKind::Subject => {
            format!("'{name}' is not a subject: use lower-case snake case such as 'united_states'")
        }
        NameKind::Attribute => {
            format!("'{name}' is not an attribute name: use lower-case snake case, with dots between parts (e.g. 'mining_tax.light')")
        }
        NameKind::Id => {
            format!("'{name}' is not an id: start with a letter or digit and use only letters, digits, '-', '_', '.', ':' and '/'")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_spelling_rules() {
        assert!(check_name(NameKind::Subject, "united_states").is_ok());
        assert!(check_name(NameKind::Subject, "China").is_err());
        assert!(check_name(NameKind::Subject, "a.b").is_err());
        assert!(check_name(NameKind::Attribute, "mining_tax.light").is_ok());
        assert!(check_name(NameKind::Attribute, "mining_tax.").is_err());
        assert!(check_name(NameKind::Id, "wsj-2010-10-19").is_ok());
        assert!(check_name(NameKind::Id, "has space").is_err());
        assert!(check_name(NameKind::Id, "").is_err());
    }

    #[test]
    fn modality_and_kind_names_round_trip() {
        for m in Modality::ALL {
            assert_eq!(Modality::from_name(m.name()), Some(m));
        }
        assert_eq!(Kind::from_name("STATE"), Some(Kind::State));
        assert_eq!(Kind::from_name("flow"), None);
    }
}
