//! What the benches share: a store of N synthetic events (SPEC §10), built
//! once and kept under `target/bench-stores/`, and the questions asked of it.
//!
//! `ANNALS_BENCH_EVENTS` sets N (default 1,000,000). The log is imported in
//! batches of at most a million events, as a user importing many files would.

#![allow(dead_code)]

use annals::answer::Selector;
use annals::synthetic::{generate, Rng, Shape};
use annals::{interchange, Get, Period, Store};
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
    let path = bench_dir().join(format!("synthetic-{n}-seed{SEED}.jsonl"));
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
        .join(format!("store-{n}-seed{SEED}"))
        .join("READY")
        .exists()
}

/// The store of `n` synthetic events, built once.
pub fn store_dir(n: u64) -> PathBuf {
    let dir = bench_dir().join(format!("store-{n}-seed{SEED}"));
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

/// A deterministic stream of past-knowledge questions about single slots:
/// a yearly figure of one subject, or one day of its price, as known at
/// the end of a later year.
pub struct Questions {
    rng: Rng,
    subjects: u64,
}

impl Questions {
    pub fn new(n: u64) -> Questions {
        Questions {
            rng: Rng::new(99),
            subjects: Shape::new(n, SEED).subjects,
        }
    }

    pub fn next_get(&mut self) -> Get {
        let subject = format!("s{}", self.rng.below(self.subjects));
        let year = 1991 + self.rng.below(28) as i32;
        let known = Period::year(year + 1 + self.rng.below(2) as i32);
        if self.rng.below(2) == 0 {
            let attribute = ["export_quota", "production", "mining_quota", "demand"]
                [self.rng.below(4) as usize];
            Get {
                selector: Selector::exact(&subject, attribute),
                valid: Some(Period::year(year)),
                known: Some(known),
                recorded: None,
            }
        } else {
            let day = Period::parse(&format!(
                "{year}-{:02}-{:02}",
                1 + self.rng.below(12),
                1 + self.rng.below(28)
            ))
            .expect("a day");
            Get {
                selector: Selector::exact(&subject, "price.oxide"),
                valid: Some(day),
                known: Some(known),
                recorded: None,
            }
        }
    }

    pub fn subject(&mut self) -> String {
        format!("s{}", self.rng.below(self.subjects))
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

/// Bytes in a directory, recursively.
pub fn size_of(path: &PathBuf) -> u64 {
    let Ok(meta) = std::fs::metadata(path) else {
        return 0;
    };
    if meta.is_file() {
        return meta.len();
    }
    std::fs::read_dir(path).map_or(0, |entries| {
        entries.flatten().map(|e| size_of(&e.path())).sum()
    })
}
