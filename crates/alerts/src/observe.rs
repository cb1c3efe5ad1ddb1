//! From the inventory to events: what changed since the last look. Drift and its end come from
//! the drift timeline (confirmed drift only, so no alert the server would not stand by); the
//! rest from a few small comparisons (watch health per kind, the head commit). Each look costs
//! the timeline's changes plus one pass over kinds, not over objects.

use crate::event::{Envelope, Event, MAX_FIELDS, ObjectRef};
use kdrift_engine::clock::rfc3339;
use kdrift_engine::inventory::{Converged, Inventory, TimelineEntry};
use kdrift_engine::model::{DriftStatus, Gvk, ResourceKey, WatchState};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Default)]
pub struct Observer {
    cluster: String,
    seen_seq: u64,
    settled: bool,
    /// Objects with a drift event and no resolved one yet.
    open: BTreeSet<ResourceKey>,
    watches: BTreeMap<Gvk, &'static str>,
    head: Option<String>,
    repo_error: Option<String>,
}

fn state_word(w: &WatchState) -> (&'static str, Option<String>) {
    match w {
        WatchState::Connecting => ("connecting", None),
        WatchState::Live => ("live", None),
        WatchState::Reconnecting { why, .. } => ("reconnecting", why.clone()),
        WatchState::Failed(why) => ("failed", Some(why.clone())),
    }
}

fn how(c: &Converged) -> String {
    match c {
        Converged::Sync => "kdrift sync".into(),
        Converged::Manager(m) => format!("manager {m}"),
        Converged::Commit(c) => format!("commit {c}"),
        Converged::Gone => "gone".into(),
    }
}

/// Counts of every row by status, in one pass.
pub fn counts(inv: &Inventory) -> BTreeMap<DriftStatus, usize> {
    let mut out = BTreeMap::new();
    for r in inv.verdicts.values().chain(inv.manifests.values()) {
        *out.entry(r.status).or_insert(0) += 1;
    }
    out
}

impl Observer {
    pub fn new(cluster: &str) -> Self {
        Observer {
            cluster: cluster.to_string(),
            seen_seq: 0,
            settled: false,
            open: BTreeSet::new(),
            watches: BTreeMap::new(),
            head: None,
            repo_error: None,
        }
    }

    /// Objects drifting now, as told (a firing alert each).
    pub fn open(&self) -> &BTreeSet<ResourceKey> {
        &self.open
    }

    /// Whether the first full comparison is done.
    pub fn settled(&self) -> bool {
        self.settled
    }

    fn wrap(&self, now_ms: u64, event: Event) -> Envelope {
        Envelope {
            time: rfc3339(now_ms),
            cluster: self.cluster.clone(),
            event,
        }
    }

    /// What changed in `inv` since the last call, in order.
    pub fn observe(&mut self, inv: &Inventory, now_ms: u64) -> Vec<Envelope> {
        let mut out = Vec::new();
        let commit = inv.repo.as_ref().map(|r| r.commit.short.clone());
        let head = inv.head.as_ref().map(|h| h.id.clone());
        if head != self.head {
            if let (Some(_), Some(h)) = (&self.head, &inv.head) {
                out.push(Event::Commit {
                    commit: h.short.clone(),
                    subject: h.subject.clone(),
                    author: h.author.clone(),
                });
            }
            self.head = head;
        }
        let repo_error = inv.repo_error.as_ref().map(|e| e.to_string());
        if repo_error != self.repo_error {
            if let Some(error) = &repo_error {
                out.push(Event::RepoFailed {
                    error: error.clone(),
                });
            }
            self.repo_error = repo_error;
        }
        let was_settled = self.settled;
        if inv.settled && !self.settled {
            self.settled = true;
            let counts = counts(inv);
            let n = |s| counts.get(&s).copied().unwrap_or(0);
            out.push(Event::Settled {
                commit: commit.clone(),
                in_sync: n(DriftStatus::InSync),
                drifted: n(DriftStatus::Modified)
                    + n(DriftStatus::Missing)
                    + n(DriftStatus::Orphan),
                errors: n(DriftStatus::Error),
            });
        }
        // watch health: told once settled (until then, every kind is on its way to live)
        for (gvk, w) in &inv.watches {
            let (word, why) = state_word(w);
            let before = self.watches.insert(gvk.clone(), word);
            if was_settled && before.is_some_and(|b| b != word) {
                out.push(Event::Watch {
                    kind: gvk.to_string(),
                    state: word.to_string(),
                    why,
                });
            }
        }
        if self.settled {
            let was_open = !self.open.is_empty();
            let changed = inv.timeline().since(self.seen_seq);
            for entry in &changed {
                out.extend(self.entry_event(inv, entry, commit.clone()));
            }
            self.seen_seq = inv.timeline().seq();
            if was_open && self.open.is_empty() {
                out.push(Event::Converged {
                    resources: inv.verdicts.len(),
                });
            }
        }
        out.into_iter().map(|e| self.wrap(now_ms, e)).collect()
    }

    fn entry_event(
        &mut self,
        inv: &Inventory,
        entry: &TimelineEntry,
        commit: Option<String>,
    ) -> Option<Event> {
        let mut object = ObjectRef::from(&entry.key);
        object.app = inv
            .desired
            .get(&entry.key)
            .and_then(|d| d.app.as_deref())
            .map(str::to_string);
        let since = rfc3339(entry.started_ms);
        match &entry.ended {
            None => {
                self.open.insert(entry.key.clone());
                let changes = inv
                    .verdicts
                    .get(&entry.key)
                    .map(|r| r.changes.as_slice())
                    .unwrap_or_default();
                let mut managers: Vec<String> = Vec::new();
                for m in changes.iter().filter_map(|c| c.manager.clone()) {
                    if !managers.contains(&m) {
                        managers.push(m);
                    }
                }
                Some(Event::Drift {
                    object,
                    status: entry.status,
                    fields: changes
                        .iter()
                        .take(MAX_FIELDS)
                        .map(|c| c.path.clone())
                        .collect(),
                    more_fields: changes.len().saturating_sub(MAX_FIELDS),
                    managers,
                    since,
                    commit,
                })
            }
            Some((at, converged)) => {
                // an entry opened and ended between two looks was never told: nothing to resolve
                if !self.open.remove(&entry.key) {
                    return None;
                }
                Some(Event::Resolved {
                    object,
                    status: entry.status,
                    how: how(converged),
                    since,
                    drifted_seconds: at.saturating_sub(entry.started_ms) as f64 / 1000.0,
                    commit,
                })
            }
        }
    }
}

/// Rows by (status, kind, namespace), in one pass (cluster-scoped objects: namespace "").
pub fn counts_by(inv: &Inventory) -> BTreeMap<(DriftStatus, String, String), usize> {
    let mut out = BTreeMap::new();
    for (row, report) in inv.rows() {
        let key = (
            report.status,
            row.kind().to_string(),
            row.namespace().unwrap_or("").to_string(),
        );
        *out.entry(key).or_insert(0) += 1;
    }
    out
}
