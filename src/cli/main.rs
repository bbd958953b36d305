//! The `annals` command line (SPEC §8): parses arguments with clap and runs
//! one command against the store. Exit codes: 0 success, 1 a query or data
//! error, 2 a usage error (clap's own).

mod demo;
mod help;
mod interrupt;
mod progress;
mod repl;
#[cfg(feature = "serve")]
mod serve;

use annals::query::{self, render, Format};
use annals::verify;
use annals::{interchange, lint};
use annals::{Error, Store, StoreOptions};
use clap::{Parser, Subcommand};
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// The command line allocates as an import does: millions of short-lived
/// keys, values and strings from two threads at once. glibc's allocator
/// spent over a quarter of a 1M-event import consolidating and unlinking
/// its chunks (perf); mimalloc's thread-local pages do not. The library
/// leaves the choice to the program that embeds it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Turns transparent huge pages off for this process. mimalloc asks the
/// kernel for them on the memory it maps, and an import, which frees and
/// maps again a part's worth of memory at every part, spent 14 % of its
/// CPU zeroing 2 MiB pages on first touch (perf, 1M events). Without them,
/// three alternating runs each: system time 0.60-0.70 s -> 0.49-0.55 s,
/// wall time 2.84-3.28 s -> 2.75-2.77 s; `get`'s latency did not move.
fn without_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and touches no
    // memory of ours; a kernel that refuses it leaves things as they were.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// An append-only store of cited historical facts: what was known, when.
#[derive(Parser)]
#[command(name = "annals", version, about)]
struct Cli {
    /// The store to use.
    #[arg(long, global = true, env = "ANNALS_DB", default_value = "annals.db")]
    db: PathBuf,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Import JSON Lines files; each file is one atomic batch ('-' reads stdin).
    Import {
        #[arg(required = true)]
        files: Vec<String>,
    },
    /// Write the whole log as JSON Lines to stdout; it round-trips through import.
    Export,
    /// Merge the slot index's runs into one: faster reads on a store imported in many batches.
    Compact,
    /// Check the hash chain, the projections against the log, and quotes against source texts.
    Verify {
        /// A head published earlier, SEQ:HASH (as import and verify print
        /// it): the log must still have that record with that hash.
        #[arg(long, value_name = "SEQ:HASH")]
        expect_head: Option<String>,
        /// Seal a store again whose seal file (annals.seal) was removed:
        /// its whole log is checked first.
        #[arg(long)]
        reseal: bool,
    },
    /// Report data-quality findings: anachronisms, unquoted claims, quotes not in
    /// their source, contested slots, uncited sources, unused attributes.
    Lint,
    /// The bundled rare-earth data set in a temporary store: the REPL on a
    /// terminal, a guided tour otherwise.
    Demo,
    /// The interactive client (also what `annals` alone starts on a terminal).
    Repl,
    /// Create an empty store at PATH.
    Init { path: PathBuf },
    /// The reading room: an HTTP JSON API and a web page over the store,
    /// read-only (Ctrl-C or SIGTERM stops it).
    #[cfg(feature = "serve")]
    Serve {
        /// Where to listen, HOST:PORT (port 0 picks a free one and prints it).
        #[arg(long, default_value = "127.0.0.1:7878")]
        addr: String,
    },
    /// Print a completion script for a shell, e.g.
    /// `annals completions bash > ~/.local/share/bash-completion/completions/annals`.
    Completions { shell: clap_complete::Shell },
    /// Answer one statement of the query language, or each line of a file.
    #[command(arg_required_else_help = true)]
    Query {
        /// The statement, e.g. 'china.export_quota for 2011 as known in oct 2010'.
        #[arg(conflicts_with = "file")]
        statement: Option<String>,
        /// Read one statement per line from FILE ('-' for stdin) and print one
        /// JSON object per line; a failing line prints {"error": "..."}.
        #[arg(short = 'f', long = "file")]
        file: Option<String>,
        /// Refuse writing statements: only questions are answered.
        #[arg(long)]
        read_only: bool,
        /// How to print answers: table (default for one statement), json, csv, vertical, or svg (a chart of a get, timeline or curve).
        #[arg(long, value_parser = ["table", "json", "csv", "vertical", "svg"])]
        format: Option<String>,
    },
}

/// How many characters of an error message reach the terminal: enough for
/// any message annals writes, not for the 10 MB of input a bad line may
/// carry.
const MESSAGE_LIMIT: usize = 4000;

fn main() -> ExitCode {
    // A panic inside the storage engine (on a damaged file) is turned into
    // an error by the store and reported as such; anything else is a bug,
    // and the default report of it stays.
    annals::quiet_engine_panics();
    without_huge_pages();
    let cli = Cli::parse();
    let db = cli.db.clone();
    match run(cli) {
        Ok(code) => code,
        // A reader that went away (`annals export | head`) is not an error:
        // it had what it wanted.
        Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            // Damage is reported with the store it was found in, once.
            let message = match &e {
                Error::Corrupt(why) if !why.contains(&*db.to_string_lossy()) => {
                    Error::Corrupt(format!("{}: {why}", db.display())).to_string()
                }
                _ => e.to_string(),
            };
            eprintln!(
                "error: {}",
                render::message_for_terminal(&message, MESSAGE_LIMIT)
            );
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, Error> {
    let command = match cli.command {
        Some(c) => c,
        None if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() => Command::Repl,
        None => {
            eprintln!(
                "annals: no command given (and not on a terminal, so no REPL); see `annals --help`"
            );
            return Ok(ExitCode::from(2));
        }
    };
    match command {
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "annals", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Init { path } => {
            if annals::Engine::of_existing(&path).is_some() {
                return Err(Error::InvalidInput(format!(
                    "{} already holds a store",
                    path.display()
                )));
            }
            let store = options()?.open(&path)?;
            eprintln!(
                "{}: an empty store (log_seq {})",
                path.display(),
                store.position()
            );
            Ok(ExitCode::SUCCESS)
        }
        #[cfg(feature = "serve")]
        Command::Serve { addr } => {
            serve::serve(existing(&cli.db)?, &addr)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Repl => {
            let store = open_for_the_repl(&cli.db)?;
            let banner = format!(
                "annals: {} events in {} (.help for help, Ctrl-D to quit)",
                store.position(),
                cli.db.display()
            );
            let failed = repl::run(&store, &banner)?;
            Ok(exit_code_of_a_session(failed))
        }
        Command::Import { files } => {
            let store = options()?.open(&cli.db)?;
            for file in files {
                // Read a part at a time: a file of any size is imported in
                // bounded memory.
                let name = if file == "-" {
                    "<stdin>"
                } else {
                    file.as_str()
                };
                let appended = if file == "-" {
                    progress::import(&store, name, std::io::stdin().lock(), None)?
                } else {
                    let opened = std::fs::File::open(&file)
                        .map_err(|e| Error::InvalidInput(format!("{file}: cannot read: {e}")))?;
                    let size = opened.metadata().ok().map(|m| m.len());
                    let reader = std::io::BufReader::with_capacity(1 << 20, opened);
                    progress::import(&store, name, reader, size)?
                };
                for (_, warning) in &appended.warnings {
                    eprintln!("warning: {warning}");
                }
                let count = appended.last_seq + 1 - appended.first_seq;
                eprintln!(
                    "{name}: imported {count} events (seq {}..{})",
                    appended.first_seq, appended.last_seq
                );
            }
            // What a historian can publish to prove later that the log they
            // cite was not rewritten (`verify --expect-head`).
            eprintln!("head: {}", store.head()?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Export => {
            let store = existing(&cli.db)?;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            interchange::export(&store, &mut out)?;
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Query {
            statement,
            file,
            format,
            read_only,
        } => {
            // clap has checked the name against the same list.
            let format = format.as_deref().and_then(Format::from_name);
            // Only reads: a read-only opening, which writes nothing to the
            // store (and so may be killed, or read a read-only mount,
            // without consequence).
            let reads_only = read_only
                || match (&statement, &file) {
                    (Some(text), _) => only_reads(std::iter::once(text.as_str())),
                    (None, Some(file)) if file != "-" => {
                        std::fs::read_to_string(file).is_ok_and(|t| only_reads(t.lines()))
                    }
                    _ => false,
                };
            let store = options()?
                .create(false)
                .read_only(reads_only)
                .open(&cli.db)?;
            match (statement, file) {
                (Some(text), _) => {
                    let reply = query::run(&store, &text)?;
                    let stdout = std::io::stdout();
                    let mut out = std::io::BufWriter::new(stdout.lock());
                    let width = table_width();
                    render::write(reply, format.unwrap_or(Format::Table), width, &mut out)?;
                    out.flush()?;
                    Ok(ExitCode::SUCCESS)
                }
                (None, Some(file)) => query_file(&store, &file, format.unwrap_or(Format::Json)),
                (None, None) => Err(Error::InvalidInput("give a statement or -f FILE".into())),
            }
        }
        Command::Lint => {
            let store = existing(&cli.db)?;
            let findings = lint::lint(&store)?;
            write!(std::io::stdout().lock(), "{}", lint::report(&findings))?;
            let errors = findings.iter().any(|f| f.severity == lint::Severity::Error);
            Ok(if errors {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Demo => {
            let store = demo::store()?;
            if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
                let banner = format!(
                    "annals demo: {} events of rare-earth history (2010-2019) in a temporary store.\n\
                     Try: china.export_quota_change for 2011 as known 2010-10-19   (.tour for a guided tour, .help, Ctrl-D to quit)",
                    store.position()
                );
                let failed = repl::run(&store, &banner)?;
                return Ok(exit_code_of_a_session(failed));
            } else {
                let stdout = std::io::stdout();
                let mut out = stdout.lock();
                demo::tour(&store, &mut out, 0)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Compact => {
            let store = options()?.create(false).open(&cli.db)?;
            let started = std::time::Instant::now();
            let compacted = store.compact()?;
            match compacted.runs {
                0 => eprintln!("the store holds no claims: nothing to merge"),
                1 => eprintln!("the slot index is one run already: nothing to merge"),
                runs => eprintln!(
                    "merged {runs} runs ({} claims) into one in {:.1} s",
                    compacted.claims,
                    started.elapsed().as_secs_f64()
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify {
            expect_head,
            reseal,
        } => {
            // Read-only: verify takes the writer lock to see a still store,
            // and writes nothing else (but the seal, when asked to reseal).
            let store = options()?
                .create(false)
                .read_only(true)
                .reseal(reseal)
                .open(&cli.db)?;
            // The rebuilt projections go to a scratch file inside the store
            // directory (the same disk, removed afterwards), not to memory.
            let mut report = verify::verify_beside(&store, &cli.db)?;
            if let Some(expected) = expect_head {
                if let Some(problem) = head_problem(&store, &expected)? {
                    report.problems.push(problem);
                }
            }
            let mut out = std::io::stdout().lock();
            for problem in &report.problems {
                writeln!(out, "problem: {problem}")?;
            }
            writeln!(
                out,
                "{} records, {} quotes checked: {}",
                report.records,
                report.quotes_checked,
                if report.is_ok() {
                    "ok".to_string()
                } else {
                    format!("{} problems", report.problems.len())
                }
            )?;
            writeln!(out, "head: {}", store.head()?)?;
            Ok(if report.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

/// Answers each line of a file: blank lines and `--` comment lines are
/// skipped; a failing line prints `{"line": N, "error": ...}` (JSON) or an
/// error naming the file and line on stderr (table, CSV), and the run goes
/// on. The exit code is 1 when any line failed.
fn query_file(store: &Store, file: &str, format: Format) -> Result<ExitCode, Error> {
    let (name, bytes) = read_input(file)?;
    let text = String::from_utf8(bytes)
        .map_err(|e| Error::InvalidInput(format!("{name}: not valid UTF-8: {e}")))?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = false;
    // With CSV, stdout is one document: one header, for the row type of
    // the first answer that wrote one; a later statement answering another
    // row type is that line's error.
    let mut csv_rows: Option<query::RowType> = None;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with("--") {
            continue;
        }
        let number = index + 1;
        let width = table_width();
        // Each answer is written as it is computed, so that a long one
        // (`*.*`) takes no more memory than on its own. A failure to write
        // stdout ends the run (as a closed pipe should); a failure to
        // answer is the line's, reported and passed.
        let mut sink = WriteFailure {
            out: &mut out,
            failed: None,
        };
        let (error, written) = match query::run(store, trimmed) {
            Err(e) => (Some(e), false),
            Ok(reply) if format == Format::Json => (
                render::write_json_line(reply, number, &mut sink).unwrap_or_else(Some),
                true,
            ),
            Ok(reply) if format == Format::Csv => match csv_rows {
                Some(rows) if rows != reply.row_type => (
                    Some(Error::InvalidInput(format!(
                        "this statement answers rows of another shape than the file's first answer, \
                         and CSV output is one document with one header; use --format json for a file \
                         of mixed statements ({} against {})",
                        render::csv_columns(reply.row_type).join(","),
                        render::csv_columns(rows).join(",")
                    ))),
                    false,
                ),
                _ => {
                    let row_type = reply.row_type;
                    let mut header_due = csv_rows.is_none();
                    let result = render::write_csv(reply, &mut header_due, &mut sink);
                    if !header_due {
                        csv_rows = Some(row_type);
                    }
                    (result.err(), true)
                }
            },
            Ok(reply) => (render::write(reply, format, width, &mut sink).err(), true),
        };
        if let Some(e) = sink.failed.take() {
            return Err(e.into());
        }
        let Some(e) = error else {
            continue;
        };
        failed = true;
        // JSON keeps one object per statement, errors included (an error
        // after its rows began ends their object: `write_json_line`); with
        // a table or CSV errors go aside, after the rows written before
        // them.
        let (column, text) = within_line(&e);
        if format == Format::Json {
            if !written {
                let mut error = serde_json::json!({ "line": number, "error": text });
                if let Some(column) = column {
                    error["column"] = serde_json::json!(column);
                }
                writeln!(out, "{error}")?;
            }
        } else {
            out.flush()?;
            let at = column.map_or(String::new(), |c| format!(":{c}"));
            eprintln!(
                "{name}:{number}{at}: error: {}",
                render::message_for_terminal(&text, MESSAGE_LIMIT)
            );
        }
    }
    out.flush()?;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// An error of one line of a `query -f` file, and the column it names:
/// a statement is one line of the file, so a syntax error's own "line 1,
/// column 13" becomes the file's `FILE:3:13`, not a second line number.
fn within_line(e: &annals::Error) -> (Option<usize>, String) {
    if let annals::Error::Syntax {
        line: 1,
        column,
        report,
        ..
    } = e
    {
        let prefix = format!("line 1, column {column}: ");
        if let Some(rest) = report.strip_prefix(&prefix) {
            return (Some(*column), rest.to_string());
        }
    }
    (None, e.to_string())
}

/// A writer that remembers the error it met, so that a caller told only
/// "an error" can tell a failed write from a failed answer.
struct WriteFailure<'a> {
    out: &'a mut dyn Write,
    failed: Option<std::io::Error>,
}

impl WriteFailure<'_> {
    fn remember(&mut self, e: &std::io::Error) {
        // An interrupted write is retried by whoever called it.
        if e.kind() != std::io::ErrorKind::Interrupted {
            self.failed = Some(std::io::Error::new(e.kind(), e.to_string()));
        }
    }
}

impl Write for WriteFailure<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let written = self.out.write(bytes);
        if let Err(e) = &written {
            self.remember(e);
        }
        written
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let flushed = self.out.flush();
        if let Err(e) = &flushed {
            self.remember(e);
        }
        flushed
    }
}

/// How wide a table may be: the terminal's width on a terminal (the
/// renderer finds it), else `$COLUMNS` when set, else unlimited (0).
fn table_width() -> u16 {
    if std::io::stdout().is_terminal() {
        return 0;
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok())
        .unwrap_or(0)
}

/// Checks a published head `SEQ:HASH` against the log: `None` when the log
/// still holds that record with that hash.
fn head_problem(store: &Store, expected: &str) -> Result<Option<String>, Error> {
    let Some((seq, hash)) = expected.split_once(':') else {
        return Err(Error::InvalidInput(format!(
            "--expect-head {expected}: expected SEQ:HASH, as import and verify print it"
        )));
    };
    let seq: u64 = seq.trim().parse().map_err(|_| {
        Error::InvalidInput(format!("--expect-head {expected}: '{seq}' is not a seq"))
    })?;
    if seq > store.position() {
        return Ok(Some(format!(
            "the published head is at seq {seq}, but the log ends at seq {}",
            store.position()
        )));
    }
    let actual = store.head_at(seq)?;
    Ok(
        (actual != format!("{seq}:{}", hash.trim().to_ascii_lowercase())).then(|| {
            format!("the log was rewritten: the published head is {expected}, the log has {actual}")
        }),
    )
}

/// A session at a terminal ends with 0 whatever was mistyped along the
/// way; a script piped into the REPL ends with 1 when a statement failed,
/// as `query -f` does.
fn exit_code_of_a_session(failed: bool) -> ExitCode {
    if failed && !std::io::stdin().is_terminal() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Opens the store at `path` for a command that only reads it: a path that
/// holds no store is an error naming it, never a new empty store.
/// An existing store, opened for reading only.
fn existing(path: &std::path::Path) -> Result<Store, Error> {
    options()?.create(false).read_only(true).open(path)
}

/// The options of every opening: the environment's, and a word on the
/// terminal when a write waits for another process.
fn options() -> Result<StoreOptions, Error> {
    Ok(StoreOptions::from_env()?.on_lock_wait(say_we_wait))
}

fn say_we_wait(holder: &str) {
    if std::io::stderr().is_terminal() {
        eprintln!("waiting for {holder}, which is writing to the store…");
    }
}

/// Whether every statement of these lines only reads (a line that does not
/// parse counts as a read: it will be refused before it could write).
fn only_reads<'a>(lines: impl Iterator<Item = &'a str>) -> bool {
    lines.map(str::trim).all(|line| {
        line.is_empty()
            || line.starts_with("--")
            || !matches!(query::parse(line), Ok(query::ast::Statement::Write(_)))
    })
}

/// Opens the store for the REPL; where there is none, asks on a terminal
/// before creating one (elsewhere, refuses as the read commands do).
fn open_for_the_repl(path: &std::path::Path) -> Result<Store, Error> {
    match options()?.create(false).open(path) {
        Err(Error::NoStore { .. }) if std::io::stdin().is_terminal() => {
            eprint!("{} holds no store. Create one? [y/N] ", path.display());
            std::io::stderr().flush()?;
            let mut answer = String::new();
            std::io::stdin().read_line(&mut answer)?;
            if matches!(answer.trim(), "y" | "Y" | "yes") {
                options()?.open(path)
            } else {
                Err(Error::NoStore {
                    path: path.to_path_buf(),
                })
            }
        }
        other => other,
    }
}

/// Reads a file of statements, or stdin for '-'.
fn read_input(file: &str) -> Result<(String, Vec<u8>), Error> {
    if file == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes)?;
        return Ok(("<stdin>".to_string(), bytes));
    }
    let bytes = std::fs::read(file)
        .map_err(|e| Error::InvalidInput(format!("{file}: cannot read: {e}")))?;
    Ok((file.to_string(), bytes))
}
