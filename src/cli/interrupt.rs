//! Ctrl-C while a statement runs: the REPL cancels the statement and the
//! session goes on (SPEC §8). While rustyline reads a line the terminal is
//! in raw mode and Ctrl-C is a key it handles itself; while a statement
//! runs the terminal is in its normal mode and Ctrl-C is a SIGINT, which
//! the handler installed here turns into a flag instead of the end of the
//! process. A watcher thread passes the flag to the statement's
//! [`Cancel`] token, which the reply checks between two rows.

use annals::query::Cancel;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;
use std::time::Duration;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    // Only an atomic store: all a signal handler may safely do.
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Installs the SIGINT handler once; only on a terminal, so that a script
/// piped into the REPL can still be stopped with Ctrl-C.
fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // SAFETY: the handler only stores to an atomic, which is
        // async-signal-safe; `signal` is given a valid function pointer.
        unsafe {
            libc::signal(
                libc::SIGINT,
                on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t,
            );
        }
    });
}

/// Runs `work`, cancelling `cancel` if Ctrl-C is pressed meanwhile. The
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
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        let result = work();
        done.store(true, Ordering::SeqCst);
        result
    })
}
