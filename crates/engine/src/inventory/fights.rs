//! Fights: a field whose writer flips between two managers while kdrift watches (an autoscaler
//! and an applier both setting replicas, two controllers at odds) is flagged, so whoever
//! converges it knows it will not stay converged. Only fields that have drifted are followed,
//! a few writers each, so this costs nothing for objects that stay in line.

use super::{Fact, Inventory};
use crate::drift::manager_for;
use crate::model::{DriftReport, Fight, ResourceKey};
use std::collections::{BTreeMap, VecDeque};

/// Writers remembered per field: enough to see one come back.
const REMEMBERED: usize = 3;
/// Fields followed per object; past it, the oldest followed goes.
const FOLLOWED: usize = 32;

/// The writers of each followed field of one object, oldest first, each one different from
/// the one before.
#[derive(Debug, Default, Clone)]
pub(super) struct Writers {
    fields: BTreeMap<String, VecDeque<String>>,
    /// Fields in the order they were first followed, for dropping the oldest.
    order: VecDeque<String>,
}

impl Writers {
    fn saw(&mut self, path: &str, manager: &str) {
        if !self.fields.contains_key(path) {
            if self.order.len() >= FOLLOWED
                && let Some(oldest) = self.order.pop_front()
            {
                self.fields.remove(&oldest);
            }
            self.order.push_back(path.to_string());
        }
        let seen = self.fields.entry(path.to_string()).or_default();
        if seen.back().map(String::as_str) != Some(manager) {
            if seen.len() == REMEMBERED {
                seen.pop_front();
            }
            seen.push_back(manager.to_string());
        }
    }

    /// Fields whose last three writers went A, B, A.
    fn fights(&self) -> Vec<Fight> {
        self.fields
            .iter()
            .filter_map(|(path, seen)| match seen.as_slices() {
                _ if seen.len() < 3 => None,
                _ if seen[0] == seen[2] => Some(Fight {
                    path: path.clone(),
                    managers: [seen[2].clone(), seen[1].clone()],
                }),
                _ => None,
            })
            .collect()
    }
}

impl Inventory {
    /// Notes who writes the drifted fields and the ones followed before, and marks the fights
    /// on the report; a new fight is news.
    pub(super) fn note_writers(&mut self, key: &ResourceKey, report: &mut DriftReport) {
        let Some(live) = self.live_object(key) else {
            self.writers.remove(key);
            return;
        };
        let writers = self.writers.entry(key.clone()).or_default();
        for change in &report.changes {
            if let Some(manager) = &change.manager {
                writers.saw(&change.path, manager);
            }
        }
        let in_line: Vec<String> = writers
            .fields
            .keys()
            .filter(|p| !report.changes.iter().any(|c| &c.path == *p))
            .cloned()
            .collect();
        for path in in_line {
            if let Some(manager) = manager_for(&live, &path) {
                writers.saw(&path, &manager);
            }
        }
        let fights = writers.fights();
        let before = self.verdicts.get(key).map(|r| &r.fights);
        let new: Vec<Fight> = fights
            .iter()
            .filter(|f| !before.is_some_and(|b| b.iter().any(|o| o.path == f.path)))
            .cloned()
            .collect();
        report.fights = fights;
        for fight in new {
            self.raise(Fact::Fight {
                key: key.clone(),
                fight,
            });
        }
    }

    pub(super) fn forget_writers(&mut self, key: &ResourceKey) {
        self.writers.remove(key);
    }
}
