//! Denials carried by the entries of the claims they deny, so that a batch
//! that denies claims of earlier batches writes only new pages.
//!
//! A denial of an earlier batch's claim was a row of the `targets` table
//! keyed by the claim's seq: a random leaf of that table per denial, and
//! at 1,000 events a batch most of the pages its commit wrote (about 70 of
//! 100). The batch already writes a flagged copy of each claim it targets
//! into its own run of the slot index (`runs.rs`); the denial now rides in
//! that copy, and readers, which merge a claim's copies anyway, gather the
//! denials of all of them.
//!
//! ```text
//! claim value:  flags u8 | body                                  flags & DENIED == 0
//!               flags u8 | length u32 | denials | body           flags & DENIED != 0
//! denials:      bincode Vec<(actor seq u64, TargetEntry::Denied)>, in actor order
//! ```
//!
//! What stays in the `targets` table: retractions (of claims and of
//! denials: a writer asks whether a target is retracted by its seq alone,
//! `View::is_retracted`), and denials of claims of the same batch, whose
//! keys all sort after every key stored before the batch (a claim's seq is
//! above every earlier batch's), so they are appended, not scattered. A
//! claim with rows in the table has the flag [`TARGETED`].
//!
//! Which of the two places holds a denial therefore depends on how the log
//! was cut into batches; a rebuild from the log (`verify`, a replay) may
//! cut it otherwise. Readers take the union, and `verify` compares what
//! each claim's denials and retractions are, not where they are kept.
//!
//! Architecture Invariant: the body of every copy of a claim is the same
//! bytes; copies differ only in their flags and the denials they carry,
//! and one entry per claim is made of several by [`combine`].

use super::keys::{claim_key_seq, read_u64, TargetEntry, TARGETED};
use crate::error::{Error, Result};
use crate::log::{decode_value, encode_value};
use crate::storage::{scan_prefix, Entry, Storage, Table};

/// The flag of a claim entry that carries denials before its body.
pub(super) const DENIED: u8 = 2;

/// A denial as carried: the seq of the denying event and what it said.
pub type Denial = (u64, TargetEntry);

fn damaged() -> Error {
    Error::Corrupt("the denials a claim entry carries are damaged".into())
}

/// Splits what follows a claim value's flag byte into the denials it
/// carries (encoded; empty when it carries none) and the claim's body.
pub(super) fn split(flags: u8, rest: &[u8]) -> Result<(&[u8], &[u8])> {
    if flags & DENIED == 0 {
        return Ok((&[], rest));
    }
    let length = rest
        .get(..4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_be_bytes)
        .ok_or_else(damaged)? as usize;
    let denials = rest.get(4..4 + length).ok_or_else(damaged)?;
    Ok((denials, &rest[4 + length..]))
}

/// The carried denials, decoded (none from empty bytes).
pub(super) fn decode(denials: &[u8]) -> Result<Vec<Denial>> {
    if denials.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<Denial> = decode_value(denials, "the denials a claim entry carries")?;
    if list.iter().any(|(_, t)| *t == TargetEntry::Retracted) {
        return Err(damaged());
    }
    Ok(list)
}

/// A claim value from its flags, denials (in actor order, without
/// repeats) and body.
fn assemble(flags: u8, denials: &[Denial], body: &[u8]) -> Vec<u8> {
    if denials.is_empty() {
        let mut value = Vec::with_capacity(1 + body.len());
        value.push(flags & !DENIED);
        value.extend_from_slice(body);
        return value;
    }
    let encoded = encode_value(&denials);
    let mut value = Vec::with_capacity(5 + encoded.len() + body.len());
    value.push(flags | DENIED);
    value.extend_from_slice(&(encoded.len() as u32).to_be_bytes());
    value.extend_from_slice(&encoded);
    value.extend_from_slice(body);
    value
}

/// The union of two lists in actor order, in actor order, each actor once
/// (a claim's copies may carry the same denial, and a row of the `targets`
/// table may say it too: a replay writes a batch again, cut otherwise).
/// One event saying two different things about the claim is damage.
pub(super) fn union(mut ours: Vec<Denial>, theirs: Vec<Denial>) -> Result<Vec<Denial>> {
    if theirs.is_empty() {
        return Ok(ours);
    }
    ours.extend(theirs);
    ours.sort_by_key(|(actor, _)| *actor);
    if ours
        .windows(2)
        .any(|w| w[0].0 == w[1].0 && w[0].1 != w[1].1)
    {
        return Err(Error::Corrupt(
            "two copies of a claim's entry disagree on what one event did to it".into(),
        ));
    }
    ours.dedup_by_key(|(actor, _)| *actor);
    Ok(ours)
}

/// Adds to the claim stored as `value` the denial by event `actor`.
pub(super) fn carry(value: &mut Vec<u8>, actor: u64, denial: TargetEntry) -> Result<()> {
    let flags = *value.first().ok_or_else(damaged)?;
    let (denials, body) = split(flags, &value[1..])?;
    let denials = union(decode(denials)?, vec![(actor, denial)])?;
    *value = assemble(flags, &denials, body);
    Ok(())
}

/// Makes the claim stored as `value` one entry with `copy`, another copy
/// of the same claim (from another run, or put twice by one batch): the
/// flags of both, the denials of both.
pub(super) fn combine(value: &mut Vec<u8>, copy: &[u8]) -> Result<()> {
    let (Some(&flags), Some(&copy_flags)) = (value.first(), copy.first()) else {
        return Err(damaged());
    };
    if copy_flags & DENIED == 0 {
        // The common case, a flag at most: no decoding.
        value[0] |= copy_flags & TARGETED;
        return Ok(());
    }
    let (theirs, _) = split(copy_flags, &copy[1..])?;
    let (ours, body) = split(flags, &value[1..])?;
    let denials = union(decode(ours)?, decode(theirs)?)?;
    *value = assemble(flags | (copy_flags & TARGETED), &denials, body);
    Ok(())
}

/// A claim of the slot index (one entry per key, as [`super::every_claim`]
/// gives it) in the form `verify` compares: its key, then every denial and
/// retraction of it as readers find them (the table's rows when its flag
/// sends them there, and the denials it carries), then its body. Where
/// each denial is kept, and so the flags, depends on how the log was cut
/// into batches; what readers find does not.
///
/// Adds to `denial_rows` the rows of denials of the table that the claim
/// explains: all of them when its flag leads readers there, else those
/// that say what a denial it carries says (a replay that cut a batch into
/// other chunks carries a denial whose row the first writing left).
pub(crate) fn as_read(
    storage: &dyn Storage,
    (key, value): Entry,
    denial_rows: &std::cell::Cell<u64>,
) -> Result<Entry> {
    let flags = *value.first().ok_or_else(damaged)?;
    let (denials, body) = split(flags, &value[1..])?;
    let mut targets = decode(denials)?;
    if flags & TARGETED != 0 || !targets.is_empty() {
        let seq = claim_key_seq(&key)?;
        let mut rows = Vec::new();
        for row in scan_prefix(storage, Table::Targets, &seq.to_be_bytes()) {
            let (row_key, row_value) = row?;
            let actor = read_u64(row_key.get(8..).unwrap_or_default(), "a target key")?;
            rows.push((actor, decode_value(&row_value, "a target entry")?));
        }
        let explained = rows
            .iter()
            .filter(|row| row.1 != TargetEntry::Retracted)
            .filter(|row| flags & TARGETED != 0 || targets.contains(row))
            .count();
        denial_rows.set(denial_rows.get() + explained as u64);
        if flags & TARGETED != 0 {
            targets = union(rows, targets)?;
        }
    }
    let mut out = encode_value(&targets);
    out.extend_from_slice(body);
    Ok((key, out))
}

/// Whether a row of the `targets` table is one `verify` compares row by
/// row: a retraction. (Denials are compared through the claims they deny,
/// [`as_read`], since a rebuild may carry a denial that the store keeps
/// in the table, or the other way round.)
pub(crate) fn is_compared_row(value: &[u8]) -> Result<bool> {
    let row: TargetEntry = decode_value(value, "a target entry")?;
    Ok(row == TargetEntry::Retracted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn denial(source: &str) -> TargetEntry {
        TargetEntry::Denied {
            known: None,
            source: source.into(),
        }
    }

    fn parts(value: &[u8]) -> (u8, Vec<Denial>, Vec<u8>) {
        let (denials, body) = split(value[0], &value[1..]).unwrap();
        (value[0], decode(denials).unwrap(), body.to_vec())
    }

    #[test]
    fn carried_denials_sit_before_an_unchanged_body_and_combine_by_union() {
        let body = b"the claim's body".to_vec();
        let plain = [&[0u8][..], &body].concat();
        let mut one = plain.clone();
        carry(&mut one, 40, denial("a")).unwrap();
        carry(&mut one, 20, denial("b")).unwrap();
        assert_eq!(
            parts(&one),
            (
                DENIED,
                vec![(20, denial("b")), (40, denial("a"))],
                body.clone()
            )
        );
        let mut other = plain.clone();
        other[0] |= TARGETED;
        carry(&mut other, 30, denial("c")).unwrap();
        carry(&mut other, 40, denial("a")).unwrap();
        combine(&mut one, &other).unwrap();
        assert_eq!(
            parts(&one),
            (
                DENIED | TARGETED,
                vec![(20, denial("b")), (30, denial("c")), (40, denial("a"))],
                body.clone()
            )
        );
        // A copy with a flag only adds the flag; one with nothing, nothing.
        let mut flagged = plain.clone();
        flagged[0] = TARGETED;
        let mut kept = plain.clone();
        combine(&mut kept, &plain).unwrap();
        assert_eq!(kept, plain);
        combine(&mut kept, &flagged).unwrap();
        assert_eq!(kept, flagged);
    }

    #[test]
    fn damaged_carried_denials_are_an_error_not_a_panic() {
        let mut value = vec![DENIED, 0, 0, 0, 9, 1];
        assert!(split(DENIED, &value[1..]).is_err(), "length past the end");
        assert!(carry(&mut value, 1, denial("a")).is_err());
        assert!(combine(&mut vec![0, 1], &value).is_err());
        assert!(split(DENIED, &[0, 0]).is_err(), "no room for the length");
        let retraction = encode_value(&vec![(3u64, TargetEntry::Retracted)]);
        assert!(decode(&retraction).is_err(), "only denials are carried");
        let (mut one, mut other) = (vec![0u8, 1], vec![0u8, 1]);
        carry(&mut one, 5, denial("a")).unwrap();
        carry(&mut other, 5, denial("b")).unwrap();
        assert!(
            combine(&mut one, &other).is_err(),
            "one event, two different denials"
        );
    }
}
