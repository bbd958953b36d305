//! The readers' cache: series entries and source revisions, read by nearly
//! every question and small enough to keep, with the one rule that keeps it
//! consistent with concurrent writers.
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

use super::keys::SeriesEntry;
use super::runs::RunHeader;
use crate::error::Result;
use crate::period::Period;
use rustc_hash::FxHashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// Entries kept at most; beyond, reads go to storage.
const CACHE_ENTRIES: usize = 1_000_000;

/// What readers keep in memory between questions.
#[derive(Default)]
pub struct ReadCache {
    epoch: AtomicU64,
    series: RwLock<FxHashMap<Vec<u8>, SeriesEntry>>,
    /// Every revision of a source: (seq, published), in seq order.
    sources: RwLock<FxHashMap<String, Vec<(u64, Period)>>>,
    /// The runs of the slot index (`runs.rs`), read once per change.
    runs: RwLock<Option<Arc<Vec<RunHeader>>>>,
    /// Merges of runs begun by this process's writer.
    merges: AtomicU64,
}

impl ReadCache {
    /// Records what index writes change, after they are written.
    /// Every write of the slot index may add or merge runs, so the list
    /// of runs is forgotten whatever the writes were.
    pub fn update(&self, series: Vec<(Vec<u8>, SeriesEntry)>, sources: Vec<String>) {
        let mut cached_series = self.series.write().unwrap_or_else(|e| e.into_inner());
        let mut cached_sources = self.sources.write().unwrap_or_else(|e| e.into_inner());
        let mut cached_runs = self.runs.write().unwrap_or_else(|e| e.into_inner());
        self.epoch.fetch_add(1, Ordering::AcqRel);
        *cached_runs = None;
        for (key, entry) in series {
            if cached_series.contains_key(&key) || cached_series.len() < CACHE_ENTRIES {
                cached_series.insert(key, entry);
            }
        }
        for source in sources {
            cached_sources.remove(&source);
        }
    }

    /// Forgets everything: another process wrote, and what it changed is
    /// not known here. Bumps the epoch, so no load begun before is kept.
    pub fn clear(&self) {
        let mut cached_series = self.series.write().unwrap_or_else(|e| e.into_inner());
        let mut cached_sources = self.sources.write().unwrap_or_else(|e| e.into_inner());
        let mut cached_runs = self.runs.write().unwrap_or_else(|e| e.into_inner());
        self.epoch.fetch_add(1, Ordering::AcqRel);
        cached_series.clear();
        cached_sources.clear();
        *cached_runs = None;
    }

    /// Makes a merge of runs visible: `commit` between two steps of the
    /// merge count, the list of runs forgotten before the second. The
    /// count is odd while a merge is landing.
    pub fn publish_merge(&self, commit: &mut dyn FnMut() -> Result<()>) -> Result<()> {
        self.merges.fetch_add(1, Ordering::AcqRel);
        let committed = commit();
        {
            let mut runs = self.runs.write().unwrap_or_else(|e| e.into_inner());
            self.epoch.fetch_add(1, Ordering::AcqRel);
            *runs = None;
        }
        self.merges.fetch_add(1, Ordering::AcqRel);
        committed
    }

    /// The merge count, if no merge is landing. A reader that sees the
    /// same even count before taking its list of runs and after reading
    /// them knows that no merge moved claims meanwhile and that its list
    /// was not older than the last merge.
    pub(super) fn merges(&self) -> Option<u64> {
        let count = self.merges.load(Ordering::Acquire);
        count.is_multiple_of(2).then_some(count)
    }

    /// The runs of the slot index, from the cache or else from `load`.
    ///
    /// A list older than the storage a reader then reads is safe: a merge
    /// keeps the number of the newest run it merges, so a run the list
    /// names either holds its claims still or is gone (read as empty) with
    /// its claims in a later run the list names too. A list *newer* than what
    /// the reader reads is never handed out: the storage's view only moves
    /// forward, and a writer forgets the list (`update`) after its writes
    /// land and before readers see the new position.
    pub(super) fn runs(
        &self,
        load: impl FnOnce() -> Result<Vec<RunHeader>>,
    ) -> Result<Arc<Vec<RunHeader>>> {
        if let Some(runs) = self.runs.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
            return Ok(runs.clone());
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        let runs = Arc::new(load()?);
        let mut cached = self.runs.write().unwrap_or_else(|e| e.into_inner());
        if self.epoch.load(Ordering::Acquire) == epoch {
            *cached = Some(runs.clone());
        }
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

    /// The published period of source `id` as revised by `position`, from
    /// the cache or else from `load`, which reads every revision in seq
    /// order.
    pub(super) fn source_published(
        &self,
        id: &str,
        position: u64,
        load: impl FnOnce() -> Result<Vec<(u64, Period)>>,
    ) -> Result<Option<Period>> {
        let at = |revisions: &[(u64, Period)]| {
            revisions
                .iter()
                .rev()
                .find(|(seq, _)| *seq <= position)
                .map(|(_, p)| *p)
        };
        if let Some(revisions) = self
            .sources
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
        {
            return Ok(at(revisions));
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        let revisions = load()?;
        let answer = at(&revisions);
        let mut sources = self.sources.write().unwrap_or_else(|e| e.into_inner());
        if self.epoch.load(Ordering::Acquire) == epoch && sources.len() < CACHE_ENTRIES {
            sources.insert(id.to_string(), revisions);
        }
        Ok(answer)
    }
}
