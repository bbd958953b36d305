//! Damage to the store's file never changes an answer (SPEC §11).
//!
//! The bundled data set is imported once; then, trial after trial, a copy
//! of the store has its redb file damaged — bits flipped at random places,
//! a whole 4 KiB page zeroed, or the file cut short — and every read
//! command a historian uses is run on the copy and on the undamaged store.
//! A command on the damaged copy may refuse, with exit code 1 and an error
//! that says the store is damaged, or answer exactly as the undamaged store
//! does. It may never panic (the storage engine does, on some damaged
//! pages; the store turns that into an error), and never answer differently
//! with success: that would be a historian citing a fact the archive never
//! held, or missing one it did. `export` in particular must not end early.
//!
//! The trials are seeded, so a failure names a trial that reproduces.

mod common;
use common::{fixture, Run, Scratch};

/// How many damaged copies are tried; a third of each kind.
const TRIALS: u64 = 60;

/// The read commands compared, as a historian would type them.
const COMMANDS: &[&[&str]] = &[
    &["query", "*.*"],
    &["query", "china.export_quota for 2011 as known in oct 2010"],
    &["query", "history china.export_quota"],
    &["query", "subjects"],
    &["query", "sources"],
    &["export"],
    &["verify"],
];

/// A small deterministic generator (xorshift), so that trials reproduce.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[derive(Debug, Clone, Copy)]
enum Damage {
    FlippedBits,
    ZeroedPage,
    Truncated,
}

/// Damages `bytes` as trial `trial` says; returns what was done, for the
/// failure message.
fn damage(bytes: &mut Vec<u8>, trial: u64) -> String {
    let mut dice = Dice(0x9e37_79b9_7f4a_7c15 ^ (trial + 1).wrapping_mul(0x2545_f491_4f6c_dd1d));
    let kind = [Damage::FlippedBits, Damage::ZeroedPage, Damage::Truncated][trial as usize % 3];
    match kind {
        Damage::FlippedBits => {
            let mut flipped = Vec::new();
            for _ in 0..1 + dice.below(8) {
                let at = dice.below(bytes.len());
                let bit = dice.below(8);
                bytes[at] ^= 1 << bit;
                flipped.push(format!("{at}:{bit}"));
            }
            format!("bits flipped at {}", flipped.join(", "))
        }
        Damage::ZeroedPage => {
            let page = dice.below(bytes.len() / 4096);
            bytes[page * 4096..(page + 1) * 4096].fill(0);
            format!("page {page} zeroed")
        }
        Damage::Truncated => {
            let length = dice.below(bytes.len());
            bytes.truncate(length);
            format!("cut to {length} bytes")
        }
    }
}

fn copy_store(from: &Scratch, to: &Scratch) {
    std::fs::create_dir_all(to.db()).unwrap();
    for entry in std::fs::read_dir(from.db()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.db().join(entry.file_name())).unwrap();
    }
}

#[test]
fn every_command_on_a_damaged_store_refuses_or_answers_exactly_as_before() {
    let intact = Scratch::new();
    let import = intact.run(&["import", fixture().to_str().unwrap()]);
    assert_eq!(import.code, 0, "{}", import.stderr);
    let answers: Vec<Run> = COMMANDS.iter().map(|c| intact.run(c)).collect();
    for (command, answer) in COMMANDS.iter().zip(&answers) {
        assert_eq!(
            answer.code, 0,
            "{command:?} on the intact store: {}",
            answer.stderr
        );
    }
    let file = intact.db().join("annals.redb");
    let original = std::fs::read(&file).unwrap();
    let (mut refused, mut unchanged) = (0, 0);
    for trial in 0..TRIALS {
        let copy = Scratch::new();
        copy_store(&intact, &copy);
        let mut bytes = original.clone();
        let what = damage(&mut bytes, trial);
        std::fs::write(copy.db().join("annals.redb"), &bytes).unwrap();
        for (command, answer) in COMMANDS.iter().zip(&answers) {
            let run = copy.run(command);
            let context = format!(
                "trial {trial} ({what}), {command:?}: exit {}\n{}",
                run.code, run.stderr
            );
            assert!(
                run.code != 101 && !run.stderr.contains("panicked"),
                "a panic escaped: {context}"
            );
            if run.code == 0 {
                assert!(
                    run.stdout == answer.stdout,
                    "a damaged store answered differently with success: {context}"
                );
                unchanged += 1;
            } else {
                assert_eq!(run.code, 1, "{context}");
                let damage_reported = run.stderr.contains("corrupt store")
                    || run.stderr.contains("annals.redb")
                    || (command[0] == "verify" && run.stdout.contains("problem: "));
                assert!(damage_reported, "refused without saying why: {context}");
                refused += 1;
            }
        }
    }
    // Both outcomes happen, or the damage missed the store (or hit it all).
    assert!(
        refused > 0 && unchanged > 0,
        "refused {refused}, unchanged {unchanged}"
    );
}
