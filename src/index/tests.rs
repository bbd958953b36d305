//! The slot index against brute force: for random claims and questions at
//! every level of the calendar bins, and at the edges where a scan stops, a
//! `get` returns exactly the slots whose valid period overlaps the question.

use super::keys::{bin_of, LAST_DAY};
use crate::event::{Claim, Definition, Event, Kind, Modality, Source};
use crate::period::{Day, Period};
use crate::value::Value;

fn period(text: &str) -> Period {
    Period::parse(text).unwrap()
}

/// A random period that lands on every level of the index: days,
/// months, years, decades, centuries and open ones, many of them placed
/// across a month, year, decade or century boundary.
fn any_period(rng: &mut crate::synthetic::Rng) -> Period {
    let boundary = [1, 1000, 1999, 2000, 2009, 2010, 2099, 9999][rng.below(8) as usize];
    let year = if rng.below(2) == 0 {
        boundary
    } else {
        1 + rng.below(9999) as i32
    };
    let start =
        Day::from_ymd(year, 1 + rng.below(12) as i32, 1 + rng.below(28) as i32).unwrap_or(Day(0));
    let longest = [1, 40, 400, 4_000, 40_000][rng.below(5) as usize];
    let end = (start.0 as i64 + 1 + rng.below(longest) as i64).min(LAST_DAY + 1);
    let mut period = Period::new(start, Day(end as i32));
    match rng.below(10) {
        0 => period.start = None,
        1 => period.end = None,
        _ => {}
    }
    period
}

/// Appends a claim for each of `claims` to a fresh store, then checks
/// that a `get` for each of `asked` returns exactly the slots whose
/// valid period overlaps it.
fn index_agrees_with_brute_force(claims: &[Period], asked: &[Period], case: &str) {
    let store = crate::Store::in_memory();
    let mut batch = vec![
        Event::Define(Definition {
            attribute: "flow".into(),
            kind: Kind::Period,
            unit: None,
            doc: None,
        }),
        Event::Source(Source {
            id: "s".into(),
            title: "t".into(),
            publisher: "p".into(),
            published: period("0001"),
            url: None,
            text: None,
            note: None,
            published_form: None,
        }),
    ];
    batch.extend(claims.iter().map(|valid| claim_event(None, *valid)));
    store.append(batch).unwrap();
    for asked in asked {
        let question = crate::Get {
            valid: Some(*asked),
            ..crate::Get::new(crate::answer::Selector::exact("x", "flow"))
        };
        let mut found: Vec<Period> = store
            .get(&question)
            .unwrap()
            .rows
            .iter()
            .map(|row| row.valid)
            .collect();
        let mut expected: Vec<Period> = claims
            .iter()
            .filter(|c| c.overlaps(asked))
            .copied()
            .collect();
        found.sort_by_key(|p| (p.start_key(), p.end_key()));
        expected.sort_by_key(|p| (p.start_key(), p.end_key()));
        expected.dedup();
        assert_eq!(found, expected, "{case}, asked {asked}");
    }
}

#[test]
fn the_slot_index_finds_exactly_the_claims_that_overlap_a_period() {
    let mut rng = crate::synthetic::Rng::new(7);
    for round in 0..40 {
        let claims: Vec<Period> = (0..60).map(|_| any_period(&mut rng)).collect();
        let asked: Vec<Period> = (0..60).map(|_| any_period(&mut rng)).collect();
        index_agrees_with_brute_force(&claims, &asked, &format!("round {round}"));
    }
}

/// The scan of each level stops at the period's end: a claim starting on
/// the last day asked is found, one starting the day after is not, at
/// every level and at the last day a period can name.
#[test]
fn a_claim_starting_on_the_last_day_asked_is_found_at_every_level() {
    let claims: Vec<Period> = [
        "2010-10-19",
        "2010-11",
        "2011",
        "2011..2015",
        "2009..2011",
        "1999..2001",
        "2012..",
        "9999-12-31",
        "9999",
    ]
    .iter()
    .map(|text| period(text))
    .collect();
    let levels: Vec<u8> = claims.iter().map(|c| bin_of(c).0).collect();
    assert_eq!(levels, [0, 1, 2, 3, 4, 5, 5, 0, 2], "one claim per level");
    let mut asked = Vec::new();
    for claim in &claims {
        let start = claim.start.unwrap_or(Day(0));
        for end in [start.0, start.0 + 1] {
            asked.push(Period::new(Day(start.0 - 10), Day(end)));
        }
    }
    index_agrees_with_brute_force(&claims, &asked, "edges");
}

/// A claim about `x.flow` for `valid`, citing source `s`, with the id
/// `id` (an automatic one if `None`).
fn claim_event(id: Option<&str>, valid: Period) -> Event {
    Event::Assert(Claim {
        id: id.map(str::to_string),
        subject: "x".into(),
        attribute: "flow".into(),
        valid,
        value: Value::number(1.0),
        known: None,
        source: "s".into(),
        quote: None,
        modality: Modality::Fact,
        note: None,
        valid_form: None,
        known_form: None,
    })
}

fn denial_event(target: &str, source: &str) -> Event {
    Event::Deny(crate::event::Denial {
        id: None,
        target: target.into(),
        known: None,
        source: source.into(),
        quote: None,
        known_form: None,
    })
}

/// The rows of the store's `targets` table.
fn target_rows(store: &crate::Store) -> usize {
    store
        .view(None)
        .storage
        .scan(crate::storage::Table::Targets, b"", None)
        .count()
}

/// A denial of an earlier batch's claim rides in a copy of the claim's
/// entry, not in a row of `targets` (a random leaf per denial); a reader
/// sees it only from the denial's position on, a retraction still goes to
/// the table, a denial of a claim of its own batch too (appended there),
/// and `verify`, whose rebuild cuts the log into other batches, finds the
/// store as its log says.
#[test]
fn a_later_batchs_denial_is_carried_by_the_claim_and_read_from_its_position() {
    let store = crate::Store::in_memory();
    let source = |id: &str| {
        Event::Source(Source {
            id: id.into(),
            title: "t".into(),
            publisher: "p".into(),
            published: period("2010"),
            url: None,
            text: None,
            note: None,
            published_form: None,
        })
    };
    let define = Event::Define(Definition {
        attribute: "flow".into(),
        kind: Kind::Period,
        unit: None,
        doc: None,
    });
    store
        .append(vec![
            define,
            source("s"),
            source("t"),
            claim_event(Some("c1"), period("2011")),
        ])
        .unwrap();
    let before = store
        .append(vec![denial_event("c1", "s"), denial_event("c1", "t")])
        .unwrap();
    assert_eq!(target_rows(&store), 0, "both denials ride in the copy");
    let claims = |at: Option<u64>| {
        store
            .view(at)
            .claims("x", "flow", &Period::ALL)
            .unwrap()
            .into_iter()
            .map(|c| {
                let targets = store.view(at).targets_of(&c).unwrap();
                (c.seq, c.targeted, targets)
            })
            .collect::<Vec<_>>()
    };
    let denied = |actor: u64, source: &str| {
        (
            actor,
            super::TargetEntry::Denied {
                known: None,
                source: source.into(),
            },
        )
    };
    assert_eq!(
        claims(None),
        vec![(
            4,
            false,
            vec![denied(before.first_seq, "s"), denied(before.last_seq, "t")]
        )]
    );
    assert_eq!(
        claims(Some(before.first_seq)),
        vec![(4, false, vec![denied(before.first_seq, "s")])],
        "the second denial is after this position"
    );
    assert_eq!(claims(Some(before.first_seq - 1)), vec![(4, false, vec![])]);
    let retraction = Event::Retract(crate::event::Retraction {
        id: None,
        target: "c1".into(),
        reason: "entered twice".into(),
    });
    let retracted = store.append(vec![retraction]).unwrap();
    assert_eq!(target_rows(&store), 1, "a retraction is a row");
    let (seq, targeted, targets) = claims(None).remove(0);
    assert_eq!((seq, targeted, targets.len()), (4, true, 3));
    assert_eq!(
        targets[2],
        (retracted.first_seq, super::TargetEntry::Retracted)
    );
    store
        .append(vec![
            claim_event(Some("c2"), period("2011")),
            denial_event("c2", "s"),
        ])
        .unwrap();
    assert_eq!(
        target_rows(&store),
        2,
        "a denial in its claim's batch is a row"
    );
    let report = crate::verify::verify(&store).unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    // A row of a denial that no claim's flag leads to changes no answer,
    // but the log does not explain it.
    let stray = super::TargetEntry::Denied {
        known: None,
        source: "s".into(),
    };
    store
        .view(None)
        .storage
        .write(
            crate::storage::Table::Targets,
            vec![(
                super::keys::target_key(2, 999),
                Some(crate::log::encode_value(&stray)),
            )],
        )
        .unwrap();
    let report = crate::verify::verify(&store).unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("no claim leads to")),
        "{:?}",
        report.problems
    );
}
