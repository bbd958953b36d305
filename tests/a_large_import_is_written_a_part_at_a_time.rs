//! An import file is read, checked and written a part at a time
//! (`interchange::PART_LINES` lines), all parts into one transaction on
//! redb, so that a file of any size is one atomic batch in bounded memory.
//! What this guards: that nothing about a batch depends on where its parts
//! end. A claim denied or retracted three parts after it was made is
//! flagged as denied; a series begun in one part and continued in the next
//! is one series; an id chosen in one part is found by a target in a later
//! one; the answers equal those of the same file appended whole on an
//! engine without transactions (sled and memory take the batch whole), and
//! `verify`, which rebuilds every index from the log and compares, finds
//! nothing. A refusal in a later part names its own line of the file and
//! writes nothing, not even the parts before it.

use annals::interchange::{self, PART_LINES};
use annals::synthetic::{generate, Questions, Shape};
use annals::Store;

/// Events enough for several parts, with denials and retractions whose
/// targets are in earlier parts.
const EVENTS: u64 = 70_000;

fn log() -> Vec<u8> {
    let mut log = Vec::new();
    generate(Shape::new(EVENTS, 5), &mut log).unwrap();
    log
}

#[test]
fn a_batch_written_in_parts_answers_as_the_same_batch_written_whole() {
    assert!(
        EVENTS as usize > 3 * PART_LINES,
        "the batch spans several parts"
    );
    let log = log();
    let parted = Store::temporary().unwrap();
    interchange::import_file(&parted, "big.jsonl", &log).unwrap();
    let whole = Store::in_memory();
    let parsed = interchange::parse_file("big.jsonl", &log).unwrap();
    interchange::append_file(&whole, parsed).unwrap();

    let report = annals::verify::verify(&parted).unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(report.records, EVENTS);

    let mut questions = Questions::new(Shape::new(EVENTS, 5));
    let mut answered = 0;
    for _ in 0..3_000 {
        let question = questions.next_get();
        let a = parted.get(&question).unwrap();
        let b = whole.get(&question).unwrap();
        assert_eq!(a.rows, b.rows, "{question:?}");
        answered += usize::from(!a.rows.is_empty());
    }
    assert!(
        answered > 1_500,
        "only {answered} of 3,000 questions had an answer"
    );
    // Denied claims are flagged across parts: `contested` and the denied
    // rows agree too.
    for statement in [
        "contested *.*",
        "claims *.resource_tax for 1995 where status = denied",
    ] {
        let a = parted.query(statement).unwrap().collect_all().unwrap().rows;
        let b = whole.query(statement).unwrap().collect_all().unwrap().rows;
        assert!(!a.is_empty(), "{statement} has rows");
        assert_eq!(a, b, "{statement}");
    }
}

#[test]
fn a_refusal_in_a_later_part_names_its_line_and_writes_nothing() {
    let log = String::from_utf8(log()).unwrap();
    let mut lines: Vec<&str> = log.lines().collect();
    // A claim in the third part cites a source no line defines.
    let bad_line = (2 * PART_LINES + 123..)
        .find(|n| lines[n - 1].starts_with(r#"{"op":"assert""#))
        .unwrap();
    let refused = lines[bad_line - 1].replace("\"source\":\"src-", "\"source\":\"nowhere-");
    assert_ne!(
        refused,
        lines[bad_line - 1],
        "line {bad_line} names a source"
    );
    lines[bad_line - 1] = &refused;
    let text = lines.join("\n");
    let store = Store::temporary().unwrap();
    let err = interchange::import_file(&store, "big.jsonl", text.as_bytes()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("big.jsonl:{bad_line}: field 'source'")),
        "{err}"
    );
    assert_eq!(store.position(), 0, "the earlier parts were not kept");
    assert_eq!(
        store
            .query("subjects")
            .unwrap()
            .collect_all()
            .unwrap()
            .rows
            .len(),
        0
    );
    // And the same file, mended, imports whole.
    interchange::import_file(&store, "big.jsonl", log.as_bytes()).unwrap();
    assert_eq!(store.position(), EVENTS);
}

/// A part may hold no claim at all: here the second part only denies a
/// claim of the first, and that claim must still be flagged (a reader
/// skips the denials of an unflagged claim).
#[test]
fn a_claim_denied_by_a_part_without_claims_is_flagged() {
    let mut file = String::from(
        "{\"op\":\"define\",\"attribute\":\"price\",\"kind\":\"state\",\"unit\":\"USD\"}\n\
         {\"op\":\"source\",\"id\":\"s\",\"title\":\"t\",\"publisher\":\"p\",\"published\":\"2010\"}\n",
    );
    for i in 0..PART_LINES - 2 {
        let day = 1 + i % 28;
        let month = 1 + (i / 28) % 12;
        let year = 1900 + i / (28 * 12);
        file.push_str(&format!(
            "{{\"op\":\"assert\",\"subject\":\"s{}\",\"attribute\":\"price\",\"valid\":\"{year}-{month:02}-{day:02}\",\"value\":\"{i} USD\",\"source\":\"s\"}}\n",
            i % 7
        ));
    }
    // The second part: one denial of the first claim (seq 3).
    file.push_str("{\"op\":\"deny\",\"target\":\"e3\",\"source\":\"s\"}\n");
    let store = Store::temporary().unwrap();
    interchange::import_file(&store, "denial-last.jsonl", file.as_bytes()).unwrap();
    let denied = store
        .query("claims s0.price for 1900-01-01 where status = denied")
        .unwrap()
        .collect_all()
        .unwrap()
        .rows;
    assert_eq!(denied.len(), 1, "{denied:?}");
    let report = annals::verify::verify(&store).unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
}
