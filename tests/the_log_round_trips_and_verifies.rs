//! The log as the truth (SPEC §6): an export imported into an empty store
//! answers every question the same; `verify` passes on an honest store and
//! catches a record changed behind its back. (Sharing a store between
//! processes has its own tests, in `sharing_a_store.rs`.)

mod common;
use annals::testing::Table;
use annals::AttributeMatch;
use annals::Selector;
use annals::{interchange, Get, Period, Store};
use common::{fixture, Scratch, BASE};

fn every_answer(store: &Store) -> Vec<String> {
    let mut out = Vec::new();
    let knowns = [
        None,
        Some("2010-06"),
        Some("2010-10"),
        Some("2011"),
        Some("2013"),
        Some("2019"),
    ];
    for known in knowns {
        let get = Get {
            selector: Selector {
                subject: None,
                attribute: AttributeMatch::Any,
            },
            valid: None,
            known: known.map(|k| Period::parse(k).unwrap()),
            recorded: None,
            filter: Default::default(),
            possibly: false,
        };
        let answer = store.get(&get).unwrap();
        out.push(format!(
            "{known:?} at {}: {:?}",
            answer.log_seq, answer.rows
        ));
    }
    out
}

#[test]
fn an_export_imported_into_an_empty_store_gives_identical_answers() {
    let original = Store::temporary().unwrap();
    interchange::import_file(
        &original,
        "rare-earths.jsonl",
        &std::fs::read(fixture()).unwrap(),
    )
    .unwrap();
    let mut exported = Vec::new();
    interchange::export(&original, &mut exported).unwrap();

    let copy = Store::temporary().unwrap();
    interchange::import_file(&copy, "export.jsonl", &exported).unwrap();
    let answers = every_answer(&original);
    assert!(
        answers[0].matches("Row {").count() > 100,
        "the whole fixture answers with many rows"
    );
    assert!(
        answers[1].matches("Row {").count() < answers[0].matches("Row {").count(),
        "less was known in mid-2010"
    );
    assert_eq!(every_answer(&copy), answers);

    // The copy's own export carries the same events (times and hashes differ).
    let mut again = Vec::new();
    interchange::export(&copy, &mut again).unwrap();
    let strip = |bytes: &[u8]| -> Vec<String> {
        String::from_utf8_lossy(bytes)
            .lines()
            .map(|l| {
                let mut v: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_str(l).unwrap();
                v.remove("recorded");
                v.remove("hash");
                serde_json::Value::Object(v).to_string()
            })
            .collect()
    };
    assert_eq!(strip(&again), strip(&exported));
}

#[test]
fn verify_passes_on_the_bundled_data_set_through_the_binary() {
    let scratch = Scratch::new();
    let import = scratch.run(&["import", fixture().to_str().unwrap()]);
    assert_eq!(import.code, 0, "{}", import.stderr);
    let verify = scratch.run(&["verify"]);
    assert_eq!(verify.code, 0, "{}{}", verify.stdout, verify.stderr);
    assert!(
        verify.stdout.contains("quotes checked: ok"),
        "{}",
        verify.stdout
    );
    let left: Vec<_> = std::fs::read_dir(scratch.db())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|name| name.to_string_lossy().contains("scratch"))
        .collect();
    assert!(
        left.is_empty(),
        "verify leaves no scratch file behind: {left:?}"
    );
}

/// Rewrites the log table entry holding record `seq` (the record alone, or
/// its block) with the byte `from_end` bytes before its end flipped,
/// bypassing the store, as a disk error or a hand edit would.
fn flip_a_byte(db: &std::path::Path, seq: u64, from_end: usize) {
    let storage = annals::testing::open_storage(db).unwrap();
    let (key, mut bytes) = annals::testing::log_entry_holding(storage.as_ref(), seq)
        .unwrap()
        .unwrap();
    let at = bytes.len() - 1 - from_end;
    bytes[at] ^= 0x01;
    storage
        .write(Table::Log, vec![(key.to_vec(), Some(bytes))])
        .unwrap();
    storage.flush().unwrap();
}

/// Whether `text` names record `seq`: alone ("log record 6") or as one of
/// a block's ("log records 1..8"), whose records are checked together.
fn names_record(text: &str, seq: u64) -> bool {
    if text.contains(&format!("log record {seq}")) {
        return true;
    }
    text.split("log records ").skip(1).any(|rest| {
        let range: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        match range.split_once("..") {
            Some((a, b)) => match (a.parse::<u64>(), b.parse::<u64>()) {
                (Ok(a), Ok(b)) => (a..=b).contains(&seq),
                _ => false,
            },
            None => false,
        }
    })
}

#[test]
fn verify_detects_a_modified_record_and_reads_refuse_it() {
    let scratch = Scratch::new();
    let base = scratch.file("base.jsonl", BASE.as_bytes());
    assert_eq!(scratch.run(&["import", base.to_str().unwrap()]).code, 0);
    // A second batch, so that the head record is not in the damaged entry
    // (a damaged head is refused at open: the next test).
    let more = scratch.file(
        "more.jsonl",
        b"{\"op\":\"define\",\"attribute\":\"extra\",\"kind\":\"state\"}\n",
    );
    assert_eq!(scratch.run(&["import", more.to_str().unwrap()]).code, 0);
    // Record 6 is the claim q-late; flip a byte near the end of the entry
    // that holds it (its own body, or its block's compressed records: LZ4
    // ends a block with literals, so the byte is a record's byte, and the
    // damage shows as a modified record, not as a block that cannot be
    // decompressed).
    flip_a_byte(&scratch.db(), 6, 3);
    let verify = scratch.run(&["verify"]);
    assert_eq!(verify.code, 1, "{}{}", verify.stdout, verify.stderr);
    assert!(
        names_record(&verify.stdout, 6) && verify.stdout.contains("was modified"),
        "{}",
        verify.stdout
    );

    // Whatever reads the record refuses it: history, explain, export.
    let store = Store::open(scratch.db()).unwrap();
    let err = store
        .query("history china.export_quota")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("corrupt store") && names_record(&err, 6),
        "{err}"
    );
    drop(store);
    let export = scratch.run(&["export"]);
    assert_eq!(export.code, 1);
    assert!(names_record(&export.stderr, 6), "{}", export.stderr);
}

/// Damage in the slot index (a projection) is caught by its checksum: a
/// `get` that would read the damaged entry fails instead of answering.
#[test]
fn a_damaged_index_entry_is_refused_by_the_get_that_reads_it() {
    let scratch = Scratch::new();
    let base = scratch.file("base.jsonl", BASE.as_bytes());
    assert_eq!(scratch.run(&["import", base.to_str().unwrap()]).code, 0);
    {
        let storage = annals::testing::open_storage(&scratch.db()).unwrap();
        let (key, mut value) = storage
            .scan(Table::Claims, b"", None)
            .next()
            .unwrap()
            .unwrap();
        let last = value.len() - 1;
        value[last] ^= 0x01;
        storage
            .write(Table::Claims, vec![(key, Some(value))])
            .unwrap();
    }
    let store = Store::open(scratch.db()).unwrap();
    let everything = Selector {
        subject: None,
        attribute: AttributeMatch::Any,
    };
    let err = store.get(&Get::new(everything)).unwrap_err().to_string();
    assert!(
        err.contains("corrupt store") && err.contains("checksum"),
        "{err}"
    );
    drop(store);
    let verify = scratch.run(&["verify"]);
    assert_eq!(verify.code, 1, "{}", verify.stdout);
}

#[test]
fn a_modified_head_record_is_refused_at_open() {
    let scratch = Scratch::new();
    let base = scratch.file("base.jsonl", BASE.as_bytes());
    assert_eq!(scratch.run(&["import", base.to_str().unwrap()]).code, 0);
    flip_a_byte(&scratch.db(), 7, 0);
    let run = scratch.run(&["export"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("corrupt store") && names_record(&run.stderr, 7),
        "{}",
        run.stderr
    );
}

#[test]
fn the_db_flag_falls_back_to_the_environment() {
    let scratch = Scratch::new();
    let base = scratch.file("base.jsonl", BASE.as_bytes());
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_annals"))
        .args(["import", base.to_str().unwrap()])
        .env("ANNALS_DB", scratch.db())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        scratch.export().lines().count(),
        7,
        "ANNALS_DB named the same store as --db"
    );
}

/// A child process being spawned holds a copy of every open descriptor until
/// it execs, the store's lock included. A store closed and at once reopened
/// in one process, while another thread spawns processes, must still open:
/// this is how the test harness itself runs, and how a program embedding
/// the store may well run.
#[test]
fn a_store_reopened_while_another_thread_spawns_processes_opens() {
    let scratch = Scratch::new();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let spawner = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let status = std::process::Command::new("true").status();
                assert!(status.is_ok_and(|s| s.success()));
            }
        })
    };
    for round in 0..200 {
        let store = Store::open(scratch.db());
        assert!(store.is_ok(), "round {round}: {:?}", store.err());
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    spawner.join().unwrap();
}

/// A historian who published the head of the log they cite (`SEQ:HASH`, as
/// import and verify print it) can prove later that it was not rewritten:
/// `verify --expect-head` checks that record's hash, also after the log has
/// grown past it.
#[test]
fn a_published_head_proves_the_log_was_not_rewritten() {
    let scratch = Scratch::new();
    let base = scratch.file("base.jsonl", BASE.as_bytes());
    let import = scratch.run(&["import", base.to_str().unwrap()]);
    assert_eq!(import.code, 0, "{}", import.stderr);
    let head = import
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("head: "))
        .expect("import prints the head")
        .to_string();
    let (seq, hash) = head.split_once(':').unwrap();
    assert_eq!(seq, "7");
    assert_eq!(hash.len(), 64);
    let verify = scratch.run(&["verify"]);
    assert!(
        verify.stdout.contains(&format!("head: {head}")),
        "{}",
        verify.stdout
    );
    let more = scratch.file(
        "more.jsonl",
        br#"{"op":"assert","subject":"china","attribute":"export_quota","valid":"2011","value":"1 t","source":"mofcom-2010-10"}"#,
    );
    assert_eq!(scratch.run(&["import", more.to_str().unwrap()]).code, 0);
    let still = scratch.run(&["verify", "--expect-head", &head]);
    assert_eq!(still.code, 0, "{}{}", still.stdout, still.stderr);
    let forged = format!("7:{}", "0".repeat(64));
    let wrong = scratch.run(&["verify", "--expect-head", &forged]);
    assert_eq!(wrong.code, 1);
    assert!(
        wrong.stdout.contains("the log was rewritten"),
        "{}",
        wrong.stdout
    );
    let beyond = scratch.run(&["verify", "--expect-head", &format!("99:{hash}")]);
    assert_eq!(beyond.code, 1);
    assert!(
        beyond.stdout.contains("the log ends at seq 8"),
        "{}",
        beyond.stdout
    );
    let malformed = scratch.run(&["verify", "--expect-head", "nonsense"]);
    assert_eq!(malformed.code, 1);
    assert!(
        malformed.stderr.contains("expected SEQ:HASH"),
        "{}",
        malformed.stderr
    );
}

/// The flag that says "some denial or retraction targets this claim", and
/// the key a claim is filed under, are covered by the entry's checksum
/// too: cleared by damage, the flag would let a retracted claim answer
/// "current"; a flipped key bit would file a claim under another period.
#[test]
fn a_cleared_target_flag_or_a_moved_key_is_refused_not_answered() {
    let retracted = format!(
        "{BASE}{}\n",
        r#"{"op":"retract","target":"q-late","reason":"wrong source"}"#
    );
    for damage in ["flag", "key"] {
        let scratch = Scratch::new();
        let file = scratch.file("base.jsonl", retracted.as_bytes());
        let run = scratch.run(&["import", file.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        {
            let storage = annals::testing::open_storage(&scratch.db()).unwrap();
            let entries: Vec<(Vec<u8>, Vec<u8>)> = storage
                .scan(Table::Claims, b"", None)
                .map(Result::unwrap)
                .collect();
            // The one run's one block (docs/storage.md draws it), as
            // stored: compressed (0xC2, the plain length, LZ4) or plain,
            // with the checksum layer's four bytes after it. Plain: a tag,
            // a count, the last key of the block before, then per claim
            // its key (29 bytes), flags, body length (u32) and body.
            let (key, stored) = entries
                .iter()
                .find(|(_, v)| v[0] == 0xC1 || v[0] == 0xC2)
                .expect("a block of claims")
                .clone();
            let (block, sum) = stored.split_at(stored.len() - 4);
            // The damaged block is written plain, with the checksum of the
            // block as it was stored.
            let value = match block[0] {
                0xC2 => {
                    let length = u32::from_be_bytes(block[1..5].try_into().unwrap()) as usize;
                    let mut plain = lz4_flex::block::decompress(&block[5..], length).unwrap();
                    plain.extend_from_slice(sum);
                    plain
                }
                _ => stored.clone(),
            };
            let flags_at = {
                let mut at = 3 + 29;
                loop {
                    assert!(at < value.len(), "no claim of the block has its flag set");
                    if value[at + 29] & 1 == 1 {
                        break at + 29;
                    }
                    let length = u32::from_be_bytes(value[at + 30..at + 34].try_into().unwrap());
                    at += 34 + length as usize;
                }
            };
            let writes = if damage == "flag" {
                let mut cleared = value.clone();
                cleared[flags_at] = 0;
                vec![(key, Some(cleared))]
            } else {
                let mut moved = key.clone();
                let last = moved.len() - 9; // a byte of the period's end
                moved[last] ^= 0x01;
                vec![(key, None), (moved, Some(stored))]
            };
            storage.write(Table::Claims, writes).unwrap();
        }
        let run = scratch.run(&["query", "china.export_quota", "--format", "json"]);
        assert_eq!(run.code, 1, "{damage}: answered {}", run.stdout);
        assert!(run.stderr.contains("checksum"), "{damage}: {}", run.stderr);
    }
}
