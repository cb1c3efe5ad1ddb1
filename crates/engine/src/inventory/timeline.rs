//! The drift timeline: per object, when drift started and which manager caused it, when it
//! converged and how (kdrift's sync, another manager, a new commit). Kept from the verdict changes
//! the inventory makes anyway, so it costs nothing per row; bounded in entries.

use super::Inventory;
use crate::model::FIELD_MANAGER;
use crate::model::{DriftReport, DriftStatus, ResourceKey, WatchState};
use serde_json::Value;
use std::collections::VecDeque;

/// Entries kept since kdrift started; past it the oldest converged ones go first.
pub const MAX_ENTRIES: usize = 2_000;

/// What made the inventory judge an object again.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Trigger {
    /// The cluster changed (a watch event or a list).
    #[default]
    Live,
    /// Git's desired state changed: this commit.
    Commit(String),
}

/// How a drift ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Converged {
    /// kdrift applied git's state (its field manager wrote last).
    Sync,
    /// Another manager put the object back (Flux, Argo CD, kubectl, a person).
    Manager(String),
    /// A commit changed git to what the cluster has (or removed the object).
    Commit(String),
    /// The object is gone from both sides.
    Gone,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEntry {
    pub key: ResourceKey,
    pub status: DriftStatus,
    pub started_ms: u64,
    /// The manager that last wrote the first drifted field, when the live object says.
    pub manager: Option<String>,
    /// The drifted field paths when it started (a few).
    pub fields: Vec<String>,
    /// `None` while the drift lasts.
    pub ended: Option<(u64, Converged)>,
    /// When the entry last changed (opened, changed status, ended), in the timeline's own
    /// count: what a watcher has not seen yet is `since` the count it saw last.
    pub seq: u64,
}

#[derive(Debug, Default, Clone)]
pub struct Timeline {
    entries: VecDeque<TimelineEntry>,
    seq: u64,
}

impl Timeline {
    /// Every entry, oldest first.
    pub fn entries(&self) -> impl DoubleEndedIterator<Item = &TimelineEntry> {
        self.entries.iter()
    }

    /// The entries of one object, oldest first.
    pub fn of<'a>(&'a self, key: &'a ResourceKey) -> impl Iterator<Item = &'a TimelineEntry> {
        self.entries.iter().filter(move |e| &e.key == key)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The count of changes so far (0: none yet).
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Entries changed after change `seq`, in the order they changed.
    pub fn since(&self, seq: u64) -> Vec<&TimelineEntry> {
        let mut changed: Vec<&TimelineEntry> =
            self.entries.iter().filter(|e| e.seq > seq).collect();
        changed.sort_by_key(|e| e.seq);
        changed
    }

    fn open_mut(&mut self, key: &ResourceKey) -> Option<&mut TimelineEntry> {
        self.entries
            .iter_mut()
            .rev()
            .find(|e| &e.key == key && e.ended.is_none())
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn push(&mut self, mut entry: TimelineEntry) {
        entry.seq = self.next_seq();
        self.entries.push_back(entry);
        while self.entries.len() > MAX_ENTRIES {
            match self.entries.iter().position(|e| e.ended.is_some()) {
                Some(i) => self.entries.remove(i),
                None => self.entries.pop_front(),
            };
        }
    }
}

/// How many drifted paths an entry keeps.
const FIELDS_KEPT: usize = 3;

impl Inventory {
    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }

    /// Notes a verdict change of `key`: drift starting, changing kind, or ending. Drift found when
    /// kdrift starts is dated by when its manager wrote the field, where managedFields says. Not
    /// kept until the front end has set the clock and the object's kind has listed.
    pub(super) fn note_timeline(&mut self, key: &ResourceKey, report: Option<&DriftReport>) {
        // before its kind has listed, an object only looks missing
        let listed = matches!(self.watches.get(&key.gvk()), Some(WatchState::Live));
        if self.clock_ms == 0 || !listed {
            return;
        }
        let now = self.clock_ms;
        let drifted = report.is_some_and(|r| r.status.is_drift() && !r.pending);
        let converged = match report {
            None => true,
            Some(r) => r.status == DriftStatus::InSync,
        };
        if drifted {
            let report = report.expect("drifted has a report");
            let seq = self.timeline.seq + 1;
            if let Some(open) = self.timeline.open_mut(key) {
                if open.status != report.status {
                    open.status = report.status;
                    open.seq = seq;
                    self.timeline.seq = seq;
                }
                return;
            }
            let entry = TimelineEntry {
                key: key.clone(),
                status: report.status,
                started_ms: report
                    .changes
                    .first()
                    .and_then(|c| c.time.as_deref())
                    .and_then(crate::clock::rfc3339_secs)
                    .map(|s| s.max(0) as u64 * 1000)
                    .filter(|t| *t <= now)
                    .unwrap_or(now),
                manager: report.changes.first().and_then(|c| c.manager.clone()),
                fields: report
                    .changes
                    .iter()
                    .take(FIELDS_KEPT)
                    .map(|c| c.path.clone())
                    .collect(),
                ended: None,
                seq: 0,
            };
            self.timeline.push(entry);
        } else if converged {
            let how = match (&self.trigger, report) {
                (Trigger::Commit(c), _) => Converged::Commit(c.clone()),
                (Trigger::Live, None) => Converged::Gone,
                (Trigger::Live, Some(_)) => {
                    match self.live_object(key).and_then(|l| last_writer(&l)) {
                        Some(m) if m == FIELD_MANAGER => Converged::Sync,
                        Some(m) => Converged::Manager(m),
                        None => Converged::Manager("unknown".into()),
                    }
                }
            };
            let seq = self.timeline.seq + 1;
            if let Some(open) = self.timeline.open_mut(key) {
                open.ended = Some((now, how));
                open.seq = seq;
                self.timeline.seq = seq;
            }
        }
    }
}

/// The manager of the newest managedFields entry (the one that wrote the object last).
fn last_writer(live: &Value) -> Option<String> {
    live.pointer("/metadata/managedFields")?
        .as_array()?
        .iter()
        .max_by(|a, b| a["time"].as_str().cmp(&b["time"].as_str()))?
        .get("manager")?
        .as_str()
        .map(str::to_string)
}
