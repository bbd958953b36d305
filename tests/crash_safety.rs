//! Crash safety (SPEC §6, §11). A batch is durable when its import reports
//! success, and a crash at any moment leaves each batch either whole or
//! absent, never half-written; on the next open, projections that a crash
//! left behind are replayed from the log and agree with it.
//!
//! Two tests guard this. The first runs the real binary importing several
//! files and kills it with SIGKILL at a random moment, over and over on one
//! store, so later rounds also crash on top of recovered state. After each
//! kill it reopens the store and checks every file of every round so far: a
//! file the binary reported as imported is whole; any other is whole or
//! absent; `verify` (hash chain, projections rebuilt from the log and
//! compared) passes. The second makes the binary abort at each named step of
//! the write protocol in turn (`store.rs`'s module doc), so every crash point
//! is reached on purpose and its outcome is known exactly.
//!
//! Nothing here assumes how fast the machine is. The random kills are drawn
//! over the *measured* duration of an un-killed import of the same shape,
//! measured again whenever a kill finds the import already finished, and the
//! test goes on until enough kills have landed while the import ran, rather
//! than hoping a fixed delay lands often enough.

mod common;
use annals::synthetic::Rng;
use annals::testing::{scan_prefix, Table};
use annals::{verify, Store};
use common::Scratch;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills that must land while the import runs (process still alive).
const KILLS_MID_IMPORT: usize = 40;
/// A bound that only a broken machine reaches: with delays drawn over the
/// measured duration, most kills land mid-import.
const MAX_ROUNDS: usize = 400;
/// An un-killed import of one round is grown until it takes at least this
/// long, so that a delay drawn over it spreads kills across the batches
/// rather than only over process start-up.
const MIN_IMPORT: Duration = Duration::from_millis(100);
/// A fresh store every so many rounds keeps each `verify` small; within a
/// store, every round still crashes on top of the previous rounds' recovery.
const ROUNDS_PER_STORE: usize = 12;
const FILES_PER_ROUND: usize = 3;

const SETUP: &[u8] = br#"{"op":"define","attribute":"price","kind":"state","unit":"USD"}
{"op":"source","id":"src","title":"t","publisher":"p","published":"2011"}"#;

/// One round's files: `events` claims each, with ids `r<round>-f<file>-<n>`.
struct Round {
    number: usize,
    paths: Vec<PathBuf>,
    events: usize,
}

impl Round {
    fn write(scratch: &Scratch, number: usize, events: usize, rng: &mut Rng) -> Round {
        let paths = (0..FILES_PER_ROUND)
            .map(|file| {
                let mut out = String::new();
                for n in 0..events {
                    let day = 1 + rng.next_u64() % 28;
                    out.push_str(&format!(
                        "{{\"op\":\"assert\",\"id\":\"r{number}-f{file}-{n}\",\"subject\":\"s{}\",\"attribute\":\"price\",\"valid\":\"2011-02-{day:02}\",\"value\":\"{} USD\",\"source\":\"src\"}}\n",
                        n % 7,
                        rng.next_u64() % 1000
                    ));
                }
                scratch.file(&format!("r{number}-f{file}.jsonl"), out.as_bytes())
            })
            .collect();
        Round {
            number,
            paths,
            events,
        }
    }

    fn spawn(&self, scratch: &Scratch, engine: &str, crash_at: Option<&str>) -> Child {
        let mut command = Command::new(env!("CARGO_BIN_EXE_annals"));
        command
            .arg("--db")
            .arg(scratch.db())
            .arg("import")
            .args(&self.paths)
            .env("ANNALS_ENGINE", engine)
            .env_remove("ANNALS_DB")
            .env_remove("ANNALS_TEST_CRASH_AT")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(step) = crash_at {
            command.env("ANNALS_TEST_CRASH_AT", step);
        }
        command.spawn().expect("spawn annals import")
    }

    /// Which files the binary said it imported, from its stderr.
    fn reported(&self, stderr: &str) -> Vec<bool> {
        self.paths
            .iter()
            .map(|p| stderr.contains(&format!("{}: imported {} events", p.display(), self.events)))
            .collect()
    }

    /// How many events of `file` the store holds.
    fn count(&self, store: &Store, file: usize) -> usize {
        let prefix = format!("r{}-f{file}-", self.number);
        scan_prefix(
            annals::testing::storage_of(store),
            Table::Ids,
            prefix.as_bytes(),
        )
        .count()
    }
}

/// Waits for the child and returns its stderr and whether it succeeded.
fn finish(mut child: Child) -> (String, bool) {
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    let status = child.wait().expect("wait for annals import");
    (stderr, status.success())
}

/// One store and every round imported into it, with what was reported.
struct TestStore {
    scratch: Scratch,
    engine: &'static str,
    rounds: Vec<(Round, Vec<bool>)>,
}

impl TestStore {
    fn new(engine: &'static str) -> TestStore {
        let scratch = Scratch::new();
        let setup = scratch.file("setup.jsonl", SETUP);
        let run = scratch.run_with_engine(&["import", setup.to_str().unwrap()], engine);
        assert_eq!(run.code, 0, "{}", run.stderr);
        TestStore {
            scratch,
            engine,
            rounds: Vec::new(),
        }
    }

    /// Imports `round` without killing it and returns how long it took.
    fn timed_import(&mut self, round: Round) -> Duration {
        let started = Instant::now();
        let (stderr, ok) = finish(round.spawn(&self.scratch, self.engine, None));
        let took = started.elapsed();
        assert!(ok, "an un-killed import failed: {stderr}");
        let reported = round.reported(&stderr);
        assert!(
            reported.iter().all(|r| *r),
            "not every file was reported: {stderr}"
        );
        self.rounds.push((round, reported));
        took
    }

    /// Imports `round`, kills it after `delay`, and says whether the kill
    /// landed while the import was still running.
    fn killed_import(&mut self, round: Round, delay: Duration) -> bool {
        let mut child = round.spawn(&self.scratch, self.engine, None);
        std::thread::sleep(delay);
        let mid_import = child.try_wait().expect("poll the import").is_none();
        // SIGKILL: no destructor, no flush, no chance to clean up.
        let _ = child.kill();
        let (stderr, _) = finish(child);
        let reported = round.reported(&stderr);
        self.rounds.push((round, reported));
        mid_import
    }

    /// Reopens the store and checks every file of every round so far.
    fn check(&self) {
        let latest = self.rounds.last().map_or(0, |(r, _)| r.number);
        let store = Store::open(self.scratch.db())
            .unwrap_or_else(|e| panic!("round {latest}: the store does not reopen: {e}"));
        for (round, reported) in &self.rounds {
            for (file, was_reported) in reported.iter().enumerate() {
                let n = round.count(&store, file);
                let name = format!("r{}-f{file}", round.number);
                assert!(
                    n == 0 || n == round.events,
                    "round {latest}: file {name} is half there ({n} of {} events)",
                    round.events
                );
                if *was_reported {
                    assert_eq!(
                        n, round.events,
                        "round {latest}: file {name} was reported imported but is missing"
                    );
                }
            }
        }
        let report = verify::verify(&store).unwrap();
        assert!(
            report.is_ok(),
            "round {latest}: verify found {:?}",
            report.problems
        );
    }

    fn verify_with_the_binary(&self) {
        let whole = self.scratch.run(&["verify"]);
        assert_eq!(whole.code, 0, "{}{}", whole.stdout, whole.stderr);
    }
}

#[test]
fn a_killed_import_on_redb_leaves_every_file_whole_or_absent_and_the_store_verifiable() {
    killed_imports("redb");
}

/// sled 0.34 fails this: after some SIGKILLs (one round in about fifty
/// here) it cannot recover its own files ("Read corrupted data at file
/// offset None"). The store then refuses to open, as it should, but the data
/// is lost. That is why redb is the default engine; run this by hand with
/// `cargo test --test crash_safety -- --ignored` to see it.
#[test]
#[ignore = "sled 0.34 does not always recover from SIGKILL; see the doc comment"]
fn a_killed_import_on_sled_leaves_every_file_whole_or_absent_and_the_store_verifiable() {
    killed_imports("sled");
}

fn killed_imports(engine: &'static str) {
    let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
    let mut store = TestStore::new(engine);
    let mut round_number = 0;
    let mut next_round = |store: &TestStore, events: usize, rng: &mut Rng| {
        round_number += 1;
        Round::write(&store.scratch, round_number, events, rng)
    };

    // Grow the files until an un-killed import takes long enough to aim at.
    let mut events = 400;
    let mut duration = store.timed_import(next_round(&store, events, &mut rng));
    while duration < MIN_IMPORT && events < 100_000 {
        events *= 2;
        duration = store.timed_import(next_round(&store, events, &mut rng));
    }
    store.check();

    let mut landed = 0;
    let mut missed = 0;
    let mut rounds_in_store = 0;
    for _ in 0..MAX_ROUNDS {
        if landed == KILLS_MID_IMPORT {
            break;
        }
        if rounds_in_store == ROUNDS_PER_STORE {
            store.verify_with_the_binary();
            store = TestStore::new(engine);
            rounds_in_store = 0;
        }
        // Uniform over 1.2 times the measured duration: most kills land
        // inside the import, some just after it, where a finished import
        // must survive whole.
        let micros = duration.as_micros() as u64 * 6 / 5;
        let delay = Duration::from_micros(rng.next_u64() % micros.max(1));
        if store.killed_import(next_round(&store, events, &mut rng), delay) {
            landed += 1;
        } else {
            // The import finished before the kill: the machine is faster
            // than measured. Measure again, with an un-killed round.
            missed += 1;
            duration = store.timed_import(next_round(&store, events, &mut rng));
        }
        store.check();
        rounds_in_store += 1;
    }
    eprintln!(
        "{engine}: {landed} kills landed mid-import, {missed} after it; files of {events} events; \
         last measured import {} ms",
        duration.as_millis()
    );
    assert_eq!(
        landed, KILLS_MID_IMPORT,
        "only {landed} kills landed mid-import in {MAX_ROUNDS} rounds ({missed} found the import finished)"
    );
    store.verify_with_the_binary();
}

/// For each step of the write protocol: an import made to abort there
/// leaves its batch absent (before the commit point) or whole (after it),
/// never half; the store reopens, verifies, and takes the next import.
#[test]
fn an_import_aborted_at_each_step_of_the_write_protocol_is_whole_or_absent_as_that_step_says() {
    let mut rng = Rng::new(7);
    let commit_point = annals::testing::CRASH_POINTS
        .iter()
        .position(|s| *s == "committed")
        .expect("the protocol names its commit point");
    for (step_index, step) in annals::testing::CRASH_POINTS.iter().enumerate() {
        // A batch large enough to take the parallel projection path too,
        // and one of two parts (20,000 lines each), whose slot index
        // entries are sorted in a temporary file before they are written.
        for events in [50, 5000, 25_000] {
            let mut store = TestStore::new("redb");
            let round = Round::write(&store.scratch, step_index, events, &mut rng);
            let (stderr, ok) = finish(round.spawn(&store.scratch, "redb", Some(step)));
            assert!(!ok, "{step}: the import did not abort: {stderr}");
            let reported = round.reported(&stderr);
            assert!(
                reported.iter().all(|r| !r),
                "{step}: a file was reported before the abort: {stderr}"
            );
            let reopened = Store::open(store.scratch.db())
                .unwrap_or_else(|e| panic!("{step}: the store does not reopen: {e}"));
            let first = round.count(&reopened, 0);
            let rest: usize = (1..FILES_PER_ROUND)
                .map(|f| round.count(&reopened, f))
                .sum();
            drop(reopened);
            assert_eq!(rest, 0, "{step}: files after the first were imported");
            // On redb an append is one transaction: its commit is the
            // commit point.
            let committed = step_index >= commit_point;
            assert_eq!(
                first,
                if committed { events } else { 0 },
                "{step} ({events} events): the first file should be {}",
                if committed { "whole" } else { "absent" }
            );
            store.rounds.push((round, vec![committed, false, false]));
            store.check();
            // The store takes the next import as if nothing had happened.
            let next = Round::write(&store.scratch, 100 + step_index, events, &mut rng);
            store.timed_import(next);
            store.check();
            store.verify_with_the_binary();
        }
    }
}
