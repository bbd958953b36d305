//! The redb engine: one redb table per [`Table`], in one file that several
//! processes share (redb's multi-writer mode): any number read, and
//! whole appends are serialised by the store's [`WriteLock`].
//!
//! Every write of a store is a committed, durable redb transaction (only a
//! scratch store's commits may stay in memory); a multi-table write is one
//! transaction, so it is atomic as well. Reads share one read transaction,
//! replaced after each commit and by [`Storage::refresh`], so each read
//! sees one committed state and a refresh sees other processes' commits.
//!
//! A store opened read-only uses a read-only redb handle: it writes nothing
//! to the file (it works on a read-only mount) and, killed, leaves nothing
//! for the next open to repair.

use super::write_lock::{LockWait, WriteLock};
use super::{Batch, Entry, Scan, SealFile, Storage, Table, Transaction, SEAL_FILE};
use crate::error::{Error, Result};
use redb::{ReadableDatabase, TableDefinition};
use std::ops::Bound;
use std::path::{Path, PathBuf};

/// The cache of a scratch store: its reads are the rebuild's own lookups.
const SCRATCH_CACHE_BYTES: usize = 256 << 20;

/// The engine's file inside a store directory.
pub const DATA_FILE: &str = "annals.redb";

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

/// Runs engine code, turning a panic into [`Error::Corrupt`] that names
/// the file (`file`, when the store has one). redb may panic on a damaged
/// file instead of returning an error; a damaged store must be reported,
/// never crash the program that embeds it. Nothing is written after the
/// panic: the transaction it happened in is dropped unfinished.
fn guarded<T>(file: Option<&Path>, what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let outer = GUARDED.with(|g| g.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(outer));
    let named = |why: String| match file {
        Some(file) if !why.contains(&*file.to_string_lossy()) => {
            format!("{}: {why}", file.display())
        }
        _ => why,
    };
    let result = result.map(|r| {
        r.map_err(|e| match e {
            Error::Storage(why) => Error::Storage(named(why)),
            Error::Corrupt(why) => Error::Corrupt(named(why)),
            other => other,
        })
    });
    result.unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("no message");
        Err(Error::Corrupt(named(format!(
            "the storage engine failed while {what}, as it does on damaged files ({why})"
        ))))
    })
}

/// A scan whose every step runs under [`guarded`]: redb reads pages lazily,
/// so a damaged page may be met at any step, not only when the scan opens.
struct GuardedScan<'a, I> {
    inner: I,
    file: Option<&'a Path>,
    /// Set after the first error: a scan ends at the damage it reports.
    failed: bool,
}

impl<I: DoubleEndedIterator<Item = Result<Entry>>> GuardedScan<'_, I> {
    fn step(&mut self, forward: bool) -> Option<Result<Entry>> {
        if self.failed {
            return None;
        }
        let inner = &mut self.inner;
        let next = guarded(self.file, "reading", || {
            Ok(if forward {
                inner.next()
            } else {
                inner.next_back()
            })
        })
        .unwrap_or_else(|e| Some(Err(e)));
        if matches!(next, Some(Err(_))) {
            self.failed = true;
        }
        next
    }
}

impl<I: DoubleEndedIterator<Item = Result<Entry>>> Iterator for GuardedScan<'_, I> {
    type Item = Result<Entry>;
    fn next(&mut self) -> Option<Result<Entry>> {
        self.step(true)
    }
}

impl<I: DoubleEndedIterator<Item = Result<Entry>>> DoubleEndedIterator for GuardedScan<'_, I> {
    fn next_back(&mut self) -> Option<Result<Entry>> {
        self.step(false)
    }
}

fn definition(table: Table) -> TableDefinition<'static, &'static [u8], &'static [u8]> {
    TableDefinition::new(table.name())
}

fn redb_error(e: impl Into<redb::Error>) -> Error {
    match e.into() {
        redb::Error::Corrupted(why) => {
            Error::Corrupt(format!("the storage engine found damaged data: {why}"))
        }
        // A read past the end of the file: it is shorter than the engine's
        // own records of it say.
        redb::Error::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Error::Corrupt(
            "the file ends before the data it records (it was truncated or damaged)".into(),
        ),
        other => Error::Storage(other.to_string()),
    }
}

/// Every table opened in one read transaction. Reads share the latest one
/// instead of opening a transaction per read; each commit replaces it.
struct Snapshot {
    tables: Vec<redb::ReadOnlyTable<&'static [u8], &'static [u8]>>,
    /// Tells this snapshot from every other taken in the process; later
    /// snapshots have greater numbers ([`Storage::generation`]).
    generation: u64,
}

/// The number of the next snapshot taken.
static NEXT_GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// The redb handle: writable, or read-only (which never writes the file).
enum Handle {
    Writable(redb::Database),
    ReadOnly(redb::ReadOnlyDatabase),
}

impl Handle {
    fn begin_read(&self) -> Result<redb::ReadTransaction> {
        match self {
            Handle::Writable(db) => db.begin_read(),
            Handle::ReadOnly(db) => db.begin_read(),
        }
        .map_err(redb_error)
    }
}

/// How a store directory's redb file is opened.
fn builder(cache_mib: usize) -> redb::Builder {
    let mut builder = redb::Database::builder();
    builder
        .set_cache_size(cache_bytes(cache_mib))
        .set_concurrency_mode(redb::ConcurrencyMode::MultiWriter);
    builder
}

pub struct RedbStorage {
    /// Declared before `db` so it is dropped first: its read transaction
    /// keeps the database file open, and a store closed and reopened in one
    /// process must find it closed.
    /// `None` while the store is idle ([`Storage::release`]): an open read
    /// transaction keeps the pages it sees from being reused by writers,
    /// in this process and (in redb's multi-process modes) in others.
    snapshot: std::sync::RwLock<Option<std::sync::Arc<Snapshot>>>,
    db: Handle,
    /// False for a scratch store, whose commits need not reach the disk.
    durable: bool,
    seal: Option<SealFile>,
    /// The store directory, where the writer lock lives; `None` for stores
    /// no other process can open (in memory, scratch).
    dir: Option<PathBuf>,
    /// The engine's file, named in reports of damage; `None` in memory.
    file: Option<PathBuf>,
    /// Tells cheaply whether anything committed since the last refresh;
    /// `None` in memory, where only this process writes.
    commits: Option<CommitWatch>,
}

/// The header of redb's file, where every commit lands: its first bytes
/// hold the two commit slots and which of them is current, so a commit by
/// any process changes them. Reading them is one `pread`, where a refresh
/// that opens a read transaction takes file locks and reads pages (a
/// quarter of a warm `get`, measured).
struct CommitWatch {
    file: std::fs::File,
    /// The header as it was read just before the last refresh that looked
    /// at the latest commit: the shared snapshot is at least that new.
    seen: std::sync::Mutex<Option<Header>>,
}

/// redb's header: magic, god byte and the two 128-byte commit slots
/// (`DB_HEADER_SIZE` in redb 4's `page_store/header.rs`).
const REDB_HEADER_BYTES: usize = 320;

type Header = [u8; REDB_HEADER_BYTES];

impl CommitWatch {
    /// `None` where the header cannot be read with one `pread`.
    #[cfg(unix)]
    fn open(file: &Path) -> Option<CommitWatch> {
        Some(CommitWatch {
            file: std::fs::File::open(file).ok()?,
            seen: std::sync::Mutex::new(None),
        })
    }

    /// The header now, or `None` when it cannot be read (then every
    /// refresh looks at the latest commit, as without a watch).
    #[cfg(unix)]
    fn header(&self) -> Option<Header> {
        use std::os::unix::fs::FileExt;
        let mut header = [0u8; REDB_HEADER_BYTES];
        self.file.read_exact_at(&mut header, 0).ok()?;
        Some(header)
    }

    #[cfg(not(unix))]
    fn open(_file: &Path) -> Option<CommitWatch> {
        None
    }

    #[cfg(not(unix))]
    fn header(&self) -> Option<Header> {
        None
    }

    fn unchanged(&self, header: &Option<Header>) -> bool {
        header.is_some() && *self.seen.lock().unwrap_or_else(|e| e.into_inner()) == *header
    }

    fn remember(&self, header: Option<Header>) {
        *self.seen.lock().unwrap_or_else(|e| e.into_inner()) = header;
    }
}

impl RedbStorage {
    /// Opens (creating if needed) the store directory `path`, with a page
    /// cache of `cache_mib` MiB, shared with other processes.
    pub fn open(path: &Path, cache_mib: usize) -> Result<RedbStorage> {
        std::fs::create_dir_all(path)?;
        let file = path.join(DATA_FILE);
        guarded(Some(&file), "opening", || {
            let db = builder(cache_mib)
                .create(path.join(DATA_FILE))
                .map_err(|e| open_error(e, path))?;
            RedbStorage::start(
                Handle::Writable(db),
                Some(SealFile(path.join(SEAL_FILE))),
                Some(path.to_path_buf()),
            )
        })
    }

    /// Opens the existing store directory `path` read-only: nothing is
    /// written to it, so it may be on a read-only mount. A file that a
    /// killed writer left needing repair is refused with
    /// [`Error::NeedsRepair`]; a writable open repairs it.
    pub fn open_read_only(path: &Path, cache_mib: usize) -> Result<RedbStorage> {
        let file = path.join(DATA_FILE);
        guarded(Some(&file), "opening", || {
            let db = builder(cache_mib)
                .open_read_only(path.join(DATA_FILE))
                .map_err(|e| match e {
                    redb::DatabaseError::RepairAborted => Error::NeedsRepair {
                        path: path.to_path_buf(),
                    },
                    other => open_error(other, path),
                })?;
            let db = Handle::ReadOnly(db);
            let snapshot = take_snapshot(&db)?;
            Ok(RedbStorage {
                snapshot: std::sync::RwLock::new(Some(std::sync::Arc::new(snapshot))),
                db,
                durable: true,
                seal: Some(SealFile(path.join(SEAL_FILE))),
                dir: Some(path.to_path_buf()),
                commits: CommitWatch::open(&file),
                file: Some(file.clone()),
            })
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
        guarded(Some(path), "creating", || {
            let db = redb::Database::builder()
                .set_cache_size(SCRATCH_CACHE_BYTES)
                .create(path)
                .map_err(redb_error)?;
            let mut storage = RedbStorage::start(Handle::Writable(db), None, None)?;
            storage.durable = false;
            storage.file = Some(path.to_path_buf());
            Ok(storage)
        })
    }

    /// A store in memory, through redb's in-memory backend: for tests.
    pub fn in_memory() -> Result<RedbStorage> {
        let db = redb::Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(redb_error)?;
        RedbStorage::start(Handle::Writable(db), None, None)
    }

    /// Creates the tables a store lacks (reads must find them all), under
    /// the writer lock of the store directory when there is one; a store
    /// that has them all is not written to. Then takes the first snapshot.
    fn start(db: Handle, seal: Option<SealFile>, dir: Option<PathBuf>) -> Result<RedbStorage> {
        let Handle::Writable(writable) = &db else {
            unreachable!("only writable handles are started")
        };
        let missing = {
            let txn = writable.begin_read().map_err(redb_error)?;
            Table::ALL
                .iter()
                .any(|t| txn.open_table(definition(*t)).is_err())
        };
        if missing {
            let _lock = match &dir {
                Some(dir) => Some(WriteLock::acquire(dir, crate::options::DEFAULT_LOCK_WAIT)?),
                None => None,
            };
            let txn = writable.begin_write().map_err(redb_error)?;
            for table in Table::ALL {
                txn.open_table(definition(table)).map_err(redb_error)?;
            }
            txn.commit().map_err(redb_error)?;
        }
        let snapshot = std::sync::RwLock::new(Some(std::sync::Arc::new(take_snapshot(&db)?)));
        let file = dir.as_ref().map(|d| d.join(DATA_FILE));
        Ok(RedbStorage {
            db,
            durable: true,
            snapshot,
            seal,
            commits: file.as_deref().and_then(CommitWatch::open),
            file,
            dir,
        })
    }

    /// A redb write transaction, durable unless this is a scratch store.
    fn begin_write(&self) -> Result<redb::WriteTransaction> {
        let Handle::Writable(db) = &self.db else {
            return Err(Error::ReadOnly);
        };
        let mut txn = db.begin_write().map_err(redb_error)?;
        if !self.durable {
            txn.set_durability(redb::Durability::None)
                .map_err(|e| Error::Storage(e.to_string()))?;
        }
        Ok(txn)
    }

    fn write_tables_unguarded(&self, batches: Vec<(Table, Batch)>) -> Result<()> {
        let txn = self.begin_write()?;
        for (table, batch) in batches {
            write_batch(&txn, table, batch)?;
        }
        txn.commit().map_err(redb_error)?;
        self.take_fresh_snapshot().map(|_| ())
    }

    /// Replaces the shared read transaction by one at the latest commit.
    ///
    /// The transaction begins while the lock on the shared one is held, so
    /// snapshots are replaced in the order they were taken: a thread that
    /// began a read before a commit never puts it back over the snapshot
    /// the committing thread took after it (readers would then see a log
    /// position whose projections the snapshot lacks).
    fn take_fresh_snapshot(&self) -> Result<std::sync::Arc<Snapshot>> {
        let mut shared = self.snapshot.write().unwrap_or_else(|e| e.into_inner());
        let fresh = std::sync::Arc::new(take_snapshot(&self.db)?);
        *shared = Some(fresh.clone());
        Ok(fresh)
    }

    /// Takes a fresh snapshot if another process committed since the shared
    /// one was taken. Every commit of a store writes its meta table (the
    /// head, the applied position), so comparing that small table is
    /// enough, and cheaper than opening every table anew; and when redb's
    /// header has not changed since the last such comparison, nothing has
    /// committed since and there is nothing to compare. An idle store has
    /// no snapshot to compare: its next read takes a fresh one.
    fn refresh_unguarded(&self) -> Result<()> {
        let Some(current) = self.shared_snapshot() else {
            return Ok(());
        };
        // Read before the latest commit is looked at, so that the header
        // remembered is never newer than the snapshot kept.
        let header = self.commits.as_ref().and_then(CommitWatch::header);
        if let Some(watch) = &self.commits {
            if watch.unchanged(&header) {
                return Ok(());
            }
        }
        self.compare_meta(current)?;
        if let Some(watch) = &self.commits {
            watch.remember(header);
        }
        Ok(())
    }

    /// Takes a fresh snapshot if the latest commit's meta table differs
    /// from `current`'s.
    fn compare_meta(&self, current: std::sync::Arc<Snapshot>) -> Result<()> {
        let latest = self.db.begin_read()?;
        let latest = latest
            .open_table(definition(Table::Meta))
            .map_err(redb_error)?;
        if !same_entries(&latest, &current.tables[Table::Meta as usize])? {
            self.take_fresh_snapshot()?;
        }
        Ok(())
    }

    fn shared_snapshot(&self) -> Option<std::sync::Arc<Snapshot>> {
        self.snapshot
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The shared snapshot, taken now if the store was idle.
    fn snapshot(&self) -> Result<std::sync::Arc<Snapshot>> {
        match self.shared_snapshot() {
            Some(snapshot) => Ok(snapshot),
            None => {
                let mut shared = self.snapshot.write().unwrap_or_else(|e| e.into_inner());
                if let Some(snapshot) = shared.as_ref() {
                    return Ok(snapshot.clone());
                }
                let fresh = std::sync::Arc::new(take_snapshot(&self.db)?);
                *shared = Some(fresh.clone());
                Ok(fresh)
            }
        }
    }
}

/// Applies one table's puts and removes inside `txn`.
fn write_batch(txn: &redb::WriteTransaction, table: Table, batch: Batch) -> Result<()> {
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
    Ok(())
}

/// One redb write transaction held open across many writes: redb keeps
/// its dirty pages within its cache and writes the rest to free space in
/// the file, so a transaction of any size needs bounded memory, and until
/// the commit none of it is reachable. Dropped uncommitted, it is aborted.
struct RedbTransaction<'a> {
    txn: redb::WriteTransaction,
    storage: &'a RedbStorage,
}

impl Transaction for RedbTransaction<'_> {
    fn write(&mut self, table: Table, batch: Batch) -> Result<()> {
        guarded(self.storage.file.as_deref(), "writing", || {
            write_batch(&self.txn, table, batch)
        })
    }

    fn get(&mut self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>> {
        guarded(self.storage.file.as_deref(), "reading", || {
            use redb::ReadableTable;
            let t = self.txn.open_table(definition(table)).map_err(redb_error)?;
            let value = t.get(key).map_err(redb_error)?;
            Ok(value.map(|v| v.value().to_vec()))
        })
    }

    /// An error means nothing was committed: a failure to take the next
    /// read snapshot after a durable commit is not one (the snapshot is
    /// dropped, and the next read takes a fresh one or reports why not),
    /// or a caller would retry a batch that is already in.
    fn commit(self: Box<Self>) -> Result<()> {
        let RedbTransaction { txn, storage } = *self;
        guarded(storage.file.as_deref(), "writing", || {
            txn.commit().map_err(redb_error)
        })?;
        if guarded(storage.file.as_deref(), "reading", || {
            storage.take_fresh_snapshot()
        })
        .is_err()
        {
            storage.release();
        }
        Ok(())
    }
}

fn take_snapshot(db: &Handle) -> Result<Snapshot> {
    let txn = db.begin_read()?;
    let tables = Table::ALL
        .iter()
        .map(|t| txn.open_table(definition(*t)).map_err(redb_error))
        .collect::<Result<Vec<_>>>()?;
    Ok(Snapshot {
        tables,
        generation: NEXT_GENERATION.fetch_add(1, std::sync::atomic::Ordering::AcqRel),
    })
}

/// Whether two versions of a (small) table hold the same entries.
fn same_entries(
    a: &redb::ReadOnlyTable<&'static [u8], &'static [u8]>,
    b: &redb::ReadOnlyTable<&'static [u8], &'static [u8]>,
) -> Result<bool> {
    use redb::ReadableTable;
    let mut a = a.iter().map_err(redb_error)?;
    let mut b = b.iter().map_err(redb_error)?;
    loop {
        match (a.next(), b.next()) {
            (None, None) => return Ok(true),
            (Some(x), Some(y)) => {
                let (xk, xv) = x.map_err(redb_error)?;
                let (yk, yv) = y.map_err(redb_error)?;
                if xk.value() != yk.value() || xv.value() != yv.value() {
                    return Ok(false);
                }
            }
            _ => return Ok(false),
        }
    }
}

impl Storage for RedbStorage {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>> {
        guarded(self.file.as_deref(), "reading", || {
            let snapshot = self.snapshot()?;
            let value = snapshot.tables[table as usize]
                .get(key)
                .map_err(redb_error)?;
            Ok(value.map(|v| v.value().to_vec()))
        })
    }

    fn scan(&self, table: Table, start: &[u8], end: Option<&[u8]>) -> Scan<'_> {
        let range = (
            Bound::Included(start),
            end.map_or(Bound::Unbounded, Bound::Excluded),
        );
        let opened = if end.is_some_and(|e| e <= start) {
            Ok(None)
        } else {
            guarded(self.file.as_deref(), "reading", || {
                self.snapshot()?.tables[table as usize]
                    .range::<&[u8]>(range)
                    .map(Some)
                    .map_err(redb_error)
            })
        };
        match opened {
            Ok(Some(iter)) => Box::new(GuardedScan {
                inner: iter.map(|r| {
                    r.map(|(k, v)| (k.value().to_vec(), v.value().to_vec()))
                        .map_err(redb_error)
                }),
                file: self.file.as_deref(),
                failed: false,
            }),
            Ok(None) => Box::new(std::iter::empty()),
            Err(e) => Box::new(std::iter::once(Err(e))),
        }
    }

    fn write(&self, table: Table, batch: Batch) -> Result<()> {
        self.write_tables(vec![(table, batch)])
    }

    fn write_tables(&self, batches: Vec<(Table, Batch)>) -> Result<()> {
        guarded(self.file.as_deref(), "writing", || {
            self.write_tables_unguarded(batches)
        })
    }

    /// Every commit is already durable.
    fn flush(&self) -> Result<()> {
        Ok(())
    }

    fn transaction(&self) -> Result<Option<Box<dyn Transaction + Send + '_>>> {
        let txn = guarded(self.file.as_deref(), "writing", || self.begin_write())?;
        Ok(Some(Box::new(RedbTransaction { txn, storage: self })))
    }

    fn write_seal(&self, seal: &[u8]) -> Result<()> {
        self.seal.as_ref().map_or(Ok(()), |f| f.write(seal))
    }

    fn read_seal(&self) -> Result<Option<Vec<u8>>> {
        self.seal.as_ref().map_or(Ok(None), SealFile::read)
    }

    fn keeps_seal(&self) -> bool {
        self.seal.is_some()
    }

    fn refresh(&self) -> Result<()> {
        guarded(self.file.as_deref(), "reading", || self.refresh_unguarded())
    }

    /// Every read goes to the shared snapshot, which a commit or a refresh
    /// replaces: the snapshot's number is the generation.
    fn generation(&self) -> Result<Option<u64>> {
        guarded(self.file.as_deref(), "reading", || {
            Ok(Some(self.snapshot()?.generation))
        })
    }

    fn release(&self) {
        self.snapshot
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .take();
    }

    fn lock_writer(&self, wait: LockWait) -> Result<Option<WriteLock>> {
        // A read-only handle may hold the lock too (verify does, to see a
        // still store); it only writes the lock file.
        match &self.dir {
            Some(dir) => WriteLock::acquire(dir, wait).map(Some),
            None => Ok(None),
        }
    }

    fn is_read_only(&self) -> bool {
        matches!(self.db, Handle::ReadOnly(_))
    }

    fn location(&self) -> Option<&Path> {
        self.file.as_deref()
    }
}

/// The error of an open that failed: another program holding the file
/// whole (an older annals, or redb's exclusive mode) is a held store.
fn open_error(e: redb::DatabaseError, path: &Path) -> Error {
    match e {
        redb::DatabaseError::DatabaseAlreadyOpen | redb::DatabaseError::LockProtocolMismatch => {
            Error::Locked {
                path: path.to_path_buf(),
                holder: "another program that opened it exclusively".into(),
                waited: std::time::Duration::ZERO,
            }
        }
        // An I/O error keeps its kind (a read-only file system, a missing
        // permission), so that callers can tell, and names the file.
        redb::DatabaseError::Storage(redb::StorageError::Io(e)) => Error::Io(std::io::Error::new(
            e.kind(),
            format!("{}: {e}", path.join(DATA_FILE).display()),
        )),
        other => match redb_error(other) {
            Error::Storage(why) => {
                Error::Storage(format!("{}: {why}", path.join(DATA_FILE).display()))
            }
            named => named,
        },
    }
}
