//! A checksum on every projection entry, kept by a layer over any engine.
//!
//! The engines check little of what they read: redb verifies its page
//! checksums only when it repairs a file, and a flipped bit in a leaf can
//! change a key or a value that a read then returns as if it were stored.
//! The log needs nothing more (each record carries its hash, and readers
//! check the chain), but the projections that answer questions do: a
//! damaged entry of the series table, say, would silently drop a subject
//! from `subjects` or a series from `*.*`.
//!
//! So every value of a projection table is stored with a CRC-32 of the
//! table's name, the key and the value appended, and every read checks it.
//! A damaged entry is refused as [`Error::Corrupt`] naming the table, never
//! answered. (For the slot index this also covers the flag byte that says
//! a claim is denied or retracted.) The log and its meta table pass through
//! unchanged.
//!
//! A flipped bit in a key can also hide an entry: the engine keeps keys in
//! the order they were written and does not re-check it, so a key moved
//! past the end of a scan stops the scan early, before entries that are
//! still in range, or mislead the search for a scan's start. Each scan
//! therefore also reads and checks the entries just outside its range on
//! both sides, and checks that keys rise strictly and stay inside the range
//! asked for.
//!
//! Architecture invariant: the checksum is invisible above this layer —
//! the index writes and reads plain values, and `verify` compares them.

use super::{Batch, Entry, LockWait, Scan, Storage, Table, Transaction, WriteLock};
use crate::error::{Error, Result};

/// The storage every store works through: `inner` with checksummed
/// projection entries.
pub struct Checksummed<S: ?Sized> {
    inner: std::sync::Arc<S>,
}

impl<S: Storage + ?Sized> Checksummed<S> {
    pub fn new(inner: std::sync::Arc<S>) -> Checksummed<S> {
        Checksummed { inner }
    }

    fn checked_scan(
        &self,
        table: Table,
        start: &[u8],
        end: Option<&[u8]>,
        check_start: bool,
    ) -> Scan<'_> {
        if !is_checked(table) {
            return self.inner.scan(table, start, end);
        }
        if end.is_some_and(|end| end <= start) {
            return Box::new(std::iter::empty());
        }
        Box::new(CheckedScan {
            storage: self.inner.as_ref(),
            table,
            start: start.to_vec(),
            end: end.map(<[u8]>::to_vec),
            inner: None,
            check_start,
            last: None,
            done: false,
        })
    }
}

/// Whether `table`'s entries carry this layer's checksum.
fn is_checked(table: Table) -> bool {
    !matches!(table, Table::Log | Table::Meta)
}

fn checksum(table: Table, key: &[u8], value: &[u8]) -> [u8; 4] {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(table.name().as_bytes());
    hasher.update(&(key.len() as u64).to_le_bytes());
    hasher.update(key);
    hasher.update(value);
    hasher.finalize().to_le_bytes()
}

/// `value` with its checksum appended.
fn seal(table: Table, key: &[u8], mut value: Vec<u8>) -> Vec<u8> {
    let sum = checksum(table, key, &value);
    value.extend_from_slice(&sum);
    value
}

/// The value stored as `stored` under `key`, its checksum checked and cut.
fn open(table: Table, key: &[u8], mut stored: Vec<u8>) -> Result<Vec<u8>> {
    let damaged = || {
        Error::Corrupt(format!(
            "an entry of the '{}' index is damaged (its checksum does not match); \
             `annals verify` reports the store's state",
            table.name()
        ))
    };
    let Some(split) = stored.len().checked_sub(4) else {
        return Err(damaged());
    };
    if stored[split..] != checksum(table, key, &stored[..split]) {
        return Err(damaged());
    }
    stored.truncate(split);
    Ok(stored)
}

/// `e` naming the file it is about, for damage found in it.
fn named(location: Option<&std::path::Path>, e: Error) -> Error {
    match (e, location) {
        (Error::Corrupt(why), Some(file)) if !why.contains(&*file.to_string_lossy()) => {
            Error::Corrupt(format!("{}: {why}", file.display()))
        }
        (other, _) => other,
    }
}

fn out_of_order(table: Table) -> Error {
    Error::Corrupt(format!(
        "the '{}' index is damaged: its keys are out of order \
         (`annals verify` reports the store's state)",
        table.name()
    ))
}

fn seal_batch(table: Table, batch: Batch) -> Batch {
    if !is_checked(table) {
        return batch;
    }
    batch
        .into_iter()
        .map(|(key, value)| {
            let value = value.map(|v| seal(table, &key, v));
            (key, value)
        })
        .collect()
}

/// Which way a [`CheckedScan`] reads: fixed by its first step.
enum Direction {
    Forward,
    Backward,
}

/// A scan of a checksummed table that checks every entry it reads, that
/// keys rise (or fall) strictly, and one entry beyond its bound: the engine
/// is asked for an open-ended range and the scan stops itself, so that an
/// entry whose damaged key ended the range early is read and refused.
struct CheckedScan<'a, S: ?Sized> {
    storage: &'a S,
    table: Table,
    start: Vec<u8>,
    end: Option<Vec<u8>>,
    inner: Option<(Direction, Scan<'a>)>,
    /// Whether to read the entry before the start (see `check_neighbour`);
    /// `false` only for a caller that checks the same thing another way.
    check_start: bool,
    /// The last key returned, to check the order of the next.
    last: Option<Vec<u8>>,
    done: bool,
}

impl<S: Storage + ?Sized> CheckedScan<'_, S> {
    /// Checks the entry just outside the range on the side a scan starts
    /// from (before the start, going forward). A key that damage moved
    /// can mislead the engine's search for the start past entries still in
    /// range; the search then lands beside the moved key, which this reads
    /// and refuses.
    fn check_neighbour(&self, forward: bool) -> Result<()> {
        let neighbour = if forward {
            self.storage
                .scan(self.table, b"", Some(&self.start))
                .next_back()
        } else {
            match &self.end {
                Some(end) => self.storage.scan(self.table, end, None).next(),
                None => None,
            }
        };
        let Some(entry) = neighbour else {
            return Ok(());
        };
        let (key, value) = entry?;
        open(self.table, &key, value)?;
        let outside = if forward {
            key < self.start
        } else {
            self.end.as_ref().is_some_and(|end| key >= *end)
        };
        if outside {
            Ok(())
        } else {
            Err(out_of_order(self.table))
        }
    }

    fn step(&mut self, forward: bool) -> Option<Result<Entry>> {
        if self.done {
            return None;
        }
        if self.inner.is_none() && (self.check_start || !forward) {
            if let Err(e) = self.check_neighbour(forward) {
                self.done = true;
                return Some(Err(named(self.storage.location(), e)));
            }
        }
        let (direction, inner) = self.inner.get_or_insert_with(|| {
            if forward {
                let scan = self.storage.scan(self.table, &self.start, None);
                (Direction::Forward, scan)
            } else {
                let scan = self.storage.scan(self.table, b"", self.end.as_deref());
                (Direction::Backward, scan)
            }
        });
        if matches!(direction, Direction::Forward) != forward {
            self.done = true;
            return Some(Err(Error::Storage(
                "a checked scan was read from both ends; it reads one way".into(),
            )));
        }
        let next = if forward {
            inner.next()
        } else {
            inner.next_back()
        };
        let result = match next {
            None => None,
            Some(Err(e)) => Some(Err(e)),
            Some(Ok((key, value))) => {
                // Keys rise strictly, and never lie before the start (after
                // the end, going back): a damaged branch can send the
                // engine's seek into the wrong leaf.
                let in_order = if forward {
                    key >= self.start && self.last.as_ref().is_none_or(|last| key > *last)
                } else {
                    self.end.as_ref().is_none_or(|end| key < *end)
                        && self.last.as_ref().is_none_or(|last| key < *last)
                };
                let entry = open(self.table, &key, value).and_then(|value| {
                    if in_order {
                        Ok((key, value))
                    } else {
                        Err(out_of_order(self.table))
                    }
                });
                match entry {
                    // The entry beyond the bound, checked and not returned.
                    Ok((key, _))
                        if (forward && self.end.as_ref().is_some_and(|end| key >= *end))
                            || (!forward && key < self.start) =>
                    {
                        None
                    }
                    Ok((key, value)) => {
                        self.last = Some(key.clone());
                        Some(Ok((key, value)))
                    }
                    Err(e) => Some(Err(e)),
                }
            }
        };
        if !matches!(result, Some(Ok(_))) {
            self.done = true;
        }
        result.map(|r| r.map_err(|e| named(self.storage.location(), e)))
    }
}

impl<S: Storage + ?Sized> Iterator for CheckedScan<'_, S> {
    type Item = Result<Entry>;
    fn next(&mut self) -> Option<Result<Entry>> {
        self.step(true)
    }
}

impl<S: Storage + ?Sized> DoubleEndedIterator for CheckedScan<'_, S> {
    fn next_back(&mut self) -> Option<Result<Entry>> {
        self.step(false)
    }
}

/// A value read from `table` under `key`: checked and cut where the table
/// carries checksums, an error naming `location` where it is damaged.
fn open_read(
    table: Table,
    key: &[u8],
    stored: Option<Vec<u8>>,
    location: Option<&std::path::Path>,
) -> Result<Option<Vec<u8>>> {
    match stored {
        Some(stored) if is_checked(table) => open(table, key, stored)
            .map(Some)
            .map_err(|e| named(location, e)),
        other => Ok(other),
    }
}

/// A transaction whose projection entries are sealed and checked as the
/// store's own are.
struct CheckedTransaction<'a> {
    inner: Box<dyn Transaction + Send + 'a>,
    location: Option<&'a std::path::Path>,
}

impl Transaction for CheckedTransaction<'_> {
    fn write(&mut self, table: Table, batch: Batch) -> Result<()> {
        self.inner.write(table, seal_batch(table, batch))
    }

    fn get(&mut self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let stored = self.inner.get(table, key)?;
        open_read(table, key, stored, self.location)
    }

    fn commit(self: Box<Self>) -> Result<()> {
        self.inner.commit()
    }
}

impl<S: Storage + ?Sized> Storage for Checksummed<S> {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>> {
        open_read(
            table,
            key,
            self.inner.get(table, key)?,
            self.inner.location(),
        )
    }

    fn scan(&self, table: Table, start: &[u8], end: Option<&[u8]>) -> Scan<'_> {
        self.checked_scan(table, start, end, true)
    }

    fn generation(&self) -> Result<Option<u64>> {
        self.inner.generation()
    }

    fn scan_without_start_check(&self, table: Table, start: &[u8], end: Option<&[u8]>) -> Scan<'_> {
        self.checked_scan(table, start, end, false)
    }

    fn write(&self, table: Table, batch: Batch) -> Result<()> {
        self.inner.write(table, seal_batch(table, batch))
    }

    fn write_tables(&self, batches: Vec<(Table, Batch)>) -> Result<()> {
        self.inner.write_tables(
            batches
                .into_iter()
                .map(|(table, batch)| (table, seal_batch(table, batch)))
                .collect(),
        )
    }

    fn flush(&self) -> Result<()> {
        self.inner.flush()
    }

    fn transaction(&self) -> Result<Option<Box<dyn Transaction + Send + '_>>> {
        let location = self.inner.location();
        Ok(self.inner.transaction()?.map(|inner| {
            Box::new(CheckedTransaction { inner, location }) as Box<dyn Transaction + Send + '_>
        }))
    }

    fn size_on_disk(&self) -> u64 {
        self.inner.size_on_disk()
    }

    fn write_seal(&self, seal: &[u8]) -> Result<()> {
        self.inner.write_seal(seal)
    }

    fn read_seal(&self) -> Result<Option<Vec<u8>>> {
        self.inner.read_seal()
    }

    fn keeps_seal(&self) -> bool {
        self.inner.keeps_seal()
    }

    fn refresh(&self) -> Result<()> {
        self.inner.refresh()
    }

    fn release(&self) {
        self.inner.release()
    }

    fn lock_writer(&self, wait: LockWait) -> Result<Option<WriteLock>> {
        self.inner.lock_writer(wait)
    }

    fn is_read_only(&self) -> bool {
        self.inner.is_read_only()
    }

    fn location(&self) -> Option<&std::path::Path> {
        self.inner.location()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemoryStorage;
    use std::sync::Arc;

    #[test]
    fn a_value_reads_back_as_written_and_is_stored_with_its_checksum() {
        let inner = Arc::new(MemoryStorage::new());
        let checked = Checksummed::new(inner.clone());
        checked
            .write(Table::Series, vec![(b"k".to_vec(), Some(b"v".to_vec()))])
            .unwrap();
        assert_eq!(
            checked.get(Table::Series, b"k").unwrap(),
            Some(b"v".to_vec())
        );
        assert_eq!(inner.get(Table::Series, b"k").unwrap().unwrap().len(), 5);
        let scanned: Vec<Entry> = checked
            .scan(Table::Series, b"", None)
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(scanned, vec![(b"k".to_vec(), b"v".to_vec())]);
    }

    #[test]
    fn every_flipped_bit_of_a_key_or_value_is_refused() {
        let inner = Arc::new(MemoryStorage::new());
        let checked = Checksummed::new(inner.clone());
        checked
            .write(Table::Ids, vec![(b"key".to_vec(), Some(b"value".to_vec()))])
            .unwrap();
        let stored = inner.get(Table::Ids, b"key").unwrap().unwrap();
        for bit in 0..stored.len() * 8 {
            let mut damaged = stored.clone();
            damaged[bit / 8] ^= 1 << (bit % 8);
            assert!(
                open(Table::Ids, b"key", damaged).is_err(),
                "value bit {bit}"
            );
        }
        for bit in 0..24 {
            let mut key = b"key".to_vec();
            key[bit / 8] ^= 1 << (bit % 8);
            assert!(
                open(Table::Ids, &key, stored.clone()).is_err(),
                "key bit {bit}"
            );
        }
        // An entry moved to another table is refused there too.
        assert!(open(Table::Sources, b"key", stored).is_err());
    }

    #[test]
    fn the_log_and_meta_pass_through_unchanged() {
        let inner = Arc::new(MemoryStorage::new());
        let checked = Checksummed::new(inner.clone());
        for table in [Table::Log, Table::Meta] {
            checked
                .write(table, vec![(b"k".to_vec(), Some(b"v".to_vec()))])
                .unwrap();
            assert_eq!(inner.get(table, b"k").unwrap(), Some(b"v".to_vec()));
        }
    }
}
