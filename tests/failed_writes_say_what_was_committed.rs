//! A write that fails — a full disk, an I/O error — must leave no doubt
//! about what it wrote (SPEC §11): a failure before the commit point has
//! written nothing, and the same import may simply be run again; a failure
//! after it says that the batch *is* committed, so that nobody imports it
//! twice, and the next write finishes it. The failures are injected at each
//! named step of the write protocol (`ANNALS_TEST_FAIL_AT`, the failing
//! twin of the crash tests' `ANNALS_TEST_CRASH_AT`), as an I/O error "No
//! space left on device".

mod common;
use common::{Scratch, BASE};
use std::process::Command;

const BEFORE_THE_COMMIT: &[&str] = &["validated", "log-written", "log-flushed"];
const AFTER_THE_COMMIT: &[&str] = &[
    "head-written",
    "head-flushed",
    "sealed",
    "projections-written",
    "projections-flushed",
];

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
    for step in BEFORE_THE_COMMIT {
        let scratch = Scratch::new();
        let base = scratch.file("base.jsonl", BASE.as_bytes());
        assert_eq!(scratch.run(&["import", base.to_str().unwrap()]).code, 0);
        let exported = scratch.export();
        let later = scratch.file("later.jsonl", LATER.as_bytes());
        let run = import_failing_at(&scratch, &later, step);
        assert_eq!(run.code, 1, "{step}: {}", run.stderr);
        assert!(
            run.stderr.contains("No space left on device"),
            "{step}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("committed"), "{step}: {}", run.stderr);
        assert_eq!(
            scratch.export(),
            exported,
            "{step}: the failed import wrote something"
        );
        // The natural retry stores the batch once.
        let retry = scratch.run(&["import", later.to_str().unwrap()]);
        assert_eq!(retry.code, 0, "{step}: {}", retry.stderr);
        assert_eq!(claims_for_2012(&scratch), 1, "{step}");
        let verify = scratch.run(&["verify"]);
        assert_eq!(verify.code, 0, "{step}: {}", verify.stdout);
    }
}

#[test]
fn a_failure_after_the_commit_point_says_the_batch_is_committed_and_is_finished_later() {
    for step in AFTER_THE_COMMIT {
        let scratch = Scratch::new();
        let base = scratch.file("base.jsonl", BASE.as_bytes());
        assert_eq!(scratch.run(&["import", base.to_str().unwrap()]).code, 0);
        let later = scratch.file("later.jsonl", LATER.as_bytes());
        let run = import_failing_at(&scratch, &later, step);
        assert_eq!(run.code, 1, "{step}: {}", run.stderr);
        assert!(
            run.stderr.contains("the batch is committed as seq 8..9")
                && run.stderr.contains("do not import it again")
                && run.stderr.contains("No space left on device"),
            "{step}: {}",
            run.stderr
        );
        // verify, which writes nothing, says what is unfinished instead of
        // calling it damage.
        let verify = scratch.run(&["verify"]);
        assert_eq!(verify.code, 1, "{step}: {}", verify.stdout);
        assert!(
            verify
                .stdout
                .contains("records 8..9 that the indexes have not finished applying"),
            "{step}: {}",
            verify.stdout
        );
        // The next write finishes it (here, an import of something else),
        // and the batch is there once.
        let next = scratch.file(
            "next.jsonl",
            br#"{"op":"source","id":"mofcom-2011","title":"Quota","publisher":"MOFCOM","published":"2011-12"}
"#,
        );
        let run = scratch.run(&["import", next.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{step}: {}", run.stderr);
        assert_eq!(claims_for_2012(&scratch), 1, "{step}");
        let verify = scratch.run(&["verify"]);
        assert_eq!(verify.code, 0, "{step}: {}", verify.stdout);
        assert!(
            verify.stdout.contains("10 records"),
            "{step}: {}",
            verify.stdout
        );
    }
}
