//! A write that fails — a full disk, an I/O error — must leave no doubt
//! about what it wrote (SPEC §11): a failure before the commit point has
//! written nothing, and the same import may simply be run again; a failure
//! after it says that the batch *is* committed, so that nobody imports it
//! twice, and the store is whole after it. The failures are injected at
//! each named step of the write protocol (`ANNALS_TEST_FAIL_AT`, the
//! failing twin of the crash tests' `ANNALS_TEST_CRASH_AT`), as an I/O
//! error "No space left on device": on redb, whose append is one
//! transaction, and on sled, which has none and appends in steps (the log,
//! the head, the projections), so both ways of writing keep the same rule.

mod common;
use common::{Scratch, BASE};
use std::process::Command;

/// The steps of each engine's append, and the first at which the batch is
/// committed.
fn steps(engine: &str) -> (&'static [&'static str], &'static str) {
    match engine {
        "redb" => (annals::testing::CRASH_POINTS, "committed"),
        _ => (annals::testing::STEPWISE_CRASH_POINTS, "head-written"),
    }
}

fn before_the_commit(engine: &str) -> Vec<&'static str> {
    let (steps, commit) = steps(engine);
    steps.iter().copied().take_while(|s| *s != commit).collect()
}

fn after_the_commit(engine: &str) -> Vec<&'static str> {
    let (steps, commit) = steps(engine);
    steps.iter().copied().skip_while(|s| *s != commit).collect()
}

const ENGINES: [&str; 2] = ["redb", "sled"];

/// A store of the base data set on `engine`.
fn base_store(engine: &str) -> Scratch {
    let scratch = Scratch::new();
    let base = scratch.file("base.jsonl", BASE.as_bytes());
    let run = scratch.run_with_engine(&["import", base.to_str().unwrap()], engine);
    assert_eq!(run.code, 0, "{engine}: {}", run.stderr);
    scratch
}

/// Claims without ids, so that importing the file twice would store them
/// twice: the mistake the message must prevent.
const LATER: &str = r#"{"op":"assert","subject":"china","attribute":"export_quota","valid":"2012","value":"31130 t","source":"reuters-2010-07"}
{"op":"assert","subject":"china","attribute":"export_quota","valid":"2013","value":"30999 t","source":"reuters-2010-07"}
"#;

fn import_failing_at(scratch: &Scratch, file: &std::path::Path, step: &str) -> common::Run {
    common::finish(
        Command::new(env!("CARGO_BIN_EXE_annals"))
            .arg("--db")
            .arg(scratch.db())
            .arg("import")
            .arg(file)
            .env("ANNALS_TEST_FAIL_AT", step)
            .env_remove("ANNALS_DB")
            .output()
            .expect("run annals"),
    )
}

fn claims_for_2012(scratch: &Scratch) -> usize {
    let run = scratch.run(&[
        "query",
        "claims china.export_quota for 2012",
        "--format",
        "csv",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout.lines().count() - 1
}

#[test]
fn a_failure_before_the_commit_point_writes_nothing_and_the_import_can_be_run_again() {
    for (engine, step) in ENGINES
        .iter()
        .flat_map(|e| before_the_commit(e).into_iter().map(move |s| (*e, s)))
    {
        let scratch = base_store(engine);
        let exported = scratch.export();
        let later = scratch.file("later.jsonl", LATER.as_bytes());
        let run = import_failing_at(&scratch, &later, step);
        assert_eq!(run.code, 1, "{engine} {step}: {}", run.stderr);
        assert!(
            run.stderr.contains("No space left on device"),
            "{engine} {step}: {}",
            run.stderr
        );
        assert!(
            !run.stderr.contains("committed"),
            "{engine} {step}: {}",
            run.stderr
        );
        assert_eq!(
            scratch.export(),
            exported,
            "{engine} {step}: the failed import wrote something"
        );
        // The natural retry stores the batch once.
        let retry = scratch.run(&["import", later.to_str().unwrap()]);
        assert_eq!(retry.code, 0, "{engine} {step}: {}", retry.stderr);
        assert_eq!(claims_for_2012(&scratch), 1, "{engine} {step}");
        let verify = scratch.run(&["verify"]);
        assert_eq!(verify.code, 0, "{engine} {step}: {}", verify.stdout);
    }
}

#[test]
fn a_failure_after_the_commit_point_says_the_batch_is_committed_and_is_finished_later() {
    for (engine, step) in ENGINES
        .iter()
        .flat_map(|e| after_the_commit(e).into_iter().map(move |s| (*e, s)))
    {
        let scratch = base_store(engine);
        let later = scratch.file("later.jsonl", LATER.as_bytes());
        let run = import_failing_at(&scratch, &later, step);
        assert_eq!(run.code, 1, "{engine} {step}: {}", run.stderr);
        assert!(
            run.stderr.contains("the batch is committed as seq 8..9")
                && run.stderr.contains("do not import it again")
                && run.stderr.contains("No space left on device"),
            "{engine} {step}: {}",
            run.stderr
        );
        // The batch is whole: on redb the transaction committed the
        // projections with the log (only the seal may lag, which is
        // allowed); on sled the next opening that may write, verify's
        // included, applies what the failed import left.
        let verify = scratch.run(&["verify"]);
        assert_eq!(verify.code, 0, "{engine} {step}: {}", verify.stdout);
        assert_eq!(claims_for_2012(&scratch), 1, "{engine} {step}");
        // The next write finishes it (here, an import of something else),
        // and the batch is there once.
        let next = scratch.file(
            "next.jsonl",
            br#"{"op":"source","id":"mofcom-2011","title":"Quota","publisher":"MOFCOM","published":"2011-12"}
"#,
        );
        let run = scratch.run(&["import", next.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{engine} {step}: {}", run.stderr);
        assert_eq!(claims_for_2012(&scratch), 1, "{engine} {step}");
        let verify = scratch.run(&["verify"]);
        assert_eq!(verify.code, 0, "{engine} {step}: {}", verify.stdout);
        assert!(
            verify.stdout.contains("10 records"),
            "{engine} {step}: {}",
            verify.stdout
        );
    }
}
