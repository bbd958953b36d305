//! Keeps `grammar/` and SPEC §7 true: every example statement in
//! `grammar/examples.aq` and in the spec's §7 code blocks parses, and its
//! canonical printing parses back to the same syntax tree.

use annals::query::parser::parse;
use std::path::Path;

fn assert_parses_and_round_trips(origin: &str, statement: &str) {
    let tree = parse(statement)
        .unwrap_or_else(|e| panic!("{origin}: {statement}\n{}", e.locate(statement)));
    let printed = tree.to_string();
    let again = parse(&printed).unwrap_or_else(|e| {
        panic!(
            "{origin}: the printing of {statement}\n{printed}\n{}",
            e.locate(&printed)
        )
    });
    assert_eq!(again, tree, "{origin}: {statement} printed as {printed}");
}

#[test]
fn every_line_of_the_grammar_examples_parses() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("grammar/examples.aq");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut count = 0;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with("--") {
            continue;
        }
        assert_parses_and_round_trips(&format!("grammar/examples.aq:{}", i + 1), line);
        count += 1;
    }
    assert!(count >= 40, "the examples file holds {count} statements");
}

/// An example that answers nothing teaches nothing: every question of
/// `grammar/examples.aq` answers at least one row on the bundled data set.
#[test]
fn every_question_of_the_grammar_examples_answers_on_the_bundled_data_set() {
    use annals::query::ast::Statement;
    let store = annals::Store::temporary().unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rare-earths.jsonl");
    annals::interchange::import_file(&store, "rare-earths.jsonl", &std::fs::read(data).unwrap())
        .unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("grammar/examples.aq");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut asked = 0;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with("--") {
            continue;
        }
        if matches!(parse(line), Ok(Statement::Write(_))) {
            continue;
        }
        let rows = store
            .query(line)
            .and_then(|reply| reply.collect_all())
            .unwrap_or_else(|e| panic!("grammar/examples.aq:{}: {line}: {e}", i + 1))
            .rows;
        assert!(
            !rows.is_empty(),
            "grammar/examples.aq:{}: {line} answers nothing",
            i + 1
        );
        asked += 1;
    }
    assert!(asked >= 40, "only {asked} questions");
}

/// The README's language section teaches by example: each of its indented
/// questions answers at least one row on the bundled data set.
#[test]
fn every_question_of_the_readmes_language_section_answers() {
    let store = annals::Store::temporary().unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rare-earths.jsonl");
    annals::interchange::import_file(&store, "rare-earths.jsonl", &std::fs::read(data).unwrap())
        .unwrap();
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme
        .find("## The query language in brief")
        .expect("the README has a language section");
    let end = start + readme[start..].find("\n## ").expect("a section after it");
    let questions: Vec<&str> = readme[start..end]
        .lines()
        .filter(|l| l.starts_with("    "))
        .map(|l| l.split(" -- ").next().unwrap_or(l).trim())
        .collect();
    assert!(questions.len() >= 8, "{questions:?}");
    for question in questions {
        let rows = store
            .query(question)
            .and_then(|reply| reply.collect_all())
            .unwrap_or_else(|e| panic!("README: {question}: {e}"))
            .rows;
        assert!(!rows.is_empty(), "README: {question} answers nothing");
    }
}

/// The indented example lines of SPEC §7 (between its heading and §8).
fn spec_examples(spec: &str) -> Vec<String> {
    let start = spec.find("## 7.").expect("SPEC has a §7");
    let end = spec[start..]
        .find("## 8.")
        .map_or(spec.len(), |i| start + i);
    spec[start..end]
        .lines()
        .filter(|l| l.starts_with("    ") && !l.trim().is_empty())
        .map(|l| l.trim().to_string())
        .collect()
}

#[test]
fn every_example_of_spec_section_7_parses() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/SPEC.md");
    let spec = match std::fs::read_to_string(&path) {
        Ok(s) => s,
        // CI always has ../shared beside the clone; elsewhere the spec may
        // be absent, and then there is nothing to check against.
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("skipping: {} not readable ({e})", path.display());
            return;
        }
        Err(e) => panic!("{}: {e}", path.display()),
    };
    let examples = spec_examples(&spec);
    assert!(
        examples.len() >= 20,
        "found only {} examples in SPEC §7",
        examples.len()
    );
    for example in examples {
        assert_parses_and_round_trips("SPEC §7", &example);
    }
}
