//! annals against SQLite on the same workload, in one run.
//!
//! Both get the same synthetic JSON Lines log (`annals::synthetic`), parsed
//! by the same parser, so the comparison is of storage and lookup:
//!
//! - annals: `Store::open` on a fresh directory, `interchange::append_file`.
//! - SQLite: WAL journal, one transaction, prepared statements, a table of
//!   claims indexed on `(subject, attribute, valid_start)` — the best index
//!   for an as-of lookup of one slot — plus denials and retractions indexed
//!   on their target; `synchronous=FULL` so the commit is durable like
//!   annals' import.
//!
//! Then the same 100,000 questions ("one slot, as known at a past period")
//! on both. For SQLite the query fetches the slot's candidates through the
//! index with the known-time and retraction filters in SQL, and denials per
//! candidate; the winner is picked in Rust with annals' own `resolve`, so
//! both do the same resolution work.

use annals::Event;
use annals::AttributeMatch;
use annals::testing::{self as resolve, Candidate};
use annals::synthetic::{generate, Questions, Shape};
use annals::{interchange, Get, Period, Store};
use rusqlite::{params, Connection};
use std::time::{Duration, Instant};

fn main() {
    let n: u64 = std::env::args().nth(1).and_then(|a| a.replace('_', "").parse().ok()).unwrap_or(1_000_000);
    let mut log = Vec::new();
    generate(Shape::new(n, 1), &mut log).expect("generate");
    let dir = tempfile::tempdir().expect("tempdir");

    // annals
    let started = Instant::now();
    let parsed = interchange::parse_file("synthetic.jsonl", &log).expect("parse");
    let store = Store::open(dir.path().join("annals")).expect("open annals");
    interchange::append_file(&store, parsed).expect("import into annals");
    let annals_import = started.elapsed();

    // SQLite
    let started = Instant::now();
    let parsed = interchange::parse_file("synthetic.jsonl", &log).expect("parse");
    let sqlite = Connection::open(dir.path().join("baseline.sqlite")).expect("open sqlite");
    load_sqlite(&sqlite, &store, parsed.events);
    let sqlite_import = started.elapsed();

    let questions = questions(n, 100_000);
    let annals_get = time_each(&questions, |q| store.get(q).expect("get").rows.len());
    let mut statement = sqlite
        .prepare_cached(
            "SELECT seq, value, known_start, known_end FROM claims
             WHERE subject = ?1 AND attribute = ?2 AND valid_start < ?4 AND valid_end > ?3
               AND known_end <= ?5
               AND NOT EXISTS (SELECT 1 FROM retractions r WHERE r.target = claims.seq)",
        )
        .expect("prepare");
    let mut denials = sqlite
        .prepare_cached(
            "SELECT 1 FROM denials d WHERE d.target = ?1 AND d.known_end <= ?2
               AND NOT EXISTS (SELECT 1 FROM retractions r WHERE r.target = d.seq) LIMIT 1",
        )
        .expect("prepare");
    let sqlite_get = time_each(&questions, |q| {
        let subject = q.selector.subject.as_deref().unwrap_or_default();
        let AttributeMatch::Exact(attribute) = &q.selector.attribute else { return 0 };
        let valid = q.valid.unwrap_or(Period::ALL);
        let known_end = q.known.map_or(i64::MAX, |k| k.end_key());
        let rows = statement
            .query_map(params![subject, attribute, valid.start_key(), valid.end_key(), known_end], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, i64>(3)?))
            })
            .expect("query")
            .map(|r| r.expect("row"))
            .collect::<Vec<_>>();
        let candidates: Vec<Candidate> = rows
            .into_iter()
            .map(|(seq, value, ks, ke)| {
                let denied = denials.exists(params![seq, known_end]).expect("denials");
                let known = Period { start: Some(annals::Day(ks as i32)), end: Some(annals::Day(ke as i32)) };
                Candidate { seq: seq as u64, known, value, denied }
            })
            .collect();
        usize::from(resolve::resolve(&candidates).is_some())
    });

    let annals_disk = size_of(&dir.path().join("annals"));
    let sqlite_disk = ["baseline.sqlite", "baseline.sqlite-wal"].iter().map(|f| size_of(&dir.path().join(f))).sum::<u64>();
    let ratio = |a: f64, b: f64| b / a;
    println!("| {n} events | annals | SQLite | SQLite / annals |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| import (parse + durable write) | {:.1} s | {:.1} s | {:.2} |",
        annals_import.as_secs_f64(),
        sqlite_import.as_secs_f64(),
        ratio(annals_import.as_secs_f64(), sqlite_import.as_secs_f64())
    );
    for (name, a, s) in [("get p50", &annals_get, &sqlite_get)] {
        let (ap, sp) = (micros(a, 0.5), micros(s, 0.5));
        println!("| {name} | {ap:.1} µs | {sp:.1} µs | {:.2} |", ratio(ap, sp));
        let (ap, sp) = (micros(a, 0.99), micros(s, 0.99));
        println!("| get p99 | {ap:.1} µs | {sp:.1} µs | {:.2} |", ratio(ap, sp));
    }
    println!(
        "| disk | {:.0} MiB | {:.0} MiB | {:.2} |",
        annals_disk as f64 / 1048576.0,
        sqlite_disk as f64 / 1048576.0,
        ratio(annals_disk as f64, sqlite_disk as f64)
    );
    println!("(JSON Lines: {:.0} MiB)", log.len() as f64 / 1048576.0);
}

/// Loads claims, denials and retractions into SQLite in one transaction.
/// Default known periods are resolved here from the store's sources, as of
/// the end of the log, so SQLite needs no source table.
fn load_sqlite(db: &Connection, store: &Store, events: Vec<Event>) {
    db.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
         CREATE TABLE claims (seq INTEGER PRIMARY KEY, subject TEXT NOT NULL, attribute TEXT NOT NULL,
             valid_start INTEGER NOT NULL, valid_end INTEGER NOT NULL, value TEXT NOT NULL,
             known_start INTEGER NOT NULL, known_end INTEGER NOT NULL, source TEXT NOT NULL);
         CREATE TABLE denials (seq INTEGER PRIMARY KEY, target INTEGER NOT NULL, known_end INTEGER NOT NULL);
         CREATE TABLE retractions (seq INTEGER PRIMARY KEY, target INTEGER NOT NULL);",
    )
    .expect("schema");
    // Each source's published period, asked once through the query language.
    let mut sources: std::collections::HashMap<String, Period> = Default::default();
    let mut published = |source: &str| -> Period {
        *sources.entry(source.to_string()).or_insert_with(|| {
            let rows = store
                .query(&format!("source {source}"))
                .and_then(|reply| reply.collect_all())
                .expect("source")
                .rows;
            match rows.first() {
                Some(annals::query::AnswerRow::SourceText(s)) => s.published,
                _ => panic!("unknown source {source}"),
            }
        })
    };
    let tx = db.unchecked_transaction().expect("begin");
    {
        let mut claim = tx.prepare_cached("INSERT INTO claims VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)").expect("prepare");
        let mut denial = tx.prepare_cached("INSERT INTO denials VALUES (?1, ?2, ?3)").expect("prepare");
        let mut retraction = tx.prepare_cached("INSERT INTO retractions VALUES (?1, ?2)").expect("prepare");
        for (i, event) in events.into_iter().enumerate() {
            let seq = i as i64 + 1;
            let target = |id: &str| id.trim_start_matches('e').parse::<i64>().expect("an automatic id");
            match event {
                Event::Assert(c) => {
                    let known = c.known.unwrap_or_else(|| published(&c.source));
                    claim
                        .execute(params![
                            seq,
                            c.subject,
                            c.attribute,
                            c.valid.start_key(),
                            c.valid.end_key(),
                            c.value.to_string(),
                            known.start_key(),
                            known.end_key(),
                            c.source
                        ])
                        .expect("insert claim");
                }
                Event::Deny(d) => {
                    let known = d.known.unwrap_or_else(|| published(&d.source));
                    denial.execute(params![seq, target(&d.target), known.end_key()]).expect("insert denial");
                }
                Event::Retract(r) => {
                    retraction.execute(params![seq, target(&r.target)]).expect("insert retraction");
                }
                Event::Define(_) | Event::Source(_) => {}
            }
        }
    }
    tx.execute_batch(
        "CREATE INDEX claims_slot ON claims (subject, attribute, valid_start);
         CREATE INDEX denials_target ON denials (target);
         CREATE INDEX retractions_target ON retractions (target);",
    )
    .expect("index");
    tx.commit().expect("commit");
}

fn questions(n: u64, count: usize) -> Vec<Get> {
    let mut questions = Questions::new(Shape::new(n, 1));
    (0..count).map(|_| questions.next_get()).collect()
}

fn time_each(questions: &[Get], mut ask: impl FnMut(&Get) -> usize) -> Vec<Duration> {
    for q in questions.iter().take(10_000) {
        std::hint::black_box(ask(q));
    }
    let mut times: Vec<Duration> = questions
        .iter()
        .map(|q| {
            let started = Instant::now();
            std::hint::black_box(ask(q));
            started.elapsed()
        })
        .collect();
    times.sort();
    times
}

fn micros(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)].as_secs_f64() * 1e6
}

fn size_of(path: &std::path::Path) -> u64 {
    let Ok(meta) = std::fs::metadata(path) else { return 0 };
    if meta.is_file() {
        return meta.len();
    }
    std::fs::read_dir(path).map_or(0, |entries| entries.flatten().map(|e| size_of(&e.path())).sum())
}
