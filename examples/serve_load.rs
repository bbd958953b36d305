//! The reading room under load: 32 clients ask 200 questions each of
//! `annals serve` over the bundled data set, one connection per question
//! (as a browser without keep-alive would), and the latencies of the
//! answers are reported. Build the binary first:
//!
//!     cargo build --release && cargo run --release --example serve_load

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

const CLIENTS: usize = 32;
const QUESTIONS: usize = 200;

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let binary = root.join("target/release/annals");
    assert!(
        binary.exists(),
        "build the binary first: cargo build --release"
    );
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db = dir.path().join("store");
    let imported = Command::new(&binary)
        .arg("--db")
        .arg(&db)
        .arg("import")
        .arg(root.join("fixtures/rare-earths.jsonl"))
        .output()
        .expect("import");
    assert!(imported.status.success());
    let mut server = Command::new(&binary)
        .arg("--db")
        .arg(&db)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve");
    let mut line = String::new();
    BufReader::new(server.stderr.as_mut().expect("stderr"))
        .read_line(&mut line)
        .expect("the server's first line");
    let port: u16 = line
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|p| p.parse().ok())
        .expect("a port");
    let questions = [
        "china.export_quota_change%20for%202011%20as%20known%20nov%202010",
        "history%20china.share_of_world_production%20for%202011-06-01",
        "curve%20china.export_quota_change%20for%202010",
        "claims%20%2A.%2A%20where%20source%20%3D%20wsj-2010-10-19",
    ];
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            std::thread::spawn(move || {
                let mut latencies = Vec::with_capacity(QUESTIONS);
                for i in 0..QUESTIONS {
                    let q = questions[(client + i) % questions.len()];
                    let asked = Instant::now();
                    let mut stream =
                        std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
                    write!(
                        stream,
                        "GET /api/query?q={q} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    )
                    .expect("send");
                    let mut response = Vec::new();
                    stream.read_to_end(&mut response).expect("receive");
                    latencies.push(asked.elapsed().as_secs_f64() * 1e3);
                    assert!(response.starts_with(b"HTTP/1.1 200"), "an error answer");
                }
                latencies
            })
        })
        .collect();
    let mut latencies: Vec<f64> = clients
        .into_iter()
        .flat_map(|c| c.join().expect("a client"))
        .collect();
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let at = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "{} answers in {seconds:.2} s ({:.0}/s), no error: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        latencies.len() as f64 / seconds,
        at(0.5),
        at(0.99),
        at(1.0)
    );
    // SAFETY: kill(2) with the child's own pid and a signal number.
    unsafe {
        libc::kill(server.id() as i32, libc::SIGTERM);
    }
    let _ = server.wait();
}
