//! Typed questions and their answers: what a `get` asks ([`Get`]), what it
//! returns ([`Row`]), and how it is answered from a [`View`] of the
//! projections ([`get`]).
//!
//! A `get` runs in three steps: find the series the selector names
//! (`View::series`), read the claims of each series that overlap the asked
//! period (`View::claims`, which touches only the bins the period reaches),
//! then decide which claims count at the asked known time and resolve each
//! slot (`resolve::resolve`). Period-kind slots are the exact valid periods;
//! state-kind slots are the runs of `resolve::timeline`.

use crate::error::{Error, Result};
use crate::event::{Kind, Modality};
use crate::index::{AttributeMatch, IndexedClaim, TargetEntry, View};
use crate::log::{self, Record};
use crate::period::Period;
use crate::resolve::{self, Candidate, Standing, Status};
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
}

impl Get {
    pub fn new(selector: Selector) -> Get {
        Get {
            selector,
            valid: None,
            known: None,
            recorded: None,
            filter: EventFilter::default(),
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
    #[serde(serialize_with = "others")]
    pub others: Vec<(ClaimView, Standing)>,
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
}

impl<'a> Reader<'a> {
    pub fn new(view: View<'a>) -> Reader<'a> {
        Reader {
            view,
            published: HashMap::new(),
            filter: EventFilter::default(),
        }
    }

    pub fn record(&self, seq: u64) -> Result<Record> {
        log::read_record(self.view.storage, seq)
    }

    /// A claim's or denial's known period: its own, else its source's
    /// published period as revised at this position.
    pub fn effective_known(&mut self, known: Option<Period>, source: &str) -> Result<Period> {
        if let Some(k) = known {
            return Ok(k);
        }
        if !self.published.contains_key(source) {
            let p = self.view.source_published(source)?;
            self.published.insert(source.to_string(), p);
        }
        self.published
            .get(source)
            .copied()
            .flatten()
            .ok_or_else(|| Error::Corrupt(format!("source '{source}' is cited but has no record")))
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
            let targets = if claim.targeted {
                self.view.targets(claim.seq)?
            } else {
                Vec::new()
            };
            if targets.iter().any(|(_, t)| *t == TargetEntry::Retracted) {
                continue;
            }
            let claim_known = self.effective_known(claim.entry.known, &claim.entry.source)?;
            if known.is_some_and(|q| !claim_known.known_by(q)) {
                continue;
            }
            let mut denied = false;
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
                    if known.is_none_or(|q| deny_known.known_by(q))
                        && !self.view.is_retracted(*actor)?
                    {
                        denied = true;
                        break;
                    }
                }
            }
            let candidate = Candidate {
                seq: claim.seq,
                known: claim_known,
                value: claim.entry.value.to_string(),
                denied,
            };
            out.push(Counted { claim, candidate });
        }
        Ok(out)
    }

    /// What an answer shows of a claim, from the slot index alone.
    pub fn claim_view(&self, counted: &Counted) -> Result<ClaimView> {
        let (claim, entry) = (&counted.claim, &counted.claim.entry);
        Ok(ClaimView {
            event: entry
                .id
                .clone()
                .unwrap_or_else(|| format!("e{}", claim.seq)),
            seq: claim.seq,
            value: entry.value.clone(),
            known: counted.candidate.known,
            source: entry.source.clone(),
            modality: entry.modality,
            quote: entry.quote.clone(),
            note: entry.note.clone(),
        })
    }

    /// Resolves one slot of counting claims into a row.
    pub fn row(
        &self,
        subject: &str,
        attribute: &str,
        valid: Period,
        slot: &[&Counted],
    ) -> Result<Option<Row>> {
        let candidates: Vec<Candidate> = slot.iter().map(|c| c.candidate.clone()).collect();
        let Some(resolution) = resolve::resolve(&candidates) else {
            return Ok(None);
        };
        let others = resolution
            .others
            .iter()
            .map(|(i, standing)| Ok((self.claim_view(slot[*i])?, *standing)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(Row {
            subject: subject.to_string(),
            attribute: attribute.to_string(),
            valid,
            winner: self.claim_view(slot[resolution.winner])?,
            status: resolution.status,
            others,
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
                    rows.extend(self.row(subject, attribute, valid, &members)?);
                }
            }
            Kind::State => {
                let valids: Vec<Period> = counted.iter().map(|c| c.claim.valid).collect();
                for (run, members) in resolve::timeline(&valids, period) {
                    let mut slot: Vec<&Counted> = members.iter().map(|i| &counted[*i]).collect();
                    slot.sort_by_key(|c| c.claim.seq);
                    rows.extend(self.row(subject, attribute, run, &slot)?);
                }
            }
        }
        Ok(rows)
    }
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
