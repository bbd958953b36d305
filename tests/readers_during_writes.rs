//! Readers on other threads while a writer appends (SPEC §6, §11): every
//! answer comes from one log position, the one it reports. Each reader
//! takes an answer, then — after more batches have landed — asks again
//! `as recorded at seq <that position>` and must get exactly the same rows;
//! and the rows must be whole batches: every batch writes the same value to
//! two series, so a reader that saw half a batch would see them differ.

use annals::AttributeMatch;
use annals::Selector;
use annals::{Claim, Definition, Event, Kind, Modality, Source};
use annals::{Get, Period, Store, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const BATCHES: u64 = 150;

fn claim(subject: &str, day: u32, value: u64) -> Event {
    Event::Assert(Claim {
        id: None,
        subject: subject.into(),
        attribute: "price".into(),
        valid: Period::parse(&format!("2011-03-{:02}", 1 + day % 28)).unwrap(),
        value: Value::parse(&format!("{value} USD")).unwrap(),
        known: None,
        source: "src".into(),
        quote: None,
        modality: Modality::Fact,
        note: None,
        valid_form: None,
        known_form: None,
    })
}

#[test]
fn readers_always_see_one_consistent_log_position() {
    let store = Arc::new(Store::temporary().unwrap());
    store
        .append(vec![
            Event::Define(Definition {
                attribute: "price".into(),
                kind: Kind::State,
                unit: Some("USD".into()),
                doc: None,
            }),
            Event::Source(Source {
                id: "src".into(),
                title: "t".into(),
                publisher: "p".into(),
                published: Period::parse("2011").unwrap(),
                url: None,
                text: None,
                note: None,
                published_form: None,
            }),
        ])
        .unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let store = Arc::clone(&store);
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            for b in 0..BATCHES {
                // The same value for both series in one batch.
                store
                    .append(vec![
                        claim("left", b as u32, b),
                        claim("right", b as u32, b),
                    ])
                    .unwrap();
            }
            done.store(true, Ordering::SeqCst);
        })
    };
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let store = Arc::clone(&store);
            let done = Arc::clone(&done);
            std::thread::spawn(move || {
                let everything = Get::new(Selector {
                    subject: None,
                    attribute: AttributeMatch::Any,
                });
                let mut checked = 0;
                let mut earlier = Vec::new();
                while !done.load(Ordering::SeqCst) || checked < 20 {
                    let answer = store.get(&everything).unwrap();
                    let values = |subject: &str| -> Vec<(String, String)> {
                        answer
                            .rows
                            .iter()
                            .filter(|r| r.subject == subject)
                            .map(|r| (r.valid.to_string(), r.winner.value.to_string()))
                            .collect()
                    };
                    assert_eq!(
                        values("left"),
                        values("right"),
                        "half a batch was visible at log_seq {}",
                        answer.log_seq
                    );
                    earlier.push(answer);
                    checked += 1;
                }
                // Ask again, now that the log has grown, as recorded then.
                for answer in earlier {
                    let mut again = everything.clone();
                    again.recorded = Some(answer.log_seq);
                    assert_eq!(
                        store.get(&again).unwrap(),
                        answer,
                        "the answer at log_seq {} changed",
                        answer.log_seq
                    );
                }
                checked
            })
        })
        .collect();
    writer.join().unwrap();
    for reader in readers {
        assert!(reader.join().unwrap() >= 20);
    }
    assert_eq!(store.position(), 2 + BATCHES * 2);
}
