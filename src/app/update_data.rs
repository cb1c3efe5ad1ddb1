//! Folding repo snapshots, watch events and log batches into State, and judging drift as they arrive.

use super::msg::{Cmd, KubeMsg, LogMsg, RepoMsg, WatchRequest};
use super::state::{CommitFiles, LOG_CAPACITY, NoticeKind, RepoView, State};
use crate::drift::{assess, is_owned_by_kdrift};
use crate::model::{
    Desired, DriftReport, DriftStatus, Gvk, ORPHAN_KINDS, OWNER_LABEL, OWNER_VALUE, ResourceKey,
    WatchState,
};
use crate::repo::Snapshot;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Group used for synthetic rows that stand for bad manifests.
pub const MANIFEST_GROUP: &str = "kdrift.dev";

pub fn on_repo(state: &mut State, msg: RepoMsg, cmds: &mut Vec<Cmd>) {
    match msg {
        RepoMsg::Files { commit, files, cut } => {
            state.commit_files = Some(CommitFiles { commit, files, cut });
        }
        RepoMsg::Fetched { manual, changed } => {
            // a fetch that works again clears the last fetch error
            if state
                .repo_error
                .as_deref()
                .is_some_and(|e| e.starts_with(crate::repo::STALE))
            {
                state.repo_error = None;
            }
            if manual {
                let text = if changed {
                    "fetched: new commits"
                } else {
                    "fetched: up to date"
                };
                state.notify(NoticeKind::Info, text);
            }
        }
        RepoMsg::Failed(e) => {
            state.notify(NoticeKind::Error, format!("repo: {e}"));
            state.repo_error = Some(e);
        }
        RepoMsg::Snapshot(snap) => {
            state.repo_error = None;
            let traveling = state.traveling();
            let moved = state.head.as_ref().is_some_and(|h| h.id != snap.commit.id);
            state.head = Some(snap.commit.clone());
            state.log = snap.log.clone();
            if traveling {
                // The user looks at an older commit on purpose: the branch moving must not pull them back.
                if moved {
                    let text = format!(
                        "new commit {} on the branch (still comparing against an older one; H returns)",
                        snap.commit.short
                    );
                    state.notify(NoticeKind::Info, text);
                }
                return;
            }
            if moved {
                let text = format!(
                    "new commit {} {}: desired state updated",
                    snap.commit.short, snap.commit.subject
                );
                state.notify(NoticeKind::Info, text);
            }
            apply_snapshot(state, *snap, cmds);
        }
        RepoMsg::History { key, entries } => {
            if let Some(view) = state.history.as_mut()
                && view.key == key
            {
                view.entries = Some(entries);
            }
        }
        RepoMsg::Travel(snap) => {
            state.repo_error = None;
            let at_head = state.head.as_ref().is_none_or(|h| h.id == snap.commit.id);
            let text = if at_head {
                "back at the branch HEAD".to_string()
            } else {
                format!(
                    "time travel: comparing the cluster against {} {}",
                    snap.commit.short, snap.commit.subject
                )
            };
            state.notify(NoticeKind::Info, text);
            apply_snapshot(state, *snap, cmds);
        }
    }
}

/// Makes `snap` the desired state: rows are rebuilt and watchers (re)started for its kinds.
fn apply_snapshot(state: &mut State, snap: Snapshot, cmds: &mut Vec<Cmd>) {
    // Kinds whose declared objects changed need a fresh list: objects git now declares were
    // not kept before (only declared or kdrift-owned objects are).
    state.repo = Some(RepoView {
        name: snap.repo.clone(),
        branch: snap.branch.clone(),
        commit: snap.commit.clone(),
    });
    let old = std::mem::replace(
        &mut state.desired,
        snap.desired
            .into_iter()
            .map(|d| (d.key.clone(), d))
            .collect(),
    );
    state.manifest_errors = snap.errors;
    state.manifest_notes = snap.notes;
    let mut kinds: BTreeMap<Gvk, BTreeSet<String>> = BTreeMap::new();
    for key in state.desired.keys() {
        let namespaces = kinds.entry(key.gvk()).or_default();
        namespaces.extend(key.namespace.clone());
    }
    for gvk in kinds.keys() {
        state
            .watches
            .entry(gvk.clone())
            .or_insert(WatchState::Connecting);
        state.orphan_kinds.remove(gvk);
    }
    state.settled = false;
    refresh_after_snapshot(state, &old);
    let all_namespaces: BTreeSet<String> = kinds.values().flatten().cloned().collect();
    let mut requests: Vec<WatchRequest> = Vec::new();
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
            state.orphan_kinds.insert(gvk.clone());
            requests.push(WatchRequest {
                gvk,
                selector: Some(format!("{OWNER_LABEL}={OWNER_VALUE}")),
                restart: false,
                namespaces: all_namespaces.iter().cloned().collect(),
            });
        }
    }
    let changed: BTreeSet<Gvk> = old
        .keys()
        .filter(|k| !state.desired.contains_key(*k))
        .chain(state.desired.keys().filter(|k| !old.contains_key(*k)))
        .map(ResourceKey::gvk)
        .collect();
    for gvk in &changed {
        if let Some(w) = state.watches.get_mut(gvk) {
            *w = WatchState::Connecting;
        }
    }
    requests.extend(kinds.into_iter().map(|(gvk, ns)| WatchRequest {
        restart: changed.contains(&gvk),
        gvk,
        selector: None,
        namespaces: ns.into_iter().collect(),
    }));
    cmds.push(Cmd::Watch(requests));
    // Rows were re-judged above without notices (a commit is not cluster drift). From here on
    // the cluster's changes raise them again, unless a kind still waits for its first list:
    // watches that keep running send no new state, so this must not wait for one.
    state.settled = watches_settled(state);
}

/// Every declared kind has been listed (no watch is still connecting).
fn watches_settled(state: &State) -> bool {
    state.repo.is_some()
        && state
            .watches
            .values()
            .all(|w| !matches!(w, WatchState::Connecting))
}

pub fn on_kube(state: &mut State, msg: KubeMsg) {
    // Orphan-only kinds are best effort: their health and permissions are not the user's concern.
    if let KubeMsg::Watch { gvk, .. } | KubeMsg::Forbidden { gvk, .. } = &msg
        && state.orphan_kinds.contains(gvk)
    {
        return;
    }
    let drifted_before = drift_count(state);
    match msg {
        KubeMsg::Resolved { gvk, namespaced } => {
            if !namespaced {
                unscope_cluster_kind(state, &gvk);
            }
        }
        KubeMsg::Forbidden { gvk, namespace } => {
            let keys: Vec<ResourceKey> = state
                .desired
                .keys()
                .filter(|k| k.gvk() == gvk && (namespace.is_none() || k.namespace == namespace))
                .cloned()
                .collect();
            state.forbidden.insert((gvk, namespace));
            for key in keys {
                recompute(state, &key);
            }
        }
        KubeMsg::Listed {
            gvk,
            namespace,
            objects,
        } => {
            let stale: Vec<ResourceKey> = state
                .live
                .keys()
                .filter(|k| k.group == gvk.group && k.kind == gvk.kind)
                .filter(|k| namespace.is_none() || k.namespace == namespace)
                .cloned()
                .collect();
            for key in &stale {
                state.live.remove(key);
            }
            let mut touched: BTreeSet<ResourceKey> = stale.into_iter().collect();
            for obj in objects {
                if let Some(key) = store_live(state, obj) {
                    touched.insert(key);
                }
            }
            if !state.orphan_kinds.contains(&gvk) {
                state.watches.insert(gvk, WatchState::Live);
            }
            for key in touched {
                recompute(state, &key);
            }
            let was_settled = state.settled;
            state.settled = state.repo.is_some()
                && state
                    .watches
                    .values()
                    .all(|w| !matches!(w, WatchState::Connecting));
            if state.settled && !was_settled {
                select_first_drift(state);
                return;
            }
        }
        KubeMsg::Applied(obj) => {
            if let Some(key) = store_live(state, obj) {
                recompute(state, &key);
            }
        }
        KubeMsg::Deleted(obj) => {
            if let Some(key) = ResourceKey::from_object(&obj) {
                state.live.remove(&key);
                recompute(state, &key);
            }
        }
        KubeMsg::Watch { gvk, state: ws } => {
            if let WatchState::Failed(reason) = &ws {
                let keys: Vec<_> = state
                    .desired
                    .keys()
                    .filter(|k| k.gvk() == gvk)
                    .cloned()
                    .collect();
                for key in keys {
                    let mut r = DriftReport::new(DriftStatus::Error);
                    r.message = Some(reason.clone());
                    state.reports.insert(key, r);
                }
            }
            state.watches.insert(gvk, ws);
            state.settled = watches_settled(state);
        }
    }
    if state.settled && drifted_before > 0 && drift_count(state) == 0 {
        let n = state.reports.len();
        state.notify(
            NoticeKind::Converged,
            format!("converged: all {n} resources match git"),
        );
    }
}

pub fn on_logs(state: &mut State, msg: LogMsg) {
    match msg {
        LogMsg::Lines { target, lines } if state.logs.target.as_ref() == Some(&target) => {
            let added = lines.len();
            state.logs.lines.extend(lines);
            let excess = state.logs.lines.len().saturating_sub(LOG_CAPACITY);
            state.logs.lines.drain(..excess);
            if state.logs.scroll > 0 {
                // Keep the view still while the user reads older lines.
                state.logs.scroll = (state.logs.scroll + added).min(state.logs.lines.len());
            }
        }
        LogMsg::Status { target, text } if state.logs.target.as_ref() == Some(&target) => {
            state.logs.status = text;
        }
        _ => {}
    }
}

/// Keeps a live object only when it matters: declared in git, or owned by kdrift (possible orphan).
fn store_live(state: &mut State, mut obj: Value) -> Option<ResourceKey> {
    let key = ResourceKey::from_object(&obj)?;
    if !state.desired.contains_key(&key) && !is_owned_by_kdrift(&obj) {
        return None;
    }
    slim(&mut obj);
    state.live.insert(key.clone(), obj);
    Some(key)
}

/// On first arrival the cursor goes to the first drifted row: that is what the user came to see.
fn select_first_drift(state: &mut State) {
    if state.selected != 0 {
        return;
    }
    if let Some(i) = state
        .visible_rows()
        .iter()
        .position(|k| state.reports[*k].status.is_drift())
    {
        state.selected = i;
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

fn drift_count(state: &State) -> usize {
    state
        .reports
        .values()
        .filter(|r| r.status.is_drift())
        .count()
}

/// Re-judges one object and raises "drift detected" when a settled, in-sync object leaves git.
pub fn recompute(state: &mut State, key: &ResourceKey) {
    let before = state.reports.get(key).map(|r| r.status);
    let gvk = key.gvk();
    let failed = match state.watches.get(&gvk) {
        Some(WatchState::Failed(reason)) if state.desired.contains_key(key) => Some(reason.clone()),
        _ => None,
    };
    let failed = failed.or_else(|| {
        let scope = (gvk.clone(), key.namespace.clone());
        let anywhere = (gvk.clone(), None);
        (state.desired.contains_key(key)
            && (state.forbidden.contains(&scope) || state.forbidden.contains(&anywhere)))
        .then(|| match &key.namespace {
            Some(ns) => format!("forbidden: you may not list/watch {gvk} in namespace {ns}"),
            None => format!("forbidden: you may not list/watch {gvk}"),
        })
    });
    let report = match failed {
        Some(reason) => Some(DriftReport {
            status: DriftStatus::Error,
            changes: vec![],
            message: Some(reason),
        }),
        None => assess(state.desired.get(key), state.live.get(key))
            .filter(|r| r.status != DriftStatus::Orphan || in_managed_namespace(state, key)),
    };
    match report {
        Some(r) => {
            let after = r.status;
            let detail = r
                .changes
                .first()
                .map(|c| match &c.manager {
                    Some(m) => format!(" ({} by {m})", c.path),
                    None => format!(" ({})", c.path),
                })
                .unwrap_or_default();
            state.reports.insert(key.clone(), r);
            if state.settled && after.is_drift() && before.is_none_or(|b| !b.is_drift()) {
                state.notify(
                    NoticeKind::Drift,
                    format!("drift detected: {key} {}{detail}", after.label()),
                );
            }
        }
        None => {
            state.reports.remove(key);
        }
    }
}

/// kdrift's label says "applied by kdrift", not by *this* repo: another repo's objects must never
/// look like orphans here (and be offered for pruning). So an orphan must sit in a namespace this
/// repo declares objects in; cluster-scoped leftovers are not claimed.
fn in_managed_namespace(state: &State, key: &ResourceKey) -> bool {
    key.namespace.as_ref().is_some_and(|ns| {
        state.desired.keys().any(|d| {
            d.namespace.as_ref() == Some(ns)
                || (d.kind == "Namespace" && d.group.is_empty() && &d.name == ns)
        })
    })
}

/// Discovery says the kind is cluster-scoped: objects git declared without a namespace were given
/// `default` when parsed; take it off again so they match what the cluster reports.
fn unscope_cluster_kind(state: &mut State, gvk: &Gvk) {
    let keys: Vec<ResourceKey> = state
        .desired
        .keys()
        .filter(|k| k.gvk() == *gvk && k.namespace.is_some())
        .cloned()
        .collect();
    if keys.is_empty() {
        return;
    }
    for key in keys {
        if let Some(mut d) = state.desired.remove(&key) {
            if let Some(meta) = std::sync::Arc::make_mut(&mut d.manifest)
                .get_mut("metadata")
                .and_then(Value::as_object_mut)
            {
                meta.remove("namespace");
            }
            d.key.namespace = None;
            state.desired.insert(d.key.clone(), d);
        }
    }
    rebuild_all(state);
}

/// After a new commit only rows whose desired object changed are judged again (a commit touching
/// a few files of 10k costs a few `assess` calls, not 10k). When the set of namespaces the repo
/// declares changes, which objects count as orphans may change too: then everything is rebuilt.
fn refresh_after_snapshot(state: &mut State, old: &BTreeMap<ResourceKey, Desired>) {
    if managed_namespaces(old) != managed_namespaces(&state.desired) {
        rebuild_all(state);
        return;
    }
    let same = |a: &Desired, b: &Desired| Arc::ptr_eq(&a.manifest, &b.manifest) || a == b;
    let changed: Vec<ResourceKey> = old
        .iter()
        .filter(|(k, d)| state.desired.get(*k).is_none_or(|n| !same(n, d)))
        .map(|(k, _)| k)
        .chain(state.desired.keys().filter(|k| !old.contains_key(*k)))
        .cloned()
        .collect();
    for key in changed {
        recompute(state, &key);
    }
    state.reports.retain(|k, _| k.group != MANIFEST_GROUP);
    add_manifest_rows(state);
}

/// The namespaces that make a kdrift-labelled object an orphan here (see `in_managed_namespace`).
fn managed_namespaces(desired: &BTreeMap<ResourceKey, Desired>) -> BTreeSet<&str> {
    desired
        .keys()
        .filter_map(|k| match &k.namespace {
            Some(ns) => Some(ns.as_str()),
            None if k.kind == "Namespace" && k.group.is_empty() => Some(k.name.as_str()),
            None => None,
        })
        .collect()
}

fn rebuild_all(state: &mut State) {
    state.reports.clear();
    let keys: BTreeSet<ResourceKey> = state
        .desired
        .keys()
        .chain(state.live.keys())
        .cloned()
        .collect();
    for key in keys {
        recompute(state, &key);
    }
    add_manifest_rows(state);
}

/// One row per manifest error (and per skipped part), named by file and line.
fn add_manifest_rows(state: &mut State) {
    let errors = state
        .manifest_errors
        .iter()
        .map(|e| (e, DriftStatus::Error));
    let notes = state
        .manifest_notes
        .iter()
        .map(|e| (e, DriftStatus::Skipped));
    for (err, status) in errors
        .chain(notes)
        .map(|(e, s)| (e.clone(), s))
        .collect::<Vec<_>>()
    {
        let name = match err.line {
            Some(line) => format!("{}:{line}", err.source),
            None => err.source.clone(),
        };
        let key = ResourceKey {
            namespace: None,
            kind: "Manifest".into(),
            name,
            group: MANIFEST_GROUP.into(),
            version: "v1".into(),
        };
        let mut r = DriftReport::new(status);
        r.message = Some(err.message);
        state.reports.insert(key, r);
    }
}
