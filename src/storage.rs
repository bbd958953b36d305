//! The storage engine behind a small trait, so that its choice stays
//! measurable (SPEC §10): ordered byte-keyed tables with point reads, range
//! scans, per-table atomic batch writes and a durability barrier.
//!
//! Two engines implement it: [`SledStorage`], the default on disk, and
//! [`MemoryStorage`], a `BTreeMap` per table used by `verify` to rebuild the
//! projections from the log and by tests that want thousands of stores.
//!
//! The trait promises nothing across tables: a crash may keep one table's
//! batch and lose another's. The store's write protocol (see `store.rs`) is
//! built so that this never matters.

use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::Path;
use std::sync::RwLock;

/// The tables of a store. The log and its head are the truth; the rest are
/// projections, rebuilt from the log whenever they are behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    /// `seq` (u64 big-endian) → record envelope.
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

    /// The projections: every table but the log and its meta.
    pub const PROJECTIONS: [Table; 7] = [
        Table::Ids,
        Table::Claims,
        Table::Series,
        Table::SeriesByAttribute,
        Table::Targets,
        Table::Sources,
        Table::Attributes,
    ];

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

/// The iterator a scan returns, in key order (either end).
pub type Scan<'a> = Box<dyn DoubleEndedIterator<Item = Result<Entry>> + 'a>;

/// An ordered key-value engine with named tables.
pub trait Storage: Send + Sync {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// The entries with `start <= key < end` (`end = None`: to the last key).
    fn scan(&self, table: Table, start: &[u8], end: Option<&[u8]>) -> Scan<'_>;

    /// Applies all puts (`Some`) and removes (`None`) to one table atomically.
    fn write(&self, table: Table, batch: Batch) -> Result<()>;

    /// Makes every write before it durable.
    fn flush(&self) -> Result<()>;

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
}

/// The name of the seal file inside a sled store's directory.
const SEAL_FILE: &str = "annals.seal";

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

/// The sled engine: one sled tree per table.
pub struct SledStorage {
    db: sled::Db,
    trees: Vec<sled::Tree>,
    /// Where the seal is kept; `None` for a temporary store.
    seal: Option<std::path::PathBuf>,
}

fn sled_error(e: sled::Error) -> Error {
    match e {
        sled::Error::Corruption { .. } => {
            Error::Corrupt(format!("the storage engine found damaged data: {e}"))
        }
        other => Error::Storage(other.to_string()),
    }
}

impl SledStorage {
    /// Opens (creating if needed) the sled database at `path`.
    pub fn open(path: &Path) -> Result<SledStorage> {
        let config = sled::Config::new()
            .path(path)
            .cache_capacity(256 * 1024 * 1024);
        let mut storage = Self::with_config(config, path)?;
        storage.seal = Some(path.join(SEAL_FILE));
        Ok(storage)
    }

    /// A store in a temporary directory that is removed when dropped.
    pub fn temporary() -> Result<SledStorage> {
        Self::with_config(
            sled::Config::new().temporary(true),
            Path::new("(temporary)"),
        )
    }

    fn with_config(config: sled::Config, path: &Path) -> Result<SledStorage> {
        let db = config.open().map_err(|e| match e {
            sled::Error::Io(io) if io.to_string().contains("could not acquire lock") => {
                Error::Locked {
                    path: path.to_path_buf(),
                }
            }
            other => sled_error(other),
        })?;
        let trees = Table::ALL
            .iter()
            .map(|t| db.open_tree(t.name()).map_err(sled_error))
            .collect::<Result<Vec<_>>>()?;
        Ok(SledStorage {
            db,
            trees,
            seal: None,
        })
    }

    fn tree(&self, table: Table) -> &sled::Tree {
        &self.trees[table as usize]
    }
}

impl Storage for SledStorage {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self
            .tree(table)
            .get(key)
            .map_err(sled_error)?
            .map(|v| v.to_vec()))
    }

    fn scan(&self, table: Table, start: &[u8], end: Option<&[u8]>) -> Scan<'_> {
        let range = (
            Bound::Included(start.to_vec()),
            end.map_or(Bound::Unbounded, |e| Bound::Excluded(e.to_vec())),
        );
        Box::new(
            self.tree(table)
                .range::<Vec<u8>, _>(range)
                .map(|r| r.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(sled_error)),
        )
    }

    fn write(&self, table: Table, batch: Batch) -> Result<()> {
        let mut sled_batch = sled::Batch::default();
        for (key, value) in batch {
            match value {
                Some(v) => sled_batch.insert(key, v),
                None => sled_batch.remove(key),
            }
        }
        self.tree(table).apply_batch(sled_batch).map_err(sled_error)
    }

    fn flush(&self) -> Result<()> {
        self.db.flush().map_err(sled_error).map(|_| ())
    }

    fn size_on_disk(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0)
    }

    fn write_seal(&self, seal: &[u8]) -> Result<()> {
        let Some(path) = &self.seal else {
            return Ok(());
        };
        // Write aside, sync, then rename over: the seal is always whole.
        let temporary = path.with_extension("seal-new");
        {
            use std::io::Write;
            let mut file = std::fs::File::create(&temporary)?;
            file.write_all(seal)?;
            file.sync_all()?;
        }
        std::fs::rename(&temporary, path)?;
        if let Some(dir) = path.parent() {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    }

    fn read_seal(&self) -> Result<Option<Vec<u8>>> {
        let Some(path) = &self.seal else {
            return Ok(None);
        };
        match std::fs::read(path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
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

    /// Every entry of a table, for comparisons in `verify` and tests.
    pub fn entries(&self, table: Table) -> Vec<Entry> {
        let tables = self.tables.read().unwrap_or_else(|e| e.into_inner());
        tables
            .get(&table)
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    }
}

impl Storage for MemoryStorage {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let tables = self.tables.read().unwrap_or_else(|e| e.into_inner());
        Ok(tables.get(&table).and_then(|t| t.get(key).cloned()))
    }

    fn scan(&self, table: Table, start: &[u8], end: Option<&[u8]>) -> Scan<'_> {
        // Copies the range out so the iterator does not hold the lock.
        let tables = self.tables.read().unwrap_or_else(|e| e.into_inner());
        let range = (
            Bound::Included(start.to_vec()),
            end.map_or(Bound::Unbounded, |e| Bound::Excluded(e.to_vec())),
        );
        let entries: Vec<Result<Entry>> = match tables.get(&table) {
            Some(t) if end.is_none_or(|e| start < e) => t
                .range::<Vec<u8>, _>(range)
                .map(|(k, v)| Ok((k.clone(), v.clone())))
                .collect(),
            _ => Vec::new(),
        };
        Box::new(entries.into_iter())
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
