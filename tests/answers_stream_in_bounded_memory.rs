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
    run_measuring_memory(scratch, format, &["query", "*.*", "--format", format])
}

/// Runs `annals --db DB ARGS`, writing stdout to a file named after
/// `name`; returns the exit code, the file, stderr and the peak resident
/// memory in MiB.
fn run_measuring_memory(
    scratch: &Scratch,
    name: &str,
    args: &[&str],
) -> (i32, std::path::PathBuf, String, u64) {
    let out = scratch.dir.path().join(format!("answer.{name}"));
    let err = scratch.dir.path().join(format!("stderr.{name}"));
    // Reaped by `wait4` below, which `Child::wait` cannot replace: it
    // discards the resource usage.
    #[allow(clippy::zombie_processes)]
    let child = Command::new(env!("CARGO_BIN_EXE_annals"))
        .arg("--db")
        .arg(scratch.db())
        .args(args)
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

/// How often `needle` occurs in the file at `path`, read a megabyte at a
/// time: the answers are larger than the limit, and what this process
/// holds when it starts the next child counts in that child's peak.
fn occurrences(path: &std::path::Path, needle: &[u8]) -> usize {
    use std::io::Read;
    let mut file = std::fs::File::open(path).unwrap();
    let (mut count, mut window) = (0, Vec::new());
    let mut chunk = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut chunk).unwrap();
        if n == 0 {
            return count;
        }
        window.extend_from_slice(&chunk[..n]);
        count += window
            .windows(needle.len())
            .filter(|w| *w == needle)
            .count();
        // Keep what could begin an occurrence that the next chunk ends.
        let keep = window.len().min(needle.len() - 1);
        window.drain(..window.len() - keep);
    }
}

/// The first and last `n` bytes of the file at `path`, as text.
fn ends(path: &std::path::Path, n: usize) -> (String, String) {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path).unwrap();
    let length = file.metadata().unwrap().len();
    let mut head = vec![0u8; n.min(length as usize)];
    file.read_exact(&mut head).unwrap();
    file.seek(SeekFrom::Start(length.saturating_sub(n as u64)))
        .unwrap();
    let mut tail = Vec::new();
    file.read_to_end(&mut tail).unwrap();
    (
        String::from_utf8_lossy(&head).into_owned(),
        String::from_utf8_lossy(&tail).into_owned(),
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
    let csv_rows = occurrences(&csv, b"\n") - 1;
    assert!(csv_rows > 100_000, "{csv_rows} rows");

    let (code, json, stderr, peak) = query_measuring_memory(&scratch, "json");
    assert_eq!(code, 0, "{stderr}");
    assert!(peak < LIMIT_MIB, "JSON: {peak} MiB resident at the peak");
    let size = std::fs::metadata(&json).unwrap().len();
    assert!(
        size > LIMIT_MIB << 20,
        "the answer ({size} bytes) must be larger than the limit to prove anything"
    );
    // The JSON answer is whole: one object, every row of the CSV answer.
    let (head, tail) = ends(&json, 80);
    assert!(head.starts_with("{\"log_seq\":400000,\"rows\":["), "{head}");
    assert!(tail.trim_end().ends_with("]}"), "the answer ends whole");
    assert_eq!(occurrences(&json, b"{\"subject\":"), csv_rows);

    // A table sizes its columns from the rows it shows, so a long answer
    // is printed as tables of a thousand rows each, counted once at the
    // end. Taken whole, this one held gigabytes.
    let (code, table, stderr, peak) = query_measuring_memory(&scratch, "table");
    assert_eq!(code, 0, "{stderr}");
    assert!(peak < LIMIT_MIB, "table: {peak} MiB resident at the peak");
    let (_, tail) = ends(&table, 200);
    assert!(
        tail.ends_with(&format!("\n{csv_rows} rows; log_seq 400000\n")),
        "the table ends with the count of every row: {tail}"
    );
    assert_eq!(occurrences(&table, b" rows; log_seq "), 1, "one count line");
    assert_eq!(
        occurrences(&table, "│ subject ".as_bytes()),
        csv_rows.div_ceil(1000),
        "a header per thousand rows"
    );

    // A query file's answers stream too, one JSON object per line.
    let questions = scratch.dir.path().join("questions.aq");
    std::fs::write(&questions, "s1.*\n*.*\nsubjects\n").unwrap();
    let (code, lines, stderr, peak) = run_measuring_memory(
        &scratch,
        "lines",
        &["query", "-f", questions.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        peak < LIMIT_MIB,
        "a query file: {peak} MiB resident at the peak"
    );
    assert_eq!(occurrences(&lines, b"\n"), 3, "one object per statement");
    assert_eq!(occurrences(&lines, b"{\"log_seq\":"), 3);
    assert_eq!(occurrences(&lines, b"]}\n"), 3, "every answer ends whole");
    assert!(occurrences(&lines, b"{\"subject\":") > csv_rows);
}
