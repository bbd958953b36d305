//! annals against SQLite on the same workload, every figure of SPEC §10's
//! table in one run:
//!
//!     cargo run --release --manifest-path benches/sqlite-baseline/Cargo.toml -- 1000000 1000
//!     cargo run --release --manifest-path benches/sqlite-baseline/Cargo.toml -- 10000000 0
//!
//! (the second argument is how many small batches to import the log in
//! again, 0 for none). Both get the same synthetic JSON Lines log
//! (`annals::synthetic`), parsed by the same parser, so the comparison is
//! of storage and lookup:
//!
//! - annals: `annals import`'s way, the file read a part at a time into a
//!   fresh store (`interchange::import_reader`), in a child process whose
//!   peak resident memory is the import's; then the log again in ten
//!   batches (each batch's time: throughput must stay flat as the store
//!   grows), and in many small batches.
//! - SQLite, with the schema a competent engineer would write for this
//!   question (the audit of issue 16 called the first baseline, a table of
//!   claims with a non-covering index on `valid_start`, weak):
//!   - claims in a `WITHOUT ROWID` table clustered on `(subject, attribute,
//!     valid_start, seq)`, so a slot's candidates are one range of one
//!     B-tree, read without a second lookup per claim;
//!   - each series' longest valid span in a small table, so the range
//!     starts at `valid_start >= P.start - longest span` instead of at the
//!     series' first claim;
//!   - denials and retractions clustered on their target and read in the
//!     same statement, as are `as recorded` positions (`seq <= R`);
//!   - WAL, `synchronous=FULL` (the commit is durable like annals' import),
//!     one transaction, prepared statements, a 512 MiB page cache (annals'
//!     default); loaded by a compiled client (this program, in a child
//!     process too).
//!
//! Then the same 100,000 questions (`annals::synthetic::Questions`: one
//! slot as known at a past period, most of them about claims the log
//! makes, long state spans and `as recorded` among them) on both, twice:
//! cold (every file of both stores evicted from the OS page cache, then
//! opened) and warm. SQLite's statement returns each candidate with its
//! denial flag; the winner is picked in Rust with annals' own `resolve`,
//! so both do the same resolution work. Disk is measured after SQLite's
//! WAL is checkpointed into the database (as it is when the connection
//! closes).

use annals::Event;
use annals::AttributeMatch;
use annals::testing::{self as resolve, Candidate};
use annals::synthetic::{generate, Questions, Shape};
use annals::{interchange, Get, Period, Store};
use rusqlite::{params, Connection};
use std::path::Path;
use std::time::{Duration, Instant};

/// The allocator the `annals` binary uses, so that its import is measured
/// as it ships; SQLite's loader, in the same kind of child process, gets it
/// too.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The child process that measures one import's time and peak memory on
/// its own: `import-child annals|sqlite LOG DIR`.
fn import_child(kind: &str, log: &Path, dir: &Path) {
    let started = Instant::now();
    let store = Store::open(dir.join("annals")).expect("open annals");
    match kind {
        "annals" => {
            // As `annals import` reads a file: a part at a time.
            let file = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(log).expect("open the log"));
            interchange::import_reader(&store, "synthetic.jsonl", file, &Default::default())
                .expect("import into annals");
        }
        _ => {
            let bytes = std::fs::read(log).expect("read the log");
            // SQLite's loader resolves default known periods from the store's
            // sources, which an annals import of the same log has left.
            let parsed = interchange::parse_file("synthetic.jsonl", &bytes).expect("parse");
            let sqlite = Connection::open(dir.join("baseline.sqlite")).expect("open sqlite");
            load_sqlite(&sqlite, &store, parsed.events);
        }
    }
    println!("{}", started.elapsed().as_secs_f64());
}

/// Runs `import-child` and returns its seconds and peak resident MiB.
fn measure_import(kind: &str, log: &Path, dir: &Path) -> (f64, f64) {
    let child = std::process::Command::new(std::env::current_exe().expect("this program"))
        .args(["import-child", kind])
        .arg(log)
        .arg(dir)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start the import");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid; wait4 writes into the two
    // locals, which outlive the call.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait for the import");
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "the {kind} import failed");
    let mut out = String::new();
    use std::io::Read;
    child.stdout.expect("its output").read_to_string(&mut out).expect("read its output");
    (out.trim().parse().expect("seconds"), usage.ru_maxrss as f64 / 1024.0)
}

/// Imports `log` into a new store at `dir` in `batches` files of equal
/// lines, in one process; returns each batch's seconds (parse included).
fn import_in_batches(log: &[u8], dir: &Path, batches: usize) -> Vec<f64> {
    let lines: Vec<&[u8]> = log.split_inclusive(|b| *b == b'\n').collect();
    let per = lines.len().div_ceil(batches);
    let store = Store::open(dir).expect("open annals");
    lines
        .chunks(per)
        .map(|chunk| {
            let file = chunk.concat();
            let started = Instant::now();
            interchange::import_file(&store, "batch.jsonl", &file).expect("import a batch");
            started.elapsed().as_secs_f64()
        })
        .collect()
}

fn main() {
    // As the `annals` binary does (src/cli/main.rs): no transparent huge
    // pages, whose first-touch zeroing cost an import a tenth of its time
    // under mimalloc; for both sides, every child inherits it.
    // SAFETY: plain integers, no memory of ours touched.
    #[cfg(target_os = "linux")]
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("import-child") {
        return import_child(&args[2], Path::new(&args[3]), Path::new(&args[4]));
    }
    let n: u64 = args.get(1).and_then(|a| a.replace('_', "").parse().ok()).unwrap_or(1_000_000);
    let small_batches: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1_000);
    // On the disk the repository is on (a tmpfs /tmp would measure memory),
    // under its `target/`.
    std::fs::create_dir_all("target").expect("target dir");
    let dir = tempfile::tempdir_in("target").expect("tempdir");
    let log_path = dir.path().join("synthetic.jsonl");
    {
        let file = std::fs::File::create(&log_path).expect("create the log");
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        generate(Shape::new(n, 1), &mut out).expect("generate");
    }
    // Imports, each in a process of its own for its peak memory, started
    // while this process is small: a child's peak counts what it was
    // forked from.
    let (annals_import, annals_rss) = measure_import("annals", &log_path, dir.path());
    let (sqlite_import, sqlite_rss) = measure_import("sqlite", &log_path, dir.path());
    let log = std::fs::read(&log_path).expect("read the log");
    let tenths = import_in_batches(&log, &dir.path().join("tenths"), 10);
    let _ = std::fs::remove_dir_all(dir.path().join("tenths"));
    // 0 small batches skips them (at 10M they would take as long as
    // everything else).
    let small = if small_batches > 0 {
        import_in_batches(&log, &dir.path().join("small"), small_batches)
    } else {
        Vec::new()
    };
    let _ = std::fs::remove_dir_all(dir.path().join("small"));

    let questions = questions(n, 100_000);
    // Cold: both stores' files evicted from the OS page cache, then opened.
    evict(dir.path());
    let store = Store::open(dir.path().join("annals")).expect("open annals");
    let mut answered = 0;
    let annals_cold = time_each(&questions, |q| {
        let rows = store.get(q).expect("get").rows.len();
        answered += usize::from(rows > 0);
        rows
    });
    let annals_warm = time_each(&questions, |q| store.get(q).expect("get").rows.len());
    let sqlite = Connection::open(dir.path().join("baseline.sqlite")).expect("open sqlite");
    sqlite.execute_batch("PRAGMA cache_size = -524288;").expect("cache");
    let mut longest = sqlite
        .prepare_cached("SELECT longest FROM spans WHERE subject = ?1 AND attribute = ?2")
        .expect("prepare");
    let mut statement = sqlite
        .prepare_cached(
            "SELECT c.seq, c.value, c.known_start, c.known_end,
                    EXISTS (SELECT 1 FROM denials d
                            WHERE d.target = c.seq AND d.known_end <= ?6 AND d.seq <= ?7
                              AND NOT EXISTS (SELECT 1 FROM retractions r WHERE r.target = d.seq AND r.seq <= ?7))
             FROM claims c
             WHERE c.subject = ?1 AND c.attribute = ?2
               AND c.valid_start >= ?3 AND c.valid_start < ?5 AND c.valid_end > ?4
               AND c.known_end <= ?6 AND c.seq <= ?7
               AND NOT EXISTS (SELECT 1 FROM retractions r WHERE r.target = c.seq AND r.seq <= ?7)",
        )
        .expect("prepare");
    // The SQLite side of one question: the slot's counting claims, each
    // with its denial flag.
    let mut sqlite_candidates = |q: &Get| -> Vec<Candidate> {
        let subject = q.selector.subject.as_deref().unwrap_or_default();
        let AttributeMatch::Exact(attribute) = &q.selector.attribute else { return Vec::new() };
        let valid = q.valid.unwrap_or(Period::ALL);
        let known_end = q.known.map_or(i64::MAX, |k| k.end_key());
        let recorded = q.recorded.map_or(i64::MAX, |r| r as i64);
        let Some(span) = longest
            .query_row(params![subject, attribute], |r| r.get::<_, i64>(0))
            .ok()
        else {
            return Vec::new();
        };
        let from = valid.start_key().saturating_sub(span);
        let rows = statement
            .query_map(params![subject, attribute, from, valid.start_key(), valid.end_key(), known_end, recorded], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, bool>(4)?,
                ))
            })
            .expect("query")
            .map(|r| r.expect("row"))
            .collect::<Vec<_>>();
        let candidates: Vec<Candidate> = rows
            .into_iter()
            .map(|(seq, value, ks, ke, denied)| {
                let known = Period { start: Some(annals::Day(ks as i32)), end: Some(annals::Day(ke as i32)) };
                Candidate {
                    seq: seq as u64,
                    known,
                    value,
                    denied,
                    possibly_denied: false,
                    possibly_known: false,
                    possibly_covers: false,
                    qualifier: annals::Qualifier::Exact,
                }
            })
            .collect();
        candidates
    };
    let mut sqlite_ask = |q: &Get| {
        let candidates = sqlite_candidates(q);
        usize::from(resolve::resolve(&candidates).is_some())
    };
    let sqlite_cold = time_each(&questions, &mut sqlite_ask);
    let sqlite_warm = time_each(&questions, &mut sqlite_ask);
    drop(sqlite_ask);
    // Both read the same claims: the union of every row's winner and others
    // is the set SQLite returns, on each of the first 20,000 questions.
    let checked = questions.len().min(20_000);
    let same = questions[..checked]
        .iter()
        .filter(|q| {
            let mut annals_seqs: Vec<u64> = store
                .get(q)
                .expect("get")
                .rows
                .iter()
                .flat_map(|r| std::iter::once(r.winner.seq).chain(r.others.iter().map(|(c, _)| c.seq)))
                .collect();
            annals_seqs.sort_unstable();
            annals_seqs.dedup();
            let mut sqlite_seqs: Vec<u64> = sqlite_candidates(q).iter().map(|c| c.seq).collect();
            sqlite_seqs.sort_unstable();
            annals_seqs == sqlite_seqs
        })
        .count();
    drop(sqlite_candidates);
    drop(statement);
    drop(longest);
    // What SQLite keeps once closed: the WAL checkpointed into the file.
    sqlite.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").expect("checkpoint");

    let (annals_disk, annals_length) = size_of(&dir.path().join("annals"));
    let sqlite_disk = ["baseline.sqlite", "baseline.sqlite-wal"].iter().map(|f| size_of(&dir.path().join(f)).0).sum::<u64>();
    let jsonl = log.len() as f64;
    let ratio = |a: f64, b: f64| b / a;
    let mib = |bytes: f64| bytes / 1048576.0;
    println!("| {n} events | annals | SQLite (fair) | SQLite / annals |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| import, one file (parse + durable write) | {:.1} s, {:.0} events/s | {:.1} s, {:.0} events/s | {:.2} |",
        annals_import,
        n as f64 / annals_import,
        sqlite_import,
        n as f64 / sqlite_import,
        ratio(annals_import, sqlite_import)
    );
    println!("| import, peak resident memory | {annals_rss:.0} MiB | {sqlite_rss:.0} MiB | |");
    println!(
        "| import in 10 batches: first, last, total | {:.2} s, {:.2} s ({:.2}x the first), {:.1} s | | |",
        tenths[0],
        tenths[tenths.len() - 1],
        tenths[tenths.len() - 1] / tenths[0],
        tenths.iter().sum::<f64>()
    );
    if !small.is_empty() {
        println!(
            "| import in {} batches: total (x one file) | {:.1} s ({:.2}x) | | |",
            small.len(),
            small.iter().sum::<f64>(),
            small.iter().sum::<f64>() / annals_import
        );
    }
    for (name, a, q) in [("get, cold", &annals_cold, &sqlite_cold), ("get, warm", &annals_warm, &sqlite_warm)] {
        for (label, p) in [("p50", 0.5), ("p99", 0.99)] {
            let (ap, sp) = (micros(a, p), micros(q, p));
            println!("| {name} {label} | {ap:.1} µs | {sp:.1} µs | {:.2} |", ratio(ap, sp));
        }
    }
    println!(
        "| disk allocated (JSON Lines {:.0} MiB) | {:.0} MiB, {:.2}x (files {:.0} MiB long) | {:.0} MiB, {:.2}x | {:.2} |",
        mib(jsonl),
        mib(annals_disk as f64),
        annals_disk as f64 / jsonl,
        mib(annals_length as f64),
        mib(sqlite_disk as f64),
        sqlite_disk as f64 / jsonl,
        ratio(annals_disk as f64, sqlite_disk as f64)
    );
    println!(
        "({:.0} % of the questions have an answer; the same claims read on {same} of {checked})",
        answered as f64 * 100.0 / questions.len() as f64
    );
}

/// Drops every file under `path` from the OS page cache, so that the next
/// reads come from the disk (SPEC §10's cold reads).
fn evict(path: &Path) {
    let Ok(meta) = std::fs::metadata(path) else { return };
    if meta.is_dir() {
        for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
            evict(&entry.path());
        }
    } else if let Ok(file) = std::fs::File::open(path) {
        use std::os::fd::AsRawFd;
        // SAFETY: a file descriptor we own and plain integers.
        let status = unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        assert_eq!(status, 0, "posix_fadvise on {}", path.display());
    }
}

/// Loads claims, denials and retractions into SQLite in one transaction.
/// Default known periods are resolved here from the store's sources, as of
/// the end of the log, so SQLite needs no source table.
fn load_sqlite(db: &Connection, store: &Store, events: Vec<Event>) {
    db.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
         CREATE TABLE claims (subject TEXT NOT NULL, attribute TEXT NOT NULL,
             valid_start INTEGER NOT NULL, seq INTEGER NOT NULL, valid_end INTEGER NOT NULL,
             value TEXT NOT NULL, known_start INTEGER NOT NULL, known_end INTEGER NOT NULL,
             source TEXT NOT NULL,
             PRIMARY KEY (subject, attribute, valid_start, seq)) WITHOUT ROWID;
         CREATE TABLE spans (subject TEXT NOT NULL, attribute TEXT NOT NULL, longest INTEGER NOT NULL,
             PRIMARY KEY (subject, attribute)) WITHOUT ROWID;
         CREATE TABLE denials (target INTEGER NOT NULL, seq INTEGER NOT NULL, known_end INTEGER NOT NULL,
             PRIMARY KEY (target, seq)) WITHOUT ROWID;
         CREATE TABLE retractions (target INTEGER NOT NULL, seq INTEGER NOT NULL,
             PRIMARY KEY (target, seq)) WITHOUT ROWID;",
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
        let mut claim = tx
            .prepare_cached(
                "INSERT INTO claims (seq, subject, attribute, valid_start, valid_end, value, known_start, known_end, source)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .expect("prepare");
        let mut span = tx
            .prepare_cached(
                "INSERT INTO spans VALUES (?1, ?2, ?3)
                 ON CONFLICT (subject, attribute) DO UPDATE SET longest = max(longest, excluded.longest)",
            )
            .expect("prepare");
        let mut denial = tx.prepare_cached("INSERT INTO denials (seq, target, known_end) VALUES (?1, ?2, ?3)").expect("prepare");
        let mut retraction = tx.prepare_cached("INSERT INTO retractions (seq, target) VALUES (?1, ?2)").expect("prepare");
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
                    // An unbounded side makes the span unbounded: such a
                    // series is scanned from its first claim.
                    let length = c.valid.end_key().saturating_sub(c.valid.start_key());
                    span.execute(params![c.subject, c.attribute, length]).expect("insert span");
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
    tx.commit().expect("commit");
}

fn questions(n: u64, count: usize) -> Vec<Get> {
    let mut questions = Questions::new(Shape::new(n, 1));
    (0..count).map(|_| questions.next_get()).collect()
}

/// Each question's time, sorted.
fn time_each(questions: &[Get], mut ask: impl FnMut(&Get) -> usize) -> Vec<Duration> {
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

/// The bytes the files under `path` take on the disk (blocks allocated),
/// and their lengths. They differ for a file with holes: redb leaves pages
/// it freed, or never wrote, unallocated inside its file.
fn size_of(path: &std::path::Path) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(path) else { return (0, 0) };
    if meta.is_file() {
        return (meta.blocks() * 512, meta.len());
    }
    std::fs::read_dir(path).map_or((0, 0), |entries| {
        entries.flatten().map(|e| size_of(&e.path())).fold((0, 0), |(a, b), (c, d)| (a + c, b + d))
    })
}
