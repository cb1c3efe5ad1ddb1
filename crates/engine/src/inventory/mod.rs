//! The engine's inventory: what git declares, what the cluster has, and the verdict on every
//! row, kept current as events arrive. It owns the drift rules (which objects are kept, what
//! is an orphan, when the table has settled, when a change is "drift detected"), so every front
//! end judges the same way: the TUI holds one, `kdrift check` fills one from single lists.
//!
//! It reads no clock and does no I/O: events go in, [`Fact`]s come out.

mod confirm;
mod fights;
mod fold_kube;
mod fold_read;
mod fold_repo;
mod ignore;
mod judge;
mod live;
#[cfg(test)]
mod reading_tests;
mod rows;
mod seek;
mod seen;
#[cfg(test)]
mod tests;
mod timeline;

pub use fold_read::Reading;
pub use rows::{MANIFEST_API_VERSION, MANIFEST_KIND, ManifestRow, Row, Rows};

use crate::cluster::{ConfirmRequest, Confirmation, LogTarget, Scope, WatchRequest};
use crate::drift::{IgnoreRules, Shape};
use crate::health::Health;
use crate::manifest::Manifest;
use crate::model::{
    Desired, DriftReport, DriftStatus, FieldChange, Fight, Gvk, ManifestError, ResourceKey,
    WatchState,
};
use crate::repo::{CommitInfo, STALE};
use crate::sync::{PlanInput, SyncPlan, plan_sync, withhold_prunes};
pub use live::LiveObject;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;
pub use timeline::{Converged, MAX_ENTRIES as TIMELINE_ENTRIES, Timeline, TimelineEntry};

/// The commit the desired state comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct RepoView {
    pub name: String,
    pub branch: Option<String>,
    pub commit: CommitInfo,
    /// The apps the commit's Argo CD and Flux definitions declare.
    pub apps: Vec<crate::repo::apps::AppInfo>,
}

/// Why the repo is not current: the last read failed, or a URL repo's last fetch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepoTrouble {
    Read(String),
    Fetch(String),
}

impl fmt::Display for RepoTrouble {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RepoTrouble::Read(e) => f.write_str(e),
            RepoTrouble::Fetch(e) => write!(f, "{STALE}: {e}"),
        }
    }
}

/// Something that became true while folding an event, for front ends to show, alert on or act on.
#[derive(Debug, Clone, PartialEq)]
pub enum Fact {
    /// The desired state changed: these kinds must be watched (running watchers are kept
    /// unless `restart`).
    Watch(Vec<WatchRequest>),
    /// The followed branch moved to `commit`. `applied`: it is now the desired state (false
    /// while comparing against an older commit on purpose).
    NewCommit {
        commit: CommitInfo,
        applied: bool,
    },
    /// The desired state now comes from `commit`, chosen by the user; `at_head`: back at HEAD.
    Traveled {
        commit: CommitInfo,
        at_head: bool,
    },
    RepoFailed(RepoTrouble),
    /// A URL repo's mirror was fetched.
    Fetched {
        manual: bool,
        changed: bool,
    },
    /// Every watched kind has listed since the desired state last changed.
    Settled,
    /// Ask the server to confirm these verdicts (stage 2: a server-side apply dry-run each);
    /// the answers come back as `KubeEvent::Confirmed`.
    Confirm(Vec<ConfirmRequest>),
    /// A settled row left git's state: `change` is its first differing field, if any.
    DriftDetected {
        key: ResourceKey,
        status: DriftStatus,
        change: Option<Box<FieldChange>>,
    },
    /// The last drifted row came back in line with git.
    Converged {
        resources: usize,
    },
    /// Two managers began taking a field from each other.
    Fight {
        key: ResourceKey,
        fight: Fight,
    },
}

#[derive(Debug, Default, Clone)]
pub struct Inventory {
    /// The commit being compared against (HEAD, or an older one while time traveling).
    pub repo: Option<RepoView>,
    /// The repo and path applying the desired state (`Snapshot::source`): only objects stamped
    /// with it are this repo's orphans.
    pub source: Option<String>,
    /// The followed revision's newest commit, and its history.
    pub head: Option<CommitInfo>,
    pub log: Vec<CommitInfo>,
    pub repo_error: Option<RepoTrouble>,
    /// The first read while its parts come (`fold_read.rs`); `repo` is set when it ends.
    pub reading: Option<Reading>,
    pub desired: BTreeMap<ResourceKey, Desired>,
    pub manifest_errors: Vec<ManifestError>,
    /// Parts of the repo skipped on purpose (submodules): rows that block nothing.
    pub manifest_notes: Vec<ManifestError>,
    /// Live objects git declares or kdrift owns, slimmed (see `fold_kube::slim`). Shared, so a
    /// diff job can take one without copying it. Private: `synced_from` is counted from it.
    live: BTreeMap<ResourceKey, Arc<LiveObject>>,
    /// Lists in progress (`KubeEvent::ListStarted`), by kind and scope: the live objects they
    /// have yet to bring again; what is left when the list is done has gone.
    relisting: BTreeMap<(Gvk, Scope), BTreeSet<ResourceKey>>,
    /// Changes when a row comes or goes, a row's status changes or its live object is another
    /// one under the same name (unique across inventories): all a filter matches on and a sort
    /// orders by. A watch event that changes an object but not its status (the
    /// usual one under load) leaves it, so a filter is not worked out again per event.
    rows_stamp: u64,
    /// Changes only when a row comes or goes (row positions move); moves with `rows_stamp`.
    row_set_stamp: u64,
    /// Every `seek::MARK_EVERY`th row, so `rows_from` jumps to a position instead of stepping
    /// over every row before it; rebuilt (lazily) when a row came or went.
    marks: seek::Marks,
    /// Trees of live objects at hand while an event is folded (see `live.rs`).
    trees: live::Trees,
    /// One verdict per object row (changed only through `judge.rs`, which keeps `tally`).
    pub verdicts: BTreeMap<ResourceKey, DriftReport>,
    /// How many verdicts have each status, kept as they change: the header's counts cost
    /// nothing per frame, whatever the number of rows.
    tally: [usize; DriftStatus::ALL.len()],
    /// How many verdicts are confirmed drift (`DriftReport::is_settled_drift`), kept as they
    /// change: whether anything drifted is asked on every event, and finding the one drifted row
    /// among 100k was a walk over the rows before it per event.
    settled_drift: usize,
    /// Rows that say "missing", by kind, kept with `tally`: while a kind lists, those are the
    /// rows that say "listing", counted for the header without a pass over 100k rows per frame.
    missing: BTreeMap<Gvk, usize>,
    /// One row per manifest error and skipped part.
    pub manifests: BTreeMap<ManifestRow, DriftReport>,
    pub watches: BTreeMap<Gvk, WatchState>,
    /// Scopes (kind, namespace or `None` for everywhere) the user may not list/watch.
    pub forbidden: BTreeSet<(Gvk, Option<String>)>,
    /// Kinds git does not declare, watched only for objects carrying kdrift's label.
    pub orphan_kinds: BTreeSet<Gvk>,
    /// Kinds discovery says are cluster-scoped: git's objects of them lose the `default`
    /// namespace they were given when parsed, as they come.
    cluster_kinds: BTreeSet<Gvk>,
    /// True once every watched kind has listed: only then are changes "drift detected".
    pub settled: bool,
    /// How many live objects kdrift applied from each commit (counted as they come and go, so
    /// the commits pane's "last synced" mark costs nothing to draw).
    synced_from: BTreeMap<String, usize>,
    /// Live objects that are not healthy, and why (from `status`, read before it is dropped).
    unhealthy: BTreeMap<ResourceKey, Health>,
    /// Whether local drift is sent to the server to confirm (stage 2); off, the local compare
    /// decides alone.
    server_checks: bool,
    /// The server's last answer per object; it decides while its desired object and live
    /// resourceVersion are the current ones.
    confirmations: BTreeMap<ResourceKey, Confirmation>,
    /// Objects whose desired side changed with a commit while the local compare calls them in
    /// sync: the server is asked too (git dropping a field live still has is drift only it
    /// sees), for as long as that desired object is the current one.
    recheck: BTreeMap<ResourceKey, Manifest>,
    /// Requests on their way, by the desired object and live version they are for.
    asked: BTreeMap<ResourceKey, (Manifest, Option<String>)>,
    /// Requests raised by the event being folded.
    to_confirm: Vec<ConfirmRequest>,
    /// Rows whose drift appeared while settled and waits for the server: news once confirmed.
    suspects: BTreeSet<ResourceKey>,
    /// Ignore rules from the repo's `.kdrift.toml` (at the compared commit) and the user's config.
    repo_rules: IgnoreRules,
    user_rules: IgnoreRules,
    /// A confirmed drift has been seen since the last time everything matched: only then is
    /// everything matching again "converged" (a local suspicion the server clears is not).
    had_drift: bool,
    /// Each watched kind's API schema, where the server gave one.
    shapes: BTreeMap<Gvk, Arc<Shape>>,
    /// The front end's clock at the event being folded (0: unknown).
    clock_ms: u64,
    /// When each drifted field was first seen drifted (ms since the epoch).
    first_seen: BTreeMap<ResourceKey, BTreeMap<String, u64>>,
    /// Who wrote the fields that drifted, per object, for seeing fights.
    writers: BTreeMap<ResourceKey, fights::Writers>,
    /// Facts raised by the event being folded, handed out when it is done.
    facts: Vec<Fact>,
    /// Drift as it started and ended, per object, since kdrift started.
    timeline: Timeline,
    /// What the event being folded changed (the cluster, or git's commit).
    trigger: timeline::Trigger,
}

impl Inventory {
    /// An inventory whose local drift verdicts the server confirms (stage 2).
    pub fn with_server_checks() -> Self {
        Self {
            server_checks: true,
            ..Self::default()
        }
    }

    /// Every row in display order (namespace, kind, name).
    pub fn rows(&self) -> Rows<'_> {
        Rows {
            objects: self.verdicts.range(..).peekable(),
            manifests: self.manifests.range(..).peekable(),
        }
    }

    /// See `rows_stamp`.
    pub fn rows_stamp(&self) -> u64 {
        self.rows_stamp
    }

    fn touch_rows(&mut self) {
        self.rows_stamp = next_stamp();
    }

    /// See `row_set_stamp`.
    pub fn row_set_stamp(&self) -> u64 {
        self.row_set_stamp
    }

    /// The set of rows changed (not only a status): positions move.
    fn touch_row_set(&mut self) {
        self.touch_rows();
        self.row_set_stamp = self.rows_stamp;
        self.marks.forget();
    }

    pub fn row_count(&self) -> usize {
        self.verdicts.len() + self.manifests.len()
    }

    pub fn report(&self, row: Row<'_>) -> Option<&DriftReport> {
        match row {
            Row::Object(k) => self.verdicts.get(k),
            Row::Manifest(m) => self.manifests.get(m),
        }
    }

    pub fn count(&self, status: DriftStatus) -> usize {
        self.tally[status.index()]
            + self
                .manifests
                .values()
                .filter(|r| r.status == status)
                .count()
    }

    /// Whether `key`'s kind has not listed yet: its row says "missing" only because nothing
    /// has been seen of the kind so far, and a screen should say "listing" instead.
    pub fn is_listing(&self, key: &ResourceKey) -> bool {
        matches!(self.watches.get(&key.gvk()), Some(WatchState::Connecting))
            && self
                .verdicts
                .get(key)
                .is_some_and(|r| r.status == DriftStatus::Missing)
    }

    /// How many rows `is_listing` (nothing to count once every kind has listed).
    pub fn listing(&self) -> usize {
        if !self
            .watches
            .values()
            .any(|w| matches!(w, WatchState::Connecting))
        {
            return 0;
        }
        self.watches
            .iter()
            .filter(|(_, w)| matches!(w, WatchState::Connecting))
            .filter_map(|(gvk, _)| self.missing.get(gvk))
            .sum()
    }

    /// Object rows that drifted (from the tally: no pass over the rows).
    pub fn drifted_count(&self) -> usize {
        DriftStatus::ALL
            .iter()
            .filter(|s| s.is_drift())
            .map(|s| self.tally[s.index()])
            .sum()
    }

    /// A verdict replaced `old`; `new`: whether the new one is confirmed drift (`None`: no
    /// verdict now).
    fn count_settled_drift(&mut self, old: Option<&DriftReport>, new: Option<bool>) {
        if old.is_some_and(DriftReport::is_settled_drift) {
            self.settled_drift -= 1;
        }
        if new == Some(true) {
            self.settled_drift += 1;
        }
    }

    /// A verdict changed from `old` to `new` (`None`: no verdict).
    fn retally(&mut self, key: &ResourceKey, old: Option<DriftStatus>, new: Option<DriftStatus>) {
        if old.is_none() != new.is_none() {
            self.touch_row_set();
        } else if old != new {
            self.touch_rows();
        }
        let missing = |s: Option<DriftStatus>| s == Some(DriftStatus::Missing);
        if missing(old) != missing(new) {
            let gvk = key.gvk();
            if missing(new) {
                *self.missing.entry(gvk).or_default() += 1;
            } else if let Some(n) = self.missing.get_mut(&gvk) {
                *n -= 1;
                if *n == 0 {
                    self.missing.remove(&gvk);
                }
            }
        }
        if let Some(s) = old {
            self.tally[s.index()] -= 1;
        }
        if let Some(s) = new {
            self.tally[s.index()] += 1;
        }
    }

    pub fn drifted_keys(&self) -> Vec<ResourceKey> {
        self.verdicts
            .iter()
            .filter(|(_, r)| r.status.is_drift())
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// What "sync everything" plans: every drifted row, and every error row, so that what git
    /// could not describe (no name, an unknown kind, declared twice) is listed as blocked in the
    /// plan rather than silently left out of it.
    pub fn sync_keys(&self) -> Vec<ResourceKey> {
        self.verdicts
            .iter()
            .filter(|(_, r)| r.status.is_drift() || r.status == DriftStatus::Error)
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// A kind's API schema, when the server gave one.
    pub fn shape(&self, gvk: &Gvk) -> Option<&Arc<Shape>> {
        self.shapes.get(gvk)
    }

    /// Live objects git declares or kdrift owns, as kept (compact text).
    pub fn live(&self) -> &BTreeMap<ResourceKey, Arc<LiveObject>> {
        &self.live
    }

    /// One live object as a tree: the watch's own while its event is folded, else parsed from
    /// what is kept (a pane asking for the selected object, a commit judging it again).
    pub fn live_object(&self, key: &ResourceKey) -> Option<Arc<Value>> {
        self.live.get(key).map(|obj| self.trees.of(key, obj))
    }

    /// Git's object for `key` as a tree, parsed from its text (the last one parsed is kept: a
    /// judgement asks several times).
    pub fn desired_object(&self, key: &ResourceKey) -> Option<Arc<Value>> {
        self.desired
            .get(key)
            .map(|d| self.trees.of_desired(&d.manifest))
    }

    /// Every value of the Secrets kdrift knows (git's and the cluster's), in each spelling, to
    /// scrub from text that did not come through the masked diff (pod logs, messages).
    pub fn secret_values(&self) -> Vec<String> {
        let desired: Vec<Value> = self
            .desired
            .values()
            .filter(|d| d.key.is_secret())
            .map(|d| d.manifest.tree())
            .collect();
        let live: Vec<Value> = self
            .live
            .iter()
            .filter(|(k, _)| k.is_secret())
            .map(|(_, v)| v.value())
            .collect();
        // A value that is also a name git gives (a namespace, an object) is on screen as that
        // name anyway; masking it would garble every message naming it ("assigned *** (hidden)/
        // redis-0") and tell nothing it does not.
        let is_name = |v: &String| {
            self.desired
                .keys()
                .any(|k| k.name == *v || k.namespace.as_deref() == Some(v.as_str()))
        };
        let mut values: Vec<String> = desired
            .iter()
            .chain(live.iter())
            .flat_map(crate::drift::secret_values)
            .filter(|v| !is_name(v))
            .collect();
        values.sort();
        values.dedup();
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        values
    }

    /// The app that renders a row's object (or that a manifest row is about).
    pub fn app_of<'a>(&'a self, row: Row<'a>) -> Option<&'a str> {
        match row {
            Row::Object(key) => self.desired.get(key).and_then(|d| d.app.as_deref()),
            Row::Manifest(m) => m.app.as_deref(),
        }
    }

    /// Where a row comes from: the file that declared it (an object's, or a manifest row's) and
    /// the app that renders it.
    pub fn origin<'a>(&'a self, row: Row<'a>) -> (Option<&'a str>, Option<&'a str>) {
        let source = match row {
            Row::Object(key) => self.desired.get(key).map(|d| d.source.as_str()),
            Row::Manifest(m) => Some(m.source.as_str()),
        };
        (source, self.app_of(row))
    }

    /// Does the commit declare apps (Argo CD or Flux definitions)?
    pub fn has_apps(&self) -> bool {
        self.repo.as_ref().is_some_and(|r| !r.apps.is_empty())
    }

    /// The live object's health (None when it is not in the cluster).
    pub fn health(&self, key: &ResourceKey) -> Option<Health> {
        if !self.live.contains_key(key) {
            return None;
        }
        Some(self.unhealthy.get(key).cloned().unwrap_or(Health::Healthy))
    }

    /// The commit most live objects were applied from, by kdrift's annotation.
    pub fn synced_commit(&self) -> Option<&str> {
        self.synced_from
            .iter()
            .max_by_key(|(c, n)| (**n, c.as_str()))
            .map(|(c, _)| c.as_str())
    }

    /// Comparing against a commit other than the followed HEAD.
    pub fn traveling(&self) -> bool {
        match (&self.repo, &self.head) {
            (Some(r), Some(h)) => r.commit.id != h.id,
            _ => false,
        }
    }

    /// What converging `keys` would do; orphans are deleted only when `prune` asks. Prunes are
    /// withheld whenever the desired state may be incomplete: a manifest failed to parse, or git
    /// declares nothing.
    pub fn plan_sync(&self, keys: &[ResourceKey], prune: bool) -> SyncPlan {
        let live: BTreeMap<ResourceKey, Arc<Value>> = keys
            .iter()
            .filter_map(|k| Some((k.clone(), self.live_object(k)?)))
            .collect();
        let input = PlanInput {
            reports: &self.verdicts,
            desired: &self.desired,
            live: &live,
            commit: self.repo.as_ref().map(|r| r.commit.id.as_str()),
            source: self.source.as_deref(),
            prune,
        };
        let mut plan = plan_sync(keys, &input);
        plan.unreadable = self
            .manifest_errors
            .iter()
            .filter(|e| e.object.is_none())
            .map(|e| {
                let at = match e.line {
                    Some(line) => format!("{}:{line}", e.source),
                    None => e.source.clone(),
                };
                (at, e.message.clone())
            })
            .collect();
        if self.reading.is_some() {
            withhold_prunes(&mut plan, "not pruned: the repo is still being read");
        } else if !self.manifest_errors.is_empty() {
            withhold_prunes(&mut plan, "not pruned: some manifests failed to parse");
        } else if self.desired.is_empty() {
            withhold_prunes(&mut plan, "not pruned: git declares nothing");
        }
        plan
    }

    /// The pods of a workload: those its `spec.selector.matchLabels` selects (live first, then git).
    pub fn log_target(&self, key: &ResourceKey) -> Option<LogTarget> {
        if !key.is_workload() {
            return None;
        }
        let source = self.live_object(key).or_else(|| self.desired_object(key))?;
        let labels = source.pointer("/spec/selector/matchLabels")?.as_object()?;
        let selector: BTreeMap<String, String> = labels
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect();
        if selector.is_empty() {
            return None;
        }
        Some(LogTarget {
            key: key.clone(),
            namespace: key.namespace.clone().unwrap_or_else(|| "default".into()),
            selector,
        })
    }

    fn raise(&mut self, fact: Fact) {
        self.facts.push(fact);
    }

    fn take_facts(&mut self) -> Vec<Fact> {
        self.trees.settle();
        if !self.to_confirm.is_empty() {
            let requests = std::mem::take(&mut self.to_confirm);
            self.facts.push(Fact::Confirm(requests));
        }
        std::mem::take(&mut self.facts)
    }

    /// Notes a confirmed drift, or says "converged" when the last one is gone.
    fn track_convergence(&mut self, may_raise: bool) {
        if !self.settled {
            return;
        }
        // the tally first: with nothing drifted (the usual case) no row is looked at, so an
        // event costs the same at 100 rows and at 100,000
        let drifted = self.drifted_count();
        if drifted > 0 && self.settled_drift > 0 {
            self.had_drift = true;
        } else if may_raise && self.had_drift && drifted == 0 {
            self.had_drift = false;
            let resources = self.row_count();
            self.raise(Fact::Converged { resources });
        }
    }
}

/// A value no inventory has had: stamps from different inventories never compare equal.
fn next_stamp() -> u64 {
    static STAMPS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    STAMPS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}
