//! The readers' cache: series entries, source revisions and what denies
//! or retracts each event, read by nearly every question and small enough
//! to keep, with the one rule that keeps it consistent with concurrent
//! writers. (The blocks of the slot index are kept too, in
//! [`BlockCache`], which needs no such rule.)
//!
//! The rule: a writer calls [`ReadCache::update`] after its index writes
//! land and before readers see the new position, and bumps `epoch`; a
//! reader that loaded an entry from storage keeps it only if no writer ran
//! meanwhile ([`ReadCache::series`], [`ReadCache::source_published`]), so a
//! slow reader never puts back an entry older than the writer's. A writer
//! in another process cannot call `update`: a reader that finds the
//! position advanced by someone else forgets everything ([`ReadCache::clear`],
//! which bumps `epoch` too). Both sides of the rule live in this file and
//! nowhere else.

use super::apply::CacheUpdates;
use super::blocks::BlockCache;
use super::keys::{SeriesEntry, TargetEntry};
use super::runs::Runs;
use crate::error::Result;
use crate::period::Period;
use rustc_hash::FxHashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// Entries kept at most; beyond, reads go to storage.
const CACHE_ENTRIES: usize = 1_000_000;

/// What denies or retracts one event: (actor, what), in actor order.
type Targets = Arc<Vec<(u64, TargetEntry)>>;

/// Events whose targets are kept at most. Most are asked about with
/// nothing targeting them (a denial, whether it is retracted), so they
/// share one empty list: about 20 bytes an entry, 5 MiB in all, which a
/// query's bound of memory (SPEC §10) leaves room for.
const TARGET_ENTRIES: usize = 1 << 15;

/// What the readers' cache of blocks (`blocks.rs`) holds at most in a
/// store opened without [`crate::StoreOptions`] (in memory, temporary).
const DEFAULT_BLOCK_BYTES: usize = 64 << 20;

/// The revisions of a source: (seq, published), in seq order. Most
/// sources have one, kept inline, so that a lookup reads one allocation
/// fewer: a reader looks up the source of each claim it counts, and
/// those lookups, each a miss of the CPU's caches or two, were a tenth of
/// a question about a slot of twenty claims.
enum Revisions {
    One(u64, Period),
    Many(Vec<(u64, Period)>),
}

impl Revisions {
    fn of(list: Vec<(u64, Period)>) -> Revisions {
        match list.as_slice() {
            [(seq, published)] => Revisions::One(*seq, *published),
            _ => Revisions::Many(list),
        }
    }

    /// The published period of the latest revision at or before `position`.
    fn at(&self, position: u64) -> Option<Period> {
        match self {
            Revisions::One(seq, published) => (*seq <= position).then_some(*published),
            Revisions::Many(list) => list
                .iter()
                .rev()
                .find(|(seq, _)| *seq <= position)
                .map(|(_, p)| *p),
        }
    }
}

/// What readers keep in memory between questions.
pub struct ReadCache {
    epoch: AtomicU64,
    series: RwLock<FxHashMap<Vec<u8>, SeriesEntry>>,
    /// Every revision of a source: (seq, published), in seq order.
    sources: RwLock<FxHashMap<String, Revisions>>,
    /// The rows of the `targets` table of an event, at any position:
    /// (actor, what), in actor order; read for every claim whose flag
    /// sends readers there. (Denials a claim entry carries are not here:
    /// readers have them with the entry, `carried.rs`.)
    targets: RwLock<FxHashMap<u64, Targets>>,
    /// The list every event that nothing targets shares.
    untargeted: Targets,
    /// The runs of the slot index (`runs.rs`) and the storage generation
    /// they were read in.
    runs: RwLock<Option<(u64, Arc<Runs>)>>,
    /// Blocks of the slot index's runs, which need no rule for writers.
    pub(super) blocks: BlockCache,
}

impl Default for ReadCache {
    fn default() -> ReadCache {
        ReadCache::new(DEFAULT_BLOCK_BYTES)
    }
}

impl ReadCache {
    /// A cache whose blocks of the slot index take at most `block_bytes`.
    pub fn new(block_bytes: usize) -> ReadCache {
        ReadCache {
            epoch: AtomicU64::default(),
            series: RwLock::default(),
            sources: RwLock::default(),
            targets: RwLock::default(),
            untargeted: Arc::default(),
            runs: RwLock::default(),
            blocks: BlockCache::new(block_bytes),
        }
    }
}

impl ReadCache {
    /// Records what index writes change, after they are written.
    pub fn update(&self, updates: CacheUpdates) {
        let CacheUpdates {
            series,
            sources,
            targeted,
        } = updates;
        if series.is_empty() && sources.is_empty() && targeted.is_empty() {
            return;
        }
        let mut cached_series = self.series.write().unwrap_or_else(|e| e.into_inner());
        let mut cached_sources = self.sources.write().unwrap_or_else(|e| e.into_inner());
        let mut cached_targets = self.targets.write().unwrap_or_else(|e| e.into_inner());
        self.epoch.fetch_add(1, Ordering::AcqRel);
        for (key, entry) in series {
            if cached_series.contains_key(&key) || cached_series.len() < CACHE_ENTRIES {
                cached_series.insert(key, entry);
            }
        }
        for source in sources {
            cached_sources.remove(&source);
        }
        for seq in targeted {
            cached_targets.remove(&seq);
        }
    }

    /// Forgets everything: another process wrote, and what it changed is
    /// not known here. Bumps the epoch, so no load begun before is kept.
    pub fn clear(&self) {
        let mut cached_series = self.series.write().unwrap_or_else(|e| e.into_inner());
        let mut cached_sources = self.sources.write().unwrap_or_else(|e| e.into_inner());
        let mut cached_targets = self.targets.write().unwrap_or_else(|e| e.into_inner());
        self.epoch.fetch_add(1, Ordering::AcqRel);
        cached_series.clear();
        cached_sources.clear();
        cached_targets.clear();
    }

    /// The runs of the slot index as the storage's state `generation`
    /// holds them (`Storage::generation`), from the cache or else from
    /// `load`. A list serves only readers of the state it was read in, so
    /// no reader pairs a list with blocks of another state (a merge removes
    /// runs and fills another). A load that a change of state overtook is
    /// kept under the older generation, which no reader asks for again
    /// and whose readers discard what they read (`View::claims_of` checks
    /// the generation after reading).
    pub(super) fn runs(
        &self,
        generation: u64,
        load: impl FnOnce() -> Result<Runs>,
    ) -> Result<Arc<Runs>> {
        if let Some((cached, runs)) = self.runs.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
            if *cached == generation {
                return Ok(runs.clone());
            }
        }
        let runs = Arc::new(load()?);
        *self.runs.write().unwrap_or_else(|e| e.into_inner()) = Some((generation, runs.clone()));
        Ok(runs)
    }

    /// The entry of the series `key`, from the cache or else from `load`.
    pub(super) fn series(
        &self,
        key: &[u8],
        load: impl FnOnce() -> Result<Option<SeriesEntry>>,
    ) -> Result<Option<SeriesEntry>> {
        if let Some(entry) = self
            .series
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
        {
            return Ok(Some(*entry));
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        let entry = load()?;
        if let Some(entry) = entry {
            let mut series = self.series.write().unwrap_or_else(|e| e.into_inner());
            if self.epoch.load(Ordering::Acquire) == epoch && series.len() < CACHE_ENTRIES {
                series.insert(key.to_vec(), entry);
            }
        }
        Ok(entry)
    }

    /// The `targets` rows of the event at `seq`, at any position, from the
    /// cache or else from `load`, which reads every row of it in actor
    /// order.
    pub(super) fn targets(
        &self,
        seq: u64,
        load: impl FnOnce() -> Result<Vec<(u64, TargetEntry)>>,
    ) -> Result<Targets> {
        if let Some(targets) = self
            .targets
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&seq)
        {
            return Ok(targets.clone());
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        let targets = match load()? {
            none if none.is_empty() => self.untargeted.clone(),
            some => Arc::new(some),
        };
        let mut cached = self.targets.write().unwrap_or_else(|e| e.into_inner());
        if self.epoch.load(Ordering::Acquire) == epoch && cached.len() < TARGET_ENTRIES {
            cached.insert(seq, targets.clone());
        }
        Ok(targets)
    }

    /// The published period of source `id` as revised by `position`, from
    /// the cache or else from `load`, which reads every revision in seq
    /// order.
    pub(super) fn source_published(
        &self,
        id: &str,
        position: u64,
        load: impl FnOnce() -> Result<Vec<(u64, Period)>>,
    ) -> Result<Option<Period>> {
        if let Some(revisions) = self
            .sources
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
        {
            return Ok(revisions.at(position));
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        let revisions = Revisions::of(load()?);
        let answer = revisions.at(position);
        let mut sources = self.sources.write().unwrap_or_else(|e| e.into_inner());
        if self.epoch.load(Ordering::Acquire) == epoch && sources.len() < CACHE_ENTRIES {
            sources.insert(id.to_string(), revisions);
        }
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source's published period at a position is its latest revision at
    /// or before it, however many revisions it has.
    #[test]
    fn a_source_is_as_its_latest_revision_at_the_position() {
        let year = |y: i32| Period::year(y);
        let one = Revisions::of(vec![(10, year(2010))]);
        assert!(matches!(one, Revisions::One(..)));
        assert_eq!(one.at(9), None);
        assert_eq!(one.at(10), Some(year(2010)));
        let many = Revisions::of(vec![(10, year(2010)), (20, year(2011))]);
        assert_eq!(many.at(9), None);
        assert_eq!(many.at(19), Some(year(2010)));
        assert_eq!(many.at(u64::MAX), Some(year(2011)));
        assert_eq!(Revisions::of(Vec::new()).at(u64::MAX), None);
    }
}
