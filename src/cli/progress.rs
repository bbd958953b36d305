//! The import's progress bar (SPEC §8): on a terminal, bytes parsed, events
//! per second, then the write of the one atomic batch. Off a terminal an
//! import prints only its result line.

use annals::interchange::{self, Progress};
use annals::{Appended, Result, Store};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Imports one file (`size` bytes long, where known) as one batch, read a
/// part at a time, with a progress bar on stderr when it is a terminal.
pub fn import(
    store: &Store,
    name: &str,
    reader: impl std::io::BufRead,
    size: Option<u64>,
) -> Result<Appended> {
    let progress = Progress::default();
    if !std::io::stderr().is_terminal() {
        return interchange::import_reader(store, name, reader, &progress);
    }
    let bar = match size {
        Some(size) => ProgressBar::new(size),
        None => ProgressBar::no_length(),
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {elapsed})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let done = AtomicBool::new(false);
    let started = Instant::now();
    let result = std::thread::scope(|scope| {
        scope.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                let events = progress.events.load(Ordering::Relaxed);
                bar.set_position(progress.bytes.load(Ordering::Relaxed));
                let seconds = started.elapsed().as_secs_f64().max(1e-3);
                bar.set_message(if progress.writing.load(Ordering::Relaxed) {
                    format!("{name}: writing {events} events as one batch")
                } else {
                    format!(
                        "{name}: {events} events ({:.0} events/s)",
                        events as f64 / seconds
                    )
                });
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        let result = interchange::import_reader(store, name, reader, &progress);
        done.store(true, Ordering::Relaxed);
        result
    });
    bar.finish_and_clear();
    result
}
