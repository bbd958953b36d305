//! The rules an event must pass before it is appended (SPEC §2, §5): names
//! spelled right, attributes defined, sources known, ids unique, and targets
//! that exist, are of the right kind and are not retracted.
//!
//! A batch is checked whole, in order, before anything is written: each event
//! sees the log as it is plus the events before it in the same batch (the
//! `Pending` overlay). The first broken rule refuses the batch with an error
//! naming the event's index and the field at fault.

use crate::dating::{Dating, End};
use crate::error::{Error, Result};
use crate::event::{check_name, Claim, Event, Kind, NameKind};
use crate::index::{automatic_seq, IdEntry, IdOp, View};
use crate::period::Period;
use crate::storage::scan_prefix;
use crate::storage::Table;
use crate::unit_rule;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

/// What earlier events of the batch have added, on top of the log.
#[derive(Default)]
struct Pending {
    /// Ids chosen by writers in this batch.
    ids: HashMap<String, IdEntry>,
    /// The batch's first seq, and the op of each of its events that got an
    /// automatic id (by seq - first_seq): automatic ids are not hashed.
    first_seq: u64,
    automatic: Vec<Option<IdOp>>,
    /// Seqs `N` at or after `first_seq` whose `e<N>` a writer already chose
    /// in the store: the automatic id of event `N` would collide.
    chosen_automatic: HashSet<u64>,
    retracted: HashSet<u64>,
    sources: HashMap<String, Period>,
    /// Sources the store had when the batch began, as found (a claim
    /// or denial names one each; the store does not change meanwhile).
    stored_sources: HashSet<String>,
    kinds: HashMap<String, Kind>,
    /// The unit of each attribute a claim of the batch used, as defined
    /// by the batch or else the log (looked up once per attribute).
    units: HashMap<String, Option<String>>,
}

/// The checks of one batch, which may be given in parts: each part is
/// checked against the store as it was before the batch plus every earlier
/// event of the batch (the `Pending` overlay, which keeps only names, ids
/// and one byte per event, so a long batch stays small).
pub struct Validator {
    pending: Pending,
}

impl Validator {
    /// A validator for the batch that would begin at `first_seq`.
    pub fn new(view: &View<'_>, first_seq: u64) -> Result<Validator> {
        let mut pending = Pending {
            first_seq,
            ..Pending::default()
        };
        // Ids of the form e<N> chosen by writers are few; reading them once
        // spares a lookup per event.
        for entry in scan_prefix(view.storage, Table::Ids, b"e") {
            let (key, _) = entry?;
            if let Some(n) = std::str::from_utf8(&key)
                .ok()
                .and_then(automatic_seq)
                .filter(|n| *n >= first_seq)
            {
                pending.chosen_automatic.insert(n);
            }
        }
        Ok(Validator { pending })
    }

    /// Checks the batch's next part, which would occupy seqs `first_seq..`
    /// right after the parts checked before, assigning `e<seq>` ids to the
    /// claims, denials and retractions that have none. A refusal names the
    /// event by its index in this part.
    ///
    /// A claim whose value breaks the unit rule (`unit_rule`) is refused,
    /// unless `grandfathered(index)`: a line of an export, judged when it
    /// was first written. Those are accepted, and the returned warnings say
    /// which (by index in the part) and why.
    pub fn check(
        &mut self,
        view: &View<'_>,
        batch: &mut [Event],
        first_seq: u64,
        grandfathered: &dyn Fn(usize) -> bool,
    ) -> Result<Vec<(usize, String)>> {
        let pending = &mut self.pending;
        let mut warnings = Vec::new();
        let end = (first_seq - pending.first_seq) as usize + batch.len();
        if pending.automatic.len() < end {
            pending.automatic.resize(end, None);
        }
        for (index, event) in batch.iter_mut().enumerate() {
            let seq = first_seq + index as u64;
            if let Some(id) = event.event_id_mut() {
                if id.is_none() {
                    *id = Some(format!("e{seq}"));
                }
            }
            check(view, pending, event, seq)
                .map_err(|(field, message)| Error::rejected(index, field, message))?;
            if let Event::Assert(claim) = &*event {
                let unit = unit_of(view, pending, &claim.attribute)
                    .map_err(|(field, message)| Error::rejected(index, field, message))?;
                if let Some(unit) = unit {
                    if let Err(message) = unit_rule::check(&claim.attribute, &unit, &claim.value) {
                        if !grandfathered(index) {
                            return Err(Error::rejected(index, "value", message));
                        }
                        warnings.push((
                            index,
                            format!(
                                "accepted as exported, though the unit rule refuses it now: {message}"
                            ),
                        ));
                    }
                }
            }
        }
        Ok(warnings)
    }
}

/// The kind of `attribute` as the batch so far or else the log defines it;
/// kept for the rest of the batch once read, since a kind never changes.
fn kind_of(
    view: &View<'_>,
    pending: &mut Pending,
    attribute: &str,
) -> Result<Option<Kind>, Refusal> {
    if let Some(kind) = pending.kinds.get(attribute) {
        return Ok(Some(*kind));
    }
    let kind = view.kind(attribute).map_err(storage_refusal)?;
    if let Some(kind) = kind {
        pending.kinds.insert(attribute.to_string(), kind);
    }
    Ok(kind)
}

/// The unit of `attribute` as the batch so far or else the log defines it.
fn unit_of(
    view: &View<'_>,
    pending: &mut Pending,
    attribute: &str,
) -> Result<Option<String>, Refusal> {
    if let Some(unit) = pending.units.get(attribute) {
        return Ok(unit.clone());
    }
    let unit = view
        .definition(attribute)
        .map_err(storage_refusal)?
        .and_then(|d| d.unit);
    pending.units.insert(attribute.to_string(), unit.clone());
    Ok(unit)
}

type Refusal = (&'static str, String);

/// A written form must be the period it is stored beside (the Rust API can
/// build events by hand); a known or published date has no unknown end,
/// and no open end: it says by when the source knew, and an open end
/// (`2010..`) is known by no question's time, so the claim would count
/// only in answers without `as known`, and there win over every other.
fn check_known_form(
    field: &'static str,
    period: Period,
    form: &Option<Dating>,
) -> Result<(), Refusal> {
    if let Some(form) = form {
        check_form_matches(field, period, form)?;
        if matches!(form.start, End::Unknown { .. }) || matches!(form.end, End::Unknown { .. }) {
            return Err((
                field,
                format!("'{form}' has an unknown end, which a known or published date cannot have"),
            ));
        }
    }
    if period.end.is_none() {
        let shown = crate::dating::as_written(period, form);
        return Err((
            field,
            format!(
                "'{shown}' is open at its end; a known or published date says by when the source knew, so it needs an end (for a source of 2010, write '2010')"
            ),
        ));
    }
    Ok(())
}

fn check_form_matches(field: &'static str, period: Period, form: &Dating) -> Result<(), Refusal> {
    if form.possible() != period {
        return Err((
            field,
            format!("the written form '{form}' does not cover the period {period} stored with it"),
        ));
    }
    Ok(())
}

/// SPEC §3: a period attribute's valid period must be certain (a slot is
/// the period exactly), and so must a lone date with unspecified digits as
/// a state's valid period (`201X` certainly covers no day). Other vague
/// state periods are accepted even when their certain extent is empty
/// (`198X..1985`): their possible days answer where nothing is certain.
fn check_valid_form(claim: &Claim, kind: Kind) -> Result<(), Refusal> {
    let Some(form) = &claim.valid_form else {
        return Ok(());
    };
    check_form_matches("valid", claim.valid, form)?;
    let vague = |end: End| matches!(end, End::Unknown { .. } | End::Unspecified { .. });
    if kind == Kind::Period && (vague(form.start) || vague(form.end)) {
        return Err((
            "valid",
            format!(
                "'{form}' is not certain, but attribute '{}' is of kind period, whose slot is \
                 its valid period exactly: write the span ('{}'), or a range",
                claim.attribute, claim.valid
            ),
        ));
    }
    let lone_unspecified = matches!(
        (form.start, form.end),
        (End::Unspecified { digits: a, .. }, End::Unspecified { digits: b, .. }) if a == b
    );
    if lone_unspecified {
        return Err((
            "valid",
            format!(
                "'{form}' is one date somewhere in {}, which certainly covers no day of a \
                 state: write the span ('{}') or a range with a vague end ('{form}..')",
                claim.valid, claim.valid
            ),
        ));
    }
    Ok(())
}

fn storage_refusal(e: Error) -> Refusal {
    ("(store)", e.to_string())
}

fn check(view: &View<'_>, pending: &mut Pending, event: &Event, seq: u64) -> Result<(), Refusal> {
    let name = |kind: NameKind, field: &'static str, value: &str| {
        check_name(kind, value).map_err(|m| (field, m))
    };
    match event {
        Event::Define(d) => {
            name(NameKind::Attribute, "attribute", &d.attribute)?;
            let existing = match pending.kinds.get(&d.attribute) {
                Some(k) => Some(*k),
                None => view.kind(&d.attribute).map_err(storage_refusal)?,
            };
            if let Some(kind) = existing.filter(|k| *k != d.kind) {
                return Err((
                    "kind",
                    format!(
                        "attribute '{}' is already defined as kind {}; a revision may change its unit and doc but not its kind",
                        d.attribute,
                        kind.name()
                    ),
                ));
            }
            pending.kinds.insert(d.attribute.clone(), d.kind);
            pending.units.insert(d.attribute.clone(), d.unit.clone());
        }
        Event::Source(s) => {
            name(NameKind::Id, "id", &s.id)?;
            check_known_form("published", s.published, &s.published_form)?;
            pending.sources.insert(s.id.clone(), s.published);
        }
        Event::Assert(c) => {
            claim_id(view, pending, event, seq, IdOp::Assert)?;
            name(NameKind::Subject, "subject", &c.subject)?;
            name(NameKind::Attribute, "attribute", &c.attribute)?;
            let kind = kind_of(view, pending, &c.attribute)?;
            let Some(kind) = kind else {
                let mut known = view.names(Table::Attributes).map_err(storage_refusal)?;
                known.extend(pending.kinds.keys().cloned());
                return Err((
                    "attribute",
                    format!(
                        "attribute '{}' is not defined{}",
                        c.attribute,
                        did_you_mean(&c.attribute, &known)
                    ),
                ));
            };
            known_source(view, pending, &c.source)?;
            check_valid_form(c, kind)?;
            if let Some(known) = c.known {
                check_known_form("known", known, &c.known_form)?;
            }
        }
        Event::Deny(d) => {
            claim_id(view, pending, event, seq, IdOp::Deny)?;
            if let Some(known) = d.known {
                check_known_form("known", known, &d.known_form)?;
            }
            let target = live_target(view, pending, &d.target, seq)?;
            if target.op != IdOp::Assert {
                return Err((
                    "target",
                    format!(
                        "'{}' is a {} event; a denial targets an assert",
                        d.target,
                        op_name(target.op)
                    ),
                ));
            }
            known_source(view, pending, &d.source)?;
        }
        Event::Retract(r) => {
            claim_id(view, pending, event, seq, IdOp::Retract)?;
            let target = live_target(view, pending, &r.target, seq)?;
            if target.op == IdOp::Retract {
                return Err((
                    "target",
                    format!(
                        "'{}' is a retraction; a retraction targets an assert or a deny",
                        r.target
                    ),
                ));
            }
            if r.reason.trim().is_empty() {
                return Err(("reason", "a retraction needs a reason".to_string()));
            }
            pending.retracted.insert(target.seq);
        }
    }
    Ok(())
}

fn op_name(op: IdOp) -> &'static str {
    match op {
        IdOp::Assert => "assert",
        IdOp::Deny => "deny",
        IdOp::Retract => "retract",
    }
}

/// Registers the event's id, refusing one that is already taken.
fn claim_id(
    view: &View<'_>,
    pending: &mut Pending,
    event: &Event,
    seq: u64,
    op: IdOp,
) -> Result<(), Refusal> {
    let id = event.event_id().unwrap_or_default();
    let taken = |other: u64| {
        Err((
            "id",
            format!("id '{id}' is already used by the event at seq {other}"),
        ))
    };
    if automatic_seq(id) == Some(seq) {
        // Automatic: only a writer's explicit e<seq> can be in the way.
        if let Some(other) = pending.ids.get(id) {
            return taken(other.seq);
        }
        if pending.chosen_automatic.contains(&seq) {
            return Err((
                "id",
                format!(
                    "id '{id}' is already used by a writer's event; give this event an explicit id"
                ),
            ));
        }
        pending.automatic[(seq - pending.first_seq) as usize] = Some(op);
        return Ok(());
    }
    check_name(NameKind::Id, id).map_err(|m| ("id", m))?;
    if let Some(named) = automatic_seq(id).filter(|n| *n > seq) {
        // Chosen ahead of the log, `e<N>` would take the name of whatever
        // event lands at seq N, and refuse every event without an id there.
        return Err((
            "id",
            format!(
                "'{id}' is the automatic id the event at seq {named} will get, and this event is at seq {seq}; choose another id"
            ),
        ));
    }
    if let Some(other) = pending.ids.get(id) {
        return taken(other.seq);
    }
    if let Some(other) = pending_automatic(pending, id, seq) {
        return taken(other.seq);
    }
    if let Some(other) = view.id(id).map_err(storage_refusal)? {
        return taken(other.seq);
    }
    pending.ids.insert(id.to_string(), IdEntry { seq, op });
    Ok(())
}

/// An earlier event of this batch whose automatic id is `id`.
fn pending_automatic(pending: &Pending, id: &str, before: u64) -> Option<IdEntry> {
    let n = automatic_seq(id).filter(|n| *n >= pending.first_seq && *n < before)?;
    pending
        .automatic
        .get((n - pending.first_seq) as usize)
        .copied()
        .flatten()
        .map(|op| IdEntry { seq: n, op })
}

/// The target of a deny or retract: it must exist and not be retracted.
fn live_target(
    view: &View<'_>,
    pending: &Pending,
    target: &str,
    seq: u64,
) -> Result<IdEntry, Refusal> {
    let entry = match pending
        .ids
        .get(target)
        .copied()
        .or_else(|| pending_automatic(pending, target, seq))
    {
        Some(e) => e,
        None => view
            .id(target)
            .map_err(storage_refusal)?
            .ok_or_else(|| ("target", format!("no event has the id '{target}'")))?,
    };
    if pending.retracted.contains(&entry.seq)
        || view.is_retracted(entry.seq).map_err(storage_refusal)?
    {
        return Err(("target", format!("the event '{target}' is retracted")));
    }
    Ok(entry)
}

fn known_source(view: &View<'_>, pending: &mut Pending, source: &str) -> Result<(), Refusal> {
    if pending.sources.contains_key(source) || pending.stored_sources.contains(source) {
        return Ok(());
    }
    if view
        .source_published(source)
        .map_err(storage_refusal)?
        .is_some()
    {
        pending.stored_sources.insert(source.to_string());
        return Ok(());
    }
    let mut known = view.names(Table::Sources).map_err(storage_refusal)?;
    known.extend(pending.sources.keys().cloned());
    Err((
        "source",
        format!(
            "source '{source}' is not defined{}",
            did_you_mean(source, &known)
        ),
    ))
}

/// ", did you mean 'x'?" for the closest known name, if one is close.
pub fn did_you_mean(name: &str, known: &[String]) -> String {
    known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(name, k), k))
        .filter(|(d, k)| *d <= (name.len().max(k.len()) / 3).max(2))
        .min()
        .map(|(_, k)| format!("; did you mean '{k}'?"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean_suggests_close_names_only() {
        let known = vec!["export_quota".to_string(), "production".to_string()];
        assert_eq!(
            did_you_mean("export_qouta", &known),
            "; did you mean 'export_quota'?"
        );
        assert_eq!(did_you_mean("tax", &known), "");
    }
}
