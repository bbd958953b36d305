//! The storage engine behind a small trait, so that its choice stays
//! measurable (SPEC §10): ordered byte-keyed tables with point reads, range
//! scans, per-table atomic batch writes and a durability barrier.
//!
//! Three engines implement it: [`RedbStorage`], the default on disk (one
//! file, every write a durable transaction; also an in-memory backend for
//! temporary stores), [`SledStorage`], kept selectable for new stores so
//! that the measurements that retired it stay reproducible, and
//! [`MemoryStorage`], a `BTreeMap` per table for tests that want thousands
//! of stores.
//!
//! The trait promises nothing across tables: a crash may keep one table's
//! batch and lose another's. The store's write protocol (see `store.rs`) is
//! built so that this never matters.

mod checksummed;
mod redb_engine;
mod seal;
mod sled_engine;
mod write_lock;

pub use checksummed::Checksummed;
pub use redb_engine::{in_guard, RedbStorage};
pub(crate) use seal::{seal_of, sealed_head, SealFile, SEAL_FILE};
pub use sled_engine::SledStorage;
pub use write_lock::{LockWait, WriteLock};

use crate::error::Result;
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::RwLock;

/// The tables of a store. The log and its head are the truth; the rest are
/// projections, rebuilt from the log whenever they are behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    /// `seq` (u64 big-endian) of a record alone, or of the first record of
    /// a block of records (`log/block.rs`) → the envelope or the block.
    Log,
    /// Small named values: the log head, how far projections are applied.
    Meta,
    /// Event id → seq and op of claims, denials and retractions.
    Ids,
    /// The slot index of claims; key layout in `projection.rs`.
    Claims,
    /// `subject 0 attribute` → which bin levels the series uses.
    Series,
    /// `attribute 0 subject` → (), for `*.attribute` selectors.
    SeriesByAttribute,
    /// `target seq, actor seq` → denial or retraction of the target.
    Targets,
    /// `source id 0 seq` → the source revision's published period.
    Sources,
    /// `attribute 0 seq` → the definition revision.
    Attributes,
}

impl Table {
    pub const ALL: [Table; 9] = [
        Table::Log,
        Table::Meta,
        Table::Ids,
        Table::Claims,
        Table::Series,
        Table::SeriesByAttribute,
        Table::Targets,
        Table::Sources,
        Table::Attributes,
    ];

    /// The projections: every table but the log and its meta, which come
    /// first in [`Table::ALL`].
    pub const PROJECTIONS: &'static [Table] = Table::ALL.split_at(2).1;

    pub fn name(self) -> &'static str {
        match self {
            Table::Log => "log",
            Table::Meta => "meta",
            Table::Ids => "ids",
            Table::Claims => "claims",
            Table::Series => "series",
            Table::SeriesByAttribute => "series_by_attribute",
            Table::Targets => "targets",
            Table::Sources => "sources",
            Table::Attributes => "attributes",
        }
    }
}

/// Puts (`Some`) and removes (`None`) applied to one table at once.
pub type Batch = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// One key-value pair read from a table.
pub type Entry = (Vec<u8>, Vec<u8>);

/// The iterator a scan returns, in key order from either end; a store's
/// scans (see `checksummed.rs`) read from one end only, the first one read.
pub type Scan<'a> = Box<dyn DoubleEndedIterator<Item = Result<Entry>> + 'a>;

/// Writes to several tables that become visible, and durable, all at once
/// when committed, and nothing if dropped uncommitted; reads through it see
/// what it has written so far. A store streams a whole import through one
/// (see `store.rs`), so that a batch of any size is one commit and is never
/// held in memory whole.
pub trait Transaction {
    /// Applies puts (`Some`) and removes (`None`) to one table.
    fn write(&mut self, table: Table, batch: Batch) -> Result<()>;

    /// A value as this transaction sees it: its own writes over the store.
    fn get(&mut self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// Makes every write durable and visible, at once. An error means
    /// that nothing was committed.
    fn commit(self: Box<Self>) -> Result<()>;
}

/// An ordered key-value engine with named tables.
pub trait Storage: Send + Sync {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// The entries with `start <= key < end` (`end = None`: to the last key).
    fn scan(&self, table: Table, start: &[u8], end: Option<&[u8]>) -> Scan<'_>;

    /// [`Storage::scan`] read forward only, for a caller that checks by
    /// itself what a checked storage (`checksummed.rs`) checks by reading
    /// the entry before `start`: that no entry in range was missed because
    /// damage moved a key. The slot index's blocks do (each names the last
    /// key of the block before it, `index/runs.rs`), and a `get` is spared a
    /// second descent of the tree per block it reads.
    fn scan_without_start_check(&self, table: Table, start: &[u8], end: Option<&[u8]>) -> Scan<'_> {
        self.scan(table, start, end)
    }

    /// A number that stays the same while every read sees the same state
    /// of the store, and grows when that state may have changed (a commit
    /// of this process, a refresh that took another's): a reader that finds
    /// it unchanged after several reads knows they saw one state. `None`
    /// where the engine cannot tell (sled, memory), and then a reader must
    /// assume that writes may land between its reads.
    fn generation(&self) -> Result<Option<u64>> {
        Ok(None)
    }

    /// Applies all puts (`Some`) and removes (`None`) to one table atomically.
    fn write(&self, table: Table, batch: Batch) -> Result<()>;

    /// Applies batches to several tables. Engines with transactions do it
    /// in one (atomic and durable together); the default writes each table
    /// in turn, which the store's write protocol tolerates.
    fn write_tables(&self, batches: Vec<(Table, Batch)>) -> Result<()> {
        for (table, batch) in batches {
            self.write(table, batch)?;
        }
        Ok(())
    }

    /// Makes every write before it durable.
    fn flush(&self) -> Result<()>;

    /// A transaction over every table, where the engine has them (redb);
    /// `None` where it has not (sled, memory), and then a store writes a
    /// batch in the steps of its older protocol instead.
    fn transaction(&self) -> Result<Option<Box<dyn Transaction + Send + '_>>> {
        Ok(None)
    }

    /// Approximate bytes on disk, for reports; 0 where unknown.
    fn size_on_disk(&self) -> u64 {
        0
    }

    /// Records `seal` (the committed log head) durably *outside* the engine.
    /// An engine that loses data on damage (sled, when its files are
    /// corrupted, may recover to an earlier or empty state without an error)
    /// is then caught at open: its head is behind the seal. Engines without
    /// a place for it keep nothing.
    fn write_seal(&self, seal: &[u8]) -> Result<()> {
        let _ = seal;
        Ok(())
    }

    /// The last seal written, if any.
    fn read_seal(&self) -> Result<Option<Vec<u8>>> {
        Ok(None)
    }

    /// Whether the engine keeps a seal: then a store with records and no
    /// seal file has lost it.
    fn keeps_seal(&self) -> bool {
        false
    }

    /// Makes later reads see every commit made so far, by this process or
    /// another that shares the store.
    fn refresh(&self) -> Result<()> {
        Ok(())
    }

    /// Lets go of any read transaction kept between reads, so that an idle
    /// store holds back no pages from writers; the next read takes a fresh
    /// one.
    fn release(&self) {}

    /// Takes the lock that serialises the appends of every process sharing
    /// the store, waiting as `wait` says. `None` where no other process can
    /// share it (in memory; sled, which one process opens at a time).
    fn lock_writer(&self, wait: LockWait) -> Result<Option<WriteLock>> {
        let _ = wait;
        Ok(None)
    }

    /// Whether the engine was opened read-only: every write fails.
    fn is_read_only(&self) -> bool {
        false
    }

    /// The file a report of damage names, where the engine has one.
    fn location(&self) -> Option<&std::path::Path> {
        None
    }
}

/// The storage engines a store on disk can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Redb,
    Sled,
}

impl Engine {
    /// The engine a name in `$ANNALS_ENGINE` or a command line names.
    pub fn from_name(name: &str) -> Result<Engine> {
        match name {
            "redb" => Ok(Engine::Redb),
            "sled" => Ok(Engine::Sled),
            other => Err(crate::Error::InvalidInput(format!(
                "unknown storage engine '{other}': expected redb or sled"
            ))),
        }
    }

    /// The engine of an existing store directory, by the files in it.
    pub fn of_existing(path: &std::path::Path) -> Option<Engine> {
        if path.join(redb_engine::DATA_FILE).exists() {
            Some(Engine::Redb)
        } else if path.join("conf").exists() {
            Some(Engine::Sled)
        } else {
            None
        }
    }

    /// Opens the store directory `path` with this engine, read-only if
    /// asked (redb; a sled store is opened as usual and the store refuses
    /// its writes).
    ///
    /// A sled store found locked is tried again a few times over about a
    /// quarter of a second before [`crate::Error::Locked`] is returned.
    /// Its lock is an `flock` on an open file, and a child process that
    /// another thread of this process is spawning holds a copy of every
    /// descriptor between its fork and its exec: a store closed here and
    /// reopened at once can find its own released lock still held for that
    /// moment. A store held by another process is still refused well
    /// within a second. (redb stores are shared and take no such lock.)
    pub fn open(
        self,
        path: &std::path::Path,
        cache_mib: usize,
        read_only: bool,
    ) -> Result<std::sync::Arc<dyn Storage>> {
        let mut pause = std::time::Duration::from_millis(5);
        let patience = std::time::Instant::now() + LOCK_PATIENCE;
        loop {
            let opened: Result<std::sync::Arc<dyn Storage>> = match self {
                Engine::Redb if read_only => RedbStorage::open_read_only(path, cache_mib)
                    .map(|s| std::sync::Arc::new(s) as _),
                Engine::Redb => {
                    RedbStorage::open(path, cache_mib).map(|s| std::sync::Arc::new(s) as _)
                }
                Engine::Sled => SledStorage::open(path).map(|s| std::sync::Arc::new(s) as _),
            };
            match opened {
                Err(crate::Error::Locked { .. })
                    if self == Engine::Sled && std::time::Instant::now() < patience =>
                {
                    let left = patience.saturating_duration_since(std::time::Instant::now());
                    std::thread::sleep(pause.min(left));
                    pause = (pause * 2).min(std::time::Duration::from_millis(80));
                }
                other => return other,
            }
        }
    }
}

/// How long [`Engine::open`] keeps trying a locked store before refusing.
const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_millis(250);

/// Every key that starts with `prefix`: the end bound of a prefix scan.
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Scans every key starting with `prefix`.
pub fn scan_prefix<'a>(storage: &'a dyn Storage, table: Table, prefix: &[u8]) -> Scan<'a> {
    let end = prefix_end(prefix);
    storage.scan(table, prefix, end.as_deref())
}

type Tables = BTreeMap<Table, BTreeMap<Vec<u8>, Vec<u8>>>;

/// An engine in memory: nothing is durable.
#[derive(Default)]
pub struct MemoryStorage {
    tables: RwLock<Tables>,
}

impl MemoryStorage {
    pub fn new() -> MemoryStorage {
        MemoryStorage::default()
    }
}

/// A scan of a [`MemoryStorage`] table that takes the lock for each step
/// and looks up the next entry past the last one returned, so that it
/// holds no lock between steps and copies only what it returns (a store's
/// scans read one entry past their range, and a copy of the whole rest of
/// the table would make every lookup linear).
struct MemoryScan<'a> {
    storage: &'a MemoryStorage,
    table: Table,
    lower: Bound<Vec<u8>>,
    upper: Bound<Vec<u8>>,
}

impl MemoryScan<'_> {
    fn step(&mut self, forward: bool) -> Option<Result<Entry>> {
        let tables = self
            .storage
            .tables
            .read()
            .unwrap_or_else(|e| e.into_inner());
        let table = tables.get(&self.table)?;
        // An empty range is answered here: `BTreeMap::range` panics on
        // some of them (a start after the end, or both ends excluded).
        let empty = match (&self.lower, &self.upper) {
            (Bound::Included(a), Bound::Included(b)) => a > b,
            (Bound::Included(a) | Bound::Excluded(a), Bound::Included(b) | Bound::Excluded(b)) => {
                a >= b
            }
            _ => false,
        };
        if empty {
            return None;
        }
        let mut range = table.range::<Vec<u8>, _>((self.lower.clone(), self.upper.clone()));
        let (key, value) = if forward {
            range.next()?
        } else {
            range.next_back()?
        };
        let entry = (key.clone(), value.clone());
        if forward {
            self.lower = Bound::Excluded(key.clone());
        } else {
            self.upper = Bound::Excluded(key.clone());
        }
        Some(Ok(entry))
    }
}

impl Iterator for MemoryScan<'_> {
    type Item = Result<Entry>;
    fn next(&mut self) -> Option<Result<Entry>> {
        self.step(true)
    }
}

impl DoubleEndedIterator for MemoryScan<'_> {
    fn next_back(&mut self) -> Option<Result<Entry>> {
        self.step(false)
    }
}

impl Storage for MemoryStorage {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let tables = self.tables.read().unwrap_or_else(|e| e.into_inner());
        Ok(tables.get(&table).and_then(|t| t.get(key).cloned()))
    }

    fn scan(&self, table: Table, start: &[u8], end: Option<&[u8]>) -> Scan<'_> {
        if end.is_some_and(|e| e <= start) {
            return Box::new(std::iter::empty());
        }
        Box::new(MemoryScan {
            storage: self,
            table,
            lower: Bound::Included(start.to_vec()),
            upper: end.map_or(Bound::Unbounded, |e| Bound::Excluded(e.to_vec())),
        })
    }

    fn write(&self, table: Table, batch: Batch) -> Result<()> {
        let mut tables = self.tables.write().unwrap_or_else(|e| e.into_inner());
        let t = tables.entry(table).or_default();
        for (key, value) in batch {
            match value {
                Some(v) => t.insert(key, v),
                None => t.remove(&key),
            };
        }
        Ok(())
    }

    fn flush(&self) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exercise(storage: &dyn Storage) {
        storage
            .write(
                Table::Claims,
                vec![
                    (b"a1".to_vec(), Some(b"1".to_vec())),
                    (b"a2".to_vec(), Some(b"2".to_vec())),
                    (b"b1".to_vec(), Some(b"3".to_vec())),
                ],
            )
            .unwrap();
        assert_eq!(
            storage.get(Table::Claims, b"a2").unwrap(),
            Some(b"2".to_vec())
        );
        assert_eq!(
            storage.get(Table::Ids, b"a2").unwrap(),
            None,
            "tables are separate"
        );
        let keys: Vec<Vec<u8>> = scan_prefix(storage, Table::Claims, b"a")
            .map(|e| e.unwrap().0)
            .collect();
        assert_eq!(keys, vec![b"a1".to_vec(), b"a2".to_vec()]);
        let last = storage
            .scan(Table::Claims, b"", None)
            .next_back()
            .unwrap()
            .unwrap();
        assert_eq!(last.0, b"b1".to_vec());
        storage
            .write(Table::Claims, vec![(b"a1".to_vec(), None)])
            .unwrap();
        assert_eq!(storage.get(Table::Claims, b"a1").unwrap(), None);
        storage.flush().unwrap();
    }

    #[test]
    fn memory_and_sled_behave_alike() {
        exercise(&MemoryStorage::new());
        exercise(&SledStorage::temporary().unwrap());
    }

    #[test]
    fn prefix_end_carries_over_ff() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(&[1, 0xff]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xff, 0xff]), None);
    }
}
