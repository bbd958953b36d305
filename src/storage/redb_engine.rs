//! The redb engine: one redb table per [`Table`], in one file, with a lock
//! file beside it so that a second process is refused instead of blocking.
//!
//! Every write of a store is a committed, durable redb transaction (only a
//! scratch store's commits may stay in memory); a multi-table write is one
//! transaction, so it is atomic as well. Reads share one read transaction,
//! replaced after each commit, so each read sees one committed state.

use super::{Batch, Scan, SealFile, Storage, Table, SEAL_FILE};
use crate::error::{Error, Result};
use redb::{ReadableDatabase, TableDefinition};
use std::ops::Bound;
use std::path::Path;

/// The cache of a scratch store: its reads are the rebuild's own lookups.
const SCRATCH_CACHE_BYTES: usize = 256 << 20;

/// The engine's file and the lock file inside a store directory.
pub const DATA_FILE: &str = "annals.redb";
const LOCK_FILE: &str = "annals.lock";
/// redb's page cache in bytes, from the MiB a store was opened with
/// (`StoreOptions::cache_mib`), kept within 16 MiB and 64 GiB.
fn cache_bytes(mib: usize) -> usize {
    mib.clamp(16, 64 * 1024) * 1024 * 1024
}

thread_local! {
    static GUARDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// True while this thread runs engine code under `guarded`: a panic hook
/// can stay quiet then, since the panic becomes an error.
pub fn in_guard() -> bool {
    GUARDED.with(|g| g.get())
}

/// Runs engine code, turning a panic into [`Error::Corrupt`]. redb may panic
/// on a damaged file instead of returning an error; a damaged store must be
/// reported, never crash the program that embeds it.
fn guarded<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let outer = GUARDED.with(|g| g.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(outer));
    result.unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("no message");
        Err(Error::Corrupt(format!(
            "the storage engine failed while {what}, as it does on damaged files ({why})"
        )))
    })
}

fn definition(table: Table) -> TableDefinition<'static, &'static [u8], &'static [u8]> {
    TableDefinition::new(table.name())
}

fn redb_error(e: impl Into<redb::Error>) -> Error {
    match e.into() {
        redb::Error::Corrupted(why) => {
            Error::Corrupt(format!("the storage engine found damaged data: {why}"))
        }
        other => Error::Storage(other.to_string()),
    }
}

/// Every table opened in one read transaction. Reads share the latest one
/// instead of opening a transaction per read; each commit replaces it.
struct Snapshot {
    tables: Vec<redb::ReadOnlyTable<&'static [u8], &'static [u8]>>,
}

pub struct RedbStorage {
    /// Declared before `db` so it is dropped first: its read transaction
    /// keeps the database file open, and a store closed and reopened in one
    /// process must find it closed.
    snapshot: std::sync::RwLock<std::sync::Arc<Snapshot>>,
    db: redb::Database,
    /// False for a scratch store, whose commits need not reach the disk.
    durable: bool,
    seal: Option<SealFile>,
    /// Held open for the life of the store: the lock is released on drop
    /// (once any child process that inherited a copy of it has exec'd), or
    /// by the OS if the process dies.
    _lock: Option<std::fs::File>,
}

impl RedbStorage {
    /// Opens (creating if needed) the store directory `path`, with a page
    /// cache of `cache_mib` MiB.
    pub fn open(path: &Path, cache_mib: usize) -> Result<RedbStorage> {
        std::fs::create_dir_all(path)?;
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path.join(LOCK_FILE))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::Locked {
                    path: path.to_path_buf(),
                })
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
        }
        guarded("opening the store", || {
            let db = redb::Database::builder()
                .set_cache_size(cache_bytes(cache_mib))
                .create(path.join(DATA_FILE))
                .map_err(|e| match e {
                    redb::DatabaseError::DatabaseAlreadyOpen => Error::Locked {
                        path: path.to_path_buf(),
                    },
                    other => redb_error(other),
                })?;
            RedbStorage::start(db, Some(SealFile(path.join(SEAL_FILE))), Some(lock))
        })
    }

    /// A scratch store in the file `path` (created anew), for work too big
    /// for memory, such as `verify`'s rebuilt projections: no lock, no seal,
    /// commits that need not reach the disk, and a small cache.
    pub fn scratch(path: &Path) -> Result<RedbStorage> {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
        guarded("creating a scratch store", || {
            let db = redb::Database::builder()
                .set_cache_size(SCRATCH_CACHE_BYTES)
                .create(path)
                .map_err(redb_error)?;
            let mut storage = RedbStorage::start(db, None, None)?;
            storage.durable = false;
            Ok(storage)
        })
    }

    /// A store in memory, through redb's in-memory backend: for tests.
    pub fn in_memory() -> Result<RedbStorage> {
        let db = redb::Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(redb_error)?;
        RedbStorage::start(db, None, None)
    }

    /// Creates every table (reads must find them all), then takes the first
    /// snapshot.
    fn start(
        db: redb::Database,
        seal: Option<SealFile>,
        lock: Option<std::fs::File>,
    ) -> Result<RedbStorage> {
        let txn = db.begin_write().map_err(redb_error)?;
        for table in Table::ALL {
            txn.open_table(definition(table)).map_err(redb_error)?;
        }
        txn.commit().map_err(redb_error)?;
        let snapshot = std::sync::RwLock::new(std::sync::Arc::new(take_snapshot(&db)?));
        Ok(RedbStorage {
            db,
            durable: true,
            snapshot,
            seal,
            _lock: lock,
        })
    }

    fn write_tables_unguarded(&self, batches: Vec<(Table, Batch)>) -> Result<()> {
        let mut txn = self.db.begin_write().map_err(redb_error)?;
        if !self.durable {
            txn.set_durability(redb::Durability::None)
                .map_err(|e| Error::Storage(e.to_string()))?;
        }
        for (table, batch) in batches {
            let mut t = txn.open_table(definition(table)).map_err(redb_error)?;
            for (key, value) in batch {
                match value {
                    Some(v) => {
                        t.insert(key.as_slice(), v.as_slice()).map_err(redb_error)?;
                    }
                    None => {
                        t.remove(key.as_slice()).map_err(redb_error)?;
                    }
                }
            }
        }
        txn.commit().map_err(redb_error)?;
        let fresh = std::sync::Arc::new(take_snapshot(&self.db)?);
        *self.snapshot.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        Ok(())
    }

    fn snapshot(&self) -> std::sync::Arc<Snapshot> {
        self.snapshot
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

fn take_snapshot(db: &redb::Database) -> Result<Snapshot> {
    let txn = db.begin_read().map_err(redb_error)?;
    let tables = Table::ALL
        .iter()
        .map(|t| txn.open_table(definition(*t)).map_err(redb_error))
        .collect::<Result<Vec<_>>>()?;
    Ok(Snapshot { tables })
}

impl Storage for RedbStorage {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let snapshot = self.snapshot();
        let value = snapshot.tables[table as usize]
            .get(key)
            .map_err(redb_error)?;
        Ok(value.map(|v| v.value().to_vec()))
    }

    fn scan(&self, table: Table, start: &[u8], end: Option<&[u8]>) -> Scan<'_> {
        let range = (
            Bound::Included(start),
            end.map_or(Bound::Unbounded, Bound::Excluded),
        );
        let opened = if end.is_some_and(|e| e <= start) {
            Ok(None)
        } else {
            self.snapshot().tables[table as usize]
                .range::<&[u8]>(range)
                .map(Some)
                .map_err(redb_error)
        };
        match opened {
            Ok(Some(iter)) => Box::new(iter.map(|r| {
                r.map(|(k, v)| (k.value().to_vec(), v.value().to_vec()))
                    .map_err(redb_error)
            })),
            Ok(None) => Box::new(std::iter::empty()),
            Err(e) => Box::new(std::iter::once(Err(e))),
        }
    }

    fn write(&self, table: Table, batch: Batch) -> Result<()> {
        self.write_tables(vec![(table, batch)])
    }

    fn write_tables(&self, batches: Vec<(Table, Batch)>) -> Result<()> {
        guarded("writing", || self.write_tables_unguarded(batches))
    }

    /// Every commit is already durable.
    fn flush(&self) -> Result<()> {
        Ok(())
    }

    fn write_seal(&self, seal: &[u8]) -> Result<()> {
        self.seal.as_ref().map_or(Ok(()), |f| f.write(seal))
    }

    fn read_seal(&self) -> Result<Option<Vec<u8>>> {
        self.seal.as_ref().map_or(Ok(None), SealFile::read)
    }
}
