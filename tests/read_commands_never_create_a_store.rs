//! A mistyped `--db` must not look like an empty archive (SPEC §8): the
//! commands that only read (`query`, `export`, `verify`, `lint`) refuse a
//! path that holds no store, naming it, and leave nothing behind; `init`
//! and `import` are what create stores; `query --read-only` refuses writes;
//! `completions` needs no store at all.

mod common;
use common::{Scratch, BASE};

#[test]
fn every_read_command_refuses_a_path_that_holds_no_store_and_creates_nothing() {
    let scratch = Scratch::new();
    for args in [
        vec!["verify"],
        vec!["export"],
        vec!["lint"],
        vec!["query", "subjects"],
        vec!["query", "-f", "-"],
    ] {
        let run = scratch.run(&args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("no store at") && run.stderr.contains("store.db"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(!scratch.db().exists(), "{args:?} created the store");
    }
}

#[test]
fn init_creates_an_empty_store_once() {
    let scratch = Scratch::new();
    let path = scratch.db();
    let path = path.to_str().unwrap();
    let run = scratch.run(&["init", path]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = scratch.run(&["verify"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("0 records"), "{}", run.stdout);
    let again = scratch.run(&["init", path]);
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("already holds a store"),
        "{}",
        again.stderr
    );
}

#[test]
fn a_read_only_query_refuses_a_write_and_writes_nothing() {
    let scratch = Scratch::new();
    let base = scratch.file("base.jsonl", BASE.as_bytes());
    assert_eq!(scratch.run(&["import", base.to_str().unwrap()]).code, 0);
    let before = scratch.export();
    let run = scratch.run(&["query", "--read-only", "retract q-early because 'typo'"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("read-only"), "{}", run.stderr);
    assert_eq!(scratch.export(), before);
    let asked = scratch.run(&["query", "--read-only", "china.export_quota for 2010"]);
    assert_eq!(asked.code, 0, "{}", asked.stderr);
}

/// `annals completions SHELL` prints a completion script that knows the
/// commands, and touches no store.
#[test]
fn completions_are_printed_for_each_shell_without_a_store() {
    let scratch = Scratch::new();
    for shell in ["bash", "zsh", "fish"] {
        let run = scratch.run(&["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        for command in ["import", "query", "verify", "repl"] {
            assert!(run.stdout.contains(command), "{shell} lacks {command}");
        }
    }
    assert!(!scratch.db().exists());
    assert_eq!(scratch.run(&["completions", "tcsh-of-the-future"]).code, 2);
}
