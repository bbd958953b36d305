//! A large answer is written as it is computed, never built whole
//! (SPEC §10: memory is the engine's cache plus a little, whatever the
//! answer's size).
//!
//! The proof does not depend on the machine: `query '*.*'` over a synthetic
//! store writes an answer larger than the limit below, and the process's
//! peak resident memory, as the kernel counts it (`wait4`'s `ru_maxrss`:
//! code, stacks, heap and the engine's cache together), stays under it. An
//! answer built in memory before the first row is printed cannot.
//! (The limit was once put on the address space with `ulimit -v`; the
//! binary's allocator reserves address space it does not use, which that
//! counts and SPEC §10 does not.)

// wait4's ru_maxrss is KiB on Linux (bytes on macOS; absent on Windows).
#![cfg(target_os = "linux")]

mod common;
use common::Scratch;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// The limit on resident memory: the whole process, redb's smallest cache
/// (16 MiB) included.
const LIMIT_MIB: u64 = 96;

/// Runs `annals --db DB query '*.*' --format FORMAT`, writing the answer
/// to a file; returns the exit code, the file, stderr and the peak
/// resident memory in MiB.
fn query_measuring_memory(
    scratch: &Scratch,
    format: &str,
) -> (i32, std::path::PathBuf, String, u64) {
    let out = scratch.dir.path().join(format!("answer.{format}"));
    let err = scratch.dir.path().join(format!("stderr.{format}"));
    // Reaped by `wait4` below, which `Child::wait` cannot replace: it
    // discards the resource usage.
    #[allow(clippy::zombie_processes)]
    let child = Command::new(env!("CARGO_BIN_EXE_annals"))
        .arg("--db")
        .arg(scratch.db())
        .args(["query", "*.*", "--format", format])
        .env("ANNALS_CACHE_MB", "16")
        .env_remove("ANNALS_DB")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .expect("run annals");
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4: {}", std::io::Error::last_os_error());
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    // ru_maxrss is in KiB on Linux.
    let peak_mib = usage.ru_maxrss as u64 / 1024;
    (
        code,
        out,
        std::fs::read_to_string(&err).unwrap_or_default(),
        peak_mib,
    )
}

#[test]
fn an_answer_larger_than_the_memory_the_process_may_use_is_written_whole() {
    let scratch = Scratch::new();
    let file = scratch.dir.path().join("synthetic.jsonl");
    let mut writer = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
    annals::synthetic::generate(annals::synthetic::Shape::new(400_000, 1), &mut writer).unwrap();
    drop(writer);
    let import = scratch.run(&["import", file.to_str().unwrap()]);
    assert_eq!(import.code, 0, "{}", import.stderr);

    let (code, csv, stderr, peak) = query_measuring_memory(&scratch, "csv");
    assert_eq!(code, 0, "{stderr}");
    assert!(peak < LIMIT_MIB, "CSV: {peak} MiB resident at the peak");
    let csv_rows = BufReader::new(std::fs::File::open(&csv).unwrap())
        .lines()
        .count()
        - 1;

    // A table sizes its columns from the rows it shows, so a long answer
    // is printed as tables of a thousand rows each, counted once at the
    // end. Taken whole, this one held gigabytes. (Before the JSON answer
    // is read here: a child's peak counts the memory of the process it
    // was forked from.)
    let (code, table, stderr, peak) = query_measuring_memory(&scratch, "table");
    assert_eq!(code, 0, "{stderr}");
    assert!(peak < LIMIT_MIB, "table: {peak} MiB resident at the peak");
    {
        let text = std::fs::read_to_string(&table).unwrap();
        assert!(
            text.ends_with(&format!("\n{csv_rows} rows; log_seq 400000\n")),
            "the table ends with the count of every row: {}",
            &text[text.len().saturating_sub(200)..]
        );
        assert_eq!(text.matches(" rows; log_seq ").count(), 1, "one count line");
        let headers = text.matches("│ subject ").count();
        assert_eq!(
            headers,
            csv_rows.div_ceil(1000),
            "a header per thousand rows"
        );
    }

    let (code, json, stderr, peak) = query_measuring_memory(&scratch, "json");
    assert_eq!(code, 0, "{stderr}");
    assert!(peak < LIMIT_MIB, "JSON: {peak} MiB resident at the peak");
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
