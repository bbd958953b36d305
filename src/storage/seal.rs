//! The seal: the committed head, kept in a small file beside the engine's
//! own files, so that an engine that recovers its files to an earlier state
//! is caught at open (`store.rs`, `check_seal`).
//!
//! ```text
//! seal:       seq u64 BE | hash of record seq (32 bytes) | CRC-32 of the 40 bytes before
//! seal file:  slot 0 (a seal, 44 bytes) | slot 1 (a seal, 44 bytes)
//! older files: one seal of 44 bytes, or 40 bytes without the CRC
//! ```
//!
//! A new seal overwrites, in place, the slot that holds the older one (or
//! a damaged one), and is synced with `fdatasync`: the file keeps its size
//! and its blocks, so the sync writes one block and no metadata. The other
//! slot keeps the seal before, whole, so a write torn by a crash leaves a
//! slot whose CRC fails beside the previous seal, a seal behind the head,
//! which opening accepts as it accepts the one a crash between a commit
//! and its seal leaves. Replacing the whole file instead (written aside,
//! synced, renamed over: a new inode's `fsync` and a rename) took 0.42–0.49
//! ms a seal alone on this project's machine, against 0.12 ms in place, and
//! about a millisecond a batch inside an import of 1,000 small files; it is
//! still how a seal file is created, and how one of an older layout is
//! replaced the first time a store that has one is sealed.
//!
//! Reading takes the valid slot with the greater seq. A file whose two
//! slots are both damaged reads as its first slot, whose CRC then fails
//! the store's check, which reports the seal file as damaged. One damaged
//! slot cannot be told from a torn write and is read past: the other slot
//! holds the last seal or the one before it.
//!
//! Architecture Invariant: a seal is only ever written under the store's
//! writer lock (by an append, or by `verify --reseal`), so two processes
//! never choose a slot at once.

use crate::error::Result;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

/// The name of the seal file inside a store's directory.
pub(crate) const SEAL_FILE: &str = "annals.seal";

/// The length of one seal: seq, hash, CRC.
const SEAL_LEN: usize = 44;

/// A seal file: two slots of a seal each (see the module's docs).
pub(crate) struct SealFile(pub PathBuf);

impl SealFile {
    /// Makes `seal` the file's newest, durably: in place in the slot of the
    /// older seal where the file has two slots, else by writing the whole
    /// file anew.
    pub fn write(&self, seal: &[u8]) -> Result<()> {
        if let Some(mut file) = self.slot_file()? {
            let mut slots = [0u8; 2 * SEAL_LEN];
            file.read_exact(&mut slots)?;
            if let Some(slot) = slot_to_overwrite(&slots, seal) {
                file.seek(SeekFrom::Start((slot * SEAL_LEN) as u64))?;
                file.write_all(seal)?;
                file.sync_data()?;
                return Ok(());
            }
        }
        self.replace(&[seal, seal].concat())
    }

    /// The seal file opened for an overwrite in place, if it exists with
    /// the two-slot layout's length.
    fn slot_file(&self) -> Result<Option<std::fs::File>> {
        let file = match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&self.0)
        {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        if file.metadata()?.len() != (2 * SEAL_LEN) as u64 {
            return Ok(None);
        }
        Ok(Some(file))
    }

    /// Replaces the whole file: written aside, synced, renamed over. The
    /// directory is synced only when the seal is created: a replacement
    /// whose rename a crash loses leaves the file before it, whole (its
    /// bytes were synced before the rename), which holds a seal behind the
    /// head. A first seal lost that way would read as a seal removed.
    fn replace(&self, bytes: &[u8]) -> Result<()> {
        let temporary = self.0.with_extension("seal-new");
        let replacing = self.0.exists();
        {
            let mut file = std::fs::File::create(&temporary)?;
            file.write_all(bytes)?;
            file.sync_all()?;
        }
        std::fs::rename(&temporary, &self.0)?;
        if !replacing {
            if let Some(dir) = self.0.parent() {
                std::fs::File::open(dir)?.sync_all()?;
            }
        }
        Ok(())
    }

    /// The newest seal the file holds (see the module's docs), or the
    /// file's bytes as they are where it has an older layout; `None` if
    /// there is no seal file.
    pub fn read(&self) -> Result<Option<Vec<u8>>> {
        match std::fs::read(&self.0) {
            Ok(bytes) if bytes.len() == 2 * SEAL_LEN => Ok(Some(newest_seal(&bytes).to_vec())),
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

/// The seal of a head whose 40 bytes (seq, hash) are `head`: them, then a
/// CRC-32 of them, so that damage to the seal file is told apart from
/// damage to the log.
pub(crate) fn seal_of(head: &[u8]) -> Vec<u8> {
    let mut seal = head.to_vec();
    seal.extend_from_slice(&crc32fast::hash(head).to_be_bytes());
    seal
}

/// The head's 40 bytes that `seal` holds if it is whole: a seal whose CRC
/// holds, or one of 40 bytes, written before seals had a CRC.
pub(crate) fn sealed_head(seal: &[u8]) -> Option<&[u8]> {
    match seal.len() {
        40 => Some(seal),
        SEAL_LEN if crc32fast::hash(&seal[..40]).to_be_bytes() == seal[40..] => Some(&seal[..40]),
        _ => None,
    }
}

/// The seq of a seal of a slot, whole with its CRC.
fn valid_seq(seal: &[u8]) -> Option<u64> {
    let head = sealed_head(seal).filter(|_| seal.len() == SEAL_LEN)?;
    Some(u64::from_be_bytes(head[..8].try_into().ok()?))
}

/// Of the two slots, the valid one with the greater seq (the second on a
/// tie), and its seq; `None` if neither is valid.
fn newest_slot(slots: &[u8]) -> Option<(usize, u64)> {
    let (first, second) = slots.split_at(SEAL_LEN);
    match (valid_seq(first), valid_seq(second)) {
        (Some(a), Some(b)) if a > b => Some((0, a)),
        (_, Some(b)) => Some((1, b)),
        (Some(a), None) => Some((0, a)),
        (None, None) => None,
    }
}

/// The newest seal of the two slots; the first slot if neither is valid
/// (its CRC then fails where it is checked).
fn newest_seal(slots: &[u8]) -> &[u8] {
    let slot = newest_slot(slots).map_or(0, |(slot, _)| slot);
    &slots[slot * SEAL_LEN..(slot + 1) * SEAL_LEN]
}

/// The slot that `seal` may overwrite: the one other than the newest (a
/// damaged one, or the older). `None` when `seal` is not a seal, when no
/// slot is valid, or when it would not be the newest (a seal moving back is
/// written as a whole file, so that no older slot outlives it).
fn slot_to_overwrite(slots: &[u8], seal: &[u8]) -> Option<usize> {
    let new = valid_seq(seal)?;
    let (newest, seq) = newest_slot(slots)?;
    (new >= seq).then_some(1 - newest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seal(seq: u64) -> Vec<u8> {
        let mut head = seq.to_be_bytes().to_vec();
        head.extend_from_slice(&[seq as u8; 32]);
        seal_of(&head)
    }

    fn file() -> (tempfile::TempDir, SealFile) {
        let dir = tempfile::tempdir().unwrap();
        let file = SealFile(dir.path().join(SEAL_FILE));
        (dir, file)
    }

    #[test]
    fn seals_alternate_between_the_slots_and_the_newest_is_read() {
        let (_dir, file) = file();
        assert_eq!(file.read().unwrap(), None);
        file.write(&seal(1)).unwrap();
        assert_eq!(std::fs::read(&file.0).unwrap(), [seal(1), seal(1)].concat());
        file.write(&seal(5)).unwrap();
        assert_eq!(std::fs::read(&file.0).unwrap(), [seal(5), seal(1)].concat());
        file.write(&seal(9)).unwrap();
        assert_eq!(std::fs::read(&file.0).unwrap(), [seal(5), seal(9)].concat());
        assert_eq!(file.read().unwrap(), Some(seal(9)));
        file.write(&seal(12)).unwrap();
        assert_eq!(
            std::fs::read(&file.0).unwrap(),
            [seal(12), seal(9)].concat()
        );
        assert_eq!(file.read().unwrap(), Some(seal(12)));
    }

    #[test]
    fn a_torn_slot_is_read_past_and_written_over_next() {
        let (_dir, file) = file();
        file.write(&seal(3)).unwrap();
        file.write(&seal(7)).unwrap();
        // A crash tore the write of seal 8 into slot 1 (which held 3).
        let mut bytes = std::fs::read(&file.0).unwrap();
        bytes[SEAL_LEN + 20] ^= 0x40;
        std::fs::write(&file.0, &bytes).unwrap();
        assert_eq!(file.read().unwrap(), Some(seal(7)), "the seal before");
        file.write(&seal(8)).unwrap();
        assert_eq!(std::fs::read(&file.0).unwrap(), [seal(7), seal(8)].concat());
    }

    #[test]
    fn a_file_whose_slots_are_both_damaged_reads_as_damaged() {
        let (_dir, file) = file();
        file.write(&seal(3)).unwrap();
        let mut bytes = std::fs::read(&file.0).unwrap();
        bytes[20] ^= 1;
        bytes[SEAL_LEN + 20] ^= 1;
        std::fs::write(&file.0, &bytes).unwrap();
        let read = file.read().unwrap().unwrap();
        assert_eq!(read, bytes[..SEAL_LEN], "the first slot, as it is");
        assert_eq!(valid_seq(&read), None);
        // Sealing again replaces the whole file.
        file.write(&seal(4)).unwrap();
        assert_eq!(std::fs::read(&file.0).unwrap(), [seal(4), seal(4)].concat());
    }

    #[test]
    fn an_older_seal_file_is_read_as_it_is_and_replaced_at_the_next_seal() {
        let (_dir, file) = file();
        std::fs::write(&file.0, seal(6)).unwrap();
        assert_eq!(file.read().unwrap(), Some(seal(6)));
        file.write(&seal(7)).unwrap();
        assert_eq!(std::fs::read(&file.0).unwrap(), [seal(7), seal(7)].concat());
    }

    #[test]
    fn a_seal_behind_the_newest_replaces_the_whole_file() {
        let (_dir, file) = file();
        file.write(&seal(3)).unwrap();
        file.write(&seal(9)).unwrap();
        file.write(&seal(4)).unwrap();
        assert_eq!(std::fs::read(&file.0).unwrap(), [seal(4), seal(4)].concat());
        assert_eq!(file.read().unwrap(), Some(seal(4)));
    }
}
