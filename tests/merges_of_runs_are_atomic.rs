//! A merge of the slot index's runs (`index/runs.rs`) happens after a
//! batch has committed, in a write of its own: the fourth import of a
//! fresh store, its fourth run of the smallest tier, merges them. This
//! guards what that second write may and may not do: a merge killed or
//! failing before its commit leaves the batch committed and whole, loses
//! no claim, and the store verifies and takes the next import, whose own
//! merge then goes through.

mod common;
use common::{Scratch, BASE};

/// A file of one claim of the export quota for `year`.
fn claim_file(scratch: &Scratch, year: u32) -> String {
    let line = format!(
        r#"{{"op":"assert","subject":"china","attribute":"export_quota","valid":"{year}","value":"{year}0 t","source":"reuters-2010-07"}}"#
    );
    let path = scratch.file(
        &format!("claims-{year}.jsonl"),
        format!("{line}\n").as_bytes(),
    );
    path.to_string_lossy().into_owned()
}

fn quota_claims(scratch: &Scratch) -> Vec<String> {
    let run = scratch.run(&[
        "query",
        "claims china.export_quota for 2011..2020",
        "--format",
        "csv",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout.lines().skip(1).map(str::to_string).collect()
}

fn verify(scratch: &Scratch) {
    let run = scratch.run(&["verify"]);
    assert_eq!(run.code, 0, "verify: {}{}", run.stdout, run.stderr);
}

/// A store of the base data set and two more imports: three runs, so that
/// the next import makes a fourth and merges.
fn three_runs() -> Scratch {
    let scratch = Scratch::new();
    let base = scratch.file("base.jsonl", BASE.as_bytes());
    for file in [
        base.to_string_lossy().into_owned(),
        claim_file(&scratch, 2011),
        claim_file(&scratch, 2012),
    ] {
        let run = scratch.run(&["import", &file]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    scratch
}

#[test]
fn a_merge_killed_before_its_commit_leaves_the_batch_whole_and_the_next_import_merges() {
    let scratch = three_runs();
    let fourth = claim_file(&scratch, 2013);
    let killed = scratch.run_with_env(
        &["import", &fourth],
        &[("ANNALS_TEST_CRASH_AT", annals::testing::MERGE_CRASH_POINT)],
    );
    assert_ne!(
        killed.code, 0,
        "the import reached no merge: {}",
        killed.stderr
    );
    assert_eq!(
        quota_claims(&scratch).len(),
        3,
        "the killed import's batch had committed"
    );
    verify(&scratch);
    let fifth = claim_file(&scratch, 2014);
    let run = scratch.run(&["import", &fifth]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let claims = quota_claims(&scratch);
    assert_eq!(claims.len(), 4, "{claims:?}");
    for year in 2011..=2014 {
        assert!(
            claims.iter().any(|c| c.contains(&format!("{year}0 t"))),
            "the claim for {year} is missing: {claims:?}"
        );
    }
    verify(&scratch);
}

#[test]
fn a_merge_that_fails_says_the_batch_is_committed_and_changes_no_answer() {
    let scratch = three_runs();
    let fourth = claim_file(&scratch, 2013);
    let failed = scratch.run_with_env(
        &["import", &fourth],
        &[("ANNALS_TEST_FAIL_AT", annals::testing::MERGE_CRASH_POINT)],
    );
    assert_ne!(
        failed.code, 0,
        "the import reached no merge: {}",
        failed.stderr
    );
    assert!(
        failed.stderr.contains("committed"),
        "the failure must say that the batch is committed: {}",
        failed.stderr
    );
    assert_eq!(quota_claims(&scratch).len(), 3);
    verify(&scratch);
}

/// On an engine without transactions (sled) a batch's index writes and its
/// `applied` are two writes; a crash between them leaves the batch's run
/// written and the next open replays the batch in chunks of its own
/// (50,000 records). The replay must not write into the run left behind:
/// the store opens, answers and verifies.
#[test]
fn a_replay_after_a_crash_between_index_and_applied_rebuilds_the_run_cleanly() {
    let scratch = Scratch::new();
    let mut log = Vec::new();
    annals::synthetic::generate(annals::synthetic::Shape::new(60_000, 3), &mut log).unwrap();
    let file = scratch.file("big.jsonl", &log);
    let killed = common::finish(
        std::process::Command::new(env!("CARGO_BIN_EXE_annals"))
            .arg("--db")
            .arg(scratch.db())
            .arg("import")
            .arg(&file)
            .env("ANNALS_ENGINE", "sled")
            .env("ANNALS_TEST_CRASH_AT", "projections-flushed")
            .env_remove("ANNALS_DB")
            .output()
            .unwrap(),
    );
    assert_ne!(
        killed.code, 0,
        "the import was not stopped: {}",
        killed.stderr
    );
    // A writable opening replays; then everything must read and verify.
    let empty = scratch.file("empty.jsonl", b"");
    let run = scratch.run(&["import", empty.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    verify(&scratch);
    let run = scratch.run(&["query", "contested *.*", "--format", "csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}
