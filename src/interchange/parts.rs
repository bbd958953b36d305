//! An import file read, parsed and appended a part at a time, so that a
//! file of any length is one atomic batch in bounded memory.
//!
//! The store asks for the next part only once it has written the one before
//! (`store::BatchParts`); a part is [`PART_LINES`] lines, read from any
//! `BufRead` and parsed on two threads. A refusal names the line of the file
//! as a whole-file import does: the store names an event of the current
//! part, whose line numbers are kept until the next part is read.
//!
//! Every part after the first is parsed on a thread of its own
//! ([`Parsing`]), so that while the store validates and writes a part the
//! next one is already being parsed: parsing is the largest share of an
//! import's CPU, and the store's work on a part leaves a core idle part of
//! the time (validation runs on one thread). The file itself is read on the
//! caller's thread, since a reader such as standard input's lock may not
//! move to another.

use super::{at_line, parse_part, warning_at, Progress};
use crate::error::{Error, Result};
use crate::event::Event;
use crate::store::{Appended, BatchParts, Store};
use std::io::BufRead;
use std::sync::atomic::Ordering;

/// Lines per part: large enough that its two parsing threads and the
/// store's two building threads have work, small enough that the four
/// parts in flight (one being parsed, one checked and built, one waiting,
/// one being written) stay within a few tens of MiB. (50,000 lines cost 48 MiB more at the peak of a 2M
/// import, and were no faster.)
pub const PART_LINES: usize = 20_000;

/// An import file being read a part at a time.
struct FileParts<'a, R> {
    name: &'a str,
    reader: R,
    progress: &'a Progress,
    /// Lines of the file read so far, and events in parts before this one.
    lines_read: usize,
    events_before: usize,
    /// The current part's line of each event, and its events whose lines
    /// carry an export's `seq` and `hash`.
    lines: Vec<usize>,
    exported: Vec<usize>,
    warnings: Vec<(usize, String)>,
    buffer: Vec<u8>,
    /// The next part, being parsed meanwhile.
    next: Option<Parsing>,
}

/// A part being parsed on a thread of its own, counting into a progress of
/// its own, added to the import's when the part is taken; or, for the first
/// part, already parsed.
struct Parsing {
    parsed: Parsed,
    lines: usize,
}

enum Parsed {
    Meanwhile(std::thread::JoinHandle<(Result<super::ParsedFile>, Progress)>),
    Already(Result<super::ParsedFile>, Progress),
}

impl Parsing {
    /// Parses `bytes`, lines `lines_before + 1..` of file `name`, on a new
    /// thread, or on this one if `here`.
    ///
    /// The first part has nothing to overlap with (its caller waits for it
    /// at once), so it is parsed here, without a thread's start and with
    /// this thread's memory, which earlier imports left warm: 1,000 files
    /// of 1,000 events imported in one process took 3 % less CPU (three
    /// alternating runs, 15.1 against 14.6 s).
    fn start(name: &str, bytes: Vec<u8>, lines_before: usize, here: bool) -> Result<Parsing> {
        let lines = bytes.iter().filter(|b| **b == b'\n').count();
        if here {
            let progress = Progress::default();
            let parsed = parse_part(name, &bytes, lines_before, &progress);
            return Ok(Parsing {
                parsed: Parsed::Already(parsed, progress),
                lines,
            });
        }
        let name = name.to_string();
        let thread = std::thread::Builder::new()
            .name("annals-parse".into())
            .spawn(move || {
                let progress = Progress::default();
                let parsed = parse_part(&name, &bytes, lines_before, &progress);
                (parsed, progress)
            })
            .map_err(|e| {
                Error::Storage(format!("cannot start a thread to parse the import: {e}"))
            })?;
        Ok(Parsing {
            parsed: Parsed::Meanwhile(thread),
            lines,
        })
    }

    /// The parsed part, its progress added to `progress`.
    fn finish(self, progress: &Progress) -> Result<super::ParsedFile> {
        let (parsed, counted) = match self.parsed {
            Parsed::Meanwhile(thread) => thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Parsed::Already(parsed, counted) => (parsed, counted),
        };
        progress
            .bytes
            .fetch_add(counted.bytes.load(Ordering::Relaxed), Ordering::Relaxed);
        progress
            .events
            .fetch_add(counted.events.load(Ordering::Relaxed), Ordering::Relaxed);
        parsed
    }
}

impl<R: BufRead> FileParts<'_, R> {
    /// Reads the next part's lines into `buffer`; false at the end of the
    /// file.
    fn read_part(&mut self) -> Result<bool> {
        self.buffer.clear();
        let mut lines = 0;
        while lines < PART_LINES {
            let read = self
                .reader
                .read_until(b'\n', &mut self.buffer)
                .map_err(|e| Error::InvalidInput(format!("{}: cannot read: {e}", self.name)))?;
            if read == 0 {
                break;
            }
            lines += 1;
        }
        Ok(lines > 0)
    }

    /// Reads the next part and starts parsing it on a thread of its own (or
    /// parses it on this one, if `here`); false at the end of the file.
    fn start_next(&mut self, here: bool) -> Result<bool> {
        if !self.read_part()? {
            return Ok(false);
        }
        let mut bytes = std::mem::take(&mut self.buffer);
        // A byte-order mark (editors on some systems write one) is not
        // part of the first line.
        if self.lines_read == 0 && bytes.starts_with(b"\xEF\xBB\xBF") {
            bytes.drain(..3);
        }
        let parsing = Parsing::start(self.name, bytes, self.lines_read, here)?;
        self.lines_read += parsing.lines;
        self.next = Some(parsing);
        Ok(true)
    }
}

impl<R: BufRead> BatchParts for FileParts<'_, R> {
    fn next_part(&mut self) -> Option<Result<Vec<Event>>> {
        self.events_before += self.lines.len();
        // The first part, or the end: nothing is being parsed yet.
        if self.next.is_none() {
            match self.start_next(true) {
                Ok(true) => {}
                Ok(false) => {
                    self.progress.writing.store(true, Ordering::Relaxed);
                    return None;
                }
                Err(e) => return Some(Err(e)),
            }
        }
        let parsing = self.next.take()?;
        let parsed = match parsing.finish(self.progress) {
            Ok(parsed) => parsed,
            Err(e) => return Some(Err(e)),
        };
        // The part after it, parsed while the store works on this one.
        if let Err(e) = self.start_next(false) {
            return Some(Err(e));
        }
        self.lines = parsed.lines;
        self.exported = parsed.exported;
        Some(Ok(parsed.events))
    }

    fn grandfathered(&self, index: usize) -> bool {
        self.exported.binary_search(&index).is_ok()
    }

    fn warn(&mut self, index: usize, message: String) {
        let warning = warning_at(self.name, &self.lines, index, &message);
        self.warnings.push((self.events_before + index, warning));
    }
}

/// Reads an import file from `reader` and appends it as one batch, a part
/// at a time, counting into `progress`. Nothing is written unless every
/// line parses and the store accepts every event; an error names the file,
/// the line and the field.
pub fn import_reader(
    store: &Store,
    name: &str,
    reader: impl BufRead,
    progress: &Progress,
) -> Result<Appended> {
    let mut parts = FileParts {
        name,
        reader,
        progress,
        lines_read: 0,
        events_before: 0,
        lines: Vec::new(),
        exported: Vec::new(),
        warnings: Vec::new(),
        buffer: Vec::new(),
        next: None,
    };
    // A refusal names an event of the part read last.
    let mut appended = store
        .append_parts(&mut parts)
        .map_err(|e| at_line(name, &parts.lines, e))?;
    appended.warnings = parts.warnings;
    Ok(appended)
}
