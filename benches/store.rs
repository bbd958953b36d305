//! Criterion benches of SPEC §10 at `ANNALS_BENCH_EVENTS` events (default
//! 1M): import, `get` of one slot as known at a past period, `history`,
//! `timeline` with aggregation, and open. Each loop asserts on its result,
//! so a bench cannot pass by answering nothing.
//!
//!     cargo bench --bench store
//!
//! Tail latencies and the other bars are in `benches/latency.rs`.

#[path = "support/mod.rs"]
mod support;

use annals::{interchange, Store};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::time::Duration;

fn import(c: &mut Criterion) {
    // A 100,000-event file into an empty store, durable at the end.
    let log = std::fs::read(support::jsonl(100_000)).expect("the 100k log");
    let mut group = c.benchmark_group("import");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30))
        .throughput(Throughput::Elements(100_000));
    group.bench_function("100k events from JSON Lines", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("tempdir"),
            |dir| {
                let store = Store::open(dir.path().join("db")).expect("open");
                let appended =
                    interchange::import_file(&store, "synthetic.jsonl", &log).expect("import");
                assert_eq!(appended.last_seq, 100_000);
                dir
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn reads(c: &mut Criterion) {
    let n = support::events();
    let dir = support::store_dir(n);
    let store = Store::open(&dir).expect("open");
    let mut questions = support::questions(n);
    let mut group = c.benchmark_group(format!("read at {n} events"));
    group
        .sample_size(50)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("get one slot as known at a past period", |b| {
        b.iter(|| {
            let answer = store.get(&questions.next_get()).expect("get");
            assert_eq!(answer.log_seq, n);
            answer
        })
    });
    group.bench_function("history of one series for a year", |b| {
        b.iter(|| {
            let out = store
                .query(&format!(
                    "history {}.production for 2005",
                    questions.subject()
                ))
                .and_then(|reply| reply.collect_all())
                .expect("history");
            assert_eq!(out.log_seq, n);
            out
        })
    });
    group.bench_function(
        "timeline of a daily series, monthly average over a year",
        |b| {
            b.iter(|| {
                let q = format!(
                    "timeline {}.price.oxide from 2005 to 2005 every month avg as known 2010",
                    questions.subject()
                );
                let out = store
                    .query(&q)
                    .and_then(|reply| reply.collect_all())
                    .expect("timeline");
                assert_eq!(out.log_seq, n);
                out
            })
        },
    );
    group.finish();
    drop(store);

    let mut group = c.benchmark_group(format!("open at {n} events"));
    group.sample_size(20);
    group.bench_function("open the store", |b| {
        b.iter(|| {
            let store = Store::open(&dir).expect("open");
            assert_eq!(store.position(), n);
            store
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(2)).noise_threshold(0.05);
    targets = import, reads
}
criterion_main!(benches);
