//! `annals serve`: the reading room (SPEC §8) — an HTTP JSON API over a
//! store opened read-only, and one web page, served from assets compiled
//! into the binary, that asks statements, shows answers, opens a claim's
//! source text with its quote highlighted in place, and draws charts.
//!
//! The HTTP stack is axum on tokio: graceful shutdown, typed extractors and
//! a response middleware come with it, and the store stays synchronous —
//! every statement runs on tokio's blocking pool under a deadline that
//! cancels it between two rows (`Cancel`), so one slow statement holds one
//! thread, never the server. Each statement first sees the latest commit of
//! any process (`Store::refresh`), and every response carries the
//! `log_seq` it was answered at.
//!
//! Every response carries a Content-Security-Policy that allows only the
//! page's own script and style: a source text is untrusted input, and the
//! page puts store text into the document only as text (`textContent`),
//! never as markup; SVG charts escape it (`query::svg`).

use annals::query::{self, render, Cancel, Format};
use annals::{Error, Store};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

/// How long one statement may run before it is cancelled, unless
/// `ANNALS_SERVE_DEADLINE_MS` says otherwise.
const STATEMENT_DEADLINE: Duration = Duration::from_secs(10);
/// How a refusal of a too long statement begins (it is answered 414).
const TOO_LONG: &str = "the statement is too long";

fn deadline() -> Duration {
    static DEADLINE: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();
    *DEADLINE.get_or_init(|| {
        std::env::var("ANNALS_SERVE_DEADLINE_MS")
            .ok()
            .and_then(|ms| ms.trim().parse().ok())
            .map_or(STATEMENT_DEADLINE, Duration::from_millis)
    })
}

/// The tests' hook (`ANNALS_TEST_SLOW_STATEMENTS=1`): every statement
/// waits for its cancellation before it runs.
fn slow_statements_for_tests() -> bool {
    static SLOW: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SLOW.get_or_init(|| std::env::var_os("ANNALS_TEST_SLOW_STATEMENTS").is_some())
}
/// The longest statement accepted, in bytes.
const MAX_STATEMENT: usize = 16 * 1024;

const PAGE: &str = include_str!("assets/index.html");
const SCRIPT: &str = include_str!("assets/app.js");
const STYLE: &str = include_str!("assets/app.css");

const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Serves `store` on `addr` until Ctrl-C or SIGTERM.
pub fn serve(store: Store, addr: &str) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| Error::InvalidInput(format!("cannot listen on {addr}: {e}")))?;
        let local = listener.local_addr()?;
        // The stop signals are caught from before the server says it
        // listens, so a stop sent at once is a graceful stop too.
        let stop = stop_signals()?;
        eprintln!(
            "annals serve: listening on http://{local}/ (read-only, log_seq {}); Ctrl-C stops",
            store.position()
        );
        let app = Router::new()
            .route("/", get(page))
            .route("/app.js", get(script))
            .route("/app.css", get(style))
            .route("/api/query", get(api_query))
            .route("/api/svg", get(api_svg))
            .route("/api/events/{id}", get(api_event))
            .route("/api/sources/{id}", get(api_source))
            .route("/api/subjects", get(api_subjects))
            .route("/api/attributes", get(api_attributes))
            .layer(axum::middleware::from_fn(move |request, next| {
                for_this_host(local.ip().is_loopback(), request, next)
            }))
            .layer(axum::middleware::map_response(with_policy))
            .with_state(Arc::new(store));
        axum::serve(listener, app)
            .with_graceful_shutdown(stop)
            .await?;
        eprintln!("annals serve: stopped");
        Ok(())
    })
}

/// A future that resolves on Ctrl-C or SIGTERM, its handlers installed now.
#[cfg(unix)]
fn stop_signals() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {},
            _ = interrupt.recv() => {},
        }
    })
}

#[cfg(not(unix))]
fn stop_signals() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// A server on a loopback address answers only requests addressed to the
/// loopback by name (`127.0.0.1`, `localhost`, `[::1]`): a web page from
/// elsewhere that rebinds its own name to 127.0.0.1 would otherwise read
/// the store through the visitor's browser. A server bound to another
/// address was meant to be reached by whatever name leads to it.
async fn for_this_host(loopback: bool, request: Request, next: Next) -> Response {
    if loopback {
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let name = match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        };
        if !["127.0.0.1", "localhost", "[::1]"].contains(&name) {
            let body = serde_json::json!({
                "error": format!("this reading room serves the loopback address only, not the host '{host}'"),
                "line": null,
                "column": null,
            });
            return (
                StatusCode::FORBIDDEN,
                typed("application/json", body.to_string()),
            )
                .into_response();
        }
    }
    next.run(request).await
}

async fn with_policy(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

fn typed(content_type: &'static str, body: impl Into<axum::body::Body>) -> Response {
    let mut response = Response::new(body.into());
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

async fn page() -> Response {
    typed("text/html; charset=utf-8", PAGE)
}

async fn script() -> Response {
    typed("text/javascript; charset=utf-8", SCRIPT)
}

async fn style() -> Response {
    typed("text/css; charset=utf-8", STYLE)
}

#[derive(Deserialize)]
struct Asked {
    q: Option<String>,
}

/// A refusal as JSON: `{"error", "line", "column"}` (SPEC §8), with the
/// status that fits the cause.
fn refusal(error: &Error) -> Response {
    let (line, column) = match error {
        Error::Syntax { line, column, .. } => (Some(*line), Some(*column)),
        _ => (None, None),
    };
    let status = match error {
        Error::Cancelled | Error::Locked { .. } => StatusCode::SERVICE_UNAVAILABLE,
        Error::NeedsRepair { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        Error::Unknown { .. } => StatusCode::NOT_FOUND,
        Error::InvalidInput(m) if m.starts_with(TOO_LONG) => StatusCode::URI_TOO_LONG,
        Error::Corrupt(_) | Error::Storage(_) | Error::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    let message = match error {
        Error::Cancelled => format!(
            "the statement ran longer than {:.1} s and was stopped",
            deadline().as_secs_f64()
        ),
        other => other.to_string(),
    };
    let body = serde_json::json!({ "error": message, "line": line, "column": column });
    (status, typed("application/json", body.to_string())).into_response()
}

/// Runs `statement` on the blocking pool under the deadline and renders
/// it in `format`.
async fn answer(store: Arc<Store>, statement: String, format: Format) -> Result<String, Error> {
    if statement.len() > MAX_STATEMENT {
        return Err(Error::InvalidInput(format!(
            "{TOO_LONG}: {} bytes; at most {MAX_STATEMENT} are accepted",
            statement.len()
        )));
    }
    let cancel = Cancel::new();
    let stop = cancel.clone();
    let work = tokio::task::spawn_blocking(move || {
        if slow_statements_for_tests() {
            // Runs until cancelled (at most a minute), whatever the
            // machine's speed: the deadline's path, made certain.
            let until = std::time::Instant::now() + Duration::from_secs(60);
            while !cancel.is_cancelled() && std::time::Instant::now() < until {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        let reply = query::run_with(&store, &statement, &cancel);
        let text = reply.and_then(|reply| render::render(reply, format, 0));
        // Between requests the server holds nothing of the store.
        store.idle();
        let text = text?;
        if cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        Ok(text)
    });
    match tokio::time::timeout(deadline(), work).await {
        Ok(Ok(result)) => result,
        Ok(Err(join)) => Err(Error::Storage(format!("the statement failed: {join}"))),
        Err(_) => {
            stop.cancel();
            Err(Error::Cancelled)
        }
    }
}

/// The answer to `statement` as a response: JSON, or an SVG chart.
async fn respond(store: Arc<Store>, statement: String, format: Format) -> Response {
    let content_type = match format {
        Format::Svg => "image/svg+xml",
        _ => "application/json",
    };
    match answer(store, statement, format).await {
        Ok(body) => typed(content_type, body),
        Err(e) => refusal(&e),
    }
}

/// A query string or a path that cannot be read is refused as any other
/// bad request is: JSON with `error`, `line` and `column` (SPEC §8).
fn unreadable(rejection: impl std::fmt::Display) -> Error {
    Error::InvalidInput(rejection.to_string())
}

/// The statement of `/api/<endpoint>?q=…`.
fn statement_asked(
    asked: Result<Query<Asked>, QueryRejection>,
    endpoint: &str,
) -> Result<String, Error> {
    let Query(asked) = asked.map_err(unreadable)?;
    asked
        .q
        .ok_or_else(|| Error::InvalidInput(format!("give a statement: /api/{endpoint}?q=…")))
}

async fn api_query(
    State(store): State<Arc<Store>>,
    asked: Result<Query<Asked>, QueryRejection>,
) -> Response {
    match statement_asked(asked, "query") {
        Ok(statement) => respond(store, statement, Format::Json).await,
        Err(e) => refusal(&e),
    }
}

async fn api_svg(
    State(store): State<Arc<Store>>,
    asked: Result<Query<Asked>, QueryRejection>,
) -> Response {
    match statement_asked(asked, "svg") {
        Ok(statement) => respond(store, statement, Format::Svg).await,
        Err(e) => refusal(&e),
    }
}

/// An id as it may appear in a statement: no spaces, quotes or keywords
/// can be smuggled in through the path. The characters are those an id
/// may be written with (`event.rs`), `/` included (`%2F` in the path).
fn plain_id(id: &str) -> Result<&str, Error> {
    if !id.is_empty()
        && id.len() <= 200
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:/".contains(c))
    {
        Ok(id)
    } else {
        Err(Error::InvalidInput(format!(
            "'{}' is not an id (letters, digits, '-', '_', '.', ':', '/')",
            id.chars().take(60).collect::<String>()
        )))
    }
}

/// The id of `/api/events/{id}` or `/api/sources/{id}`.
fn id_asked(id: Result<Path<String>, PathRejection>) -> Result<String, Error> {
    let Path(id) = id.map_err(unreadable)?;
    plain_id(&id).map(str::to_string)
}

async fn api_event(
    State(store): State<Arc<Store>>,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    match id_asked(id) {
        Ok(id) => respond(store, format!("show {id}"), Format::Json).await,
        Err(e) => refusal(&e),
    }
}

/// A source with its text and revisions, and every claim quoting it, at
/// one log position: `{"log_seq", "source": {…}, "quotes": [{…}]}`.
async fn api_source(
    State(store): State<Arc<Store>>,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let id = match id_asked(id) {
        Ok(id) => id,
        Err(e) => return refusal(&e),
    };
    let source = match answer(store.clone(), format!("source {id}"), Format::Json).await {
        Ok(json) => json,
        Err(e) => return refusal(&e),
    };
    let parsed: serde_json::Value = match serde_json::from_str(&source) {
        Ok(value) => value,
        Err(e) => return refusal(&Error::Storage(e.to_string())),
    };
    let log_seq = parsed["log_seq"].as_u64().unwrap_or(0);
    let claims = format!("claims *.* where source = {id} as recorded at seq {log_seq}");
    let quotes = match answer(store, claims, Format::Json).await {
        Ok(json) => match serde_json::from_str::<serde_json::Value>(&json) {
            Ok(value) => value["rows"].clone(),
            Err(e) => return refusal(&Error::Storage(e.to_string())),
        },
        Err(e) => return refusal(&e),
    };
    let body = serde_json::json!({
        "log_seq": log_seq,
        "source": parsed["rows"][0],
        "quotes": quotes,
    });
    typed("application/json", body.to_string())
}

async fn api_subjects(State(store): State<Arc<Store>>) -> Response {
    respond(store, "subjects".into(), Format::Json).await
}

async fn api_attributes(State(store): State<Arc<Store>>) -> Response {
    respond(store, "attributes".into(), Format::Json).await
}
