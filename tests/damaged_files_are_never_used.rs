//! Damage below the store (SPEC §11): bytes flipped in the storage engine's
//! own files. sled, given damaged files, may quietly recover to an earlier or
//! even empty state; annals keeps a seal of the committed head outside the
//! engine, so that loss is reported as corruption instead of answering from
//! a store that silently forgot its history. Never a panic, never a
//! silently shorter log.

mod common;
use common::{fixture, Scratch};

/// Flips `count` bytes of the engine's main file at positions from `seed`.
fn damage(scratch: &Scratch, seed: u64, count: usize) {
    let path = scratch.db().join("db");
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

#[test]
fn flipped_bytes_in_the_engines_files_are_reported_never_used_silently() {
    let mut detected = 0;
    for seed in 1..=12u64 {
        let scratch = Scratch::new();
        assert_eq!(
            scratch.run(&["import", fixture().to_str().unwrap()]).code,
            0
        );
        damage(&scratch, seed, 1 + (seed as usize % 4) * 10);
        for command in [&["verify"][..], &["export"][..], &["query", "subjects"][..]] {
            let run = scratch.run(command);
            assert_ne!(
                run.code, 101,
                "seed {seed}, {command:?} panicked: {}",
                run.stderr
            );
            assert!(
                !run.stderr.contains("panicked"),
                "seed {seed}: {}",
                run.stderr
            );
            if run.code == 0 {
                // The damage missed everything that matters: the whole log is there.
                if command[0] == "verify" {
                    assert!(
                        run.stdout.contains("193 records") && run.stdout.ends_with(": ok\n"),
                        "seed {seed}: {}",
                        run.stdout
                    );
                }
            } else {
                assert_eq!(run.code, 1);
                assert!(
                    run.stderr.contains("corrupt store") || run.stderr.contains("storage error"),
                    "seed {seed}: {}",
                    run.stderr
                );
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
fn a_store_whose_engine_lost_its_log_is_refused_at_open() {
    let scratch = Scratch::new();
    assert_eq!(
        scratch.run(&["import", fixture().to_str().unwrap()]).code,
        0
    );
    // Replace the engine's files with an empty store, keeping the seal.
    let seal = std::fs::read(scratch.db().join("annals.seal")).unwrap();
    std::fs::remove_dir_all(scratch.db()).unwrap();
    drop(annals::Store::open(scratch.db()).unwrap());
    std::fs::write(scratch.db().join("annals.seal"), seal).unwrap();
    let run = scratch.run(&["export"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("lost committed records: the log was sealed at seq 193 but holds only 0"),
        "{}",
        run.stderr
    );
}
