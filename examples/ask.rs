//! Embedding annals: open a store, append events, ask typed and textual
//! questions. Run with `cargo run --example ask`.

use annals::Selector;
use annals::{interchange, Get, Period, Store, Value};
use annals::{Claim, Definition, Event, Kind, Modality, Source};

fn main() -> annals::Result<()> {
    // A temporary store holding the bundled rare-earth data set.
    let store = Store::temporary()?;
    let data_set = include_bytes!("../fixtures/rare-earths.jsonl");
    interchange::import_file(&store, "rare-earths.jsonl", data_set)?;

    // A typed question: the 2011 export quota change as known in November 2010.
    let question = Get {
        selector: Selector::exact("china", "export_quota_change"),
        valid: Some(Period::year(2011)),
        known: Some(Period::month(2010, 11)),
        recorded: None,
        filter: Default::default(),
        possibly: false,
    };
    let answer = store.get(&question)?;
    for row in &answer.rows {
        println!(
            "{}.{} for {}: {} ({}, from {}, known {}; {} other claims) at log_seq {}",
            row.subject,
            row.attribute,
            row.valid,
            row.winner.value,
            row.status,
            row.winner.source,
            row.winner.known,
            row.others.len(),
            answer.log_seq
        );
    }

    // Appending a batch: a definition, a source and a claim, all or nothing.
    let appended = store.append(vec![
        Event::Define(Definition {
            attribute: "smelting_capacity".into(),
            kind: Kind::State,
            unit: Some("t".into()),
            doc: None,
        }),
        Event::Source(Source {
            id: "example-2013".into(),
            title: "An example source".into(),
            publisher: "Example".into(),
            published: Period::year(2013),
            url: None,
            text: Some("Capacity stood at 200,000 tonnes.".into()),
            note: None,
            published_form: None,
        }),
        Event::Assert(Claim {
            id: Some("example-capacity".into()),
            subject: "china".into(),
            attribute: "smelting_capacity".into(),
            valid: Period::year(2012),
            value: Value::parse("200000 t")
                .map_err(|e| annals::Error::InvalidInput(e.describe("200000 t")))?,
            known: None,
            source: "example-2013".into(),
            quote: Some("Capacity stood at 200,000 tonnes".into()),
            modality: Modality::Fact,
            note: None,
            valid_form: None,
            known_form: None,
        }),
    ])?;
    println!("appended seq {}..{}", appended.first_seq, appended.last_seq);

    // A question in the query language: typed rows, streamed as computed.
    let reply = store.query("china.smelting_capacity for 2012")?;
    let log_seq = reply.log_seq;
    for row in reply {
        if let annals::query::AnswerRow::Slot(row) = row? {
            println!(
                "{}.{} for {}: {} ({}) at log_seq {log_seq}",
                row.subject, row.attribute, row.valid, row.winner.value, row.status
            );
        }
    }
    Ok(())
}
