//! Bad import files, one test per class of error (SPEC §8, §11): each is
//! refused whole with exit code 1, an error naming the file, the line and the
//! field, and the log exactly as it was before.

mod common;
use common::{Scratch, BASE};

/// Imports `BASE`, then `bad` as a second file, and checks that `bad` is
/// refused with a message containing every piece of `expected`, leaving the
/// exported log unchanged.
fn refused(bad: &str, expected: &[&str]) {
    let scratch = Scratch::new();
    let base = scratch.file("base.jsonl", BASE.as_bytes());
    let ok = scratch.run(&["import", base.to_str().unwrap()]);
    assert_eq!(ok.code, 0, "the base file imports: {}", ok.stderr);
    let before = scratch.export();
    let path = scratch.file("bad.jsonl", bad.as_bytes());
    let run = scratch.run(&["import", path.to_str().unwrap()]);
    assert_eq!(
        run.code, 1,
        "exit code for a refused import; stderr: {}",
        run.stderr
    );
    for piece in expected {
        assert!(
            run.stderr.contains(piece),
            "stderr should contain {piece:?}: {}",
            run.stderr
        );
    }
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_eq!(scratch.export(), before, "a refused file wrote something");
}

const GOOD_LINE: &str = r#"{"op":"assert","subject":"china","attribute":"export_quota","valid":"2011","value":"30184 t","source":"mofcom-2010-10"}"#;

#[test]
fn malformed_json_names_its_line_and_column() {
    refused(
        &format!("{GOOD_LINE}\n{{\"op\":\"assert\",\n"),
        &[
            "bad.jsonl:2:",
            "invalid JSON at column 15: EOF while parsing",
        ],
    );
    // The position is said once, as the file's line and column, not again
    // as the parser's own "at line 1 column 15".
    let scratch = Scratch::new();
    let bad = scratch.file("bad.jsonl", b"{\"op\":\"assert\",\n");
    let run = scratch.run(&["import", bad.to_str().unwrap()]);
    assert!(!run.stderr.contains("at line 1"), "{}", run.stderr);
}

#[test]
fn an_unknown_op_is_refused() {
    refused(
        &format!("{GOOD_LINE}\n{{\"op\":\"update\"}}\n"),
        &["bad.jsonl:2:", "field 'op'", "unknown op 'update'"],
    );
}

#[test]
fn an_unknown_field_is_refused_as_a_likely_typo() {
    let line = GOOD_LINE.replace("\"valid\"", "\"vaild\"");
    refused(&line, &["bad.jsonl:1:", "unknown field 'vaild'"]);
}

#[test]
fn an_invalid_date_names_the_field_and_the_text() {
    let line = GOOD_LINE.replace("\"2011\"", "\"2010-02-30\"");
    refused(
        &format!("# comment\n\n{line}\n"),
        &["bad.jsonl:3:", "field 'valid'", "2010-02-30"],
    );
}

#[test]
fn an_invalid_quarter_is_refused() {
    refused(
        &GOOD_LINE.replace("\"2011\"", "\"2010-Q5\""),
        &["bad.jsonl:1:", "field 'valid'", "2010-Q5"],
    );
}

#[test]
fn a_season_is_refused_by_name_never_read_as_a_month() {
    refused(
        &GOOD_LINE.replace("\"2011\"", "\"2010-21\""),
        &[
            "bad.jsonl:1:",
            "field 'valid'",
            "'2010-21' is an EDTF season",
        ],
    );
}

/// SPEC §3: a period attribute's slot is its valid period exactly, so a
/// vague one (unspecified digits, an unknown end) is refused with the span
/// to write instead; a qualifier is kept.
#[test]
fn a_period_attribute_refuses_a_vague_valid_period_and_keeps_a_qualifier() {
    for (written, suggestion) in [("201X", "'2010s'"), ("2010/", "'2010..'")] {
        refused(
            &GOOD_LINE.replace("\"2011\"", &format!("\"{written}\"")),
            &["bad.jsonl:1:", "field 'valid'", "kind period", suggestion],
        );
    }
    let scratch = Scratch::new();
    let base = scratch.file("base.jsonl", BASE.as_bytes());
    assert_eq!(scratch.run(&["import", base.to_str().unwrap()]).code, 0);
    let file = scratch.file(
        "qualified.jsonl",
        GOOD_LINE.replace("\"2011\"", "\"2011~\"").as_bytes(),
    );
    let run = scratch.run(&["import", file.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(scratch.export().contains("\"valid\":\"2011~\""));
}

/// A lone date with unspecified digits certainly covers no day, so it
/// cannot be a state's valid period; a known date has no unknown end.
#[test]
fn a_state_claim_needs_a_certain_day_and_a_known_date_a_known_end() {
    let state = r#"{"op":"assert","subject":"china","attribute":"share_of_world_reserves","valid":"201X","value":"30 %","source":"mofcom-2010-10"}"#;
    refused(
        state,
        &[
            "bad.jsonl:1:",
            "field 'valid'",
            "certainly covers no day",
            "'2010s'",
        ],
    );
    refused(
        &GOOD_LINE.replace("\"valid\"", "\"known\":\"2010/\",\"valid\""),
        &["bad.jsonl:1:", "field 'known'", "unknown end"],
    );
}

/// A known or published date says by when a source knew: open at its end
/// (`2010..`), it would be known by no question's time, yet win every
/// answer asked without `as known`. Open at its start it is "by then at
/// the latest", and imports.
#[test]
fn a_known_or_published_date_open_at_its_end_is_refused() {
    refused(
        &GOOD_LINE.replace("\"valid\"", "\"known\":\"2010..\",\"valid\""),
        &[
            "bad.jsonl:1:",
            "field 'known'",
            "'2010..' is open at its end",
        ],
    );
    refused(
        r#"{"op":"source","id":"later","title":"T","publisher":"P","published":"2012-06.."}"#,
        &["bad.jsonl:1:", "field 'published'", "open at its end"],
    );
    let scratch = Scratch::new();
    let base = scratch.file("base.jsonl", BASE.as_bytes());
    assert_eq!(scratch.run(&["import", base.to_str().unwrap()]).code, 0);
    let by = scratch.file(
        "by.jsonl",
        GOOD_LINE
            .replace("\"valid\"", "\"known\":\"..2010\",\"valid\"")
            .as_bytes(),
    );
    let run = scratch.run(&["import", by.to_str().unwrap()]);
    assert_eq!(
        run.code, 0,
        "a known date open at its start: {}",
        run.stderr
    );
}

/// The `/` interval of EDTF is only another way to write a range.
#[test]
fn a_slash_interval_is_a_range() {
    let scratch = Scratch::new();
    let base = scratch.file("base.jsonl", BASE.as_bytes());
    assert_eq!(scratch.run(&["import", base.to_str().unwrap()]).code, 0);
    let file = scratch.file(
        "slash.jsonl",
        GOOD_LINE.replace("\"2011\"", "\"2011/2012\"").as_bytes(),
    );
    let run = scratch.run(&["import", file.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let claims = scratch.run(&[
        "query",
        "claims china.export_quota for 2012",
        "--format",
        "csv",
    ]);
    assert!(claims.stdout.contains(",2011..2012,"), "{}", claims.stdout);
}

#[test]
fn a_reversed_range_is_refused() {
    refused(
        &GOOD_LINE.replace("\"2011\"", "\"2012..2010\""),
        &["field 'valid'", "ends before it starts"],
    );
}

#[test]
fn a_bad_value_is_refused() {
    refused(
        &GOOD_LINE.replace("30184 t", "24,280 t"),
        &["bad.jsonl:1:", "field 'value'", "24,280 t"],
    );
}

#[test]
fn an_unknown_source_is_refused_with_a_suggestion() {
    refused(
        &format!(
            "{GOOD_LINE}\n{}",
            GOOD_LINE.replace("mofcom-2010-10", "mofcom-2010-11")
        ),
        &[
            "bad.jsonl:2:",
            "field 'source'",
            "'mofcom-2010-11' is not defined",
            "did you mean 'mofcom-2010-10'",
        ],
    );
}

#[test]
fn an_undefined_attribute_is_refused_with_a_suggestion() {
    refused(
        &GOOD_LINE.replace("\"export_quota\"", "\"export_qouta\""),
        &[
            "bad.jsonl:1:",
            "field 'attribute'",
            "did you mean 'export_quota'",
        ],
    );
}

#[test]
fn a_denial_of_an_unknown_event_is_refused() {
    refused(
        r#"{"op":"deny","target":"q-nope","source":"mofcom-2010-10"}"#,
        &[
            "bad.jsonl:1:",
            "field 'target'",
            "no event has the id 'q-nope'",
        ],
    );
}

#[test]
fn a_denial_of_a_denial_is_refused_as_the_wrong_kind() {
    refused(
        "{\"op\":\"deny\",\"id\":\"d1\",\"target\":\"q-early\",\"source\":\"mofcom-2010-10\"}\n{\"op\":\"deny\",\"target\":\"d1\",\"source\":\"mofcom-2010-10\"}",
        &["bad.jsonl:2:", "field 'target'", "a denial targets an assert"],
    );
}

#[test]
fn a_duplicate_id_is_refused() {
    refused(
        &GOOD_LINE.replace(
            "{\"op\":\"assert\",",
            "{\"op\":\"assert\",\"id\":\"q-late\",",
        ),
        &["bad.jsonl:1:", "field 'id'", "already used"],
    );
}

#[test]
fn a_duplicate_id_within_one_file_is_refused() {
    let line = GOOD_LINE.replace("{\"op\":\"assert\",", "{\"op\":\"assert\",\"id\":\"same\",");
    refused(
        &format!("{line}\n{line}\n"),
        &["bad.jsonl:2:", "field 'id'", "already used"],
    );
}

#[test]
fn a_retracted_target_is_refused() {
    refused(
        "{\"op\":\"retract\",\"target\":\"q-early\",\"reason\":\"typo\"}\n{\"op\":\"deny\",\"target\":\"q-early\",\"source\":\"mofcom-2010-10\"}",
        &["bad.jsonl:2:", "field 'target'", "retracted"],
    );
}

#[test]
fn a_missing_required_field_is_refused() {
    refused(
        &GOOD_LINE.replace(",\"source\":\"mofcom-2010-10\"", ""),
        &["bad.jsonl:1:", "field 'source'", "missing"],
    );
}

#[test]
fn non_utf8_bytes_are_refused_with_their_line() {
    let scratch = Scratch::new();
    let mut bytes = GOOD_LINE.as_bytes().to_vec();
    bytes.extend_from_slice(b"\n{\"op\":\"define\",\"attribute\":\"x\xff\"}\n");
    let path = scratch.file("bad.jsonl", &bytes);
    let run = scratch.run(&["import", path.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("bad.jsonl:2:") && run.stderr.contains("not valid UTF-8"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_refused_second_file_keeps_the_first() {
    let scratch = Scratch::new();
    let base = scratch.file("base.jsonl", BASE.as_bytes());
    let bad = scratch.file("bad.jsonl", b"{\"op\":\"nope\"}\n");
    let run = scratch.run(&["import", base.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("base.jsonl: imported 7 events"),
        "{}",
        run.stderr
    );
    assert_eq!(scratch.export().lines().count(), 7);
}

#[test]
fn stdin_is_read_for_a_dash() {
    let scratch = Scratch::new();
    let run = scratch.run_with_stdin(&["import", "-"], Some(BASE.as_bytes()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(scratch.export().lines().count(), 7);
    let bad = scratch.run_with_stdin(&["import", "-"], Some(b"{\"op\":1}"));
    assert!(bad.stderr.contains("<stdin>:1:"), "{}", bad.stderr);
}

#[test]
fn a_large_file_parsed_in_two_halves_still_names_the_right_line() {
    let mut log = Vec::new();
    annals::synthetic::generate(annals::synthetic::Shape::new(60_000, 3), &mut log).unwrap();
    assert!(
        log.len() > 6 * 1024 * 1024,
        "large enough to be parsed on two threads"
    );
    let mut text = String::from_utf8(log).unwrap();
    let lines = text.lines().count();
    // Break the last line's JSON: its error must carry its own line number.
    text.truncate(text.trim_end().len() - 1);
    let err = annals::interchange::parse_file("big.jsonl", text.as_bytes())
        .err()
        .expect("refused");
    assert!(
        err.to_string()
            .starts_with(&format!("big.jsonl:{lines}: invalid JSON")),
        "{err}"
    );
    // And a valid large file parses whole, in order.
    let mut log = Vec::new();
    annals::synthetic::generate(annals::synthetic::Shape::new(60_000, 3), &mut log).unwrap();
    let parsed = annals::interchange::parse_file("big.jsonl", &log).unwrap();
    assert_eq!(parsed.events.len(), 60_000);
    assert_eq!(parsed.lines.last(), Some(&60_000));
    assert!(parsed.lines.windows(2).all(|w| w[0] + 1 == w[1]));
}

/// Automatic ids are `e<seq>`; an id a writer chose in that form must not
/// take one an automatic id gets, earlier or later, in the file or the store.
#[test]
fn a_chosen_id_that_collides_with_an_automatic_one_is_refused() {
    // BASE holds seqs 1..7, so this file's events get seqs 8, 9, ….
    // An e<N> chosen ahead of the log would take the name of the event
    // that lands at seq N, and refuse every event without an id there.
    let chosen_e9 = GOOD_LINE.replace("{\"op\":\"assert\",", "{\"op\":\"assert\",\"id\":\"e9\",");
    refused(
        &format!("{chosen_e9}\n{GOOD_LINE}\n"),
        &[
            "bad.jsonl:1:",
            "field 'id'",
            "'e9' is the automatic id the event at seq 9 will get, and this event is at seq 8",
        ],
    );
    let chosen_e8 = GOOD_LINE.replace("{\"op\":\"assert\",", "{\"op\":\"assert\",\"id\":\"e8\",");
    refused(
        &format!("{GOOD_LINE}\n{chosen_e8}\n"),
        &[
            "bad.jsonl:2:",
            "field 'id'",
            "'e8' is already used by the event at seq 8",
        ],
    );

    // Across files: e12 chosen in one file is refused, so that the events
    // without an id of the next file take seqs 8 to 11, and 12, freely.
    let scratch = Scratch::new();
    let base = scratch.file("base.jsonl", BASE.as_bytes());
    assert_eq!(scratch.run(&["import", base.to_str().unwrap()]).code, 0);
    let chosen_e12 = GOOD_LINE.replace("{\"op\":\"assert\",", "{\"op\":\"assert\",\"id\":\"e12\",");
    let first = scratch.file("first.jsonl", chosen_e12.as_bytes());
    let run = scratch.run(&["import", first.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("first.jsonl:1: field 'id': 'e12' is the automatic id"),
        "{}",
        run.stderr
    );
    let lines = format!("{GOOD_LINE}\n{GOOD_LINE}\n{GOOD_LINE}\n{GOOD_LINE}\n{GOOD_LINE}\n");
    let second = scratch.file("second.jsonl", lines.as_bytes());
    let run = scratch.run(&["import", second.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn a_key_given_twice_on_one_line_is_refused_not_overwritten() {
    let line = GOOD_LINE.replace(r#""source""#, r#""value":"1 t","source""#);
    refused(
        &format!("{GOOD_LINE}\n{line}\n"),
        &["bad.jsonl:2:", "field 'value'", "given twice"],
    );
}

#[test]
fn a_number_too_small_for_a_float_is_refused_not_stored_as_zero() {
    let line = GOOD_LINE.replace("30184 t", "1e-400 t");
    refused(
        &line,
        &[
            "bad.jsonl:1:",
            "field 'value'",
            "'1e-400' is too small to keep",
        ],
    );
}

#[test]
fn a_value_not_in_the_attributes_unit_is_refused_with_the_value_to_write() {
    let line = GOOD_LINE.replace("30184 t", "30.258 kt");
    refused(
        &format!("{GOOD_LINE}\n{line}\n"),
        &[
            "bad.jsonl:2:",
            "field 'value'",
            "measured in t",
            "write 30258 t",
        ],
    );
    let line = GOOD_LINE.replace("\"30184 t\"", "\"'a lot'\"");
    refused(&line, &["bad.jsonl:1:", "field 'value'", "is not a number"]);
}

/// SPEC §8: claims already in a log are never re-judged. An export's lines
/// (they carry `seq` and `hash`) pass the unit rule with a warning naming
/// the line, so that export still round-trips; `lint` reports them.
#[test]
fn an_exported_claim_that_breaks_the_unit_rule_is_accepted_with_a_warning() {
    let scratch = Scratch::new();
    let base = scratch.file("base.jsonl", BASE.as_bytes());
    assert_eq!(scratch.run(&["import", base.to_str().unwrap()]).code, 0);
    let exported = GOOD_LINE
        .replace("30184 t", "31000 tons")
        .replace("{\"op\"", "{\"seq\":9,\"hash\":\"00\",\"op\"");
    let path = scratch.file("exported.jsonl", exported.as_bytes());
    let run = scratch.run(&["import", path.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("warning: ")
            && run.stderr.contains("exported.jsonl:1: field 'value'")
            && run.stderr.contains("write 31000 t"),
        "{}",
        run.stderr
    );
    let lint = scratch.run(&["lint"]);
    assert!(
        lint.stdout.contains("unit") && lint.stdout.contains("31000 tons"),
        "{}",
        lint.stdout
    );
    // The same line without an export's fields is a new claim: refused.
    let fresh = scratch.file(
        "fresh.jsonl",
        GOOD_LINE.replace("30184 t", "31000 tons").as_bytes(),
    );
    assert_eq!(scratch.run(&["import", fresh.to_str().unwrap()]).code, 1);
}

/// Text from the store is untrusted: an escape sequence in a source's text
/// or title must not reach the terminal as one (it could recolour or
/// rewrite the screen). Tables and the vertical layout show control
/// characters as visible symbols; JSON keeps the text exactly.
#[test]
fn control_characters_from_the_store_reach_the_terminal_as_visible_symbols() {
    let scratch = Scratch::new();
    let hostile = r#"{"op":"source","id":"esc","title":"Red \u001b[31malert\u001b[0m","publisher":"X","published":"2010","text":"line one\n\u001b]0;owned\u0007 line two"}
"#;
    let path = scratch.file("hostile.jsonl", hostile.as_bytes());
    assert_eq!(scratch.run(&["import", path.to_str().unwrap()]).code, 0);
    for args in [
        &["query", "source esc"][..],
        &["query", "sources"],
        &["query", "sources", "--format", "vertical"],
    ] {
        let run = scratch.run(args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert!(
            !run.stdout.contains('\u{1b}') && !run.stdout.contains('\u{7}'),
            "{args:?}"
        );
        assert!(
            run.stdout.contains("␛[31malert"),
            "{args:?}: {}",
            run.stdout
        );
    }
    let json = scratch.run(&["query", "source esc", "--format", "json"]);
    assert!(
        json.stdout.contains("\\u001b[31malert"),
        "JSON keeps the text: {}",
        json.stdout
    );
}

#[test]
fn an_error_quotes_at_most_four_thousand_characters_of_its_input() {
    let scratch = Scratch::new();
    let base = scratch.file("base.jsonl", BASE.as_bytes());
    assert_eq!(scratch.run(&["import", base.to_str().unwrap()]).code, 0);
    let statement = format!(
        "china.export_quota for 2010 {}\u{1b}[2J",
        "x".repeat(100_000)
    );
    let run = scratch.run(&["query", &statement]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.len() < 20_000,
        "{} bytes of error",
        run.stderr.len()
    );
    assert!(
        run.stderr.contains("more characters)"),
        "{}",
        &run.stderr[..200]
    );
    assert!(!run.stderr.contains('\u{1b}'));
}

#[test]
fn a_byte_order_mark_at_the_start_of_a_file_is_accepted() {
    let scratch = Scratch::new();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(BASE.as_bytes());
    let path = scratch.file("bom.jsonl", &bytes);
    let run = scratch.run(&["import", path.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn names_and_ids_over_two_hundred_bytes_are_refused_saying_the_limit() {
    let long_id = GOOD_LINE.replace(
        "{\"op\":\"assert\",",
        &format!("{{\"op\":\"assert\",\"id\":\"{}\",", "a".repeat(201)),
    );
    refused(
        &long_id,
        &["field 'id'", "201 bytes long", "at most 200 bytes"],
    );
    let long_subject = GOOD_LINE.replace("\"china\"", &format!("\"{}\"", "c".repeat(10_000)));
    refused(
        &long_subject,
        &["field 'subject'", "10000 bytes long", "at most 200 bytes"],
    );
}
