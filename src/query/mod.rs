//! The query language of SPEC §7, from text to printed answer.
//!
//! A statement's life:
//!
//! 1. [`parser::parse`] turns text into a [`ast::Statement`], a syntax-only
//!    tree (literals parsed, names unchecked); errors carry the position and
//!    what was expected;
//! 2. [`execute::execute`] checks the names against the store, reads through
//!    one [`crate::projection::View`] with the typed API
//!    ([`crate::Store::get`] for every slot-based answer), or appends the
//!    event of a writing statement, and returns an [`execute::Output`] of
//!    JSON-shaped rows with its `log_seq`;
//! 3. [`render::render`] prints the output as a table, JSON or CSV.
//!
//! [`run`] does all three steps but printing.

pub mod ast;
mod catalog;
pub mod execute;
pub mod parser;
pub mod render;

use crate::error::{Error, Result};
use crate::store::Store;
pub use execute::Output;
pub use render::Format;

/// Parses and answers one statement. A parse error becomes
/// [`Error::InvalidInput`] with the position, the input and a caret.
pub fn run(store: &Store, text: &str) -> Result<Output> {
    let statement = parser::parse(text).map_err(|e| Error::InvalidInput(e.locate(text)))?;
    execute::execute(store, &statement)
}
