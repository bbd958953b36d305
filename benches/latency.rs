//! The SPEC §10 figures at one size (`ANNALS_BENCH_EVENTS`, default 1M):
//! import throughput, open time, `get` latency percentiles over 100,000
//! past-knowledge questions, `history` and `timeline` medians, resident
//! memory while querying, and disk use against the JSON Lines.
//!
//!     cargo bench --bench latency
//!     ANNALS_BENCH_EVENTS=10000000 cargo bench --bench latency
//!
//! Criterion gives means and confidence intervals (`benches/store.rs`);
//! this harness gives the tail, which the bars are about. Run it twice: a
//! run that builds the store reports the build's memory as its peak.

#[path = "support/mod.rs"]
mod support;

use annals::Store;
use std::time::{Duration, Instant};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() {
    let n = support::events();
    let built_before = support::store_dir_is_ready(n);
    let dir = support::store_dir(n);
    let import_seconds: f64 = std::fs::read_to_string(dir.join("READY"))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(f64::NAN);

    let mut opens = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let store = Store::open(&dir).expect("open");
        opens.push(started.elapsed());
        assert_eq!(store.position(), n, "the store holds every event");
    }
    opens.sort();
    let mut questions = support::questions(n);
    // Cold: the store's files evicted from the OS page cache, then opened
    // (SPEC §10).
    support::evict(&dir);
    let store = Store::open(&dir).expect("open");

    // Two rounds of 100,000 questions: the first right after open, with the
    // engine's cache and the OS's empty; the second in the same process,
    // warmed by the first, as a process serving queries (`query -f`, the
    // API) would be.
    let mut rounds = Vec::new();
    let (mut rows, mut answered, mut recorded) = (0, 0, 0);
    for _ in 0..2 {
        let mut latencies = Vec::with_capacity(100_000);
        for _ in 0..100_000 {
            let question = questions.next_get();
            let started = Instant::now();
            let answer = store.get(&question).expect("get");
            latencies.push(started.elapsed());
            assert_eq!(answer.log_seq, question.recorded.unwrap_or(n).min(n));
            rows += answer.rows.len();
            answered += usize::from(!answer.rows.is_empty());
            recorded += usize::from(question.recorded.is_some());
        }
        latencies.sort();
        rounds.push(latencies);
    }
    let (cold, latencies) = (&rounds[0], &rounds[1]);

    let mut history = Vec::new();
    let mut timeline = Vec::new();
    for _ in 0..2_000 {
        let subject = questions.subject();
        let started = Instant::now();
        let out = store
            .query(&format!("history {subject}.production for 2005"))
            .and_then(|reply| reply.collect_all())
            .expect("history");
        history.push(started.elapsed());
        assert_eq!(out.log_seq, n);
        let started = Instant::now();
        let out = store
            .query(&format!(
                "timeline {subject}.price.oxide from 2005 to 2006 every month avg as known 2010"
            ))
            .and_then(|reply| reply.collect_all())
            .expect("timeline");
        timeline.push(started.elapsed());
        assert_eq!(out.log_seq, n);
    }
    history.sort();
    timeline.sort();
    let (rss, peak) = support::memory_mib();
    let jsonl = std::fs::metadata(support::jsonl(n))
        .map(|m| m.len())
        .unwrap_or(0);
    let (disk, length) = support::size_of(&dir);

    println!(
        "annals at {n} events ({})",
        std::env::var("ANNALS_ENGINE").unwrap_or_else(|_| "redb".into())
    );
    println!(
        "  import            {:.1} s, {:.0} events/s",
        import_seconds,
        n as f64 / import_seconds
    );
    println!(
        "  open              median {:.1} ms, max {:.1} ms",
        opens[2].as_secs_f64() * 1e3,
        opens[4].as_secs_f64() * 1e3
    );
    println!(
        "  get, cold         p50 {:.1} µs, p99 {:.1} µs, max {:.0} µs (the first 100,000 questions, files evicted before open)",
        micros(percentile(cold, 0.50)),
        micros(percentile(cold, 0.99)),
        micros(cold[cold.len() - 1]),
    );
    println!(
        "  get, warm         p50 {:.1} µs, p99 {:.1} µs, max {:.0} µs (the next 100,000)",
        micros(percentile(latencies, 0.50)),
        micros(percentile(latencies, 0.99)),
        micros(latencies[latencies.len() - 1]),
    );
    println!(
        "  questions         {:.0} % answered, {:.2} rows each, {:.0} % as recorded",
        answered as f64 / 2_000.0,
        rows as f64 / 200_000.0,
        recorded as f64 / 2_000.0
    );
    println!(
        "  history           p50 {:.1} µs, p99 {:.1} µs",
        micros(percentile(&history, 0.5)),
        micros(percentile(&history, 0.99))
    );
    println!(
        "  timeline (avg/mo) p50 {:.1} µs, p99 {:.1} µs",
        micros(percentile(&timeline, 0.5)),
        micros(percentile(&timeline, 0.99))
    );
    println!(
        "  memory            {rss:.0} MiB resident after queries, peak {peak:.0} MiB{}",
        if built_before {
            ""
        } else {
            " (this run built the store: the peak is the build's)"
        }
    );
    println!(
        "  disk              {:.0} MiB allocated (files {:.0} MiB long) for {:.0} MiB of JSON Lines: {:.2}x",
        disk as f64 / 1048576.0,
        length as f64 / 1048576.0,
        jsonl as f64 / 1048576.0,
        disk as f64 / jsonl as f64
    );
}
