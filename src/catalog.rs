//! What a store holds, by name: its subjects, attributes, sources and the
//! event ids writers chose, for completion in the REPL and the lists of the
//! reading room. Each list is read at the store's current position.

use crate::error::Result;
use crate::index::AttributeMatch;
use crate::storage::{scan_prefix, Table};
use crate::store::Store;

impl Store {
    /// Every subject that some claim is about, in byte order.
    pub fn subject_names(&self) -> Result<Vec<String>> {
        self.view(None).subject_names()
    }

    /// Every defined attribute, in byte order.
    pub fn attribute_names(&self) -> Result<Vec<String>> {
        self.view(None).names(Table::Attributes)
    }

    /// The attributes some claim about `subject` uses, in byte order.
    pub fn attributes_of(&self, subject: &str) -> Result<Vec<String>> {
        Ok(self
            .view(None)
            .series(Some(subject), &AttributeMatch::Any)?
            .into_iter()
            .map(|(_, attribute)| attribute)
            .collect())
    }

    /// Every source id, in byte order.
    pub fn source_ids(&self) -> Result<Vec<String>> {
        self.view(None).names(Table::Sources)
    }

    /// The published periods of the sources (as last revised), printed
    /// canonically, each once, in time order: the dates a historian is
    /// likely to ask `as known` at.
    pub fn publication_dates(&self) -> Result<Vec<String>> {
        let view = self.view(None);
        let mut dates = Vec::new();
        for id in view.names(Table::Sources)? {
            if let Some((_, published)) = view.source_revisions(&id)?.last() {
                dates.push(*published);
            }
        }
        dates.sort_by_key(|p| (p.start_key(), p.end_key()));
        dates.dedup();
        Ok(dates.iter().map(ToString::to_string).collect())
    }

    /// Up to `limit` event ids chosen by writers that start with `prefix`
    /// (automatic `e<seq>` ids are not listed: they are not stored).
    pub fn chosen_ids(&self, prefix: &str, limit: usize) -> Result<Vec<String>> {
        let view = self.view(None);
        let mut ids = Vec::new();
        for entry in scan_prefix(view.storage, Table::Ids, prefix.as_bytes()).take(limit) {
            let (key, _) = entry?;
            ids.push(String::from_utf8_lossy(&key).into_owned());
        }
        Ok(ids)
    }
}
