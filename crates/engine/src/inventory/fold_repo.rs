//! Folding the repo's events: a new commit becomes the desired state (unless the user is
//! looking at an older one on purpose), failures keep the last good state.

use super::timeline::Trigger;
use super::{Fact, Inventory, RepoTrouble, RepoView};
use crate::cluster::WatchRequest;
use crate::error::chain;
use crate::model::{Gvk, ORPHAN_KINDS, OWNER_LABEL, OWNER_VALUE, ResourceKey, WatchState};
use crate::repo::{RepoEvent, Snapshot};
use std::collections::{BTreeMap, BTreeSet};

impl Inventory {
    pub fn on_repo(&mut self, event: RepoEvent) -> Vec<Fact> {
        match event {
            RepoEvent::Fetched { manual, changed } => {
                // a fetch that works again clears the last fetch error
                if matches!(self.repo_error, Some(RepoTrouble::Fetch(_))) {
                    self.repo_error = None;
                }
                self.raise(Fact::Fetched { manual, changed });
            }
            RepoEvent::Failed(e) => {
                self.abandon_read();
                self.fail(RepoTrouble::Read(chain(&e)))
            }
            RepoEvent::Reading(part) => self.read_part(*part),
            RepoEvent::FetchFailed(e) => self.fail(RepoTrouble::Fetch(chain(&e))),
            RepoEvent::Snapshot(snap) => self.follow(*snap),
        }
        self.take_facts()
    }

    /// Compares against `snap`, a commit the user chose (or HEAD again), whatever the branch does.
    pub fn travel(&mut self, snap: Snapshot) -> Vec<Fact> {
        self.repo_error = None;
        let at_head = self.head.as_ref().is_none_or(|h| h.id == snap.commit.id);
        self.raise(Fact::Traveled {
            commit: snap.commit.clone(),
            at_head,
        });
        self.apply_snapshot(snap);
        self.take_facts()
    }

    fn fail(&mut self, trouble: RepoTrouble) {
        self.repo_error = Some(trouble.clone());
        self.raise(Fact::RepoFailed(trouble));
    }

    /// The followed revision moved (or was read for the first time).
    fn follow(&mut self, snap: Snapshot) {
        self.repo_error = None;
        let traveling = self.traveling();
        let moved = self.head.as_ref().is_some_and(|h| h.id != snap.commit.id);
        self.head = Some(snap.commit.clone());
        self.log = snap.log.clone();
        if moved {
            self.raise(Fact::NewCommit {
                commit: snap.commit.clone(),
                applied: !traveling,
            });
        }
        // Looking at an older commit on purpose: the branch moving must not pull the view back.
        if !traveling {
            self.apply_snapshot(snap);
        }
    }

    /// Makes `snap` the desired state: rows are judged again and watchers asked for its kinds.
    fn apply_snapshot(&mut self, snap: Snapshot) {
        // what converges while this commit is folded in converged by the commit
        self.trigger = Trigger::Commit(snap.commit.id.clone());
        self.repo = Some(RepoView {
            name: snap.repo.clone(),
            branch: snap.branch.clone(),
            commit: snap.commit.clone(),
            apps: snap.apps.clone(),
        });
        // the first read's parts were folded in as they came: its snapshot is no new source
        let reading = self.reading.take();
        let source_changed =
            reading.is_none() && self.source.as_deref() != Some(snap.source.as_str());
        self.source = Some(snap.source.clone());
        let cluster_kinds = &self.cluster_kinds;
        let old = std::mem::replace(
            &mut self.desired,
            snap.desired
                .into_iter()
                .map(|mut d| {
                    if cluster_kinds.contains(&d.key.gvk()) {
                        super::fold_read::unscope(&mut d);
                    }
                    (d.key.clone(), d)
                })
                .collect(),
        );
        if reading.is_none() {
            self.note_changed_desired(&old);
        }
        let blocked_before: Vec<ResourceKey> = self
            .manifest_errors
            .iter()
            .filter_map(|e| e.object.clone())
            .collect();
        self.manifest_errors = snap.errors;
        self.manifest_notes = snap.notes;
        let rules_changed = self.repo_rules != snap.ignore;
        self.repo_rules = snap.ignore;
        let mut kinds: BTreeMap<Gvk, BTreeSet<String>> = BTreeMap::new();
        for key in self.desired.keys() {
            kinds
                .entry(key.gvk())
                .or_default()
                .extend(key.namespace.clone());
        }
        for gvk in kinds.keys() {
            self.watches
                .entry(gvk.clone())
                .or_insert(WatchState::Connecting);
            self.orphan_kinds.remove(gvk);
        }
        // A commit is not cluster drift: rows are judged again without raising "drift detected".
        self.settled = false;
        if rules_changed {
            self.judge_everything_again();
        }
        let restart = match &reading {
            Some(reading) => self.finish_read(reading, &kinds),
            None => self.changed_kinds(&old),
        };
        self.refresh_after_snapshot(&old, source_changed);
        if reading.is_some() {
            // what no part declared and kdrift applied from here: orphans, now that git is whole
            let orphans: Vec<ResourceKey> = self
                .live
                .keys()
                .filter(|k| !self.desired.contains_key(*k))
                .cloned()
                .collect();
            self.judge_batch("orphans", orphans);
        }
        // objects an error names (declared twice) are judged again, as are those it named before
        let blocked_now = self.manifest_errors.iter().filter_map(|e| e.object.clone());
        let named: BTreeSet<ResourceKey> = blocked_before.into_iter().chain(blocked_now).collect();
        for key in named {
            self.recompute(&key);
        }
        let requests = self.watch_requests(kinds, restart);
        self.raise(Fact::Watch(requests));
        // From here on the cluster's changes raise drift again, unless a kind still waits for
        // its first list: watches that keep running send no new state, so this must not wait.
        self.settled = self.watches_settled();
        self.track_convergence(false);
        self.trigger = Trigger::Live;
    }

    /// Which objects a commit changed, for asking the server about them even where the local
    /// compare sees nothing (not at start: that would be a dry-run per object).
    fn note_changed_desired(&mut self, old: &BTreeMap<ResourceKey, crate::model::Desired>) {
        if old.is_empty() {
            return;
        }
        let mut recheck = BTreeMap::new();
        for (key, now) in &self.desired {
            match old.get(key) {
                Some(before) if before.manifest == now.manifest => {
                    // the same object read again: still to be checked if it was
                    if self.recheck.contains_key(key) {
                        recheck.insert(key.clone(), now.manifest.clone());
                    }
                }
                _ => {
                    recheck.insert(key.clone(), now.manifest.clone());
                }
            }
        }
        self.recheck = recheck;
    }

    /// One watch per declared kind (over the namespaces git uses), restarted when the set of
    /// declared objects of that kind changed (objects now declared were not kept before: only
    /// declared or kdrift-owned objects are); plus label-selected watches that find kdrift's
    /// orphans in common kinds git does not declare.
    fn watch_requests(
        &mut self,
        kinds: BTreeMap<Gvk, BTreeSet<String>>,
        changed: BTreeSet<Gvk>,
    ) -> Vec<WatchRequest> {
        let all_namespaces: BTreeSet<String> = kinds.values().flatten().cloned().collect();
        let mut requests = Vec::new();
        for (group, version, kind) in ORPHAN_KINDS {
            let gvk = Gvk {
                group: group.to_string(),
                version: version.to_string(),
                kind: kind.to_string(),
            };
            if !kinds
                .keys()
                .any(|k| k.group == gvk.group && k.kind == gvk.kind)
            {
                self.orphan_kinds.insert(gvk.clone());
                requests.push(WatchRequest {
                    gvk,
                    selector: Some(format!("{OWNER_LABEL}={OWNER_VALUE}")),
                    restart: false,
                    namespaces: all_namespaces.iter().cloned().collect(),
                });
            }
        }
        for gvk in &changed {
            if let Some(w) = self.watches.get_mut(gvk) {
                *w = WatchState::Connecting;
            }
        }
        // the restarted watch announces its own scopes (they may differ): an old one's list left
        // unfinished must not keep the kind listing
        self.relisting.retain(|(gvk, _), _| !changed.contains(gvk));
        requests.extend(kinds.into_iter().map(|(gvk, ns)| WatchRequest {
            restart: changed.contains(&gvk),
            gvk,
            selector: None,
            namespaces: ns.into_iter().collect(),
        }));
        requests
    }

    /// Kinds whose declared objects a commit changed: their watches start again (objects now
    /// declared were not kept before: only declared or kdrift-owned objects are).
    fn changed_kinds(&self, old: &BTreeMap<ResourceKey, crate::model::Desired>) -> BTreeSet<Gvk> {
        old.keys()
            .filter(|k| !self.desired.contains_key(*k))
            .chain(self.desired.keys().filter(|k| !old.contains_key(*k)))
            .map(ResourceKey::gvk)
            .collect()
    }

    /// Watches of kinds that failed, asked for again (after a sync created the CRDs that define
    /// them, say): each is connecting until its list arrives.
    pub fn rewatch_failed(&mut self) -> Vec<WatchRequest> {
        let failed: BTreeSet<Gvk> = self
            .watches
            .iter()
            .filter(|(_, w)| matches!(w, WatchState::Failed(_)))
            .map(|(g, _)| g.clone())
            .collect();
        let mut requests = Vec::new();
        for gvk in failed {
            let namespaces: BTreeSet<String> = self
                .desired
                .keys()
                .filter(|k| k.gvk() == gvk)
                .filter_map(|k| k.namespace.clone())
                .collect();
            self.watches.insert(gvk.clone(), WatchState::Connecting);
            self.relisting.retain(|(g, _), _| *g != gvk);
            requests.push(WatchRequest {
                gvk,
                selector: None,
                restart: true,
                namespaces: namespaces.into_iter().collect(),
            });
        }
        requests
    }

    /// Every declared kind has been listed (no watch is still connecting).
    pub(super) fn watches_settled(&self) -> bool {
        self.repo.is_some()
            && self
                .watches
                .values()
                .all(|w| !matches!(w, WatchState::Connecting))
    }
}
