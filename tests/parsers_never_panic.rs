//! No input makes a parser panic (SPEC §11): arbitrary text through the query
//! parser, the period and value parsers and the importer; and whenever a
//! statement built from random tokens parses, its canonical printing parses
//! back to the same syntax tree.

use annals::query::parser::parse;
use annals::{interchange, Dating, Period, Value};
use proptest::prelude::*;
use proptest::strategy::ValueTree;

/// Tokens of the language and near misses, to reach deep into the grammar.
const TOKENS: &[&str] = &[
    "china.export_quota",
    "*.share_of_world_reserves",
    "china.*",
    "china.mining_tax.*",
    "*.*",
    "x.",
    ".y",
    "for",
    "from",
    "to",
    "as",
    "known",
    "in",
    "of",
    "recorded",
    "at",
    "seq",
    "40",
    "every",
    "month",
    "avg",
    "count",
    "year",
    "history",
    "timeline",
    "diff",
    "between",
    "and",
    "explain",
    "contested",
    "sources",
    "source",
    "subjects",
    "attributes",
    "define",
    "attribute",
    "kind",
    "state",
    "period",
    "unit",
    "doc",
    "assert",
    "=",
    "deny",
    "retract",
    "because",
    "quote",
    "modality",
    "plan",
    "note",
    "id",
    "e17",
    "wsj-2010-10-19",
    "2010",
    "2010-10",
    "oct 2010",
    "19 oct 2010",
    "2010-H2",
    "2010-Q3",
    "1990s",
    "2010..2012",
    "2006..",
    "..2012",
    "2010-13",
    "2010-02-30",
    "24280 t",
    "~40 %",
    "<=30 %",
    "-30..0 %",
    "'under consideration'",
    "\"text\"",
    "'open",
    "true",
    "false",
    "--",
    ";",
    "\n",
    "'it's'",
    "0",
    "9999",
    "10000",
];

const HEADS: &[&str] = &[
    "china.export_quota",
    "*.share_of_world_reserves",
    "china.*",
    "china.resource_tax.*",
    "history china.export_quota",
    "explain *.export_quota",
    "timeline china.x",
    "contested",
    "contested china.*",
    "diff china.* between 2010 and seq 4",
];
const CLAUSES: &[&str] = &[
    "for 2010",
    "for 2010-H2..2011-03",
    "from oct 2010 to 2012",
    "as known 2010-10",
    "as known in 19 oct 2010",
    "as of 1990s",
    "as recorded at seq 7",
    "every month avg",
    "every decade count",
    "for ..2012",
    "for 2006..",
];

/// Random tokens, or a statement head followed by random clauses (which
/// parse far more often, so the round-trip property has work to do).
fn statement_from_tokens() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::collection::vec(proptest::sample::select(TOKENS), 1..12)
            .prop_map(|t| t.join(" ")),
        (
            proptest::sample::select(HEADS),
            proptest::collection::vec(proptest::sample::select(CLAUSES), 0..4)
        )
            .prop_map(|(h, c)| format!("{h} {}", c.join(" "))),
    ]
}

/// One written date of SPEC §3, EDTF's forms included, with a qualifier.
fn written_date() -> impl Strategy<Value = String> {
    let year = 1..=9999i32;
    let form = prop_oneof![
        year.clone().prop_map(|y| format!("{y:04}")),
        (year.clone(), 1..=12i32).prop_map(|(y, m)| format!("{y:04}-{m:02}")),
        (year.clone(), 1..=12i32, 1..=28i32).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        (year.clone(), 1..=4i32).prop_map(|(y, q)| format!("{y:04}-Q{q}")),
        (year.clone(), 1..=2i32).prop_map(|(y, h)| format!("{y:04}-H{h}")),
        (1..=999i32).prop_map(|d| format!("{:04}s", d * 10)),
        (100..=999i32).prop_map(|d| format!("{d}X")),
        (10..=99i32).prop_map(|d| format!("{d}XX")),
        year.clone().prop_map(|y| format!("{y:04}-XX")),
        year.clone().prop_map(|y| format!("{y:04}-XX-XX")),
        (year, 1..=12i32).prop_map(|(y, m)| format!("{y:04}-{m:02}-XX")),
    ];
    let qualifier = proptest::sample::select(&["", "", "?", "~", "%"][..]);
    (form, qualifier).prop_map(|(f, q)| format!("{f}{q}"))
}

/// A period written with one or two dates, `..` or `/`, open or unknown ends.
fn written_dating() -> impl Strategy<Value = String> {
    (
        written_date(),
        written_date(),
        proptest::sample::select(
            &["A", "A..B", "A..", "..B", "A/", "/B", "A/B", "A/..", "../B"][..],
        ),
    )
        .prop_map(|(a, b, shape)| shape.replace('A', &a).replace('B', &b))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    /// SPEC §3: every form prints canonically, and the printing parses back
    /// to the same value and prints the same again.
    #[test]
    fn every_dating_prints_canonically_and_reparses_to_the_same_value(text in written_dating()) {
        match Dating::parse(&text) {
            Ok(dating) => {
                let printed = dating.to_string();
                let again = Dating::parse(&printed);
                prop_assert!(again.is_ok(), "{} printed as {} does not parse", text, printed);
                let again = again.unwrap();
                prop_assert_eq!(again, dating, "{} printed as {}", text, printed);
                prop_assert_eq!(again.to_string(), printed);
            }
            Err(e) => {
                // Only a range that ends before it starts may be refused.
                let message = e.describe(&text);
                prop_assert!(message.contains("ends before it starts"), "{}: {}", text, message);
            }
        }
    }

    #[test]
    fn datings_never_panic(text in "[0-9Xx.~?%/ -]{0,20}") {
        let _ = Dating::parse(&text).map_err(|e| e.describe(&text));
    }

    #[test]
    fn the_query_parser_never_panics_on_any_text(text in "\\PC{0,80}") {
        if let Err(e) = parse(&text) {
            // Reporting the error must not panic either.
            let _ = e.locate(&text);
        }
    }

    #[test]
    fn periods_and_values_never_panic(text in "[0-9a-zA-Z.~<>=%' -]{0,24}") {
        let _ = Period::parse(&text).map_err(|e| e.describe(&text));
        let _ = Value::parse(&text).map_err(|e| e.describe(&text));
    }

    #[test]
    fn token_soup_parses_or_fails_cleanly_and_round_trips(text in statement_from_tokens()) {
        match parse(&text) {
            Ok(tree) => {
                let printed = tree.to_string();
                let again = parse(&printed);
                prop_assert!(again.is_ok(), "{text} printed as {printed} does not parse");
                prop_assert_eq!(again.unwrap(), tree, "{} printed as {}", text, printed);
            }
            Err(e) => {
                let _ = e.locate(&text);
            }
        }
    }

    #[test]
    fn the_importer_never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = interchange::parse_file("fuzz.jsonl", &bytes);
    }

    #[test]
    fn the_importer_never_panics_on_json_shaped_lines(
        op in proptest::sample::select(&["define", "source", "assert", "deny", "retract", "x"][..]),
        key in proptest::sample::select(&["valid", "value", "known", "published", "kind", "modality", "id", "target"][..]),
        value in "\\PC{0,16}",
    ) {
        let line = serde_json::json!({"op": op, key: value}).to_string();
        let _ = interchange::parse_file("fuzz.jsonl", line.as_bytes());
    }
}

/// Guards the round-trip property above against vacuity: a fair share of
/// token soups must actually parse, or the property checks nothing.
#[test]
fn token_soup_parses_often_enough_to_test_the_round_trip() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = statement_from_tokens();
    let mut parsed = 0;
    for _ in 0..3000 {
        let text = strategy.new_tree(&mut runner).unwrap().current();
        if parse(&text).is_ok() {
            parsed += 1;
        }
    }
    assert!(parsed >= 300, "only {parsed} of 3000 token soups parsed");
}

/// Guards the dating round trip against vacuity: most generated periods
/// parse (only reversed ranges may not), and every kind of end occurs.
#[test]
fn generated_datings_mostly_parse_and_reach_every_kind_of_end() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = written_dating();
    let (mut parsed, mut unknown, mut unspecified, mut qualified) = (0, 0, 0, 0);
    for _ in 0..3000 {
        let text = strategy.new_tree(&mut runner).unwrap().current();
        if let Ok(dating) = Dating::parse(&text) {
            parsed += 1;
            let printed = dating.to_string();
            unknown += usize::from(printed.contains('/'));
            unspecified += usize::from(printed.contains('X'));
            qualified += usize::from(printed.contains(['?', '~', '%']));
        }
    }
    assert!(
        parsed >= 2000,
        "only {parsed} of 3000 generated periods parsed"
    );
    assert!(
        unknown >= 300 && unspecified >= 300 && qualified >= 300,
        "unknown {unknown}, unspecified {unspecified}, qualified {qualified}"
    );
}
