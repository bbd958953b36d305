//! The index: tables derived from the log that answer questions without
//! reading it — the slot index of claims, the series, the vocabulary of
//! sources and attributes, the ids writers chose, and what denies or
//! retracts what. Everything here is a projection (SPEC §6): it can be
//! dropped and rebuilt from the log, and `verify` does so and compares.
//!
//! - [`keys`]: the byte layout of every key and value, encoded and decoded
//!   (checked) in one place;
//! - [`carried`]: the denials a claim entry carries, and how the copies of
//!   one claim become one entry ([`carried::combine`]);
//! - [`apply`]: the writes that applying log records makes
//!   ([`IndexWrites`]);
//! - [`runs`]: the slot index as runs of blocks of claims, one per batch,
//!   merged in tiers ([`compact`]), read in the order of their numbers;
//! - [`spill`]: a batch's claims sorted part by part in a temporary file
//!   and merged into its run ([`ClaimRuns`]);
//! - [`view`]: reading the index as of one log position ([`View`]);
//! - [`cache`]: the readers' cache of series entries and source revisions,
//!   and the rule that keeps it consistent with writers ([`ReadCache`]);
//! - [`blocks`]: the readers' cache of the slot index's blocks, which
//!   needs no such rule, since runs never change ([`BlockCache`]).
//!
//! Architecture invariant: nothing in this module knows about questions,
//! resolution or the query language; it depends only on the log's record
//! format, the event types and the storage trait.

mod apply;
mod blocks;
mod cache;
mod carried;
mod keys;
mod runs;
mod spill;
mod view;

#[cfg(test)]
mod tests;

pub use apply::{IndexBuilder, IndexWrites};
pub use cache::ReadCache;
pub(crate) use carried::{as_read as claim_as_read, is_compared_row as is_compared_target_row};
pub use keys::{automatic_id, automatic_seq, ClaimEntry, IdEntry, IdOp, SeriesEntry, TargetEntry};
pub(crate) use runs::{compact, drop_runs_after, every_claim, header_problems, merge_all};
pub use spill::ClaimRuns;
pub use view::{AttributeMatch, IndexedClaim, View};
