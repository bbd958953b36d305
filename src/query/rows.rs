//! The typed answer of every statement: a [`Reply`] is a head (the log
//! position it was computed at, and the kind of statement) plus a stream of
//! [`AnswerRow`]s, one row type per statement family.
//!
//! Rows hold values and periods in their typed form ([`Value`], [`Period`],
//! [`Status`], …), never preformatted text: a program reads `before.value`
//! of a diff as a [`Value`], not as a string to parse back. Text, JSON, CSV
//! and tables are made only in [`super::render`].
//!
//! A reply is an iterator, not a `Vec`, so that an answer of any size can be
//! printed or sent as it is computed, and a [`Cancel`] token (Ctrl-C in the
//! REPL, a deadline in a server) stops it between two rows.

use crate::answer::Row;
use crate::dating::Dating;
use crate::error::{Error, Result};
use crate::event::Kind;
use crate::event::Modality;
use crate::period::Period;
use crate::query::ast::{Aggregate, ClaimStatus};
use crate::resolve::{Certainty, Standing, Status};
use crate::value::Value;
use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Which statement a reply answers; its name is the `kind` programs see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StatementKind {
    Get,
    Contested,
    Claims,
    Show,
    History,
    Curve,
    Timeline,
    Diff,
    Explain,
    Sources,
    Source,
    Subjects,
    Attributes,
    Write,
}

impl StatementKind {
    pub fn name(self) -> &'static str {
        match self {
            StatementKind::Get => "get",
            StatementKind::Contested => "contested",
            StatementKind::Claims => "claims",
            StatementKind::Show => "show",
            StatementKind::History => "history",
            StatementKind::Curve => "curve",
            StatementKind::Timeline => "timeline",
            StatementKind::Diff => "diff",
            StatementKind::Explain => "explain",
            StatementKind::Sources => "sources",
            StatementKind::Source => "source",
            StatementKind::Subjects => "subjects",
            StatementKind::Attributes => "attributes",
            StatementKind::Write => "write",
        }
    }
}

/// Which variant of [`AnswerRow`] a reply yields: known before its first
/// row, so that an empty answer still has its columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowType {
    Slot,
    Claim,
    Event,
    Step,
    Knowledge,
    Bucket,
    Change,
    Verdict,
    Source,
    SourceText,
    Subject,
    Attribute,
    Written,
}

/// One row of any statement's answer. Serialised (serde) as the row
/// itself, with values and periods in their typed form (`crate::typed`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum AnswerRow {
    /// A resolved slot: `get`, `contested`, and `timeline` without `every`.
    Slot(Row),
    /// One claim with its status as of the question: `claims`.
    Claim(ClaimListing),
    /// One event whole: `show`.
    Event(EventDetail),
    /// One event in the story of a slot: `history`.
    Step(HistoryStep),
    /// One step of a slot's knowledge curve: `curve`.
    Knowledge(KnowledgeStep),
    /// One bucket of `timeline … every`.
    Bucket(Bucket),
    /// One change of knowledge between two moments: `diff`.
    Change(Change),
    /// One candidate of a slot and why it won or lost: `explain`.
    Verdict(Verdict),
    /// One source with the number of claims citing it: `sources`.
    Source(SourceListing),
    /// One source whole, text included: `source ID`.
    SourceText(SourceDetail),
    /// One subject and its attributes: `subjects`.
    Subject(SubjectListing),
    /// One attribute definition: `attributes`.
    Attribute(AttributeListing),
    /// What a writing statement appended.
    Written(Written),
}

/// A claim as `claims` lists it: where it stands (its slot, or for a state
/// attribute each run of days over which its standing is the same), and
/// what it says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClaimListing {
    pub subject: String,
    pub attribute: String,
    #[serde(serialize_with = "crate::typed::period")]
    pub valid: Period,
    pub event: String,
    pub seq: u64,
    #[serde(serialize_with = "crate::typed::value")]
    pub value: Value,
    pub status: ClaimStatus,
    pub modality: Modality,
    #[serde(serialize_with = "crate::typed::period")]
    pub known: Period,
    pub source: String,
    pub quote: Option<String>,
    /// How sure the claim is where it stands (SPEC §3).
    pub certainty: Certainty,
    /// The claim's valid period as written, when it is vague.
    #[serde(skip)]
    pub valid_form: Option<Dating>,
    /// The claim's known period as written, when it is vague.
    #[serde(skip)]
    pub known_form: Option<Dating>,
}

impl ClaimListing {
    /// `valid` as it prints: the claim's written form when the listing
    /// covers all of it (a state claim listed by runs prints its runs).
    pub fn valid_text(&self) -> String {
        crate::dating::as_written(self.valid, &self.valid_form)
    }

    /// `known` as it prints: as the claim wrote it (`201X`, `2011~`).
    pub fn known_text(&self) -> String {
        crate::dating::as_written(self.known, &self.known_form)
    }
}

/// One event whole (`show ID`): as the log holds it, and for a claim or a
/// denial its quote in the context of its source's text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventDetail {
    pub seq: u64,
    /// When it was written here: RFC 3339, UTC.
    pub recorded: String,
    /// The record's hash in the chain, hex.
    pub hash: String,
    /// The event in the import format (SPEC §8).
    pub event: serde_json::Map<String, serde_json::Value>,
    /// The quote inside the words around it in the source's text (as the
    /// source stands at the answer's position), marked « »; `None` without
    /// a quote or a text, or when the text does not hold the quote.
    pub context: Option<String>,
}

/// A claim's value and event, as `history` names the winner at a step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WinnerRef {
    #[serde(serialize_with = "crate::typed::value")]
    pub value: Value,
    pub event: String,
}

/// One event (claim, denial, retraction, …) about a claim of the slot, with
/// the claim's standing just after the event was recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryStep {
    pub seq: u64,
    /// The id of the event at `seq` (empty for events without one).
    pub event: String,
    pub op: &'static str,
    pub subject: String,
    pub attribute: String,
    #[serde(serialize_with = "crate::typed::period")]
    pub valid: Period,
    /// The id of the claim this step is about.
    pub claim: String,
    #[serde(serialize_with = "crate::typed::value")]
    pub value: Value,
    /// The known period of the event at `seq`, for claims and denials.
    #[serde(serialize_with = "crate::typed::option_period")]
    pub known: Option<Period>,
    /// The source of the event at `seq` (empty for retractions).
    pub source: String,
    /// The claim's standing in each slot it covers: `winner, current`,
    /// `superseded`, `retracted`, `not yet known`, …
    pub standings: Vec<String>,
    /// The winner of the first slot the claim covers, if any.
    pub winner: Option<WinnerRef>,
    /// How sure the claim is where it stands (SPEC §3).
    pub certainty: Certainty,
    /// The claim's valid period, and the event's known period, as written
    /// when they are vague.
    #[serde(skip)]
    pub valid_form: Option<Dating>,
    #[serde(skip)]
    pub known_form: Option<Dating>,
}

impl HistoryStep {
    /// `valid` as it prints (see [`crate::dating::as_written`]).
    pub fn valid_text(&self) -> String {
        crate::dating::as_written(self.valid, &self.valid_form)
    }

    /// `known` as it prints, if the event has one.
    pub fn known_text(&self) -> Option<String> {
        self.known
            .map(|known| crate::dating::as_written(known, &self.known_form))
    }
}

/// One step of the knowledge curve of a slot: from `known_from` on (as
/// known time advances) the slot's answer is this winner with this status,
/// until the next step. The first step is the first day any claim of the
/// slot counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KnowledgeStep {
    pub subject: String,
    pub attribute: String,
    #[serde(serialize_with = "crate::typed::period")]
    pub valid: Period,
    /// The first day of known time with this answer.
    #[serde(serialize_with = "crate::typed::period")]
    pub known_from: Period,
    #[serde(serialize_with = "crate::typed::value")]
    pub value: Value,
    pub status: Status,
    pub modality: Modality,
    /// The winner.
    pub event: String,
    pub source: String,
    /// How many claims count by then.
    pub claims: usize,
}

/// One calendar bucket of an aggregated timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bucket {
    pub subject: String,
    pub attribute: String,
    #[serde(serialize_with = "crate::typed::period")]
    pub period: Period,
    pub aggregate: Aggregate,
    #[serde(serialize_with = "crate::typed::value")]
    pub value: Value,
    /// The modalities of the winners it aggregated, joined with `+`
    /// (`fact`, `fact+plan`): a plan's figure never reads as a fact's.
    pub modality: String,
    /// How many slots fell in the bucket.
    pub claims: usize,
    /// For `sum`: the slots it added, the coarsest that tile the bucket
    /// without overlapping (2010, not also 2010-H2). Empty otherwise.
    #[serde(serialize_with = "crate::typed::periods")]
    pub used: Vec<Period>,
    /// How sure the value is: `possible` if any slot in it is, else the
    /// qualifiers of them all (SPEC §3).
    pub certainty: Certainty,
}

/// How a slot's answer changed between the two moments of a `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    New,
    Changed,
    Denied,
    Retracted,
    Status,
}

impl ChangeKind {
    pub fn name(self) -> &'static str {
        match self {
            ChangeKind::New => "new",
            ChangeKind::Changed => "changed",
            ChangeKind::Denied => "denied",
            ChangeKind::Retracted => "retracted",
            ChangeKind::Status => "status",
        }
    }
}

/// A slot's answer at one moment of a `diff`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlotState {
    #[serde(serialize_with = "crate::typed::value")]
    pub value: Value,
    pub status: Status,
    pub event: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub change: ChangeKind,
    pub subject: String,
    pub attribute: String,
    #[serde(serialize_with = "crate::typed::period")]
    pub valid: Period,
    pub before: Option<SlotState>,
    pub after: Option<SlotState>,
    /// The slot's valid period as its winner wrote it, when it is vague.
    #[serde(skip)]
    pub valid_form: Option<Dating>,
}

impl Change {
    /// `valid` as it prints (see [`crate::dating::as_written`]).
    pub fn valid_text(&self) -> String {
        crate::dating::as_written(self.valid, &self.valid_form)
    }
}

/// Why a candidate won or lost, in `explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A retraction says its recording was wrong.
    Retracted,
    /// Its known period ends after the question's.
    NotYetKnown,
    /// No slot of the answer holds it.
    NotCounted,
    /// It won its slot, with this status.
    Winner(Status),
    /// It lost, standing so beside the winner.
    Lost(Standing),
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Retracted => f.write_str("retracted"),
            Outcome::NotYetKnown => f.write_str("not yet known"),
            Outcome::NotCounted => f.write_str("not counted"),
            Outcome::Winner(status) => write!(f, "winner, {status}"),
            Outcome::Lost(standing) => f.write_str(standing.name()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub subject: String,
    pub attribute: String,
    /// The slot explained (a state run or a period slot).
    #[serde(serialize_with = "crate::typed::period")]
    pub valid: Period,
    pub event: String,
    #[serde(serialize_with = "crate::typed::value")]
    pub value: Value,
    #[serde(serialize_with = "crate::typed::period")]
    pub known: Period,
    pub source: String,
    #[serde(serialize_with = "crate::typed::display")]
    pub outcome: Outcome,
    /// The reason, as a sentence.
    pub reason: String,
    /// How sure the claim is in this slot (SPEC §3).
    pub certainty: Certainty,
    /// The claim's valid and known periods as written, when they are vague.
    #[serde(skip)]
    pub valid_form: Option<Dating>,
    #[serde(skip)]
    pub known_form: Option<Dating>,
}

impl Verdict {
    /// `valid` as it prints: a period slot as its claim wrote it, a state
    /// run plainly (see [`crate::dating::as_written`]).
    pub fn valid_text(&self) -> String {
        crate::dating::as_written(self.valid, &self.valid_form)
    }

    /// `known` as it prints (see [`crate::dating::as_written`]).
    pub fn known_text(&self) -> String {
        crate::dating::as_written(self.known, &self.known_form)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceListing {
    pub id: String,
    #[serde(serialize_with = "crate::typed::period")]
    pub published: Period,
    pub publisher: String,
    pub title: String,
    /// Claims citing it (within the selector, for `sources of`).
    pub claims: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceDetail {
    pub id: String,
    pub title: String,
    pub publisher: String,
    #[serde(serialize_with = "crate::typed::period")]
    pub published: Period,
    pub url: Option<String>,
    pub note: Option<String>,
    pub text: Option<String>,
    /// The seq of the revision shown (the latest at the answer's position).
    pub revised_at_seq: u64,
    /// Every revision up to the answer's position, in log order: where each
    /// was recorded and the publication date it gave.
    pub revisions: Vec<SourceRevision>,
}

/// One revision of a source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceRevision {
    pub seq: u64,
    #[serde(serialize_with = "crate::typed::period")]
    pub published: Period,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubjectListing {
    pub subject: String,
    pub attributes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttributeListing {
    pub attribute: String,
    pub kind: Kind,
    pub unit: Option<String>,
    /// How many subjects have claims about it.
    pub subjects: usize,
    pub doc: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Written {
    /// The log position of the event written.
    pub seq: u64,
    pub op: &'static str,
    pub event: Option<String>,
}

/// One series' rows, or its error, as items of a reply: what each
/// streaming executor's `flat_map` yields per series.
pub(crate) fn series_items(rows: Result<Vec<AnswerRow>>) -> Vec<Result<AnswerRow>> {
    match rows {
        Ok(rows) => rows.into_iter().map(Ok).collect(),
        Err(e) => vec![Err(e)],
    }
}

/// A token that stops a running statement between two rows. Cloning it
/// shares it: the REPL keeps one clone for its Ctrl-C handler, the reply
/// checks the other.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// `items` until the token is cancelled: an executor wraps its series
    /// in this, so that a scan whose series yield no rows still stops.
    pub(crate) fn until<I: Iterator>(&self, items: I) -> impl Iterator<Item = I::Item> {
        let token = self.clone();
        items.take_while(move |_| !token.is_cancelled())
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The answer to one statement: its head, then its rows as they are
/// computed. Iterating yields `Err(Error::Cancelled)` once after the token
/// is cancelled, and ends after any error.
pub struct Reply<'s> {
    /// The log position the answer was computed at (after a write: the
    /// position of its last event).
    pub log_seq: u64,
    pub kind: StatementKind,
    pub row_type: RowType,
    rows: Box<dyn Iterator<Item = Result<AnswerRow>> + Send + 's>,
    cancel: Cancel,
    ended: bool,
}

impl<'s> Reply<'s> {
    pub(crate) fn new(
        log_seq: u64,
        kind: StatementKind,
        row_type: RowType,
        rows: impl Iterator<Item = Result<AnswerRow>> + Send + 's,
        cancel: Cancel,
    ) -> Reply<'s> {
        Reply {
            log_seq,
            kind,
            row_type,
            rows: Box::new(rows),
            cancel,
            ended: false,
        }
    }

    /// A reply whose rows were computed whole (statements whose answer is
    /// small by nature, such as a write or one source).
    pub(crate) fn from_rows(
        log_seq: u64,
        kind: StatementKind,
        row_type: RowType,
        rows: Vec<AnswerRow>,
        cancel: Cancel,
    ) -> Reply<'s> {
        Reply::new(log_seq, kind, row_type, rows.into_iter().map(Ok), cancel)
    }

    /// The same reply, ending after its first `n` rows: the rest are never
    /// computed (for the statements that stream).
    pub fn limit(self, n: usize) -> Reply<'s> {
        let Reply {
            log_seq,
            kind,
            row_type,
            rows,
            cancel,
            ended,
        } = self;
        Reply {
            log_seq,
            kind,
            row_type,
            rows: Box::new(rows.take(n)),
            cancel,
            ended,
        }
    }

    /// A reply over rows already taken, to print them again.
    pub fn from_answered(answered: Answered) -> Reply<'static> {
        Reply::from_rows(
            answered.log_seq,
            answered.kind,
            answered.row_type,
            answered.rows,
            Cancel::new(),
        )
    }

    /// Takes every row, or the first error.
    pub fn collect_all(self) -> Result<Answered> {
        let (log_seq, kind, row_type) = (self.log_seq, self.kind, self.row_type);
        Ok(Answered {
            log_seq,
            kind,
            row_type,
            rows: self.collect::<Result<_>>()?,
        })
    }
}

/// A reply with every row taken: what a table (which must see every row to
/// size its columns) and a test print.
#[derive(Debug, Clone, PartialEq)]
pub struct Answered {
    pub log_seq: u64,
    pub kind: StatementKind,
    pub row_type: RowType,
    pub rows: Vec<AnswerRow>,
}

impl Iterator for Reply<'_> {
    type Item = Result<AnswerRow>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.ended {
            return None;
        }
        if self.cancel.is_cancelled() {
            self.ended = true;
            return Some(Err(Error::Cancelled));
        }
        let next = self.rows.next();
        if !matches!(next, Some(Ok(_))) {
            self.ended = true;
        }
        // Rows that stopped early because of the token (an executor checks
        // it between series that yield nothing) end as cancelled too.
        if next.is_none() && self.cancel.is_cancelled() {
            return Some(Err(Error::Cancelled));
        }
        next
    }
}

impl std::fmt::Debug for Reply<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply")
            .field("log_seq", &self.log_seq)
            .field("kind", &self.kind)
            .field("row_type", &self.row_type)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scan whose series yield no rows stops at the token and ends as
    /// cancelled, not as a short answer.
    #[test]
    fn a_cancelled_scan_that_found_nothing_ends_as_cancelled() {
        let cancel = Cancel::new();
        let trigger = cancel.clone();
        let series = cancel.until(0..1_000).inspect(move |n| {
            if *n == 10 {
                trigger.cancel();
            }
        });
        // Every series yields nothing, as `contested` over a calm store.
        let rows = series.filter_map(|_| None::<Result<AnswerRow>>);
        let mut reply = Reply::new(7, StatementKind::Contested, RowType::Slot, rows, cancel);
        assert!(matches!(reply.next(), Some(Err(Error::Cancelled))));
        assert!(reply.next().is_none());
    }

    #[test]
    fn a_limited_reply_ends_after_its_rows() {
        let rows = (0..5).map(|seq| {
            Ok(AnswerRow::Written(Written {
                seq,
                op: "assert",
                event: None,
            }))
        });
        let reply = Reply::new(
            5,
            StatementKind::Write,
            RowType::Written,
            rows,
            Cancel::new(),
        );
        assert_eq!(reply.limit(2).count(), 2);
    }
}
