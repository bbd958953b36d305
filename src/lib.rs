//! annals: an embedded, append-only store of cited historical facts with
//! three kinds of time. Start at [`Store`]; ARCHITECTURE.md has the map.

pub mod period;
pub mod syntax;
pub mod value;

pub use period::{Day, Period};
pub use value::Value;
