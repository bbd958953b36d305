//! annals: an embedded, append-only store of cited historical facts with
//! three kinds of time. Start at [`Store`]; ARCHITECTURE.md has the map.

pub mod answer;
mod catalog;
pub mod error;
pub mod event;
pub mod index;
pub mod interchange;
pub mod lint;
pub mod log;
pub mod period;
pub mod query;
pub mod resolve;
pub mod storage;
pub mod store;
pub mod syntax;
pub mod synthetic;
pub mod validate;
pub mod value;
pub mod verify;

pub use answer::{Answer, Get, Row, Selector};
pub use error::{Error, Result};
pub use event::{Claim, Definition, Denial, Event, Kind, Modality, Retraction, Source};
pub use index::AttributeMatch;
pub use period::{Day, Period};
pub use store::Store;
pub use value::Value;
