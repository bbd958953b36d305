//! What the benches share: a store of N synthetic events (SPEC §10), built
//! once and kept under `target/bench-stores/`, and the questions asked of it.
//!
//! `ANNALS_BENCH_EVENTS` sets N (default 1,000,000). The log is imported in
//! batches of at most a million events, as a user importing many files would.

#![allow(dead_code)]

use annals::synthetic::{generate, Questions, Shape, VERSION};
use annals::{interchange, Store};
use std::path::PathBuf;
use std::time::Instant;

pub const SEED: u64 = 1;
const BATCH: usize = 1_000_000;

pub fn events() -> u64 {
    std::env::var("ANNALS_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(1_000_000)
}

pub fn bench_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("bench-stores")
}

/// The JSON Lines of the synthetic log of `n` events, generated once.
pub fn jsonl(n: u64) -> PathBuf {
    let path = bench_dir().join(format!("synthetic-v{VERSION}-{n}-seed{SEED}.jsonl"));
    if !path.exists() {
        std::fs::create_dir_all(bench_dir()).expect("bench dir");
        let partial = path.with_extension("partial");
        let file = std::fs::File::create(&partial).expect("create the log");
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        generate(Shape::new(n, SEED), &mut out).expect("generate the log");
        drop(out);
        std::fs::rename(&partial, &path).expect("keep the log");
    }
    path
}

/// Imports a JSON Lines log into a new store at `dir`, a million lines per
/// batch; returns the seconds the imports took (parsing included).
pub fn import(log: &PathBuf, dir: &PathBuf) -> f64 {
    let bytes = std::fs::read(log).expect("read the log");
    let store = Store::open(dir).expect("open the store");
    let started = Instant::now();
    let mut rest: &[u8] = &bytes;
    while !rest.is_empty() {
        let mut end = rest.len();
        let mut lines = 0;
        for (i, b) in rest.iter().enumerate() {
            if *b == b'\n' {
                lines += 1;
                if lines == BATCH {
                    end = i + 1;
                    break;
                }
            }
        }
        interchange::import_file(&store, "synthetic.jsonl", &rest[..end]).expect("import a batch");
        rest = &rest[end..];
    }
    started.elapsed().as_secs_f64()
}

/// True when the store of `n` events was built by an earlier run.
pub fn store_dir_is_ready(n: u64) -> bool {
    bench_dir()
        .join(format!("store-v{VERSION}-{n}-seed{SEED}"))
        .join("READY")
        .exists()
}

/// The store of `n` synthetic events, built once.
pub fn store_dir(n: u64) -> PathBuf {
    let dir = bench_dir().join(format!("store-v{VERSION}-{n}-seed{SEED}"));
    let ready = dir.join("READY");
    if !ready.exists() {
        let _ = std::fs::remove_dir_all(&dir);
        let log = jsonl(n);
        let seconds = import(&log, &dir);
        eprintln!("built {} in {seconds:.1} s", dir.display());
        std::fs::write(&ready, format!("{seconds}\n")).expect("mark the store ready");
    }
    dir
}

/// The questions asked of the store of `n` events.
pub fn questions(n: u64) -> Questions {
    Questions::new(Shape::new(n, SEED))
}

/// Drops every file under `path` from the OS page cache (SPEC §10's cold
/// reads): a read after it comes from the disk. Only clean pages can be
/// dropped, which is all of a committed store's.
pub fn evict(path: &std::path::Path) {
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    if meta.is_dir() {
        for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
            evict(&entry.path());
        }
        return;
    }
    if let Ok(file) = std::fs::File::open(path) {
        use std::os::fd::AsRawFd;
        // SAFETY: posix_fadvise takes a file descriptor we own and plain
        // integers; it reads and writes no memory of ours.
        let status =
            unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        assert_eq!(status, 0, "posix_fadvise on {}", path.display());
    }
}

/// Resident memory now and at its peak, in MiB, from /proc.
pub fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The bytes the files under `path` take on the disk (blocks allocated),
/// and their lengths, recursively. The two differ for a file with holes:
/// redb leaves pages it freed, or never wrote, unallocated inside its file.
pub fn size_of(path: &PathBuf) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return (0, 0);
    };
    if meta.is_file() {
        return (meta.blocks() * 512, meta.len());
    }
    std::fs::read_dir(path).map_or((0, 0), |entries| {
        entries
            .flatten()
            .map(|e| size_of(&e.path()))
            .fold((0, 0), |(a, b), (c, d)| (a + c, b + d))
    })
}
