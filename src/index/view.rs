//! Reading the index as of one log position: [`View`].
//!
//! Every index entry carries the seq of the event that produced it, so a
//! reader at position `R` simply ignores entries with a larger seq: writers
//! never need to stop readers, and `as recorded at seq N` costs nothing
//! extra.

use super::blocks::{ordinal, BlockCache, Ordinal};
use super::cache::ReadCache;
use super::carried;
use super::keys::{
    automatic_seq, decode_claim_body, decode_claim_key, ordered_day, read_u64, revision_key,
    revision_name, revision_seq, series_key, split_series_key, CalendarDay, ClaimEntry, IdEntry,
    IdOp, SeriesEntry, TargetEntry, LEVELS, TARGETED,
};
use super::runs::{self, RunHeader};
use crate::error::{Error, Result};
use crate::event::{Definition, Event, Kind};
use crate::log::decode_value;
use crate::period::Period;
use crate::storage::{scan_prefix, Storage, Table};

/// Reads the index as it was at log position `position`.
#[derive(Clone, Copy)]
pub struct View<'a> {
    pub storage: &'a dyn Storage,
    pub position: u64,
    /// The store's cache of series entries and source revisions, if any.
    pub cache: Option<&'a ReadCache>,
    /// Log blocks read lately, for a writer that reads many earlier
    /// records (`log::RecentBlocks`).
    pub recent: Option<&'a crate::log::RecentBlocks>,
}

/// A claim as read from the slot index.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedClaim {
    pub seq: u64,
    pub valid: Period,
    pub entry: ClaimEntry,
    /// The targets table has rows for it (a retraction, or a denial from
    /// its own batch) at some position: only then does a reader need to
    /// look there ([`View::targets_of`]).
    pub targeted: bool,
    /// The denials by events at or before the view's position that its
    /// entries carry (`carried.rs`), in actor order.
    pub denials: Vec<(u64, TargetEntry)>,
}

/// Which attributes a selector names: `export_quota`, `mining_tax.*`, `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeMatch {
    Exact(String),
    /// `mining_tax.*`: the prefix includes the trailing dot.
    Prefix(String),
    Any,
}

impl AttributeMatch {
    pub fn matches(&self, attribute: &str) -> bool {
        match self {
            AttributeMatch::Exact(a) => a == attribute,
            AttributeMatch::Prefix(p) => attribute.starts_with(p.as_str()),
            AttributeMatch::Any => true,
        }
    }
}

impl<'a> View<'a> {
    /// A view of everything stored, without the readers' cache: what a
    /// writer reads while it builds index writes.
    pub(crate) fn everything(storage: &'a dyn Storage) -> View<'a> {
        View {
            storage,
            position: u64::MAX,
            cache: None,
            recent: None,
        }
    }

    /// The event an id names, if it was recorded by this position.
    pub fn id(&self, id: &str) -> Result<Option<IdEntry>> {
        if let Some(bytes) = self.storage.get(Table::Ids, id.as_bytes())? {
            let entry: IdEntry = decode_value(&bytes, "an id entry")?;
            return Ok((entry.seq <= self.position).then_some(entry));
        }
        // An automatic id: the record at its seq carries it, if it exists.
        let Some(seq) = automatic_seq(id).filter(|s| *s <= self.position) else {
            return Ok(None);
        };
        let Some(record) = crate::log::find_record_in(self.storage, self.recent, seq)? else {
            return Ok(None);
        };
        if record.event.event_id() != Some(id) {
            return Ok(None);
        }
        let op = match record.event {
            Event::Assert(_) => IdOp::Assert,
            Event::Deny(_) => IdOp::Deny,
            Event::Retract(_) => IdOp::Retract,
            Event::Define(_) | Event::Source(_) => return Ok(None),
        };
        Ok(Some(IdEntry { seq, op }))
    }

    /// The latest revision with seq <= position of a source or definition.
    fn revision(&self, table: Table, name: &str) -> Result<Option<(u64, Vec<u8>)>> {
        let mut prefix = name.as_bytes().to_vec();
        prefix.push(0);
        let end = revision_key(name, self.position.saturating_add(1));
        let last = if self.position == u64::MAX {
            scan_prefix(self.storage, table, &prefix).next_back()
        } else {
            self.storage.scan(table, &prefix, Some(&end)).next_back()
        };
        match last {
            Some(entry) => {
                let (key, value) = entry?;
                Ok(Some((revision_seq(&key)?, value)))
            }
            None => Ok(None),
        }
    }

    /// The published period of a source, as revised by `position`.
    pub fn source_published(&self, id: &str) -> Result<Option<Period>> {
        let Some(cache) = self.cache else {
            return match self.revision(Table::Sources, id)? {
                Some((_, bytes)) => Ok(Some(decode_value(&bytes, "a source entry")?)),
                None => Ok(None),
            };
        };
        cache.source_published(id, self.position, || self.every_source_revision(id))
    }

    /// Every revision of a source, at any position: `(seq, published)` in
    /// log order, read from the index alone.
    fn every_source_revision(&self, id: &str) -> Result<Vec<(u64, Period)>> {
        let mut prefix = id.as_bytes().to_vec();
        prefix.push(0);
        let mut revisions = Vec::new();
        for item in scan_prefix(self.storage, Table::Sources, &prefix) {
            let (key, value) = item?;
            revisions.push((
                revision_seq(&key)?,
                decode_value::<Period>(&value, "a source entry")?,
            ));
        }
        Ok(revisions)
    }

    /// Every revision of a source recorded by this position: `(seq,
    /// published)` in log order.
    pub fn source_revisions(&self, id: &str) -> Result<Vec<(u64, Period)>> {
        let mut revisions = self.every_source_revision(id)?;
        revisions.retain(|(seq, _)| *seq <= self.position);
        Ok(revisions)
    }

    /// The seq of the latest revision of a source, to fetch it from the log.
    pub fn source_seq(&self, id: &str) -> Result<Option<u64>> {
        Ok(self.revision(Table::Sources, id)?.map(|(seq, _)| seq))
    }

    /// The definition of an attribute, as revised by `position`.
    pub fn definition(&self, attribute: &str) -> Result<Option<Definition>> {
        match self.revision(Table::Attributes, attribute)? {
            Some((_, bytes)) => Ok(Some(decode_value(&bytes, "an attribute entry")?)),
            None => Ok(None),
        }
    }

    /// Every name in a revision table (sources or attributes), each once.
    pub fn names(&self, table: Table) -> Result<Vec<String>> {
        let mut names: Vec<String> = Vec::new();
        for entry in self.storage.scan(table, b"", None) {
            let (key, _) = entry?;
            let seq = revision_seq(&key)?;
            let name = revision_name(&key)?;
            if seq <= self.position && names.last() != Some(&name) {
                names.push(name);
            }
        }
        Ok(names)
    }

    /// What was done to `claim` by events at or before position, in actor
    /// order: the rows of the targets table, when its flag says there are
    /// some, and the denials its entries carry.
    pub fn targets_of(&self, claim: &IndexedClaim) -> Result<Vec<(u64, TargetEntry)>> {
        if !claim.targeted {
            return Ok(claim.denials.clone());
        }
        carried::union(self.table_targets(claim.seq)?, claim.denials.clone())
    }

    /// The seqs of the events at or before position that retract the
    /// event at `seq`. (Retractions are all in the targets table, so that
    /// a writer can ask by seq alone, as validation does.)
    pub fn retracted_by(&self, seq: u64) -> Result<Vec<u64>> {
        Ok(self
            .table_targets(seq)?
            .into_iter()
            .filter(|(_, t)| *t == TargetEntry::Retracted)
            .map(|(actor, _)| actor)
            .collect())
    }

    /// The rows of the targets table for the event at `target`, by events
    /// at or before position.
    fn table_targets(&self, target: u64) -> Result<Vec<(u64, TargetEntry)>> {
        let every = match self.cache {
            Some(cache) => cache.targets(target, || self.every_target(target))?,
            None => std::sync::Arc::new(self.every_target(target)?),
        };
        Ok(every
            .iter()
            .filter(|(actor, _)| *actor <= self.position)
            .cloned()
            .collect())
    }

    /// What was done to the event at `target` at any position, in actor
    /// order.
    fn every_target(&self, target: u64) -> Result<Vec<(u64, TargetEntry)>> {
        let mut out = Vec::new();
        for entry in scan_prefix(self.storage, Table::Targets, &target.to_be_bytes()) {
            let (key, value) = entry?;
            let actor = read_u64(key.get(8..).unwrap_or_default(), "a target key")?;
            out.push((actor, decode_value(&value, "a target entry")?));
        }
        Ok(out)
    }

    /// True when the event at `seq` is retracted at this position.
    pub fn is_retracted(&self, seq: u64) -> Result<bool> {
        Ok(self
            .table_targets(seq)?
            .iter()
            .any(|(_, t)| *t == TargetEntry::Retracted))
    }

    /// The kind of an attribute (fixed at its first definition).
    pub fn kind(&self, attribute: &str) -> Result<Option<Kind>> {
        Ok(self.definition(attribute)?.map(|d| d.kind))
    }

    /// The series matching a selector: `(subject, attribute)` pairs in order.
    pub fn series(
        &self,
        subject: Option<&str>,
        attribute: &AttributeMatch,
    ) -> Result<Vec<(String, String)>> {
        Ok(self
            .series_entries(subject, attribute)?
            .into_iter()
            .map(|(s, a, _)| (s, a))
            .collect())
    }

    /// The entry of the series `subject.attribute`, if the store has it.
    ///
    /// A series is filed twice, by subject and by attribute, and both
    /// entries are checked; a series the first lacks is looked up in the
    /// second, so that an entry a damaged key has hidden from the engine's
    /// lookup is reported rather than answered as "no such series".
    pub(crate) fn series_of(&self, subject: &str, attribute: &str) -> Result<Option<SeriesEntry>> {
        match self.series_entry(&series_key(subject, attribute))? {
            Some(entry) => Ok(Some(entry)),
            None => match self
                .storage
                .get(Table::SeriesByAttribute, &series_key(attribute, subject))?
            {
                Some(_) => Err(series_missing(subject, attribute)),
                None => Ok(None),
            },
        }
    }

    /// The entry of one series, from the cache when there is one.
    pub(crate) fn series_entry(&self, key: &[u8]) -> Result<Option<SeriesEntry>> {
        let load = || {
            self.storage
                .get(Table::Series, key)?
                .map(|v| SeriesEntry::decode(&v))
                .transpose()
        };
        match self.cache {
            Some(cache) => cache.series(key, load),
            None => load(),
        }
    }

    /// Every subject some claim is about, in byte order, each once.
    pub fn subject_names(&self) -> Result<Vec<String>> {
        let mut names: Vec<String> = self
            .series(None, &AttributeMatch::Any)?
            .into_iter()
            .map(|(subject, _)| subject)
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// True when some claim is about `subject` (one short scan).
    pub fn has_subject(&self, subject: &str) -> Result<bool> {
        let mut prefix = subject.as_bytes().to_vec();
        prefix.push(0);
        Ok(scan_prefix(self.storage, Table::Series, &prefix)
            .next()
            .transpose()?
            .is_some())
    }

    /// The series matching a selector with their entries, in order.
    pub fn series_entries(
        &self,
        subject: Option<&str>,
        attribute: &AttributeMatch,
    ) -> Result<Vec<(String, String, SeriesEntry)>> {
        let mut out = Vec::new();
        match (subject, attribute) {
            (Some(s), AttributeMatch::Exact(a)) => {
                if let Some(entry) = self.series_of(s, a)? {
                    out.push((s.to_string(), a.clone(), entry));
                }
            }
            (Some(s), _) => {
                let mut prefix = s.as_bytes().to_vec();
                prefix.push(0);
                for item in scan_prefix(self.storage, Table::Series, &prefix) {
                    let (key, value) = item?;
                    if let Some((s, a)) = split_series_key(&key) {
                        if attribute.matches(&a) {
                            out.push((s, a, SeriesEntry::decode(&value)?));
                        }
                    }
                }
            }
            (None, _) => {
                let prefix = match attribute {
                    AttributeMatch::Exact(a) => {
                        let mut p = a.as_bytes().to_vec();
                        p.push(0);
                        p
                    }
                    AttributeMatch::Prefix(p) => p.as_bytes().to_vec(),
                    AttributeMatch::Any => Vec::new(),
                };
                for item in scan_prefix(self.storage, Table::SeriesByAttribute, &prefix) {
                    if let Some((a, s)) = split_series_key(&item?.0) {
                        if attribute.matches(&a) {
                            match self.series_entry(&series_key(&s, &a))? {
                                Some(entry) => out.push((s, a, entry)),
                                None => return Err(series_missing(&s, &a)),
                            }
                        }
                    }
                }
                out.sort_by(|x, y| (&x.0, &x.1).cmp(&(&y.0, &y.1)));
            }
        }
        Ok(out)
    }

    /// The claims of a series whose valid period overlaps `period`, recorded
    /// at or before this position, in key order.
    pub fn claims(
        &self,
        subject: &str,
        attribute: &str,
        period: &Period,
    ) -> Result<Vec<IndexedClaim>> {
        match self.series_of(subject, attribute)? {
            Some(entry) => self.claims_of(entry, period),
            None => Ok(Vec::new()),
        }
    }

    /// The claims of the series `entry` overlapping `period`. Touches only
    /// the bins of the levels the series uses that `period` reaches, in
    /// each run of the slot index old enough for this position.
    pub fn claims_of(&self, entry: SeriesEntry, period: &Period) -> Result<Vec<IndexedClaim>> {
        let first = CalendarDay::new(period.start_key());
        let last = CalendarDay::new(period.end_key().saturating_sub(1));
        // Per level the series uses: the bins of it that the period
        // touches, from the first key to read to the key that ends the
        // reading. Within a level the key orders claims by start (a
        // claim's bin is its start's), so the reading stops at the first
        // claim that starts after the period ends, even inside the last bin.
        let ranges: Vec<(Vec<u8>, Vec<u8>)> = LEVELS
            .into_iter()
            .filter(|l| entry.mask & (1 << *l as u8) != 0)
            .map(|level| {
                let bound = |bin: u32| {
                    let mut key = entry.number.to_be_bytes().to_vec();
                    key.push(level as u8);
                    key.extend_from_slice(&bin.to_be_bytes());
                    key
                };
                let mut end = bound(level.bin(&last));
                end.extend_from_slice(&ordered_day(period.end_key()));
                (bound(level.bin(&first)), end)
            })
            .collect();
        let mut found: Vec<(Ordinal, IndexedClaim)> = Vec::new();
        // Runs read, for the last step (several runs: sort and dedup).
        let read = std::cell::Cell::new(0);
        // `blocks`: the readers' cache of blocks, with the count of merges
        // read before the run's header (`blocks.rs`); none for a writer.
        let visit = |run: &RunHeader,
                     blocks: Option<(&BlockCache, u64)>,
                     found: &mut Vec<(Ordinal, IndexedClaim)>|
         -> Result<()> {
            read.set(read.get() + 1);
            for (start, end) in &ranges {
                runs::visit(self.storage, blocks, run, start, end, |claim| {
                    let (valid, seq) = decode_claim_key(claim.key)?;
                    if seq <= self.position && valid.overlaps(period) {
                        let (denials, body) = carried::split(claim.flags, claim.body)?;
                        let mut denials = carried::decode(denials)?;
                        denials.retain(|(actor, _)| *actor <= self.position);
                        found.push((
                            ordinal(claim.key),
                            IndexedClaim {
                                seq,
                                valid,
                                entry: decode_claim_body(body)?,
                                targeted: claim.flags & TARGETED != 0,
                                denials,
                            },
                        ));
                    }
                    Ok(())
                })?;
            }
            Ok(())
        };
        // The sure way: every run, found one after another in the order of
        // their numbers, which a merge cannot escape (see `runs.rs`).
        let sure = |found: &mut Vec<(Ordinal, IndexedClaim)>| -> Result<()> {
            found.clear();
            let blocks = match self.cache {
                Some(cache) => Some((&cache.blocks, runs::merges_made(self.storage)?)),
                None => None,
            };
            let mut after = None;
            while let Some(run) = runs::next_run(self.storage, after)? {
                visit(&run, blocks, found)?;
                after = Some(run.number);
            }
            Ok(())
        };
        // The quick way first, with the readers' cache: the list of runs
        // kept for the storage's present state, skipping runs that hold
        // nothing as old as this position. Its answer, or its refusal,
        // stands only if the state did not change under it (then every
        // read, the list's included, saw one state).
        let mut settled = false;
        let generation = match self.cache {
            Some(_) => self.storage.generation()?,
            None => None,
        };
        if let (Some(cache), Some(before)) = (self.cache, generation) {
            let quick = cache
                .runs(before, || runs::runs_now(self.storage))
                .and_then(|runs| {
                    runs.headers
                        .iter()
                        .filter(|run| run.oldest <= self.position)
                        .try_for_each(|run| {
                            visit(run, Some((&cache.blocks, runs.merges)), &mut found)
                        })
                });
            if self.storage.generation()? == Some(before) {
                quick?;
                settled = true;
            }
        }
        // Otherwise the sure way, again while the state changes under it
        // and it is refused (a header read before a merge, its run's blocks
        // after); its answer is whole whatever lands.
        let mut attempts = 0;
        while !settled {
            let before = self.storage.generation()?;
            match sure(&mut found) {
                Ok(()) => settled = true,
                Err(e) => {
                    attempts += 1;
                    let changed = before.is_none() || self.storage.generation()? != before;
                    if !changed || attempts == 8 {
                        return Err(e);
                    }
                }
            }
        }
        if read.get() > 1 {
            // Runs are read one after another: back into key order, and
            // one claim per key (see `runs.rs`).
            found.sort_by_key(|(key, _)| *key);
            let mut disagreement = None;
            found.dedup_by(|later, kept| {
                let same = later.0 == kept.0;
                if same {
                    kept.1.targeted |= later.1.targeted;
                    let theirs = std::mem::take(&mut later.1.denials);
                    let ours = std::mem::take(&mut kept.1.denials);
                    match carried::union(ours, theirs) {
                        Ok(denials) => kept.1.denials = denials,
                        Err(e) => disagreement = Some(e),
                    }
                }
                same
            });
            if let Some(e) = disagreement {
                return Err(e);
            }
        }
        Ok(found.into_iter().map(|(_, claim)| claim).collect())
    }
}

/// The error for a series that one of its two index entries lists and the
/// other lacks.
fn series_missing(subject: &str, attribute: &str) -> Error {
    Error::Corrupt(format!(
        "the series index lacks {subject}.{attribute}, which its index by attribute lists \
         (an index entry is damaged; `annals verify` reports the store's state)"
    ))
}
