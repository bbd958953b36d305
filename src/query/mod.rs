//! The query language of SPEC §7, from text to printed answer.
//!
//! A statement's life:
//!
//! 1. [`parser::parse`] turns text into a [`ast::Statement`], a syntax-only
//!    tree (literals parsed, names unchecked); errors carry the position and
//!    what was expected;
//! 2. [`execute::execute`] checks the names against the store, reads through
//!    one view of the index with the typed API
//!    (the typed `get`, one series at a time, for every slot-based answer), or
//!    appends the event of a writing statement, and returns a
//!    [`rows::Reply`]: the log position and kind of statement, then typed
//!    [`rows::AnswerRow`]s as they are computed;
//! 3. [`render::write`] prints the reply as a table, JSON or CSV, the only
//!    step that makes text.
//!
//! [`run`] does the first two steps.

pub mod ast;
pub mod execute;
pub mod parser;
pub mod render;
pub mod rows;
pub mod svg;

use crate::error::Result;
use crate::store::Store;
pub use render::Format;
pub use rows::{AnswerRow, Answered, Cancel, Reply, RowType, StatementKind};

impl Store {
    /// Parses and answers one statement of the query language (a question
    /// or a write): its log position and kind at once, its typed rows as
    /// the reply is iterated. Here rather than in `store.rs` so that the
    /// store does not depend on the language built on top of it.
    pub fn query(&self, text: &str) -> Result<Reply<'_>> {
        run(self, text)
    }
}

/// Parses and answers one statement. A parse error is [`Error::Syntax`](crate::Error::Syntax),
/// which prints the position, the input and a caret.
pub fn run<'s>(store: &'s Store, text: &str) -> Result<Reply<'s>> {
    run_with(store, text, &Cancel::new())
}

/// [`run`], with a token that stops the reply between two rows.
///
/// Every statement first sees the commits other processes made since the
/// last one ([`Store::refresh`]).
pub fn run_with<'s>(store: &'s Store, text: &str, cancel: &Cancel) -> Result<Reply<'s>> {
    let statement = parse(text)?;
    store.refresh()?;
    execute::execute(store, &statement, cancel)
}

/// Parses one statement into its syntax tree; an error is
/// [`Error::Syntax`](crate::Error::Syntax), with the line, column and what was expected.
pub fn parse(text: &str) -> Result<ast::Statement> {
    parser::parse(text).map_err(|e| e.to_error(text))
}
