//! Golden files for the query language (SPEC §7): each file in
//! `tests/golden/` is a script of statements, each on a line starting with
//! `> ` (answer printed as a table), `>json ` (as JSON), `>csv ` (as CSV) or
//! `>vertical ` (one `field: value` line each), followed by the expected
//! output. `formats.golden` pins every kind of statement in JSON and CSV,
//! so that a change inside the executor or the renderer cannot change what
//! a program reads without a golden diff. The script runs top to bottom
//! against a fresh store holding the bundled data set, so writes affect
//! later statements.
//!
//! To accept new output after a deliberate change, run the tests with
//! `UPDATE_GOLDEN=1` and review the diff like code.

mod common;
use annals::query::{self, render, Format};
use annals::{interchange, Store};
use std::path::Path;

fn fixture_store() -> Store {
    let store = Store::temporary().unwrap();
    interchange::import_file(
        &store,
        "rare-earths.jsonl",
        &std::fs::read(common::fixture()).unwrap(),
    )
    .unwrap();
    store
}

/// Runs a script and returns the text the golden file should hold.
fn run_script(script: &str) -> String {
    let store = fixture_store();
    let mut out = String::new();
    for line in script.lines() {
        let (format, statement) = if let Some(s) = line.strip_prefix(">json ") {
            (Format::Json, s)
        } else if let Some(s) = line.strip_prefix(">csv ") {
            (Format::Csv, s)
        } else if let Some(s) = line.strip_prefix(">vertical ") {
            (Format::Vertical, s)
        } else if let Some(s) = line.strip_prefix("> ") {
            (Format::Table, s)
        } else {
            continue;
        };
        out.push_str(line);
        out.push('\n');
        match query::run(&store, statement).and_then(|reply| render::render(reply, format, 0)) {
            Ok(text) => out.push_str(&without_clock(&text)),
            Err(e) => {
                out.push_str(&format!("error: {e}\n"));
            }
        }
        out.push('\n');
    }
    out
}

/// The recorded time of a record, and so its hash, differ at every import:
/// `show` prints them as placeholders here (a test of the binary checks
/// them against `export`).
fn without_clock(text: &str) -> String {
    text.lines()
        .map(|line| {
            for field in ["recorded", "hash"] {
                if line.starts_with(field) && line.contains(" : ") {
                    let (name, _) = line.split_once(" : ").unwrap_or((line, ""));
                    return format!("{name} : <{field}>\n");
                }
            }
            format!("{line}\n")
        })
        .collect()
}

fn check(name: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.golden"));
    let expected = std::fs::read_to_string(&path).unwrap();
    let actual = run_script(&expected);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    if actual != expected {
        let first = actual
            .lines()
            .zip(expected.lines())
            .position(|(a, e)| a != e)
            .unwrap_or(0);
        panic!(
            "{name}.golden differs from line {}:\n  expected: {}\n  actual:   {}\n(run with UPDATE_GOLDEN=1 to accept, then review the diff)",
            first + 1,
            expected.lines().nth(first).unwrap_or(""),
            actual.lines().nth(first).unwrap_or("")
        );
    }
}

#[test]
fn get_answers_match_the_golden_file() {
    check("get");
}

#[test]
fn history_answers_match_the_golden_file() {
    check("history");
}

#[test]
fn timeline_answers_match_the_golden_file() {
    check("timeline");
}

#[test]
fn diff_answers_match_the_golden_file() {
    check("diff");
}

#[test]
fn explain_answers_match_the_golden_file() {
    check("explain");
}

#[test]
fn claims_listings_and_where_match_the_golden_file() {
    check("claims");
}

#[test]
fn catalog_answers_match_the_golden_file() {
    check("catalog");
}

#[test]
fn writing_statements_match_the_golden_file() {
    check("writes");
}

#[test]
fn every_statement_kind_in_json_and_csv_matches_the_golden_file() {
    check("formats");
}

#[test]
fn every_error_class_matches_the_golden_file() {
    check("errors");
}
