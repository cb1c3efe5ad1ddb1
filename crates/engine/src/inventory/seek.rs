//! Rows from a position, without stepping over every row before it: a screen showing rows
//! 90,000–90,040 of 100k, or the selected row's object looked up after each watch event, costs a
//! lookup and a few steps, not 90,000. Every `MARK_EVERY`th row is kept (its key, owned) and
//! found again in the ordered maps by range; the marks are rebuilt lazily, once, after the set of
//! rows changed (a status change moves no row).

use super::Inventory;
use super::rows::{MANIFEST_KIND, ManifestRow, Row, Rows};
use crate::model::ResourceKey;
use std::ops::Bound;
use std::sync::Mutex;

/// Rows between two marks: the most stepped over to reach a position.
pub const MARK_EVERY: usize = 256;

/// A row's key, owned, so it can be found again.
#[derive(Debug, Clone)]
enum Mark {
    Object(ResourceKey),
    Manifest(ManifestRow),
}

/// The marks, built on first use after `forget`.
#[derive(Debug, Default)]
pub(super) struct Marks(Mutex<Option<Vec<Mark>>>);

impl Clone for Marks {
    /// A copy rebuilds its own (the rows are the same, the work is small).
    fn clone(&self) -> Self {
        Marks::default()
    }
}

impl Marks {
    pub(super) fn forget(&mut self) {
        *self.0.get_mut().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

impl Inventory {
    /// Rows in display order, starting at position `n` (as `rows().skip(n)`, without the steps).
    pub fn rows_from(&self, n: usize) -> Rows<'_> {
        let at = n / MARK_EVERY;
        let mark = (at > 0).then(|| self.mark(at)).flatten();
        let (mut rows, skip) = match mark {
            Some(mark) => (self.rows_at(&mark), n - at * MARK_EVERY),
            None => (self.rows(), n),
        };
        if skip > 0 {
            rows.nth(skip - 1);
        }
        rows
    }

    /// The `i`th mark, building the marks if the rows changed since.
    fn mark(&self, i: usize) -> Option<Mark> {
        let mut marks = self.marks.0.lock().unwrap_or_else(|p| p.into_inner());
        let marks = marks.get_or_insert_with(|| {
            self.rows()
                .step_by(MARK_EVERY)
                .map(|(row, _)| match row {
                    Row::Object(k) => Mark::Object(k.clone()),
                    Row::Manifest(m) => Mark::Manifest(m.clone()),
                })
                .collect()
        });
        marks.get(i).cloned()
    }

    /// Rows from `mark` on. Manifest rows all sit at one place among the objects (cluster-scoped,
    /// under their kind), so each side starts with a range.
    fn rows_at(&self, mark: &Mark) -> Rows<'_> {
        let (objects, manifests) = match mark {
            Mark::Object(key) => {
                let manifests_after = self
                    .manifests
                    .keys()
                    .next()
                    .is_some_and(|m| Row::Manifest(m) > Row::Object(key));
                let manifests = match self.manifests.keys().next_back() {
                    Some(last) if !manifests_after => self
                        .manifests
                        .range((Bound::Excluded(last), Bound::Unbounded)),
                    _ => self.manifests.range(..),
                };
                (self.verdicts.range(key..), manifests)
            }
            Mark::Manifest(m) => {
                // the first object after every manifest row: cluster-scoped, of a kind after
                // theirs ("Manifest\0" is the least string after "Manifest")
                let after = ResourceKey::from(crate::model::KeyParts {
                    namespace: None,
                    kind: format!("{MANIFEST_KIND}\0"),
                    name: String::new(),
                    group: String::new(),
                    version: String::new(),
                });
                (self.verdicts.range(after..), self.manifests.range(m..))
            }
        };
        Rows {
            objects: objects.peekable(),
            manifests: manifests.peekable(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::rows::tests::key;
    use crate::model::{DriftReport, DriftStatus};

    fn names(rows: Rows<'_>) -> Vec<String> {
        rows.map(|(r, _)| r.to_string()).collect()
    }

    #[test]
    fn rows_from_any_position_are_the_rows_after_skipping_that_many() {
        let mut inv = Inventory::default();
        let report = || DriftReport::new(DriftStatus::InSync);
        // namespaced and cluster-scoped objects on both sides of the manifest rows
        for i in 0..700 {
            let ns = format!("ns-{}", i % 3);
            inv.verdicts
                .insert(key(Some(&ns), "ConfigMap", &format!("c{i:04}")), report());
        }
        for (kind, name) in [("ClusterRole", "a"), ("Manifest", "m"), ("Namespace", "n")] {
            inv.verdicts.insert(key(None, kind, name), report());
        }
        for line in 0..300 {
            let row = ManifestRow {
                source: "bad.yaml".into(),
                line: Some(line),
                app: None,
            };
            inv.manifests
                .insert(row, DriftReport::new(DriftStatus::Error));
        }
        let all = names(inv.rows());
        assert_eq!(all.len(), 1003);
        for n in [0, 1, 255, 256, 257, 300, 511, 512, 600, 1002, 1003, 2000] {
            let want: Vec<String> = all.iter().skip(n).cloned().collect();
            assert_eq!(names(inv.rows_from(n)), want, "from {n}");
        }
        // a row gone: the marks are rebuilt (only `judge.rs` does this in earnest)
        let first = key(Some("ns-0"), "ConfigMap", "c0000");
        inv.verdicts.remove(&first);
        inv.touch_row_set();
        let all = names(inv.rows());
        assert_eq!(names(inv.rows_from(600)), all[600..].to_vec());
    }
}
