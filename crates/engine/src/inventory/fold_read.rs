//! The first read shown as it goes (`RepoEvent::Reading`): each part's objects become rows and
//! their kinds are watched at once, before the read ends (at 100k manifests a read takes
//! seconds). Until the read's snapshot comes the desired state is known to be incomplete, so:
//! live objects of watched kinds are kept whether or not a part declared them yet (a later part
//! may, and dropping them would mean listing the kind again), nothing is an orphan, nothing is
//! settled (no drift is news), and prunes are withheld. The snapshot then decides.

use super::{Fact, Inventory};
use crate::cluster::{NAMESPACE_WATCHES, WatchRequest};
use crate::drift::is_owned_by_kdrift;
use crate::model::{Desired, Gvk, ResourceKey, WatchState};
use crate::repo::{CommitInfo, ReadPart};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// A first read in progress, as far as its parts have come.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reading {
    pub repo: String,
    pub branch: Option<String>,
    pub commit: CommitInfo,
    /// Objects the parts declared so far.
    pub objects: usize,
    /// Files parsed so far, of `files`.
    pub files_read: usize,
    pub files: usize,
    /// The namespaces each kind's watch was asked for.
    pub(super) scopes: BTreeMap<Gvk, BTreeSet<String>>,
}

impl Inventory {
    /// Folds one part of the first read: its objects are judged and their kinds watched (a kind
    /// seen in a namespace its watch was not asked for is watched again, over all of them, unless
    /// it is read cluster-wide either way).
    pub(super) fn read_part(&mut self, part: ReadPart) {
        // only a first read is shown as it goes: a later commit is judged whole
        if self.repo.is_some() && self.reading.is_none() {
            return;
        }
        let reading = self.reading.get_or_insert_with(|| Reading {
            repo: part.repo.clone(),
            branch: part.branch.clone(),
            commit: part.commit.clone(),
            ..Reading::default()
        });
        if reading.commit.id != part.commit.id {
            return; // parts of another read: its snapshot decides
        }
        reading.objects += part.desired.len();
        reading.files_read = part.files_read;
        reading.files = part.files;
        // the repo's rules from the first part on: its snapshot then changes none of them
        let rules_changed = self.repo_rules != part.ignore;
        self.repo_rules = part.ignore;
        if rules_changed {
            self.judge_everything_again();
        }
        let Some(reading) = self.reading.as_mut() else {
            return;
        };
        // per kind touched: the namespaces its watch was asked for before this part (none: new)
        let mut before: BTreeMap<Gvk, Option<BTreeSet<String>>> = BTreeMap::new();
        let mut keys = Vec::with_capacity(part.desired.len());
        for mut d in part.desired {
            let gvk = d.key.gvk();
            if self.cluster_kinds.contains(&gvk) {
                unscope(&mut d);
            }
            if !before.contains_key(&gvk) {
                before.insert(gvk.clone(), reading.scopes.get(&gvk).cloned());
            }
            let scopes = reading.scopes.entry(gvk).or_default();
            if let Some(ns) = &d.key.namespace
                && !scopes.contains(ns)
            {
                scopes.insert(ns.clone());
            }
            keys.push(d.key.clone());
            self.desired.insert(d.key.clone(), d);
        }
        let touched: Vec<(Gvk, Option<BTreeSet<String>>, BTreeSet<String>)> = before
            .into_iter()
            .filter_map(|(gvk, asked)| {
                let now = reading.scopes[&gvk].clone();
                (asked.as_ref() != Some(&now)).then_some((gvk, asked, now))
            })
            .collect();
        let mut requests = Vec::with_capacity(touched.len());
        for (gvk, asked, now) in touched {
            let restart = match &asked {
                None => false,
                Some(asked) if self.reads_differently(&gvk, asked, &now) => true,
                // read cluster-wide either way: the running watch sees the new namespace too
                Some(_) => continue,
            };
            if restart {
                // its list starts again over the wider scope: rows say "listing" until it ends
                self.watches.insert(gvk.clone(), WatchState::Connecting);
                self.relisting.retain(|(g, _), _| *g != gvk);
            } else {
                self.watches
                    .entry(gvk.clone())
                    .or_insert(WatchState::Connecting);
            }
            requests.push(WatchRequest {
                gvk,
                selector: None,
                restart,
                namespaces: now.into_iter().collect(),
            });
        }
        self.judge_batch("read", keys);
        if !requests.is_empty() {
            self.raise(Fact::Watch(requests));
        }
    }

    /// The read's snapshot came: live objects kept only because a later part might declare
    /// them are dropped. The kinds whose watch must start again (the snapshot's namespaces are
    /// not those the parts asked for) are returned.
    pub(super) fn finish_read(
        &mut self,
        reading: &Reading,
        kinds: &BTreeMap<Gvk, BTreeSet<String>>,
    ) -> BTreeSet<Gvk> {
        let strays: Vec<ResourceKey> = self
            .live
            .iter()
            .filter(|(k, _)| !self.desired.contains_key(*k))
            .filter(|(_, o)| !is_owned_by_kdrift(&o.value()))
            .map(|(k, _)| k.clone())
            .collect();
        for key in &strays {
            self.drop_live(key);
        }
        kinds
            .iter()
            .filter(|(gvk, ns)| {
                reading
                    .scopes
                    .get(*gvk)
                    .is_some_and(|asked| self.reads_differently(gvk, asked, ns))
            })
            .map(|(gvk, _)| gvk.clone())
            .collect()
    }

    /// Whether a kind's watch asked for `asked` namespaces must start again to read `now`: not
    /// when both are more than `NAMESPACE_WATCHES` and the kind may be read cluster-wide (one
    /// cluster-wide read either way, `cluster::scope::prepare`), else whenever they differ.
    fn reads_differently(
        &self,
        gvk: &Gvk,
        asked: &BTreeSet<String>,
        now: &BTreeSet<String>,
    ) -> bool {
        let wide = |n: &BTreeSet<String>| n.len() > NAMESPACE_WATCHES;
        asked != now
            && !(wide(asked) && wide(now) && !self.forbidden.contains(&(gvk.clone(), None)))
    }

    /// The read failed after some of its parts came: what they declared is not a desired state
    /// (half a repo would show the rest as missing from git, and its kinds' objects as kept).
    pub(super) fn abandon_read(&mut self) {
        if self.reading.take().is_none() {
            return;
        }
        self.desired.clear();
        let kept: Vec<ResourceKey> = self
            .live
            .iter()
            .filter(|(_, o)| !is_owned_by_kdrift(&o.value()))
            .map(|(k, _)| k.clone())
            .collect();
        for key in &kept {
            self.drop_live(key);
        }
        let rows: Vec<ResourceKey> = self.verdicts.keys().cloned().collect();
        self.judge_batch("read failed", rows);
    }

    /// Whether the first read is still coming in parts (the desired state is incomplete).
    pub fn is_reading(&self) -> bool {
        self.reading.is_some()
    }
}

/// A cluster-scoped kind's object, declared without a namespace, was given `default` when
/// parsed: taken off again so it matches what the cluster reports.
pub(super) fn unscope(d: &mut Desired) {
    if d.key.namespace.is_none() {
        return;
    }
    d.manifest.edit(|m| {
        if let Some(meta) = m.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.remove("namespace");
        }
    });
    d.key.namespace = None;
}
