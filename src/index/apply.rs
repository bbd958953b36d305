//! Applying log records to the index: the writes that a run of records
//! makes, grouped by table, sorted once when they are written, built without
//! touching what readers see and written in one atomic batch per table.
//!
//! The writes are kept in push order and sorted once at the end rather than
//! kept in an ordered map: a batch of a million claims spent more time
//! inserting its keys into a `BTreeMap` than redb spends writing them.
//!
//! Applying a record only inserts keys (or ORs bits into a series mask and
//! the targeted flag of a claim), so applying it twice is harmless; that is
//! what lets `open` replay the tail of the log after a crash without knowing
//! how far a half-done apply got.

use super::keys::{
    automatic_seq, bin_of, claim_key, encode_claim, mark_targeted, revision_key, series_key,
    target_key, ClaimEntryRef, IdEntry, IdOp, SeriesEntry, TargetEntry,
};
use super::view::View;
use crate::error::Result;
use crate::event::{Event, Kind};
use crate::log::{encode_value, Record};
use crate::storage::{Entry, Storage, Table};
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

/// The writes that applying some records makes, grouped by table.
#[derive(Default)]
pub struct IndexWrites {
    /// Per table in the order put while building; sorted, and deduplicated
    /// keeping the last put of a key, once built.
    tables: BTreeMap<Table, Vec<Entry>>,
    /// The seq of each claim put by `add` and where its entry is in
    /// `tables[Claims]`, in seq order, so that a denial later in the same
    /// records finds its target's pending entry by bisection.
    claim_seqs: Vec<(u64, usize)>,
    /// Series entries as they will be after these writes.
    series: FxHashMap<Vec<u8>, SeriesEntry>,
    /// Ids chosen by writers in these records, for targets later among them.
    ids: FxHashMap<String, IdEntry>,
    /// The seq and op of records here with automatic ids, in seq order.
    automatic: Vec<(u64, IdOp)>,
    /// Kinds of attributes defined in these records.
    kinds: FxHashMap<String, Kind>,
    /// Events these records deny or retract.
    targeted: Vec<IdEntry>,
}

impl IndexWrites {
    fn put(&mut self, table: Table, key: Vec<u8>, value: Vec<u8>) {
        self.tables.entry(table).or_default().push((key, value));
    }

    /// The seq of an event id, from these writes or the stored projection.
    fn resolve_id(&self, storage: &dyn Storage, id: &str) -> Result<Option<IdEntry>> {
        if let Some(entry) = self.ids.get(id) {
            return Ok(Some(*entry));
        }
        if let Some(seq) = automatic_seq(id) {
            if let Ok(i) = self.automatic.binary_search_by_key(&seq, |(s, _)| *s) {
                return Ok(Some(IdEntry {
                    seq,
                    op: self.automatic[i].1,
                }));
            }
        }
        View::everything(storage).id(id)
    }

    /// The projection entries of consecutive records, sorted by table and
    /// key, ready to be written. (Sorting here rather than when writing lets
    /// an append sort on the thread that builds them while the log commits.)
    pub fn build(storage: &dyn Storage, records: &[Record]) -> Result<IndexWrites> {
        let mut writes = IndexWrites::default();
        for record in records {
            writes.add(storage, record)?;
        }
        writes.flag_targeted(storage, records)?;
        for entries in writes.tables.values_mut() {
            sort_keeping_last(entries);
        }
        writes.claim_seqs = Vec::new();
        Ok(writes)
    }

    /// Sets the flag of every claim these records deny or retract.
    fn flag_targeted(&mut self, storage: &dyn Storage, records: &[Record]) -> Result<()> {
        let first = records.first().map_or(0, |r| r.seq);
        for target in std::mem::take(&mut self.targeted) {
            if target.op != IdOp::Assert {
                continue;
            }
            let fetched;
            let record = match target
                .seq
                .checked_sub(first)
                .and_then(|i| records.get(i as usize))
            {
                Some(r) => r,
                None => {
                    fetched = crate::log::read_record(storage, target.seq)?;
                    &fetched
                }
            };
            let Event::Assert(c) = &record.event else {
                continue;
            };
            let series = series_key(&c.subject, &c.attribute);
            let number = match self.series.get(&series) {
                Some(e) => e.number,
                None => match storage.get(Table::Series, &series)? {
                    Some(v) => SeriesEntry::decode(&v)?.number,
                    None => continue,
                },
            };
            // A claim of these same records is flagged where it waits to be
            // written; one already stored is read and put again, flagged.
            if target.seq >= first {
                if let Ok(i) = self
                    .claim_seqs
                    .binary_search_by_key(&target.seq, |(seq, _)| *seq)
                {
                    let i = self.claim_seqs[i].1;
                    if let Some((_, value)) = self
                        .tables
                        .get_mut(&Table::Claims)
                        .and_then(|claims| claims.get_mut(i))
                    {
                        mark_targeted(value);
                    }
                }
                continue;
            }
            let key = claim_key(number, &c.valid, target.seq);
            if let Some(mut value) = storage.get(Table::Claims, &key)?.filter(|v| !v.is_empty()) {
                if mark_targeted(&mut value) {
                    self.put(Table::Claims, key, value);
                }
            }
        }
        Ok(())
    }

    /// Adds the projection entries of one record.
    fn add(&mut self, storage: &dyn Storage, record: &Record) -> Result<()> {
        let seq = record.seq;
        match &record.event {
            Event::Define(d) => {
                self.kinds.insert(d.attribute.clone(), d.kind);
                self.put(
                    Table::Attributes,
                    revision_key(&d.attribute, seq),
                    encode_value(d),
                );
            }
            Event::Source(s) => {
                self.put(
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
                    self.put(Table::Series, key.clone(), entry.encode());
                    self.put(
                        Table::SeriesByAttribute,
                        series_key(&c.attribute, &c.subject),
                        Vec::new(),
                    );
                }
                self.series.insert(key, entry);
                let automatic = c.id.as_deref().and_then(automatic_seq) == Some(seq);
                let claim = ClaimEntryRef {
                    known: &c.known,
                    source: &c.source,
                    value: &c.value,
                    modality: &c.modality,
                    id: if automatic { None } else { c.id.as_deref() },
                    quote: &c.quote,
                    note: &c.note,
                    valid_form: &c.valid_form,
                    known_form: &c.known_form,
                };
                // No flag yet: a later denial sets it, and a replay that
                // rewrites this entry replays that denial after it too.
                let key = claim_key(entry.number, &c.valid, seq);
                let value = encode_claim(&claim);
                let claims = self.tables.entry(Table::Claims).or_default();
                self.claim_seqs.push((seq, claims.len()));
                claims.push((key, value));
                self.put_id(record, IdOp::Assert);
            }
            Event::Deny(d) => {
                if let Some(target) = self.resolve_id(storage, &d.target)? {
                    self.targeted.push(target);
                    let entry = TargetEntry::Denied {
                        known: d.known,
                        source: d.source.clone(),
                    };
                    self.put(
                        Table::Targets,
                        target_key(target.seq, seq),
                        encode_value(&entry),
                    );
                }
                self.put_id(record, IdOp::Deny);
            }
            Event::Retract(r) => {
                if let Some(target) = self.resolve_id(storage, &r.target)? {
                    self.targeted.push(target);
                    self.put(
                        Table::Targets,
                        target_key(target.seq, seq),
                        encode_value(&TargetEntry::Retracted),
                    );
                }
                self.put_id(record, IdOp::Retract);
            }
        }
        Ok(())
    }

    /// Remembers an event's id. Only ids a writer chose are stored: an
    /// automatic id `e<seq>` names its own seq, so `View::id` derives it.
    fn put_id(&mut self, record: &Record, op: IdOp) {
        if let Some(id) = record.event.event_id() {
            let entry = IdEntry {
                seq: record.seq,
                op,
            };
            if automatic_seq(id) == Some(record.seq) {
                self.automatic.push((record.seq, op));
            } else {
                self.ids.insert(id.to_string(), entry);
                self.put(Table::Ids, id.as_bytes().to_vec(), encode_value(&entry));
            }
        }
    }

    /// What these writes change in a [`super::ReadCache`]: series entries, and the
    /// sources that got a revision.
    pub fn cache_updates(&self) -> (Vec<(Vec<u8>, SeriesEntry)>, Vec<String>) {
        let series = self.series.iter().map(|(k, v)| (k.clone(), *v)).collect();
        let sources = self
            .tables
            .get(&Table::Sources)
            .map(|t| {
                t.iter()
                    .filter_map(|(k, _)| {
                        k.len()
                            .checked_sub(9)
                            .map(|n| String::from_utf8_lossy(&k[..n]).into_owned())
                    })
                    .collect()
            })
            .unwrap_or_default();
        (series, sources)
    }

    /// Writes everything, one atomic batch per table.
    pub fn write(self, storage: &dyn Storage) -> Result<()> {
        let batches = self
            .tables
            .into_iter()
            .map(|(table, entries)| {
                (
                    table,
                    entries.into_iter().map(|(k, v)| (k, Some(v))).collect(),
                )
            })
            .collect();
        storage.write_tables(batches)
    }
}

/// Sorts entries by key and keeps, of equal keys, the last one put.
///
/// Claim keys all have one length, so they are sorted as fixed-size arrays
/// beside their position (a third of the time of comparing `Vec`s, which
/// was most of building a large batch's writes); other tables' keys are
/// few or of many lengths and take the general way.
fn sort_keeping_last(entries: &mut Vec<Entry>) {
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
            Some((last, last_value)) if *last == key => *last_value = value,
            _ => sorted.push((key, value)),
        }
    }
    *entries = sorted;
}
