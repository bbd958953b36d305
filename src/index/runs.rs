//! The slot index (table `claims`) as **runs**: each batch's claims, in
//! key order, packed into blocks under a prefix of their own, so that a
//! batch writes only new pages and never rewrites its predecessors'.
//!
//! Keyed by series alone, the slot index took every batch's claims into
//! every series' range: each batch rewrote leaves across the whole table
//! (a batch of 1,000 events cost ~30 ms at 1M, and the tenth batch of a
//! 10M import three times the first). Here a batch's claims form one run,
//! written from its first key to its last; runs are merged a few at a time
//! so that readers probe few of them: small ones with the batch whose run
//! fills their tier ([`run_of_batch`]), others after a commit
//! ([`compact`]).
//!
//! ```text
//! run header:  key  run u64 | 29 zero bytes        value  0xC0 | claims u64 | oldest u64 | newest u64
//!                                                          | last claim key (29 bytes)
//! claim block: key  run u64 | its last claim key   value  0xC2 | plain length u32 | LZ4 block
//!                                                    or the plain block
//! plain block: 0xC1 | n u16 | the last claim key of the block before (29 bytes; zeros for
//!              the first) | n times: claim key (29 bytes) | flags u8 | body length u32 | body
//! ```
//!
//! A block is stored compressed when that makes it smaller ([`packed`]);
//! stores written before blocks were compressed hold plain ones, which
//! readers take as they are ([`unpacked`]), so such stores need no
//! rebuild: their runs come compressed as they are merged.
//!
//! Integers are big-endian. A run's number is the seq of the first record
//! of the batch that wrote it, or of the newest run merged into it; its
//! `oldest` is the first seq of the oldest batch whose claims it holds, or
//! the seq of an older claim it holds a flagged copy of (below), so a
//! reader at position `R` skips every run whose oldest is above `R`;
//! `newest` is the greatest seq of its claims.
//!
//! Why a merge keeps the *newest* number: a claim then only ever moves to
//! a run numbered higher than (or as) the one it was in, and runs are
//! created numbered above every run before them, so a reader that finds
//! the runs one after another in the order of their numbers (each the
//! first above the one before, in the storage as it is then) finds every
//! claim in one of them even if merges land while it reads: in the run it
//! was in when read, or in a later one. Within one process a commit moves
//! every reader's view forward mid-question, so this matters. Readers go
//! the quicker way, by a cached list of runs skipping those newer than
//! their position, and keep its answer only if the storage's state did not
//! change meanwhile (`Storage::generation`); otherwise they walk
//! (`View::claims_of`).
//!
//! A claim key never starts with eight
//! zero bytes (a series' number is the seq of its first claim), so the
//! header is the first entry of its run. A block holds claims up to
//! [`BLOCK_BYTES`]; being keyed by its *last* claim, the block that may
//! hold a key `k` is the first at or after `run | k`. Each block names the
//! last key of the one before it, so a reader knows that no block in its
//! range was missed (a damaged key would move a block out of the way):
//! the first block it reads must follow a key below its start, each next
//! one the block it read before ([`visit`]). That is the check the
//! checksum layer otherwise makes by reading the entry before a scan's
//! start, which costs a `get` a second descent of the tree per block.
//!
//! A batch that denies or retracts a claim of an earlier batch does not
//! rewrite the block that holds it: it puts a copy of the claim's entry
//! into its own run (`apply.rs`), flagged for a retraction, carrying the
//! denial (`carried.rs`), so that even its denials write only new pages
//! (rewritten in place, the flagged blocks were a random write each, and
//! at 1,000 events a batch most of what it wrote). A reader keeps only
//! the denials by events at or before its position, and the flag only
//! sends it to the `targets` table, which it reads as of its position, so
//! a copy seen by a reader before the denial changes nothing; a run's
//! `oldest` covers its copies.
//!
//! Architecture Invariant: a claim key may be in several runs (a flagged
//! copy; a replay on an engine without transactions writes a batch again,
//! in other chunks), always with the same body, which is a function of
//! the claim's record; every reader merges the runs and keeps one claim
//! per key, with the flags and carried denials of all its copies
//! (`carried::combine`).

use super::blocks::{Block, BlockCache};
use super::carried;
use super::keys::{claim_key_seq, CLAIM_KEY_LEN};
use crate::error::{Error, Result};
use crate::storage::{Batch, Entry, Scan, Storage, Table};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

/// A block holds claims up to this many bytes before it is compressed,
/// which LZ4 halves (a sample of 10,000 blocks of the 10M workload: 0.49),
/// so that two compressed blocks, with their keys, checksums and redb's
/// bookkeeping, fit a 4 KiB page (a block a little over 4 KiB took a page
/// of 8). Every read of a block from storage copies, checksums and
/// unpacks it whole, so smaller blocks make a cold `get` cheaper: at 1M
/// events, uncompressed blocks of 4 KiB made `get` 1.3x faster than
/// SQLite's at p50 in the same run, of 2 KiB 1.6x.
pub(super) const BLOCK_BYTES: usize = 3600;

const HEADER_TAG: u8 = 0xC0;
const BLOCK_TAG: u8 = 0xC1;
/// A block stored compressed: this tag, the plain block's length (u32 BE),
/// then the plain block (tag `0xC1` included) as an LZ4 block.
const PACKED_TAG: u8 = 0xC2;
/// The most a compressed block may say it unpacks to: a block holds one
/// claim at least, whatever its length, but a damaged length must not ask
/// for gigabytes.
const UNPACKED_LIMIT: usize = 64 << 20;
const RUN_KEY_LEN: usize = 8 + CLAIM_KEY_LEN;

/// Runs of the same tier (the same power of [`FANOUT`] in claims) are
/// merged once there are this many.
const FANOUT: u64 = 4;

/// Runs smaller than this many claims are all of the first tier.
const SMALLEST_TIER: u64 = 1024;

/// The `meta` key counting the merges of runs ever made (u64 BE). No
/// reader compares it: it is there so that a merge, like every commit,
/// changes `meta`, which is what tells another process's refresh to take
/// a fresh snapshot (`storage/redb_engine.rs`).
const MERGES_KEY: &[u8] = b"runs.merges";

/// Blocks handed to a transaction at a time by a merge.
const WRITE_CHUNK: usize = 1024;

/// A run as its header describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunHeader {
    pub number: u64,
    pub claims: u64,
    /// The first seq of the oldest batch whose claims the run holds, or
    /// the seq of an older claim it holds a flagged copy of.
    pub oldest: u64,
    /// The greatest seq of the run's claims.
    pub newest: u64,
    /// The key of the run's last claim: what its last block must end with.
    pub last: [u8; CLAIM_KEY_LEN],
}

/// The length of a run header's value.
const HEADER_LEN: usize = 25 + CLAIM_KEY_LEN;

/// A run's header, read from its entry; damage is an error.
fn parse_header(key: &[u8], value: &[u8]) -> Result<RunHeader> {
    let number = crate::log::read_u64(key, "a slot index key")?;
    if key != header_key(number) || value.len() != HEADER_LEN || value[0] != HEADER_TAG {
        return Err(damaged("the header of a run"));
    }
    let mut last = [0u8; CLAIM_KEY_LEN];
    last.copy_from_slice(&value[25..]);
    Ok(RunHeader {
        number,
        claims: crate::log::read_u64(&value[1..], "a run header")?,
        oldest: crate::log::read_u64(&value[9..], "a run header")?,
        newest: crate::log::read_u64(&value[17..], "a run header")?,
        last,
    })
}

fn header_key(run: u64) -> Vec<u8> {
    let mut key = vec![0u8; RUN_KEY_LEN];
    key[..8].copy_from_slice(&run.to_be_bytes());
    key
}

/// `run | claim key`: where a claim key's block is sought.
fn run_key(run: u64, claim_key: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(8 + claim_key.len());
    key.extend_from_slice(&run.to_be_bytes());
    key.extend_from_slice(claim_key);
    key
}

fn damaged(what: &str) -> Error {
    Error::Corrupt(format!(
        "{what} of the slot index is damaged (`annals verify` reports the store's state)"
    ))
}

/// The runs of the slot index as one state of the storage holds them, and
/// how many merges had been made by then: under the same header and count
/// a run holds the same claims with the same flags (`blocks.rs`).
pub struct Runs {
    pub merges: u64,
    pub headers: Vec<RunHeader>,
}

/// The runs of the slot index now, with the count of merges.
pub(super) fn runs_now(storage: &dyn Storage) -> Result<Runs> {
    Ok(Runs {
        merges: merges_made(storage)?,
        headers: run_headers(storage)?,
    })
}

/// How many merges of runs were ever made in the store (`meta`).
pub(super) fn merges_made(storage: &dyn Storage) -> Result<u64> {
    match storage.get(Table::Meta, MERGES_KEY)? {
        Some(count) => crate::log::read_u64(&count, "the count of merges"),
        None => Ok(0),
    }
}

/// The runs of the slot index, in the order of their numbers: one short
/// scan per run, each landing on the next run's header.
pub(super) fn run_headers(storage: &dyn Storage) -> Result<Vec<RunHeader>> {
    let mut runs = Vec::new();
    while let Some(run) = next_run(storage, runs.last().map(|r: &RunHeader| r.number))? {
        runs.push(run);
    }
    Ok(runs)
}

/// The first run numbered above `after` (from the first run if `None`).
pub(super) fn next_run(storage: &dyn Storage, after: Option<u64>) -> Result<Option<RunHeader>> {
    let from = match after {
        None => 0,
        Some(n) => match n.checked_add(1) {
            Some(next) => next,
            None => return Ok(None),
        },
    };
    let Some(entry) = storage.scan(Table::Claims, &header_key(from), None).next() else {
        return Ok(None);
    };
    let (key, value) = entry?;
    parse_header(&key, &value).map(Some)
}

/// One claim of a block, borrowed from it.
pub(super) struct BlockClaim<'a> {
    pub key: &'a [u8],
    pub flags: u8,
    pub body: &'a [u8],
}

impl BlockClaim<'_> {
    /// The claim as a `claims` entry value of old: flags, then the body.
    pub(super) fn value(&self) -> Vec<u8> {
        let mut value = Vec::with_capacity(1 + self.body.len());
        value.push(self.flags);
        value.extend_from_slice(self.body);
        value
    }
}

/// Where a block's claims start: after its tag, count and the last key of
/// the block before it.
const BLOCK_HEADER: usize = 3 + CLAIM_KEY_LEN;

/// The last claim key of the block before this one in its run (zeros for
/// the run's first).
fn previous_last_key(block: &[u8]) -> Result<&[u8]> {
    block.get(3..BLOCK_HEADER).ok_or_else(|| damaged("a block"))
}

/// A block as stored: compressed when that makes it smaller.
fn packed(plain: Vec<u8>) -> Vec<u8> {
    let compressed = lz4_flex::block::compress(&plain);
    if compressed.len() + 5 >= plain.len() {
        return plain;
    }
    let mut value = Vec::with_capacity(5 + compressed.len());
    value.push(PACKED_TAG);
    value.extend_from_slice(&(plain.len() as u32).to_be_bytes());
    value.extend_from_slice(&compressed);
    value
}

/// Writes of a run as a [`RunWriter`] that leaves its blocks plain gives
/// them, ready to store: blocks compressed, a header and removals as they
/// are.
pub(super) fn packed_blocks(batch: Batch) -> Batch {
    batch
        .into_iter()
        .map(|(key, value)| {
            let value = value.map(|v| {
                if v.first() == Some(&BLOCK_TAG) {
                    packed(v)
                } else {
                    v
                }
            });
            (key, value)
        })
        .collect()
}

/// Runs `make` on a thread of its own, which hands each chunk of writes it
/// makes to the function it is given, while this thread gives them to
/// `write` in the order made (at most two wait between them): how a large
/// merge of runs overlaps reading and cutting blocks with compressing and
/// writing them. A write's error comes first (the maker then stopped only
/// because its chunks were no longer taken), else the maker's.
pub(super) fn written_as_made(
    make: impl FnOnce(&mut dyn FnMut(Batch) -> Result<()>) -> Result<()> + Send,
    mut write: impl FnMut(Batch) -> Result<()>,
) -> Result<()> {
    std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Batch>(2);
        let making = scope.spawn(move || {
            make(&mut |batch| {
                // The writes stopped (their error is reported): nothing
                // more to send.
                sender
                    .send(batch)
                    .map_err(|_| Error::Storage("the index writes stopped".into()))
            })
        });
        let mut written = Ok(());
        for batch in receiver {
            written = write(batch);
            if written.is_err() {
                // The receiver goes with the loop: the maker's next send
                // fails and it stops.
                break;
            }
        }
        let made = making
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        written.and(made)
    })
}

/// A block as read from storage, unpacked if it was stored compressed (a
/// plain block, as stores written before blocks were compressed hold them,
/// comes back as it is); damage is an error.
pub(super) fn unpacked(value: Vec<u8>) -> Result<Vec<u8>> {
    if value.first() != Some(&PACKED_TAG) {
        return Ok(value);
    }
    let length = value
        .get(1..5)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .filter(|length| (BLOCK_HEADER..=UNPACKED_LIMIT).contains(length))
        .ok_or_else(|| damaged("a block"))?;
    lz4_flex::block::decompress(&value[5..], length)
        .ok()
        .filter(|plain| plain.len() == length && plain.first() == Some(&BLOCK_TAG))
        .ok_or_else(|| damaged("a block"))
}

/// The claims of a block, in key order; damage is an error, never a panic.
pub(super) fn block_claims(block: &[u8]) -> Result<Vec<BlockClaim<'_>>> {
    let (Some(&BLOCK_TAG), Some(n)) = (block.first(), block.get(1..3)) else {
        return Err(damaged("a block"));
    };
    let n = u16::from_be_bytes([n[0], n[1]]) as usize;
    let mut claims = Vec::with_capacity(n);
    let mut at = BLOCK_HEADER;
    if block.len() < at {
        return Err(damaged("a block"));
    }
    for _ in 0..n {
        let key = block
            .get(at..at + CLAIM_KEY_LEN)
            .ok_or_else(|| damaged("a block"))?;
        let flags_at = at + CLAIM_KEY_LEN;
        let flags = *block.get(flags_at).ok_or_else(|| damaged("a block"))?;
        let length = block
            .get(flags_at + 1..flags_at + 5)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .ok_or_else(|| damaged("a block"))?;
        let body_at = flags_at + 5;
        let body = block
            .get(body_at..body_at + length)
            .ok_or_else(|| damaged("a block"))?;
        if claims.last().is_some_and(|c: &BlockClaim| c.key >= key) {
            return Err(damaged("a block"));
        }
        claims.push(BlockClaim { key, flags, body });
        at = body_at + length;
    }
    if at != block.len() || claims.is_empty() {
        return Err(damaged("a block"));
    }
    Ok(claims)
}

/// Packs claims, given in key order, into the blocks of one run.
pub(super) struct RunWriter {
    run: u64,
    oldest: u64,
    newest: u64,
    block: Vec<u8>,
    in_block: u16,
    last_key: Vec<u8>,
    /// The last key of the block closed before the current one.
    closed_last_key: [u8; CLAIM_KEY_LEN],
    claims: u64,
    /// Whether blocks come out compressed; if not, whoever takes them
    /// packs them ([`packed_blocks`]).
    packing: bool,
}

impl RunWriter {
    /// The writer of run `run`, holding claims of batches from `oldest` on
    /// (or from its oldest claim on, if older: a batch's run holds flagged
    /// copies of the earlier claims it denies or retracts).
    pub(super) fn new(run: u64, oldest: u64) -> RunWriter {
        RunWriter {
            run,
            oldest,
            newest: 0,
            block: Vec::new(),
            in_block: 0,
            last_key: Vec::new(),
            closed_last_key: [0; CLAIM_KEY_LEN],
            claims: 0,
            packing: true,
        }
    }

    /// This writer, handing out its blocks uncompressed: the merge of a
    /// batch's parts leaves compressing them to the thread that writes
    /// them into the transaction, which would otherwise wait for it.
    pub(super) fn leaving_blocks_plain(mut self) -> RunWriter {
        self.packing = false;
        self
    }

    /// Adds a claim (its key, and its value: flags then body); returns a
    /// block when this claim filled one. A key of the wrong length is
    /// refused before anything is added.
    pub(super) fn push(&mut self, key: &[u8], value: &[u8]) -> Result<Option<Entry>> {
        let seq = claim_key_seq(key)?;
        let (flags, body) = value.split_first().unwrap_or((&0, &[]));
        // A claim that would take the block past its size closes it first
        // (a claim longer than a block has one of its own).
        let full = (self.block.len() + CLAIM_KEY_LEN + 5 + body.len() > BLOCK_BYTES
            && self.in_block > 0)
            || self.in_block == u16::MAX;
        let closed = full.then(|| self.close());
        if self.block.is_empty() {
            self.block.reserve(BLOCK_BYTES + 256);
            self.block.push(BLOCK_TAG);
            self.block.extend_from_slice(&[0, 0]);
            self.block.extend_from_slice(&self.closed_last_key);
        }
        self.block.extend_from_slice(key);
        self.block.push(*flags);
        self.block
            .extend_from_slice(&(body.len() as u32).to_be_bytes());
        self.block.extend_from_slice(body);
        self.in_block += 1;
        self.claims += 1;
        self.newest = self.newest.max(seq);
        self.oldest = self.oldest.min(seq);
        self.last_key.clear();
        self.last_key.extend_from_slice(key);
        Ok(closed)
    }

    fn close(&mut self) -> Entry {
        self.block[1..3].copy_from_slice(&self.in_block.to_be_bytes());
        self.in_block = 0;
        if self.last_key.len() == CLAIM_KEY_LEN {
            self.closed_last_key.copy_from_slice(&self.last_key);
        }
        let block = std::mem::take(&mut self.block);
        (
            run_key(self.run, &self.last_key),
            if self.packing { packed(block) } else { block },
        )
    }

    /// The last block, if any, and the run's header; nothing for a run
    /// without claims.
    pub(super) fn finish(mut self) -> Vec<Entry> {
        if self.claims == 0 {
            return Vec::new();
        }
        let mut out = Vec::with_capacity(2);
        if self.in_block > 0 {
            out.push(self.close());
        }
        let mut header = vec![HEADER_TAG];
        header.extend_from_slice(&self.claims.to_be_bytes());
        header.extend_from_slice(&self.oldest.to_be_bytes());
        header.extend_from_slice(&self.newest.to_be_bytes());
        header.extend_from_slice(&self.last_key);
        out.push((header_key(self.run), header));
        out
    }
}

/// The puts of a whole run of claims given in key order.
pub(super) fn run_of(run: u64, claims: Vec<Entry>) -> Result<Batch> {
    let mut out = Batch::new();
    pack(RunWriter::new(run, run), claims, &mut out)?;
    Ok(out)
}

/// Puts the blocks and header of a run of `claims` (in key order), as
/// `writer` packs them, after what `out` holds.
fn pack(mut writer: RunWriter, claims: Vec<Entry>, out: &mut Batch) -> Result<()> {
    for (key, value) in claims {
        if let Some((k, v)) = writer.push(&key, &value)? {
            out.push((k, Some(v)));
        }
    }
    out.extend(writer.finish().into_iter().map(|(k, v)| (k, Some(v))));
    Ok(())
}

/// A batch's run is merged with the stored runs of its tier in the
/// batch's own transaction when it is the run that fills the tier and all
/// of them together hold at most this many claims (about 2 MiB of blocks,
/// held in memory): the common merge of small batches then costs no
/// commit of its own, and no second writing of the batch's claims.
pub(super) const MERGE_IN_BATCH: u64 = 16_384;

/// The writes that put a batch's claims (sorted, flags set) into the slot
/// index as run `run`: merged with the stored runs of its tier when it is
/// the one that fills it and they are small ([`MERGE_IN_BATCH`]), else as
/// a run of its own ([`run_of`]). `storage` is the store as the batch found
/// it. Only for a write that is one transaction with the batch: an engine
/// without transactions replays a batch by first dropping its run, which
/// would then hold the merged runs' claims too.
///
/// A stored run that cannot be read (damage) leaves the batch's run
/// unmerged: the merge after the commit meets the damage and reports it,
/// with the batch committed.
pub(super) fn run_of_batch(storage: &dyn Storage, run: u64, claims: Vec<Entry>) -> Result<Batch> {
    if claims.is_empty() {
        // No run: nothing joins a tier.
        return Ok(Batch::new());
    }
    let joining = tier(claims.len() as u64);
    let Ok(headers) = run_headers(storage) else {
        return run_of(run, claims);
    };
    let stored: Vec<RunHeader> = headers
        .into_iter()
        .filter(|r| tier(r.claims) == joining)
        .collect();
    let total = stored.iter().map(|r| r.claims).sum::<u64>() + claims.len() as u64;
    if (stored.len() as u64) + 1 < FANOUT || total > MERGE_IN_BATCH {
        return run_of(run, claims);
    }
    let numbers: Vec<u64> = stored.iter().map(|r| r.number).collect();
    let mut merged = Merged::new(storage, &numbers);
    let Ok(earlier) = merged.by_ref().collect::<Result<Vec<Entry>>>() else {
        return run_of(run, claims);
    };
    let oldest = stored.iter().map(|r| r.oldest).fold(run, u64::min);
    // The two lists in key order, one entry per claim: of a claim in both
    // (a flagged copy) the stored entry with both flags and the denials
    // of both, as readers and merges keep it.
    let mut all = Vec::with_capacity(earlier.len() + claims.len());
    let mut earlier = earlier.into_iter().peekable();
    // The stored entries were read whole by `Merged`, which combined their
    // own copies (a damaged one sent the batch to its own run above), and
    // the batch's are made here: combining them fails only where two say
    // different things about one event, which readers refuse too.
    for (key, value) in claims {
        all.extend(std::iter::from_fn(|| earlier.next_if(|(k, _)| *k < key)));
        match earlier.next_if(|(k, _)| *k == key) {
            Some((_, mut stored)) => {
                carried::combine(&mut stored, &value)?;
                all.push((key, stored));
            }
            None => all.push((key, value)),
        }
    }
    all.extend(earlier);
    // The stored runs' entries are removed first, so that their keys go
    // before any is written again (the batch's number is above theirs, so
    // none is).
    let mut out: Batch = merged.entries_read.drain(..).map(|k| (k, None)).collect();
    pack(RunWriter::new(run, oldest), all, &mut out)?;
    Ok(out)
}

/// Calls `each` with every claim of run `run` whose key is at least
/// `start` and below `end`, in key order, as it reads the run's blocks,
/// checking by the blocks' chain of last keys that none was missed, and by
/// the header's last key that the run did not end early.
///
/// With a `cache`, blocks it holds for the whole range are read from it
/// (they were checked when read), and blocks read from storage are kept
/// in it once the range is read, under the header and the count of
/// merges `merges` the reader read before it read the blocks.
pub(super) fn visit(
    storage: &dyn Storage,
    cache: Option<(&BlockCache, u64)>,
    header: &RunHeader,
    start: &[u8],
    end: &[u8],
    mut each: impl FnMut(&BlockClaim<'_>) -> Result<()>,
) -> Result<()> {
    // Calls `each` with the block's claims in the range; true once the
    // range ends in it.
    let mut claims_of = |block: &Block| -> Result<bool> {
        for claim in block.claims_from(start) {
            if claim.key >= end {
                return Ok(true);
            }
            each(&claim)?;
        }
        Ok(&block.last[..] >= end)
    };
    if let Some(blocks) = cache.and_then(|(c, merges)| c.covering(header, merges, start, end)) {
        for block in blocks {
            if claims_of(&block)? {
                break;
            }
        }
        return Ok(());
    }
    let run = header.number;
    let beyond = header_key(run.saturating_add(1));
    let mut before: Option<[u8; CLAIM_KEY_LEN]> = None;
    let mut read: Vec<Arc<Block>> = Vec::new();
    for entry in
        storage.scan_without_start_check(Table::Claims, &run_key(run, start), Some(&beyond))
    {
        let (key, bytes) = entry?;
        let last: [u8; CLAIM_KEY_LEN] = key
            .get(8..)
            .and_then(|k| k.try_into().ok())
            .ok_or_else(|| damaged("a block key"))?;
        let block = Block::parse(last, unpacked(bytes)?)?;
        let followed = match &before {
            None => block.previous() < start,
            Some(before) => block.previous() == before,
        };
        if !followed {
            return Err(damaged("a block key"));
        }
        let done = claims_of(&block)?;
        before = Some(last);
        if cache.is_some() {
            read.push(Arc::new(block));
        }
        if done {
            if let Some((cache, merges)) = cache {
                cache.keep(header, merges, read);
            }
            return Ok(());
        }
    }
    // The run ended before `end`: its last block, if it reaches `start`,
    // must be the one read last (a block whose key damage moved below the
    // start would otherwise go unseen).
    let ended = match &before {
        Some(before) => *before == header.last,
        None => header.last.as_slice() < start,
    };
    if !ended {
        return Err(damaged("a block key"));
    }
    if let Some((cache, merges)) = cache {
        cache.keep(header, merges, read);
    }
    Ok(())
}

/// The claims of some runs read in key order, one per key (the flags of
/// all its copies ORed, their denials joined), as `claims` entries of
/// old: (key, flags | [denials] | body).
/// It remembers the keys of the entries it has read (blocks and headers),
/// for a merge to remove.
pub(crate) struct Merged<'a> {
    streams: Vec<RunStream<'a>>,
    /// Each stream's next claim key, smallest first.
    heap: BinaryHeap<Reverse<(Vec<u8>, usize)>>,
    pub(super) entries_read: Vec<Vec<u8>>,
    started: bool,
}

struct RunStream<'a> {
    scan: Scan<'a>,
    /// The rest of the block being read, in reverse order.
    pending: Vec<Entry>,
    /// The value of the claim whose key is in the heap.
    head: Vec<u8>,
    /// The last key of the block read last (zeros before the first).
    last_key: Vec<u8>,
    /// The last key the run's header names, once its header is read.
    header_last: Option<[u8; CLAIM_KEY_LEN]>,
}

impl<'a> Merged<'a> {
    pub(super) fn new(storage: &'a dyn Storage, runs: &[u64]) -> Merged<'a> {
        let streams = runs
            .iter()
            .map(|&run| RunStream {
                scan: storage.scan(
                    Table::Claims,
                    &header_key(run),
                    Some(&header_key(run.saturating_add(1))),
                ),
                pending: Vec::new(),
                head: Vec::new(),
                last_key: vec![0; CLAIM_KEY_LEN],
                header_last: None,
            })
            .collect();
        Merged {
            streams,
            heap: BinaryHeap::new(),
            entries_read: Vec::new(),
            started: false,
        }
    }

    /// Puts stream `i`'s next claim in the heap, reading its next block
    /// when needed.
    fn advance(&mut self, i: usize) -> Result<()> {
        let stream = &mut self.streams[i];
        loop {
            if let Some((key, value)) = stream.pending.pop() {
                stream.head = value;
                self.heap.push(Reverse((key, i)));
                return Ok(());
            }
            let Some(item) = stream.scan.next() else {
                // The run's end: its last block must be the header's.
                return match stream.header_last {
                    Some(last) if last.as_slice() != stream.last_key.as_slice() => {
                        Err(damaged("a block key"))
                    }
                    _ => Ok(()),
                };
            };
            let (key, block) = item?;
            if key.len() != RUN_KEY_LEN {
                return Err(damaged("a block key"));
            }
            if key[8..].iter().all(|b| *b == 0) {
                stream.header_last = Some(parse_header(&key, &block)?.last);
                self.entries_read.push(key);
                continue;
            }
            if stream.header_last.is_none() {
                return Err(damaged("the header of a run"));
            }
            let block = unpacked(block)?;
            let claims = block_claims(&block)?;
            if claims.last().map(|c| c.key) != Some(&key[8..])
                || previous_last_key(&block)? != stream.last_key.as_slice()
            {
                return Err(damaged("a block key"));
            }
            stream.last_key = key[8..].to_vec();
            stream.pending = claims
                .iter()
                .rev()
                .map(|c| (c.key.to_vec(), c.value()))
                .collect();
            self.entries_read.push(key);
        }
    }

    pub(super) fn next_claim(&mut self) -> Result<Option<Entry>> {
        if !self.started {
            self.started = true;
            for i in 0..self.streams.len() {
                self.advance(i)?;
            }
        }
        let Some(Reverse((key, i))) = self.heap.pop() else {
            return Ok(None);
        };
        let mut value = std::mem::take(&mut self.streams[i].head);
        self.advance(i)?;
        // Copies of the same claim in other runs: one answer, all flags
        // and carried denials.
        while let Some(Reverse((other, j))) = self.heap.peek() {
            if *other != key {
                break;
            }
            let j = *j;
            self.heap.pop();
            let copy = std::mem::take(&mut self.streams[j].head);
            carried::combine(&mut value, &copy)?;
            self.advance(j)?;
        }
        Ok(Some((key, value)))
    }
}

impl Iterator for Merged<'_> {
    type Item = Result<Entry>;
    fn next(&mut self) -> Option<Result<Entry>> {
        self.next_claim().transpose()
    }
}

/// What is wrong with the headers of the stored runs: each must count its
/// run's claims, name its last key and its newest seq, and have an oldest
/// seq no later than its oldest claim's (a reader skips a run by it).
/// `verify` reports these; the claims themselves it compares with a
/// rebuild.
pub(crate) fn header_problems(storage: &dyn Storage) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for header in run_headers(storage)? {
        let (mut claims, mut oldest, mut newest) = (0u64, u64::MAX, 0u64);
        let mut last = Vec::new();
        for claim in Merged::new(storage, &[header.number]) {
            let (key, _) = claim?;
            let seq = claim_key_seq(&key)?;
            claims += 1;
            oldest = oldest.min(seq);
            newest = newest.max(seq);
            last = key;
        }
        if claims != header.claims
            || newest != header.newest
            || header.oldest > oldest
            || last != header.last
        {
            problems.push(format!(
                "run {} of the slot index: its header does not describe its claims (a projection is damaged; re-import an export to rebuild it)",
                header.number
            ));
        }
    }
    Ok(problems)
}

/// Every claim of the slot index, one per key, in key order.
pub(crate) fn every_claim(storage: &dyn Storage) -> Result<Merged<'_>> {
    let runs: Vec<u64> = run_headers(storage)?.iter().map(|r| r.number).collect();
    Ok(Merged::new(storage, &runs))
}

/// Removes every run numbered above `applied`: the runs of batches whose
/// index writes landed but whose `applied` did not (engines without
/// transactions), which a replay writes again. Every claim of such a run
/// is newer than `applied` (a run's number is its newest batch's first
/// seq, and such a run is merged with no other: engines without
/// transactions merge only after `applied` is written), but for flagged
/// copies of older claims, whose originals stay in their runs and which
/// the replay of the denials writes again.
pub(crate) fn drop_runs_after(storage: &dyn Storage, applied: u64) -> Result<()> {
    let mut removes = Batch::new();
    let mut after = Some(applied);
    while let Some(run) = next_run(storage, after)? {
        let beyond = header_key(run.number.saturating_add(1));
        for entry in storage.scan(Table::Claims, &header_key(run.number), Some(&beyond)) {
            removes.push((entry?.0, None));
        }
        after = Some(run.number);
    }
    if removes.is_empty() {
        return Ok(());
    }
    storage.write(Table::Claims, removes)
}

/// The tier of a run of `claims`: runs of one tier are merged together.
fn tier(claims: u64) -> u32 {
    let mut tier = 0;
    let mut size = SMALLEST_TIER;
    while claims >= size {
        tier += 1;
        size = size.saturating_mul(FANOUT);
    }
    tier
}

/// The runs to merge next: the first tier (smallest first) holding
/// [`FANOUT`] runs or more; `None` when no tier does.
fn runs_to_merge(runs: &[RunHeader]) -> Option<Vec<RunHeader>> {
    let mut tiers: Vec<(u32, Vec<RunHeader>)> = Vec::new();
    for run in runs {
        let t = tier(run.claims);
        match tiers.iter_mut().find(|(x, _)| *x == t) {
            Some((_, members)) => members.push(*run),
            None => tiers.push((t, vec![*run])),
        }
    }
    tiers.sort_by_key(|(t, _)| *t);
    tiers
        .into_iter()
        .find(|(_, members)| members.len() as u64 >= FANOUT)
        .map(|(_, members)| members)
}

/// Merges runs of the slot index while some tier has [`FANOUT`] of them,
/// each merge one atomic write (a transaction where the engine has them);
/// returns whether anything was merged. Merging changes no answer: the
/// merged run holds the same claims, numbered as the newest it replaces.
pub(crate) fn compact(storage: &dyn Storage) -> Result<bool> {
    let mut merged_any = false;
    while let Some(runs) = runs_to_merge(&run_headers(storage)?) {
        merge(storage, &runs)?;
        merged_any = true;
    }
    Ok(merged_any)
}

/// Merges every run of the slot index into one, in one transaction:
/// what a store that grew by many batches does when asked
/// ([`crate::Store::compact`]), since the tiers leave up to
/// `FANOUT - 1` runs of each size and every `get` reads each. Returns the
/// runs and claims there were; one run or none is left as it is.
pub(crate) fn merge_all(storage: &dyn Storage) -> Result<(usize, u64)> {
    let runs = run_headers(storage)?;
    if runs.len() > 1 {
        merge(storage, &runs)?;
    }
    // Counted after the merge: before it, a claim with flagged copies in
    // later runs counts once per copy.
    let claims = run_headers(storage)?.iter().map(|r| r.claims).sum();
    Ok((runs.len(), claims))
}

/// Runs holding at least this many claims in all are merged on two
/// threads; below it a thread costs more than it saves.
const PARALLEL_MERGE: u64 = 32_768;

/// Merges `runs` into one, numbered as the newest of them (see the
/// module's docs for why).
///
/// A large merge reads, merges and cuts the runs into blocks on a thread
/// of its own, while this one compresses the blocks and writes them into
/// the transaction: on one thread, compressing was a third of a merge of
/// 400,000 claims, which the batch that fills a tier waits for.
fn merge(storage: &dyn Storage, runs: &[RunHeader]) -> Result<()> {
    let numbers: Vec<u64> = runs.iter().map(|r| r.number).collect();
    let newest = numbers.iter().copied().max().unwrap_or(0);
    let oldest = runs.iter().map(|r| r.oldest).min().unwrap_or(0);
    let parallel = runs.iter().map(|r| r.claims).sum::<u64>() >= PARALLEL_MERGE;
    let mut txn = storage.transaction()?;
    let mut whole = Batch::new();
    // Takes each chunk of removals and blocks, in the order made.
    let mut write = |batch: Batch| -> Result<()> {
        let mut batch = packed_blocks(batch);
        match txn.as_mut() {
            Some(txn) => txn.write(Table::Claims, batch),
            None => {
                whole.append(&mut batch);
                Ok(())
            }
        }
    };
    // Makes the chunks, handing each to `send`.
    let make = |send: &mut dyn FnMut(Batch) -> Result<()>| -> Result<()> {
        let mut claims = Merged::new(storage, &numbers);
        let mut writer = RunWriter::new(newest, oldest).leaving_blocks_plain();
        let mut chunk = Batch::new();
        // Removals of the blocks read go before the puts of the blocks
        // written: a block written under the key of one read (the newest
        // run's number is kept) has always been read first, as its last
        // claim has.
        let mut flush = |chunk: &mut Batch, removed: &mut Vec<Vec<u8>>| -> Result<()> {
            let mut batch: Batch = removed.drain(..).map(|k| (k, None)).collect();
            batch.append(chunk);
            send(batch)
        };
        while let Some((key, value)) = claims.next_claim()? {
            if let Some((k, v)) = writer.push(&key, &value)? {
                chunk.push((k, Some(v)));
                if chunk.len() >= WRITE_CHUNK {
                    flush(&mut chunk, &mut claims.entries_read)?;
                }
            }
        }
        chunk.extend(writer.finish().into_iter().map(|(k, v)| (k, Some(v))));
        flush(&mut chunk, &mut claims.entries_read)
    };
    if parallel {
        written_as_made(make, write)?;
    } else {
        make(&mut write)?;
    }
    // Every commit of a store writes its meta table, which is how another
    // process's refresh tells that it should take a fresh snapshot
    // (`storage/redb_engine.rs`); a merge counts itself there.
    let merges = merges_made(storage)?;
    let counted = vec![(
        MERGES_KEY.to_vec(),
        Some(merges.wrapping_add(1).to_be_bytes().to_vec()),
    )];
    crate::store::crash_point(crate::store::MERGE_CRASH_POINT)?;
    match txn {
        Some(mut txn) => {
            txn.write(Table::Meta, counted)?;
            txn.commit()
        }
        None => {
            storage.write(Table::Claims, whole)?;
            storage.write(Table::Meta, counted)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::keys::TARGETED;
    use crate::storage::MemoryStorage;

    /// A claim key of series 1 with `n` as its start, end and seq, and a
    /// body long enough that a run takes many blocks.
    fn claim(n: u64) -> Entry {
        let mut key = vec![0u8; CLAIM_KEY_LEN];
        key[..8].copy_from_slice(&1u64.to_be_bytes());
        key[13..17].copy_from_slice(&(n as u32).to_be_bytes());
        key[17..21].copy_from_slice(&(n as u32 + 1).to_be_bytes());
        key[21..].copy_from_slice(&n.to_be_bytes());
        let mut value = vec![0u8];
        value.extend(std::iter::repeat_n(n as u8, 100));
        (key, value)
    }

    fn store_run(storage: &dyn Storage, run: u64, claims: Vec<Entry>) {
        storage
            .write(Table::Claims, run_of(run, claims).unwrap())
            .unwrap();
    }

    fn visited(storage: &dyn Storage, run: u64, from: u64, to: u64) -> Result<Vec<u64>> {
        let header = run_headers(storage)?
            .into_iter()
            .find(|h| h.number == run)
            .expect("the run is stored");
        visited_with(storage, None, &header, from, to)
    }

    fn visited_with(
        storage: &dyn Storage,
        cache: Option<(&BlockCache, u64)>,
        header: &RunHeader,
        from: u64,
        to: u64,
    ) -> Result<Vec<u64>> {
        let (start, end) = (claim(from).0, claim(to).0);
        let mut seen = Vec::new();
        visit(storage, cache, header, &start, &end, |c| {
            seen.push(crate::log::read_u64(&c.key[21..], "a key")?);
            Ok(())
        })?;
        Ok(seen)
    }

    #[test]
    fn a_run_reads_back_exactly_the_claims_of_a_range_across_its_blocks() {
        let storage = MemoryStorage::new();
        store_run(&storage, 7, (1..=400).map(claim).collect());
        assert!(
            run_headers(&storage).unwrap()[0].claims == 400,
            "the header counts the run's claims"
        );
        for (from, to) in [
            (1, 401),
            (1, 2),
            (17, 18),
            (30, 250),
            (399, 401),
            (401, 500),
        ] {
            let expected: Vec<u64> = (from..to.min(401)).collect();
            assert_eq!(
                visited(&storage, 7, from, to).unwrap(),
                expected,
                "{from}..{to}"
            );
        }
    }

    #[test]
    fn blocks_are_stored_compressed_and_plain_ones_of_older_stores_still_read() {
        let claims: Vec<Entry> = (1..=400).map(claim).collect();
        let written = run_of(7, claims.clone()).unwrap();
        let tags: Vec<u8> = written
            .iter()
            .filter_map(|(_, v)| v.as_ref()?.first().copied())
            .collect();
        assert!(
            tags.iter().all(|t| *t == PACKED_TAG || *t == HEADER_TAG),
            "{tags:?}"
        );
        // The same run as a store written before blocks were compressed
        // holds it: every block plain.
        let plain: Batch = written
            .into_iter()
            .map(|(k, v)| (k, v.map(|v| unpacked(v).unwrap())))
            .collect();
        for batch in [run_of(7, claims.clone()).unwrap(), plain] {
            let storage = MemoryStorage::new();
            storage.write(Table::Claims, batch).unwrap();
            assert_eq!(
                visited(&storage, 7, 1, 401).unwrap(),
                (1..=400).collect::<Vec<u64>>()
            );
            let merged: Vec<Entry> = every_claim(&storage).unwrap().map(Result::unwrap).collect();
            assert_eq!(merged, claims);
        }
    }

    #[test]
    fn a_damaged_compressed_block_is_refused_not_unpacked() {
        let block = packed(vec![BLOCK_TAG; 2000]);
        assert_eq!(block[0], PACKED_TAG);
        let mut wrong_length = block.clone();
        wrong_length[1..5].copy_from_slice(&u32::MAX.to_be_bytes());
        let mut cut = block.clone();
        cut.truncate(block.len() - 3);
        for damaged in [wrong_length, cut, vec![PACKED_TAG]] {
            assert!(unpacked(damaged).is_err());
        }
    }

    #[test]
    fn a_range_read_once_is_read_again_from_the_block_cache_alone() {
        let storage = MemoryStorage::new();
        store_run(&storage, 7, (1..=400).map(claim).collect());
        let header = run_headers(&storage).unwrap()[0];
        let cache = BlockCache::new(1 << 20);
        let ranges = [(30, 250), (1, 2), (399, 401), (401, 500)];
        for (from, to) in ranges {
            visited_with(&storage, Some((&cache, 0)), &header, from, to).unwrap();
        }
        // With the run gone from storage, only the cache can answer.
        let keys: Vec<Vec<u8>> = storage
            .scan(Table::Claims, &[], None)
            .map(|e| e.unwrap().0)
            .collect();
        storage
            .write(Table::Claims, keys.into_iter().map(|k| (k, None)).collect())
            .unwrap();
        for (from, to) in ranges.into_iter().chain([(31, 249), (100, 101)]) {
            let expected: Vec<u64> = (from..to.min(401)).collect();
            assert_eq!(
                visited_with(&storage, Some((&cache, 0)), &header, from, to).unwrap(),
                expected,
                "{from}..{to}"
            );
        }
        // A range that reaches a block never read goes to storage, which
        // no longer has the run: the reader sees the run end early.
        assert!(visited_with(&storage, Some((&cache, 0)), &header, 250, 300).is_err());
    }

    #[test]
    fn a_block_moved_out_of_its_place_is_damage_not_a_gap() {
        let storage = MemoryStorage::new();
        store_run(&storage, 7, (1..=400).map(claim).collect());
        // A block from the middle of the run, filed under a lower key, as a
        // damaged key would: a reader of its range must not skip it.
        let blocks: Vec<Entry> = storage
            .scan(Table::Claims, &header_key(7), None)
            .skip(3)
            .take(1)
            .map(Result::unwrap)
            .collect();
        let (key, block) = blocks[0].clone();
        let mut moved = key.clone();
        moved[8 + 13..8 + 17].fill(0);
        storage
            .write(Table::Claims, vec![(key, None), (moved, Some(block))])
            .unwrap();
        let err = visited(&storage, 7, 1, 401).unwrap_err().to_string();
        assert!(err.contains("damaged"), "{err}");
    }

    #[test]
    fn a_last_block_moved_before_the_range_is_damage_not_an_empty_answer() {
        let storage = MemoryStorage::new();
        store_run(&storage, 7, (1..=400).map(claim).collect());
        // The run's last block, filed under a key below every claim asked
        // for: no block after it names it, but the header does.
        let (key, block) = storage
            .scan(Table::Claims, &header_key(7), Some(&header_key(8)))
            .next_back()
            .unwrap()
            .unwrap();
        let mut moved = key.clone();
        moved[8 + 13..8 + 17].fill(0);
        storage
            .write(Table::Claims, vec![(key, None), (moved, Some(block))])
            .unwrap();
        let err = visited(&storage, 7, 399, 401).unwrap_err().to_string();
        assert!(err.contains("damaged"), "{err}");
        let err = every_claim(&storage)
            .unwrap()
            .collect::<Result<Vec<_>>>()
            .unwrap_err()
            .to_string();
        assert!(err.contains("damaged"), "{err}");
    }

    #[test]
    fn merged_runs_hold_every_claim_once_with_the_flags_of_all_copies() {
        let storage = MemoryStorage::new();
        store_run(&storage, 1, (1..=300).map(claim).collect());
        // A replay may write claims again in another run: 250..=300 twice,
        // and one copy flagged.
        let mut again: Vec<Entry> = (250..=320).map(claim).collect();
        again[10].1[0] = TARGETED;
        store_run(&storage, 250, again);
        store_run(&storage, 321, (321..=330).map(claim).collect());
        store_run(&storage, 331, (331..=331).map(claim).collect());
        let runs = run_headers(&storage).unwrap();
        assert_eq!(runs.len(), 4);
        merge(&storage, &runs).unwrap();
        let runs = run_headers(&storage).unwrap();
        assert_eq!(
            runs,
            vec![RunHeader {
                number: 331,
                claims: 331,
                oldest: 1,
                newest: 331,
                last: claim(331).0.try_into().unwrap(),
            }]
        );
        let claims: Vec<Entry> = every_claim(&storage).unwrap().map(Result::unwrap).collect();
        assert_eq!(claims.len(), 331);
        for (i, (key, value)) in claims.iter().enumerate() {
            let n = i as u64 + 1;
            assert_eq!(key, &claim(n).0);
            assert_eq!(value[0] == TARGETED, n == 260, "the flag of claim {n}");
        }
    }

    #[test]
    fn a_merge_large_enough_for_two_threads_holds_every_claim_once_with_its_flags() {
        let storage = MemoryStorage::new();
        let n = PARALLEL_MERGE + 100;
        store_run(&storage, 1, (1..=n).map(claim).collect());
        let mut again: Vec<Entry> = (n - 50..=n + 20).map(claim).collect();
        again[10].1[0] = TARGETED;
        store_run(&storage, n - 50, again);
        let runs = run_headers(&storage).unwrap();
        assert!(runs.iter().map(|r| r.claims).sum::<u64>() >= PARALLEL_MERGE);
        merge(&storage, &runs).unwrap();
        let runs = run_headers(&storage).unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].claims, n + 20);
        let claims: Vec<Entry> = every_claim(&storage).unwrap().map(Result::unwrap).collect();
        assert_eq!(claims.len() as u64, n + 20);
        for (i, (key, value)) in claims.iter().enumerate() {
            let k = i as u64 + 1;
            assert_eq!(key, &claim(k).0);
            assert_eq!(value[0] == TARGETED, k == n - 40, "the flag of claim {k}");
        }
    }

    #[test]
    fn a_flagged_copy_in_a_later_run_flags_the_claim_and_merges_into_it() {
        // A batch denying a claim of an earlier one writes a flagged copy of
        // its entry into its own run (`apply.rs`), leaving the earlier run
        // as it is.
        let storage = MemoryStorage::new();
        store_run(&storage, 1, (1..=200).map(claim).collect());
        let mut later: Vec<Entry> = (201..=210).map(claim).collect();
        let mut copy = claim(5);
        copy.1[0] = TARGETED;
        later.insert(0, copy);
        store_run(&storage, 201, later);
        let runs = run_headers(&storage).unwrap();
        assert_eq!(runs[1].oldest, 5, "a run's oldest covers its copies");
        assert!(header_problems(&storage).unwrap().is_empty());
        let flagged = |storage: &MemoryStorage| -> (usize, Vec<u64>) {
            let claims: Vec<Entry> = every_claim(storage).unwrap().map(Result::unwrap).collect();
            let flagged = claims
                .iter()
                .filter(|(_, v)| v[0] & TARGETED != 0)
                .map(|(k, _)| claim_key_seq(k).unwrap())
                .collect();
            (claims.len(), flagged)
        };
        assert_eq!(flagged(&storage), (210, vec![5]));
        merge(&storage, &runs).unwrap();
        assert_eq!(run_headers(&storage).unwrap().len(), 1);
        assert_eq!(flagged(&storage), (210, vec![5]));
    }

    #[test]
    fn a_merge_that_changes_only_a_flag_is_not_answered_from_blocks_kept_before_it() {
        // The newer run holds the claim itself (its batch was merged into
        // it); an older, smaller run holds only a flagged copy of it.
        let storage = MemoryStorage::new();
        store_run(&storage, 30, (1..=100).map(claim).collect());
        let mut copy = claim(50);
        copy.1[0] = TARGETED;
        store_run(&storage, 20, vec![copy]);
        let newest = |storage: &MemoryStorage| run_headers(storage).unwrap()[1];
        let before = newest(&storage);
        let cache = BlockCache::new(1 << 20);
        let flags_of_50 = |header: &RunHeader| -> Vec<u8> {
            let mut flags = Vec::new();
            let merges = merges_made(&storage).unwrap();
            let (start, end) = (claim(50).0, claim(51).0);
            visit(
                &storage,
                Some((&cache, merges)),
                header,
                &start,
                &end,
                |c| {
                    flags.push(c.flags);
                    Ok(())
                },
            )
            .unwrap();
            flags
        };
        assert_eq!(flags_of_50(&before), vec![0], "kept unflagged");
        merge_all(&storage).unwrap();
        let after = newest_only(&storage);
        assert_eq!(after, before, "the merge left the header as it was");
        assert_eq!(flags_of_50(&after), vec![TARGETED]);
    }

    fn newest_only(storage: &MemoryStorage) -> RunHeader {
        let runs = run_headers(storage).unwrap();
        assert_eq!(runs.len(), 1, "merged into one run");
        runs[0]
    }

    #[test]
    fn a_batch_run_that_fills_a_small_tier_merges_with_it_in_one_write() {
        let storage = MemoryStorage::new();
        for first in [1, 11, 21] {
            store_run(&storage, first, (first..first + 10).map(claim).collect());
        }
        // The batch's claims, with a flagged copy of claim 5.
        let mut batch: Vec<Entry> = (31..=40).map(claim).collect();
        let mut copy = claim(5);
        copy.1[0] = TARGETED;
        batch.insert(0, copy);
        storage
            .write(Table::Claims, run_of_batch(&storage, 31, batch).unwrap())
            .unwrap();
        let runs = run_headers(&storage).unwrap();
        assert_eq!(runs.len(), 1, "{runs:?}");
        assert_eq!(
            (runs[0].number, runs[0].claims, runs[0].oldest),
            (31, 40, 1)
        );
        assert!(header_problems(&storage).unwrap().is_empty());
        let claims: Vec<Entry> = every_claim(&storage).unwrap().map(Result::unwrap).collect();
        assert_eq!(claims.len(), 40);
        for (key, value) in &claims {
            let seq = claim_key_seq(key).unwrap();
            assert_eq!(value[0] == TARGETED, seq == 5, "the flag of claim {seq}");
        }
        // A batch that does not fill its tier writes its run alone.
        let alone = run_of_batch(&storage, 41, (41..=42).map(claim).collect()).unwrap();
        storage.write(Table::Claims, alone).unwrap();
        assert_eq!(run_headers(&storage).unwrap().len(), 2);
    }

    #[test]
    fn a_header_that_misdescribes_its_run_is_a_problem_verify_reports() {
        let storage = MemoryStorage::new();
        store_run(&storage, 7, (7..=100).map(claim).collect());
        assert!(header_problems(&storage).unwrap().is_empty());
        // An `oldest` past the run's first claim would hide it from readers
        // at earlier positions.
        let (key, mut header) = storage
            .scan(Table::Claims, &header_key(7), None)
            .next()
            .unwrap()
            .unwrap();
        header[9..17].copy_from_slice(&50u64.to_be_bytes());
        storage
            .write(Table::Claims, vec![(key, Some(header))])
            .unwrap();
        let problems = header_problems(&storage).unwrap();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("run 7"), "{problems:?}");
    }

    #[test]
    fn four_runs_of_a_tier_merge_and_a_lone_larger_one_waits() {
        let run = |number: u64, claims: u64| RunHeader {
            number,
            claims,
            oldest: number,
            newest: number,
            last: [0; CLAIM_KEY_LEN],
        };
        assert_eq!(runs_to_merge(&[run(1, 10), run(2, 10), run(3, 10)]), None);
        let four = [run(1, 10), run(2, 10), run(3, 10), run(4, 10)];
        assert_eq!(runs_to_merge(&four).map(|r| r.len()), Some(4));
        let mixed = [run(1, 100_000), run(2, 10), run(3, 10), run(4, 10)];
        assert_eq!(runs_to_merge(&mixed), None);
    }
}
