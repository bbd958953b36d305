//! Acceptance tests over the bundled rare-earth data set, through the real
//! binary: questions a historian would ask, with the answers the seed
//! documents support; `lint` finding the white paper's anachronism; and the
//! demo's tour running without a terminal.

mod common;
use common::{fixture, Scratch};
use serde_json::Value as Json;

/// Expected rows: (valid, value, status, winning event).
type Rows = &'static [(&'static str, &'static str, &'static str, &'static str)];

const QUESTIONS: &[(&str, Rows)] = &[
    (
        "china.export_quota for 2010",
        &[(
            "2010",
            "24280 t",
            "current",
            "reuters-2010-10-28-quota-2010",
        )],
    ),
    (
        // A considered cut of up to 30 %; Lin's "under consideration" is
        // compatible with it and told as its own attribute (below).
        "china.export_quota_change for 2011 as known 2010-10-19",
        &[(
            "2011",
            "-30..0 %",
            "current",
            "wsj-2010-10-19-quota-cut-2011",
        )],
    ),
    (
        // Denied by the ministry on 28 October.
        "china.export_quota_change for 2011 as known nov 2010",
        &[(
            "2011",
            "-30..0 %",
            "denied",
            "wsj-2010-10-19-quota-cut-2011",
        )],
    ),
    ("china.export_quota_change for 2011 as known 2010-09", &[]),
    (
        "china.export_quota_change for 2010 as known 2010-10-19",
        &[
            (
                "2010",
                "~-40 %",
                "current",
                "wsj-2010-10-19-quota-change-2010",
            ),
            (
                "2010-H2",
                "-72 %",
                "current",
                "reuters-2010-10-28-quota-change-2010-h2",
            ),
        ],
    ),
    (
        "china.export_quota_change for 2010 as known nov 2010",
        &[
            (
                "2010",
                "-30 %",
                "current",
                "reuters-2010-10-28-quota-change-2010",
            ),
            (
                "2010-H2",
                "-72 %",
                "current",
                "reuters-2010-10-28-quota-change-2010-h2",
            ),
        ],
    ),
    (
        "*.share_of_world_reserves as known 2010",
        &[(
            "2010..",
            "~30 %",
            "current",
            "reuters-2010-10-28-share-of-world-reserves",
        )],
    ),
    (
        "*.share_of_world_reserves as known 2013",
        &[
            (
                "2010..2011",
                "~30 %",
                "current",
                "reuters-2010-10-28-share-of-world-reserves",
            ),
            (
                "2012..",
                "~23 %",
                "current",
                "scio-wp-share-of-world-reserves",
            ),
        ],
    ),
    (
        "*.share_of_world_reserves as known 2013 as recorded at seq 110",
        &[(
            "2010..",
            "~30 %",
            "current",
            "reuters-2010-10-28-share-of-world-reserves",
        )],
    ),
    (
        "china.production for 2011 as known 2011",
        &[(
            "2011",
            "~100000 t",
            "current",
            "wsj-2010-10-19-production-2011",
        )],
    ),
    (
        "china.production for 2011 as known 2013",
        &[("2011", "96900 t", "current", "scio-wp-production-2011")],
    ),
    (
        "china.mining_quota for 2019",
        &[(
            "2019",
            "132000 t",
            "current",
            "caixin-2019-11-12-mining-quota-2019",
        )],
    ),
    (
        "china.smelting_quota for 2019",
        &[(
            "2019",
            "127000 t",
            "current",
            "caixin-2019-11-12-smelting-quota-2019",
        )],
    ),
    ("china.mining_quota for 2019 as known 2018", &[]),
    (
        "japan.demand for 2011",
        &[(
            "2011",
            "32000 t",
            "current",
            "reuters-2010-10-28-japan-demand-2011",
        )],
    ),
    (
        "japan.supply_shortfall for 2011",
        &[(
            "2011",
            "10000 t",
            "current",
            "reuters-2010-10-28-japan-shortfall-2011",
        )],
    ),
    (
        "china_united_states.tariff_rollback_agreed",
        &[(
            "2019-11-07",
            "true",
            "denied",
            "caixin-2019-11-12-tariff-rollback",
        )],
    ),
    (
        // Compatible with the China Daily's range, so not a rival of it.
        "china.export_quota_cut for 2011 as known 2010-10-19",
        &[(
            "2011",
            "true",
            "current",
            "wsj-2010-10-19-quota-cut-2011-lin",
        )],
    ),
];

fn imported() -> Scratch {
    let scratch = Scratch::new();
    let run = scratch.run(&["import", fixture().to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    scratch
}

#[test]
fn historians_questions_get_the_answers_the_sources_support() {
    let scratch = imported();
    let script: String = QUESTIONS.iter().map(|(q, _)| format!("{q}\n")).collect();
    let file = scratch.file("questions.aq", script.as_bytes());
    let run = scratch.run(&["query", "-f", file.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let answers: Vec<Json> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        answers.len(),
        QUESTIONS.len(),
        "one JSON object per question"
    );
    for ((question, expected), answer) in QUESTIONS.iter().zip(&answers) {
        let rows = answer["rows"]
            .as_array()
            .unwrap_or_else(|| panic!("{question}: {answer}"));
        let shape: Vec<(String, String, String, String)> = rows
            .iter()
            .map(|r| {
                let f = |k: &str| r[k].as_str().unwrap_or_default().to_string();
                (f("valid"), f("value"), f("status"), f("event"))
            })
            .collect();
        let want: Vec<(String, String, String, String)> = expected
            .iter()
            .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
            .collect();
        assert_eq!(shape, want, "{question}");
    }
}

/// The keys of a JSON object, in their order.
fn keys_of(object: &Json) -> Vec<&str> {
    object
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

#[test]
fn the_json_answer_has_the_normative_shape() {
    let scratch = imported();
    let run = scratch.run(&[
        "query",
        "china.export_quota_change for 2010 as known nov 2010",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let answer: Json = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(answer["log_seq"], 214);
    let row = &answer["rows"][0];
    assert_eq!(
        keys_of(row),
        [
            "subject",
            "attribute",
            "valid",
            "value",
            "status",
            "event",
            "known",
            "source",
            "modality",
            "certainty",
            "quote",
            "others"
        ]
    );
    let other = &row["others"][0];
    assert_eq!(row["value"], "-30 %");
    assert_eq!(row["modality"], "fact");
    assert_eq!(other["event"], "wsj-2010-10-19-quota-change-2010");
    assert_eq!(other["value"], "~-40 %");
    assert_eq!(other["status"], "superseded");
    assert_eq!(other["known"], "2010-10-19");
    assert_eq!(other["source"], "wsj-2010-10-19");
    assert_eq!(row["certainty"], "exact");
    assert_eq!(other["certainty"], "exact");
    assert_eq!(
        keys_of(other),
        ["event", "value", "status", "known", "source", "certainty"]
    );
    assert!(row["quote"].as_str().unwrap().contains("down 30 percent"));
}

#[test]
fn a_failing_line_of_a_query_file_prints_an_error_object_and_the_run_goes_on() {
    let scratch = imported();
    let file = scratch.file(
        "q.aq",
        b"china.export_quota for 2010\nchina.export_quota fro 2010\n\n-- comment\nsubjects\n",
    );
    let run = scratch.run(&["query", "-f", file.to_str().unwrap()]);
    assert_eq!(run.code, 1, "a failed line makes the exit code 1");
    let lines: Vec<Json> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["rows"][0]["value"], "24280 t");
    assert!(
        lines[1]["error"].as_str().unwrap().contains("found 'fro'"),
        "{}",
        lines[1]
    );
    assert_eq!(lines[1]["line"], 2, "the error names the file's line");
    assert_eq!(lines[1]["column"], 20, "and the column within it");
    assert!(
        !lines[1]["error"].as_str().unwrap().contains("line 1"),
        "no second line number, the statement's own: {}",
        lines[1]
    );
    assert_eq!(lines[2]["rows"].as_array().unwrap().len(), 17);
}

#[test]
fn with_csv_a_query_files_errors_go_to_stderr_with_their_line() {
    let scratch = imported();
    let file = scratch.file(
        "q.aq",
        b"-- a comment\n\nchina.export_quota for 2010\n\n\nchina.export_quota fro 2010\n",
    );
    let run = scratch.run(&["query", "-f", file.to_str().unwrap(), "--format", "csv"]);
    assert_eq!(run.code, 1);
    assert!(!run.stdout.contains("error"), "{}", run.stdout);
    assert!(
        run.stdout.starts_with("subject,attribute,valid,value"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("q.aq:6:20: error: expected"),
        "{}",
        run.stderr
    );
}

/// CSV output is one document with one header: the answers of a query
/// file continue under the first answer's header, and a statement whose
/// rows have another shape is that line's error, never a second header.
#[test]
fn a_query_files_csv_answers_share_one_header() {
    let scratch = imported();
    let file = scratch.file(
        "q.aq",
        b"timeline china.policy.export_quotas from 2010 to 2012 every year avg\n\
          china.export_quota for 2010\nchina.export_quota_change for 2010\nsubjects\n",
    );
    let run = scratch.run(&["query", "-f", file.to_str().unwrap(), "--format", "csv"]);
    assert_eq!(run.code, 1, "the mixed line fails the run");
    let headers = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("subject,"))
        .count();
    // The timeline fails before its first row (true has no average): it
    // leaves no header of its own, and the gets' header is the one.
    assert_eq!(headers, 1, "{}", run.stdout);
    assert!(
        run.stdout
            .starts_with("subject,attribute,valid,value,status"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("q.aq:1: error:"), "{}", run.stderr);
    assert!(run.stdout.contains(",2010,24280 t,"), "{}", run.stdout);
    assert!(run.stdout.contains(",2010-H2,-72 %,"), "{}", run.stdout);
    assert!(
        run.stderr
            .contains("q.aq:4: error: this statement answers rows of another shape"),
        "{}",
        run.stderr
    );
}

/// SPEC §8: a plan never looks like a fact. India's restart is a plan.
#[test]
fn a_plan_shows_its_modality_in_every_format() {
    let scratch = imported();
    for format in ["table", "csv", "json"] {
        let run = scratch.run(&["query", "india.in_production", "--format", format]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stdout.contains("plan"), "{format}: {}", run.stdout);
    }
    let csv = scratch.run(&["query", "china.export_quota for 2010", "--format", "csv"]);
    let header = csv.stdout.lines().next().unwrap();
    assert_eq!(
        header,
        "subject,attribute,valid,value,status,modality,certainty,event,known,source,quote,others"
    );
    assert!(
        csv.stdout
            .contains("This year’s export quota is 24,280 tons"),
        "{}",
        csv.stdout
    );
}

/// `annals … | head -1`: the reader leaves, the writer ends quietly, exit 0.
#[test]
fn a_reader_that_stops_early_ends_the_output_quietly() {
    use std::io::BufRead;
    let scratch = imported();
    // Enough output to fill the pipe after the reader has gone.
    let mut big = String::new();
    for n in 0..4000 {
        big.push_str(&format!(
            "{{\"op\":\"assert\",\"subject\":\"s{n}\",\"attribute\":\"production\",\"valid\":\"2010\",\"value\":\"{n} t\",\"source\":\"wsj-2010-10-19\"}}\n"
        ));
    }
    let file = scratch.file("big.jsonl", big.as_bytes());
    assert_eq!(scratch.run(&["import", file.to_str().unwrap()]).code, 0);
    for args in [
        vec!["export"],
        vec!["query", "*.*"],
        vec!["query", "*.*", "--format", "json"],
        vec!["query", "*.*", "--format", "csv"],
    ] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_annals"))
            .arg("--db")
            .arg(scratch.db())
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        // The reader is dropped here: the pipe closes after one line.
        let output = child.wait_with_output().unwrap();
        assert!(!first.is_empty());
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            output.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn query_errors_show_a_caret_and_exit_with_code_1() {
    let scratch = imported();
    let run = scratch.run(&["query", "china.export_quota for 2010-13"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("line 1, column 24") && run.stderr.contains("^"),
        "{}",
        run.stderr
    );
    let usage = scratch.run(&["query", "x", "--format", "yaml"]);
    assert_eq!(usage.code, 2, "a bad flag is a usage error");
}

#[test]
fn csv_output_has_a_header_and_one_line_per_row() {
    let scratch = imported();
    let run = scratch.run(&[
        "query",
        "*.share_of_world_reserves as known 2013",
        "--format",
        "csv",
    ]);
    assert_eq!(run.code, 0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "subject,attribute,valid,value,status,modality,certainty,event,known,source,quote,others"
    );
    assert_eq!(lines.len(), 3);
    assert!(
        lines[2].starts_with("china,share_of_world_reserves,2012..,~23 %,current,fact,"),
        "{}",
        lines[2]
    );
}

#[test]
fn lint_finds_the_white_papers_anachronism_and_its_correction() {
    let scratch = imported();
    let run = scratch.run(&["lint"]);
    assert_eq!(
        run.code, 0,
        "the corrected data set has warnings only: {}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("warning[anachronism] scio-wp-share-of-world-reserves")
            && run
                .stdout
                .contains("corrected by the source revision at seq 212 (published 2012-06)"),
        "{}",
        run.stdout
    );

    // Without the revision, the same claims are errors and lint fails.
    let text = std::fs::read_to_string(fixture()).unwrap();
    let without: String = text
        .lines()
        .filter(|l| !(l.contains("\"op\": \"source\"") && l.contains("\"published\": \"2012-06\"")))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        without.lines().count() + 1,
        text.lines().count(),
        "exactly the revision line is dropped"
    );
    let fresh = Scratch::new();
    let file = fresh.file("unrevised.jsonl", without.as_bytes());
    assert_eq!(fresh.run(&["import", file.to_str().unwrap()]).code, 0);
    let run = fresh.run(&["lint"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("error[anachronism] scio-wp-share-of-world-reserves: a fact valid from 2012.. is known from 2010-06"), "{}", run.stdout);
}

#[test]
fn lint_reports_unquoted_claims_uncited_sources_and_unused_attributes() {
    let scratch = Scratch::new();
    let base = scratch.file("base.jsonl", common::BASE.as_bytes());
    let extra = scratch.file(
        "extra.jsonl",
        br#"{"op":"define","attribute":"unused_thing"}
{"op":"source","id":"nobody-cites-me","title":"t","publisher":"p","published":"2011"}
{"op":"assert","id":"bad-quote","subject":"china","attribute":"export_quota","valid":"2009","value":"1 t","source":"mofcom-2010-10","quote":"words not in the text"}"#,
    );
    assert_eq!(
        scratch
            .run(&["import", base.to_str().unwrap(), extra.to_str().unwrap()])
            .code,
        0
    );
    let run = scratch.run(&["lint"]);
    assert_eq!(run.code, 1, "a quote not in its source is an error");
    for expected in [
        "error[quote-not-in-source] bad-quote",
        "warning[unquoted] q-early",
        "warning[uncited-source] nobody-cites-me",
        "warning[unused-attribute] unused_thing",
        "warning[source-without-text] reuters-2010-07",
    ] {
        assert!(
            run.stdout.contains(expected),
            "missing {expected}:\n{}",
            run.stdout
        );
    }
}

#[test]
fn the_demo_without_a_terminal_runs_the_guided_tour() {
    let scratch = Scratch::new();
    let run = scratch.run(&["demo"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("annals demo: 214 events"),
        "{}",
        &run.stdout[..200.min(run.stdout.len())]
    );
    // Steps are numbered 1, 2, 3, …, each followed by its question.
    let steps = (1..)
        .take_while(|n| run.stdout.contains(&format!("\n{n}. ")))
        .count();
    assert!(steps >= 12, "only {steps} numbered steps:\n{}", run.stdout);
    assert_eq!(run.stdout.matches("annals> ").count(), steps);
    assert!(!run.stdout.contains("error:"), "{}", run.stdout);
    assert!(
        run.stdout.contains("considered")
            && run.stdout.contains("denied")
            && run.stdout.contains("~23 %")
    );
    assert!(!scratch.db().exists(), "the demo does not touch --db");
}

/// SPEC §8: `history` shows every event that changed a slot's answer,
/// source revisions included, so its story ends on the plain get's winner.
/// Checked for every period-kind slot of the data set, and for the white
/// paper's re-dating, which moves a state attribute's winner.
#[test]
fn the_story_of_every_slot_ends_on_the_winner_of_the_plain_get() {
    use annals::query::AnswerRow;
    use annals::{interchange, Kind, Store};
    let store = Store::temporary().unwrap();
    interchange::import_file(&store, "f.jsonl", &std::fs::read(fixture()).unwrap()).unwrap();
    let rows = |q: &str| store.query(q).unwrap().collect_all().unwrap().rows;
    let period_kind: Vec<String> = rows("attributes")
        .into_iter()
        .filter_map(|r| match r {
            AnswerRow::Attribute(a) if a.kind == Kind::Period => Some(a.attribute),
            _ => None,
        })
        .collect();
    let mut checked = 0;
    for row in rows("*.*") {
        let AnswerRow::Slot(slot) = row else { continue };
        if !period_kind.contains(&slot.attribute) {
            continue;
        }
        let story = rows(&format!(
            "history {}.{} for {}",
            slot.subject, slot.attribute, slot.valid
        ));
        let last = story
            .iter()
            .rev()
            .find_map(|r| match r {
                AnswerRow::Step(s) if s.valid == slot.valid => Some(s),
                _ => None,
            })
            .expect("a story for every slot");
        let winner = last.winner.as_ref().expect("a winner at the end");
        assert_eq!(
            (&winner.value, &winner.event),
            (&slot.winner.value, &slot.winner.event),
            "{}.{} for {}",
            slot.subject,
            slot.attribute,
            slot.valid
        );
        checked += 1;
    }
    assert!(checked > 30, "only {checked} period slots");
    let story = rows("history china.share_of_world_production for 2011-06-01");
    let Some(AnswerRow::Step(last)) = story.last() else {
        panic!("no story")
    };
    assert_eq!(
        (last.op, last.event.as_str()),
        ("source", "scio-rare-earth-white-paper")
    );
    assert_eq!(last.winner.as_ref().unwrap().value.to_string(), ">=90 %");
}

/// `show` gives one event whole: the fields it was imported with, its
/// position, recorded time and hash exactly as `export` has them, and its
/// quote inside the words around it in the source's text.
#[test]
fn show_gives_an_event_whole_with_its_quote_in_context() {
    let scratch = imported();
    let run = scratch.run(&[
        "query",
        "show reuters-2010-10-28-deny-quota-cut-2011",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let answer: Json = serde_json::from_str(&run.stdout).unwrap();
    let row = &answer["rows"][0];
    assert_eq!(row["event"]["op"], "deny");
    assert_eq!(row["event"]["target"], "wsj-2010-10-19-quota-cut-2011");
    let context = row["context"].as_str().unwrap();
    assert!(context.contains('«') && context.contains('»'), "{context}");
    let exported = scratch.export();
    let line: Json = exported
        .lines()
        .map(|l| serde_json::from_str::<Json>(l).unwrap())
        .find(|l| l["seq"] == row["seq"])
        .unwrap();
    assert_eq!(line["hash"], row["hash"]);
    assert_eq!(line["recorded"], row["recorded"]);
    assert_eq!(line["id"], row["event"]["id"]);
}

/// `source ID` gives the whole source, its text and every revision.
#[test]
fn a_source_is_shown_whole_with_its_revisions() {
    let scratch = imported();
    let run = scratch.run(&[
        "query",
        "source scio-rare-earth-white-paper",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let answer: Json = serde_json::from_str(&run.stdout).unwrap();
    let row = &answer["rows"][0];
    let revisions: Vec<(u64, &str)> = row["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["seq"].as_u64().unwrap(), r["published"].as_str().unwrap()))
        .collect();
    assert_eq!(revisions, [(91, "2010-06"), (212, "2012-06")]);
    assert_eq!(row["published"], "2012-06");
    assert!(
        row["text"].as_str().unwrap().len() > 30_000,
        "the whole text"
    );
    let table = scratch.run(&["query", "source scio-rare-earth-white-paper"]);
    assert!(
        table
            .stdout
            .contains("revisions : seq 91: published 2010-06; seq 212: published 2012-06"),
        "{}",
        &table.stdout[..400.min(table.stdout.len())]
    );
}
