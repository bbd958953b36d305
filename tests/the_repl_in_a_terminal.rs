//! The REPL driven the way a person uses it: the real binary in a tmux
//! terminal, keys sent with `send-keys`, the screen read with
//! `capture-pane`. Covers a query and its answer, tab completion, multi-line
//! input while a quote is open, an error that leaves the session running,
//! Ctrl-C, Ctrl-D, and history that survives into a second session.
//!
//! Needs tmux (`.ci/run` installs it where it is missing).

mod common;
use common::{fixture, Scratch};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// How long a wait for the screen may last before the test gives up: a
/// guard against a hang, far above anything an answer takes.
const HANG_GUARD: Duration = Duration::from_secs(60);

/// One tmux server of our own, so tests never touch a user's sessions.
struct Terminal {
    socket: String,
}

impl Terminal {
    fn start(scratch: &Scratch, history: &Path, args: &[&str]) -> Terminal {
        Terminal::start_sized(scratch, history, args, (220, 60))
    }

    /// A terminal of `(columns, lines)`.
    fn start_sized(
        scratch: &Scratch,
        history: &Path,
        args: &[&str],
        (columns, lines): (u16, u16),
    ) -> Terminal {
        let socket = format!(
            "annals-test-{}-{}",
            std::process::id(),
            scratch.dir.path().file_name().unwrap().to_string_lossy()
        );
        let mut command = vec![
            env!("CARGO_BIN_EXE_annals").to_string(),
            "--db".into(),
            scratch.db().display().to_string(),
        ];
        command.extend(args.iter().map(|a| a.to_string()));
        let status = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                &columns.to_string(),
                "-y",
                &lines.to_string(),
            ])
            .args([
                "-e",
                &format!("ANNALS_HISTORY={}", history.display()),
                "-e",
                "NO_COLOR=1",
            ])
            .arg(command.join(" "))
            .status()
            .expect("tmux runs");
        assert!(status.success(), "tmux could not start a session");
        let terminal = Terminal { socket };
        // capture-pane trims trailing spaces, so the prompt reads "annals>".
        terminal.wait_for("annals>");
        terminal
    }

    fn keys(&self, keys: &[&str]) {
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys"])
            .args(keys)
            .status()
            .unwrap();
        assert!(status.success());
    }

    fn type_line(&self, text: &str) {
        self.keys(&["-l", text]);
        self.keys(&["Enter"]);
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-S", "-200"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen shows `text`. The deadline only guards against
    /// a hang (a REPL that never answers fails with its screen); no step
    /// needs more than a fraction of it, however busy the machine.
    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + HANG_GUARD;
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("waited for {text:?}; the screen shows:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// True while the REPL process (the pane) is still alive.
    fn alive(&self) -> bool {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "list-panes", "-F", "#{pane_dead}"])
            .output();
        matches!(out, Ok(o) if o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == "0")
    }

    fn wait_until_gone(&self) {
        let deadline = Instant::now() + HANG_GUARD;
        while self.alive() {
            assert!(
                Instant::now() < deadline,
                "the REPL did not exit; screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .stderr(std::process::Stdio::null())
            .status();
    }
}

fn with_data() -> Scratch {
    let scratch = Scratch::new();
    assert_eq!(
        scratch.run(&["import", fixture().to_str().unwrap()]).code,
        0
    );
    scratch
}

#[test]
fn a_query_is_answered_as_a_table_and_an_error_leaves_the_session_running() {
    let scratch = with_data();
    let history = scratch.dir.path().join("history");
    let t = Terminal::start(&scratch, &history, &["repl"]);
    t.type_line("china.export_quota_change for 2011 as known nov 2010");
    let screen = t.wait_for("1 row; log_seq 214");
    assert!(
        screen.contains("-30..0 %") && screen.contains("denied"),
        "{screen}"
    );
    t.type_line("china.export_quota for 2010-13");
    let screen = t.wait_for("month 13 is out of range");
    assert!(screen.contains('^'), "the error shows a caret:\n{screen}");
    t.type_line("subjects");
    t.wait_for("17 rows; log_seq 214");
    assert!(t.alive());
}

#[test]
fn tab_completes_subjects_and_attributes_from_the_store() {
    let scratch = with_data();
    let history = scratch.dir.path().join("history");
    let t = Terminal::start(&scratch, &history, &["repl"]);
    t.keys(&["-l", "china.export_quota_ch"]);
    t.keys(&["Tab"]);
    t.wait_for("china.export_quota_change");
    t.keys(&["-l", " for 2010"]);
    t.keys(&["Enter"]);
    t.wait_for("reuters-2010-10-28-quota-change-2010 ");
}

#[test]
fn an_open_quote_continues_on_the_next_line_and_a_write_reports_its_seq() {
    let scratch = with_data();
    let history = scratch.dir.path().join("history");
    let t = Terminal::start(&scratch, &history, &["repl"]);
    t.type_line("retract wsj-2010-10-19-quota-cut-2011 because 'entered");
    // The next line is asked for under a continuation prompt.
    t.wait_for("   ...>");
    t.type_line("by mistake'");
    let screen = t.wait_for("retract written at seq 215");
    assert!(screen.contains("   ...> by mistake'"), "{screen}");
    t.type_line("history china.export_quota_change for 2011");
    t.wait_for("retracted");
}

#[test]
fn ctrl_c_clears_the_line_and_ctrl_d_quits() {
    let scratch = with_data();
    let history = scratch.dir.path().join("history");
    let t = Terminal::start(&scratch, &history, &["repl"]);
    t.keys(&["-l", "this line is abandoned"]);
    t.keys(&["C-c"]);
    t.type_line("attributes");
    let screen = t.wait_for("rows; log_seq 214");
    assert!(
        !screen.contains("error"),
        "Ctrl-C must not send the abandoned line:\n{screen}"
    );
    t.keys(&["C-d"]);
    t.wait_until_gone();
}

#[test]
fn history_survives_into_a_second_session() {
    let scratch = with_data();
    let history = scratch.dir.path().join("data").join("history");
    {
        let t = Terminal::start(&scratch, &history, &["repl"]);
        t.type_line("sources of china.export_quota");
        t.wait_for("1 row; log_seq 214");
        t.type_line(".quit");
        t.wait_until_gone();
    }
    let saved = std::fs::read_to_string(&history).expect("the history file was written");
    assert!(saved.contains("sources of china.export_quota"), "{saved}");
    let t = Terminal::start(&scratch, &history, &["repl"]);
    // The last entry is `.quit`; the one before it is the question.
    t.keys(&["Up"]);
    t.keys(&["Up"]);
    t.wait_for("annals> sources of china.export_quota");
    t.keys(&["Enter"]);
    t.wait_for("1 row; log_seq 214");
}

#[test]
fn the_demo_on_a_terminal_opens_the_repl_on_the_bundled_data() {
    let scratch = Scratch::new();
    let history = scratch.dir.path().join("history");
    let t = Terminal::start(&scratch, &history, &["demo"]);
    t.type_line(
        "timeline china.share_of_world_production from 2010 to 2013 every year avg as known 2013",
    );
    let screen = t.wait_for("china.share_of_world_production 2010");
    assert!(
        screen.contains('█'),
        "a timeline is also drawn as bars:\n{screen}"
    );
}

/// A script piped into the REPL is not the user's typing: it leaves the
/// history file alone, and a failed statement makes the exit code 1 (at a
/// terminal, mistakes along the way still end with 0).
#[test]
fn a_script_piped_into_the_repl_keeps_out_of_the_history_and_fails_loudly() {
    use std::io::Write;
    let scratch = with_data();
    let history = scratch.dir.path().join("history");
    let run = |input: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_annals"))
            .arg("--db")
            .arg(scratch.db())
            .arg("repl")
            .env("ANNALS_HISTORY", &history)
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn the REPL");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write the script");
        common::finish(child.wait_with_output().expect("the REPL ends"))
    };
    let bad = run("subjects\nchina.export_quota fro 2010\n");
    assert_eq!(bad.code, 1, "{}{}", bad.stdout, bad.stderr);
    assert!(bad.stdout.contains("found 'fro'"), "{}", bad.stdout);
    let good = run("subjects\n");
    assert_eq!(good.code, 0, "{}{}", good.stdout, good.stderr);
    assert!(good.stdout.contains("rows; log_seq 214"), "{}", good.stdout);
    assert!(!history.exists(), "the script was written to the history");
}

/// SPEC §8 for a script piped through the REPL as for `query`: when the
/// reader of its output stops (`| head`) it ends quietly with exit 0, and
/// off a terminal its tables keep to `$COLUMNS`. A dot-command it does not
/// know fails the script as a failed statement does.
#[test]
fn a_piped_repl_ends_quietly_when_its_reader_stops_and_keeps_to_columns() {
    use std::io::{Read, Write};
    use std::process::Stdio;
    let scratch = with_data();
    let spawn = |columns: &str| {
        Command::new(env!("CARGO_BIN_EXE_annals"))
            .arg("--db")
            .arg(scratch.db())
            .arg("repl")
            .env("ANNALS_HISTORY", scratch.dir.path().join("history"))
            .env("NO_COLOR", "1")
            .env("COLUMNS", columns)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the REPL")
    };
    // Twenty answers of every slot: far more than a pipe holds, so the
    // REPL is still writing when its reader goes.
    let mut child = spawn("200");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all("*.*\n".repeat(20).as_bytes())
        .expect("the script");
    drop(stdin);
    let mut first = [0u8; 4096];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut first)
        .expect("the first answer begins");
    let run = common::finish(child.wait_with_output().expect("the REPL ends"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "", "nothing said about the closed pipe");

    let mut child = spawn("100");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"subjects\n.bogus\n").expect("the script");
    drop(stdin);
    let run = common::finish(child.wait_with_output().expect("the REPL ends"));
    let widest = run.stdout.lines().map(|l| l.chars().count()).max();
    assert!(
        widest.is_some_and(|w| w <= 100),
        "{widest:?}\n{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("unknown command '.bogus'"),
        "{}",
        run.stdout
    );
    assert_eq!(run.code, 1, "an unknown dot-command fails the script");
}

/// SPEC §8: at 80 columns no number, date, id or word is split across
/// lines. `explain` and `history` have long ids; every one of them must
/// appear whole on some line of the screen.
#[test]
fn at_80_columns_explain_and_history_split_no_token() {
    let scratch = with_data();
    let history = scratch.dir.path().join("history");
    let t = Terminal::start_sized(&scratch, &history, &["repl"], (80, 40));
    for (statement, count, tokens) in [
        (
            "explain china.production for 2011",
            "2 rows; log_seq 214",
            &[
                "wsj-2010-10-19-production-2011",
                "~100000 t",
                "scio-rare-earth-white-paper",
                "2010-10-19",
                "96900 t",
            ][..],
        ),
        (
            // Three rows, so that the count differs from the answer above
            // still on the screen.
            "history china.export_quota_change for 2010",
            "3 rows; log_seq 214",
            &[
                "wsj-2010-10-19-quota-change-2010",
                "reuters-2010-10-28-quota-change-2010-h2",
                "~-40 %",
                "-72 %",
                "2010-10-28",
            ][..],
        ),
    ] {
        t.keys(&["C-l"]);
        t.type_line(statement);
        let screen = t.wait_for(count);
        for token in tokens {
            assert!(
                screen.lines().any(|line| line.contains(token)),
                "{statement}: '{token}' is split or missing:\n{screen}"
            );
        }
        assert!(
            screen.lines().all(|line| line.chars().count() <= 80),
            "a line is wider than the terminal:\n{screen}"
        );
    }
}
