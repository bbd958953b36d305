//! annals: an embedded, append-only store of cited historical facts with
//! three kinds of time — when a fact held (*valid*), when it became known
//! (*known*), and when it was written here (*recorded*) — and a small query
//! language for point-in-time questions. Start at [`Store`]; the language
//! is in [`query`]; ARCHITECTURE.md has the map.
//!
//! ```
//! use annals::{Get, Period, Selector, Store};
//!
//! let store = Store::temporary()?;
//! annals::interchange::import_file(&store, "two-sources.jsonl", br#"
//! {"op":"define","attribute":"export_quota","kind":"period","unit":"t"}
//! {"op":"source","id":"early","title":"Cut","publisher":"Reuters","published":"2010-07"}
//! {"op":"source","id":"late","title":"Quota","publisher":"MOFCOM","published":"2010-10-19"}
//! {"op":"assert","subject":"china","attribute":"export_quota","valid":"2010","value":"~30000 t","source":"early"}
//! {"op":"assert","subject":"china","attribute":"export_quota","valid":"2010","value":"24280 t","source":"late"}
//! "#)?;
//!
//! // Typed: China's 2010 export quota as known in August 2010, then today.
//! let mut question = Get::new(Selector::exact("china", "export_quota"));
//! question.valid = Some(Period::year(2010));
//! question.known = Some(Period::month(2010, 8));
//! assert_eq!(store.get(&question)?.rows[0].winner.value.to_string(), "~30000 t");
//! question.known = None;
//! assert_eq!(store.get(&question)?.rows[0].winner.value.magnitude(), Some(24280.0));
//!
//! // In the query language: typed rows, streamed as they are computed.
//! let mut sources = Vec::new();
//! for row in store.query("china.export_quota for 2010 as known oct 2010")? {
//!     if let annals::query::AnswerRow::Slot(row) = row? {
//!         sources.push(row.winner.source);
//!     }
//! }
//! assert_eq!(sources, ["late"]);
//! # Ok::<(), annals::Error>(())
//! ```

mod answer;
mod catalog;
mod dating;
mod error;
mod event;
mod index;
mod log;
mod options;
mod period;
mod resolve;
mod storage;
mod store;
mod syntax;
mod typed;
mod unit_rule;
mod validate;
mod value;

pub mod interchange;
pub mod lint;
pub mod query;
pub mod verify;

#[doc(hidden)]
pub mod synthetic;
#[doc(hidden)]
pub mod testing;

pub use answer::{Answer, ClaimView, EventFilter, Get, Row, Selector};
pub use dating::{Dating, End, Qualifier, Unspecified};
pub use error::{Error, Result};
pub use event::{Claim, Definition, Denial, Event, Kind, Modality, Retraction, Source};
pub use index::AttributeMatch;
pub use log::Record;
pub use options::StoreOptions;
pub use period::{Day, Period};
pub use resolve::{Standing, Status};
pub use storage::Engine;
pub use store::{Appended, Compacted, Store};
pub use value::{Amount, Quantity, Value};

/// Installs a panic hook that keeps the default report for every panic
/// except one inside the storage engine, which the store has already turned
/// into [`Error::Corrupt`] or [`Error::Storage`] naming the store: a damaged
/// file is reported once, as an error, not also as a crash.
pub fn quiet_engine_panics() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !storage::in_guard() {
            default_hook(info);
        }
    }));
}
