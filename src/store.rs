//! The [`Store`]: opening, appending batches, answering from one consistent
//! log position, and verifying.
//!
//! # Write protocol
//!
//! An append holds the writer lock (in-process, and across processes the
//! store directory's `annals.lock`, see `storage::WriteLock`), reads the
//! head as the disk has it (another process may have appended), finishes
//! any work a crashed writer left (`Store::settle`), and then writes seqs
//! `head+1 ..= last`, validating each part of the batch against the
//! projections at `head` plus the batch's earlier parts before writing it
//! (a refusal writes nothing). How it writes is `append.rs`'s:
//!
//! - on redb, everything (log records, projection entries, the new head
//!   and `applied`) goes into **one transaction**, whose commit is the
//!   commit point: before it nothing of the batch is reachable, after it
//!   all of it is;
//! - on engines without transactions (sled, memory), in steps: the log
//!   records, flushed; the new head, flushed (**the commit point**: records
//!   above the head are never read, and the next writer removes them);
//!   the projections, flushed; and only then `applied = last`. A crash
//!   after the head leaves projections behind the log; the next writer (or
//!   open) replays the tail (`catch_up`). Applying is idempotent, so a
//!   half-applied batch is harmless.
//!
//! Readers in other processes answer from `applied` as the disk has it,
//! which they read again at the start of every statement
//! ([`Store::refresh`]).
//!
//! Each step ends at a named crash point ([`CRASH_POINTS`] on redb,
//! [`STEPWISE_CRASH_POINTS`] otherwise). The crash tests set
//! `ANNALS_TEST_CRASH_AT` to one of those names to make the process abort
//! exactly there, so every crash point is reached on purpose as well as by
//! a randomly timed SIGKILL.

use crate::answer::{self, Answer, Get, Row};
use crate::error::{Error, Result};
use crate::index::{IndexWrites, ReadCache, View};
use crate::log::{self, Envelope, Hash, Record};
use crate::storage::{LockWait, MemoryStorage, Storage, Table, SEAL_FILE};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

mod append;

pub(crate) use append::BatchParts;
pub use append::{CRASH_POINTS, MERGE_CRASH_POINT, STEPWISE_CRASH_POINTS};

const HEAD_KEY: &[u8] = b"head";
const APPLIED_KEY: &[u8] = b"applied";
const VERSION_KEY: &[u8] = b"projection.version";
/// The layout of the projection tables; a store whose projections have
/// another is rebuilt from its log on open. Layout 8: every projection
/// entry carries a checksum (`storage/checksummed.rs`); 9: claim entries
/// keep the written forms of vague dates; 10: the slot index in runs of
/// blocks of claims (`index/runs.rs`); 11: denials of an earlier batch's
/// claims carried by copies of their entries (`index/carried.rs`).
const PROJECTION_VERSION: u64 = 11;
/// How many records a replay applies between flushes.
const REPLAY_CHUNK: u64 = 50_000;

/// Kills the process if the crash tests asked for a crash at `step`
/// (`ANNALS_TEST_CRASH_AT`), or fails the step as a full disk would if the
/// failure tests asked for that (`ANNALS_TEST_FAIL_AT`).
///
/// SIGKILL, the signal the random crash test sends, rather than an exit:
/// no destructor runs and nothing is flushed. (Not `abort`, which may leave
/// a core file wherever the process ran.) The variables are read once;
/// while they are unset a crash point costs two comparisons.
pub(crate) fn crash_point(step: &'static str) -> Result<()> {
    static CRASH_AT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    static FAIL_AT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    debug_assert!(
        CRASH_POINTS.contains(&step)
            || append::STEPWISE_CRASH_POINTS.contains(&step)
            || step == append::MERGE_CRASH_POINT,
        "unlisted crash point {step}"
    );
    if FAIL_AT
        .get_or_init(|| std::env::var("ANNALS_TEST_FAIL_AT").ok())
        .as_deref()
        == Some(step)
    {
        return Err(Error::Io(std::io::Error::new(
            std::io::ErrorKind::StorageFull,
            format!("No space left on device (simulated after step '{step}')"),
        )));
    }
    let at = CRASH_AT.get_or_init(|| std::env::var("ANNALS_TEST_CRASH_AT").ok());
    if at.as_deref() == Some(step) {
        #[cfg(unix)]
        // SAFETY: kill(2) on our own pid takes no pointers; it does not return.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
        std::process::abort();
    }
    Ok(())
}

/// The last committed record: its seq and hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Head {
    seq: u64,
    hash: Hash,
}

/// What an append wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub first_seq: u64,
    pub last_seq: u64,
    /// The event id of each event of the batch, where it has one, for a
    /// batch given whole ([`Store::append`]). An import
    /// (`interchange::import_file`, `import_reader`) leaves it empty: a
    /// file of any size is imported in bounded memory, so its ids are not
    /// kept (each event without a chosen id has `e<seq>`).
    pub ids: Vec<Option<String>>,
    /// Events accepted with a warning (by index in the batch): claims of an
    /// export that the unit rule would refuse if they were new.
    pub warnings: Vec<(usize, String)>,
}

/// What [`Store::compact`] found: the slot index's runs before it (one or
/// none means there was nothing to merge) and the claims they hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compacted {
    pub runs: usize,
    pub claims: u64,
}

/// An annals store: the log and its projections.
pub struct Store {
    /// The engine through the checksum layer: every read and write.
    storage: Arc<dyn Storage>,
    /// The engine itself, for the one job that must not check entries:
    /// dropping projections of an older layout, written without checksums.
    unchecked: Arc<dyn Storage>,
    /// Serialises this process's appends; the file lock serialises
    /// processes. Holds the head as of the last append from here.
    writer: Mutex<Head>,
    /// How an append waits for another process's.
    lock_wait: LockWait,
    /// The position readers answer from: every record up to it is committed
    /// and applied to the projections.
    applied: AtomicU64,
    /// What readers keep between questions: series entries, source
    /// revisions, targets, blocks of the slot index.
    cache: ReadCache,
    /// Log blocks an append read lately (the targets of its denials).
    recent_blocks: Arc<log::RecentBlocks>,
    /// Opened read-only: `append` refuses every batch.
    read_only: bool,
    /// The `recorded` time of the head record: a batch is never recorded
    /// earlier, even if the clock steps back, so that `as recorded at
    /// <date>` has one answer.
    last_recorded: std::sync::atomic::AtomicI64,
}

impl Store {
    /// Opens or creates the store at `path` with the default
    /// [`StoreOptions`](crate::StoreOptions). Refuses a store that another
    /// process holds with [`Error::Locked`], after trying again for a
    /// quarter of a second (see [`crate::Engine`]).
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        crate::StoreOptions::new().open(path)
    }

    /// A store in memory (redb's in-memory backend), gone when dropped: for
    /// tests and scratch work.
    pub fn temporary() -> Result<Store> {
        Store::with_storage(Arc::new(crate::storage::RedbStorage::in_memory()?))
    }

    /// The same store, refusing every write with [`Error::ReadOnly`].
    pub(crate) fn refusing_writes(mut self) -> Store {
        self.read_only = true;
        self
    }

    /// A store that lives in memory only.
    pub fn in_memory() -> Store {
        // An empty memory store has nothing to read that could fail.
        Store::with_storage(Arc::new(MemoryStorage::new())).unwrap_or_else(|_| unreachable!())
    }

    /// The store, its readers keeping up to `bytes` of the slot index's
    /// blocks (`index/blocks.rs`). Only as it is opened: no reader has
    /// cached anything yet.
    pub(crate) fn keeping_blocks(mut self, bytes: usize) -> Store {
        self.cache = ReadCache::new(bytes);
        self
    }

    /// Opens a store on any engine with the library's default wait for
    /// another process's write (see [`StoreOptions`](crate::StoreOptions)).
    pub(crate) fn with_storage(storage: Arc<dyn Storage>) -> Result<Store> {
        Store::with_storage_waiting(storage, crate::options::DEFAULT_LOCK_WAIT, false)
    }

    /// Opens a store on any engine: checks the head record and the seal,
    /// and, where it may write and no other process is writing, finishes
    /// what a crashed writer left (records of an uncommitted batch, a log
    /// tail the projections lack, projections of an older layout).
    ///
    /// With `reseal`, a store whose seal file is missing has its whole log
    /// checked and is sealed again at its head (`annals verify --reseal`).
    pub(crate) fn with_storage_waiting(
        storage: Arc<dyn Storage>,
        lock_wait: LockWait,
        reseal: bool,
    ) -> Result<Store> {
        let unchecked = storage;
        let storage: Arc<dyn Storage> =
            Arc::new(crate::storage::Checksummed::new(unchecked.clone()));
        if reseal && storage.keeps_seal() && storage.read_seal()?.is_none() {
            // Under the writer lock, so that no append moves the head
            // between the check and the seal.
            let _lock = storage.lock_writer(lock_wait)?;
            storage.refresh()?;
            let head = read_head(storage.as_ref())?;
            check_chain(storage.as_ref(), head)?;
            storage.write_seal(&seal_bytes_of(head))?;
        }
        let head = read_checked_head(storage.as_ref())?;
        let applied = read_applied(storage.as_ref())?;
        let version = storage.get(Table::Meta, VERSION_KEY)?;
        let current_layout = version.as_deref() == Some(&PROJECTION_VERSION.to_be_bytes()[..]);
        let store = Store {
            read_only: storage.is_read_only(),
            storage,
            unchecked,
            writer: Mutex::new(head),
            lock_wait,
            applied: AtomicU64::new(applied),
            cache: ReadCache::default(),
            recent_blocks: Arc::default(),
            last_recorded: std::sync::atomic::AtomicI64::new(i64::MIN),
        };
        if applied > head.seq {
            return Err(Error::Corrupt(format!(
                "the projections are at seq {applied}, past the log head {}",
                head.seq
            )));
        }
        let behind = applied < head.seq || store.has_uncommitted(head)?;
        if store.read_only {
            // A read-only open writes nothing: it answers from the applied
            // position, which is committed, unless the projections are of
            // another layout and must be rebuilt first.
            if !current_layout && head.seq > 0 {
                return Err(Error::Corrupt(
                    "the store's indexes are of an older layout and must be rebuilt from the log, which a read-only open cannot do (open it once with write access)".into(),
                ));
            }
        } else if !current_layout {
            let _lock = store.storage.lock_writer(lock_wait)?;
            store.settle()?;
        } else if behind {
            // Another process may be writing right now, and then what looks
            // unfinished is its append in progress: only a writer holding
            // the lock may finish it, and it will.
            match store.storage.lock_writer(LockWait::NEVER) {
                Ok(_lock) => {
                    store.settle()?;
                }
                Err(Error::Locked { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(store)
    }

    /// Sees every commit made so far by any process sharing the store, and
    /// returns the position readers now answer from. [`Store::query`] and
    /// [`Store::get`] call it at the start of every statement, so a
    /// long-lived store (a REPL, a notebook, a server) follows other
    /// processes' imports.
    pub fn refresh(&self) -> Result<u64> {
        self.storage.refresh()?;
        let on_disk = read_applied(self.storage.as_ref())?;
        if on_disk > self.position() {
            // Another process published: what this process cached about
            // series and sources may be older than its writes.
            self.cache.clear();
            self.applied.fetch_max(on_disk, Ordering::AcqRel);
        }
        Ok(self.position())
    }

    /// Lets go of the read snapshot kept between statements: an idle store
    /// then holds back no pages of the file from other processes' writes.
    /// The REPL, the reading room and the Python package call it when a
    /// statement ends; the next read takes a fresh snapshot.
    pub fn idle(&self) {
        self.storage.release();
    }

    /// Takes the writer lock, so that nothing changes until the returned
    /// lock is dropped (for `verify`, which must see the log and its indexes
    /// still), and, on a writable store, finishes what a crashed writer
    /// left (`settle`). A read-only opening takes the lock where the
    /// directory allows it (only the lock file is written) and writes
    /// nothing else.
    pub(crate) fn hold_still(&self) -> Result<Option<crate::storage::WriteLock>> {
        let writable = !self.read_only && !self.storage.is_read_only();
        let lock = match self.storage.lock_writer(self.lock_wait) {
            Ok(lock) => lock,
            // A store whose directory cannot be written has no writer.
            Err(Error::Io(_)) if !writable => None,
            Err(e) => return Err(e),
        };
        if writable {
            self.settle()?;
        } else {
            self.refresh()?;
        }
        Ok(lock)
    }

    /// The committed records the indexes have not finished applying, as
    /// the disk has them: `None` when the indexes are at the head.
    pub(crate) fn unfinished(&self) -> Result<Option<(u64, u64)>> {
        let head = read_head(self.storage.as_ref())?;
        let position = self.position();
        Ok((head.seq > position).then(|| (position + 1, head.seq)))
    }

    /// Under the writer lock: reads the head as the disk has it, removes
    /// records of a batch that never committed, rebuilds projections of an
    /// older layout and applies what they lack. Returns the head.
    fn settle(&self) -> Result<Head> {
        self.storage.refresh()?;
        let head = read_checked_head(self.storage.as_ref())?;
        if self.has_uncommitted(head)? {
            let uncommitted: crate::storage::Batch = self
                .storage
                .scan(Table::Log, &log::key(head.seq + 1), None)
                .map(|e| e.map(|(k, _)| (k, None)))
                .collect::<Result<_>>()?;
            self.storage.write(Table::Log, uncommitted)?;
            self.storage.flush()?;
        }
        let mut applied = read_applied(self.storage.as_ref())?;
        // Projections written in another layout are dropped and rebuilt
        // from the log, which is what they are for.
        let version = self.storage.get(Table::Meta, VERSION_KEY)?;
        if version.as_deref() != Some(&PROJECTION_VERSION.to_be_bytes()[..]) {
            if applied > 0 || version.is_some() {
                clear_projections(self.unchecked.as_ref())?;
                applied = 0;
            }
            self.storage.write(
                Table::Meta,
                vec![
                    (APPLIED_KEY.to_vec(), Some(0u64.to_be_bytes().to_vec())),
                    (
                        VERSION_KEY.to_vec(),
                        Some(PROJECTION_VERSION.to_be_bytes().to_vec()),
                    ),
                ],
            )?;
            self.storage.flush()?;
        }
        if applied > head.seq {
            return Err(Error::Corrupt(format!(
                "the projections are at seq {applied}, past the log head {}",
                head.seq
            )));
        }
        if applied != self.position() {
            self.cache.clear();
            self.applied.store(applied, Ordering::Release);
        }
        if head.seq > 0 {
            let recorded = log::read_envelope(self.storage.as_ref(), head.seq)?
                .record
                .recorded;
            self.last_recorded.fetch_max(recorded, Ordering::AcqRel);
        }
        self.catch_up(head)?;
        Ok(head)
    }

    /// Whether the log holds records past `head`: a batch that did not
    /// commit (or, without the writer lock, one being written).
    fn has_uncommitted(&self, head: Head) -> Result<bool> {
        Ok(self
            .storage
            .scan(Table::Log, &log::key(head.seq + 1), None)
            .next()
            .transpose()?
            .is_some())
    }

    /// The engine underneath, for tools that inspect it.
    pub(crate) fn storage(&self) -> &dyn Storage {
        self.storage.as_ref()
    }

    /// The log position readers answer from.
    pub fn position(&self) -> u64 {
        self.applied.load(Ordering::Acquire)
    }

    /// A view of the projections at `recorded` (clamped to the position).
    pub(crate) fn view(&self, recorded: Option<u64>) -> View<'_> {
        let position = self.position();
        View {
            storage: self.storage.as_ref(),
            position: recorded.map_or(position, |r| r.min(position)),
            cache: Some(&self.cache),
            recent: None,
        }
    }

    /// Applies committed records the projections lack, up to `head`,
    /// reading them back from the log (after a crash, or on open).
    fn catch_up(&self, head: Head) -> Result<()> {
        let mut applied = self.position();
        if applied < head.seq {
            // A batch whose index writes landed without `applied` (an
            // engine without transactions, stopped between the two) left a
            // run numbered above `applied`; the replay writes it again in
            // its own chunks, which must not fall into that run's blocks.
            crate::index::drop_runs_after(self.storage.as_ref(), applied)?;
        }
        while applied < head.seq {
            let until = head.seq.min(applied + REPLAY_CHUNK);
            let mut records = Vec::with_capacity((until - applied) as usize);
            for envelope in log::scan_records(self.storage.as_ref(), applied + 1, until) {
                records.push(envelope?.record);
            }
            // A log that ends inside the chunk must not be applied past.
            if records.len() as u64 != until - applied {
                return Err(Error::Corrupt(format!(
                    "log record {} is missing",
                    applied + 1 + records.len() as u64
                )));
            }
            let writes = self.build(&records)?;
            self.publish(writes, until)?;
            // Merging is optional: a merge that fails here (a damaged
            // block) must not keep the store from opening; the reads that
            // touch the damage refuse it, `verify` names it, and the next
            // append's merge reports it as a failure after its commit.
            let _unmerged = self.merge_runs();
            applied = until;
        }
        Ok(())
    }

    /// Merges every run of the slot index into one (`annals compact`).
    /// A store imported in many batches keeps up to three runs of each
    /// size, and every `get` reads each of them: at 10M events imported in
    /// ten batches, four runs made a warm `get` about three times slower
    /// than on a store imported whole. Answers do not change; the merge is
    /// one transaction, so a crash leaves the runs as they were. It holds
    /// the writer lock meanwhile (appends wait; readers go on), and the
    /// file may grow by the size of the index until the next commits reuse
    /// the pages it freed. Returns how many runs and claims there were.
    pub fn compact(&self) -> Result<Compacted> {
        if self.read_only {
            return Err(Error::ReadOnly);
        }
        let _head = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let _lock = self.storage.lock_writer(self.lock_wait)?;
        // Projections at the head first: the runs a crashed writer left
        // unapplied are replayed, not merged.
        self.settle()?;
        let (runs, claims) = crate::index::merge_all(self.storage.as_ref())?;
        Ok(Compacted { runs, claims })
    }

    /// Merges runs of the slot index while some tier has too many
    /// (`index/runs.rs`). A failure leaves runs unmerged, which changes no
    /// answer; readers see the merge as a new state of the storage
    /// (`Storage::generation`) and list the runs again.
    fn merge_runs(&self) -> Result<()> {
        crate::index::compact(self.storage.as_ref())?;
        Ok(())
    }

    /// The projection writes of consecutive records.
    fn build(&self, records: &[Record]) -> Result<IndexWrites> {
        IndexWrites::build(self.storage.as_ref(), records)
    }

    /// Writes projection writes that bring the projections to `until`, makes
    /// them durable, then publishes the new position to readers.
    fn publish(&self, mut writes: IndexWrites, until: u64) -> Result<()> {
        let updates = writes.cache_updates();
        writes.write(self.storage.as_ref())?;
        crash_point("projections-written")?;
        self.cache.update(updates);
        self.storage.flush()?;
        crash_point("projections-flushed")?;
        self.storage.write(
            Table::Meta,
            vec![(APPLIED_KEY.to_vec(), Some(until.to_be_bytes().to_vec()))],
        )?;
        self.applied.store(until, Ordering::Release);
        Ok(())
    }

    /// The last log position recorded before `micros` (microseconds since
    /// the Unix epoch, UTC), found by bisection over the log: 0 when no
    /// record is that old. Bisection needs `recorded` times that never go
    /// back along the log, which is how the store writes them (a batch's
    /// records share one time).
    pub fn position_recorded_before(&self, micros: i64) -> Result<u64> {
        let (mut low, mut high) = (0, self.position());
        // Invariant: the record at `low` (if any) is older than `micros`;
        // every record after `high` is not.
        while low < high {
            let middle = low + (high - low).div_ceil(2);
            if self.record(middle)?.recorded < micros {
                low = middle;
            } else {
                high = middle - 1;
            }
        }
        Ok(low)
    }

    /// The log's head as a historian publishes it, `SEQ:HASH` (the hash of
    /// the record at the store's position, hex); `0:` plus zeros when the
    /// log is empty. A log rewritten below a published head no longer has
    /// that hash at that seq, which `verify --expect-head` checks.
    pub fn head(&self) -> Result<String> {
        let seq = self.position();
        self.head_at(seq)
    }

    /// `SEQ:HASH` of the record at `seq`, its hash checked.
    pub fn head_at(&self, seq: u64) -> Result<String> {
        let hash = if seq == 0 {
            [0; 32]
        } else {
            log::read_envelope(self.storage.as_ref(), seq)?.hash
        };
        Ok(format!("{seq}:{}", log::hex(&hash)))
    }

    /// The record at `seq`, its hash checked.
    pub fn record(&self, seq: u64) -> Result<Record> {
        Ok(log::read_envelope(self.storage.as_ref(), seq)?.record)
    }

    /// Every committed record in log order, checked ([`checked_records`]).
    pub(crate) fn records(&self) -> impl Iterator<Item = Result<Envelope>> + '_ {
        checked_records(self.storage.as_ref(), self.position())
    }

    /// Answers a typed `get`.
    /// Like a statement, it first sees other processes' commits.
    pub fn get(&self, question: &Get) -> Result<Answer<Row>> {
        self.refresh()?;
        let view = self.view(question.recorded);
        Ok(Answer {
            log_seq: view.position,
            rows: answer::get(view, question)?,
        })
    }
}

/// Removes every projection entry, in chunks.
fn clear_projections(storage: &dyn Storage) -> Result<()> {
    for &table in Table::PROJECTIONS {
        loop {
            let keys: crate::storage::Batch = storage
                .scan(table, b"", None)
                .take(100_000)
                .map(|e| e.map(|(k, _)| (k, None)))
                .collect::<Result<_>>()?;
            if keys.is_empty() {
                break;
            }
            storage.write(table, keys)?;
        }
    }
    storage.flush()
}

fn head_bytes_of(head: Head) -> Vec<u8> {
    let mut bytes = head.seq.to_be_bytes().to_vec();
    bytes.extend_from_slice(&head.hash);
    bytes
}

/// The seal of `head` (`storage/seal.rs`).
fn seal_bytes_of(head: Head) -> Vec<u8> {
    crate::storage::seal_of(&head_bytes_of(head))
}

/// Every record of the log up to `head` in order, each checked against its
/// own hash and the one before it. A record missing from the sequence, or a
/// log that ends before the head, is an error: a reader of the whole log
/// (export, lint, a reseal) must never end early as if the log were shorter.
fn checked_records(
    storage: &dyn Storage,
    head: u64,
) -> impl Iterator<Item = Result<Envelope>> + '_ {
    let mut scan = log::scan_records(storage, 1, head);
    let mut expected = 1u64;
    let mut prev_hash = [0u8; 32];
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed {
            return None;
        }
        let next = match scan.next() {
            Some(entry) => entry.and_then(|envelope| {
                let seq = envelope.record.seq;
                if envelope.prev_hash != prev_hash {
                    return Err(Error::Corrupt(format!(
                        "log record {seq} does not follow record {}: its prev_hash differs",
                        seq - 1
                    )));
                }
                Ok(envelope)
            }),
            None if expected <= head => Err(Error::Corrupt(format!(
                "the log ends at record {} but its head is {head}",
                expected - 1
            ))),
            None => return None,
        };
        match &next {
            Ok(envelope) => {
                expected += 1;
                prev_hash = envelope.hash;
            }
            Err(_) => failed = true,
        }
        Some(next)
    })
}

/// Checks every record of the log up to `head` ([`checked_records`]), and
/// that the last one is the head.
fn check_chain(storage: &dyn Storage, head: Head) -> Result<()> {
    let mut last = [0u8; 32];
    for envelope in checked_records(storage, head.seq) {
        last = envelope?.hash;
    }
    if head.seq > 0 && last != head.hash {
        return Err(Error::Corrupt(format!(
            "the log head (seq {}) does not match its record's hash",
            head.seq
        )));
    }
    Ok(())
}

/// The sealed head's 40 bytes (seq, hash) from the seal file's contents:
/// a checked seal, or one written before seals had a checksum.
fn parse_seal(bytes: &[u8]) -> Result<&[u8]> {
    crate::storage::sealed_head(bytes).ok_or_else(|| {
        Error::Corrupt(
            "the seal file (annals.seal) is damaged (its checksum does not match); this says nothing of the log itself. Put it back from a backup; or remove it and run `annals verify --reseal`, which checks the whole log and seals it again".into(),
        )
    })
}

/// Compares the engine's head with the seal kept outside it: the engine may
/// be ahead (a crash between commit and seal) but never behind, and the
/// sealed record must still have the sealed hash.
fn check_seal(storage: &dyn Storage, head: Head, seal: Option<&[u8]>) -> Result<()> {
    let Some(bytes) = seal else {
        // Every store that keeps a seal has one before its first commit
        // (see `append`), so a missing one was removed: without it a loss
        // inside the engine would go unseen.
        if storage.keeps_seal() && head.seq > 0 {
            return Err(Error::Corrupt(format!(
                "the seal file ({SEAL_FILE}) is missing, so the log (head seq {}) cannot be checked \
                 against it. Put it back from a backup; or, if it was removed by hand, \
                 `annals verify --reseal` checks the whole log and seals it again",
                head.seq
            )));
        }
        return Ok(());
    };
    let sealed = log::read_u64(bytes, "the seal")?;
    if sealed > head.seq {
        return Err(Error::Corrupt(format!(
            "the storage engine lost committed records: the log was sealed at seq {sealed} but holds only {} (its files are damaged)",
            head.seq
        )));
    }
    if sealed > 0 && log::read_envelope(storage, sealed)?.hash[..] != bytes[8..40] {
        return Err(Error::Corrupt(format!(
            "log record {sealed} differs from the one that was sealed"
        )));
    }
    Ok(())
}

/// The head as meta has it, checked against its record's hash and against
/// the seal kept outside the engine.
fn read_checked_head(storage: &dyn Storage) -> Result<Head> {
    let mut head = read_head(storage)?;
    // The seal is read once: another process may seal a new commit at any
    // moment. It seals after committing, so a seal ahead of this snapshot
    // may be a commit made since the snapshot was taken, and a snapshot
    // taken after the seal was read includes it — unless the engine really
    // lost it.
    let seal_file = storage.read_seal()?;
    let seal = seal_file.as_deref().map(parse_seal).transpose()?;
    let sealed = match seal {
        Some(bytes) => Some(log::read_u64(bytes, "the seal")?),
        None => None,
    };
    if sealed.is_some_and(|sealed| sealed > head.seq) {
        storage.refresh()?;
        head = read_head(storage)?;
    }
    if head.seq > 0 && log::read_envelope(storage, head.seq)?.hash != head.hash {
        return Err(Error::Corrupt(format!(
            "the log head (seq {}) does not match its record's hash",
            head.seq
        )));
    }
    check_seal(storage, head, seal)?;
    Ok(head)
}

/// How far the projections are applied, as the disk has it.
fn read_applied(storage: &dyn Storage) -> Result<u64> {
    match storage.get(Table::Meta, APPLIED_KEY)? {
        Some(bytes) => log::read_u64(&bytes, "the applied position"),
        None => Ok(0),
    }
}

fn read_head(storage: &dyn Storage) -> Result<Head> {
    match storage.get(Table::Meta, HEAD_KEY)? {
        None => Ok(Head {
            seq: 0,
            hash: [0; 32],
        }),
        Some(bytes) if bytes.len() == 40 => {
            let mut hash = [0u8; 32];
            hash.copy_from_slice(&bytes[8..]);
            Ok(Head {
                seq: log::read_u64(&bytes, "the log head")?,
                hash,
            })
        }
        Some(_) => Err(Error::Corrupt("the log head is damaged".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Definition, Event, Kind, Source};

    fn definition(attribute: &str) -> Event {
        Event::Define(Definition {
            attribute: attribute.into(),
            kind: Kind::Period,
            unit: None,
            doc: None,
        })
    }

    fn recorded_of(store: &Store, seq: u64) -> i64 {
        log::read_record(store.storage.as_ref(), seq)
            .unwrap()
            .recorded
    }

    /// `as recorded at T` must mean one log position: if the clock steps
    /// back (here: the last record was written by a clock a day ahead),
    /// a new record is stamped no earlier than the record before it, by
    /// this process and by a process that opens the store afterwards.
    #[test]
    fn a_clock_stepping_back_never_stamps_a_record_earlier_than_the_one_before() {
        let storage: Arc<dyn Storage> = Arc::new(MemoryStorage::new());
        let store = Store::with_storage(storage.clone()).unwrap();
        store
            .append(vec![Event::Source(Source {
                id: "s".into(),
                title: "t".into(),
                publisher: "p".into(),
                published: crate::Period::parse("2010").unwrap(),
                url: None,
                text: None,
                note: None,
                published_form: None,
            })])
            .unwrap();
        let day_ahead = recorded_of(&store, 1) + 86_400_000_000;
        store.last_recorded.store(day_ahead, Ordering::Release);
        store.append(vec![definition("a")]).unwrap();
        assert_eq!(recorded_of(&store, 2), day_ahead);
        drop(store);

        // Another opening learns the last stamp from the log itself.
        let reopened = Store::with_storage(storage).unwrap();
        reopened.append(vec![definition("b")]).unwrap();
        assert!(recorded_of(&reopened, 3) >= day_ahead);
        assert!(
            recorded_of(&reopened, 1) < day_ahead,
            "the clock itself is behind"
        );
    }
}
