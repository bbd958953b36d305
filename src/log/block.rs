//! Entries of the log table: a record alone, or a block of consecutive
//! records of one batch under the seq of its first.
//!
//! ```text
//! a record alone:  the record as log.rs lays it out (byte 0 is its format
//!                  version, 1 or 2)
//! a block:         byte 0         0xB1 (never a format version)
//!                  bytes 1..3     n, the number of records, u16 BE (2..=1024)
//!                  bytes 3..3+4n  the end of each record, u32 BE, counted
//!                                 from byte 3+4n
//!                  bytes 3+4n..   the n records, one after the other
//! ```
//!
//! A block exists because the log is append-only: filing each record
//! under its own key made an import insert a million keys into a B-tree
//! for a million events (a quarter of its time), where a block of about
//! 4 KiB (some 25 records) is one insert and one copy. Stores written before blocks hold records
//! alone, which is still a valid entry, and a batch of one record writes
//! one that way too, so every store ever written reads the same way.
//!
//! Architecture Invariant: a block never holds records of two batches, so
//! the records of a batch that never committed are exactly the entries
//! whose key is above the committed head, as they were before blocks.

use crate::error::{Error, Result};

/// The tag that starts a block; a record alone starts with its format
/// version, which is small.
const BLOCK_TAG: u8 = 0xB1;

/// At most this many records go into one block.
pub const BLOCK_RECORDS: usize = 1024;

/// A block is closed before it would grow past this many bytes: one
/// page of redb's with its entry's overhead. redb gives a value larger
/// than a page a run of pages rounded up to a power of two, so blocks of
/// a fixed count (64 records, about 10 KB) left a third of theirs empty;
/// and a reader of one record (a `show`, a denial flagging its target)
/// reads one page. (Blocks just under 16 KiB measured the same on import.)
const BLOCK_BYTES: usize = 4 * 1024 - 64;

/// Gathers consecutive encoded records into log table entries.
pub struct BlockWriter {
    first_seq: u64,
    records: Vec<Vec<u8>>,
    bytes: usize,
    entries: crate::storage::Batch,
}

impl BlockWriter {
    pub fn new(capacity: usize) -> BlockWriter {
        BlockWriter {
            first_seq: 0,
            records: Vec::with_capacity(BLOCK_RECORDS),
            bytes: 0,
            entries: Vec::with_capacity(capacity / 64 + 1),
        }
    }

    /// Adds the record `seq`, which follows the one added before it.
    pub fn push(&mut self, seq: u64, record: Vec<u8>) {
        let grown = 3 + 4 * (self.records.len() + 1) + self.bytes + record.len();
        if self.records.len() == BLOCK_RECORDS || grown > BLOCK_BYTES {
            self.close();
        }
        if self.records.is_empty() {
            self.first_seq = seq;
        }
        self.bytes += record.len();
        self.records.push(record);
    }

    /// The entries of every record added, in key order.
    pub fn finish(mut self) -> crate::storage::Batch {
        self.close();
        self.entries
    }

    fn close(&mut self) {
        let value = match self.records.len() {
            0 => return,
            1 => self.records.pop().unwrap_or_default(),
            n => {
                let mut value = Vec::with_capacity(3 + 4 * n + self.bytes);
                value.push(BLOCK_TAG);
                value.extend_from_slice(&(n as u16).to_be_bytes());
                let mut end = 0u32;
                for record in &self.records {
                    end += record.len() as u32;
                    value.extend_from_slice(&end.to_be_bytes());
                }
                for record in self.records.drain(..) {
                    value.extend_from_slice(&record);
                }
                value
            }
        };
        self.entries
            .push((super::key(self.first_seq).to_vec(), Some(value)));
        self.bytes = 0;
    }
}

/// The records of the entry stored under `first`, each with its seq, in
/// order. A damaged block (a count or an end that does not fit its bytes)
/// is an error; a damaged record inside it is left for its own hash to
/// catch when it is decoded.
pub fn records(first: u64, value: &[u8]) -> Result<Vec<(u64, &[u8])>> {
    if value.first() != Some(&BLOCK_TAG) {
        return Ok(vec![(first, value)]);
    }
    let damaged = |why: &str| Error::Corrupt(format!("the log block at record {first} {why}"));
    let count = value
        .get(1..3)
        .map(|b| u16::from_be_bytes([b[0], b[1]]) as usize)
        .ok_or_else(|| damaged("is shorter than its header"))?;
    if !(2..=BLOCK_RECORDS).contains(&count) {
        return Err(damaged(&format!("says it holds {count} records")));
    }
    let body_start = 3 + 4 * count;
    let ends = value
        .get(3..body_start)
        .ok_or_else(|| damaged("is shorter than its table of records"))?;
    let body = &value[body_start..];
    let mut records = Vec::with_capacity(count);
    let mut start = 0usize;
    for (i, end) in ends.chunks_exact(4).enumerate() {
        let end = u32::from_be_bytes([end[0], end[1], end[2], end[3]]) as usize;
        let bytes = body
            .get(start..end)
            .filter(|_| end > start)
            .ok_or_else(|| damaged("has a record that does not fit in it"))?;
        records.push((first + i as u64, bytes));
        start = end;
    }
    if start != body.len() {
        return Err(damaged("has bytes after its last record"));
    }
    Ok(records)
}

/// The bytes of record `seq` in the entry stored under `first`, if it
/// holds that record.
pub fn find(first: u64, value: &[u8], seq: u64) -> Result<Option<&[u8]>> {
    if seq < first {
        return Ok(None);
    }
    Ok(records(first, value)?
        .into_iter()
        .find(|(s, _)| *s == seq)
        .map(|(_, bytes)| bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(records: &[(u64, Vec<u8>)]) -> crate::storage::Batch {
        let mut writer = BlockWriter::new(records.len());
        for (seq, bytes) in records {
            writer.push(*seq, bytes.clone());
        }
        writer.finish()
    }

    fn record(seq: u64, len: usize) -> (u64, Vec<u8>) {
        // Starts like a record alone: with a format version.
        let mut bytes = vec![2u8];
        bytes.extend((0..len).map(|i| (seq as usize + i) as u8));
        (seq, bytes)
    }

    #[test]
    fn every_record_is_read_back_from_the_block_under_its_first_seq() {
        let input: Vec<_> = (10..10 + 2500).map(|s| record(s, s as usize % 7)).collect();
        let entries = written(&input);
        // Records of 1 to 7 bytes: blocks of at most 1024, then of bytes.
        assert!((3..10).contains(&entries.len()), "{}", entries.len());
        let mut read = Vec::new();
        for (key, value) in &entries {
            let first = u64::from_be_bytes(key[..8].try_into().unwrap());
            let value = value.as_ref().unwrap();
            for (seq, bytes) in records(first, value).unwrap() {
                read.push((seq, bytes.to_vec()));
                assert_eq!(find(first, value, seq).unwrap(), Some(bytes));
            }
            assert_eq!(
                find(first, value, first + BLOCK_RECORDS as u64).unwrap(),
                None
            );
        }
        assert_eq!(read, input);
    }

    #[test]
    fn a_single_record_is_written_alone_as_before_blocks() {
        let input = vec![record(5, 20)];
        let entries = written(&input);
        assert_eq!(
            entries,
            vec![(5u64.to_be_bytes().to_vec(), Some(input[0].1.clone()))]
        );
        assert_eq!(records(5, &input[0].1).unwrap(), vec![(5, &input[0].1[..])]);
    }

    #[test]
    fn long_records_close_a_block_early() {
        let input: Vec<_> = (1..=6).map(|s| record(s, BLOCK_BYTES / 2 - 20)).collect();
        let entries = written(&input);
        assert_eq!(entries.len(), 3);
        assert!(entries
            .iter()
            .all(|(_, v)| v.as_ref().unwrap().len() <= BLOCK_BYTES));
    }

    #[test]
    fn a_damaged_block_is_an_error_never_a_panic() {
        let input: Vec<_> = (1..=5).map(|s| record(s, 10)).collect();
        let block = written(&input)[0].1.clone().unwrap();
        for i in 1..3 + 4 * 5 {
            for flip in [0x01u8, 0x80] {
                let mut damaged = block.clone();
                damaged[i] ^= flip;
                // Either refused, or (an end moved within the body) the
                // records come out with other bounds, which their hashes
                // refuse when decoded.
                if let Ok(read) = records(1, &damaged) {
                    let bounds: Vec<_> = read.iter().map(|(_, b)| b.len()).collect();
                    assert_ne!(bounds, vec![11; 5], "flip at byte {i} changed nothing");
                }
            }
        }
        for len in 1..block.len() {
            assert!(
                records(1, &block[..len]).is_err(),
                "cut at {len} went unnoticed"
            );
        }
    }
}
