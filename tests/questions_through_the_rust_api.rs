//! Worked examples of SPEC §5 through the typed Rust API: what a claim's
//! status is as knowledge grows, what a denial and a retraction do, how
//! `as recorded` reproduces an earlier answer, and how a state attribute
//! becomes a timeline.

mod common;
use annals::Selector;
use annals::{interchange, Get, Period, Store};
use annals::{Denial, Event, Retraction};
use annals::{Standing, Status};
use common::BASE;

fn store() -> Store {
    let store = Store::temporary().unwrap();
    interchange::import_file(&store, "base.jsonl", BASE.as_bytes()).unwrap();
    store
}

fn get(selector: Selector, valid: Option<&str>, known: Option<&str>, recorded: Option<u64>) -> Get {
    Get {
        selector,
        valid: valid.map(|p| Period::parse(p).unwrap()),
        known: known.map(|p| Period::parse(p).unwrap()),
        recorded,
        filter: Default::default(),
        possibly: false,
    }
}

fn quota() -> Selector {
    Selector::exact("china", "export_quota")
}

#[test]
fn the_later_source_supersedes_the_earlier_one_once_it_is_known() {
    let store = store();
    let july = store
        .get(&get(quota(), Some("2010"), Some("2010-08"), None))
        .unwrap();
    assert_eq!(july.rows.len(), 1);
    assert_eq!(july.rows[0].winner.event, "q-early");
    assert_eq!(july.rows[0].winner.value.to_string(), "~30000 t");
    assert!(july.rows[0].others.is_empty());

    let november = store
        .get(&get(quota(), Some("2010"), Some("nov 2010"), None))
        .unwrap();
    let row = &november.rows[0];
    assert_eq!(
        (row.winner.event.as_str(), row.status),
        ("q-late", Status::Current)
    );
    assert_eq!(row.winner.known.to_string(), "2010-10-19");
    assert_eq!(row.others.len(), 1);
    assert_eq!(
        (row.others[0].0.event.as_str(), row.others[0].1),
        ("q-early", Standing::Superseded)
    );
}

#[test]
fn a_source_known_only_as_a_month_does_not_count_mid_month() {
    let store = store();
    let answer = store
        .get(&get(quota(), None, Some("2010-07-15"), None))
        .unwrap();
    assert!(
        answer.rows.is_empty(),
        "published 2010-07 is known by the end of July only"
    );
}

#[test]
fn a_denial_demotes_the_winner_and_a_retraction_undoes_the_denial() {
    let store = store();
    let denial = Event::Deny(Denial {
        id: Some("d1".into()),
        target: "q-late".into(),
        known: Some(Period::parse("2010-11").unwrap()),
        source: "reuters-2010-07".into(),
        quote: None,
        known_form: None,
    });
    let appended = store.append(vec![denial]).unwrap();
    assert_eq!(appended.ids, vec![Some("d1".to_string())]);

    let row = &store
        .get(&get(quota(), None, Some("2010-12"), None))
        .unwrap()
        .rows[0];
    assert_eq!(
        (row.winner.event.as_str(), row.status),
        ("q-early", Status::Current)
    );
    assert_eq!(row.others[0].1, Standing::Denied);

    // Before the denial was known, the denied claim still wins.
    let row = &store
        .get(&get(quota(), None, Some("2010-10"), None))
        .unwrap()
        .rows[0];
    assert_eq!(row.winner.event, "q-late");

    let retraction = Event::Retract(Retraction {
        id: None,
        target: "d1".into(),
        reason: "wrong source".into(),
    });
    let appended = store.append(vec![retraction]).unwrap();
    assert_eq!(appended.ids, vec![Some(format!("e{}", appended.first_seq))]);
    let row = &store
        .get(&get(quota(), None, Some("2010-12"), None))
        .unwrap()
        .rows[0];
    assert_eq!(
        (row.winner.event.as_str(), row.status),
        ("q-late", Status::Current)
    );

    // As recorded before the retraction, the denial still stands.
    let earlier = store
        .get(&get(
            quota(),
            None,
            Some("2010-12"),
            Some(appended.first_seq - 1),
        ))
        .unwrap();
    assert_eq!(earlier.log_seq, appended.first_seq - 1);
    assert_eq!(earlier.rows[0].winner.event, "q-early");
}

#[test]
fn every_claim_denied_leaves_the_latest_as_a_denied_winner() {
    let store = store();
    let deny = |id: &str, target: &str| {
        Event::Deny(Denial {
            id: Some(id.into()),
            target: target.into(),
            known: None,
            source: "mofcom-2010-10".into(),
            quote: None,
            known_form: None,
        })
    };
    store
        .append(vec![deny("d1", "q-early"), deny("d2", "q-late")])
        .unwrap();
    let row = &store.get(&get(quota(), None, None, None)).unwrap().rows[0];
    assert_eq!(
        (row.winner.event.as_str(), row.status),
        ("q-late", Status::Denied)
    );
    assert_eq!(row.others[0].1, Standing::Denied);
}

#[test]
fn a_state_attribute_answers_with_a_timeline_clipped_to_the_question() {
    let store = store();
    let later = r#"{"op":"source","id":"wp-2012","title":"White paper","publisher":"SCIO","published":"2012-06"}
{"op":"assert","id":"r-2012","subject":"china","attribute":"share_of_world_reserves","valid":"2012..","value":"~23 %","source":"wp-2012"}"#;
    interchange::import_file(&store, "later.jsonl", later.as_bytes()).unwrap();
    let selector = Selector::exact("china", "share_of_world_reserves");
    let rows = store
        .get(&get(selector.clone(), Some("2011..2013"), None, None))
        .unwrap()
        .rows;
    let shape: Vec<(String, String, Status)> = rows
        .iter()
        .map(|r| (r.valid.to_string(), r.winner.value.to_string(), r.status))
        .collect();
    assert_eq!(
        shape,
        vec![
            ("2011".to_string(), "~30 %".to_string(), Status::Current),
            (
                "2012..2013".to_string(),
                "~23 %".to_string(),
                Status::Current
            )
        ]
    );
    assert_eq!(
        rows[1].others[0].1,
        Standing::Superseded,
        "2010-07 ended before 2012-06 began"
    );

    // As known in 2011, only the first claim exists, over the whole question.
    let rows = store
        .get(&get(selector, Some("2011..2013"), Some("2011"), None))
        .unwrap()
        .rows;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].valid.to_string(), "2011..2013");
}

#[test]
fn a_source_revision_moves_the_default_known_date() {
    let store = store();
    let before = store.position();
    let revision = r#"{"op":"source","id":"reuters-2010-07","title":"Quota cut","publisher":"Reuters","published":"2010-12"}"#;
    interchange::import_file(&store, "revision.jsonl", revision.as_bytes()).unwrap();
    let row = &store.get(&get(quota(), None, None, None)).unwrap().rows[0];
    assert_eq!(
        row.winner.event, "q-early",
        "now published after the MOFCOM figure"
    );
    assert_eq!(
        row.status,
        Status::Current,
        "2010-10-19 ended before 2010-12 began"
    );
    let row = &store
        .get(&get(quota(), None, None, Some(before)))
        .unwrap()
        .rows[0];
    assert_eq!(
        row.winner.event, "q-late",
        "as recorded before the revision"
    );
}

#[test]
fn wildcard_selectors_find_every_matching_series_in_order() {
    let store = store();
    let all = Selector {
        subject: None,
        attribute: annals::AttributeMatch::Any,
    };
    let rows = store.get(&get(all, Some("2010"), None, None)).unwrap().rows;
    let names: Vec<String> = rows
        .iter()
        .map(|r| format!("{}.{}", r.subject, r.attribute))
        .collect();
    assert_eq!(
        names,
        vec!["china.export_quota", "china.share_of_world_reserves"]
    );
}

#[test]
fn a_kind_cannot_change_in_a_revision() {
    let store = store();
    let err = interchange::import_file(
        &store,
        "k.jsonl",
        br#"{"op":"define","attribute":"export_quota","kind":"state"}"#,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("k.jsonl:1: field 'kind'") && err.contains("already defined as kind period"),
        "{err}"
    );
}

/// Every statement answers with typed rows: a diff's before and after are
/// values and statuses, not text to parse back.
#[test]
fn a_statement_answers_with_typed_rows() {
    use annals::query::AnswerRow;
    let store = store();
    let reply = store
        .query("diff china.export_quota between 2010-08 and 2011")
        .unwrap();
    assert_eq!(reply.kind, annals::query::StatementKind::Diff);
    let rows = reply.collect_all().unwrap().rows;
    let [AnswerRow::Change(change)] = rows.as_slice() else {
        panic!("one change expected, got {rows:?}");
    };
    let before = change.before.as_ref().expect("a winner before");
    let after = change.after.as_ref().expect("a winner after");
    assert_eq!(before.value.to_string(), "~30000 t");
    assert_eq!(before.event, "q-early");
    assert_eq!(after.value.magnitude(), Some(24280.0));
    assert_eq!(after.status, Status::Current);
}

/// A cancelled statement stops between two rows, says so once, and ends.
#[test]
fn a_cancelled_statement_stops_between_two_rows() {
    let store = Store::temporary().unwrap();
    interchange::import_file(
        &store,
        "rare-earths.jsonl",
        &std::fs::read(common::fixture()).unwrap(),
    )
    .unwrap();
    let cancel = annals::query::Cancel::new();
    let mut reply = annals::query::run_with(&store, "*.*", &cancel).unwrap();
    assert!(matches!(reply.next(), Some(Ok(_))), "a first row");
    cancel.cancel();
    assert!(matches!(reply.next(), Some(Err(annals::Error::Cancelled))));
    assert!(reply.next().is_none(), "nothing after the cancellation");
    // Uncancelled, the same statement answers every row.
    let all = store.query("*.*").unwrap().collect_all().unwrap().rows;
    assert!(
        all.len() > 50,
        "the bundled data set has {} slots",
        all.len()
    );
}

/// Rows serialise (serde) in the typed form of SPEC §4: values and periods
/// as objects with every field named, statuses and modalities by name.
#[test]
fn a_row_serialises_with_typed_values_and_periods() {
    let store = store();
    let rows = store
        .query("china.export_quota for 2010")
        .unwrap()
        .collect_all()
        .unwrap()
        .rows;
    let json = serde_json::to_value(&rows[0]).unwrap();
    assert_eq!(json["valid"]["text"], "2010");
    assert_eq!(json["valid"]["start"], "2010-01-01");
    assert_eq!(json["valid"]["end"], "2011-01-01");
    let value = &json["winner"]["value"];
    assert_eq!(value["kind"], "number");
    assert_eq!(value["number"], 24280.0);
    assert_eq!(value["unit"], "t");
    assert_eq!(value["approx"], false);
    assert_eq!(json["winner"]["modality"], "fact");
    assert_eq!(json["status"], "current");
    let other = &json["others"][0];
    assert_eq!(other["event"], "q-early");
    assert_eq!(other["standing"], "superseded");
    assert_eq!(other["value"]["approx"], true);
    assert_eq!(other["known"]["text"], "2010-07");
}

/// `as recorded at <date>` finds the last position recorded before the
/// date's end by bisection; it agrees with a walk along the log at every
/// record's own time, and the query language reaches it.
#[test]
fn the_position_recorded_before_a_time_agrees_with_a_walk_along_the_log() {
    let store = store();
    for n in 0..5 {
        interchange::import_file(
            &store,
            "more.jsonl",
            format!(
                r#"{{"op":"assert","subject":"s{n}","attribute":"export_quota","valid":"2011","value":"{n} t","source":"mofcom-2010-10"}}"#
            )
            .as_bytes(),
        )
        .unwrap();
    }
    let times: Vec<i64> = (1..=store.position())
        .map(|seq| store.record(seq).unwrap().recorded)
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "recorded times never go back"
    );
    for &t in times.iter().chain([i64::MIN + 1, i64::MAX].iter()) {
        let walked = times.iter().take_while(|&&r| r < t).count() as u64;
        assert_eq!(store.position_recorded_before(t).unwrap(), walked, "at {t}");
    }
    let none = store.query("*.* as recorded at 1970").unwrap();
    assert_eq!(none.log_seq, 0);
    assert!(none.collect_all().unwrap().rows.is_empty());
    let all = store
        .query("china.export_quota for 2010 as recorded at 9999")
        .unwrap();
    assert_eq!(all.log_seq, store.position());
}

/// The story of a state attribute for one day ends on that day's winner,
/// even when the last event concerns a claim whose own valid period reaches
/// far beyond it.
#[test]
fn a_state_slots_story_for_one_day_ends_on_that_days_winner() {
    let store = store();
    interchange::import_file(
        &store,
        "more.jsonl",
        br#"{"op":"assert","id":"wide","subject":"china","attribute":"share_of_world_reserves","valid":"2000..","value":"~50 %","source":"reuters-2010-07"}
{"op":"assert","id":"narrow","subject":"china","attribute":"share_of_world_reserves","valid":"2011","value":"~40 %","source":"mofcom-2010-10"}
{"op":"deny","id":"no-wide","target":"wide","source":"mofcom-2010-10"}"#,
    )
    .unwrap();
    let get = store
        .query("china.share_of_world_reserves for 2011-06-01")
        .unwrap()
        .collect_all()
        .unwrap()
        .rows;
    let annals::query::AnswerRow::Slot(slot) = &get[0] else {
        panic!("a slot")
    };
    let story = store
        .query("history china.share_of_world_reserves for 2011-06-01")
        .unwrap()
        .collect_all()
        .unwrap()
        .rows;
    let Some(annals::query::AnswerRow::Step(last)) = story.last() else {
        panic!("a story")
    };
    assert_eq!(last.event, "no-wide");
    assert_eq!(
        last.winner.as_ref().map(|w| w.event.as_str()),
        Some(slot.winner.event.as_str())
    );
}

/// The knowledge curve of a state attribute: a later claim about some
/// days of a run splits it, but the pieces that keep their answer are no
/// new step — they were known from the first claim on.
#[test]
fn a_curve_over_a_state_run_steps_only_where_the_answer_changed() {
    let store = annals::Store::temporary().unwrap();
    annals::interchange::import_file(
        &store,
        "split.jsonl",
        br#"{"op":"define","attribute":"rate","kind":"state","unit":"%"}
{"op":"source","id":"s1","title":"A","publisher":"P","published":"2010-03"}
{"op":"source","id":"s2","title":"B","publisher":"P","published":"2010-09"}
{"op":"assert","id":"a","subject":"x","attribute":"rate","valid":"2010..2012","value":"10 %","source":"s1"}
{"op":"assert","id":"b","subject":"x","attribute":"rate","valid":"2011","value":"12 %","source":"s2"}
"#,
    )
    .unwrap();
    let steps: Vec<(String, String, String)> = store
        .query("curve x.rate")
        .unwrap()
        .map(|row| match row.unwrap() {
            annals::query::AnswerRow::Knowledge(k) => (
                k.valid.to_string(),
                k.known_from.to_string(),
                k.value.to_string(),
            ),
            other => panic!("not a curve step: {other:?}"),
        })
        .collect();
    assert_eq!(
        steps,
        [
            (
                "2010..2012".to_string(),
                "2010-03-31".to_string(),
                "10 %".to_string()
            ),
            (
                "2011".to_string(),
                "2010-09-30".to_string(),
                "12 %".to_string()
            ),
        ]
    );
}
