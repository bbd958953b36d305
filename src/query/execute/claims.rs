//! `claims`: the claims of a selector themselves, each with its status as
//! of the question (SPEC §7): the winner's status where it wins its slot,
//! its standing beside the winner where it does not, `retracted` where a
//! retraction says its recording was wrong. Claims not yet known at the
//! question's known time are not listed.
//!
//! Resolution sees every claim of a slot; `where` then filters the listing
//! (unlike `where` on a get, which chooses the events resolution reads). A
//! state claim is listed once per run of days over which its standing is
//! the same. Rows come one series at a time.

use super::super::ast::{ClaimStatus, Filter, Reading};
use super::super::rows::{
    series_items, AnswerRow, Cancel, ClaimListing, Reply, RowType, StatementKind,
};
use crate::answer::{contains_ignoring_case, ClaimView, Reader, Row};
use crate::dating::Qualifier;
use crate::error::Result;
use crate::index::{IndexedClaim, View};
use crate::period::Period;
use crate::resolve::{Standing, Status};
use crate::store::Store;

pub(super) fn claims<'s>(store: &'s Store, r: &Reading, cancel: Cancel) -> Result<Reply<'s>> {
    let view = store.view(super::names::recorded(store, r.recorded)?);
    let selector = super::names::selector(&view, &r.selector)?;
    super::names::check_source(&view, r.filter.source.as_deref())?;
    let series = view.series_entries(selector.subject.as_deref(), &selector.attribute)?;
    let period = r.valid.unwrap_or(Period::ALL);
    let (known, filter) = (r.known, r.filter.clone());
    let mut reader = Reader::new(view);
    reader.possibly = r.possibly;
    let rows = cancel
        .until(series.into_iter())
        .flat_map(move |(subject, attribute, entry)| {
            let listed = view.claims_of(entry, &period).and_then(|claims| {
                let rows = reader.rows_of(
                    &subject,
                    &attribute,
                    entry.kind,
                    claims.clone(),
                    &period,
                    known.as_ref(),
                )?;
                listing(
                    view,
                    &mut reader,
                    &subject,
                    &attribute,
                    &rows,
                    claims,
                    known,
                )
            });
            series_items(listed.map(|listed| {
                listed
                    .into_iter()
                    .filter(|c| keeps(&filter, c))
                    .map(AnswerRow::Claim)
                    .collect()
            }))
        });
    Ok(Reply::new(
        view.position,
        StatementKind::Claims,
        RowType::Claim,
        rows,
        cancel,
    ))
}

/// The listing of one series: every claim of its resolved rows, runs of
/// the same claim and status merged, and the retracted claims.
fn listing(
    view: View<'_>,
    reader: &mut Reader<'_>,
    subject: &str,
    attribute: &str,
    rows: &[Row],
    claims: Vec<IndexedClaim>,
    asked: Option<Period>,
) -> Result<Vec<ClaimListing>> {
    let entry = |valid: Period, c: &ClaimView, status: ClaimStatus| ClaimListing {
        subject: subject.to_string(),
        attribute: attribute.to_string(),
        valid,
        event: c.event.clone(),
        seq: c.seq,
        value: c.value.clone(),
        status,
        modality: c.modality,
        known: c.known,
        source: c.source.clone(),
        quote: c.quote.clone(),
        certainty: c.certainty,
        valid_form: c.valid_form,
        known_form: c.known_form,
    };
    let mut out: Vec<ClaimListing> = Vec::new();
    for row in rows {
        out.push(entry(row.valid, &row.winner, winner_status(row.status)));
        for (claim, standing) in &row.others {
            out.push(entry(row.valid, claim, standing_status(*standing)));
        }
    }
    // Runs of one claim with one status, side by side, become one entry.
    out.sort_by_key(|c| (c.seq, c.valid.start_key()));
    let mut merged: Vec<ClaimListing> = Vec::with_capacity(out.len());
    for c in out {
        match merged.last_mut() {
            Some(last)
                if last.seq == c.seq
                    && last.status == c.status
                    && last.valid.end == c.valid.start =>
            {
                // Runs that differ only in certainty (a vague valid period
                // is certain on some days, possible on others) are one
                // entry, printed as written, `possible` if any part is.
                last.valid.end = c.valid.end;
                last.certainty = last.certainty.and(c.certainty);
            }
            _ => merged.push(c),
        }
    }
    for claim in claims {
        if merged.iter().any(|c| c.seq == claim.seq) || !view.is_retracted(claim.seq)? {
            continue;
        }
        let known = reader.effective_known(claim.entry.known, &claim.entry.source)?;
        if asked.is_some_and(|q| !known.known_by(&q)) {
            continue;
        }
        merged.push(ClaimListing {
            subject: subject.to_string(),
            attribute: attribute.to_string(),
            valid: claim.valid,
            event: claim
                .entry
                .id
                .clone()
                .unwrap_or_else(|| crate::index::automatic_id(claim.seq)),
            seq: claim.seq,
            value: claim.entry.value,
            status: ClaimStatus::Retracted,
            modality: claim.entry.modality,
            known,
            source: claim.entry.source,
            certainty: Qualifier::of_forms([&claim.entry.valid_form, &claim.entry.known_form])
                .into(),
            valid_form: claim.entry.valid_form,
            known_form: claim.entry.known_form,
            quote: claim.entry.quote,
        });
    }
    merged.sort_by_key(|c| (c.valid.start_key(), c.valid.end_key(), c.seq));
    Ok(merged)
}

fn winner_status(status: Status) -> ClaimStatus {
    match status {
        Status::Current => ClaimStatus::Current,
        Status::Contested => ClaimStatus::Contested,
        Status::Denied => ClaimStatus::Denied,
    }
}

fn standing_status(standing: Standing) -> ClaimStatus {
    match standing {
        Standing::Denied => ClaimStatus::Denied,
        Standing::Agrees => ClaimStatus::Agrees,
        Standing::Superseded => ClaimStatus::Superseded,
        Standing::Conflicting => ClaimStatus::Conflicting,
    }
}

/// Whether a listed claim meets every condition of `where`.
fn keeps(filter: &Filter, c: &ClaimListing) -> bool {
    filter.source.as_ref().is_none_or(|s| *s == c.source)
        && filter.modality.is_none_or(|m| m == c.modality)
        && filter.status.is_none_or(|s| s == c.status)
        && filter.quote_contains.as_ref().is_none_or(|words| {
            c.quote
                .as_deref()
                .is_some_and(|q| contains_ignoring_case(q, words))
        })
}
