//! The readers' cache: series entries and source revisions, read by nearly
//! every question and small enough to keep, with the rule that keeps it
//! consistent with concurrent writers.

use crate::period::Period;
use crate::projection::SeriesEntry;
use rustc_hash::FxHashMap;

/// What readers keep in memory between questions: series entries and the
/// revisions of sources, small and read by nearly every `get`.
///
/// A writer updates it after its projection writes land and before readers
/// see the new position, and bumps `epoch`; a reader that loaded an entry
/// from storage keeps it only if no writer ran meanwhile, so a slow reader
/// never puts back an entry older than the writer's.
#[derive(Default)]
pub struct ReadCache {
    pub(crate) epoch: std::sync::atomic::AtomicU64,
    pub(crate) series: std::sync::RwLock<FxHashMap<Vec<u8>, SeriesEntry>>,
    pub(crate) sources: std::sync::RwLock<FxHashMap<String, Vec<(u64, Period)>>>,
}

/// Entries kept at most; beyond, reads go to storage.
pub(crate) const CACHE_ENTRIES: usize = 1_000_000;

impl ReadCache {
    /// Records what projection writes change, after they are written.
    pub fn update(&self, series: Vec<(Vec<u8>, SeriesEntry)>, sources: Vec<String>) {
        if series.is_empty() && sources.is_empty() {
            return;
        }
        let mut cached_series = self.series.write().unwrap_or_else(|e| e.into_inner());
        let mut cached_sources = self.sources.write().unwrap_or_else(|e| e.into_inner());
        self.epoch.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        for (key, entry) in series {
            if cached_series.contains_key(&key) || cached_series.len() < CACHE_ENTRIES {
                cached_series.insert(key, entry);
            }
        }
        for source in sources {
            cached_sources.remove(&source);
        }
    }

    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(std::sync::atomic::Ordering::Acquire)
    }
}
