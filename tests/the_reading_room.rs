//! `annals serve`, the reading room (SPEC §8), driven over real HTTP: the
//! binary is started on a free port against a store of the bundled data
//! set, and plain HTTP/1.1 requests check the API (the query endpoint
//! answers exactly what `query --format json` prints; errors are 400 with
//! line and column), the charts (SVG, escaped), the page and its
//! Content-Security-Policy, readers at once, a store written by another
//! process while the server runs, and a graceful stop on SIGTERM.

mod common;
use common::{files_of, fixture, Scratch};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};

/// A running server, stopped (SIGTERM, then waited for) when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(scratch: &Scratch) -> Server {
        Server::start_with(scratch, &[])
    }

    fn start_with(scratch: &Scratch, env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_annals"))
            .envs(env.iter().copied())
            .arg("--db")
            .arg(scratch.db())
            .args(["serve", "--addr", "127.0.0.1:0"])
            .env_remove("ANNALS_DB")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start annals serve");
        // The first line says where it listens.
        let mut line = String::new();
        BufReader::new(child.stderr.as_mut().expect("stderr"))
            .read_line(&mut line)
            .expect("the server's first line");
        let port = line
            .split("http://127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        Server { child, port }
    }

    fn get(&self, path: &str) -> (u16, Vec<(String, String)>, String) {
        get(self.port, path)
    }
}

/// GET `path`: the status, the headers (lower-cased names) and the body.
fn get(port: u16, path: &str) -> (u16, Vec<(String, String)>, String) {
    get_as(port, path, "127.0.0.1")
}

/// GET `path` with `host` as the request's Host header.
fn get_as(port: u16, path: &str, host: &str) -> (u16, Vec<(String, String)>, String) {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a response head");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, unchunked(body))
}

impl Drop for Server {
    fn drop(&mut self) {
        // SAFETY: kill(2) with the child's own pid and a signal number.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let _ = self.child.wait();
    }
}

/// The body of a chunked response, or the body as it is.
fn unchunked(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    loop {
        let Some((size, after)) = rest.split_once("\r\n") else {
            return body.to_string();
        };
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            return body.to_string();
        };
        if size == 0 {
            return out;
        }
        let Some(chunk) = after.get(..size) else {
            return body.to_string();
        };
        out.push_str(chunk);
        rest = after[size..].trim_start_matches("\r\n");
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn encoded(statement: &str) -> String {
    statement
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn with_data() -> Scratch {
    let scratch = Scratch::new();
    let run = scratch.run(&["import", fixture().to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    scratch
}

#[test]
fn the_query_endpoint_answers_exactly_what_the_cli_prints() {
    let scratch = with_data();
    let server = Server::start(&scratch);
    for statement in [
        "china.export_quota_change for 2011 as known oct 2010",
        "history china.share_of_world_production for 2011-06-01",
        "claims *.* where source = wsj-2010-10-19",
        "curve china.export_quota_change for 2011",
        "subjects",
    ] {
        let (status, headers, body) = server.get(&format!("/api/query?q={}", encoded(statement)));
        assert_eq!(status, 200, "{statement}: {body}");
        assert!(header(&headers, "content-type").starts_with("application/json"));
        let cli = scratch.run(&["query", statement, "--format", "json"]);
        let served: serde_json::Value = serde_json::from_str(&body).unwrap();
        let printed: serde_json::Value = serde_json::from_str(&cli.stdout).unwrap();
        assert_eq!(served, printed, "{statement}");
    }
}

#[test]
fn a_bad_statement_is_a_400_with_line_and_column() {
    let scratch = with_data();
    let server = Server::start(&scratch);
    let (status, _, body) = server.get(&format!(
        "/api/query?q={}",
        encoded("china.export_quota for 2011 as knwon oct 2010")
    ));
    assert_eq!(status, 400);
    let error: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (error["line"].as_u64(), error["column"].as_u64()),
        (Some(1), Some(32))
    );
    assert!(error["error"]
        .as_str()
        .unwrap()
        .contains("expected 'known'"));
    // The server is read-only, and an id cannot smuggle a statement in.
    let (status, _, body) = server.get(&format!(
        "/api/query?q={}",
        encoded("retract wsj-2010-10-19-quota-cut-2011 because 'no'")
    ));
    assert_eq!(status, 400, "{body}");
    let (status, _, _) = server.get("/api/events/x%20limit%201");
    assert_eq!(status, 400);
}

/// A request the extractors cannot read (a statement given twice, a path
/// that is not UTF-8) is refused as JSON with `error`, as any bad request;
/// and a server on the loopback answers only requests addressed to the
/// loopback by name, so a page that rebinds its own name to 127.0.0.1
/// cannot read the store through a visitor's browser.
#[test]
fn unreadable_requests_and_foreign_hosts_are_refused_as_json() {
    let scratch = with_data();
    let server = Server::start(&scratch);
    for path in ["/api/query?q=subjects&q=attributes", "/api/events/%FF"] {
        let (status, headers, body) = server.get(path);
        assert_eq!(status, 400, "{path}: {body}");
        assert!(header(&headers, "content-type").starts_with("application/json"));
        let error: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(
            error["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{body}"
        );
    }
    let (status, _, body) = get_as(server.port, "/api/subjects", "rebound.example:8080");
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("loopback"), "{body}");
    for host in ["localhost", "localhost:7878", "127.0.0.1:7878"] {
        let (status, _, body) = get_as(server.port, "/api/subjects", host);
        assert_eq!(status, 200, "{host}: {body}");
    }
}

/// An id may hold a `/` (`event.rs`); the endpoints take it encoded.
#[test]
fn an_id_with_a_slash_is_fetched_by_its_endpoint() {
    let scratch = with_data();
    let file = scratch.file(
        "slash.jsonl",
        br#"{"op":"source","id":"src/one","title":"T","publisher":"P","published":"2011"}
{"op":"assert","id":"ev/1","subject":"china","attribute":"export_quota","valid":"2013","value":"31000 t","source":"src/one"}
"#,
    );
    let run = scratch.run(&["import", file.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let server = Server::start(&scratch);
    let (status, _, body) = server.get("/api/events/ev%2F1");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"source\":\"src/one\""), "{body}");
    let (status, _, body) = server.get("/api/sources/src%2Fone");
    assert_eq!(status, 200, "{body}");
}

#[test]
fn events_sources_subjects_and_attributes_have_endpoints() {
    let scratch = with_data();
    let server = Server::start(&scratch);
    let (status, _, body) = server.get("/api/events/wsj-2010-10-19-quota-cut-2011");
    assert_eq!(status, 200, "{body}");
    let event: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(event["rows"][0]["event"]["source"], "wsj-2010-10-19");
    let (status, _, body) = server.get("/api/sources/wsj-2010-10-19");
    assert_eq!(status, 200, "{body}");
    let source: serde_json::Value = serde_json::from_str(&body).unwrap();
    let text = source["source"]["text"].as_str().unwrap();
    let quotes = source["quotes"].as_array().unwrap();
    assert!(quotes.len() >= 5, "{body}");
    assert!(source["log_seq"].as_u64().unwrap() > 0);
    // Every quote of the source's claims is in its text, to be highlighted.
    let normal = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    for quote in quotes {
        assert!(normal(text).contains(&normal(quote["quote"].as_str().unwrap())));
    }
    for path in ["/api/subjects", "/api/attributes"] {
        let (status, headers, body) = server.get(path);
        assert_eq!(status, 200, "{path}");
        assert!(header(&headers, "content-type").starts_with("application/json"));
        assert!(body.contains("\"log_seq\""));
    }
    let (status, _, body) = server.get("/api/events/no-such-event");
    assert_eq!(status, 404, "{body}");
    let (status, _, body) = server.get("/api/sources/wsj-2010-10-91");
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("did you mean 'wsj-2010-10-19'"), "{body}");
    // An oversized statement is refused before it is parsed.
    let huge = "x".repeat(20 * 1024);
    let (status, _, _) = server.get(&format!("/api/query?q={huge}"));
    assert_eq!(status, 414);
}

#[test]
fn a_statement_past_its_deadline_is_cancelled_and_answered_503() {
    let scratch = with_data();
    // The test-only hook makes every statement wait for its cancellation,
    // so the deadline passes whatever the machine's speed.
    let server = Server::start_with(
        &scratch,
        &[
            ("ANNALS_SERVE_DEADLINE_MS", "50"),
            ("ANNALS_TEST_SLOW_STATEMENTS", "1"),
        ],
    );
    let (status, _, body) = server.get("/api/query?q=subjects");
    assert_eq!(status, 503, "{body}");
    assert!(
        body.contains("ran longer than 0.1 s") || body.contains("ran longer than 0.0 s"),
        "{body}"
    );
}

#[test]
fn thirty_two_clients_ask_two_hundred_questions_each_without_error() {
    let scratch = with_data();
    let server = Server::start(&scratch);
    let port = server.port;
    let questions = [
        "china.export_quota_change%20for%202011%20as%20known%20nov%202010",
        "history%20china.share_of_world_production%20for%202011-06-01",
        "curve%20china.export_quota_change%20for%202010",
        "claims%20%2A.%2A%20where%20source%20%3D%20wsj-2010-10-19",
    ];
    let clients: Vec<_> = (0..32)
        .map(|client| {
            std::thread::spawn(move || {
                for i in 0..200 {
                    let q = questions[(client + i) % questions.len()];
                    let (status, _, body) = get(port, &format!("/api/query?q={q}"));
                    assert_eq!(status, 200, "{q}: {body}");
                    assert!(body.starts_with("{\"log_seq\":214,"), "{q}");
                }
            })
        })
        .collect();
    for client in clients {
        client.join().expect("a client failed");
    }
}

#[test]
fn the_server_writes_nothing_to_the_store() {
    let scratch = with_data();
    let before = files_of(&scratch.db());
    {
        let server = Server::start(&scratch);
        for path in [
            "/api/query?q=china.%2A",
            "/api/sources/wsj-2010-10-19",
            "/api/svg?q=china.export_quota_change",
        ] {
            assert_eq!(server.get(path).0, 200, "{path}");
        }
        // Another process reads beside it.
        let run = scratch.run(&["query", "subjects", "--format", "json"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    assert!(
        files_of(&scratch.db()) == before,
        "the server changed a file of the store"
    );
}

#[test]
fn charts_are_svg_and_the_page_is_served_under_a_strict_policy() {
    let scratch = with_data();
    let server = Server::start(&scratch);
    // Each chart draws one mark per slot, bucket or step of the answer.
    for (statement, marks) in [
        ("curve china.export_quota_change for 2011", 2),
        ("china.export_quota_change", 3),
        ("china.share_of_world_reserves", 2),
        (
            "timeline china.share_of_world_production from 2010 to 2013 every year avg",
            4,
        ),
    ] {
        let (status, headers, body) = server.get(&format!("/api/svg?q={}", encoded(statement)));
        assert_eq!(status, 200, "{statement}: {body}");
        assert_eq!(header(&headers, "content-type"), "image/svg+xml");
        assert!(body.starts_with("<svg") && body.trim_end().ends_with("</svg>"));
        assert!(!body.contains("<script"), "{statement}");
        assert_eq!(body.matches("class=\"mark\"").count(), marks, "{statement}");
    }
    let (status, _, _) = server.get(&format!("/api/svg?q={}", encoded("sources")));
    assert_eq!(status, 400, "only get, timeline and curve draw");
    let (status, headers, page) = server.get("/");
    assert_eq!(status, 200);
    let policy = header(&headers, "content-security-policy");
    assert!(policy.contains("default-src 'none'") && policy.contains("script-src 'self'"));
    assert!(
        page.contains("<script src=\"/app.js\"")
            && !page.contains("http://")
            && !page.contains("https://")
    );
    let (_, headers, script) = server.get("/app.js");
    assert!(header(&headers, "content-type").starts_with("text/javascript"));
    // Store text reaches the page as text only.
    assert!(!script.contains("innerHTML") && !script.contains("insertAdjacentHTML"));
    let (_, headers, _) = server.get("/api/subjects");
    assert!(header(&headers, "content-security-policy").contains("default-src 'none'"));
}

#[test]
fn readers_at_once_each_answer_from_one_position_and_see_a_later_import() {
    let scratch = with_data();
    let server = Server::start(&scratch);
    let port = server.port;
    let threads: Vec<_> = (0..16)
        .map(|_| {
            std::thread::spawn(move || {
                let (status, _, body) = get(port, "/api/query?q=china.%2A");
                (status, body)
            })
        })
        .collect();
    for thread in threads {
        let (status, body) = thread.join().unwrap();
        assert_eq!(status, 200);
        assert!(
            body.starts_with("{\"log_seq\":214,"),
            "{}",
            &body[..60.min(body.len())]
        );
    }
    // Another process imports while the server runs: the next answer sees it.
    let later = scratch.file(
        "later.jsonl",
        br#"{"op":"assert","subject":"china","attribute":"export_quota","valid":"2012","value":"31130 t","known":"2011-12","source":"reuters-2010-10-28"}
"#,
    );
    let run = scratch.run(&["import", later.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (_, _, body) = server.get("/api/query?q=china.export_quota%20for%202012");
    assert!(
        body.starts_with("{\"log_seq\":215,") && body.contains("31130 t"),
        "{body}"
    );
}

#[test]
fn sigterm_stops_the_server_gracefully() {
    let scratch = with_data();
    let mut server = Server::start(&scratch);
    // SAFETY: kill(2) with the child's own pid and a signal number.
    unsafe {
        libc::kill(server.child.id() as i32, libc::SIGTERM);
    }
    let status = server.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let mut rest = String::new();
    server
        .child
        .stderr
        .as_mut()
        .unwrap()
        .read_to_string(&mut rest)
        .unwrap();
    assert!(rest.contains("stopped"), "{rest}");
}

/// The page in a real browser (Debian's headless Chromium, which `.ci/run`
/// installs): a link naming a statement and a row to click renders the
/// answer's table and chart, clicks the winning claim's row (through the
/// row's own click handler), and shows the claim's source text with its
/// quote marked in place — all built by the page's script from the API.
#[test]
fn in_a_browser_the_page_shows_the_answer_and_the_quote_in_its_source() {
    let chromium = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|c| Command::new(c).arg("--version").output().is_ok())
        .expect("the browser test needs Debian's chromium (apt-get install chromium)");
    let scratch = with_data();
    let server = Server::start(&scratch);
    let dom = page_in_a_browser(
        chromium,
        &scratch,
        &server,
        "china.export_quota_change for 2011 as known nov 2010",
        "wsj-2010-10-19-quota-cut-2011",
    );
    assert!(
        dom.contains("1 row; log_seq 214"),
        "no answer rendered:\n{dom}"
    );
    assert!(
        dom.contains("<td class=\"status-denied\">denied</td>"),
        "the winner's status is missing:\n{dom}"
    );
    assert!(
        dom.contains("/api/svg?q=china.export_quota_change"),
        "no chart:\n{dom}"
    );
    // The panel lists the denial that targets the claim.
    assert!(
        dom.contains("reuters-2010-10-28-deny-quota-cut-2011"),
        "no denial:\n{dom}"
    );
    assert!(
        dom.contains("<mark class=\"current\">The state-run English-language China Daily"),
        "the claim's quote is not marked in its source text:\n{dom}"
    );
    // A claim valid to an unknown end (`2010-10-28/`): the page asks about
    // its slot with the open `2010-10-28..`, since a question cannot name
    // an unknown end, and so still shows the source text, not an error.
    let dom = page_in_a_browser(
        chromium,
        &scratch,
        &server,
        "china.policy.export_cutoff",
        "reuters-2010-10-28-no-cutoff-plan",
    );
    assert!(
        dom.contains("<mark class=\"current\">Beijing has denied any plans"),
        "the claim's quote is not marked in its source text:\n{dom}"
    );
    assert!(
        !dom.contains("unknown end"),
        "the panel shows an error:\n{dom}"
    );
}

/// The page after a link naming `statement` and a row to click, as
/// headless Chromium leaves it.
fn page_in_a_browser(
    chromium: &str,
    scratch: &Scratch,
    server: &Server,
    statement: &str,
    click: &str,
) -> String {
    let profile = scratch.dir.path().join(format!("chromium-profile-{click}"));
    let url = format!(
        "http://127.0.0.1:{}/#q={}&click={click}",
        server.port,
        encoded(statement)
    );
    let output = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,800",
            // Lets the page's fetches finish before the DOM is printed; a
            // budget of virtual time, not a wait on the clock.
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(&url)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .expect("run chromium");
    String::from_utf8_lossy(&output.stdout).into_owned()
}
