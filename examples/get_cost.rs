//! The cost of one question through the Rust API, to set beside the Python
//! package's (`python/examples/get_cost.py` asks the same question the
//! same number of times): the typed `get`, and the textual statement with
//! each row made into the JSON object the Python package receives.
//!
//!     cargo run --release --example get_cost

use annals::query::render::row_json;
use annals::{interchange, Get, Period, Selector, Store};
use std::time::Instant;

const ROUNDS: usize = 20_000;

fn median_micros(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn main() -> annals::Result<()> {
    let store = Store::temporary()?;
    let data_set = include_bytes!("../fixtures/rare-earths.jsonl");
    interchange::import_file(&store, "rare-earths.jsonl", data_set)?;

    let mut question = Get::new(Selector::exact("china", "export_quota"));
    question.valid = Some(Period::year(2010));
    question.known = Some(Period::year(2011));
    let mut typed = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let answer = store.get(&question)?;
        typed.push(started.elapsed().as_secs_f64() * 1e6);
        assert_eq!(answer.rows.len(), 1);
    }

    let text = "china.export_quota for 2010 as known 2011";
    let mut textual = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let rows: Vec<_> = store
            .query(text)?
            .map(|row| row.map(|r| row_json(&r)))
            .collect::<annals::Result<_>>()?;
        textual.push(started.elapsed().as_secs_f64() * 1e6);
        assert_eq!(rows.len(), 1);
    }
    println!(
        "Rust, median of {ROUNDS}: typed get {:.1} µs; statement with JSON rows {:.1} µs",
        median_micros(typed),
        median_micros(textual)
    );
    Ok(())
}
