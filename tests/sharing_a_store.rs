//! Sharing a store between processes (SPEC §8 "Sharing a store", normative
//! for redb stores): any number of processes read one store while one
//! writes; every statement answers from the last position any of them
//! committed; an idle process that has the store open holds no lock; a
//! second writer waits for the first and is then refused with a message
//! naming the holder; and a read writes nothing at all to the store's
//! files, so a killed reader leaves nothing to repair and a store on a
//! read-only mount can be read (`verify` takes the writer lock, to compare
//! a still store, and writes nothing but its name into the lock file). The long-lived store of these tests (opened
//! in the test process, as the REPL, a notebook or `serve` would) shares
//! the store with the real binary in other processes.

mod common;
use annals::{Store, StoreOptions};
use common::{files_of, fixture, Scratch, BASE};
use std::process::{Command, Stdio};

fn imported(scratch: &Scratch) {
    let base = scratch.file("base.jsonl", BASE.as_bytes());
    let run = scratch.run(&["import", base.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// One more claim, as a file another process imports.
const LATER: &str = r#"{"op":"assert","id":"later","subject":"china","attribute":"export_quota","valid":"2012","value":"31130 t","known":"2011-12","source":"reuters-2010-07"}
"#;

#[test]
fn a_query_answers_beside_a_store_another_process_has_open() {
    let scratch = Scratch::new();
    imported(&scratch);
    let open = Store::open(scratch.db()).unwrap();
    let run = scratch.run(&["query", "china.export_quota for 2010", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("24280 t"), "{}", run.stdout);
    // And an import beside it: the open store holds no write lock.
    let later = scratch.file("later.jsonl", LATER.as_bytes());
    let run = scratch.run(&["import", later.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    drop(open);
}

#[test]
fn a_long_lived_store_sees_what_another_process_imports() {
    let scratch = Scratch::new();
    imported(&scratch);
    let store = Store::open(scratch.db()).unwrap();
    let before = store.position();
    assert_eq!(
        store.query("china.export_quota for 2012").unwrap().count(),
        0,
        "nothing about 2012 yet"
    );
    let later = scratch.file("later.jsonl", LATER.as_bytes());
    let run = scratch.run(&["import", later.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let reply = store.query("china.export_quota for 2012").unwrap();
    assert_eq!(
        reply.log_seq,
        before + 1,
        "the next statement sees the import"
    );
    let rows: Vec<_> = reply.collect::<Result<_, _>>().unwrap();
    assert_eq!(rows.len(), 1);
    // And this process appends after it, on top of the other's head.
    let appended = store
        .query("assert china.export_quota = 30000 t for 2013 known 2012-12 source reuters-2010-07")
        .unwrap();
    assert_eq!(appended.log_seq, before + 2);
    drop(appended);
    let run = scratch.run(&["verify"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

#[test]
fn forty_readers_at_once_are_all_answered_while_a_writer_imports() {
    let scratch = Scratch::new();
    let fixture = fixture();
    let run = scratch.run(&["import", fixture.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let spawn = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_annals"))
            .arg("--db")
            .arg(scratch.db())
            .args(args)
            .env_remove("ANNALS_DB")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn annals")
    };
    let later = scratch.file(
        "later.jsonl",
        LATER
            .replace("reuters-2010-07", "reuters-2010-10-28")
            .as_bytes(),
    );
    let writer = spawn(&["import", later.to_str().unwrap()]);
    let readers: Vec<_> = (0..40)
        .map(|_| spawn(&["query", "china.export_quota", "--format", "json"]))
        .collect();
    for reader in readers {
        let run = common::finish(reader.wait_with_output().unwrap());
        assert_eq!(run.code, 0, "a reader was refused: {}", run.stderr);
        assert!(run.stdout.contains("\"log_seq\""), "{}", run.stdout);
    }
    let run = common::finish(writer.wait_with_output().unwrap());
    assert_eq!(run.code, 0, "the writer was refused: {}", run.stderr);
}

#[test]
fn a_second_writer_waits_then_is_refused_naming_the_holder_and_writes_nothing() {
    let scratch = Scratch::new();
    imported(&scratch);
    let exported = scratch.export();
    let held = annals::testing::hold_write_lock(&scratch.db()).unwrap();
    let later = scratch.file("later.jsonl", LATER.as_bytes());
    let run = Command::new(env!("CARGO_BIN_EXE_annals"))
        .arg("--db")
        .arg(scratch.db())
        .args(["import", later.to_str().unwrap()])
        // The holder never lets go while the writer waits, so the refusal
        // comes at the timeout whatever the machine's speed.
        .env("ANNALS_LOCK_TIMEOUT", "0.3")
        .env_remove("ANNALS_DB")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let run = common::finish(run);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "held by another process, pid {}",
            std::process::id()
        )) && run.stderr.contains("waited 0.3 s"),
        "{}",
        run.stderr
    );
    // Readers are not writers: they answer while the lock is held.
    let run = scratch.run(&["query", "china.export_quota for 2010"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        scratch.export(),
        exported,
        "the refused import wrote nothing"
    );
    drop(held);
    let run = scratch.run(&["import", later.to_str().unwrap()]);
    assert_eq!(run.code, 0, "free again: {}", run.stderr);
}

#[test]
fn reading_commands_write_nothing_to_the_store_files() {
    let scratch = Scratch::new();
    imported(&scratch);
    let before = files_of(&scratch.db());
    for args in [
        &["query", "china.export_quota"][..],
        &["query", "history china.export_quota for 2010"],
        &["export"],
        &["lint"],
    ] {
        let run = scratch.run(args);
        assert!(
            run.code == 0 || args == ["lint"],
            "{args:?}: {}",
            run.stderr
        );
        assert!(
            files_of(&scratch.db()) == before,
            "{args:?} changed a file of the store"
        );
    }
    // verify holds the store still with the writer lock, which writes the
    // holder's name into the lock file and nothing else.
    let run = scratch.run(&["verify"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let without_lock = |files: Vec<(String, Vec<u8>)>| -> Vec<(String, Vec<u8>)> {
        files
            .into_iter()
            .filter(|(name, _)| name != "annals.lock")
            .collect()
    };
    assert!(
        without_lock(files_of(&scratch.db())) == without_lock(before.clone()),
        "verify changed a file of the store"
    );
    // The library's read-only opening, likewise.
    let store = StoreOptions::new()
        .read_only(true)
        .open(scratch.db())
        .unwrap();
    assert!(store.query("china.export_quota").unwrap().count() > 0);
    drop(store);
    assert!(without_lock(files_of(&scratch.db())) == without_lock(before));
}

#[test]
fn a_sled_store_is_opened_by_one_process_at_a_time() {
    let scratch = Scratch::new();
    let base = scratch.file("base.jsonl", BASE.as_bytes());
    let run = scratch.run_with_engine(&["import", base.to_str().unwrap()], "sled");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let held = Store::open(scratch.db()).unwrap();
    let run = scratch.run(&["export"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("a sled store is opened by one process at a time"),
        "{}",
        run.stderr
    );
    drop(held);
    assert_eq!(
        scratch.run(&["export"]).code,
        0,
        "free once the holder closes"
    );
}
