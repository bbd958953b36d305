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
//!
//! The logs include SPEC §3's uncertain dates: valid periods with
//! qualifiers, unspecified digits (`2010-01-XX..`) and unknown ends
//! (`2010-01-05/`), known dates with them, and questions `as possibly
//! known`. The model decides each day from each claim's certain and
//! possible extents, as the spec words the rule, and compares certainty.

use annals::AttributeMatch;
use annals::Selector;
use annals::{Claim, Definition, Denial, Event, Kind, Modality, Retraction, Source};
use annals::{Dating, Day, Get, Period, Qualifier, Store, Value};
use proptest::prelude::*;

/// The calendar of the generated logs: day offsets from 2010-01-01. Every
/// bounded period lies within `0..SPAN`; the model examines `DOMAIN`, which
/// strictly contains it (and the end of February, where `2010-02-XX` may
/// end), so runs beyond it are the same as at its edges.
const SPAN: i32 = 40;
const DOMAIN: (i32, i32) = (-10, 70);
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

/// A written period as the log keeps it: its possible extent, and the
/// written form when that says more.
fn split(text: &str) -> (Period, Option<Dating>) {
    let dating = Dating::parse(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
    let form = dating.plain().is_err().then_some(dating);
    (dating.possible(), form)
}

/// A day of the calendar as written: `2010-01-05`.
fn day_text(offset: i32) -> String {
    Day(base() + offset).to_string()
}

impl Rng {
    fn qualifier(&mut self) -> &'static str {
        ["", "", "?", "~", "%"][self.below(5)]
    }

    /// Sometimes a vague valid period of SPEC §3 for an attribute of
    /// `kind`, as written; a period kind's may only carry qualifiers.
    fn vague_valid(&mut self, kind: Kind) -> Option<String> {
        if !self.chance(35) {
            return None;
        }
        let a = self.below(30) as i32;
        let b = a + 1 + self.below(9) as i32;
        let (qa, qb) = (self.qualifier(), self.qualifier());
        let template = if kind == Kind::Period {
            0
        } else {
            self.below(5)
        };
        Some(match template {
            0 => format!("{}{qa}..{}{qb}", day_text(a), day_text(b)),
            // January unspecified: possible from Jan 1, certain from Feb 1.
            1 => format!("2010-01-XX{qa}..{}", day_text(31 + self.below(9) as i32)),
            // February unspecified: certain until Feb 1, possible to Mar 1.
            2 => format!("{}..2010-02-XX{qb}", day_text(self.below(31) as i32)),
            3 => format!("{}{qa}/", day_text(a)),
            _ => format!("/{}{qb}", day_text(b)),
        })
    }

    /// Sometimes a known date with a qualifier or unspecified digits.
    fn vague_known(&mut self) -> Option<String> {
        if !self.chance(20) {
            return None;
        }
        Some(match self.below(3) {
            0 => "2010-01-XX".to_string(),
            1 => "2010-02-XX".to_string(),
            _ => format!("{}~", day_text(self.below(SPAN as usize) as i32)),
        })
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
        valid_form: Option<Dating>,
        value: usize,
        known: Option<Period>,
        known_form: Option<Dating>,
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
            valid_form,
            value,
            known,
            known_form,
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
            valid_form: *valid_form,
            known_form: *known_form,
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
        // A known date may be open at its start ("by 2010 at the latest")
        // but not at its end, which validation refuses.
        let known = |rng: &mut Rng| {
            if rng.chance(50) {
                let mut period = rng.period(true);
                if period.end.is_none() {
                    period.start = None;
                    period.end = Some(Day(base() + SPAN));
                }
                Some(period)
            } else {
                None
            }
        };
        if roll < 55 || live_asserts.is_empty() {
            let attribute = rng.below(ATTRIBUTES.len());
            let (valid, valid_form) = match rng.vague_valid(ATTRIBUTES[attribute].1) {
                Some(text) => split(&text),
                None => (rng.period(true), None),
            };
            let (known, known_form) = match rng.vague_known() {
                Some(text) => {
                    let (k, form) = split(&text);
                    (Some(k), form)
                }
                None => (known(&mut rng), None),
            };
            let op = Op::Assert {
                subject: rng.below(SUBJECTS.len()),
                attribute,
                valid,
                valid_form,
                value: rng.below(VALUES.len()),
                known,
                known_form,
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
    /// `as possibly known`.
    possibly: bool,
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
        possibly: rng.chance(30),
        recorded: if rng.chance(40) {
            Some(rng.below(head as usize + 1) as u64)
        } else {
            None
        },
    }
}

/// A row reduced to what is compared: subject, attribute, valid (clipped to
/// the model's domain), winner, status, certainty, and the others with
/// their standing and certainty.
type Shape = (
    String,
    String,
    String,
    String,
    String,
    String,
    Vec<(String, String, String)>,
);

/// A claim that counts, as the model keeps it.
#[derive(Debug, Clone, Copy)]
struct Counting<'a> {
    seq: u64,
    subject: usize,
    attribute: usize,
    /// Every day it may cover, and the days it certainly covers.
    possible: Period,
    certain: Option<Period>,
    value: &'a str,
    known: Period,
    denied: bool,
    /// Denied, but only by denials that count only possibly.
    possibly_denied: bool,
    possibly_known: bool,
    qualifier: Qualifier,
}

/// A claim in one slot: whether it covers the slot's days only possibly.
type Member<'a> = (Counting<'a>, bool);

fn certainty_of(c: &Counting<'_>, possibly_covers: bool) -> &'static str {
    if c.possibly_known || possibly_covers || (c.denied && c.possibly_denied) {
        return "possible";
    }
    match c.qualifier {
        Qualifier::Exact => "exact",
        Qualifier::Approximate => "approximate",
        Qualifier::Uncertain => "uncertain",
        Qualifier::ApproximateUncertain => "approximate-uncertain",
    }
}

/// SPEC §5's winner of a slot's members (the undenied claim known last,
/// else the claim known last) and its status.
fn winner_and_status<'a>(members: &[Member<'a>]) -> (Member<'a>, &'static str) {
    let rank = |c: &Counting<'_>| (c.known.end_key(), c.seq);
    let undenied: Vec<&Member<'_>> = members.iter().filter(|(c, _)| !c.denied).collect();
    let winner = if undenied.is_empty() {
        *members.iter().max_by_key(|(c, _)| rank(c)).unwrap()
    } else {
        **undenied.iter().max_by_key(|(c, _)| rank(c)).unwrap()
    };
    let w = winner.0;
    let earlier = |c: &Counting<'_>| c.known.end_key() <= w.known.start_key();
    let status = if w.denied {
        "denied"
    } else if members
        .iter()
        .any(|(c, _)| c.seq != w.seq && !c.denied && c.value != w.value && !earlier(c))
    {
        "contested"
    } else {
        "current"
    };
    (winner, status)
}

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
    // SPEC §3: known by Q when it ends by Q's end; with `as possibly
    // known`, also (only possibly) when it begins before Q's end.
    // `None`: does not count; `Some(true)`: counts only possibly.
    let counts = |k: &Period| match q.known {
        None => Some(false),
        Some(qk) if k.end_key() <= qk.end_key() => Some(false),
        Some(qk) if q.possibly && k.start_key() < qk.end_key() => Some(true),
        Some(_) => None,
    };
    let mut claims: Vec<Counting<'_>> = Vec::new();
    for (seq, op) in &visible {
        if let Op::Assert {
            subject,
            attribute,
            valid,
            valid_form,
            value,
            known,
            known_form,
            source,
        } = op
        {
            let known = known.unwrap_or_else(|| published(*source));
            if retracted(*seq) {
                continue;
            }
            let Some(possibly_known) = counts(&known) else {
                continue;
            };
            let denials: Vec<bool> = visible
                .iter()
                .filter_map(|(dseq, dop)| match dop {
                    Op::Deny {
                        target,
                        known,
                        source,
                    } if *target == *seq && !retracted(*dseq) => {
                        counts(&known.unwrap_or_else(|| published(*source)))
                    }
                    _ => None,
                })
                .collect();
            let denied = !denials.is_empty();
            let qualifier = [valid_form, known_form]
                .into_iter()
                .flatten()
                .fold(Qualifier::Exact, |q, f| q.union(f.qualifier()));
            claims.push(Counting {
                seq: *seq,
                subject: *subject,
                attribute: *attribute,
                possible: *valid,
                certain: match valid_form {
                    Some(form) => form.certain(),
                    None => Some(*valid),
                },
                value: VALUES[*value],
                known,
                denied,
                possibly_denied: denied && denials.iter().all(|possibly| *possibly),
                possibly_known,
                qualifier,
            });
        }
    }
    let asked = q.valid.unwrap_or(Period::ALL);
    let mut rows = Vec::new();
    for (s, subject_name) in SUBJECTS.iter().enumerate() {
        for (a, (attribute, kind)) in ATTRIBUTES.iter().enumerate() {
            if q.subject.is_some_and(|x| x != s) || q.attribute.is_some_and(|x| x != a) {
                continue;
            }
            let mine: Vec<Counting<'_>> = claims
                .iter()
                .filter(|c| c.subject == s && c.attribute == a)
                .copied()
                .collect();
            let mut slots: Vec<(Period, Vec<Member<'_>>)> = Vec::new();
            match kind {
                Kind::Period => {
                    for c in &mine {
                        if !c.possible.overlaps(&asked) {
                            continue;
                        }
                        match slots.iter_mut().find(|(p, _)| *p == c.possible) {
                            Some((_, members)) => members.push((*c, false)),
                            None => slots.push((c.possible, vec![(*c, false)])),
                        }
                    }
                    slots.sort_by_key(|(p, _)| (p.start_key(), p.end_key()));
                }
                Kind::State => {
                    // Day by day, then join equal neighbours into runs. A
                    // claim counts on a day it only possibly covers when no
                    // undenied claim certainly covers that day.
                    for d in DOMAIN.0..DOMAIN.1 {
                        let day = Day(base() + d);
                        if !asked.contains_day(day) {
                            continue;
                        }
                        let certainly =
                            |c: &Counting<'_>| c.certain.is_some_and(|p| p.contains_day(day));
                        let blocked = mine.iter().any(|c| !c.denied && certainly(c));
                        let members: Vec<Member<'_>> = mine
                            .iter()
                            .filter(|c| c.possible.contains_day(day))
                            .filter_map(|c| match (certainly(c), blocked) {
                                (true, _) => Some((*c, false)),
                                (false, false) => Some((*c, true)),
                                (false, true) => None,
                            })
                            .collect();
                        if members.is_empty() {
                            continue;
                        }
                        let key = |m: &[Member<'_>]| {
                            m.iter().map(|(c, p)| (c.seq, *p)).collect::<Vec<_>>()
                        };
                        match slots.last_mut() {
                            Some((p, prev)) if p.end == Some(day) && key(prev) == key(&members) => {
                                p.end = Some(Day(day.0 + 1));
                            }
                            _ => slots.push((Period::day(day), members)),
                        }
                    }
                }
            }
            for (valid, mut members) in slots {
                members.sort_by_key(|(c, _)| c.seq);
                let ((winner, winner_possibly_covers), status) = winner_and_status(&members);
                let earlier = |c: &Counting<'_>| c.known.end_key() <= winner.known.start_key();
                // SPEC §3: possible when the winner counts or covers only
                // possibly, or a denial that counts only possibly decided
                // the outcome: without it, another winner or status.
                let decided_by_a_possible_denial = members.iter().enumerate().any(|(i, (c, _))| {
                    c.denied && c.possibly_denied && {
                        let mut without = members.clone();
                        without[i].0.denied = false;
                        let ((w, _), s) = winner_and_status(&without);
                        (w.seq, s) != (winner.seq, status)
                    }
                });
                let certainty = if decided_by_a_possible_denial {
                    "possible"
                } else {
                    certainty_of(&winner, winner_possibly_covers)
                };
                let others = members
                    .iter()
                    .filter(|(c, _)| c.seq != winner.seq)
                    .map(|(c, possibly_covers)| {
                        let standing = if c.denied {
                            "denied"
                        } else if c.value == winner.value {
                            "agrees"
                        } else if earlier(c) {
                            "superseded"
                        } else {
                            "conflicting"
                        };
                        (
                            format!("e{}", c.seq),
                            standing.to_string(),
                            certainty_of(c, *possibly_covers).to_string(),
                        )
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
                    format!("e{}", winner.seq),
                    status.to_string(),
                    certainty.to_string(),
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
        possibly: q.possibly,
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
                .map(|(c, s)| {
                    (
                        c.event.clone(),
                        s.name().to_string(),
                        c.certainty.name().to_string(),
                    )
                })
                .collect();
            (
                row.subject,
                row.attribute,
                valid,
                row.winner.event,
                row.status.name().to_string(),
                row.certainty.name().to_string(),
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
