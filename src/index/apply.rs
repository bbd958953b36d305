//! Applying log records to the index: the writes that a run of records
//! makes, grouped by table, sorted once, built without touching what
//! readers see.
//!
//! Applying a record only inserts keys (or ORs bits into a series mask and
//! the targeted flag of a claim, or adds a denial to those a claim entry
//! carries, each once), so applying it twice is harmless; that is what
//! lets `open` replay the tail of the log after a crash without knowing
//! how far a half-done apply got.
//!
//! A batch may be applied in parts ([`IndexBuilder`]): an import streamed
//! through one transaction builds each part's writes from what the store
//! had before the batch plus what the builder remembers of the batch's
//! earlier parts (series, kinds, ids), which stays small however long the
//! batch is. A claim of an earlier part that a later part denies is flagged
//! as the batch's claims are written, after its last part
//! ([`super::ClaimRuns`]).
//!
//! The writes are kept in push order and sorted once at the end rather than
//! kept in an ordered map: a batch of a million claims spent more time
//! inserting its keys into a `BTreeMap` than redb spends writing them.

use super::carried;
use super::keys::{
    automatic_seq, bin_of, claim_key, encode_claim, mark_targeted, revision_key, series_key,
    target_key, ClaimEntryRef, IdEntry, IdOp, SeriesEntry, TargetEntry,
};
use super::runs;
use super::view::View;
use crate::error::Result;
use crate::event::{Event, Kind};
use crate::log::{encode_value, Record};
use crate::storage::{Batch, Entry, Storage, Table, Transaction};
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

/// What applying one batch remembers from part to part.
#[derive(Default)]
pub struct IndexBuilder {
    /// The batch's first seq: records from it on are not in the store yet.
    first_seq: u64,
    /// Series entries as they will be after the batch so far.
    series: FxHashMap<Vec<u8>, SeriesEntry>,
    /// Ids chosen by writers in the batch so far, for targets later in it.
    ids: FxHashMap<String, IdEntry>,
    /// The op of each record of the batch with an automatic id, by seq -
    /// `first_seq` (one byte each, so a long batch stays cheap).
    automatic: Vec<Option<IdOp>>,
    /// Kinds of attributes defined in the batch so far.
    kinds: FxHashMap<String, Kind>,
    /// Sources that got a revision in the batch so far.
    sources: Vec<String>,
    /// Events that a denial or retraction of the batch so far targets.
    targeted: Vec<u64>,
    /// Log blocks read lately, to read the targets of denials through.
    recent: Option<std::sync::Arc<crate::log::RecentBlocks>>,
}

/// The writes of some records, sorted by table and key.
#[derive(Default)]
pub struct IndexWrites {
    /// Per table in the order put while building; sorted once built, and
    /// deduplicated keeping the last put of a key (of a claim, one entry
    /// made of all its copies: `carried::combine`).
    tables: BTreeMap<Table, Vec<Entry>>,
    /// The seq of each claim put by `add` and where its entry is in
    /// `tables[Claims]`, in seq order, so that a denial later in the same
    /// records finds its target's pending entry by bisection.
    claim_seqs: Vec<(u64, usize)>,
    /// What these records deny or retract, as `add` resolved it: the
    /// target, the seq of the event that targets it, and what it does.
    targeted: Vec<(IdEntry, u64, TargetEntry)>,
    /// Claims of earlier parts of the batch that these records deny or
    /// retract: their entries are not in the store yet, and are flagged as
    /// the batch's entries are written ([`super::ClaimRuns`]).
    earlier_targets: Vec<u64>,
    /// The run these records' claims form: the seq of the first record.
    run: u64,
    /// For writes of a whole batch: what they change in the readers' cache.
    cache: CacheUpdates,
}

/// What some writes change that a [`super::ReadCache`] keeps.
#[derive(Default)]
pub struct CacheUpdates {
    /// Series entries as they are after the writes.
    pub series: Vec<(Vec<u8>, SeriesEntry)>,
    /// Sources that got a revision.
    pub sources: Vec<String>,
    /// Events that got a denial or retraction.
    pub targeted: Vec<u64>,
}

impl IndexWrites {
    /// The writes of consecutive records that form a whole batch (or a
    /// chunk of a replay, whose earlier chunks are already written).
    pub fn build(storage: &dyn Storage, records: &[Record]) -> Result<IndexWrites> {
        let first = records.first().map_or(0, |r| r.seq);
        let mut builder = IndexBuilder::new(first);
        let mut writes = builder.build(storage, records)?;
        writes.cache = builder.cache_updates();
        Ok(writes)
    }

    /// What writes of a whole batch ([`IndexWrites::build`]) change in a
    /// [`super::ReadCache`].
    pub fn cache_updates(&mut self) -> CacheUpdates {
        std::mem::take(&mut self.cache)
    }

    fn put(&mut self, table: Table, key: Vec<u8>, value: Vec<u8>) {
        self.tables.entry(table).or_default().push((key, value));
    }

    /// Writes everything, one atomic batch per table.
    pub fn write(self, storage: &dyn Storage) -> Result<()> {
        storage.write_tables(self.into_batches()?)
    }

    /// Writes everything into `txn`.
    pub fn write_into(self, txn: &mut dyn Transaction) -> Result<()> {
        for (table, batch) in self.into_batches()? {
            txn.write(table, batch)?;
        }
        Ok(())
    }

    /// The batches to write: the claims as a run of blocks.
    fn into_batches(mut self) -> Result<Vec<(Table, Batch)>> {
        let claims = self.tables.remove(&Table::Claims).unwrap_or_default();
        let claim_batch = runs::run_of(self.run, claims)?;
        let mut batches: Vec<(Table, Batch)> = self
            .tables
            .into_iter()
            .map(|(table, entries)| {
                (
                    table,
                    entries.into_iter().map(|(k, v)| (k, Some(v))).collect(),
                )
            })
            .collect();
        if !claim_batch.is_empty() {
            batches.push((Table::Claims, claim_batch));
        }
        Ok(batches)
    }

    /// Claims of earlier parts of the batch that these records target.
    pub fn earlier_targets(&self) -> &[u64] {
        &self.earlier_targets
    }

    /// Takes the `claims` entries out, sorted, to be written with the rest
    /// of the batch's ([`super::ClaimRuns`]).
    pub fn take_claims(&mut self) -> Vec<Entry> {
        self.claim_seqs.clear();
        self.tables.remove(&Table::Claims).unwrap_or_default()
    }
}

impl IndexBuilder {
    /// A builder for the batch whose first record is `first_seq`.
    pub fn new(first_seq: u64) -> IndexBuilder {
        IndexBuilder {
            first_seq,
            ..IndexBuilder::default()
        }
    }

    /// The builder, reading the records its denials target through
    /// `recent` (each is read twice: to resolve its id, to find its claim).
    pub fn reading_through(mut self, recent: std::sync::Arc<crate::log::RecentBlocks>) -> Self {
        self.recent = Some(recent);
        self
    }

    /// A view of the store as the batch found it, for resolving ids.
    fn view<'a>(&'a self, storage: &'a dyn Storage) -> View<'a> {
        View {
            recent: self.recent.as_deref(),
            ..View::everything(storage)
        }
    }

    /// The projection entries of the batch's next records (consecutive,
    /// after every record built before), sorted by table and key, ready to
    /// be written. Sorting here rather than when writing lets an append
    /// sort on the thread that builds them while the log is written.
    pub fn build(&mut self, storage: &dyn Storage, records: &[Record]) -> Result<IndexWrites> {
        let mut writes = IndexWrites {
            run: records.first().map_or(0, |r| r.seq),
            ..IndexWrites::default()
        };
        for record in records {
            self.add(&mut writes, storage, record)?;
        }
        self.flag_targeted(&mut writes, storage, records)?;
        for (table, entries) in writes.tables.iter_mut() {
            sort_keeping_last(entries, *table == Table::Claims)?;
        }
        writes.claim_seqs = Vec::new();
        Ok(writes)
    }

    /// The seq of an event id, from the batch so far or the store.
    fn resolve_id(&self, storage: &dyn Storage, id: &str) -> Result<Option<IdEntry>> {
        if let Some(entry) = self.ids.get(id) {
            return Ok(Some(*entry));
        }
        if let Some(seq) = automatic_seq(id) {
            let op = seq
                .checked_sub(self.first_seq)
                .and_then(|i| self.automatic.get(i as usize));
            if let Some(Some(op)) = op {
                return Ok(Some(IdEntry { seq, op: *op }));
            }
        }
        self.view(storage).id(id)
    }

    /// Marks every claim these records deny or retract. A claim of the
    /// batch gets the flag that sends readers to the `targets` table, which
    /// `add` wrote: in place for a claim of these records; for one of an
    /// earlier part of the batch by naming it in
    /// [`IndexWrites::earlier_targets`]. A claim of an earlier batch gets a
    /// copy of its entry among these records' claims, flagged for a
    /// retraction, carrying a denial (`carried.rs`), so that the earlier
    /// run is left as it is (readers and merges keep one entry per key
    /// with the flags and denials of all its copies, `runs.rs`).
    fn flag_targeted(
        &self,
        writes: &mut IndexWrites,
        storage: &dyn Storage,
        records: &[Record],
    ) -> Result<()> {
        let first = records.first().map_or(0, |r| r.seq);
        let targets = std::mem::take(&mut writes.targeted);
        for (seq, actor, what) in targets
            .into_iter()
            .filter(|(t, _, _)| t.op == IdOp::Assert)
            .map(|(t, actor, what)| (t.seq, actor, what))
        {
            if seq >= first {
                if let Ok(i) = writes.claim_seqs.binary_search_by_key(&seq, |(s, _)| *s) {
                    let i = writes.claim_seqs[i].1;
                    if let Some((_, value)) = writes
                        .tables
                        .get_mut(&Table::Claims)
                        .and_then(|claims| claims.get_mut(i))
                    {
                        mark_targeted(value);
                    }
                }
            } else if seq >= self.first_seq {
                writes.earlier_targets.push(seq);
            } else {
                match stored_claim_entry(seq, storage, self.recent.as_deref())? {
                    Some((key, mut value)) => {
                        match what {
                            TargetEntry::Retracted => {
                                mark_targeted(&mut value);
                            }
                            denial @ TargetEntry::Denied { .. } => {
                                carried::carry(&mut value, actor, denial)?;
                            }
                        }
                        writes.put(Table::Claims, key, value);
                    }
                    // No entry to carry it (a record no series indexes):
                    // the table keeps the denial, as it keeps retractions.
                    None if matches!(what, TargetEntry::Denied { .. }) => {
                        writes.put(Table::Targets, target_key(seq, actor), encode_value(&what));
                    }
                    None => {}
                }
            }
        }
        Ok(())
    }

    /// Adds the projection entries of one record.
    fn add(
        &mut self,
        writes: &mut IndexWrites,
        storage: &dyn Storage,
        record: &Record,
    ) -> Result<()> {
        let seq = record.seq;
        match &record.event {
            Event::Define(d) => {
                self.kinds.insert(d.attribute.clone(), d.kind);
                writes.put(
                    Table::Attributes,
                    revision_key(&d.attribute, seq),
                    encode_value(d),
                );
            }
            Event::Source(s) => {
                self.sources.push(s.id.clone());
                writes.put(
                    Table::Sources,
                    revision_key(&s.id, seq),
                    encode_value(&s.published),
                );
            }
            Event::Assert(c) => {
                let key = series_key(&c.subject, &c.attribute);
                let (level, _) = bin_of(&c.valid);
                let known = match self.series.get(&key) {
                    Some(entry) => Some(*entry),
                    None => storage
                        .get(Table::Series, &key)?
                        .map(|v| SeriesEntry::decode(&v))
                        .transpose()?,
                };
                let mut entry = match known {
                    Some(entry) => entry,
                    None => {
                        let kind = match self.kinds.get(&c.attribute) {
                            Some(kind) => Some(*kind),
                            None => View::everything(storage).kind(&c.attribute)?,
                        };
                        let kind = kind.ok_or_else(|| {
                            crate::Error::Corrupt(format!(
                                "record {seq} claims about '{}', which is not defined",
                                c.attribute
                            ))
                        })?;
                        SeriesEntry {
                            number: seq,
                            mask: 0,
                            kind,
                        }
                    }
                };
                if known.is_none() || entry.mask & (1 << level) == 0 {
                    entry.mask |= 1 << level;
                    writes.put(Table::Series, key.clone(), entry.encode());
                    writes.put(
                        Table::SeriesByAttribute,
                        series_key(&c.attribute, &c.subject),
                        Vec::new(),
                    );
                }
                self.series.insert(key, entry);
                // No flag yet: a later denial or retraction in the batch
                // sets it, one in a later batch writes a copy instead, and a
                // replay that rewrites this entry replays those after it.
                let key = claim_key(entry.number, &c.valid, seq);
                let value = encode_claim(&claim_entry_of(c, seq));
                let claims = writes.tables.entry(Table::Claims).or_default();
                writes.claim_seqs.push((seq, claims.len()));
                claims.push((key, value));
                self.put_id(writes, record, IdOp::Assert);
            }
            Event::Deny(d) => {
                if let Some(target) = self.resolve_id(storage, &d.target)? {
                    self.targeted.push(target.seq);
                    let entry = TargetEntry::Denied {
                        known: d.known,
                        source: d.source.clone(),
                    };
                    // A denial of a claim of this batch goes to the table,
                    // after every key stored before the batch; one of an
                    // earlier batch's claim rides in a copy of its entry
                    // (`flag_targeted`).
                    if target.seq >= self.first_seq || target.op != IdOp::Assert {
                        writes.put(
                            Table::Targets,
                            target_key(target.seq, seq),
                            encode_value(&entry),
                        );
                    }
                    writes.targeted.push((target, seq, entry));
                }
                self.put_id(writes, record, IdOp::Deny);
            }
            Event::Retract(r) => {
                if let Some(target) = self.resolve_id(storage, &r.target)? {
                    self.targeted.push(target.seq);
                    writes.put(
                        Table::Targets,
                        target_key(target.seq, seq),
                        encode_value(&TargetEntry::Retracted),
                    );
                    writes.targeted.push((target, seq, TargetEntry::Retracted));
                }
                self.put_id(writes, record, IdOp::Retract);
            }
        }
        Ok(())
    }

    /// Remembers an event's id. Only ids a writer chose are stored: an
    /// automatic id `e<seq>` names its own seq, so `View::id` derives it.
    fn put_id(&mut self, writes: &mut IndexWrites, record: &Record, op: IdOp) {
        if let Some(id) = record.event.event_id() {
            let entry = IdEntry {
                seq: record.seq,
                op,
            };
            if automatic_seq(id) == Some(record.seq) {
                if let Some(i) = record.seq.checked_sub(self.first_seq) {
                    let i = i as usize;
                    if self.automatic.len() <= i {
                        self.automatic.resize(i + 1, None);
                    }
                    self.automatic[i] = Some(op);
                }
            } else {
                self.ids.insert(id.to_string(), entry);
                writes.put(Table::Ids, id.as_bytes().to_vec(), encode_value(&entry));
            }
        }
    }

    /// What the batch so far changes in a [`super::ReadCache`].
    pub fn cache_updates(&self) -> CacheUpdates {
        CacheUpdates {
            series: self.series.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            sources: self.sources.clone(),
            targeted: self.targeted.clone(),
        }
    }
}

/// The slot index entry (key, and value without flags) of the claim
/// record `seq` made: `None` when the record is no claim or its series is
/// not indexed. `storage` is the store as the batch found it: `seq` is of
/// an earlier batch. The value is encoded from the record as when it was
/// first indexed ([`claim_entry_of`]), so it is the same bytes.
fn stored_claim_entry(
    seq: u64,
    storage: &dyn Storage,
    recent: Option<&crate::log::RecentBlocks>,
) -> Result<Option<Entry>> {
    let record = crate::log::read_record_in(storage, recent, seq)?;
    let Event::Assert(c) = record.event else {
        return Ok(None);
    };
    let Some(series) = storage.get(Table::Series, &series_key(&c.subject, &c.attribute))? else {
        return Ok(None);
    };
    let key = claim_key(SeriesEntry::decode(&series)?.number, &c.valid, seq);
    Ok(Some((key, encode_claim(&claim_entry_of(&c, seq)))))
}

/// What the slot index keeps of claim `c`, record `seq`: everything but
/// its series and valid period (in the key), and its id when automatic.
fn claim_entry_of(c: &crate::event::Claim, seq: u64) -> ClaimEntryRef<'_> {
    let automatic = c.id.as_deref().and_then(automatic_seq) == Some(seq);
    ClaimEntryRef {
        known: &c.known,
        source: &c.source,
        value: &c.value,
        modality: &c.modality,
        id: if automatic { None } else { c.id.as_deref() },
        quote: &c.quote,
        note: &c.note,
        valid_form: &c.valid_form,
        known_form: &c.known_form,
    }
}

/// Sorts entries by key and keeps, of equal keys, the last one put; or,
/// with `combining` (the claims), one entry made of all of them
/// ([`carried::combine`]): a batch that denies an earlier claim twice puts
/// two copies of its entry.
///
/// Claim keys all have one length, so they are sorted as fixed-size arrays
/// beside their position (a third of the time of comparing `Vec`s, which
/// was most of building a large batch's writes); other tables' keys are
/// few or of many lengths and take the general way.
fn sort_keeping_last(entries: &mut Vec<Entry>, combining: bool) -> Result<()> {
    const FIXED: usize = 32;
    let length = entries.first().map_or(0, |(key, _)| key.len());
    let order: Vec<usize> = if length <= FIXED && entries.iter().all(|(k, _)| k.len() == length) {
        let mut keys: Vec<([u8; FIXED], u32)> = entries
            .iter()
            .enumerate()
            .map(|(i, (key, _))| {
                let mut fixed = [0u8; FIXED];
                fixed[..length].copy_from_slice(key);
                (fixed, i as u32)
            })
            .collect();
        keys.sort_unstable();
        keys.into_iter().map(|(_, i)| i as usize).collect()
    } else {
        let mut order: Vec<usize> = (0..entries.len()).collect();
        order.sort_by(|a, b| entries[*a].0.cmp(&entries[*b].0));
        order
    };
    // Equal keys are now together, in the order put.
    let mut sorted: Vec<Entry> = Vec::with_capacity(entries.len());
    for i in order {
        let (key, value) = std::mem::take(&mut entries[i]);
        match sorted.last_mut() {
            Some((last, last_value)) if *last == key => {
                if combining {
                    carried::combine(last_value, &value)?;
                } else {
                    *last_value = value;
                }
            }
            _ => sorted.push((key, value)),
        }
    }
    *entries = sorted;
    Ok(())
}
