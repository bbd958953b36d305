//! The syntax tree of the query language: what a statement *says*, nothing
//! about how it is answered. Literals (periods, values) are already parsed;
//! names are not yet checked against the store.
//!
//! `Display` prints every statement in one canonical spelling that parses
//! back to the same tree (tested in `parser.rs`), which is also how the REPL
//! echoes and how `query -f` error lines can be reproduced.

use crate::event::{Event, Modality};
use crate::period::Period;
use crate::syntax::quote_text;
use std::fmt;

/// One statement: a question or a write.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// `china.export_quota for 2011 as known oct 2010`
    Get(Reading),
    /// `history china.export_quota_change for 2011`
    History(Reading),
    /// `curve china.export_quota_change for 2011`: the knowledge curve, the
    /// answer of each slot as known time advances.
    Curve(Reading),
    /// `claims *.* where source = wsj-2010-10-19 as known 2011`: the claims
    /// themselves, each with its status as of the question.
    Claims(Reading),
    /// `timeline prices.ndpr_oxide from 2010 to 2012 every month avg`
    Timeline {
        reading: Reading,
        every: Option<(Unit, Aggregate)>,
    },
    /// `diff china.* between oct 2010 and 2019`
    Diff {
        selector: SelectorSyntax,
        valid: Option<Period>,
        before: Moment,
        after: Moment,
    },
    /// `explain china.export_quota_change for 2011 as known nov 2010`
    Explain(Reading),
    /// `contested as known 2011`, `contested china.* as known 2011`
    Contested {
        selector: Option<SelectorSyntax>,
        known: Option<Period>,
        /// `as possibly known` (SPEC §3), as on a get.
        possibly: bool,
        recorded: Option<Recorded>,
    },
    /// `sources`, `sources of china.export_quota`
    Sources {
        of: Option<SelectorSyntax>,
    },
    /// `source wsj-2010-10-19`
    ShowSource(String),
    /// `show wsj-2010-10-19-quota-cut-2011`: one event whole.
    Show(String),
    Subjects,
    Attributes,
    /// Any reading statement followed by `limit N`: its first N rows.
    Limit(Box<Statement>, u64),
    /// A write: `define attribute …`, `source ID published …`, `assert …`,
    /// `deny …`, `retract …`. The statement carries the event itself (the
    /// one schema of events, `event.rs`); executing it appends that event
    /// as a batch of one.
    Write(Event),
}

/// `subject.attribute` with `*` for a whole segment and `.*` for a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorSyntax {
    /// `None` is `*`.
    pub subject: Option<String>,
    pub attribute: AttributeSyntax,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeSyntax {
    Exact(String),
    /// `mining_tax.*`: the text before `.*`.
    Under(String),
    Any,
}

/// The clauses shared by reading statements.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub selector: SelectorSyntax,
    /// `for P` or `from A to B`, as the interval it denotes.
    pub valid: Option<Period>,
    /// `as known P`, `as known in P`, `as of P`.
    pub known: Option<Period>,
    /// `as possibly known P`: claims and denials whose known period had
    /// begun by then count too, only possibly (SPEC §3).
    pub possibly: bool,
    /// `as recorded at seq N` or `as recorded at <date>`.
    pub recorded: Option<Recorded>,
    /// `where …` (gets and `claims` only).
    pub filter: Filter,
}

/// Which log position an answer is computed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// `as recorded at seq N`
    Seq(u64),
    /// `as recorded at 2026-11-20`: the last position recorded before the
    /// period ends (timestamps are UTC).
    Before(Period),
}

impl fmt::Display for Recorded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Recorded::Seq(n) => write!(f, "as recorded at seq {n}"),
            Recorded::Before(p) => write!(f, "as recorded at {p}"),
        }
    }
}

/// The conditions of a `where` clause, joined with `and`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// `source = ID`
    pub source: Option<String>,
    /// `modality = fact|plan|forecast|considered`
    pub modality: Option<Modality>,
    /// `status = …`: needs resolution, so `claims` only.
    pub status: Option<ClaimStatus>,
    /// `quote contains 'text'`, ignoring case.
    pub quote_contains: Option<String>,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }
}

/// A claim's status in a `claims` listing: its winner's status when it
/// wins its slot, its standing beside the winner when it does not, or
/// `retracted`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClaimStatus {
    Current,
    Contested,
    Denied,
    Agrees,
    Superseded,
    Conflicting,
    Retracted,
}

impl ClaimStatus {
    pub const ALL: [(ClaimStatus, &'static str); 7] = [
        (ClaimStatus::Current, "current"),
        (ClaimStatus::Contested, "contested"),
        (ClaimStatus::Denied, "denied"),
        (ClaimStatus::Agrees, "agrees"),
        (ClaimStatus::Superseded, "superseded"),
        (ClaimStatus::Conflicting, "conflicting"),
        (ClaimStatus::Retracted, "retracted"),
    ];

    pub fn name(self) -> &'static str {
        ClaimStatus::ALL
            .iter()
            .find(|(s, _)| *s == self)
            .map_or("current", |(_, n)| n)
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut conditions = Vec::new();
        if let Some(s) = &self.source {
            conditions.push(format!("source = {s}"));
        }
        if let Some(m) = self.modality {
            conditions.push(format!("modality = {m}"));
        }
        if let Some(s) = self.status {
            conditions.push(format!("status = {}", s.name()));
        }
        if let Some(q) = &self.quote_contains {
            conditions.push(format!("quote contains {}", quote_text(q)));
        }
        write!(f, "where {}", conditions.join(" and "))
    }
}

/// A point of comparison for `diff`: a known time or a log position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    Known(Period),
    Seq(u64),
}

/// The bucket size of `timeline … every <unit>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Decade,
    Year,
    Half,
    Quarter,
    Month,
    Day,
}

/// How `timeline … every` summarises a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Aggregate {
    First,
    Last,
    Min,
    Max,
    Avg,
    /// Period attributes only; never double-counts nested slots.
    Sum,
    Count,
}

impl Unit {
    pub const ALL: [(Unit, &'static str); 6] = [
        (Unit::Decade, "decade"),
        (Unit::Year, "year"),
        (Unit::Half, "half"),
        (Unit::Quarter, "quarter"),
        (Unit::Month, "month"),
        (Unit::Day, "day"),
    ];

    pub fn name(self) -> &'static str {
        Unit::ALL
            .iter()
            .find(|(u, _)| *u == self)
            .map(|(_, n)| *n)
            .unwrap_or("day")
    }
}

impl Aggregate {
    pub const ALL: [(Aggregate, &'static str); 7] = [
        (Aggregate::First, "first"),
        (Aggregate::Last, "last"),
        (Aggregate::Min, "min"),
        (Aggregate::Max, "max"),
        (Aggregate::Avg, "avg"),
        (Aggregate::Sum, "sum"),
        (Aggregate::Count, "count"),
    ];

    pub fn name(self) -> &'static str {
        Aggregate::ALL
            .iter()
            .find(|(a, _)| *a == self)
            .map(|(_, n)| *n)
            .unwrap_or("count")
    }
}

impl fmt::Display for SelectorSyntax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.subject.as_deref().unwrap_or("*"))?;
        match &self.attribute {
            AttributeSyntax::Exact(a) => write!(f, ".{a}"),
            AttributeSyntax::Under(a) => write!(f, ".{a}.*"),
            AttributeSyntax::Any => f.write_str(".*"),
        }
    }
}

impl fmt::Display for Reading {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.selector)?;
        if let Some(valid) = self.valid {
            write!(f, " for {valid}")?;
        }
        if let Some(known) = self.known {
            let possibly = if self.possibly { "possibly " } else { "" };
            write!(f, " as {possibly}known {known}")?;
        }
        if let Some(recorded) = self.recorded {
            write!(f, " {recorded}")?;
        }
        if !self.filter.is_empty() {
            write!(f, " {}", self.filter)?;
        }
        Ok(())
    }
}

impl fmt::Display for Moment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Moment::Known(p) => write!(f, "{p}"),
            Moment::Seq(n) => write!(f, "seq {n}"),
        }
    }
}

fn optional(f: &mut fmt::Formatter<'_>, keyword: &str, text: &Option<String>) -> fmt::Result {
    match text {
        Some(t) => write!(f, " {keyword} {}", quote_text(t)),
        None => Ok(()),
    }
}

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Statement::Get(r) => write!(f, "{r}"),
            Statement::History(r) => write!(f, "history {r}"),
            Statement::Curve(r) => write!(f, "curve {r}"),
            Statement::Claims(r) => write!(f, "claims {r}"),
            Statement::Explain(r) => write!(f, "explain {r}"),
            Statement::Timeline { reading, every } => {
                write!(f, "timeline {reading}")?;
                if let Some((unit, aggregate)) = every {
                    write!(f, " every {} {}", unit.name(), aggregate.name())?;
                }
                Ok(())
            }
            Statement::Diff {
                selector,
                valid,
                before,
                after,
            } => {
                write!(f, "diff {selector}")?;
                if let Some(v) = valid {
                    write!(f, " for {v}")?;
                }
                write!(f, " between {before} and {after}")
            }
            Statement::Contested {
                selector,
                known,
                possibly,
                recorded,
            } => {
                f.write_str("contested")?;
                if let Some(s) = selector {
                    write!(f, " {s}")?;
                }
                if let Some(k) = known {
                    let possibly = if *possibly { "possibly " } else { "" };
                    write!(f, " as {possibly}known {k}")?;
                }
                if let Some(recorded) = recorded {
                    write!(f, " {recorded}")?;
                }
                Ok(())
            }
            Statement::Sources { of } => match of {
                Some(s) => write!(f, "sources of {s}"),
                None => f.write_str("sources"),
            },
            Statement::ShowSource(id) => write!(f, "source {id}"),
            Statement::Show(id) => write!(f, "show {id}"),
            Statement::Subjects => f.write_str("subjects"),
            Statement::Attributes => f.write_str("attributes"),
            Statement::Write(event) => write_event(f, event),
            Statement::Limit(statement, n) => write!(f, "{statement} limit {n}"),
        }
    }
}

/// A writing statement, canonically: the event's fields as clauses.
fn write_event(f: &mut fmt::Formatter<'_>, event: &Event) -> fmt::Result {
    match event {
        Event::Define(d) => {
            write!(f, "define attribute {} kind {}", d.attribute, d.kind.name())?;
            if let Some(u) = &d.unit {
                write!(f, " unit {u}")?;
            }
            optional(f, "doc", &d.doc)
        }
        Event::Source(s) => {
            write!(
                f,
                "source {} published {} title {} publisher {}",
                s.id,
                crate::event::written(&s.published_form, s.published),
                quote_text(&s.title),
                quote_text(&s.publisher)
            )?;
            optional(f, "url", &s.url)?;
            optional(f, "text", &s.text)?;
            optional(f, "note", &s.note)
        }
        Event::Assert(a) => {
            write!(
                f,
                "assert {}.{} = {} for {}",
                a.subject,
                a.attribute,
                a.value,
                a.valid_text()
            )?;
            if let Some(k) = a.known {
                write!(f, " known {}", crate::event::written(&a.known_form, k))?;
            }
            write!(f, " source {}", a.source)?;
            optional(f, "quote", &a.quote)?;
            // Fact is the default: printing it would change nothing.
            if a.modality != Modality::Fact {
                write!(f, " modality {}", a.modality)?;
            }
            optional(f, "note", &a.note)?;
            if let Some(id) = &a.id {
                write!(f, " id {id}")?;
            }
            Ok(())
        }
        Event::Deny(d) => {
            write!(f, "deny {}", d.target)?;
            if let Some(k) = d.known {
                write!(f, " known {}", crate::event::written(&d.known_form, k))?;
            }
            write!(f, " source {}", d.source)?;
            optional(f, "quote", &d.quote)?;
            if let Some(id) = &d.id {
                write!(f, " id {id}")?;
            }
            Ok(())
        }
        Event::Retract(r) => {
            write!(f, "retract {} because {}", r.target, quote_text(&r.reason))?;
            if let Some(id) = &r.id {
                write!(f, " id {id}")?;
            }
            Ok(())
        }
    }
}
