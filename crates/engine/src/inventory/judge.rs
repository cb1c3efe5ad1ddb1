//! Judging rows: one object at a time as events arrive, only changed ones after a new commit,
//! everything when the repo's source (and so what counts as an orphan) changes. Forbidden and
//! failed kinds are error rows, never stale verdicts.

use super::{Fact, Inventory, ManifestRow};
use crate::drift::assess_parsed;
use crate::manifest::Manifest;
use crate::model::{Desired, DriftReport, DriftStatus, Gvk, ResourceKey, WatchState};
use crate::sync::{applied_from, gitops_owner};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

impl Inventory {
    /// Judges `keys` as one batch, traced as one `judge` span (its own trace): why, how many,
    /// how many of them drifted. Single watch events are judged one by one, untraced.
    pub(super) fn judge_batch(&mut self, why: &'static str, keys: Vec<ResourceKey>) {
        let span = tracing::info_span!(
            "judge",
            why,
            objects = keys.len(),
            drifted = tracing::field::Empty
        );
        let _batch = span.enter();
        let mut drifted = 0usize;
        for key in keys {
            self.recompute(&key);
            drifted += usize::from(self.verdicts.get(&key).is_some_and(|r| r.status.is_drift()));
        }
        span.record("drifted", drifted);
    }

    /// Re-judges one object and raises "drift detected" when a settled, in-sync object leaves git.
    pub(super) fn recompute(&mut self, key: &ResourceKey) {
        let before = self
            .verdicts
            .get(key)
            .map(|r| (r.status.is_drift(), r.pending));
        let report = match self.unreadable(key) {
            Some(reason) => Some(DriftReport {
                message: Some(reason),
                ..DriftReport::new(DriftStatus::Error)
            }),
            // kept while the first read comes, undeclared so far: no row (there is no source to
            // be an orphan of yet), and nothing to assess for it
            None if self.reading.is_some() && !self.desired.contains_key(key) => None,
            None => {
                let live = self.live_object(key);
                // declared with nothing live: missing, without parsing git's text to say so
                let desired = match live {
                    Some(_) => self.desired_object(key),
                    None => None,
                };
                if live.is_none() && self.desired.contains_key(key) {
                    Some(DriftReport::new(DriftStatus::Missing))
                } else {
                    assess_parsed(
                        desired.as_deref().map(|tree| (key, tree)),
                        live.as_deref(),
                        self.shapes.get(&key.gvk()).map(|s| &**s),
                    )
                    .filter(|r| r.status != DriftStatus::Orphan || self.applied_here(key))
                }
            }
        };
        let Some(local) = report else {
            self.note_timeline(key, None);
            let old = self.verdicts.remove(key);
            self.count_settled_drift(old.as_ref(), None);
            self.retally(key, old.map(|r| r.status), None);
            self.forget_confirmation(key);
            self.forget_writers(key);
            self.first_seen.remove(key);
            return;
        };
        // what the rules ignore is not worth a dry-run; what the server says is ruled on too
        let local = self.apply_ignores(key, local);
        let report = self.with_server_verdict(key, local);
        let mut report = self.apply_ignores(key, report);
        self.note_writers(key, &mut report);
        report.owner = self.live_object(key).and_then(|l| gitops_owner(&l));
        self.note_first_seen(key, &report);
        let news = self.is_news(key, before, &report);
        let (status, change) = (report.status, report.changes.first().cloned().map(Box::new));
        self.note_timeline(key, Some(&report));
        let settled_drift = report.is_settled_drift();
        let old = self.verdicts.insert(key.clone(), report);
        self.count_settled_drift(old.as_ref(), Some(settled_drift));
        self.retally(key, old.map(|r| r.status), Some(status));
        if news {
            self.raise(Fact::DriftDetected {
                key: key.clone(),
                status,
                change,
            });
        }
    }

    /// Drift is news when it appears while settled. Drift the server has yet to confirm is not
    /// news yet (it may be the local compare's noise): it becomes news when confirmed, if it was
    /// suspected while settled (what was there at start is not news).
    fn is_news(
        &mut self,
        key: &ResourceKey,
        before: Option<(bool, bool)>,
        now: &DriftReport,
    ) -> bool {
        let suspected = self.suspects.remove(key);
        match (now.status.is_drift(), now.pending, before) {
            // confirmed drift
            (true, false, Some((true, true))) => suspected,
            (true, false, Some((true, false))) => false,
            // drift the server found in an object a commit changed: the commit's doing
            (true, false, _) => self.settled && !self.recheck.contains_key(key),
            // suspected drift: remembered, news once the server agrees
            (true, true, before) => {
                if suspected || (self.settled && !before.is_some_and(|(drift, _)| drift)) {
                    self.suspects.insert(key.clone());
                }
                false
            }
            (false, _, _) => false,
        }
    }

    /// True when git declares the CRD that defines `key`'s kind.
    pub(super) fn defines_kind(&self, key: &ResourceKey) -> bool {
        self.desired.values().any(|d| {
            d.key.kind == "CustomResourceDefinition" && {
                let m = d.manifest.tree();
                m.pointer("/spec/group").and_then(Value::as_str) == Some(key.group.as_str())
                    && m.pointer("/spec/names/kind").and_then(Value::as_str)
                        == Some(key.kind.as_str())
            }
        })
    }

    /// Why a declared object cannot be judged: it is declared twice, its kind's watch failed, or
    /// its scope is forbidden.
    fn unreadable(&self, key: &ResourceKey) -> Option<String> {
        if !self.desired.contains_key(key) {
            return None;
        }
        if let Some(e) = self
            .manifest_errors
            .iter()
            .find(|e| e.object.as_ref() == Some(key))
        {
            return Some(e.message.clone());
        }
        let gvk = key.gvk();
        if let Some(WatchState::Failed(reason)) = self.watches.get(&gvk) {
            // a kind git itself defines, not installed yet: its objects are simply missing
            // (a sync creates the CRD first, then them)
            if reason.starts_with("unknown kind") && self.defines_kind(key) {
                return None;
            }
            return Some(reason.clone());
        }
        let scope = (gvk.clone(), key.namespace.clone());
        let anywhere = (gvk.clone(), None);
        (self.forbidden.contains(&scope) || self.forbidden.contains(&anywhere)).then(|| match &key
            .namespace
        {
            Some(ns) => format!("forbidden: you may not list/watch {gvk} in namespace {ns}"),
            None => format!("forbidden: you may not list/watch {gvk}"),
        })
    }

    /// kdrift's label says "applied by kdrift", not by *this* repo: another repo's objects must never
    /// look like orphans here (and be offered for pruning). So an orphan must carry this repo and
    /// path's source annotation as well.
    fn applied_here(&self, key: &ResourceKey) -> bool {
        match (&self.source, self.live_object(key)) {
            (Some(source), Some(live)) => applied_from(&live, source),
            _ => false,
        }
    }

    /// Discovery says the kind is cluster-scoped: objects git declared without a namespace were given
    /// `default` when parsed; take it off again so they match what the cluster reports.
    pub(super) fn unscope_cluster_kind(&mut self, gvk: &Gvk) {
        let keys: Vec<ResourceKey> = self
            .desired
            .keys()
            .filter(|k| k.gvk() == *gvk && k.namespace.is_some())
            .cloned()
            .collect();
        if keys.is_empty() {
            return;
        }
        // only the moved rows are judged again: the old key's row goes, the new one comes
        let mut moved = Vec::with_capacity(keys.len() * 2);
        for key in keys {
            if let Some(mut d) = self.desired.remove(&key) {
                super::fold_read::unscope(&mut d);
                moved.push(key);
                moved.push(d.key.clone());
                self.desired.insert(d.key.clone(), d);
            }
        }
        self.judge_batch("cluster-scoped", moved);
    }

    /// After a new commit only rows whose desired object changed are judged again (a commit touching
    /// a few files of 10k costs a few `assess` calls, not 10k). When the source (repo and path)
    /// changes, which objects count as orphans may change too: then everything is rebuilt.
    pub(super) fn refresh_after_snapshot(
        &mut self,
        old: &BTreeMap<ResourceKey, Desired>,
        source_changed: bool,
    ) {
        if source_changed {
            self.rebuild_all();
            return;
        }
        let same = |a: &Desired, b: &Desired| Manifest::same(&a.manifest, &b.manifest) || a == b;
        let changed: Vec<ResourceKey> = old
            .iter()
            .filter(|(k, d)| self.desired.get(*k).is_none_or(|n| !same(n, d)))
            .map(|(k, _)| k)
            .chain(self.desired.keys().filter(|k| !old.contains_key(*k)))
            .cloned()
            .collect();
        self.judge_batch("commit", changed);
        self.rebuild_manifest_rows();
    }

    /// Every row judged again in place (the rules changed): what stays drift is not news again.
    pub(super) fn judge_everything_again(&mut self) {
        let keys: BTreeSet<ResourceKey> = self
            .desired
            .keys()
            .chain(self.live.keys())
            .chain(self.verdicts.keys())
            .cloned()
            .collect();
        self.judge_batch("rules", keys.into_iter().collect());
    }

    fn rebuild_all(&mut self) {
        self.verdicts.clear();
        self.touch_row_set();
        self.tally = Default::default();
        self.settled_drift = 0;
        self.missing.clear();
        let keys: BTreeSet<ResourceKey> = self
            .desired
            .keys()
            .chain(self.live.keys())
            .cloned()
            .collect();
        self.judge_batch("source", keys.into_iter().collect());
        self.rebuild_manifest_rows();
    }

    /// One row per manifest error (and per skipped part), named by file and line.
    fn rebuild_manifest_rows(&mut self) {
        self.touch_row_set();
        let errors = self.manifest_errors.iter().map(|e| (e, DriftStatus::Error));
        let notes = self
            .manifest_notes
            .iter()
            .map(|e| (e, DriftStatus::Skipped));
        self.manifests = errors
            .chain(notes)
            .map(|(e, status)| {
                let row = ManifestRow {
                    source: e.source.clone(),
                    line: e.line,
                    app: e.app.clone(),
                };
                let mut report = DriftReport::new(status);
                report.message = Some(e.message.clone());
                (row, report)
            })
            .collect();
    }
}
