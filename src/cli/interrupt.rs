//! Ctrl-C while a statement runs: the REPL cancels the statement and the
//! session goes on (SPEC §8). While rustyline reads a line the terminal is
//! in raw mode and Ctrl-C is a key it handles itself; while a statement
//! runs the terminal is in its normal mode and Ctrl-C is a SIGINT, which
//! the handler installed here turns into a flag instead of the end of the
//! process. A watcher thread passes the flag to the statement's
//! [`Cancel`] token, which the reply checks between two rows (or two
//! series). The first press also gives SIGINT back its default, so that a
//! second press ends a statement that does not stop (one that computes its
//! whole answer before its first row) the way Ctrl-C always did.

use annals::query::Cancel;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    // Only an atomic store: all a signal handler may safely do.
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Installs the SIGINT handler for the statement about to run.
fn install() {
    // SAFETY: the handler only stores to an atomic, which is
    // async-signal-safe; `signal` is given a valid function pointer.
    unsafe {
        libc::signal(
            libc::SIGINT,
            on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t,
        );
    }
}

/// Gives SIGINT back its default action: the next press ends the process.
fn uninstall() {
    // SAFETY: SIG_DFL is a valid disposition for SIGINT.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
    }
}

/// Runs `work`, cancelling `cancel` if Ctrl-C is pressed meanwhile (only on
/// a terminal: a script piped into the REPL is stopped by Ctrl-C as usual). The
/// watcher looks every 5 ms, so the statement sees the cancellation well
/// within SPEC §8's 100 ms, plus the time of the row it is computing.
pub fn cancelling_on_ctrl_c<T>(cancel: &Cancel, work: impl FnOnce() -> T) -> T {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return work();
    }
    install();
    INTERRUPTED.store(false, Ordering::SeqCst);
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !done.load(Ordering::SeqCst) {
                if INTERRUPTED.swap(false, Ordering::SeqCst) {
                    cancel.cancel();
                    uninstall();
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        let result = work();
        done.store(true, Ordering::SeqCst);
        // Between statements rustyline reads Ctrl-C as a key; leave the
        // signal as it was found.
        uninstall();
        result
    })
}
