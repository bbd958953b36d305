//! Appending a batch: validation, the log, the projections, the commit.
//!
//! A batch reaches the store in parts ([`BatchParts`]), so that an import
//! of any size is never held whole: the store asks for the next part only
//! once it has written the one before. What it does with them depends on
//! the engine.
//!
//! **With transactions (redb).** Every part is validated (against the store
//! at the head plus the batch's earlier parts, `Validator`), its records
//! encoded into the hash chain while its projection writes are built on a
//! second thread (`IndexBuilder`), and both written into **one**
//! transaction that also takes the new head and `applied` — all but the
//! slot index entries, which wait in sorted runs in a temporary file and
//! go in after the last part, merged into key order (`ClaimRuns`, which
//! also flags the claims that later parts deny). Its commit is
//! the commit point, and the only durable write of the batch: a crash or a
//! refusal before it leaves nothing, since an uncommitted redb transaction
//! is never reachable; after it the batch is whole, log and projections
//! together. Memory is a part's worth plus redb's cache (redb writes a
//! transaction's pages beyond its cache to free space in the file).
//!
//! **Without (sled, memory).** Every part is validated, then the whole
//! batch is written in the steps of the older protocol (`store.rs`): the
//! log, then the head (the commit point), the seal, then the projections
//! and `applied`, each step made durable before the next.
//!
//! Each step ends at a named crash point, [`CRASH_POINTS`] for the first
//! way and [`STEPWISE_CRASH_POINTS`] for the second.

use super::{
    crash_point, head_bytes_of, seal_bytes_of, Appended, Head, Store, APPLIED_KEY, HEAD_KEY,
};
use crate::error::{Error, Result};
use crate::event::Event;
use crate::index::{ClaimRuns, IndexBuilder, IndexWrites, View};
use crate::log::{self, Record};
use crate::storage::{Batch, Table, Transaction};
use crate::validate::Validator;
use std::sync::atomic::Ordering;

/// From this many events on, a part's projection writes are built on a
/// second thread while its log records are encoded.
const PARALLEL_PART: usize = 4096;

/// The steps of a transactional append at which `ANNALS_TEST_CRASH_AT`
/// aborts the process, in the order an append reaches them; `committed` is
/// the first at which the batch is whole after the next open.
#[doc(hidden)]
pub const CRASH_POINTS: &[&str] = &[
    "validated",
    "log-written",
    "claims-sorted",
    "projections-written",
    "committed",
    "sealed",
];

/// The step of a merge of slot index runs after an append (`index/runs.rs`)
/// at which `ANNALS_TEST_CRASH_AT` aborts: its writes are made, its commit
/// is not.
#[doc(hidden)]
pub const MERGE_CRASH_POINT: &str = "runs-merged";

/// The steps of an append on an engine without transactions. A crash at
/// any of the first three leaves the batch absent; from `head-written` on
/// it is whole after the next open (once replayed).
#[doc(hidden)]
pub const STEPWISE_CRASH_POINTS: &[&str] = &[
    "validated",
    "log-written",
    "log-flushed",
    "head-written",
    "head-flushed",
    "sealed",
    "projections-written",
    "projections-flushed",
];

/// A batch handed to the store in parts.
pub(crate) trait BatchParts {
    /// The next part's events, or `None` when the batch has no more. An
    /// error (a line that does not parse) refuses the whole batch.
    fn next_part(&mut self) -> Option<Result<Vec<Event>>>;

    /// Whether event `index` of the current part is a line of an export,
    /// which the unit rule lets in with a warning.
    fn grandfathered(&self, index: usize) -> bool;

    /// A warning about event `index` of the current part.
    fn warn(&mut self, index: usize, message: String);
}

/// A batch given whole, as one part.
struct WholeBatch<'a> {
    events: Option<Vec<Event>>,
    grandfathered: &'a dyn Fn(usize) -> bool,
    warnings: Vec<(usize, String)>,
}

impl BatchParts for WholeBatch<'_> {
    fn next_part(&mut self) -> Option<Result<Vec<Event>>> {
        self.events.take().map(Ok)
    }

    fn grandfathered(&self, index: usize) -> bool {
        (self.grandfathered)(index)
    }

    fn warn(&mut self, index: usize, message: String) {
        self.warnings.push((index, message));
    }
}

impl Store {
    /// Appends one batch atomically: all its events or none.
    pub fn append(&self, batch: Vec<Event>) -> Result<Appended> {
        self.append_with(batch, &|_| false)
    }

    /// [`Store::append`], accepting with a warning the claims at the indices
    /// `grandfathered` names that break the unit rule (an export's lines,
    /// judged when they were first written).
    pub(crate) fn append_with(
        &self,
        batch: Vec<Event>,
        grandfathered: &dyn Fn(usize) -> bool,
    ) -> Result<Appended> {
        // Each event's id as written, and whether it takes an automatic one.
        let written: Vec<Option<Option<String>>> = batch
            .iter()
            .map(|e| match e {
                Event::Assert(_) | Event::Deny(_) | Event::Retract(_) => {
                    Some(e.event_id().map(str::to_string))
                }
                Event::Define(_) | Event::Source(_) => None,
            })
            .collect();
        let mut whole = WholeBatch {
            events: Some(batch),
            grandfathered,
            warnings: Vec::new(),
        };
        let mut appended = self.append_parts(&mut whole)?;
        appended.ids = written
            .into_iter()
            .enumerate()
            .map(|(i, id)| {
                id.map(|id| {
                    id.unwrap_or_else(|| crate::index::automatic_id(appended.first_seq + i as u64))
                })
            })
            .collect();
        appended.warnings = whole.warnings;
        Ok(appended)
    }

    /// Appends a batch given in parts, atomically: all its events or none.
    /// Warnings go to `parts`; the result's `ids` and `warnings` are empty.
    pub(crate) fn append_parts(&self, parts: &mut dyn BatchParts) -> Result<Appended> {
        if self.read_only {
            return Err(Error::ReadOnly);
        }
        let mut head = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let _lock = self.storage.lock_writer(self.lock_wait)?;
        // Another process may have appended since; projections must be at
        // the head before they can judge a batch.
        *head = self.settle()?;
        let view = View {
            storage: self.storage.as_ref(),
            position: head.seq,
            cache: None,
            recent: Some(self.recent_blocks.as_ref()),
        };
        let validator = Validator::new(&view, head.seq + 1)?;
        // Every record of the batch carries the time its append began: the
        // hash chain covers it, so it is fixed before the first record is
        // encoded, and a long import's records are dated at its start
        // (no reader sees any of them before the commit).
        let recorded = jiff::Timestamp::now()
            .as_microsecond()
            .max(self.last_recorded.load(Ordering::Acquire));
        let new_head = match self.storage.transaction()? {
            Some(txn) => self.append_in_transaction(*head, txn, parts, validator, recorded)?,
            None => self.append_in_steps(*head, parts, validator, recorded)?,
        };
        let appended = Appended {
            first_seq: head.seq + 1,
            last_seq: new_head.seq,
            ids: Vec::new(),
            warnings: Vec::new(),
        };
        *head = new_head;
        Ok(appended)
    }

    /// A store that keeps a seal has one from before its first commit, so
    /// that a seal file found missing later was removed (`check_seal`).
    fn seal_before_first_commit(&self, head: Head) -> Result<()> {
        if head.seq == 0 && self.storage.keeps_seal() && self.storage.read_seal()?.is_none() {
            self.storage.write_seal(&seal_bytes_of(head))?;
        }
        Ok(())
    }

    /// Validates the next part, which would begin at `first_seq`, and
    /// makes its records; `None` when the batch has no more parts.
    fn next_records(
        &self,
        head: Head,
        parts: &mut dyn BatchParts,
        validator: &mut Validator,
        first_seq: u64,
        recorded: i64,
    ) -> Option<Result<Vec<Record>>> {
        let mut events = match parts.next_part()? {
            Ok(events) => events,
            Err(e) => return Some(Err(e)),
        };
        let view = View {
            storage: self.storage.as_ref(),
            position: head.seq,
            cache: None,
            recent: Some(self.recent_blocks.as_ref()),
        };
        let checked = validator
            .check(&view, &mut events, first_seq, &|i| parts.grandfathered(i))
            .and_then(|warnings| crash_point("validated").map(|()| warnings));
        match checked {
            Ok(warnings) => {
                for (index, message) in warnings {
                    parts.warn(index, message);
                }
            }
            Err(e) => return Some(Err(e)),
        }
        Some(Ok(events
            .into_iter()
            .enumerate()
            .map(|(i, event)| Record {
                seq: first_seq + i as u64,
                recorded,
                event,
            })
            .collect()))
    }

    /// The transactional append (see the module's docs); returns the new
    /// head, committed.
    ///
    /// Two stages overlap: this thread reads, validates, encodes and builds
    /// part `k + 1` (on two threads of its own) while a writer thread puts
    /// part `k` into the transaction, which only it touches. A part's
    /// writes wait in a channel of one, and an import file's reader parses
    /// the part after `k + 1` meanwhile, so at most four parts are in
    /// memory at once.
    fn append_in_transaction(
        &self,
        head: Head,
        txn: Box<dyn Transaction + Send + '_>,
        parts: &mut dyn BatchParts,
        mut validator: Validator,
        recorded: i64,
    ) -> Result<Head> {
        let mut builder =
            IndexBuilder::new(head.seq + 1).reading_through(self.recent_blocks.clone());
        let storage = self.storage.as_ref();
        let (mut txn, last) = std::thread::scope(|scope| -> Result<_> {
            let (sender, receiver) = std::sync::mpsc::sync_channel::<(Batch, IndexWrites)>(1);
            // The batch's slot index entries wait for its last part and
            // go in together, in key order (index/spill.rs).
            let dir = storage.location().and_then(std::path::Path::parent);
            let mut claims = ClaimRuns::new(dir);
            let writer = scope.spawn(move || -> Result<_> {
                let mut txn = txn;
                let mut targeted = Vec::new();
                for (log_batch, mut writes) in receiver {
                    txn.write(Table::Log, log_batch)?;
                    crash_point("log-written")?;
                    claims.add(writes.take_claims())?;
                    crash_point("claims-sorted")?;
                    targeted.extend_from_slice(writes.earlier_targets());
                    writes.write_into(txn.as_mut())?;
                }
                claims.write_into(txn.as_mut(), storage, targeted, head.seq + 1)?;
                crash_point("projections-written")?;
                Ok(txn)
            });
            let prepared = (|| -> Result<Head> {
                let mut last = head;
                while let Some(records) =
                    self.next_records(head, parts, &mut validator, last.seq + 1, recorded)
                {
                    let records = records?;
                    let Some(end) = records.last().map(|r| r.seq) else {
                        continue;
                    };
                    // The projection writes need only the records and the
                    // store as it was before the batch, so on a large part
                    // they are built on a second thread while this one
                    // encodes the log.
                    let (logged, writes) = beside(
                        records.len() >= PARALLEL_PART,
                        || encode_records(last.hash, &records),
                        || builder.build(storage, &records),
                    );
                    let (log_batch, hash) = logged;
                    let writes = writes?;
                    if last.seq == head.seq {
                        self.seal_before_first_commit(head)?;
                    }
                    if sender.send((log_batch, writes)).is_err() {
                        // The writer stopped; its error says why.
                        break;
                    }
                    last = Head { seq: end, hash };
                }
                Ok(last)
            })();
            drop(sender);
            let written = writer
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            // A writer's error first: it is what stopped the preparing.
            let txn = written?;
            Ok((txn, prepared?))
        })?;
        if last.seq == head.seq {
            // Nothing to commit: the transaction is dropped, unwritten.
            return Ok(head);
        }
        txn.write(
            Table::Meta,
            vec![
                (HEAD_KEY.to_vec(), Some(head_bytes_of(last))),
                (APPLIED_KEY.to_vec(), Some(last.seq.to_be_bytes().to_vec())),
            ],
        )?;
        // The commit point.
        txn.commit()?;
        self.cache.update(builder.cache_updates());
        self.last_recorded.store(recorded, Ordering::Release);
        self.applied.store(last.seq, Ordering::Release);
        // A failure from here on must say that the batch is committed, or a
        // retry would import it twice.
        let sealed = crash_point("committed")
            .and_then(|()| self.storage.write_seal(&seal_bytes_of(last)))
            .and_then(|()| crash_point("sealed"))
            .and_then(|()| self.merge_runs());
        sealed.map_err(|cause| Error::Committed {
            first_seq: head.seq + 1,
            last_seq: last.seq,
            cause: cause.to_string(),
        })?;
        Ok(last)
    }

    /// The append of an engine without transactions (see the module's
    /// docs): the whole batch validated, then written step by step.
    fn append_in_steps(
        &self,
        head: Head,
        parts: &mut dyn BatchParts,
        mut validator: Validator,
        recorded: i64,
    ) -> Result<Head> {
        let mut records = Vec::new();
        while let Some(part) = self.next_records(
            head,
            parts,
            &mut validator,
            head.seq + 1 + records.len() as u64,
            recorded,
        ) {
            records.extend(part?);
        }
        let Some(last_seq) = records.last().map(|r| r.seq) else {
            return Ok(head);
        };
        self.seal_before_first_commit(head)?;
        // Building the projection writes needs only the records, so on a
        // large batch it runs on a second thread while this one encodes and
        // commits the log. Nothing it builds is written before the commit.
        let (logged, writes) = beside(
            records.len() >= PARALLEL_PART,
            || self.write_log(head, &records),
            || self.build(&records),
        );
        let new_head = logged?;
        // The commit point: once the head is written the batch is in the
        // log. A failure before it commits nothing (the records above the
        // old head are removed by the next writer); a failure after it must
        // say that the batch is committed, or a retry would import it twice.
        self.storage.write(
            Table::Meta,
            vec![(HEAD_KEY.to_vec(), Some(head_bytes_of(new_head)))],
        )?;
        self.last_recorded.store(recorded, Ordering::Release);
        self.finish(new_head, writes, last_seq)
            .map_err(|cause| Error::Committed {
                first_seq: head.seq + 1,
                last_seq,
                cause: cause.to_string(),
            })?;
        Ok(new_head)
    }

    /// Encodes and writes the records after `head` to the log and makes
    /// them durable; returns the head they would make. Nothing is
    /// committed yet.
    fn write_log(&self, head: Head, records: &[Record]) -> Result<Head> {
        let (writes, hash) = encode_records(head.hash, records);
        let last_seq = records.last().map_or(head.seq, |r| r.seq);
        self.storage.write(Table::Log, writes)?;
        crash_point("log-written")?;
        self.storage.flush()?;
        crash_point("log-flushed")?;
        Ok(Head {
            seq: last_seq,
            hash,
        })
    }

    /// What follows the commit point of a stepwise append: the head made
    /// durable, sealed outside the engine, and the projections brought to
    /// it. A failure here leaves a committed batch that the next writer or
    /// open finishes.
    fn finish(&self, head: Head, writes: Result<IndexWrites>, last_seq: u64) -> Result<()> {
        crash_point("head-written")?;
        self.storage.flush()?;
        crash_point("head-flushed")?;
        // A crash before the seal leaves the seal behind the head, which
        // open accepts; never ahead of it.
        self.storage.write_seal(&seal_bytes_of(head))?;
        crash_point("sealed")?;
        // The projections were at the old head (caught up above), so the
        // new records are exactly what they lack; no need to read them back.
        self.publish(writes?, last_seq)?;
        self.merge_runs()
    }
}

/// `here()` and `there()`, the second on a thread of its own when
/// `parallel` (a panic there is resumed here).
fn beside<A, B: Send>(
    parallel: bool,
    here: impl FnOnce() -> A,
    there: impl FnOnce() -> B + Send,
) -> (A, B) {
    if !parallel {
        return (here(), there());
    }
    std::thread::scope(|scope| {
        let other = scope.spawn(there);
        let mine = here();
        let theirs = other
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (mine, theirs)
    })
}

/// The log entries of `records` (blocks of consecutive records, see
/// `log/block.rs`), chained after `prev_hash`, and the hash of the last.
fn encode_records(prev_hash: log::Hash, records: &[Record]) -> (crate::storage::Batch, log::Hash) {
    let mut blocks = log::BlockWriter::new(prev_hash);
    for record in records {
        blocks.push(record);
    }
    blocks.finish()
}
