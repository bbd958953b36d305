//! The slot index entries of a batch written in parts, held back until the
//! batch's last part and then written in key order.
//!
//! Each part's claim entries come sorted ([`super::IndexWrites`]); they are
//! appended to a temporary file as one run, and at the end the runs are
//! merged, so the `claims` table takes the whole batch in one pass from its
//! first key to its last. Written part by part, the entries of every part
//! went into every series' range in turn: each B-tree leaf was touched
//! once per part, leaves split half-empty, and a claim denied in a later
//! part than its own had to be read back (its record, its series, its
//! entry) to be flagged. Here the denials of the batch are gathered as seqs
//! and flagged as their claims go by in the merge, with no read.
//!
//! Memory: a buffer per run, shrinking as runs grow in number (8 MiB in
//! all), and 8 bytes per claim the batch denies or retracts.
//!
//! ```text
//! the file: the runs one after another; a run: its entries in key order,
//!           each   key length u16 LE | key | value length u32 LE | value
//! ```
//!
//! The file is unnamed (`O_TMPFILE` where the system has it) in the store's
//! directory, so a crash leaves nothing behind, and it is never part of the
//! store: the transaction the merge writes into is the only way anything
//! reaches it.

use super::blocks::ordinal;
use super::carried;
use super::keys::{claim_key_seq, mark_targeted, CLAIM_KEY_LEN};
use super::runs::{self, RunWriter};
use crate::error::{Error, Result};
use crate::storage::{Batch, Entry, Storage, Table, Transaction};
use std::cmp::Reverse;
use std::collections::binary_heap::PeekMut;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufWriter, Write};

/// All runs' read buffers together stay under this.
const MERGE_BUFFERS: usize = 8 << 20;

/// Blocks handed to the transaction at a time.
const WRITE_CHUNK: usize = 1024;

/// The claim entries of a batch's parts, in sorted runs.
pub struct ClaimRuns {
    dir: Option<std::path::PathBuf>,
    /// The first run, held in memory until a second comes: a batch of one
    /// part (most appends) writes it directly, without a file.
    held: Vec<Entry>,
    file: Option<BufWriter<File>>,
    /// Each run's start and end in the file.
    runs: Vec<(u64, u64)>,
    written: u64,
}

impl ClaimRuns {
    /// Runs to be kept, if there are several, in a temporary file in `dir`
    /// (the system's temporary directory if `None`).
    pub fn new(dir: Option<&std::path::Path>) -> ClaimRuns {
        ClaimRuns {
            dir: dir.map(std::path::Path::to_path_buf),
            held: Vec::new(),
            file: None,
            runs: Vec::new(),
            written: 0,
        }
    }

    /// Adds one part's entries, which are in key order.
    pub fn add(&mut self, entries: Vec<Entry>) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        if self.held.is_empty() && self.file.is_none() {
            self.held = entries;
            return Ok(());
        }
        if self.file.is_none() {
            let file = match &self.dir {
                Some(dir) => tempfile::tempfile_in(dir),
                None => tempfile::tempfile(),
            }
            .map_err(|e| {
                Error::Storage(format!(
                    "cannot create a file to sort the batch's index entries in: {e}"
                ))
            })?;
            self.file = Some(BufWriter::with_capacity(1 << 20, file));
            let held = std::mem::take(&mut self.held);
            self.append_run(held)?;
        }
        self.append_run(entries)
    }

    fn append_run(&mut self, entries: Vec<Entry>) -> Result<()> {
        let Some(file) = self.file.as_mut() else {
            return Ok(());
        };
        let start = self.written;
        for (key, value) in entries {
            file.write_all(&(key.len() as u16).to_le_bytes())?;
            file.write_all(&key)?;
            file.write_all(&(value.len() as u32).to_le_bytes())?;
            file.write_all(&value)?;
            self.written += 2 + key.len() as u64 + 4 + value.len() as u64;
        }
        self.runs.push((start, self.written));
        Ok(())
    }

    /// Writes the batch's claims into `txn` as one run of the slot index
    /// numbered `run` (`runs.rs`), merging the parts' sorted runs in key
    /// order and flagging the claims whose seq is in `targeted` (a denial
    /// or retraction of a later part targets them). Equal keys become one
    /// entry.
    ///
    /// A batch of one part with claims may merge its run with small stored
    /// runs here (`runs::run_of_batch`); `storage` is the store as the batch
    /// found it.
    pub fn write_into(
        self,
        txn: &mut dyn Transaction,
        storage: &dyn Storage,
        targeted: Vec<u64>,
        run: u64,
    ) -> Result<()> {
        let targeted = SeqSet::new(run, &targeted);
        let Some(file) = self.file else {
            // One part with claims: its own denials are flagged already,
            // those of later parts without claims are flagged here.
            let mut held = self.held;
            if !targeted.is_empty() {
                for (key, value) in &mut held {
                    if targeted.contains(claim_key_seq(key)?) {
                        mark_targeted(value);
                    }
                }
            }
            return txn.write(Table::Claims, runs::run_of_batch(storage, run, held)?);
        };
        let file = file.into_inner().map_err(|e| Error::Io(e.into_error()))?;
        // Merging and cutting blocks on a thread of their own, the
        // transaction taking each chunk of blocks on this one, which also
        // compresses them: at 1M events the merge took 0.3-0.4 s and the
        // writes 0.1 s more, one after the other, between the last part
        // and the commit; with both on the merge's side, compression was
        // two fifths of the merge's thread while this one mostly waited.
        runs::written_as_made(
            |send| merge_runs(&file, &self.runs, &targeted, run, send),
            |chunk| txn.write(Table::Claims, runs::packed_blocks(chunk)),
        )
    }
}

/// The seqs of a batch's claims that later parts target, as one bit per
/// seq from the batch's first: a merge asks once per claim, and at 10M a
/// bisection of the sorted seqs (6 MiB of them, out of the CPU's caches)
/// took most of the merge's time.
struct SeqSet {
    first: u64,
    bits: Vec<u64>,
}

impl SeqSet {
    fn new(first: u64, seqs: &[u64]) -> SeqSet {
        let span = seqs
            .iter()
            .map(|s| s.saturating_sub(first))
            .max()
            .map_or(0, |m| m + 1);
        let mut bits = vec![0u64; span.div_ceil(64) as usize];
        for seq in seqs.iter().filter(|s| **s >= first) {
            let at = seq - first;
            bits[(at / 64) as usize] |= 1 << (at % 64);
        }
        SeqSet { first, bits }
    }

    fn is_empty(&self) -> bool {
        self.bits.is_empty()
    }

    fn contains(&self, seq: u64) -> bool {
        let Some(at) = seq.checked_sub(self.first) else {
            return false;
        };
        self.bits
            .get((at / 64) as usize)
            .is_some_and(|word| word & (1 << (at % 64)) != 0)
    }
}

/// Merges the sorted `runs` of `file` in key order into blocks of run
/// `run`, flagging the claims whose seq is in `targeted`, and
/// sends them in chunks. Equal keys become one entry, with the flags and
/// carried denials of all ([`carried::combine`]).
///
/// The heap holds each run's next key as two integers ([`ordinal`]) and
/// the run's index, the entries staying in their readers: at 1M events a
/// heap of `(key, value)` vectors spent a quarter of the merge comparing
/// through pointers and allocating two vectors per claim.
fn merge_runs(
    file: &File,
    runs: &[(u64, u64)],
    targeted: &SeqSet,
    run: u64,
    send: &mut dyn FnMut(Batch) -> Result<()>,
) -> Result<()> {
    let buffer = (MERGE_BUFFERS / runs.len().max(1)).clamp(4096, 1 << 16);
    let mut readers: Vec<RunReader> = runs
        .iter()
        .map(|&(start, end)| RunReader::new(start, end, buffer))
        .collect();
    let mut heap = BinaryHeap::with_capacity(readers.len());
    for (part, reader) in readers.iter_mut().enumerate() {
        if reader.advance(file)? {
            heap.push(Reverse((ordinal(&reader.key), part)));
        }
    }
    let mut blocks = RunWriter::new(run, run).leaving_blocks_plain();
    let mut chunk: Batch = Vec::with_capacity(WRITE_CHUNK);
    let mut emit = |key: &[u8], value: &[u8], chunk: &mut Batch| -> Result<()> {
        if let Some((k, v)) = blocks.push(key, value)? {
            chunk.push((k, Some(v)));
            if chunk.len() >= WRITE_CHUNK {
                send(std::mem::replace(chunk, Vec::with_capacity(WRITE_CHUNK)))?;
            }
        }
        Ok(())
    };
    // The claim last taken, written once the next key differs: equal keys
    // (copies of one claim) become one entry.
    let mut pending: Option<[u8; CLAIM_KEY_LEN]> = None;
    let mut pending_value: Vec<u8> = Vec::new();
    while let Some(mut top) = heap.peek_mut() {
        let Reverse((_, part)) = *top;
        let reader = &mut readers[part];
        if pending != Some(reader.key) {
            if let Some(key) = pending {
                emit(&key, &pending_value, &mut chunk)?;
            }
            pending = Some(reader.key);
            pending_value.clear();
            pending_value.extend_from_slice(&reader.value);
        } else {
            // Copies of an earlier batch's claim that several parts deny.
            carried::combine(&mut pending_value, &reader.value)?;
        }
        if targeted.contains(claim_key_seq(&reader.key)?) {
            mark_targeted(&mut pending_value);
        }
        if reader.advance(file)? {
            // Replacing the top sifts it down once, where a pop and a push
            // would sift twice.
            *top = Reverse((ordinal(&reader.key), part));
        } else {
            PeekMut::pop(top);
        }
    }
    if let Some(key) = pending {
        emit(&key, &pending_value, &mut chunk)?;
    }
    chunk.extend(blocks.finish().into_iter().map(|(k, v)| (k, Some(v))));
    send(chunk)
}

/// Reads one run back, a buffer at a time, through positioned reads of the
/// one file all runs share; holds the entry read last.
struct RunReader {
    next: u64,
    end: u64,
    buffer: Vec<u8>,
    at: usize,
    capacity: usize,
    key: [u8; CLAIM_KEY_LEN],
    value: Vec<u8>,
}

impl RunReader {
    fn new(start: u64, end: u64, capacity: usize) -> RunReader {
        RunReader {
            next: start,
            end,
            buffer: Vec::new(),
            at: 0,
            capacity,
            key: [0; CLAIM_KEY_LEN],
            value: Vec::new(),
        }
    }

    /// The next `n` bytes of the run.
    fn take(&mut self, file: &File, n: usize) -> Result<&[u8]> {
        if self.buffer.len() - self.at < n {
            let kept = self.buffer.split_off(self.at);
            let wanted = (self.capacity.max(n) - kept.len()) as u64;
            let read = wanted.min(self.end - self.next) as usize;
            let mut buffer = kept;
            let old = buffer.len();
            buffer.resize(old + read, 0);
            read_at(file, &mut buffer[old..], self.next)?;
            self.next += read as u64;
            self.buffer = buffer;
            self.at = 0;
            if self.buffer.len() < n {
                return Err(sorting_file_damaged());
            }
        }
        let bytes = &self.buffer[self.at..self.at + n];
        self.at += n;
        Ok(bytes)
    }

    /// Reads the run's next entry into `key` and `value`; false at its end.
    fn advance(&mut self, file: &File) -> Result<bool> {
        if self.at == self.buffer.len() && self.next == self.end {
            return Ok(false);
        }
        let key_len = u16::from_le_bytes(self.take(file, 2)?.try_into().unwrap_or_default());
        // Only claim keys are written here; their length is fixed.
        if key_len as usize != CLAIM_KEY_LEN {
            return Err(sorting_file_damaged());
        }
        self.key = self
            .take(file, CLAIM_KEY_LEN)?
            .try_into()
            .map_err(|_| sorting_file_damaged())?;
        let value_len = u32::from_le_bytes(self.take(file, 4)?.try_into().unwrap_or_default());
        let mut value = std::mem::take(&mut self.value);
        value.clear();
        value.extend_from_slice(self.take(file, value_len as usize)?);
        self.value = value;
        Ok(true)
    }
}

fn sorting_file_damaged() -> Error {
    Error::Storage("the file sorting the batch's index entries is damaged".into())
}

#[cfg(unix)]
fn read_at(file: &File, buffer: &mut [u8], offset: u64) -> Result<()> {
    use std::os::unix::fs::FileExt;
    Ok(file.read_exact_at(buffer, offset)?)
}

#[cfg(not(unix))]
fn read_at(file: &File, buffer: &mut [u8], offset: u64) -> Result<()> {
    use std::os::windows::fs::FileExt;
    let mut done = 0;
    while done < buffer.len() {
        let n = file.seek_read(&mut buffer[done..], offset + done as u64)?;
        if n == 0 {
            return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into());
        }
        done += n;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::SeqSet;

    #[test]
    fn a_seq_set_holds_exactly_its_seqs_from_the_batch_on() {
        let set = SeqSet::new(1000, &[1000, 1063, 1064, 5000, 999]);
        for seq in [1000, 1063, 1064, 5000] {
            assert!(set.contains(seq), "{seq}");
        }
        for seq in [0, 999, 1001, 1062, 1065, 4999, 5001, u64::MAX] {
            assert!(!set.contains(seq), "{seq}");
        }
        assert!(SeqSet::new(7, &[]).is_empty());
        assert!(!SeqSet::new(7, &[]).contains(7));
    }
}
