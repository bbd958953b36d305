//! Typed questions and their answers: what a `get` asks ([`Get`]), what it
//! returns ([`Row`]), and how it is answered from a [`View`] of the
//! projections ([`get`]).
//!
//! A `get` runs in three steps: find the series the selector names
//! (`View::series`), read the claims of each series that overlap the asked
//! period (`View::claims`, which touches only the bins the period reaches),
//! then decide which claims count at the asked known time and resolve each
//! slot (`resolve::resolve_by`). Period-kind slots are the exact valid periods;
//! state-kind slots are the runs of `resolve::state_runs`.

use crate::dating::{Dating, Qualifier};
use crate::error::{Error, Result};
use crate::event::{Kind, Modality};
use crate::index::{AttributeMatch, IndexedClaim, TargetEntry, View};
use crate::log::{self, Record};
use crate::period::Period;
use crate::resolve::{self, Candidate, Certainty, Standing, Status};
use crate::value::Value;
use std::collections::HashMap;

/// Which series a question is about: `china.export_quota`, `china.*`,
/// `*.share_of_world_reserves`, `china.mining_tax.*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    /// `None` is `*`.
    pub subject: Option<String>,
    pub attribute: AttributeMatch,
}

impl Selector {
    pub fn exact(subject: &str, attribute: &str) -> Selector {
        Selector {
            subject: Some(subject.to_string()),
            attribute: AttributeMatch::Exact(attribute.to_string()),
        }
    }
}

/// Which events a `get` reads, chosen before resolution (SPEC §5, `where`):
/// the slot as those events alone would have it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Only this source's claims and denials.
    pub source: Option<String>,
    /// Only claims of this modality.
    pub modality: Option<Modality>,
    /// Only claims whose quote contains this text, ignoring case.
    pub quote_contains: Option<String>,
}

impl EventFilter {
    fn keeps_claim(&self, entry: &crate::index::ClaimEntry) -> bool {
        self.source.as_ref().is_none_or(|s| *s == entry.source)
            && self.modality.is_none_or(|m| m == entry.modality)
            && self.quote_contains.as_ref().is_none_or(|words| {
                entry
                    .quote
                    .as_deref()
                    .is_some_and(|q| contains_ignoring_case(q, words))
            })
    }

    fn keeps_denial(&self, source: &str) -> bool {
        self.source.as_ref().is_none_or(|s| s == source)
    }
}

/// Whether `text` contains `words`, ignoring case.
pub(crate) fn contains_ignoring_case(text: &str, words: &str) -> bool {
    text.to_lowercase().contains(&words.to_lowercase())
}

/// `selector for P as known Q as recorded at seq R where …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Get {
    pub selector: Selector,
    /// The valid period asked about; `None` is all time.
    pub valid: Option<Period>,
    /// The known period `Q`; `None` uses everything known.
    pub known: Option<Period>,
    /// The log position `R`; `None` uses the whole log.
    pub recorded: Option<u64>,
    /// The events read; the default reads them all.
    pub filter: EventFilter,
    /// `as possibly known Q`: a claim or denial also counts, only possibly,
    /// once its known period has begun before `Q` ends (SPEC §3).
    pub possibly: bool,
}

impl Get {
    pub fn new(selector: Selector) -> Get {
        Get {
            selector,
            valid: None,
            known: None,
            recorded: None,
            filter: EventFilter::default(),
            possibly: false,
        }
    }
}

/// A claim as shown in an answer.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ClaimView {
    pub event: String,
    pub seq: u64,
    #[serde(serialize_with = "crate::typed::value")]
    pub value: Value,
    /// The effective known period.
    #[serde(serialize_with = "crate::typed::period")]
    pub known: Period,
    pub source: String,
    pub modality: Modality,
    pub quote: Option<String>,
    pub note: Option<String>,
    /// How sure this claim is, in this slot (SPEC §3).
    pub certainty: Certainty,
    /// The valid period as written, when it is vague.
    #[serde(skip)]
    pub valid_form: Option<Dating>,
    /// The claim's own known period as written, when it is vague (none
    /// when its known period is its source's publication).
    #[serde(skip)]
    pub known_form: Option<Dating>,
}

impl ClaimView {
    /// `known` as it prints: as the claim wrote it (`201X`, `2011~`), else
    /// canonically.
    pub fn known_text(&self) -> String {
        crate::dating::as_written(self.known, &self.known_form)
    }
}

impl Row {
    /// `valid` as it prints: a period slot as its winner wrote it (a
    /// qualified range never collapses: `2010-01?..2010-06`), a state run
    /// plainly (SPEC §3).
    pub fn valid_text(&self) -> String {
        crate::dating::as_written(self.valid, &self.valid_form)
    }
}

/// One slot of an answer: its winner, the winner's status, and the others.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Row {
    pub subject: String,
    pub attribute: String,
    #[serde(serialize_with = "crate::typed::period")]
    pub valid: Period,
    pub winner: ClaimView,
    pub status: Status,
    /// How sure the row is (SPEC §3): `possible` when its days are only
    /// possibly covered, or its winner or a deciding denial counts only
    /// possibly; else the winner's qualifiers.
    pub certainty: Certainty,
    #[serde(serialize_with = "others")]
    pub others: Vec<(ClaimView, Standing)>,
    /// A period slot's valid period as its winner wrote it, when that is
    /// vague; `None` for a state run, which prints its days plainly.
    #[serde(skip)]
    pub valid_form: Option<Dating>,
}

/// `others` as a list of claims, each with its standing beside its fields.
fn others<S: serde::Serializer>(
    others: &[(ClaimView, Standing)],
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    #[derive(serde::Serialize)]
    struct Other<'a> {
        #[serde(flatten)]
        claim: &'a ClaimView,
        standing: Standing,
    }
    serializer.collect_seq(others.iter().map(|(claim, standing)| Other {
        claim,
        standing: *standing,
    }))
}

/// Rows answered at one log position, which the answer reports so that it
/// can be reproduced with `as recorded at seq N`.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer<T> {
    pub log_seq: u64,
    pub rows: Vec<T>,
}

/// A claim that counts, with what resolution and display need.
pub(crate) struct Counted {
    pub claim: IndexedClaim,
    pub candidate: Candidate,
}

/// Caches what one question reads more than once.
pub(crate) struct Reader<'a> {
    pub view: View<'a>,
    published: HashMap<String, Option<Period>>,
    filter: EventFilter,
    /// `as possibly known`.
    pub possibly: bool,
    /// The record read last: a `history` step reads a claim's record twice
    /// (as the event and as the claim), and reading one record unpacks and
    /// rehashes its whole log block.
    last_record: std::sync::Mutex<Option<Record>>,
}

impl<'a> Reader<'a> {
    pub fn new(view: View<'a>) -> Reader<'a> {
        Reader {
            view,
            published: HashMap::new(),
            filter: EventFilter::default(),
            possibly: false,
            last_record: std::sync::Mutex::new(None),
        }
    }

    pub fn record(&self, seq: u64) -> Result<Record> {
        let mut last = self.last_record.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(record) = last.as_ref().filter(|r| r.seq == seq) {
            return Ok(record.clone());
        }
        let record = log::read_record(self.view.storage, seq)?;
        *last = Some(record.clone());
        Ok(record)
    }

    /// A claim's or denial's known period: its own, else its source's
    /// published period as revised at this position.
    pub fn effective_known(&mut self, known: Option<Period>, source: &str) -> Result<Period> {
        if let Some(k) = known {
            return Ok(k);
        }
        // The readers' cache already keeps every source's revisions: a
        // second map here would only cost a question an allocation and a
        // hash per claim.
        if self.view.cache.is_some() {
            return self
                .view
                .source_published(source)?
                .ok_or_else(|| uncited(source));
        }
        if !self.published.contains_key(source) {
            let p = self.view.source_published(source)?;
            self.published.insert(source.to_string(), p);
        }
        self.published
            .get(source)
            .copied()
            .flatten()
            .ok_or_else(|| uncited(source))
    }

    /// Filters claims to those that count at known time `known` and marks the
    /// denied ones.
    pub fn count(
        &mut self,
        claims: Vec<IndexedClaim>,
        known: Option<&Period>,
    ) -> Result<Vec<Counted>> {
        let mut out = Vec::with_capacity(claims.len());
        for claim in claims {
            if !self.filter.keeps_claim(&claim.entry) {
                continue;
            }
            let targets = self.view.targets_of(&claim)?;
            if targets.iter().any(|(_, t)| *t == TargetEntry::Retracted) {
                continue;
            }
            let claim_known = self.effective_known(claim.entry.known, &claim.entry.source)?;
            let Some(possibly_known) = self.counts(&claim_known, known) else {
                continue;
            };
            let (mut denied, mut possibly_denied) = (false, false);
            for (actor, target) in &targets {
                if let TargetEntry::Denied {
                    known: deny_known,
                    source,
                } = target
                {
                    if !self.filter.keeps_denial(source) {
                        continue;
                    }
                    let deny_known = self.effective_known(*deny_known, source)?;
                    let Some(possibly) = self.counts(&deny_known, known) else {
                        continue;
                    };
                    if self.view.is_retracted(*actor)? {
                        continue;
                    }
                    // A denial that certainly counts decides; one that
                    // counts only possibly denies possibly, unless a
                    // certain one follows.
                    possibly_denied = possibly && (!denied || possibly_denied);
                    denied = true;
                    if !possibly {
                        break;
                    }
                }
            }
            let qualifier = Qualifier::of_forms([&claim.entry.valid_form, &claim.entry.known_form]);
            let candidate = Candidate {
                seq: claim.seq,
                known: claim_known,
                // Never printed: `row` compares the values themselves.
                value: String::new(),
                denied,
                possibly_denied,
                possibly_known,
                possibly_covers: false,
                qualifier,
            };
            out.push(Counted { claim, candidate });
        }
        Ok(out)
    }

    /// Whether a claim or denial known over `known` counts at the asked
    /// known time: `Some(false)` when it certainly does (it was known by
    /// then), `Some(true)` when it counts only possibly (`as possibly
    /// known`, and its known period had begun), `None` when it does not.
    pub fn counts(&self, known: &Period, asked: Option<&Period>) -> Option<bool> {
        match asked {
            None => Some(false),
            Some(q) if known.known_by(q) => Some(false),
            Some(q) if self.possibly && known.start_key() < q.end_key() => Some(true),
            Some(_) => None,
        }
    }

    /// What an answer shows of a claim, from the slot index alone, with
    /// how sure it is in the slot it is shown in.
    fn claim_view(&self, counted: &Counted, certainty: Certainty) -> Result<ClaimView> {
        let (claim, entry) = (&counted.claim, &counted.claim.entry);
        Ok(ClaimView {
            event: entry
                .id
                .clone()
                .unwrap_or_else(|| crate::index::automatic_id(claim.seq)),
            seq: claim.seq,
            value: entry.value.clone(),
            known: counted.candidate.known,
            source: entry.source.clone(),
            modality: entry.modality,
            quote: entry.quote.clone(),
            note: entry.note.clone(),
            certainty,
            valid_form: entry.valid_form,
            known_form: entry.known_form,
        })
    }

    /// Resolves one slot of counting claims into a row; each claim comes
    /// with whether it covers the slot's days only possibly.
    pub fn row(
        &self,
        subject: &str,
        attribute: &str,
        valid: Period,
        slot: &[(&Counted, bool)],
    ) -> Result<Option<Row>> {
        // Values compare as their printings would, without printing them
        // (`Value::prints_as`): printing a lone claim's value was a tenth
        // of a question's time, and each of a slot of twenty a tenth of a
        // question about it.
        let candidates: Vec<Candidate> = slot
            .iter()
            .map(|(c, possibly_covers)| Candidate {
                possibly_covers: *possibly_covers,
                ..c.candidate.clone()
            })
            .collect();
        let value = |i: usize| &slot[i].0.claim.entry.value;
        let same_value = |i: usize, j: usize| value(i).prints_as(value(j));
        let Some(resolution) = resolve::resolve_by(&candidates, &same_value) else {
            return Ok(None);
        };
        let view = |i: usize| self.claim_view(slot[i].0, candidates[i].certainty());
        let others = resolution
            .others
            .iter()
            .map(|(i, standing)| Ok((view(*i)?, *standing)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(Row {
            subject: subject.to_string(),
            attribute: attribute.to_string(),
            valid,
            winner: view(resolution.winner)?,
            status: resolution.status,
            certainty: resolution.certainty,
            others,
            valid_form: None,
        }))
    }

    /// Resolves the claims of one series (already read) into rows.
    pub fn rows_of(
        &mut self,
        subject: &str,
        attribute: &str,
        kind: Kind,
        claims: Vec<IndexedClaim>,
        period: &Period,
        known: Option<&Period>,
    ) -> Result<Vec<Row>> {
        let counted = self.count(claims, known)?;
        let mut rows = Vec::new();
        match kind {
            Kind::Period => {
                let mut slots: Vec<((i64, i64), Period, Vec<&Counted>)> = Vec::new();
                for c in &counted {
                    let v = c.claim.valid;
                    match slots.iter_mut().find(|(_, p, _)| *p == v) {
                        Some((_, _, members)) => members.push(c),
                        None => slots.push(((v.start_key(), v.end_key()), v, vec![c])),
                    }
                }
                slots.sort_by_key(|(k, _, _)| *k);
                for (_, valid, mut members) in slots {
                    members.sort_by_key(|c| c.claim.seq);
                    let slot: Vec<(&Counted, bool)> =
                        members.into_iter().map(|c| (c, false)).collect();
                    rows.extend(self.row(subject, attribute, valid, &slot)?.map(|mut row| {
                        row.valid_form = row.winner.valid_form;
                        row
                    }));
                }
            }
            Kind::State => {
                let covers: Vec<resolve::Cover> = counted
                    .iter()
                    .map(|c| resolve::Cover {
                        possible: c.claim.valid,
                        certain: match &c.claim.entry.valid_form {
                            Some(form) => form.certain(),
                            None => Some(c.claim.valid),
                        },
                        undenied: !c.candidate.denied,
                    })
                    .collect();
                for (run, members) in resolve::state_runs(&covers, period) {
                    let mut slot: Vec<(&Counted, bool)> =
                        members.iter().map(|(i, p)| (&counted[*i], *p)).collect();
                    slot.sort_by_key(|(c, _)| c.claim.seq);
                    rows.extend(self.row(subject, attribute, run, &slot)?);
                }
            }
        }
        Ok(rows)
    }
}

/// The error of a claim or denial citing a source the index does not hold.
fn uncited(source: &str) -> Error {
    Error::Corrupt(format!("source '{source}' is cited but has no record"))
}

/// Answers a `get` at the view's position.
pub fn get(view: View<'_>, question: &Get) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for series in get_by_series(view, question)? {
        rows.extend(series?);
    }
    Ok(rows)
}

/// Answers a `get` one series at a time, in row order: the series are found
/// first, and each one's claims are read and resolved only when the
/// iterator reaches it, so an answer over many series is never held whole.
pub fn get_by_series<'a>(
    view: View<'a>,
    question: &Get,
) -> Result<impl Iterator<Item = Result<Vec<Row>>> + 'a> {
    let mut reader = Reader::new(view);
    reader.filter = question.filter.clone();
    reader.possibly = question.possibly;
    let period = question.valid.unwrap_or(Period::ALL);
    let known = question.known;
    let series = view.series_entries(
        question.selector.subject.as_deref(),
        &question.selector.attribute,
    )?;
    Ok(series.into_iter().map(move |(subject, attribute, entry)| {
        let claims = view.claims_of(entry, &period)?;
        reader.rows_of(
            &subject,
            &attribute,
            entry.kind,
            claims,
            &period,
            known.as_ref(),
        )
    }))
}
