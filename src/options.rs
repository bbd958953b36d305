//! [`StoreOptions`]: how a store is opened — the engine of a new store, the
//! size of its page cache, whether a missing store may be created, whether
//! writes are refused, and how long a write waits for another process's.
//!
//! The library reads no environment variable of its own accord: the
//! command line builds its options with [`StoreOptions::from_env`], so that
//! `ANNALS_ENGINE` and `ANNALS_CACHE_MB` stay conveniences of the tool, and
//! a program that embeds the store says what it wants in code.

use crate::error::{Error, Result};
use crate::storage::{Engine, LockWait};
use crate::store::Store;
use std::path::Path;
use std::time::Duration;

/// How long a write waits for another process's before it is refused,
/// unless told otherwise: long enough for an import of a few million
/// events, short enough that a stuck writer is reported, not waited out.
pub(crate) const DEFAULT_LOCK_WAIT: LockWait = LockWait {
    timeout: Duration::from_secs(60),
    notice: None,
};

/// How to open a store. `StoreOptions::new()` is what [`Store::open`] uses:
/// redb for a new store, a 512 MiB page cache, create the store if the path
/// holds none, writes allowed, and a write that finds another process
/// writing waits up to 60 s for it.
///
/// A redb store is shared (SPEC §8): any number of processes read it while
/// one writes, and every statement answers from the latest commit of any of
/// them. A read-only opening writes nothing at all, so it also works on a
/// read-only mount.
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
#[derive(Debug, Clone)]
pub struct StoreOptions {
    engine: Engine,
    cache_mib: usize,
    create: bool,
    read_only: bool,
    lock_wait: LockWait,
    reseal: bool,
}

impl Default for StoreOptions {
    fn default() -> StoreOptions {
        StoreOptions {
            engine: Engine::Redb,
            cache_mib: 512,
            create: true,
            read_only: false,
            lock_wait: DEFAULT_LOCK_WAIT,
            reseal: false,
        }
    }
}

impl StoreOptions {
    pub fn new() -> StoreOptions {
        StoreOptions::default()
    }

    /// The defaults, with `$ANNALS_ENGINE` (`redb` or `sled`),
    /// `$ANNALS_CACHE_MB` and `$ANNALS_LOCK_TIMEOUT` (seconds) applied where
    /// they are set: what the command line uses.
    pub fn from_env() -> Result<StoreOptions> {
        let mut options = StoreOptions::new();
        match std::env::var("ANNALS_ENGINE").ok().as_deref() {
            None | Some("") => {}
            Some(name) => {
                options.engine = Engine::from_name(name)
                    .map_err(|e| Error::InvalidInput(format!("ANNALS_ENGINE: {e}")))?
            }
        }
        if let Ok(seconds) = std::env::var("ANNALS_LOCK_TIMEOUT") {
            let seconds: f64 = seconds
                .trim()
                .parse()
                .ok()
                .filter(|s: &f64| s.is_finite() && *s >= 0.0 && *s <= 86_400.0)
                .ok_or_else(|| {
                    Error::InvalidInput(format!(
                        "ANNALS_LOCK_TIMEOUT={seconds}: expected seconds, from 0 to 86400"
                    ))
                })?;
            options.lock_wait.timeout = Duration::from_secs_f64(seconds);
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

    /// The page cache in MiB: half of it redb's (told 7/10 of that, which
    /// its pages take in memory with their allocations; kept within 16 MiB
    /// and 64 GiB), half the readers' cache of the slot index's blocks.
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

    /// How long a write waits while another process writes before it is
    /// refused with [`Error::Locked`] (which names the holder).
    pub fn lock_timeout(mut self, timeout: Duration) -> StoreOptions {
        self.lock_wait.timeout = timeout;
        self
    }

    /// A function told once, with the holder's description, when a write
    /// starts waiting for another process (the command line prints it on
    /// a terminal).
    pub fn on_lock_wait(mut self, notice: fn(&str)) -> StoreOptions {
        self.lock_wait.notice = Some(notice);
        self
    }

    /// Whether a store whose seal file is missing (removed by hand) opens
    /// anyway, after its whole log is checked, and is sealed again at its
    /// head. Without it such a store is refused with [`Error::Corrupt`]: the
    /// seal is what shows that the engine lost no committed record.
    pub fn reseal(mut self, reseal: bool) -> StoreOptions {
        self.reseal = reseal;
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
        // The page cache is shared: half for the readers' blocks of the
        // slot index (`index/blocks.rs`), the rest for the engine's pages,
        // so that keeping blocks adds nothing to what the cache may take.
        // A block read is in both, so the engine's half loses little.
        let block_mib = self.cache_mib / 2;
        // redb counts the bytes of the pages it keeps; each takes about
        // 1.4 times that in memory (its buffer and reference count fall in
        // a larger class of the allocator, and the cache's map has an entry
        // for it: measured, 128 MiB more of redb's cache took 181 MiB more
        // resident), so it is given 7/10 of its half, and the cache set
        // bounds what the caches take.
        let engine_mib = (self.cache_mib - block_mib) * 7 / 10;
        let open = |read_only| -> Result<Store> {
            Store::with_storage_waiting(
                engine.open(path, engine_mib, read_only)?,
                self.lock_wait,
                self.reseal,
            )
            .map(|store| store.keeping_blocks(block_mib.saturating_mul(1 << 20)))
        };
        let store = if self.read_only {
            match open(true) {
                // A killed writer left the file for a writable open to
                // repair: make that repair (where the store may be
                // written), then read as asked.
                // (On a store that cannot be written, the need is reported.)
                Err(needs @ Error::NeedsRepair { .. }) => match open(false) {
                    Ok(repaired) => {
                        drop(repaired);
                        open(true)?
                    }
                    Err(_) => return Err(needs),
                },
                other => other?,
            }
        } else {
            open(false)?
        };
        Ok(if self.read_only {
            store.refusing_writes()
        } else {
            store
        })
    }
}
