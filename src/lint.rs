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
    /// Worth a look, often fine as it is: quoted vagueness recorded exactly.
    Hint,
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
        if let Some(words) = vague_wording(claim) {
            findings.push(Finding {
                severity: Severity::Hint,
                check: "vague-wording",
                subject: id.clone(),
                message: format!(
                    "the quote says '{words}', but the valid period ({}), the known date and the \
                     value ({}) are all exact: perhaps an approximate date (1992~), unspecified \
                     digits (198X), an unknown end (2010/) or an approximate value (~120000 t)",
                    claim.valid_text(),
                    claim.value
                ),
            });
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

/// Words of a quote that say its date or number is vague (SPEC §3).
const VAGUE_WORDS: [&str; 7] = [
    "about",
    "nearly",
    "some",
    "decades ago",
    "in the 1",
    "as much as",
    "up to",
];

/// The vague words that say a number is vague only when one follows them:
/// "about 120,000 tons", "nearly half", not "talk about any reduction" or
/// "some officials".
const NEED_A_NUMBER: [&str; 5] = ["about", "nearly", "some", "as much as", "up to"];

/// Whether one of the next two words of `text` is a number: it has a digit,
/// or it is a number word.
fn a_number_follows(text: &str) -> bool {
    const NUMBER_WORDS: [&str; 22] = [
        "half", "third", "quarter", "one", "two", "three", "four", "five", "six", "seven", "eight",
        "nine", "ten", "twenty", "thirty", "forty", "fifty", "hundred", "thousand", "million",
        "billion", "dozen",
    ];
    text.split_whitespace().take(2).any(|word| {
        let word = word.trim_matches(|c: char| !c.is_alphanumeric());
        word.chars().any(|c| c.is_ascii_digit()) || NUMBER_WORDS.contains(&word)
    })
}

/// The vague words of a claim's quote, when nothing of the claim records
/// the vagueness: its valid and known periods as written and its value are
/// all exact. (`None` when it has no quote, or records some vagueness.)
fn vague_wording(claim: &crate::event::Claim) -> Option<&'static str> {
    let quote = claim.quote.as_deref()?.to_lowercase();
    let words = VAGUE_WORDS.into_iter().find(|w| {
        // Whole words only: "some" is not "somewhat", "about" not "roundabout".
        quote.match_indices(w).any(|(at, _)| {
            let before = quote[..at].chars().next_back();
            let rest = &quote[at + w.len()..];
            let after = rest.chars().next();
            !before.is_some_and(char::is_alphanumeric)
                && (w.ends_with('1') || !after.is_some_and(char::is_alphanumeric))
                && (!NEED_A_NUMBER.contains(w) || a_number_follows(rest))
        })
    })?;
    // A decade written as such (`1990s`) records "in the 1990s".
    let decade = words == "in the 1" && claim.valid.to_string().ends_with('s');
    let vague_date = claim.valid_form.is_some() || claim.known_form.is_some() || decade;
    let vague_value = match &claim.value {
        crate::value::Value::Quantity(q) => !matches!(q.amount, crate::value::Amount::Exact(_)),
        // A text or a truth value has no approximate form.
        _ => false,
    };
    (!vague_date && !vague_value).then_some(words)
}

/// The report as printed by `annals lint`.
pub fn report(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Hint => "hint",
        };
        out.push_str(&format!(
            "{level}[{}] {}: {}\n",
            f.check, f.subject, f.message
        ));
    }
    let count = |severity| findings.iter().filter(|f| f.severity == severity).count();
    out.push_str(&format!(
        "{} findings: {} errors, {} warnings, {} hints\n",
        findings.len(),
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Hint)
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Claim;
    use crate::value::Value;

    fn claim(quote: &str, valid: &str, value: &str) -> Claim {
        let dating = crate::dating::Dating::parse(valid).unwrap();
        let (valid, valid_form) = crate::event::split_dating(dating);
        Claim {
            id: None,
            subject: "china".into(),
            attribute: "production".into(),
            valid,
            value: Value::parse(value).unwrap(),
            known: None,
            source: "s".into(),
            quote: Some(quote.into()),
            modality: Modality::Fact,
            note: None,
            valid_form,
            known_form: None,
        }
    }

    #[test]
    fn vague_words_are_a_hint_only_when_nothing_records_the_vagueness() {
        let about = "from about 120,000 tons this year";
        assert_eq!(
            vague_wording(&claim(about, "2010", "120000 t")),
            Some("about")
        );
        assert_eq!(vague_wording(&claim(about, "2010", "~120000 t")), None);
        assert_eq!(vague_wording(&claim(about, "2010~", "120000 t")), None);
        let ago = "has declined from 50 two decades ago";
        assert_eq!(
            vague_wording(&claim(ago, "1992", "50")),
            Some("decades ago")
        );
        assert_eq!(vague_wording(&claim(ago, "1992~", "50")), None);
        let eighties = "promulgated in the 1980s";
        assert_eq!(
            vague_wording(&claim(eighties, "1985", "1")),
            Some("in the 1")
        );
        assert_eq!(vague_wording(&claim(eighties, "1980s", "1")), None);
        assert_eq!(vague_wording(&claim(eighties, "198X..", "1")), None);
        // Words that make a number vague only when a number follows.
        let talk = "refused to talk about any reduction rate";
        assert_eq!(vague_wording(&claim(talk, "2011", "-30..0 %")), None);
        assert_eq!(vague_wording(&claim(talk, "2011", "1")), None);
        assert_eq!(
            vague_wording(&claim("some officials said", "2010", "1")),
            None
        );
        assert_eq!(
            vague_wording(&claim("nearly half of the output", "2010", "50 %")),
            Some("nearly")
        );
        assert_eq!(
            vague_wording(&claim("cuts of up to 30% are possible", "2010", "30 %")),
            Some("up to")
        );
        // Whole words only.
        assert_eq!(vague_wording(&claim("somewhat higher", "2010", "1")), None);
        assert_eq!(vague_wording(&claim("a roundabout way", "2010", "1")), None);
    }
}
