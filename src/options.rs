//! [`StoreOptions`]: how a store is opened — the engine of a new store, the
//! size of its page cache, whether a missing store may be created, and
//! whether writes are refused.
//!
//! The library reads no environment variable of its own accord: the
//! command line builds its options with [`StoreOptions::from_env`], so that
//! `ANNALS_ENGINE` and `ANNALS_CACHE_MB` stay conveniences of the tool, and
//! a program that embeds the store says what it wants in code.

use crate::error::{Error, Result};
use crate::storage::Engine;
use crate::store::Store;
use std::path::Path;

/// How to open a store. `StoreOptions::new()` is what [`Store::open`] uses:
/// redb for a new store, a 512 MiB page cache, create the store if the path
/// holds none, writes allowed.
///
/// ```
/// use annals::{Engine, StoreOptions};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("archive");
/// // A missing store is an error unless creating it is allowed.
/// assert!(StoreOptions::new().create(false).open(&path).is_err());
/// let store = StoreOptions::new().engine(Engine::Redb).cache_mib(64).open(&path)?;
/// assert_eq!(store.position(), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOptions {
    engine: Engine,
    cache_mib: usize,
    create: bool,
    read_only: bool,
}

impl Default for StoreOptions {
    fn default() -> StoreOptions {
        StoreOptions {
            engine: Engine::Redb,
            cache_mib: 512,
            create: true,
            read_only: false,
        }
    }
}

impl StoreOptions {
    pub fn new() -> StoreOptions {
        StoreOptions::default()
    }

    /// The defaults, with `$ANNALS_ENGINE` (`redb` or `sled`) and
    /// `$ANNALS_CACHE_MB` applied where they are set: what the command line
    /// uses.
    pub fn from_env() -> Result<StoreOptions> {
        let mut options = StoreOptions::new();
        match std::env::var("ANNALS_ENGINE").ok().as_deref() {
            None | Some("") => {}
            Some(name) => {
                options.engine = Engine::from_name(name)
                    .map_err(|e| Error::InvalidInput(format!("ANNALS_ENGINE: {e}")))?
            }
        }
        if let Ok(mib) = std::env::var("ANNALS_CACHE_MB") {
            options.cache_mib = mib.trim().parse().map_err(|_| {
                Error::InvalidInput(format!(
                    "ANNALS_CACHE_MB={mib}: expected a whole number of MiB"
                ))
            })?;
        }
        Ok(options)
    }

    /// The engine of a store this opening creates. An existing store always
    /// opens with the engine that made it.
    pub fn engine(mut self, engine: Engine) -> StoreOptions {
        self.engine = engine;
        self
    }

    /// The page cache in MiB (redb; kept within 16 MiB and 64 GiB).
    pub fn cache_mib(mut self, mib: usize) -> StoreOptions {
        self.cache_mib = mib;
        self
    }

    /// Whether a path that holds no store gets a new, empty one (the
    /// default) or is refused with [`Error::NoStore`].
    pub fn create(mut self, create: bool) -> StoreOptions {
        self.create = create;
        self
    }

    /// Whether writes are refused with [`Error::ReadOnly`]. A read-only
    /// opening never creates a store.
    pub fn read_only(mut self, read_only: bool) -> StoreOptions {
        self.read_only = read_only;
        self
    }

    /// Opens the store at `path` with these options.
    pub fn open(&self, path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref();
        let engine = match Engine::of_existing(path) {
            Some(engine) => engine,
            None if self.create && !self.read_only => self.engine,
            None => {
                return Err(Error::NoStore {
                    path: path.to_path_buf(),
                })
            }
        };
        let store = Store::with_storage(engine.open(path, self.cache_mib)?)?;
        Ok(if self.read_only {
            store.refusing_writes()
        } else {
            store
        })
    }
}
