//! Writes a synthetic event log as JSON Lines to stdout, for benchmarks:
//!
//!     cargo run --release --example generate -- 1000000 [seed] > /tmp/1m.jsonl
//!
//! The same size and seed always write the same bytes (see `annals::synthetic`).

use annals::synthetic::{generate, Shape};
use std::io::Write;

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let events: u64 = match args.next().map(|a| a.replace('_', "").parse()) {
        Some(Ok(n)) => n,
        _ => {
            eprintln!("usage: generate EVENTS [SEED]");
            return std::process::ExitCode::from(2);
        }
    };
    let seed: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    match generate(Shape::new(events, seed), &mut out).and_then(|n| out.flush().map(|_| n)) {
        Ok(n) => {
            eprintln!("wrote {n} events (seed {seed})");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("generate: {e}");
            std::process::ExitCode::from(1)
        }
    }
}
