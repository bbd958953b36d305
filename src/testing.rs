//! What the project's own tests, fuzz targets and benchmarks reach beneath
//! the curated API: the storage engines and their tables (to damage a store
//! on purpose, or read an index table directly), the write protocol's crash
//! points, and resolution's pure functions (for the naive-model test).
//! Hidden from the documentation and outside the API's promises.

use crate::error::Result;
use crate::store::Store;
use std::path::Path;
use std::sync::Arc;

pub use crate::resolve::{rank, resolve, timeline, Candidate, Resolution};
pub use crate::storage::{scan_prefix, Batch, RedbStorage, SledStorage, Storage, Table};
pub use crate::store::{CRASH_POINTS, MERGE_CRASH_POINT, STEPWISE_CRASH_POINTS};

/// The engine underneath a store, writable: for tests that damage it.
pub fn storage_of(store: &Store) -> &dyn Storage {
    store.storage()
}

/// Opens the storage of the store directory `path` without opening the
/// store (no replay, no checks): the engine that made it, else redb.
pub fn open_storage(path: &Path) -> Result<Arc<dyn Storage>> {
    let engine = crate::Engine::of_existing(path).unwrap_or(crate::Engine::Redb);
    engine.open(path, 64, false)
}

/// A store on storage a test built itself.
pub fn store_on(storage: Arc<dyn Storage>) -> Result<Store> {
    Store::with_storage(storage)
}

/// Holds the writer lock of the store directory `dir` until dropped, as a
/// writing process does, without writing: for tests of a second writer.
pub fn hold_write_lock(dir: &Path) -> Result<impl Drop> {
    crate::storage::WriteLock::acquire(dir, crate::storage::LockWait::NEVER)
}

/// The log table entry that holds record `seq` (a block holds the
/// records after its key, see `log/block.rs`): for tests that damage it.
pub fn log_entry_holding(storage: &dyn Storage, seq: u64) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
    crate::log::entry_holding(storage, seq)
}

/// Record `seq` as annals stored every record before blocks: alone, with
/// both its hashes (its body encoded again, which for a record of today's
/// format gives the bytes it was hashed from). For tests of stores written
/// before blocks.
pub fn log_record_alone(storage: &dyn Storage, seq: u64) -> Result<Vec<u8>> {
    let envelope = crate::log::read_envelope(storage, seq)?;
    let (bytes, hash) = crate::log::encode(&envelope.record, &envelope.prev_hash);
    assert_eq!(hash, envelope.hash, "record {seq} is of today's format");
    Ok(bytes)
}
