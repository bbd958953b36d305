//! A large answer is written as it is computed, never built whole
//! (SPEC §10: memory is the engine's cache plus a little, whatever the
//! answer's size).
//!
//! The proof does not depend on the machine: `query '*.*'` over a synthetic
//! store runs under `ulimit -v`, a limit on the process's whole address
//! space (code, stacks, heap and the engine's cache together) that is
//! smaller than the answer it writes. An answer built in memory before the
//! first row is printed cannot fit; one that streams does.

mod common;
use common::Scratch;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// The address-space limit: the whole process, redb's smallest cache
/// (16 MiB) included.
const LIMIT_MIB: u64 = 96;

/// Runs `annals --db DB query '*.*' --format FORMAT` under the limit,
/// writing the answer to a file; returns the exit code and the file.
fn query_under_the_limit(scratch: &Scratch, format: &str) -> (i32, std::path::PathBuf, String) {
    let out = scratch.dir.path().join(format!("answer.{format}"));
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {} && exec \"$0\" \"$@\" > \"{}\"",
            LIMIT_MIB * 1024,
            out.display()
        ))
        .arg(env!("CARGO_BIN_EXE_annals"))
        .arg("--db")
        .arg(scratch.db())
        .args(["query", "*.*", "--format", format])
        .env("ANNALS_CACHE_MB", "16")
        .env_remove("ANNALS_DB")
        .stdin(Stdio::null())
        .output()
        .expect("run sh");
    (
        output.status.code().unwrap_or(-1),
        out,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn an_answer_larger_than_the_process_may_address_is_written_whole() {
    let scratch = Scratch::new();
    let file = scratch.dir.path().join("synthetic.jsonl");
    let mut writer = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
    annals::synthetic::generate(annals::synthetic::Shape::new(400_000, 1), &mut writer).unwrap();
    drop(writer);
    let import = scratch.run(&["import", file.to_str().unwrap()]);
    assert_eq!(import.code, 0, "{}", import.stderr);

    let (code, csv, stderr) = query_under_the_limit(&scratch, "csv");
    assert_eq!(code, 0, "CSV under {LIMIT_MIB} MiB: {stderr}");
    let csv_rows = BufReader::new(std::fs::File::open(&csv).unwrap())
        .lines()
        .count()
        - 1;

    let (code, json, stderr) = query_under_the_limit(&scratch, "json");
    assert_eq!(code, 0, "JSON under {LIMIT_MIB} MiB: {stderr}");
    let size = std::fs::metadata(&json).unwrap().len();
    assert!(
        size > LIMIT_MIB << 20,
        "the answer ({size} bytes) must be larger than the limit to prove anything"
    );
    // The JSON answer is whole: one object, every row of the CSV answer.
    let text = std::fs::read_to_string(&json).unwrap();
    assert!(
        text.starts_with("{\"log_seq\":400000,\"rows\":["),
        "{}",
        &text[..80]
    );
    assert!(text.trim_end().ends_with("]}"), "the answer ends whole");
    assert_eq!(text.matches("{\"subject\":").count(), csv_rows);
    assert!(csv_rows > 100_000, "{csv_rows} rows");
}
