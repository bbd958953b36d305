//! The log record format: a versioned envelope around a bincode-encoded
//! [`Record`], chained to its predecessor by sha256 (SPEC §6).
//!
//! ```text
//! byte  0        format version (2; version 1 is still read, `legacy.rs`)
//! bytes 1..33    prev_hash: the hash of the record at seq - 1 (zeros for seq 1)
//! bytes 33..65   hash = sha256(prev_hash || body)
//! bytes 65..     body = bincode(Record { seq, recorded, event })
//! ```
//!
//! The body carries its own `seq` and `recorded` time, so the hash covers
//! them: moving, re-dating or editing a record all break the chain. Every
//! read of a record checks its own hash ([`decode`]); `verify` also checks that
//! each `prev_hash` equals the hash before it.
//!
//! That is a record *alone*. A batch's records are stored in blocks
//! (`log/block.rs`), which keep the same chain with only its two ends
//! written down; every reader here takes either kind of entry.

use crate::error::{Error, Result};
use crate::event::Event;
use crate::storage::{Entry, Storage, Table};
use bincode::Options;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

mod block;
mod legacy;

pub use block::BlockWriter;

/// The format version of every record written now. Version 1 records
/// (before uncertain dates) are read through `legacy.rs`.
pub const FORMAT_VERSION: u8 = 2;
const HEADER: usize = 1 + 32 + 32;

/// A sha256 digest.
pub type Hash = [u8; 32];

/// What the log stores for each event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub seq: u64,
    /// When it was written into this store, in microseconds since the Unix epoch.
    pub recorded: i64,
    pub event: Event,
}

/// A decoded record with the chain hashes around it.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub record: Record,
    pub prev_hash: Hash,
    pub hash: Hash,
}

/// The bincode configuration of every stored structure: varint integers keep
/// records small, and the size limit stops a damaged length prefix from
/// asking for gigabytes.
pub fn codec() -> impl Options {
    bincode::DefaultOptions::new().with_limit(256 * 1024 * 1024)
}

pub fn encode_value<T: Serialize>(value: &T) -> Vec<u8> {
    // The same encoding as `codec()` without its limit, which only guards
    // decoding (a bounded encoder measures every value twice). Serialising
    // plain structs into a Vec cannot fail.
    bincode::DefaultOptions::new()
        .serialize(value)
        .unwrap_or_default()
}

pub fn decode_value<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T> {
    codec()
        .deserialize(bytes)
        .map_err(|e| Error::Corrupt(format!("{what} cannot be decoded: {e}")))
}

/// The big-endian u64 at the start of `bytes` (a seq in a key, a position
/// in the store's meta table); `what` names the bytes in the error when
/// there are fewer than eight. Every such decoding goes through here.
pub fn read_u64(bytes: &[u8], what: &str) -> Result<u64> {
    let array: [u8; 8] = bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Error::Corrupt(format!("{what} is damaged")))?;
    Ok(u64::from_be_bytes(array))
}

/// The key of a record: its seq, big-endian so keys sort in log order.
pub fn key(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

pub fn chain_hash(prev_hash: &Hash, body: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash);
    hasher.update(body);
    hasher.finalize().into()
}

/// Encodes a record after `prev_hash`, returning the bytes and the new hash.
pub fn encode(record: &Record, prev_hash: &Hash) -> (Vec<u8>, Hash) {
    let body = encode_value(record);
    let hash = chain_hash(prev_hash, &body);
    (envelope_bytes(prev_hash, &hash, &body), hash)
}

/// A record alone as the table stores it: version, hashes, body.
fn envelope_bytes(prev_hash: &Hash, hash: &Hash, body: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(HEADER + body.len());
    bytes.push(FORMAT_VERSION);
    bytes.extend_from_slice(prev_hash);
    bytes.extend_from_slice(hash);
    bytes.extend_from_slice(body);
    bytes
}

/// Decodes the record stored alone under `seq`, checking its version, its
/// own hash and that it is the record it claims to be. Never trusts
/// damaged bytes.
pub fn decode(seq: u64, bytes: &[u8]) -> Result<Envelope> {
    let corrupt = |why: &str| Error::Corrupt(format!("log record {seq}: {why}"));
    if bytes.len() < HEADER {
        return Err(corrupt("shorter than its header"));
    }
    let mut prev_hash = [0u8; 32];
    prev_hash.copy_from_slice(&bytes[1..33]);
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&bytes[33..65]);
    let body = &bytes[HEADER..];
    if chain_hash(&prev_hash, body) != hash {
        return Err(corrupt(
            "its hash does not match its contents (the record was modified)",
        ));
    }
    Ok(Envelope {
        record: decode_body(seq, bytes[0], body)?,
        prev_hash,
        hash,
    })
}

/// The record of format `version` whose body is `body`, which must be
/// record `seq` (its hash checked by the caller).
fn decode_body(seq: u64, version: u8, body: &[u8]) -> Result<Record> {
    let corrupt = |why: &str| Error::Corrupt(format!("log record {seq}: {why}"));
    let record: Record = match version {
        1 => decode_value::<legacy::RecordV1>(body, &format!("log record {seq}"))?.into(),
        FORMAT_VERSION => decode_value(body, &format!("log record {seq}"))?,
        other => return Err(corrupt(&format!("unknown format version {other}"))),
    };
    if record.seq != seq {
        return Err(corrupt(&format!("it says it is record {}", record.seq)));
    }
    Ok(record)
}

/// The record stored at `seq`, read from the log table and checked as
/// [`decode`] checks it. A missing record is damage: every caller asks for
/// a seq that the head or an index says exists.
pub fn read_envelope(storage: &dyn Storage, seq: u64) -> Result<Envelope> {
    find_envelope(storage, seq)?
        .ok_or_else(|| Error::Corrupt(format!("log record {seq} is missing")))
}

/// Record `seq` without its hashes, through `recent` blocks if given (a
/// block checked by its CRC there, not rehashed); missing is damage, as
/// for [`read_envelope`].
pub fn read_record_in(
    storage: &dyn Storage,
    recent: Option<&RecentBlocks>,
    seq: u64,
) -> Result<Record> {
    find_record_in(storage, recent, seq)?
        .ok_or_else(|| Error::Corrupt(format!("log record {seq} is missing")))
}

/// The record stored at `seq`, if the log holds one.
pub fn find_envelope(storage: &dyn Storage, seq: u64) -> Result<Option<Envelope>> {
    envelope_in(entry_holding(storage, seq)?, seq)
}

/// Blocks of the log read lately, unpacked and checked (by their CRC, or
/// rehashed if they have none: `block.rs`), so that a writer that reads
/// many records of earlier batches (the targets of a batch's denials:
/// validating, indexing and flagging each read the same record) unpacks
/// and checks each block once. Keeping them is safe because a
/// committed block never changes, and only committed records are asked
/// for through it.
#[derive(Default)]
pub struct RecentBlocks {
    blocks: std::sync::Mutex<std::collections::BTreeMap<u64, std::sync::Arc<block::Unpacked>>>,
}

/// Blocks kept at most (about 7 KiB each, unpacked: 28 MiB); then all
/// are dropped. A part of an import (20,000 lines) of the benches' log
/// reads ~1,600 earlier blocks, each three times.
const RECENT_BLOCKS: usize = 4096;

impl RecentBlocks {
    /// Record `seq` without its hashes, through the blocks kept.
    pub fn find_record(&self, storage: &dyn Storage, seq: u64) -> Result<Option<Record>> {
        let kept = {
            let blocks = self.blocks.lock().unwrap_or_else(|e| e.into_inner());
            blocks
                .range(..=seq)
                .next_back()
                .filter(|(_, b)| b.holds(seq))
                .map(|(_, b)| b.clone())
        };
        if let Some(kept) = kept {
            return kept.record(seq);
        }
        let Some((key, value)) = entry_holding(storage, seq)? else {
            return Ok(None);
        };
        let first = first_seq_of(&key)?;
        let Some(unpacked) = block::Unpacked::of(first, &value)? else {
            return Ok(block::envelope(first, &value, seq)?.map(|e| e.record));
        };
        let record = unpacked.record(seq);
        let mut blocks = self.blocks.lock().unwrap_or_else(|e| e.into_inner());
        if blocks.len() >= RECENT_BLOCKS {
            blocks.clear();
        }
        blocks.insert(unpacked.first(), std::sync::Arc::new(unpacked));
        record
    }
}

/// Record `seq` without its hashes, through `recent` blocks if given;
/// without them, read and rehashed as [`find_envelope`] reads it.
pub fn find_record_in(
    storage: &dyn Storage,
    recent: Option<&RecentBlocks>,
    seq: u64,
) -> Result<Option<Record>> {
    match recent {
        Some(recent) => recent.find_record(storage, seq),
        None => Ok(find_envelope(storage, seq)?.map(|e| e.record)),
    }
}

/// The log table entry that would hold record `seq`: the one with the
/// greatest key at or below it (a block holds the records after its key).
pub fn entry_holding(storage: &dyn Storage, seq: u64) -> Result<Option<Entry>> {
    storage
        .scan(Table::Log, &key(0), Some(&key(seq.saturating_add(1))))
        .next_back()
        .transpose()
}

/// Record `seq` out of the log table entry at or below its key (a block
/// holds the records after its key too), if that entry holds it.
pub fn envelope_in(entry: Option<Entry>, seq: u64) -> Result<Option<Envelope>> {
    let Some((key, value)) = entry else {
        return Ok(None);
    };
    block::envelope(first_seq_of(&key)?, &value, seq)
}

/// The seq a log table key names: of a record alone, or of a block's first.
fn first_seq_of(key: &[u8]) -> Result<u64> {
    if key.len() != 8 {
        return Err(Error::Corrupt("a key of the log table is damaged".into()));
    }
    read_u64(key, "a log key")
}

/// Every record with seq in `from..=to`, in order, each checked. A block
/// that begins before `from` is read from its key. A record missing
/// before the last one found is an error; the records end early, without
/// one, only where the log does, which each reader words for itself.
pub fn scan_records(
    storage: &dyn Storage,
    from: u64,
    to: u64,
) -> Box<dyn Iterator<Item = Result<Envelope>> + '_> {
    let start = match entry_holding(storage, from) {
        Ok(Some((key, _))) => key,
        Ok(None) => key(from).to_vec(),
        Err(e) => return Box::new(std::iter::once(Err(e))),
    };
    let mut expected = from;
    Box::new(
        storage
            .scan(Table::Log, &start, Some(&key(to.saturating_add(1))))
            .flat_map(move |entry| {
                let records = entry.and_then(|(key, value)| {
                    Ok(entry_envelopes(&key, &value)?
                        .into_iter()
                        .filter(|e| (from..=to).contains(&e.record.seq))
                        .map(Ok)
                        .collect::<Vec<_>>())
                });
                records.unwrap_or_else(|e| vec![Err(e)])
            })
            .map(move |envelope| {
                let envelope = envelope?;
                let seq = envelope.record.seq;
                if seq != expected {
                    return Err(Error::Corrupt(format!(
                        "log record {expected} is missing (the next one found is {seq})"
                    )));
                }
                expected += 1;
                Ok(envelope)
            }),
    )
}

/// The records of one log table entry, in order, each checked.
pub fn entry_envelopes(key: &[u8], value: &[u8]) -> Result<Vec<Envelope>> {
    block::envelopes(first_seq_of(key)?, value)
}

/// [`read_envelope`]'s record alone.
pub fn read_record(storage: &dyn Storage, seq: u64) -> Result<Record> {
    Ok(read_envelope(storage, seq)?.record)
}

/// A record's `recorded` time (microseconds since the Unix epoch) as
/// RFC 3339 in UTC, as export and `show` print it.
pub fn recorded_text(recorded: i64) -> String {
    jiff::Timestamp::from_microsecond(recorded)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| recorded.to_string())
}

pub fn hex(hash: &Hash) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Retraction;

    fn record(seq: u64) -> Record {
        Record {
            seq,
            recorded: 1_700_000_000_000_000,
            event: Event::Retract(Retraction {
                id: Some("r1".into()),
                target: "e1".into(),
                reason: "typo".into(),
            }),
        }
    }

    #[test]
    fn a_record_round_trips_and_chains() {
        let (bytes, hash) = encode(&record(7), &[1; 32]);
        let envelope = decode(7, &bytes).unwrap();
        assert_eq!(envelope.record, record(7));
        assert_eq!(envelope.prev_hash, [1; 32]);
        assert_eq!(envelope.hash, hash);
    }

    #[test]
    fn every_flipped_byte_is_detected() {
        let (bytes, _) = encode(&record(7), &[1; 32]);
        for i in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[i] ^= 0x20;
            assert!(
                decode(7, &damaged).is_err(),
                "flip at byte {i} went unnoticed"
            );
        }
    }

    #[test]
    fn a_record_under_the_wrong_key_is_refused() {
        let (bytes, _) = encode(&record(7), &[0; 32]);
        let err = decode(8, &bytes).unwrap_err().to_string();
        assert!(err.contains("it says it is record 7"), "{err}");
    }
}
