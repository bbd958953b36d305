//! The one error type of the crate, grouped by cause: the caller's input was
//! invalid, an event was refused by the log's rules, the stored data is
//! corrupt, or the storage itself failed.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Malformed input: a query, a period, a value, a statement.
    #[error("{0}")]
    InvalidInput(String),

    /// A line of an import file is malformed or refused. The whole file is
    /// refused with it.
    #[error("{file}:{line}: {}{message}", field.as_ref().map(|f| format!("field '{f}': ")).unwrap_or_default())]
    Import {
        file: String,
        line: usize,
        field: Option<String>,
        message: String,
    },

    /// An event of a batch breaks the rules of the log (unknown source,
    /// duplicate id, retracted target, …). `index` counts from 0 in the batch;
    /// nothing of the batch was written.
    #[error("event {} of the batch, field '{field}': {message}", index + 1)]
    Rejected {
        index: usize,
        field: &'static str,
        message: String,
    },

    /// The stored data is corrupt or disagrees with itself.
    #[error("corrupt store: {0}")]
    Corrupt(String),

    /// A statement that does not parse: where (counted from 1, in
    /// characters), what was expected there, and the whole report with the
    /// input and a caret, which is what it prints.
    #[error("{report}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
        report: String,
    },

    /// A path that holds no store, opened without permission to create one
    /// (read-only commands never create a store).
    #[error("no store at {} (create one with `annals init` or `annals import`)", path.display())]
    NoStore { path: PathBuf },

    /// An event or source named by its id that the store does not hold
    /// (`show ID`, `source ID`); `hint` says where to look or what was
    /// perhaps meant.
    #[error("unknown {what} '{id}'{hint}")]
    Unknown {
        what: &'static str,
        id: String,
        hint: String,
    },

    /// A batch that was committed (it is in the log, seqs `first_seq..=
    /// last_seq`) but whose finishing steps failed (a full disk, say): the
    /// next writer or open finishes them. Importing it again would store
    /// it twice.
    #[error("the batch is committed as seq {first_seq}..{last_seq}, but finishing it failed: {cause}; the store finishes it at the next open or write — do not import it again")]
    Committed {
        first_seq: u64,
        last_seq: u64,
        cause: String,
    },

    /// A write to a store opened read-only.
    #[error("the store was opened read-only: nothing was written")]
    ReadOnly,

    /// Another process holds the store: it is writing to a shared (redb)
    /// store and this write waited `waited` for it, or it has a sled store
    /// open, which one process opens at a time.
    #[error("the store at {} is held by {holder}{}", path.display(), waited_for(waited))]
    Locked {
        path: PathBuf,
        /// Who holds it, as the holder described itself.
        holder: String,
        waited: std::time::Duration,
    },

    /// A store that a killed writer left needing repair, opened read-only;
    /// a writable open repairs it.
    #[error("the store at {} needs a repair after a crash, which a read-only open cannot make (open it once with write access)", path.display())]
    NeedsRepair { path: PathBuf },

    /// The storage engine failed.
    #[error("storage error: {0}")]
    Storage(String),

    /// A running statement was cancelled (Ctrl-C, a deadline).
    #[error("cancelled")]
    Cancelled,

    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl Error {
    pub(crate) fn rejected(index: usize, field: &'static str, message: impl Into<String>) -> Error {
        Error::Rejected {
            index,
            field,
            message: message.into(),
        }
    }
}

/// The end of a refusal of a held store: how long the writer waited.
fn waited_for(waited: &std::time::Duration) -> String {
    if waited.is_zero() {
        String::new()
    } else {
        format!(
            "; waited {:.1} s for it to finish writing (try again later)",
            waited.as_secs_f64()
        )
    }
}
