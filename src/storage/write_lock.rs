//! The writer lock of a shared store: one process writes at a time, any
//! number read (SPEC §8 "Sharing a store").
//!
//! redb (in its multi-writer mode) lets several processes open one file and
//! serialises their write *transactions*, but an append is several
//! transactions (log, head, projections, applied position; see `store.rs`).
//! This lock serialises whole appends between processes: an `flock` on the
//! file `annals.lock` in the store directory, taken when an append begins
//! and released when it ends. An idle process holds nothing, so a REPL left
//! open never blocks another process's import.
//!
//! The holder writes who it is (pid and program) into the file, so that a
//! writer that gives up can say whom it waited for. The text is only ever
//! advice: the lock itself is the `flock`, which the OS releases when the
//! holder dies, so a killed writer never leaves the store locked.

use crate::error::{Error, Result};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The lock file inside a store directory.
pub const LOCK_FILE: &str = "annals.lock";

/// How a writer waits for the lock held by another process.
#[derive(Debug, Clone, Copy)]
pub struct LockWait {
    /// How long to wait before refusing with [`Error::Locked`].
    pub timeout: Duration,
    /// Called once, with the holder's description, when the lock is found
    /// held and waiting begins (the command line prints it on a terminal).
    pub notice: Option<fn(&str)>,
}

impl LockWait {
    /// Not waiting at all: refuse at once if another process writes.
    pub const NEVER: LockWait = LockWait {
        timeout: Duration::ZERO,
        notice: None,
    };
}

/// The lock, held until dropped.
#[derive(Debug)]
pub struct WriteLock {
    file: std::fs::File,
}

impl WriteLock {
    /// Takes the lock of the store directory `dir`, waiting as `wait` says.
    ///
    /// A refusal names the holder as the holder described itself. The wait
    /// polls with a growing pause (at most 100 ms), so a writer that
    /// finishes is followed within about that.
    pub fn acquire(dir: &Path, wait: LockWait) -> Result<WriteLock> {
        let path = dir.join(LOCK_FILE);
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::Io(with_path(e, &path)))?;
        // A timeout too long to add is a wait without end.
        let deadline = Instant::now().checked_add(wait.timeout);
        let mut pause = Duration::from_millis(2);
        let mut noticed = false;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) => {
                    let now = Instant::now();
                    if deadline.is_some_and(|d| now >= d) {
                        return Err(Error::Locked {
                            path: dir.to_path_buf(),
                            holder: holder(&mut file),
                            waited: wait.timeout,
                        });
                    }
                    if !noticed {
                        noticed = true;
                        if let Some(notice) = wait.notice {
                            notice(&holder(&mut file));
                        }
                    }
                    let left = deadline.map_or(pause, |d| d.saturating_duration_since(now));
                    std::thread::sleep(pause.min(left));
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(Error::Io(with_path(e, &path)));
                }
            }
        }
        // Advice for whoever waits next; the lock does not depend on it.
        let me = format!(
            "pid {} ({})",
            std::process::id(),
            std::env::args()
                .next()
                .map(PathBuf::from)
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_else(|| "a program".into())
        );
        let _ = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(me.as_bytes()));
        Ok(WriteLock { file })
    }
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        // Closing the file would release the lock too; unlocking first
        // releases it even while a child process spawned meanwhile still
        // holds a copy of the descriptor.
        let _ = self.file.unlock();
    }
}

/// What the holder wrote about itself, cut short and printable.
fn holder(file: &mut std::fs::File) -> String {
    let mut text = String::new();
    let read = file
        .rewind()
        .and_then(|()| file.take(200).read_to_string(&mut text));
    let text: String = text.chars().filter(|c| !c.is_control()).collect();
    match read {
        Ok(_) if !text.trim().is_empty() => format!("another process, {}", text.trim()),
        _ => "another process".into(),
    }
}

fn with_path(e: std::io::Error, path: &Path) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_naming_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let first = WriteLock::acquire(dir.path(), LockWait::NEVER).unwrap();
        // flock locks belong to the open file, so a second open in this
        // process contends exactly as another process would.
        match WriteLock::acquire(dir.path(), LockWait::NEVER) {
            Err(Error::Locked { holder, .. }) => {
                assert!(
                    holder.contains(&format!("pid {}", std::process::id())),
                    "{holder}"
                )
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        drop(first);
        WriteLock::acquire(dir.path(), LockWait::NEVER).expect("released on drop");
    }

    #[test]
    fn a_waiting_writer_says_so_once_and_gets_the_lock_when_it_is_released() {
        static NOTICES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        fn count(_: &str) {
            NOTICES.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        let dir = tempfile::tempdir().unwrap();
        let first = WriteLock::acquire(dir.path(), LockWait::NEVER).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let path = dir.path().to_path_buf();
        let waiter = std::thread::spawn(move || {
            let wait = LockWait {
                // A hang guard only: the release below ends the wait.
                timeout: Duration::from_secs(60),
                notice: Some(count),
            };
            let lock = WriteLock::acquire(&path, wait);
            tx.send(()).unwrap();
            lock.map(|_| ())
        });
        // The waiter has said it waits before the lock is released.
        while NOTICES.load(std::sync::atomic::Ordering::SeqCst) == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(rx.try_recv().is_err(), "the waiter got a held lock");
        drop(first);
        waiter.join().unwrap().unwrap();
        assert_eq!(NOTICES.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
