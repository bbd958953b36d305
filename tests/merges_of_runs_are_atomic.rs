//! Runs of the slot index (`index/runs.rs`) are merged four of a size at
//! a time. Small ones merge inside the transaction of the batch whose run
//! fills the tier; larger ones after that batch has committed, in a write
//! of their own: the fourth import of about 4,500 claims into a fresh
//! store merges the four runs after its commit. This guards what that
//! second write may and may not do: a merge killed or failing before its
//! commit leaves the batch committed and whole, loses no claim, and the
//! store verifies and takes the next import, whose own merge then goes
//! through. `annals compact`, which merges every run into one, is held to
//! the same: it changes no answer, and killed before its commit it leaves
//! the runs as they were.

mod common;
use common::{Scratch, BASE};

/// Claims in each large import: four such runs hold more than the
/// 16,384 claims merged inside a batch (`runs::MERGE_IN_BATCH`), so they
/// merge after the fourth one's commit.
const LARGE: usize = 4_500;

/// A file of one claim of the export quota for `year` and `filler` claims
/// about other subjects.
fn claim_file(scratch: &Scratch, year: u32, filler: usize) -> String {
    let mut lines = format!(
        "{{\"op\":\"assert\",\"subject\":\"china\",\"attribute\":\"export_quota\",\"valid\":\"{year}\",\"value\":\"{year}0 t\",\"source\":\"reuters-2010-07\"}}\n"
    );
    for i in 0..filler {
        lines.push_str(&format!(
            "{{\"op\":\"assert\",\"subject\":\"filler_{year}_{i}\",\"attribute\":\"export_quota\",\"valid\":\"2011\",\"value\":\"{i} t\",\"source\":\"reuters-2010-07\"}}\n"
        ));
    }
    let path = scratch.file(&format!("claims-{year}.jsonl"), lines.as_bytes());
    path.to_string_lossy().into_owned()
}

fn import(scratch: &Scratch, file: &str) {
    let run = scratch.run(&["import", file]);
    assert_eq!(run.code, 0, "{}", run.stderr);
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

/// Runs `annals compact`, which must succeed; returns what it said.
fn compact(scratch: &Scratch) -> String {
    let run = scratch.run(&["compact"]);
    assert_eq!(run.code, 0, "compact: {}", run.stderr);
    run.stderr
}

/// A store of the base data set and three large imports (2011-2013): the
/// next large import makes a fourth run of their tier and merges after
/// its commit.
fn three_large_runs() -> Scratch {
    let scratch = Scratch::new();
    let base = scratch.file("base.jsonl", BASE.as_bytes());
    import(&scratch, base.to_str().unwrap());
    for year in 2011..=2013 {
        import(&scratch, &claim_file(&scratch, year, LARGE - 1));
    }
    scratch
}

#[test]
fn a_small_fourth_import_merges_in_its_own_transaction() {
    let scratch = Scratch::new();
    let base = scratch.file("base.jsonl", BASE.as_bytes());
    import(&scratch, base.to_str().unwrap());
    import(&scratch, &claim_file(&scratch, 2011, 0));
    import(&scratch, &claim_file(&scratch, 2012, 0));
    // A merge after the commit would stop here.
    let fourth = scratch.run_with_env(
        &["import", &claim_file(&scratch, 2013, 0)],
        &[("ANNALS_TEST_CRASH_AT", annals::testing::MERGE_CRASH_POINT)],
    );
    assert_eq!(fourth.code, 0, "{}", fourth.stderr);
    assert_eq!(quota_claims(&scratch).len(), 3);
    verify(&scratch);
    let said = compact(&scratch);
    assert!(
        said.contains("nothing to merge"),
        "the four runs were merged with the batch: {said}"
    );
}

#[test]
fn a_merge_killed_before_its_commit_leaves_the_batch_whole_and_the_next_import_merges() {
    let scratch = three_large_runs();
    let fourth = claim_file(&scratch, 2014, LARGE - 1);
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
        4,
        "the killed import's batch had committed"
    );
    verify(&scratch);
    import(&scratch, &claim_file(&scratch, 2015, LARGE - 1));
    let claims = quota_claims(&scratch);
    assert_eq!(claims.len(), 5, "{claims:?}");
    for year in 2011..=2015 {
        assert!(
            claims.iter().any(|c| c.contains(&format!("{year}0 t"))),
            "the claim for {year} is missing: {claims:?}"
        );
    }
    verify(&scratch);
}

#[test]
fn a_merge_that_fails_says_the_batch_is_committed_and_changes_no_answer() {
    let scratch = three_large_runs();
    let fourth = claim_file(&scratch, 2014, LARGE - 1);
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
    assert_eq!(quota_claims(&scratch).len(), 4);
    verify(&scratch);
}

/// The bundled data set imported in three batches, each with claims (its
/// first hundred lines define attributes and sources): three runs.
fn fixture_in_three_runs() -> Scratch {
    let scratch = Scratch::new();
    let data = std::fs::read_to_string(common::fixture()).unwrap();
    let lines: Vec<&str> = data.lines().collect();
    let cuts = [0, 130, 185, lines.len()];
    for (i, cut) in cuts.windows(2).enumerate() {
        let chunk = &lines[cut[0]..cut[1]];
        let file = scratch.file(
            &format!("part-{i}.jsonl"),
            (chunk.join("\n") + "\n").as_bytes(),
        );
        let run = scratch.run(&["import", file.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    scratch
}

/// The statements of the golden files about claims (get, claims,
/// history, timeline), answered in one run as JSON lines.
fn golden_answers(scratch: &Scratch) -> String {
    let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut statements = String::new();
    for name in ["get", "claims", "history", "timeline"] {
        let text = std::fs::read_to_string(golden.join(format!("{name}.golden"))).unwrap();
        for statement in text.lines().filter_map(|l| l.strip_prefix("> ")) {
            statements.push_str(statement);
            statements.push('\n');
        }
    }
    assert!(
        statements.lines().count() > 50,
        "the golden files hold the statements"
    );
    let file = scratch.file("statements.txt", statements.as_bytes());
    // Read-only: the golden files also write, and test their errors. A
    // failing line prints its error as a line of its own (and the run
    // exits 1), compared like the answers.
    let run = scratch.run(&["query", "--read-only", "--file", file.to_str().unwrap()]);
    let answered = run
        .stdout
        .lines()
        .filter(|l| !l.contains(r#""error""#))
        .count();
    assert!(answered > 40, "{}{}", run.stdout, run.stderr);
    run.stdout
}

#[test]
fn compact_merges_every_run_into_one_and_changes_no_answer() {
    let scratch = fixture_in_three_runs();
    let before = golden_answers(&scratch);
    let log = scratch.export();
    let said = compact(&scratch);
    assert!(said.contains("merged 3 runs"), "{said}");
    assert_eq!(golden_answers(&scratch), before);
    assert_eq!(scratch.export(), log, "compact must not touch the log");
    verify(&scratch);
    let again = compact(&scratch);
    assert!(again.contains("nothing to merge"), "{again}");
}

#[test]
fn a_compaction_killed_before_its_commit_leaves_the_runs_as_they_were() {
    let scratch = fixture_in_three_runs();
    let before = golden_answers(&scratch);
    let killed = scratch.run_with_env(
        &["compact"],
        &[("ANNALS_TEST_CRASH_AT", annals::testing::MERGE_CRASH_POINT)],
    );
    assert_ne!(
        killed.code, 0,
        "compact reached no merge: {}",
        killed.stderr
    );
    assert_eq!(golden_answers(&scratch), before);
    verify(&scratch);
    // The three runs are still there to merge.
    let said = compact(&scratch);
    assert!(said.contains("merged 3 runs"), "{said}");
    assert_eq!(golden_answers(&scratch), before);
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
    let killed = scratch.run_with_env(
        &["import", file.to_str().unwrap()],
        &[
            ("ANNALS_ENGINE", "sled"),
            ("ANNALS_TEST_CRASH_AT", "projections-flushed"),
        ],
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

/// The same crash in a batch that denies a claim of an earlier batch: the
/// run dropped before the replay holds the denial's flagged copy of that
/// claim, which the replay writes again. The store then answers as one
/// that never crashed, before the denial (`as recorded`) and after it.
#[test]
fn a_replay_of_a_batch_denying_an_earlier_claim_flags_it_again() {
    let denial = br#"{"op":"deny","id":"d-late","target":"q-late","source":"reuters-2010-07"}
"#;
    let statements = [
        "china.export_quota for 2010",
        "china.export_quota for 2010 as recorded at seq 7",
        "claims china.export_quota for 2010",
    ];
    let answers = |scratch: &Scratch| -> Vec<String> {
        statements
            .iter()
            .map(|q| {
                let run = scratch.run(&["query", q, "--format", "csv"]);
                assert_eq!(run.code, 0, "{q}: {}", run.stderr);
                run.stdout
            })
            .collect()
    };
    let sled = [("ANNALS_ENGINE", "sled")];
    let mut stores = Vec::new();
    for crash in [None, Some("projections-flushed")] {
        let scratch = Scratch::new();
        let base = scratch.file("base.jsonl", BASE.as_bytes());
        let run = scratch.run_with_env(&["import", base.to_str().unwrap()], &sled);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let deny = scratch.file("deny.jsonl", denial);
        let mut env = sled.to_vec();
        env.extend(crash.map(|point| ("ANNALS_TEST_CRASH_AT", point)));
        let run = scratch.run_with_env(&["import", deny.to_str().unwrap()], &env);
        assert_eq!(run.code == 0, crash.is_none(), "{}", run.stderr);
        if crash.is_some() {
            // A writable opening replays the denial's batch.
            let empty = scratch.file("empty.jsonl", b"");
            let run = scratch.run(&["import", empty.to_str().unwrap()]);
            assert_eq!(run.code, 0, "{}", run.stderr);
        }
        verify(&scratch);
        stores.push(answers(&scratch));
    }
    assert!(
        stores[0][2].contains("denied"),
        "the denial counts: {}",
        stores[0][2]
    );
    assert_eq!(stores[0], stores[1]);
}
