//! The REPL: a historian's interactive client on rustyline (SPEC §8).
//!
//! Each line is one statement (a question or a write) answered from the open
//! store; a line with an open quote continues on the next line. Tab completes
//! keywords and, from the store, subjects, attributes, source ids and event
//! ids; hints come from the history, which persists in the user's data
//! directory. Dot-commands change the session: `.help`, `.format`,
//! `.timing`, `.tour`, `.quit`. Ctrl-C clears the line, Ctrl-D quits.
//!
//! Nothing typed can end the session except `.quit` and Ctrl-D: every error
//! is printed with its caret and the prompt comes back.

use crate::demo;
use crate::help::{HELP, HELP_TOPICS};
use crate::interrupt;
use annals::query::{self, parser, render, AnswerRow, Cancel, Format, Reply, StatementKind};
use annals::{Error, Result, Store};
use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hinter, HistoryHinter};
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{CompletionType, Config, Context, Editor, Helper};
use std::borrow::Cow;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

const KEYWORDS: &[&str] = &[
    "claims",
    "show",
    "where",
    "limit",
    "contains",
    "status",
    "history",
    "curve",
    "timeline",
    "diff",
    "explain",
    "contested",
    "sources",
    "source",
    "subjects",
    "attributes",
    "define",
    "attribute",
    "assert",
    "deny",
    "retract",
    "for",
    "from",
    "to",
    "as",
    "known",
    "possibly",
    "of",
    "in",
    "recorded",
    "at",
    "seq",
    "every",
    "between",
    "and",
    "kind",
    "period",
    "state",
    "unit",
    "doc",
    "published",
    "title",
    "publisher",
    "url",
    "text",
    "note",
    "quote",
    "modality",
    "fact",
    "plan",
    "forecast",
    "considered",
    "because",
    "id",
    "decade",
    "year",
    "half",
    "quarter",
    "month",
    "day",
    "first",
    "last",
    "min",
    "max",
    "avg",
    "count",
    ".help",
    ".format",
    ".timing",
    ".tour",
    ".quit",
];

/// Where the history is kept: `$ANNALS_HISTORY`, else the user's data
/// directory (`$XDG_DATA_HOME` or `~/.local/share`) under `annals/history`.
pub fn history_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ANNALS_HISTORY") {
        return Some(PathBuf::from(p));
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(data.join("annals").join("history"))
}

/// Whether to colour: a terminal on stdout and no `NO_COLOR`.
fn colour_enabled() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

/// Completion, hints, highlighting and multi-line input for one store.
struct AnnalsHelper<'a> {
    store: &'a Store,
    hinter: HistoryHinter,
    colour: bool,
}

/// What may come in the place being completed, judged from the word
/// before it: after `source` only a source id, after a statement word only
/// a selector, after `show`, `deny` or `retract` only an event id, after
/// `known`, `for`, `at` and the like only a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    SourceId,
    Selector,
    EventId,
    Period,
    Anything,
}

impl Place {
    fn after(previous: &str) -> Place {
        match previous.to_ascii_lowercase().as_str() {
            "source" => Place::SourceId,
            "history" | "curve" | "explain" | "timeline" | "claims" | "contested" | "diff"
            | "of" => Place::Selector,
            "show" | "deny" | "retract" => Place::EventId,
            "known" | "for" | "at" | "from" | "to" | "between" | "and" | "published" => {
                Place::Period
            }
            _ => Place::Anything,
        }
    }
}

impl AnnalsHelper<'_> {
    /// Candidates for the word `word` in `place`, from the store and the
    /// keywords.
    fn candidates(&self, word: &str, place: Place) -> Vec<String> {
        let store = self.store;
        let mut out: Vec<String> = Vec::new();
        let wanted = |p: Place| place == Place::Anything || place == p;
        if let Some((subject, rest)) = word.split_once('.').filter(|_| wanted(Place::Selector)) {
            let attributes = if subject == "*" {
                store.attribute_names()
            } else {
                store.attributes_of(subject)
            };
            out.extend(
                attributes
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|a| a.starts_with(rest))
                    .map(|a| format!("{subject}.{a}")),
            );
            return out;
        }
        if place == Place::Anything {
            out.extend(
                KEYWORDS
                    .iter()
                    .filter(|k| k.starts_with(word))
                    .map(|k| k.to_string()),
            );
        }
        if wanted(Place::Selector) {
            out.extend(
                store
                    .subject_names()
                    .unwrap_or_default()
                    .into_iter()
                    .chain(std::iter::once("*".to_string()))
                    .filter(|s| s.starts_with(word))
                    .map(|s| format!("{s}.")),
            );
        }
        if wanted(Place::SourceId) {
            out.extend(
                store
                    .source_ids()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|s| s.starts_with(word)),
            );
        }
        if place == Place::Period {
            // The sources' publication dates, and the years they fall in.
            let dates = store.publication_dates().unwrap_or_default();
            let years: Vec<String> = dates
                .iter()
                .map(|d| d[..d.len().min(4)].to_string())
                .collect();
            out.extend(
                years
                    .into_iter()
                    .chain(dates)
                    .filter(|d| d.starts_with(word)),
            );
        }
        if wanted(Place::EventId) && (!word.is_empty() || place == Place::EventId) {
            // Event ids can be many: read only those with this prefix.
            out.extend(store.chosen_ids(word, 50).unwrap_or_default());
        }
        out.sort();
        out.dedup();
        out
    }
}

impl Completer for AnnalsHelper<'_> {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        // After the last whitespace character, whatever its width in bytes.
        let start = line[..pos]
            .char_indices()
            .rfind(|(_, c)| c.is_whitespace())
            .map_or(0, |(i, c)| i + c.len_utf8());
        let word = &line[start..pos];
        let previous = line[..start].split_whitespace().next_back().unwrap_or("");
        let pairs = self
            .candidates(word, Place::after(previous))
            .into_iter()
            .map(|c| Pair {
                display: c.clone(),
                replacement: c,
            })
            .collect();
        Ok((start, pairs))
    }
}

impl Hinter for AnnalsHelper<'_> {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, ctx: &Context<'_>) -> Option<String> {
        self.hinter.hint(line, pos, ctx)
    }
}

impl Highlighter for AnnalsHelper<'_> {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if !self.colour {
            return Cow::Borrowed(line);
        }
        Cow::Owned(highlight_statement(line))
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.colour {
            Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
        } else {
            Cow::Borrowed(hint)
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        self.colour
    }
}

/// Colours a statement: keywords bold, quoted text green, numbers cyan.
pub fn highlight_statement(line: &str) -> String {
    let mut out = String::with_capacity(line.len() * 2);
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\'' || c == '"' {
            let mut end = line.len();
            let mut escaped = false;
            for (j, d) in line[i + 1..].char_indices() {
                if escaped {
                    escaped = false;
                } else if d == '\\' {
                    escaped = true;
                } else if d == c
                    && !(c == '\'' && line[i + 1 + j + 1..].starts_with(char::is_alphanumeric))
                {
                    end = i + 1 + j + 1;
                    break;
                }
            }
            out.push_str("\x1b[32m");
            out.push_str(&line[i..end]);
            out.push_str("\x1b[0m");
            while chars.peek().is_some_and(|(j, _)| *j < end) {
                chars.next();
            }
        } else if c.is_alphanumeric() || c == '_' || c == '.' {
            let mut end = line.len();
            while let Some((j, d)) = chars.peek() {
                if d.is_alphanumeric() || *d == '_' || *d == '.' || *d == '-' {
                    chars.next();
                } else {
                    end = *j;
                    break;
                }
            }
            let word = &line[i..end];
            if KEYWORDS.contains(&word.to_ascii_lowercase().as_str()) {
                out.push_str(&format!("\x1b[1;34m{word}\x1b[0m"));
            } else if word.starts_with(|d: char| d.is_ascii_digit()) {
                out.push_str(&format!("\x1b[36m{word}\x1b[0m"));
            } else {
                out.push_str(word);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Every line is taken as it is entered; a statement with an open quote is
/// continued by `run`, under a prompt of its own (rustyline's own
/// multi-line editing shows no prompt on the lines after the first).
impl Validator for AnnalsHelper<'_> {}

/// The prompt of a line that continues a statement with an open quote.
const CONTINUATION_PROMPT: &str = "   ...> ";

/// Whether `input` is a statement whose quote is still open.
fn quote_is_open(input: &str) -> bool {
    !input.trim_start().starts_with('.')
        && matches!(parser::parse(input), Err(e) if e.describe(input).starts_with("unterminated text"))
}

impl Helper for AnnalsHelper<'_> {}

/// The state of one session.
pub struct Session<'a> {
    pub store: &'a Store,
    pub format: Format,
    pub timing: bool,
    /// Some statement failed: a script piped into the REPL then exits 1.
    pub failed: bool,
    /// At most this many rows are shown (`.maxrows N`).
    pub maxrows: usize,
    /// The next step of `.tour`, while one is under way: an empty line
    /// shows it.
    pub tour: Option<usize>,
}

impl<'a> Session<'a> {
    pub fn new(store: &'a Store) -> Session<'a> {
        Session {
            store,
            format: Format::Table,
            timing: false,
            failed: false,
            maxrows: 200,
            tour: None,
        }
    }

    /// Shows the tour's next step, and says what comes after it.
    fn next_tour_step(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        let step = self.tour.unwrap_or(0);
        if let Err(e) = demo::tour_step(self.store, out, step, 0) {
            writeln!(out, "error: {e}")?;
        }
        if step + 1 < demo::TOUR.len() {
            self.tour = Some(step + 1);
            writeln!(
                out,
                "(step {} of {}: Enter for the next, .tour stop to leave the tour)",
                step + 1,
                demo::TOUR.len()
            )
        } else {
            self.tour = None;
            writeln!(out, "(the end of the tour)")
        }
    }
}

/// What a line asked the session to do.
pub enum Step {
    Continue,
    Quit,
}

impl Session<'_> {
    /// Handles one input (a statement or a dot-command), writing to `out`.
    pub fn handle(&mut self, line: &str, out: &mut dyn Write) -> std::io::Result<Step> {
        let line = line.trim();
        if line.is_empty() {
            if self.tour.is_some() {
                self.next_tour_step(out)?;
            }
            return Ok(Step::Continue);
        }
        if let Some(command) = line.strip_prefix('.') {
            let mut words = command.split_whitespace();
            match (words.next().unwrap_or(""), words.next()) {
                ("quit" | "exit", _) => return Ok(Step::Quit),
                ("help", None) => writeln!(out, "{HELP}")?,
                ("help", Some(topic)) => match HELP_TOPICS.iter().find(|(t, _)| *t == topic) {
                    Some((_, text)) => writeln!(out, "{text}")?,
                    None => writeln!(
                        out,
                        "error: no help on '{topic}' (topics: {})",
                        HELP_TOPICS
                            .iter()
                            .map(|(t, _)| *t)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )?,
                },
                ("format", Some(name)) => match Format::from_name(name) {
                    Some(f) => {
                        self.format = f;
                        writeln!(out, "format: {name}")?;
                    }
                    None => {
                        self.failed = true;
                        writeln!(
                            out,
                            "error: unknown format '{name}' (expected table, json, csv or vertical)"
                        )?
                    }
                },
                ("format", None) => writeln!(
                    out,
                    "format: {} (use .format table|json|csv|vertical)",
                    self.format.name()
                )?,
                ("timing", Some("on")) => {
                    self.timing = true;
                    writeln!(out, "timing: on")?;
                }
                ("timing", Some("off")) => {
                    self.timing = false;
                    writeln!(out, "timing: off")?;
                }
                ("maxrows", None) => writeln!(out, "maxrows: {} (use .maxrows N)", self.maxrows)?,
                ("maxrows", Some(n)) => match n.parse::<usize>() {
                    Ok(n) if n > 0 => {
                        self.maxrows = n;
                        writeln!(out, "maxrows: {n}")?;
                    }
                    _ => {
                        self.failed = true;
                        writeln!(out, "error: .maxrows takes a number of rows, not '{n}'")?
                    }
                },
                ("timing", None) => writeln!(
                    out,
                    "timing: {} (use .timing on|off)",
                    if self.timing { "on" } else { "off" }
                )?,
                ("timing", Some(other)) => {
                    self.failed = true;
                    writeln!(out, "error: .timing takes on or off, not '{other}'")?
                }
                ("tour", Some("stop")) => {
                    self.tour = None;
                    writeln!(out, "(left the tour)")?;
                }
                ("tour", _) => {
                    self.tour = Some(0);
                    self.next_tour_step(out)?;
                }
                (other, _) => {
                    self.failed = true;
                    writeln!(out, "error: unknown command '.{other}' (try .help)")?
                }
            }
            return Ok(Step::Continue);
        }
        let started = Instant::now();
        let cancel = Cancel::new();
        let answer = interrupt::cancelling_on_ctrl_c(&cancel, || {
            query::run_with(self.store, line, &cancel).and_then(|reply| self.show(reply))
        });
        match answer {
            Ok(text) => write!(out, "{text}")?,
            Err(e) => {
                self.failed = true;
                writeln!(out, "error: {e}")?
            }
        }
        if self.timing {
            writeln!(out, "({:.3} ms)", started.elapsed().as_secs_f64() * 1000.0)?;
        }
        Ok(Step::Continue)
    }

    fn show(&self, reply: Reply<'_>) -> Result<String> {
        // One row more than shown says whether more exist; the rest are
        // never computed.
        let reply = reply.limit(self.maxrows.saturating_add(1));
        let mut answered = reply.collect_all()?;
        let more = answered.rows.len() > self.maxrows;
        answered.rows.truncate(self.maxrows);
        let note = if more {
            format!(
                "(the first {} rows; more exist: add 'limit N', or set .maxrows)\n",
                self.maxrows
            )
        } else {
            String::new()
        };
        if self.format != Format::Table {
            let text = render::render(
                annals::query::Reply::from_answered(answered),
                self.format,
                0,
            )?;
            return Ok(text + &note);
        }
        if let [AnswerRow::Written(w)] = answered.rows.as_slice() {
            return Ok(format!(
                "{} written at seq {}{}\n",
                w.op,
                w.seq,
                w.event
                    .as_deref()
                    .map_or(String::new(), |id| format!(" as {id}"))
            ));
        }
        // Off a terminal (a script piped in) the table respects $COLUMNS,
        // as `query` does (SPEC §8); on one it takes the terminal's width.
        let mut text = render::table(&answered, crate::table_width());
        if answered.kind == StatementKind::Timeline {
            if let Some(chart) = render::chart(&answered.rows) {
                text.push_str(&chart);
            }
        }
        Ok(text + &note)
    }
}

/// Runs the interactive loop until `.quit` or Ctrl-D, and says whether
/// any statement failed. Input that is not a terminal (a script piped in)
/// neither reads nor writes the history file: it is the user's, for what
/// they typed.
pub fn run(store: &Store, banner: &str) -> Result<bool> {
    let config = Config::builder()
        .history_ignore_space(true)
        .auto_add_history(false)
        .completion_type(CompletionType::List)
        .build();
    let mut editor: Editor<AnnalsHelper<'_>, DefaultHistory> = Editor::with_config(config)
        .map_err(|e| Error::InvalidInput(format!("cannot start the REPL: {e}")))?;
    editor.set_helper(Some(AnnalsHelper {
        store,
        hinter: HistoryHinter::new(),
        colour: colour_enabled(),
    }));
    let history = history_path().filter(|_| std::io::stdin().is_terminal());
    if let Some(path) = &history {
        // A missing history file is the normal first run.
        let _ = editor.load_history(path);
    }
    let mut session = Session::new(store);
    let stdout = std::io::stdout();
    if writeln!(stdout.lock(), "{banner}").is_err() {
        return Ok(session.failed);
    }
    loop {
        match editor.readline("annals> ") {
            Ok(mut line) => {
                // An open quote continues on the next line; Ctrl-C there
                // abandons the statement, Ctrl-D answers what was typed.
                while quote_is_open(&line) {
                    match editor.readline(CONTINUATION_PROMPT) {
                        Ok(more) => {
                            line.push('\n');
                            line.push_str(&more);
                        }
                        Err(ReadlineError::Interrupted) => {
                            line.clear();
                            break;
                        }
                        Err(ReadlineError::Eof) => break,
                        Err(e) => {
                            return Err(Error::InvalidInput(format!(
                                "the REPL failed to read a line: {e}"
                            )))
                        }
                    }
                }
                if !line.trim().is_empty() {
                    if let Some(path) = &history {
                        let _ = editor.add_history_entry(line.as_str());
                        save_history(&mut editor, path);
                    }
                }
                let mut out = stdout.lock();
                match session.handle(&line, &mut out) {
                    Ok(Step::Quit) => break,
                    Ok(Step::Continue) => {}
                    // Whoever read the output stopped (`| head`): end
                    // quietly, as every command does (SPEC §8).
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => break,
                    Err(e) => eprintln!(
                        "error: {}",
                        annals::query::render::message_for_terminal(&e.to_string(), 4000)
                    ),
                }
                let _ = out.flush();
                // Waiting for the next line holds nothing of the store.
                store.idle();
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                return Err(Error::InvalidInput(format!(
                    "the REPL failed to read a line: {e}"
                )))
            }
        }
    }
    Ok(session.failed)
}

fn save_history(editor: &mut Editor<AnnalsHelper<'_>, DefaultHistory>, path: &std::path::Path) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Err(e) = editor.save_history(path) {
        eprintln!(
            "warning: cannot save the history to {}: {e}",
            path.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlighting_keeps_the_text_and_marks_keywords_and_quotes() {
        let line = "china.export_quota for 2010 quote 'it's here'";
        let coloured = highlight_statement(line);
        let plain: String = strip_ansi(&coloured);
        assert_eq!(plain, line);
        assert!(coloured.contains("\x1b[1;34mfor\x1b[0m"));
        assert!(coloured.contains("\x1b[32m'it's here'\x1b[0m"));
    }

    fn strip_ansi(s: &str) -> String {
        let mut out = String::new();
        let mut in_escape = false;
        for c in s.chars() {
            if c == '\x1b' {
                in_escape = true;
            } else if in_escape {
                if c == 'm' {
                    in_escape = false;
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn dot_commands_change_the_session_and_errors_leave_it_running() {
        let store = Store::in_memory();
        let mut session = Session::new(&store);
        let mut out = Vec::new();
        assert!(matches!(
            session.handle(".format json", &mut out).unwrap(),
            Step::Continue
        ));
        assert_eq!(session.format, Format::Json);
        assert!(matches!(
            session.handle("nonsense here", &mut out).unwrap(),
            Step::Continue
        ));
        assert!(matches!(
            session.handle(".timing on", &mut out).unwrap(),
            Step::Continue
        ));
        assert!(session.timing);
        assert!(matches!(
            session.handle(".quit", &mut out).unwrap(),
            Step::Quit
        ));
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("error: line 1"), "{text}");
    }

    #[test]
    fn at_most_maxrows_rows_are_shown_and_the_rest_is_announced() {
        let store = crate::demo::store().unwrap();
        let mut session = Session::new(&store);
        let mut out = Vec::new();
        session.handle(".maxrows 3", &mut out).unwrap();
        session.handle("*.*", &mut out).unwrap();
        session.handle("subjects limit 2", &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("3 rows; log_seq 214"), "{text}");
        assert!(text.contains("the first 3 rows; more exist"), "{text}");
        assert!(text.contains("2 rows; log_seq 214"), "{text}");
        assert_eq!(text.matches("more exist").count(), 1, "{text}");
    }

    /// Every question `.help` shows answers something on the bundled data
    /// set: an example that answers nothing teaches nothing.
    #[test]
    fn every_question_in_the_help_answers_on_the_bundled_data_set() {
        let store = crate::demo::store().unwrap();
        let mut asked = 0;
        for line in HELP.lines().filter(|l| l.starts_with("  ")) {
            // A line holds statements and descriptions, two spaces apart.
            for piece in line.split("  ").map(str::trim).filter(|p| !p.is_empty()) {
                let Ok(statement) = query::parse(piece) else {
                    continue;
                };
                if matches!(statement, annals::query::ast::Statement::Write(_)) {
                    continue;
                }
                let rows = store.query(piece).unwrap().collect_all().unwrap().rows;
                assert!(!rows.is_empty(), "'{piece}' answers nothing");
                asked += 1;
            }
        }
        assert!(asked >= 15, "only {asked} questions found in the help");
    }

    #[test]
    fn the_tour_goes_one_step_at_a_time_and_help_has_topics() {
        let store = crate::demo::store().unwrap();
        let mut session = Session::new(&store);
        let mut out = Vec::new();
        session.handle(".tour", &mut out).unwrap();
        session.handle("", &mut out).unwrap();
        session.handle(".tour stop", &mut out).unwrap();
        session.handle("", &mut out).unwrap();
        session.handle(".help periods", &mut out).unwrap();
        session.handle(".help everything", &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let steps = crate::demo::TOUR.len();
        assert!(
            text.contains(&format!("(step 1 of {steps}: Enter for the next")),
            "{text}"
        );
        assert!(text.contains("\n2. "), "{text}");
        assert!(
            !text.contains("\n3. "),
            "the tour went on after it stopped:\n{text}"
        );
        assert!(text.contains("half-open"), "{text}");
        assert!(
            text.contains("no help on 'everything' (topics: periods"),
            "{text}"
        );
    }

    #[test]
    fn completion_offers_what_may_come_in_its_place() {
        let store = crate::demo::store().unwrap();
        let helper = AnnalsHelper {
            store: &store,
            hinter: HistoryHinter::new(),
            colour: false,
        };
        let after_source = helper.candidates("wsj", Place::after("source"));
        assert!(!after_source.is_empty());
        assert!(
            after_source.iter().all(|c| c.starts_with("wsj-")),
            "{after_source:?}"
        );
        let after_explain = helper.candidates("ch", Place::after("explain"));
        assert_eq!(
            after_explain,
            ["china.", "china_united_states."],
            "only selectors after explain"
        );
        let after_show = helper.candidates("wsj-2010-10-19-q", Place::after("show"));
        assert!(
            after_show
                .iter()
                .all(|c| c.starts_with("wsj-2010-10-19-quota")),
            "{after_show:?}"
        );
        assert!(!after_show.is_empty());
        let anywhere = helper.candidates("hist", Place::Anything);
        assert!(anywhere.contains(&"history".to_string()), "{anywhere:?}");
        // After `as known`, periods only: publication dates and their years.
        let after_known = helper.candidates("2010-10", Place::after("known"));
        assert!(
            after_known.contains(&"2010-10-19".to_string())
                && after_known.contains(&"2010-10-28".to_string())
                && after_known.iter().all(|c| c.starts_with("2010-10")),
            "{after_known:?}"
        );
        let years = helper.candidates("201", Place::after("for"));
        assert!(years.contains(&"2010".to_string()), "{years:?}");
        assert!(helper.candidates("hist", Place::after("known")).is_empty());
    }
}
