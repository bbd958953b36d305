//! `verify`: proves that the store is what its log says it is.
//!
//! Three checks, each independent of the others:
//!
//! 1. the hash chain: every record decodes, its own hash matches its bytes,
//!    its `prev_hash` is the hash of the record before it, seqs run 1, 2, 3
//!    without gaps, and the last hash is the committed head;
//! 2. the projections: rebuilt from the log into memory, they must equal the
//!    stored ones entry for entry;
//! 3. the quotes: every quote of a claim or denial appears in the text of the
//!    source it cites (as revised at the head), with runs of whitespace
//!    compared as one space. Sources without a text are left to `lint`.

use crate::error::Result;
use crate::event::{Claim, Denial, Event};
use crate::index::IndexWrites;
use crate::log::{self, Hash};
use crate::storage::{MemoryStorage, Storage, Table};
use crate::store::Store;
use std::cell::Cell;
use std::collections::HashMap;
use std::path::Path;

/// What `verify` found.
#[derive(Debug, Default)]
pub struct Report {
    pub records: u64,
    pub quotes_checked: u64,
    pub problems: Vec<String>,
}

impl Report {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Runs every check, rebuilding the projections in memory (about 400 bytes
/// per event). Damage is reported as problems, not as an error; `Err` means
/// the storage itself could not be read.
///
/// A store that may be written holds still while it is verified: `verify`
/// takes the writer lock (waiting for a writer at work, as another writer
/// would) and finishes what a crashed writer left, so that the log and its
/// indexes are compared at one position.
pub fn verify(store: &Store) -> Result<Report> {
    let _still = store.hold_still()?;
    verify_against(store, &MemoryStorage::new())
}

/// Runs every check like [`verify`], rebuilding the projections in a scratch
/// file at `scratch` (created, and removed afterwards) instead of memory:
/// what the command line does, so that memory stays bounded at any size.
pub fn verify_with_scratch_file(store: &Store, scratch: &Path) -> Result<Report> {
    /// Removes the scratch file when dropped, after the storage using it
    /// (declared later, so dropped first), on success and on error alike.
    struct Removed<'a>(&'a Path);
    impl Drop for Removed<'_> {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(self.0);
        }
    }
    let _removed = Removed(scratch);
    let _still = store.hold_still()?;
    let projections = crate::storage::RedbStorage::scratch(scratch)?;
    verify_against(store, &projections)
}

/// Runs every check like [`verify_with_scratch_file`], with the scratch file
/// in the store directory `dir` (the same disk) under a name of this
/// process's own, so that verifies running at once never share one. A
/// scratch file that a killed verify left is removed first; a directory
/// that cannot be written (a read-only mount) sends the scratch file to
/// the system's temporary directory instead.
pub fn verify_beside(store: &Store, dir: &Path) -> Result<Report> {
    remove_abandoned_scratch_files(dir);
    let name = format!("{SCRATCH_PREFIX}{}.redb", std::process::id());
    let probe = dir.join(format!("{SCRATCH_PREFIX}{}.probe", std::process::id()));
    let writable = std::fs::File::create(&probe).is_ok();
    let _ = std::fs::remove_file(&probe);
    let scratch = if writable {
        dir.join(name)
    } else {
        std::env::temp_dir().join(format!("annals-{name}"))
    };
    verify_with_scratch_file(store, &scratch)
}

/// How scratch files of `verify` begin; the pid of their process follows.
const SCRATCH_PREFIX: &str = "verify-scratch-";

/// Removes scratch files of verifies that no longer run (killed; the name
/// of before per-process names too). Failures are ignored: a file left is
/// waste, not damage.
fn remove_abandoned_scratch_files(dir: &Path) {
    let _ = std::fs::remove_file(dir.join("verify-scratch.redb"));
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(SCRATCH_PREFIX))
            .and_then(|n| n.strip_suffix(".redb"))
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        if !process_is_alive(pid) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(unix)]
fn process_is_alive(pid: i32) -> bool {
    // SAFETY: kill(2) with signal 0 only checks that the process exists.
    let answer = unsafe { libc::kill(pid, 0) };
    answer == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(not(unix))]
fn process_is_alive(_pid: i32) -> bool {
    true
}

fn verify_against(store: &Store, projections: &dyn Storage) -> Result<Report> {
    let mut report = Report::default();
    let head = store.position();
    let storage = store.storage();
    let rebuilt = Rebuilt {
        log: storage,
        projections,
    };
    let mut chunk: Vec<crate::log::Record> = Vec::new();
    let mut prev: Option<Hash> = Some([0; 32]);
    let mut expected_seq = 1;
    let mut after_damage = false;
    let mut source_texts: HashMap<String, Option<String>> = HashMap::new();
    let mut quotes: Vec<(String, String, String)> = Vec::new();
    for entry in storage.scan(Table::Log, &log::key(1), Some(&log::key(head + 1))) {
        let (key, value) = entry?;
        // A block holds the records from its key on (log/block.rs), and is
        // checked whole: damage anywhere in it refuses all its records.
        let envelopes = match log::entry_envelopes(&key, &value) {
            Ok(envelopes) => envelopes,
            Err(e) => {
                report.problems.push(e.to_string());
                prev = None;
                // How many records it held is unknown: the next entry's
                // first seq is taken as it comes.
                after_damage = true;
                continue;
            }
        };
        for envelope in envelopes {
            let seq = envelope.record.seq;
            // A block may go on past the position verified (its indexes
            // stopped inside it): those records are not walked here.
            if seq > head {
                break;
            }
            if seq != expected_seq && !after_damage {
                report.problems.push(format!(
                    "log record {expected_seq} is missing (the next one is {seq})"
                ));
                prev = None;
            }
            after_damage = false;
            expected_seq = seq + 1;
            report.records += 1;
            if let Some(p) = prev {
                if envelope.prev_hash != p {
                    report.problems.push(format!(
                        "log record {seq}: its prev_hash does not match the hash of record {}",
                        seq - 1
                    ));
                }
            }
            prev = Some(envelope.hash);
            match &envelope.record.event {
                Event::Source(s) => {
                    source_texts.insert(s.id.clone(), s.text.clone());
                }
                Event::Assert(Claim {
                    id,
                    source,
                    quote: Some(quote),
                    ..
                })
                | Event::Deny(Denial {
                    id,
                    source,
                    quote: Some(quote),
                    ..
                }) => {
                    quotes.push((
                        id.clone().unwrap_or_default(),
                        source.clone(),
                        quote.clone(),
                    ));
                }
                _ => {}
            }
            chunk.push(envelope.record);
            if chunk.len() == REBUILD_CHUNK {
                rebuild(&rebuilt, &mut chunk)?;
            }
        }
    }
    rebuild(&rebuilt, &mut chunk)?;
    if expected_seq != head + 1 && !after_damage {
        report.problems.push(format!(
            "the log ends at record {} but its head is {head}",
            expected_seq - 1
        ));
    }
    // Indexes that a writer left unfinished (it was killed between the
    // commit and the last index write) hold entries past the position:
    // not damage, but not verifiable until a writer finishes them.
    match store.unfinished()? {
        Some((first, last)) => report.problems.push(format!(
            "the log holds records {first}..{last} that the indexes have not finished applying (a writer was interrupted); any writable opening of the store finishes them (e.g. `annals repl`, or an import), then verify again"
        )),
        None => {
            compare_projections(storage, projections, &mut report)?;
            report
                .problems
                .extend(crate::index::header_problems(storage)?);
        }
    }
    for (event, source, quote) in quotes {
        if let Some(Some(text)) = source_texts.get(&source) {
            report.quotes_checked += 1;
            if !normalize(text).contains(&normalize(&quote)) {
                report.problems.push(format!(
                    "event {event}: its quote is not in the text of source '{source}': '{quote}'"
                ));
            }
        }
    }
    Ok(report)
}

/// Records applied per step of the rebuild, as the store applies them.
const REBUILD_CHUNK: usize = 50_000;

/// Applies a chunk of records to the rebuilt projections and empties it.
fn rebuild(rebuilt: &Rebuilt<'_>, chunk: &mut Vec<crate::log::Record>) -> Result<()> {
    IndexWrites::build(rebuilt, chunk)?.write(rebuilt)?;
    crate::index::compact(rebuilt)?;
    chunk.clear();
    Ok(())
}

/// Projections rebuilt over the store's own log: reads of the log go to the
/// store, everything else to the rebuild's own storage.
struct Rebuilt<'a> {
    log: &'a dyn Storage,
    projections: &'a dyn Storage,
}

impl Storage for Rebuilt<'_> {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>> {
        match table {
            Table::Log => self.log.get(table, key),
            _ => self.projections.get(table, key),
        }
    }

    fn scan(&self, table: Table, start: &[u8], end: Option<&[u8]>) -> crate::storage::Scan<'_> {
        match table {
            Table::Log => self.log.scan(table, start, end),
            _ => self.projections.scan(table, start, end),
        }
    }

    fn write(&self, table: Table, batch: crate::storage::Batch) -> Result<()> {
        self.projections.write(table, batch)
    }

    fn write_tables(&self, batches: Vec<(Table, crate::storage::Batch)>) -> Result<()> {
        self.projections.write_tables(batches)
    }

    fn flush(&self) -> Result<()> {
        Ok(())
    }

    /// Merges of the rebuilt slot index's runs touch only its own tables.
    fn transaction(&self) -> Result<Option<Box<dyn crate::storage::Transaction + Send + '_>>> {
        self.projections.transaction()
    }
}

/// Collapses every run of whitespace to one space, for quote matching.
pub fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

type Entries<'a> = Box<dyn Iterator<Item = Result<crate::storage::Entry>> + 'a>;

/// The slot index's claims, each with its denials and retractions as
/// readers find them, wherever the batches kept them (`index/carried.rs`),
/// counting into `denial_rows` the rows of denials of the `targets` table
/// that a claim explains (`index::claim_as_read`).
fn claims_as_read<'a>(storage: &'a dyn Storage, denial_rows: &'a Cell<u64>) -> Result<Entries<'a>> {
    Ok(Box::new(crate::index::every_claim(storage)?.map(
        move |claim| {
            claim.and_then(|claim| crate::index::claim_as_read(storage, claim, denial_rows))
        },
    )))
}

/// The rows of denials of the `targets` table. (A row that cannot be
/// decoded is counted with the retractions, which [`retraction_rows`]
/// compares: there it differs, and is reported.)
fn denial_rows(storage: &dyn Storage) -> Result<u64> {
    let mut count = 0;
    for row in storage.scan(Table::Targets, b"", None) {
        let (_, value) = row?;
        if !crate::index::is_compared_target_row(&value).unwrap_or(true) {
            count += 1;
        }
    }
    Ok(count)
}

/// The rows of the `targets` table compared row by row: the retractions.
/// The denials are compared with the claims they deny ([`claims_as_read`]).
fn retraction_rows(storage: &dyn Storage) -> Entries<'_> {
    Box::new(
        storage
            .scan(Table::Targets, b"", None)
            .filter(|row| match row {
                // A row that cannot be decoded is compared, and differs.
                Ok((_, value)) => crate::index::is_compared_target_row(value).unwrap_or(true),
                Err(_) => true,
            }),
    )
}

/// Walks each projection table of the store and of the rebuild side by side,
/// in key order, so that neither is held whole. The slot index is compared
/// claim by claim: how its claims are split into runs and blocks depends on
/// the batches that wrote them (`index/runs.rs`), not on the log.
fn compare_projections(
    stored: &dyn Storage,
    rebuilt: &dyn Storage,
    report: &mut Report,
) -> Result<()> {
    // The rows of denials each side's claims explain, once they are read.
    let (stored_led, rebuilt_led) = (Cell::new(0), Cell::new(0));
    let mut claims_agree = false;
    for &table in Table::PROJECTIONS {
        let (mut actual, wanted): (Entries<'_>, Entries<'_>) = if table == Table::Claims {
            (
                claims_as_read(stored, &stored_led)?,
                claims_as_read(rebuilt, &rebuilt_led)?,
            )
        } else if table == Table::Targets {
            (retraction_rows(stored), retraction_rows(rebuilt))
        } else {
            (
                Box::new(stored.scan(table, b"", None)),
                Box::new(rebuilt.scan(table, b"", None)),
            )
        };
        let mut index = 0u64;
        let mut reported = false;
        for want in wanted {
            let want = want?;
            match actual.next().transpose()? {
                Some(got) if got == want => index += 1,
                Some(_) | None => {
                    report.problems.push(format!(
                        "projection '{}' disagrees with the log at its entry {index} (re-import an export to rebuild it)",
                        table.name()
                    ));
                    reported = true;
                    break;
                }
            }
        }
        if !reported && actual.next().is_some() {
            report.problems.push(format!(
                "projection '{}' has entries the log does not explain",
                table.name()
            ));
            reported = true;
        }
        if table == Table::Claims {
            claims_agree = !reported;
        }
    }
    // Rows of denials that no claim explains change no answer, but the log
    // does not explain them either (the rebuild has such rows only for
    // targets without an index entry, as the store should).
    if claims_agree {
        let unread = |storage: &dyn Storage, led: &Cell<u64>| -> Result<u64> {
            Ok(denial_rows(storage)?.saturating_sub(led.get()))
        };
        if unread(stored, &stored_led)? != unread(rebuilt, &rebuilt_led)? {
            report.problems.push(
                "projection 'targets' has denials that no claim leads to, which the log does not explain"
                    .into(),
            );
        }
    }
    Ok(())
}
