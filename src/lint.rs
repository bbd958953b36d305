//! `lint`: data-quality findings about what the log says, as opposed to
//! `verify`, which checks that the store is intact.
//!
//! Findings are errors (the data is wrong as it stands) or warnings (worth a
//! historian's look). Anachronisms are judged twice: against the source as
//! it stood when the claim was recorded, and as it stands now. A claim that
//! was anachronistic when recorded but is no longer, because the source was
//! later revised (the white paper headed June 2010 that reports 2012
//! events), is reported as a warning that names the correcting revision;
//! one that is still anachronistic is an error.

use crate::answer::{Get, Selector};
use crate::error::Result;
use crate::event::{Event, Modality};
use crate::index::AttributeMatch;
use crate::period::Period;
use crate::resolve::Status;
use crate::store::Store;
use crate::verify::normalize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// One finding: what kind, how bad, about which event or name, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    pub check: &'static str,
    pub subject: String,
    pub message: String,
}

/// Every revision of a source: (seq, published, text).
type Revisions = Vec<(u64, Period, Option<String>)>;

/// Runs every check over the whole log.
pub fn lint(store: &Store) -> Result<Vec<Finding>> {
    let mut findings = Vec::new();
    let mut sources: BTreeMap<String, Revisions> = BTreeMap::new();
    let mut defined: BTreeSet<String> = BTreeSet::new();
    // Each attribute's unit as its latest definition has it.
    let mut units: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut cited: BTreeSet<String> = BTreeSet::new();
    let mut claims = Vec::new();
    let mut retraction_targets = Vec::new();
    for envelope in store.records() {
        let record = envelope?.record;
        match record.event {
            Event::Source(s) => {
                sources
                    .entry(s.id)
                    .or_default()
                    .push((record.seq, s.published, s.text))
            }
            Event::Define(d) => {
                units.insert(d.attribute.clone(), d.unit);
                defined.insert(d.attribute);
            }
            Event::Assert(c) => {
                used.insert(c.attribute.clone());
                cited.insert(c.source.clone());
                claims.push((record.seq, c));
            }
            Event::Deny(d) => {
                cited.insert(d.source.clone());
            }
            Event::Retract(r) => retraction_targets.push(r.target),
        }
    }
    // Claims retracted at the head: lint speaks of the log as it stands.
    let view = store.view(None);
    let mut retracted = BTreeSet::new();
    for target in &retraction_targets {
        if let Some(entry) = view.id(target)? {
            retracted.insert(entry.seq);
        }
    }
    for (seq, claim) in &claims {
        let id = claim.id.clone().unwrap_or_default();
        if retracted.contains(seq) {
            continue;
        }
        if let Some(Some(unit)) = units.get(&claim.attribute) {
            if let Err(message) = crate::unit_rule::check(&claim.attribute, unit, &claim.value) {
                findings.push(Finding {
                    severity: Severity::Warning,
                    check: "unit",
                    subject: id.clone(),
                    message: format!("{message} (a new claim would be refused)"),
                });
            }
        }
        let Some(revisions) = sources.get(&claim.source) else {
            continue;
        };
        let then = revisions
            .iter()
            .rev()
            .find(|r| r.0 <= *seq)
            .unwrap_or(&revisions[0]);
        let now = revisions.last().unwrap_or(then);
        if claim.modality == Modality::Fact {
            let anachronistic = |published: &Period| {
                let known = claim.known.unwrap_or(*published);
                claim.valid.start_key() >= known.end_key()
            };
            let known_now = claim.known.unwrap_or(now.1);
            if anachronistic(&now.1) {
                findings.push(Finding {
                    severity: Severity::Error,
                    check: "anachronism",
                    subject: id.clone(),
                    message: format!(
                        "a fact valid from {} is known from {known_now} (source '{}'), before it happened",
                        claim.valid, claim.source
                    ),
                });
            } else if anachronistic(&then.1) {
                findings.push(Finding {
                    severity: Severity::Warning,
                    check: "anachronism",
                    subject: id.clone(),
                    message: format!(
                        "a fact valid from {} was recorded as known from {} (source '{}' as published then); corrected by the source revision at seq {} (published {})",
                        claim.valid,
                        claim.known.unwrap_or(then.1),
                        claim.source,
                        now.0,
                        now.1
                    ),
                });
            }
        }
        match (&claim.quote, &now.2) {
            (None, _) => findings.push(Finding {
                severity: Severity::Warning,
                check: "unquoted",
                subject: id.clone(),
                message: format!(
                    "the claim {}.{} = {} cites '{}' without a quote",
                    claim.subject, claim.attribute, claim.value, claim.source
                ),
            }),
            (Some(q), Some(text)) if !normalize(text).contains(&normalize(q)) => {
                findings.push(Finding {
                    severity: Severity::Error,
                    check: "quote-not-in-source",
                    subject: id.clone(),
                    message: format!("the quote is not in the text of '{}': '{q}'", claim.source),
                })
            }
            _ => {}
        }
    }
    for (id, revisions) in &sources {
        if !cited.contains(id) {
            findings.push(Finding {
                severity: Severity::Warning,
                check: "uncited-source",
                subject: id.clone(),
                message: "no claim or denial cites this source".into(),
            });
        }
        if revisions.last().is_some_and(|r| r.2.is_none()) {
            findings.push(Finding {
                severity: Severity::Warning,
                check: "source-without-text",
                subject: id.clone(),
                message: "the source has no text, so its quotes cannot be verified".into(),
            });
        }
    }
    for attribute in defined.difference(&used) {
        findings.push(Finding {
            severity: Severity::Warning,
            check: "unused-attribute",
            subject: attribute.clone(),
            message: "defined but no claim uses it".into(),
        });
    }
    // Contested slots, from the typed answer over every series.
    let everything = Get::new(Selector {
        subject: None,
        attribute: AttributeMatch::Any,
    });
    for row in store
        .get(&everything)?
        .rows
        .iter()
        .filter(|r| r.status == Status::Contested)
    {
        findings.push(Finding {
            severity: Severity::Warning,
            check: "contested",
            subject: format!("{}.{} {}", row.subject, row.attribute, row.valid),
            message: format!(
                "the winner {} ({}) is contested by a claim known as late with another value",
                row.winner.event, row.winner.value
            ),
        });
    }
    findings
        .sort_by(|a, b| (a.severity, a.check, &a.subject).cmp(&(b.severity, b.check, &b.subject)));
    Ok(findings)
}

/// The report as printed by `annals lint`.
pub fn report(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let level = if f.severity == Severity::Error {
            "error"
        } else {
            "warning"
        };
        out.push_str(&format!(
            "{level}[{}] {}: {}\n",
            f.check, f.subject, f.message
        ));
    }
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    out.push_str(&format!(
        "{} findings: {errors} errors, {} warnings\n",
        findings.len(),
        findings.len() - errors
    ));
    out
}
