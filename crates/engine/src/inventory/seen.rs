//! When kdrift first saw each drifted field drift: the "when" of a change whose manager left no
//! time in managedFields (the API server writes none for a `scale` subresource, for one), so
//! the row can still say how long it has been so.

use super::Inventory;
use crate::model::{DriftReport, ResourceKey};

impl Inventory {
    /// The clock, in milliseconds since the epoch, as the front end last read it (the inventory
    /// reads none itself). Until it is set, nothing is timed.
    pub fn set_clock(&mut self, now_ms: u64) {
        self.clock_ms = now_ms;
    }

    /// When the field at `path` of `key` was first seen drifted, while it still is.
    pub fn first_seen(&self, key: &ResourceKey, path: &str) -> Option<u64> {
        self.first_seen.get(key)?.get(path).copied()
    }

    /// Keeps the first time of each changed field; fields back in line are forgotten.
    pub(super) fn note_first_seen(&mut self, key: &ResourceKey, report: &DriftReport) {
        if report.changes.is_empty() {
            self.first_seen.remove(key);
            return;
        }
        let seen = self.first_seen.entry(key.clone()).or_default();
        seen.retain(|path, _| report.changes.iter().any(|c| &c.path == path));
        if self.clock_ms == 0 {
            return;
        }
        for change in &report.changes {
            seen.entry(change.path.clone()).or_insert(self.clock_ms);
        }
    }
}
