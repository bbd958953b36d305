//! Entries of the log table: a record alone, or a compressed block of
//! consecutive records of one batch, under the seq of its first.
//!
//! ```text
//! a record alone:  the record as log.rs lays it out (byte 0 is its format
//!                  version, 1 or 2)
//! a block:         byte 0          0xB3 (never a format version): a block of
//!                                  records of format 2, checksummed
//!                  bytes 1..3      n, the number of records, u16 BE (2..=1024)
//!                  bytes 3..7      the length of the packed records, u32 BE
//!                  bytes 7..39     prev_hash: the hash of the record before
//!                                  the first (zeros for seq 1)
//!                  bytes 39..71    the hash of the last record
//!                  bytes 71..75    a CRC-32 of every other byte of the entry,
//!                                  u32 BE
//!                  bytes 75..      the packed records, compressed (an LZ4 block)
//! a block of old:  0xB2, as above without the CRC (bytes 71.. the records)
//! packed records:  for each record in seq order: its body's length u16 BE,
//!                  then its body, as alone
//! ```
//!
//! The hash chain is the records' own: record `i`'s hash is
//! `sha256(hash of i - 1 || body)` whether it is stored alone or in a
//! block, so a log's head hash does not depend on how it was stored. A
//! block keeps the two ends of its piece of the chain, and every read of
//! any of its records that returns their hashes recomputes the piece and
//! compares its end: a record changed anywhere in the block breaks it.
//! A writer reading the records its batch's denials target needs no
//! hashes: it checks the block's CRC instead (a block written before the
//! CRC, tagged `0xB2`, is rehashed), which is a fraction of the cost of
//! rehashing and catches damage as surely. The whole chain, end to end,
//! is `verify`'s to check.
//!
//! Blocks exist because the log is append-only and most of its bytes
//! repeat (names, sources, units): filing each record under its own key
//! made a 1M-event import insert a million keys into a B-tree, with two
//! 32-byte hashes per record, and the log took more room than the JSON
//! Lines it came from. A block of about 4 KiB of records is one insert,
//! the hashes between its ends are recomputed instead of stored, and LZ4
//! makes the rest a third of its size or less. A block is closed before
//! its packed records pass 4 KiB, so that a reader of one record (a
//! `show`, a `history` step, a denial flagging its target) unpacks and
//! rehashes a few dozen records, not thousands.
//!
//! Stores written before blocks hold records alone, which is still a valid
//! entry; a record too long for a block (a long quote) and a batch of one
//! record are written alone too. Every store ever written reads the same way.
//!
//! Architecture Invariant: a block never holds records of two batches, so
//! the records of a batch that never committed are exactly the entries
//! whose key is above the committed head, as they were before blocks.

use super::{chain_hash, decode, decode_body, encode_value, Envelope, Hash, Record};
use crate::error::{Error, Result};

/// The tag that starts a block of records of format 2; a record alone
/// starts with its format version, which is small. A later format gets a
/// tag of its own, so that no byte outside the hashed bodies decides how
/// they are read.
const BLOCK_TAG: u8 = 0xB3;
const BLOCK_FORMAT: u8 = 2;

/// The tag of the blocks written before they carried a CRC: still read.
const UNCHECKED_BLOCK_TAG: u8 = 0xB2;

/// At most this many records go into one block.
const BLOCK_RECORDS: usize = 1024;

/// A block is closed before its packed records would pass this many bytes.
const PACKED_BYTES: usize = 4096;

/// Tag, count, length and the two hashes; a block of [`BLOCK_TAG`] has
/// its CRC after them.
const HEADER: usize = 1 + 2 + 4 + 32 + 32;
const CRC: usize = 4;

/// Whether a log entry is a block (of either tag), not a record alone.
fn is_block(value: &[u8]) -> bool {
    matches!(value.first(), Some(&BLOCK_TAG | &UNCHECKED_BLOCK_TAG))
}

/// The CRC of a block of [`BLOCK_TAG`]: of every byte but its own four.
fn block_crc(value: &[u8]) -> u32 {
    let mut crc = crc32fast::Hasher::new();
    crc.update(&value[..HEADER]);
    crc.update(&value[HEADER + CRC..]);
    crc.finalize()
}

/// Chains records and gathers them into log table entries.
pub struct BlockWriter {
    /// The hash of the last record pushed (or of the one before the batch).
    hash: Hash,
    /// The block being filled: its first seq, the hash before it, and its
    /// packed records.
    first_seq: u64,
    prev_hash: Hash,
    count: usize,
    packed: Vec<u8>,
    /// A lone record's whole envelope, kept in case no other joins it.
    alone: Option<Vec<u8>>,
    entries: crate::storage::Batch,
}

impl BlockWriter {
    /// A writer whose first record follows the record hashed `prev_hash`.
    pub fn new(prev_hash: Hash) -> BlockWriter {
        BlockWriter {
            hash: prev_hash,
            first_seq: 0,
            prev_hash,
            count: 0,
            packed: Vec::with_capacity(PACKED_BYTES + 512),
            alone: None,
            entries: Vec::new(),
        }
    }

    /// Adds the record that follows the one added before it.
    pub fn push(&mut self, record: &Record) {
        let body = encode_value(record);
        let packed_len = 2 + body.len();
        if self.count > 0
            && (self.count == BLOCK_RECORDS || self.packed.len() + packed_len > PACKED_BYTES)
        {
            // Closed with the hash of its last record, before this one's.
            self.close();
        }
        let prev_hash = self.hash;
        self.hash = chain_hash(&prev_hash, &body);
        if packed_len > PACKED_BYTES {
            // Too long to share a block: stored alone, as before blocks.
            self.entries.push((
                super::key(record.seq).to_vec(),
                Some(super::envelope_bytes(&prev_hash, &self.hash, &body)),
            ));
            return;
        }
        if self.count == 0 {
            self.first_seq = record.seq;
            self.prev_hash = prev_hash;
            self.alone = Some(super::envelope_bytes(&prev_hash, &self.hash, &body));
        } else {
            self.alone = None;
        }
        self.count += 1;
        self.packed
            .extend_from_slice(&(body.len() as u16).to_be_bytes());
        self.packed.extend_from_slice(&body);
    }

    /// The entries of every record added, in key order, and the hash of
    /// the last record.
    pub fn finish(mut self) -> (crate::storage::Batch, Hash) {
        self.close();
        (self.entries, self.hash)
    }

    fn close(&mut self) {
        let value = match (self.count, self.alone.take()) {
            (0, _) => return,
            (1, Some(alone)) => alone,
            (count, _) => {
                let compressed = lz4_flex::block::compress(&self.packed);
                let mut value = Vec::with_capacity(HEADER + CRC + compressed.len());
                value.push(BLOCK_TAG);
                value.extend_from_slice(&(count as u16).to_be_bytes());
                value.extend_from_slice(&(self.packed.len() as u32).to_be_bytes());
                value.extend_from_slice(&self.prev_hash);
                value.extend_from_slice(&self.hash);
                value.extend_from_slice(&[0; CRC]);
                value.extend_from_slice(&compressed);
                let crc = block_crc(&value);
                value[HEADER..HEADER + CRC].copy_from_slice(&crc.to_be_bytes());
                value
            }
        };
        self.entries
            .push((super::key(self.first_seq).to_vec(), Some(value)));
        self.count = 0;
        self.packed.clear();
    }
}

/// One record of a block, its piece of the chain checked.
struct Packed {
    body: std::ops::Range<usize>,
    prev_hash: Hash,
    hash: Hash,
}

impl Packed {
    /// The record, decoded out of the block's packed bytes: record `seq`.
    fn open(self, packed: &[u8], seq: u64) -> Result<Envelope> {
        Ok(Envelope {
            record: decode_body(seq, BLOCK_FORMAT, &packed[self.body])?,
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }
}

/// A block's records unpacked and checked: the packed bytes and where
/// each record lies in them. Fails if the block is damaged anywhere. With
/// `rehash`, or for a block without a CRC, the records' piece of the chain
/// is recomputed and compared with the block's ends (and each record
/// carries its hashes); otherwise the CRC is the check, and the hashes
/// are left zero.
fn unpack(first: u64, value: &[u8], rehash: bool) -> Result<(Vec<u8>, Vec<Packed>)> {
    let damaged = |why: &str| Error::Corrupt(format!("the log block at record {first} {why}"));
    // A damaged key near the end of the seqs must not overflow below.
    if first.checked_add(BLOCK_RECORDS as u64).is_none() {
        return Err(damaged("has a key no log reaches"));
    }
    let header = value
        .get(..HEADER)
        .ok_or_else(|| damaged("is shorter than its header"))?;
    let checksummed = header[0] == BLOCK_TAG;
    let records_at = if checksummed { HEADER + CRC } else { HEADER };
    // Rehashing checks every byte the CRC covers, and names the records
    // changed: the CRC is checked only in its stead.
    let rehash = rehash || !checksummed;
    if !rehash {
        let stored = value
            .get(HEADER..HEADER + CRC)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or_else(|| damaged("is shorter than its header"))?;
        if stored != block_crc(value) {
            return Err(damaged("fails its checksum (it is damaged)"));
        }
    }
    let count = u16::from_be_bytes([header[1], header[2]]) as usize;
    if !(2..=BLOCK_RECORDS).contains(&count) {
        return Err(damaged(&format!("says it holds {count} records")));
    }
    let length = u32::from_be_bytes([header[3], header[4], header[5], header[6]]) as usize;
    // Every record of a block fits in its packed limit, and a damaged
    // length must not ask for gigabytes.
    if length > PACKED_BYTES || length < count * 3 {
        return Err(damaged(&format!("says its records take {length} bytes")));
    }
    let mut prev_hash: Hash = [0; 32];
    prev_hash.copy_from_slice(&header[7..39]);
    let mut last_hash: Hash = [0; 32];
    last_hash.copy_from_slice(&header[39..71]);
    let compressed = value
        .get(records_at..)
        .ok_or_else(|| damaged("is shorter than its header"))?;
    let packed = lz4_flex::block::decompress(compressed, length)
        .ok()
        .filter(|packed| packed.len() == length)
        .ok_or_else(|| damaged("cannot be decompressed"))?;
    let mut records = Vec::with_capacity(count);
    let mut at = 0usize;
    let mut hash = prev_hash;
    for _ in 0..count {
        let len = packed
            .get(at..at + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]) as usize)
            .ok_or_else(|| damaged("ends inside a record"))?;
        let body = packed
            .get(at + 2..at + 2 + len)
            .filter(|r| !r.is_empty())
            .ok_or_else(|| damaged("ends inside a record"))?;
        let (before, after) = if rehash {
            let before = hash;
            hash = chain_hash(&before, body);
            (before, hash)
        } else {
            ([0; 32], [0; 32])
        };
        records.push(Packed {
            body: at + 2..at + 2 + len,
            prev_hash: before,
            hash: after,
        });
        at += 2 + len;
    }
    if at != packed.len() {
        return Err(damaged("has bytes after its last record"));
    }
    if rehash && hash != last_hash {
        return Err(Error::Corrupt(format!(
            "log records {first}..{}: their hashes do not match their contents (a record was modified)",
            first + count as u64 - 1
        )));
    }
    Ok((packed, records))
}

/// A block unpacked and checked (by its CRC, or rehashed if it has
/// none), kept to take more of its records from: their records only, not
/// their hashes.
pub struct Unpacked {
    first: u64,
    packed: Vec<u8>,
    records: Vec<Packed>,
}

impl Unpacked {
    /// The block stored under `first`, checked whole; `None` when the
    /// entry is a record alone.
    pub fn of(first: u64, value: &[u8]) -> Result<Option<Unpacked>> {
        if !is_block(value) {
            return Ok(None);
        }
        let (packed, records) = unpack(first, value, false)?;
        Ok(Some(Unpacked {
            first,
            packed,
            records,
        }))
    }

    pub fn first(&self) -> u64 {
        self.first
    }

    /// Whether record `seq` is one of the block's.
    pub fn holds(&self, seq: u64) -> bool {
        seq >= self.first && seq - self.first < self.records.len() as u64
    }

    /// Record `seq`, decoded, if the block holds it.
    pub fn record(&self, seq: u64) -> Result<Option<Record>> {
        if !self.holds(seq) {
            return Ok(None);
        }
        let r = &self.records[(seq - self.first) as usize];
        decode_body(seq, BLOCK_FORMAT, &self.packed[r.body.clone()]).map(Some)
    }
}

/// Every record of the entry stored under `first`, checked.
pub fn envelopes(first: u64, value: &[u8]) -> Result<Vec<Envelope>> {
    if !is_block(value) {
        return Ok(vec![decode(first, value)?]);
    }
    let (packed, records) = unpack(first, value, true)?;
    records
        .into_iter()
        .enumerate()
        .map(|(i, r)| r.open(&packed, first + i as u64))
        .collect()
}

/// Record `seq` of the entry stored under `first`, if it holds that
/// record: the whole block is checked, only this record decoded.
pub fn envelope(first: u64, value: &[u8], seq: u64) -> Result<Option<Envelope>> {
    if seq < first {
        return Ok(None);
    }
    if !is_block(value) {
        return if seq == first {
            decode(seq, value).map(Some)
        } else {
            Ok(None)
        };
    }
    let (packed, records) = unpack(first, value, true)?;
    let Some(r) = usize::try_from(seq - first)
        .ok()
        .and_then(|i| records.into_iter().nth(i))
    else {
        return Ok(None);
    };
    r.open(&packed, seq).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, Retraction};

    fn record(seq: u64, reason_len: usize) -> Record {
        Record {
            seq,
            recorded: 1_700_000_000_000_000,
            event: Event::Retract(Retraction {
                id: Some(format!("r{seq}")),
                target: "e1".into(),
                reason: "x".repeat(reason_len),
            }),
        }
    }

    fn written(records: &[Record]) -> (crate::storage::Batch, Hash) {
        let mut writer = BlockWriter::new([7; 32]);
        for record in records {
            writer.push(record);
        }
        writer.finish()
    }

    fn read_all(entries: &crate::storage::Batch) -> Vec<Envelope> {
        let mut read = Vec::new();
        for (key, value) in entries {
            let first = u64::from_be_bytes(key[..8].try_into().unwrap());
            read.extend(envelopes(first, value.as_ref().unwrap()).unwrap());
        }
        read
    }

    #[test]
    fn every_record_reads_back_from_its_block_with_the_chain_of_records_alone() {
        let input: Vec<_> = (10..10 + 500).map(|s| record(s, s as usize % 40)).collect();
        let (entries, last) = written(&input);
        assert!(
            entries.len() > 2 && entries.len() < 100,
            "{}",
            entries.len()
        );
        let read = read_all(&entries);
        assert_eq!(
            read.iter().map(|e| e.record.clone()).collect::<Vec<_>>(),
            input
        );
        // The same chain as records alone would carry.
        let mut hash = [7; 32];
        for (envelope, record) in read.iter().zip(&input) {
            let (_, next) = crate::log::encode(record, &hash);
            assert_eq!(envelope.prev_hash, hash);
            assert_eq!(envelope.hash, next);
            hash = next;
        }
        assert_eq!(last, hash);
        for (key, value) in &entries {
            let first = u64::from_be_bytes(key[..8].try_into().unwrap());
            let value = value.as_ref().unwrap();
            if value[0] != BLOCK_TAG {
                continue;
            }
            let one = envelope(first, value, first + 1).unwrap().unwrap();
            assert_eq!(one.record, input[(first + 1 - 10) as usize]);
            assert!(envelope(first, value, first - 1).unwrap().is_none());
        }
    }

    #[test]
    fn one_record_and_a_record_too_long_for_a_block_are_written_alone() {
        let (entries, _) = written(&[record(5, 20)]);
        assert_eq!(entries.len(), 1);
        let value = entries[0].1.as_ref().unwrap();
        assert_eq!(value[0], crate::log::FORMAT_VERSION);
        assert_eq!(crate::log::decode(5, value).unwrap().record, record(5, 20));

        let input = vec![
            record(1, 10),
            record(2, PACKED_BYTES),
            record(3, 10),
            record(4, 10),
        ];
        let (entries, _) = written(&input);
        let keys: Vec<u64> = entries
            .iter()
            .map(|(k, _)| u64::from_be_bytes(k[..8].try_into().unwrap()))
            .collect();
        assert_eq!(keys, vec![1, 2, 3]);
        assert_eq!(entries[2].1.as_ref().unwrap()[0], BLOCK_TAG);
        let read: Vec<Record> = read_all(&entries).into_iter().map(|e| e.record).collect();
        assert_eq!(read, input);
    }

    #[test]
    fn blocks_stay_within_their_packed_limit() {
        let input: Vec<_> = (1..=200).map(|s| record(s, 300)).collect();
        let (entries, _) = written(&input);
        for (key, value) in &entries {
            let first = u64::from_be_bytes(key[..8].try_into().unwrap());
            let (packed, _) = unpack(first, value.as_ref().unwrap(), true).unwrap();
            assert!(packed.len() <= PACKED_BYTES);
        }
    }

    /// A flipped byte is refused, or (a match of the compressed records
    /// that now points at other bytes just like the ones it pointed at)
    /// changes nothing that is read: never a record other than the one
    /// written, and never a panic.
    #[test]
    fn a_flipped_byte_of_a_block_is_refused_or_changes_nothing_read() {
        let input: Vec<_> = (1..=30).map(|s| record(s, 15)).collect();
        let (entries, _) = written(&input);
        let block = entries[0].1.clone().unwrap();
        assert_eq!(block[0], BLOCK_TAG);
        let mut refused = 0;
        for i in 1..block.len() {
            for flip in [0x01u8, 0x80] {
                let mut damaged = block.clone();
                damaged[i] ^= flip;
                match envelopes(1, &damaged) {
                    Err(_) => refused += 1,
                    Ok(read) => {
                        let read: Vec<Record> = read.into_iter().map(|e| e.record).collect();
                        assert_eq!(read, input, "a flip at byte {i}");
                    }
                }
                match envelope(1, &damaged, 3) {
                    Err(_) => {}
                    Ok(read) => assert_eq!(read.map(|e| e.record), Some(input[2].clone())),
                }
            }
        }
        // The header and the hashes are all refused; so is most of the rest.
        assert!(refused > (block.len() - 1) * 2 * 9 / 10, "{refused}");
        for len in 1..block.len() {
            assert!(envelopes(1, &block[..len]).is_err(), "cut at {len}");
        }
    }

    /// A writer's read of a block's records, which skips rehashing them,
    /// refuses every flipped bit: the CRC covers every byte.
    #[test]
    fn a_block_read_for_its_records_alone_is_checked_by_its_crc() {
        let input: Vec<_> = (1..=30).map(|s| record(s, 15)).collect();
        let (entries, _) = written(&input);
        let block = entries[0].1.clone().unwrap();
        assert_eq!(block[0], BLOCK_TAG);
        let unpacked = Unpacked::of(1, &block).unwrap().unwrap();
        assert_eq!(unpacked.record(3).unwrap(), Some(input[2].clone()));
        for i in 1..block.len() {
            for flip in [0x01u8, 0x80] {
                let mut damaged = block.clone();
                damaged[i] ^= flip;
                assert!(Unpacked::of(1, &damaged).is_err(), "a flip at byte {i}");
            }
        }
        for len in 1..block.len() {
            assert!(Unpacked::of(1, &block[..len]).is_err(), "cut at {len}");
        }
    }

    /// Blocks written before they carried a CRC read as they did, rehashed
    /// on every read.
    #[test]
    fn a_block_written_before_the_crc_reads_and_is_rehashed() {
        let input: Vec<_> = (1..=30).map(|s| record(s, 15)).collect();
        let (entries, _) = written(&input);
        let block = entries[0].1.clone().unwrap();
        let mut old = block[..HEADER].to_vec();
        old[0] = UNCHECKED_BLOCK_TAG;
        old.extend_from_slice(&block[HEADER + CRC..]);
        let read: Vec<Record> = envelopes(1, &old)
            .unwrap()
            .into_iter()
            .map(|e| e.record)
            .collect();
        assert_eq!(read[..], input[..read.len()]);
        let unpacked = Unpacked::of(1, &old).unwrap().unwrap();
        assert_eq!(unpacked.record(3).unwrap(), Some(input[2].clone()));
        // A record changed in it is caught by its hashes.
        let (packed, _) = unpack(1, &old, true).unwrap();
        let mut changed = packed.clone();
        let at = changed.len() - 1;
        changed[at] ^= 1;
        let mut rewritten = old[..HEADER].to_vec();
        rewritten.extend_from_slice(&lz4_flex::block::compress(&changed));
        assert!(Unpacked::of(1, &rewritten).is_err());
        assert!(envelopes(1, &rewritten).is_err());
    }
}
