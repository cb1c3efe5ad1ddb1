//! Folding the watchers' events: lists replace a kind's objects at once, single events change
//! one row, watch health marks rows of failed kinds.

use super::{Fact, Inventory};
use crate::cluster::{KubeEvent, Scope};
use crate::drift::is_owned_by_kdrift;
use crate::health::health_of;
use crate::model::{Gvk, ResourceKey, WatchState};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;

impl Inventory {
    pub fn on_kube(&mut self, event: KubeEvent) -> Vec<Fact> {
        // Orphan-only kinds are best effort: their health and permissions are not the user's concern.
        if let KubeEvent::Watch { gvk, .. } | KubeEvent::Forbidden { gvk, .. } = &event
            && self.orphan_kinds.contains(gvk)
        {
            return Vec::new();
        }
        match event {
            KubeEvent::Resolved { gvk, namespaced } => {
                if !namespaced {
                    self.cluster_kinds.insert(gvk.clone());
                    self.unscope_cluster_kind(&gvk);
                }
            }
            KubeEvent::Forbidden { gvk, namespace } => {
                let keys: Vec<ResourceKey> = self
                    .desired
                    .keys()
                    .filter(|k| k.gvk() == gvk && (namespace.is_none() || k.namespace == namespace))
                    .cloned()
                    .collect();
                self.forbidden.insert((gvk, namespace));
                for key in keys {
                    self.recompute(&key);
                }
            }
            KubeEvent::ListStarted { gvk, scope } => {
                // what this list must bring again, or see removed when it is done
                let unseen = self.live_in_scope(&gvk, &scope).collect();
                self.relisting.insert((gvk, scope), unseen);
            }
            KubeEvent::ListPage {
                gvk,
                scope,
                objects,
            } => {
                let touched = self.store_page(&gvk, &scope, objects);
                self.judge_batch("list page", touched);
            }
            KubeEvent::Listed {
                gvk,
                scope,
                objects,
            } => {
                let mut touched = self.store_page(&gvk, &scope, objects);
                // a list that came whole replaces everything in its scope
                let stale: Vec<ResourceKey> =
                    match self.relisting.remove(&(gvk.clone(), scope.clone())) {
                        Some(unseen) => unseen.into_iter().collect(),
                        None => {
                            let brought: BTreeSet<&ResourceKey> = touched.iter().collect();
                            self.live_in_scope(&gvk, &scope)
                                .filter(|k| !brought.contains(k))
                                .collect()
                        }
                    };
                for key in &stale {
                    self.drop_live(key);
                }
                touched.extend(stale);
                // live once every scope announced has listed: a namespace still listing keeps
                // the kind (and so its rows) "listing" rather than missing
                let listing = self
                    .relisting
                    .keys()
                    .any(|(g, s)| *g == gvk && !s.is_sweep());
                if !self.orphan_kinds.contains(&gvk) && !scope.is_sweep() && !listing {
                    self.watches.insert(gvk.clone(), WatchState::Live);
                }
                // what git declares and the list lacks is drift from the moment the kind listed
                let absent: Vec<ResourceKey> = self
                    .desired
                    .keys()
                    .filter(|k| k.gvk() == gvk && scope.holds(k.namespace.as_deref()))
                    .filter(|k| !self.live.contains_key(*k))
                    .cloned()
                    .collect();
                self.judge_batch("list", touched);
                for key in absent {
                    let report = self.verdicts.get(&key).cloned();
                    self.note_timeline(&key, report.as_ref());
                }
                let was_settled = self.settled;
                self.settled = self.watches_settled();
                if self.settled && !was_settled {
                    self.raise(Fact::Settled);
                    self.track_convergence(false);
                    return self.take_facts();
                }
            }
            KubeEvent::Applied(obj) => {
                if let Some(key) = self.store_live(obj) {
                    self.recompute(&key);
                }
            }
            KubeEvent::Deleted(obj) => {
                if let Some(key) = ResourceKey::from_object(&obj) {
                    self.drop_live(&key);
                    self.recompute(&key);
                }
            }
            KubeEvent::Confirmed(answer) => self.confirmed(*answer),
            KubeEvent::Shape { gvk, shape } => {
                self.shapes.insert(gvk.clone(), shape);
                let keys: Vec<ResourceKey> = self
                    .live
                    .keys()
                    .filter(|k| k.gvk() == gvk)
                    .cloned()
                    .collect();
                for key in keys {
                    self.recompute(&key);
                }
            }
            KubeEvent::Watch { gvk, state } => {
                let failed = matches!(state, WatchState::Failed(_));
                self.watches.insert(gvk.clone(), state);
                if failed {
                    // judged again: error rows, or missing where git defines the kind itself
                    let keys: Vec<_> = self
                        .desired
                        .keys()
                        .filter(|k| k.gvk() == gvk)
                        .cloned()
                        .collect();
                    for key in keys {
                        self.recompute(&key);
                    }
                }
                self.settled = self.watches_settled();
            }
        }
        self.track_convergence(true);
        self.take_facts()
    }

    /// Stores part of a list; the keys it stored, to judge. Each is no longer waited for by the
    /// list in progress in its scope.
    fn store_page(&mut self, gvk: &Gvk, scope: &Scope, objects: Vec<Value>) -> Vec<ResourceKey> {
        let mut unseen = self.relisting.remove(&(gvk.clone(), scope.clone()));
        let mut touched = Vec::with_capacity(objects.len());
        for obj in objects {
            if let Some(key) = self.store_live(obj) {
                if let Some(unseen) = unseen.as_mut() {
                    unseen.remove(&key);
                }
                touched.push(key);
            }
        }
        if let Some(unseen) = unseen {
            self.relisting.insert((gvk.clone(), scope.clone()), unseen);
        }
        touched
    }

    /// Live objects of `gvk` that `scope` reads.
    fn live_in_scope<'a>(
        &'a self,
        gvk: &'a Gvk,
        scope: &'a Scope,
    ) -> impl Iterator<Item = ResourceKey> + 'a {
        self.live
            .keys()
            .filter(move |k| k.group == gvk.group && k.kind == gvk.kind)
            .filter(move |k| scope.holds(k.namespace.as_deref()))
            .cloned()
    }

    /// Keeps a live object only when it matters: declared in git, or owned by kdrift (possible orphan).
    fn store_live(&mut self, mut obj: Value) -> Option<ResourceKey> {
        let key = ResourceKey::from_object(&obj)?;
        // the desired object's copy of the key, so every map shares one (a re-list's keys too)
        let key = match self.desired.get_key_value(&key) {
            Some((shared, _)) => shared.clone(),
            // while the first read comes in parts, a later part may declare it
            None if self.reading.is_none() && !is_owned_by_kdrift(&obj) => return None,
            None => key,
        };
        // health reads `status`, which the cache drops: judged now, kept only when not healthy
        let health = health_of(&key.group, &key.kind, &obj);
        slim(&mut obj);
        let created_before = self.live.get(&key).map(|o| o.created());
        self.drop_live(&key);
        if !health.is_healthy() {
            self.unhealthy.insert(key.clone(), health);
        }
        let kept = Arc::new(super::LiveObject::new(&obj));
        if created_before.is_some_and(|c| c != kept.created()) {
            // another object under the same name (deleted and made again between two events):
            // the table's age order sees it
            self.touch_rows();
        }
        if let Some(commit) = kept.synced_from() {
            *self.synced_from.entry(commit.to_string()).or_default() += 1;
        }
        self.live.insert(key.clone(), kept);
        // judged from the watch's own tree while this event is folded: nothing is parsed back
        self.trees.fresh.insert(key.clone(), Arc::new(obj));
        Some(key)
    }

    pub(super) fn drop_live(&mut self, key: &ResourceKey) {
        self.unhealthy.remove(key);
        self.trees.fresh.remove(key);
        let Some(old) = self.live.remove(key) else {
            return;
        };
        if let Some(commit) = old.synced_from()
            && let Some(n) = self.synced_from.get_mut(commit)
        {
            *n -= 1;
            if *n == 0 {
                self.synced_from.remove(commit);
            }
        }
    }
}

/// Drops what no pane or judgement uses, to keep the cache small: `status` (drift ignores it), the
/// last-applied annotation (a copy of the object, and of a Secret's values), and the status part of
/// each managedFields entry (provenance is only asked about fields git declares).
fn slim(obj: &mut Value) {
    let Some(map) = obj.as_object_mut() else {
        return;
    };
    map.remove("status");
    if let Some(ann) = obj
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        ann.remove("kubectl.kubernetes.io/last-applied-configuration");
    }
    if let Some(entries) = obj
        .pointer_mut("/metadata/managedFields")
        .and_then(Value::as_array_mut)
    {
        for entry in entries.iter_mut() {
            if let Some(fields) = entry.get_mut("fieldsV1").and_then(Value::as_object_mut) {
                fields.remove("f:status");
            }
        }
        // An entry that owned only status fields is now empty.
        entries.retain(|e| {
            e.get("fieldsV1")
                .and_then(Value::as_object)
                .is_none_or(|f| !f.is_empty())
        });
    }
}
