//! The sled engine: one sled tree per table. sled batches are atomic per
//! tree only; the store's write protocol does not need more.

use super::{Batch, Scan, SealFile, Storage, Table, SEAL_FILE};
use crate::error::{Error, Result};
use std::ops::Bound;
use std::path::Path;

/// The sled engine: one sled tree per table.
pub struct SledStorage {
    db: sled::Db,
    trees: Vec<sled::Tree>,
    /// The seal file; `None` for a temporary store.
    seal: Option<SealFile>,
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
        storage.seal = Some(SealFile(path.join(SEAL_FILE)));
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
                    holder: "another process (a sled store is opened by one process at a time)"
                        .into(),
                    waited: std::time::Duration::ZERO,
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
        self.seal.as_ref().map_or(Ok(()), |f| f.write(seal))
    }

    fn read_seal(&self) -> Result<Option<Vec<u8>>> {
        self.seal.as_ref().map_or(Ok(None), SealFile::read)
    }

    fn keeps_seal(&self) -> bool {
        self.seal.is_some()
    }
}
