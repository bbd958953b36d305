//! Damage below the store (SPEC §11): bytes flipped in the storage engine's
//! own files. An engine given damaged files may refuse them, or — sled does
//! this — quietly recover to an earlier or even empty state; annals keeps a
//! seal of the committed head outside the engine, so that a loss is
//! reported as corruption instead of answered from a store that silently
//! forgot its history. Never a panic, never a silently shorter log.

mod common;
use common::{fixture, Scratch};

/// Flips `count` bytes of the engine's main file at positions from `seed`.
fn damage(scratch: &Scratch, seed: u64, count: usize) {
    let redb = scratch.db().join("annals.redb");
    let path = if redb.exists() {
        redb
    } else {
        scratch.db().join("db")
    };
    let mut bytes = std::fs::read(&path).expect("the engine's file exists");
    let mut x = seed | 1;
    for _ in 0..count {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let at = (x % bytes.len() as u64) as usize;
        bytes[at] ^= 0xff;
    }
    std::fs::write(&path, bytes).unwrap();
}

fn flipped_bytes_are_reported(engine: &str) {
    let mut detected = 0;
    for seed in 1..=12u64 {
        let scratch = Scratch::new();
        assert_eq!(
            scratch
                .run_with_engine(&["import", fixture().to_str().unwrap()], engine)
                .code,
            0
        );
        damage(&scratch, seed, 1 + (seed as usize % 4) * 10);
        for command in [&["verify"][..], &["export"][..], &["query", "subjects"][..]] {
            let run = scratch.run(command);
            let context = format!(
                "{engine}, seed {seed}, {command:?}: code {}\n{}\n{}",
                run.code, run.stdout, run.stderr
            );
            assert_ne!(run.code, 101, "panicked: {context}");
            assert!(!run.stderr.contains("panicked"), "{context}");
            if run.code == 0 {
                // The damage missed everything that matters: the whole log is there.
                if command[0] == "verify" {
                    assert!(
                        run.stdout.contains("214 records")
                            && run.stdout.lines().any(|l| l.ends_with(": ok")),
                        "{context}"
                    );
                }
            } else {
                assert_eq!(run.code, 1, "{context}");
                // Refused with an error, or (verify) listed as problems.
                let reported = run.stderr.contains("corrupt store")
                    || run.stderr.contains("storage error")
                    || (command[0] == "verify" && run.stdout.contains("problem: "));
                assert!(reported, "{context}");
                detected += 1;
            }
        }
    }
    assert!(
        detected > 0,
        "no damage was ever detected: the test damaged nothing that matters"
    );
}

#[test]
fn flipped_bytes_in_redbs_file_are_reported_never_used_silently() {
    flipped_bytes_are_reported("redb");
}

#[test]
fn flipped_bytes_in_sleds_files_are_reported_never_used_silently() {
    flipped_bytes_are_reported("sled");
}

#[test]
fn a_store_whose_engine_lost_its_log_is_refused_at_open() {
    let scratch = Scratch::new();
    assert_eq!(
        scratch.run(&["import", fixture().to_str().unwrap()]).code,
        0
    );
    // Replace the engine's files with an empty store, keeping the seal.
    let seal = std::fs::read(scratch.db().join("annals.seal")).unwrap();
    std::fs::remove_dir_all(scratch.db()).unwrap();
    let path = scratch.db();
    let init = scratch.run(&["init", path.to_str().unwrap()]);
    assert_eq!(init.code, 0, "an empty store is created: {}", init.stderr);
    std::fs::write(scratch.db().join("annals.seal"), seal).unwrap();
    let run = scratch.run(&["export"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("lost committed records: the log was sealed at seq 214 but holds only 0"),
        "{}",
        run.stderr
    );
}

/// The seal carries its own checksum: a damaged seal file is reported as
/// what it is, not as damage to an intact log; removed, it is reported as
/// missing until `verify --reseal` has checked the log and sealed it again.
#[test]
fn a_damaged_seal_file_is_reported_as_such_not_as_log_damage() {
    let scratch = Scratch::new();
    assert_eq!(
        scratch.run(&["import", fixture().to_str().unwrap()]).code,
        0
    );
    let path = scratch.db().join("annals.seal");
    let mut seal = std::fs::read(&path).unwrap();
    // A byte of the sealed hash in each of the file's two slots: one
    // damaged slot is read past, as a write a crash tore would be
    // (`storage/seal.rs`), and the other slot's seal is checked.
    assert_eq!(seal.len(), 88, "two seals of 44 bytes");
    seal[20] ^= 0x01;
    seal[44 + 20] ^= 0x01;
    std::fs::write(&path, seal).unwrap();
    let run = scratch.run(&["query", "subjects"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr
            .contains("the seal file (annals.seal) is damaged")
            && !run.stderr.contains("differs from the one that was sealed"),
        "{}",
        run.stderr
    );
    std::fs::remove_file(&path).unwrap();
    let verify = scratch.run(&["verify", "--reseal"]);
    assert_eq!(verify.code, 0, "the log was intact: {}", verify.stdout);
    assert!(path.exists(), "verify --reseal wrote the seal again");
    assert_eq!(scratch.run(&["query", "subjects"]).code, 0);
}

/// A removed seal would silently switch off the check that the engine lost
/// no committed record, so every command refuses the store until the seal
/// is put back or `verify --reseal` has checked the whole log.
#[test]
fn a_removed_seal_is_reported_until_the_log_is_checked_and_sealed_again() {
    let scratch = Scratch::new();
    assert_eq!(
        scratch.run(&["import", fixture().to_str().unwrap()]).code,
        0
    );
    let path = scratch.db().join("annals.seal");
    let seal = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    for command in [&["query", "subjects"][..], &["export"], &["verify"]] {
        let run = scratch.run(command);
        assert_eq!(run.code, 1, "{command:?}: {}", run.stdout);
        assert!(
            run.stderr
                .contains("the seal file (annals.seal) is missing")
                && run.stderr.contains("verify --reseal"),
            "{command:?}: {}",
            run.stderr
        );
    }
    let run = scratch.run(&["verify", "--reseal"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        newest_seal(&std::fs::read(&path).unwrap()),
        newest_seal(&seal),
        "the same seal again"
    );
}

/// Of a seal file's two slots of 44 bytes (`storage/seal.rs`), the one
/// with the greater seq: the seal the store reads.
fn newest_seal(file: &[u8]) -> &[u8] {
    assert_eq!(file.len(), 88, "two seals of 44 bytes");
    let (first, second) = file.split_at(44);
    if second[..8] > first[..8] {
        second
    } else {
        first
    }
}

/// A new store is sealed before its first commit, so that a seal missing
/// later can only have been removed, never be a crash before the first seal.
#[test]
fn a_new_store_is_sealed_before_its_first_commit() {
    let scratch = Scratch::new();
    let empty = scratch.db();
    let init = scratch.run(&["init", empty.to_str().unwrap()]);
    assert_eq!(init.code, 0, "{}", init.stderr);
    assert!(
        !empty.join("annals.seal").exists(),
        "an empty store has no commit"
    );
    let failed = scratch.run_with_env(
        &["import", fixture().to_str().unwrap()],
        &[("ANNALS_TEST_FAIL_AT", "log-written")],
    );
    assert_eq!(failed.code, 1, "{}", failed.stderr);
    assert!(empty.join("annals.seal").exists());
    assert_eq!(scratch.run(&["query", "subjects"]).code, 0);
}
