//! The store against a deliberately naive reference model (SPEC §5).
//!
//! Random logs — claims over a small calendar, denials, retractions of both,
//! source revisions that move default known dates — are appended in random
//! batches to a real store. Then random questions (selector, valid period,
//! as known, as recorded) are answered twice: by the store, through its
//! binned slot index and its resolution code, and by the model below, which
//! knows nothing of indexes: it walks the whole event list, and for state
//! attributes it decides every day on its own and joins equal days into runs.
//! Any difference is a bug in one of them.

use annals::AttributeMatch;
use annals::Selector;
use annals::{Claim, Definition, Denial, Event, Kind, Modality, Retraction, Source};
use annals::{Day, Get, Period, Store, Value};
use proptest::prelude::*;

/// The calendar of the generated logs: day offsets from 2010-01-01. Every
/// bounded period lies within `0..SPAN`; the model examines `DOMAIN`, which
/// strictly contains it, so runs beyond it are the same as at its edges.
const SPAN: i32 = 40;
const DOMAIN: (i32, i32) = (-10, 50);
const SUBJECTS: [&str; 2] = ["alpha", "beta"];
const ATTRIBUTES: [(&str, Kind); 2] = [("flow", Kind::Period), ("level", Kind::State)];
const SOURCES: [&str; 3] = ["s0", "s1", "s2"];
const VALUES: [&str; 3] = ["1 t", "2 t", "~1 t"];

fn base() -> i32 {
    Day::from_ymd(2010, 1, 1).unwrap().0
}

/// A small deterministic generator, so a failing seed reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    /// A bounded period inside `0..SPAN`, or sometimes a half-open one.
    fn period(&mut self, open_sides: bool) -> Period {
        let a = self.below(SPAN as usize) as i32;
        let b = a + 1 + self.below((SPAN - a) as usize) as i32;
        let mut p = Period::new(Day(base() + a), Day(base() + b));
        if open_sides && self.chance(8) {
            p.start = None;
        } else if open_sides && self.chance(8) {
            p.end = None;
        }
        p
    }
}

/// One event of the generated log, as the model sees it.
#[derive(Debug, Clone)]
enum Op {
    Source {
        id: usize,
        published: Period,
    },
    Assert {
        subject: usize,
        attribute: usize,
        valid: Period,
        value: usize,
        known: Option<Period>,
        source: usize,
    },
    Deny {
        target: u64,
        known: Option<Period>,
        source: usize,
    },
    Retract {
        target: u64,
    },
}

fn to_event(op: &Op) -> Event {
    match op {
        Op::Source { id, published } => Event::Source(Source {
            id: SOURCES[*id].into(),
            title: "t".into(),
            publisher: "p".into(),
            published: *published,
            url: None,
            text: None,
            note: None,
            published_form: None,
        }),
        Op::Assert {
            subject,
            attribute,
            valid,
            value,
            known,
            source,
        } => Event::Assert(Claim {
            id: None,
            subject: SUBJECTS[*subject].into(),
            attribute: ATTRIBUTES[*attribute].0.into(),
            valid: *valid,
            value: Value::parse(VALUES[*value]).unwrap(),
            known: *known,
            source: SOURCES[*source].into(),
            quote: None,
            modality: Modality::Fact,
            note: None,
            valid_form: None,
            known_form: None,
        }),
        Op::Deny {
            target,
            known,
            source,
        } => Event::Deny(Denial {
            id: None,
            target: format!("e{target}"),
            known: *known,
            source: SOURCES[*source].into(),
            quote: None,
            known_form: None,
        }),
        Op::Retract { target } => Event::Retract(Retraction {
            id: None,
            target: format!("e{target}"),
            reason: "test".into(),
        }),
    }
}

/// Generates a valid log of `n` events after the definitions (seqs 1..=2)
/// and split into batches.
fn generate(seed: u64, n: usize) -> (Vec<Op>, Vec<usize>) {
    let mut rng = Rng(seed | 1);
    let mut ops: Vec<Op> = (0..SOURCES.len())
        .map(|id| Op::Source {
            id,
            published: rng.period(false),
        })
        .collect();
    // seq of op i is i + 3 (two definitions come first).
    let seq_of = |i: usize| i as u64 + 3;
    let mut live_asserts: Vec<u64> = Vec::new();
    let mut live_denials: Vec<u64> = Vec::new();
    while ops.len() < n + SOURCES.len() {
        let seq = seq_of(ops.len());
        let roll = rng.below(100);
        let known = |rng: &mut Rng| {
            if rng.chance(50) {
                Some(rng.period(true))
            } else {
                None
            }
        };
        if roll < 55 || live_asserts.is_empty() {
            let valid = rng.period(true);
            let op = Op::Assert {
                subject: rng.below(SUBJECTS.len()),
                attribute: rng.below(ATTRIBUTES.len()),
                valid,
                value: rng.below(VALUES.len()),
                known: known(&mut rng),
                source: rng.below(SOURCES.len()),
            };
            ops.push(op);
            live_asserts.push(seq);
        } else if roll < 75 {
            let target = live_asserts[rng.below(live_asserts.len())];
            let known = known(&mut rng);
            ops.push(Op::Deny {
                target,
                known,
                source: rng.below(SOURCES.len()),
            });
            live_denials.push(seq);
        } else if roll < 88 {
            let pick_denial = !live_denials.is_empty() && rng.chance(40);
            let list = if pick_denial {
                &mut live_denials
            } else {
                &mut live_asserts
            };
            let target = list.remove(rng.below(list.len()));
            ops.push(Op::Retract { target });
            if !pick_denial && live_asserts.is_empty() {
                continue;
            }
        } else {
            ops.push(Op::Source {
                id: rng.below(SOURCES.len()),
                published: rng.period(false),
            });
        }
    }
    // Denials of a retracted claim stay in the log; they are harmless. But a
    // retract may not target a claim retracted earlier, which `live_*` ensures.
    let mut batches = Vec::new();
    let mut left = ops.len();
    while left > 0 {
        let size = (1 + rng.below(4)).min(left);
        batches.push(size);
        left -= size;
    }
    (ops, batches)
}

/// A question, as the model sees it.
#[derive(Debug, Clone)]
struct Question {
    subject: Option<usize>,
    attribute: Option<usize>,
    valid: Option<Period>,
    known: Option<Period>,
    recorded: Option<u64>,
}

fn question(rng: &mut Rng, head: u64) -> Question {
    Question {
        subject: if rng.chance(70) {
            Some(rng.below(SUBJECTS.len()))
        } else {
            None
        },
        attribute: if rng.chance(70) {
            Some(rng.below(ATTRIBUTES.len()))
        } else {
            None
        },
        valid: if rng.chance(70) {
            Some(rng.period(true))
        } else {
            None
        },
        known: if rng.chance(70) {
            Some(rng.period(true))
        } else {
            None
        },
        recorded: if rng.chance(40) {
            Some(rng.below(head as usize + 1) as u64)
        } else {
            None
        },
    }
}

/// A row reduced to what is compared: subject, attribute, valid (clipped to
/// the model's domain), winner, status, and the others with their standing.
type Shape = (
    String,
    String,
    String,
    String,
    String,
    Vec<(String, String)>,
);

/// The naive model: a whole-log walk per question.
fn model(ops: &[Op], q: &Question) -> Vec<Shape> {
    let head = ops.len() as u64 + 2;
    let r = q.recorded.unwrap_or(head).min(head);
    let visible: Vec<(u64, &Op)> = ops
        .iter()
        .enumerate()
        .map(|(i, op)| (i as u64 + 3, op))
        .filter(|(s, _)| *s <= r)
        .collect();
    let retracted = |seq: u64| {
        visible
            .iter()
            .any(|(_, op)| matches!(op, Op::Retract { target } if *target == seq))
    };
    let published = |source: usize| {
        visible
            .iter()
            .rev()
            .find_map(|(_, op)| match op {
                Op::Source { id, published } if *id == source => Some(*published),
                _ => None,
            })
            .unwrap()
    };
    let counts = |k: &Period| q.known.is_none_or(|qk| k.end_key() <= qk.end_key());
    // (seq, subject, attribute, valid, value, known, denied)
    let mut claims = Vec::new();
    for (seq, op) in &visible {
        if let Op::Assert {
            subject,
            attribute,
            valid,
            value,
            known,
            source,
        } = op
        {
            let known = known.unwrap_or_else(|| published(*source));
            if retracted(*seq) || !counts(&known) {
                continue;
            }
            let denied = visible.iter().any(|(dseq, dop)| match dop {
                Op::Deny {
                    target,
                    known,
                    source,
                } => {
                    *target == *seq
                        && !retracted(*dseq)
                        && counts(&known.unwrap_or_else(|| published(*source)))
                }
                _ => false,
            });
            claims.push((
                *seq,
                *subject,
                *attribute,
                *valid,
                VALUES[*value],
                known,
                denied,
            ));
        }
    }
    let asked = q.valid.unwrap_or(Period::ALL);
    let mut rows = Vec::new();
    for (s, subject_name) in SUBJECTS.iter().enumerate() {
        for (a, (attribute, kind)) in ATTRIBUTES.iter().enumerate() {
            if q.subject.is_some_and(|x| x != s) || q.attribute.is_some_and(|x| x != a) {
                continue;
            }
            let mine: Vec<_> = claims.iter().filter(|c| c.1 == s && c.2 == a).collect();
            let mut slots: Vec<(Period, Vec<_>)> = Vec::new();
            match kind {
                Kind::Period => {
                    for c in &mine {
                        if !c.3.overlaps(&asked) {
                            continue;
                        }
                        match slots.iter_mut().find(|(p, _)| *p == c.3) {
                            Some((_, members)) => members.push(**c),
                            None => slots.push((c.3, vec![**c])),
                        }
                    }
                    slots.sort_by_key(|(p, _)| (p.start_key(), p.end_key()));
                }
                Kind::State => {
                    // Day by day, then join equal neighbours into runs.
                    for d in DOMAIN.0..DOMAIN.1 {
                        let day = Day(base() + d);
                        if !asked.contains_day(day) {
                            continue;
                        }
                        let members: Vec<_> = mine
                            .iter()
                            .filter(|c| c.3.contains_day(day))
                            .map(|c| **c)
                            .collect();
                        if members.is_empty() {
                            continue;
                        }
                        let seqs: Vec<u64> = members.iter().map(|c| c.0).collect();
                        match slots.last_mut() {
                            Some((p, prev))
                                if p.end == Some(day)
                                    && prev.iter().map(|c| c.0).collect::<Vec<_>>() == seqs =>
                            {
                                p.end = Some(Day(day.0 + 1));
                            }
                            _ => slots.push((Period::day(day), members)),
                        }
                    }
                }
            }
            for (valid, mut members) in slots {
                members.sort_by_key(|c| c.0);
                let rank =
                    |c: &(u64, usize, usize, Period, &str, Period, bool)| (c.5.end_key(), c.0);
                let undenied: Vec<_> = members.iter().filter(|c| !c.6).collect();
                let winner = if undenied.is_empty() {
                    *members.iter().max_by_key(|c| rank(c)).unwrap()
                } else {
                    **undenied.iter().max_by_key(|c| rank(c)).unwrap()
                };
                let earlier = |c: &(u64, usize, usize, Period, &str, Period, bool)| {
                    c.5.end_key() <= winner.5.start_key()
                };
                let status = if winner.6 {
                    "denied"
                } else if members
                    .iter()
                    .any(|c| c.0 != winner.0 && !c.6 && c.4 != winner.4 && !earlier(c))
                {
                    "contested"
                } else {
                    "current"
                };
                let others = members
                    .iter()
                    .filter(|c| c.0 != winner.0)
                    .map(|c| {
                        let standing = if c.6 {
                            "denied"
                        } else if c.4 == winner.4 {
                            "agrees"
                        } else if earlier(c) {
                            "superseded"
                        } else {
                            "conflicting"
                        };
                        (format!("e{}", c.0), standing.to_string())
                    })
                    .collect();
                rows.push((
                    subject_name.to_string(),
                    attribute.to_string(),
                    if *kind == Kind::State {
                        clip(&valid)
                    } else {
                        valid.to_string()
                    },
                    format!("e{}", winner.0),
                    status.to_string(),
                    others,
                ));
            }
        }
    }
    rows
}

/// A valid period as compared: clipped to the model's domain for state rows.
fn clip(p: &Period) -> String {
    let domain = Period::new(Day(base() + DOMAIN.0), Day(base() + DOMAIN.1));
    p.intersect(&domain)
        .map(|x| x.to_string())
        .unwrap_or_else(|| "outside".into())
}

fn store_answer(store: &Store, q: &Question) -> Vec<Shape> {
    let selector = Selector {
        subject: q.subject.map(|s| SUBJECTS[s].to_string()),
        attribute: q.attribute.map_or(AttributeMatch::Any, |a| {
            AttributeMatch::Exact(ATTRIBUTES[a].0.to_string())
        }),
    };
    let get = Get {
        selector,
        valid: q.valid,
        known: q.known,
        recorded: q.recorded,
        filter: Default::default(),
        possibly: false,
    };
    let answer = store.get(&get).unwrap();
    answer
        .rows
        .into_iter()
        .map(|row| {
            let valid = if row.attribute == "level" {
                clip(&row.valid)
            } else {
                row.valid.to_string()
            };
            let others = row
                .others
                .iter()
                .map(|(c, s)| (c.event.clone(), s.name().to_string()))
                .collect();
            (
                row.subject,
                row.attribute,
                valid,
                row.winner.event,
                row.status.name().to_string(),
                others,
            )
        })
        .collect()
}

fn check(store: Store, seed: u64, n: usize, questions: usize) {
    let definitions = ATTRIBUTES
        .iter()
        .map(|(a, kind)| {
            Event::Define(Definition {
                attribute: a.to_string(),
                kind: *kind,
                unit: None,
                doc: None,
            })
        })
        .collect();
    store.append(definitions).unwrap();
    let (ops, batches) = generate(seed, n);
    let mut next = 0;
    for size in batches {
        let events = ops[next..next + size].iter().map(to_event).collect();
        store
            .append(events)
            .unwrap_or_else(|e| panic!("seed {seed}: batch at op {next} refused: {e}\n{ops:#?}"));
        next += size;
    }
    let mut rng = Rng(seed.wrapping_mul(31) | 1);
    for _ in 0..questions {
        let q = question(&mut rng, store.position());
        let expected = model(&ops, &q);
        let actual = store_answer(&store, &q);
        assert_eq!(
            actual, expected,
            "seed {seed}, question {q:?}\nlog: {ops:#?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Thousands of random logs in the memory engine.
    #[test]
    fn answers_equal_the_model_over_random_logs(seed in any::<u64>(), n in 1usize..40) {
        check(Store::in_memory(), seed, n, 12);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 60, failure_persistence: None, ..ProptestConfig::default() })]

    /// Fewer on each real engine, so their scans and snapshots are covered.
    #[test]
    fn answers_equal_the_model_on_sled(seed in any::<u64>(), n in 1usize..40) {
        let storage = annals::testing::SledStorage::temporary().unwrap();
        check(annals::testing::store_on(std::sync::Arc::new(storage)).unwrap(), seed, n, 6);
    }

    #[test]
    fn answers_equal_the_model_on_redb(seed in any::<u64>(), n in 1usize..40) {
        let storage = annals::testing::RedbStorage::in_memory().unwrap();
        check(annals::testing::store_on(std::sync::Arc::new(storage)).unwrap(), seed, n, 6);
    }
}
