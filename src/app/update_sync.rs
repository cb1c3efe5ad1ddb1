//! The converge flow (plan → dialog → confirm → progress) and which workload the logs pane follows.

use super::msg::{Cmd, LogTarget, SyncMsg};
use super::state::{LogView, NoticeKind, State, SyncProgress};
use crate::model::ResourceKey;
use crate::sync::{plan_sync, withhold_prunes};
use std::collections::BTreeMap;

pub fn open_dialog(state: &mut State, keys: Vec<ResourceKey>) {
    if state.read_only {
        state.notify(NoticeKind::Error, "read-only: converging is disabled");
        return;
    }
    if state.sync.is_some() {
        state.notify(NoticeKind::Info, "a sync is already running");
        return;
    }
    let commit = state.repo.as_ref().map(|r| r.commit.id.clone());
    let mut plan = plan_sync(&keys, &state.reports, &state.desired, commit.as_deref());
    if !state.manifest_errors.is_empty() {
        withhold_prunes(&mut plan, "not pruned: some manifests failed to parse");
    } else if state.desired.is_empty() {
        withhold_prunes(&mut plan, "not pruned: git declares nothing");
    }
    if plan.is_empty() && plan.blocked.is_empty() {
        state.notify(NoticeKind::Info, "nothing to converge: in sync with git");
        return;
    }
    state.dialog = Some(plan);
}

pub fn confirm(state: &mut State, cmds: &mut Vec<Cmd>) {
    let Some(plan) = state.dialog.take() else {
        return;
    };
    if plan.is_empty() {
        return;
    }
    state.sync = Some(SyncProgress {
        total: plan.items.len(),
        ..SyncProgress::default()
    });
    state.notify(
        NoticeKind::Info,
        format!("converging {} objects…", plan.items.len()),
    );
    cmds.push(Cmd::Sync(plan));
}

pub fn on_sync(state: &mut State, msg: SyncMsg) {
    match msg {
        SyncMsg::PreflightFailed(reason) => {
            state.sync = None;
            state.notify(
                NoticeKind::Error,
                format!("nothing applied: dry-run failed: {reason}"),
            );
        }
        SyncMsg::ItemDone { key, result } => {
            if let Some(p) = state.sync.as_mut() {
                p.done += 1;
                if let Err(e) = result {
                    p.failed.push((key, e));
                }
            }
        }
        SyncMsg::Finished { ok, failed } => {
            let failures = state.sync.take().map(|p| p.failed).unwrap_or_default();
            if failed > 0 {
                let first = failures
                    .first()
                    .map(|(k, e)| format!(": {k}: {e}"))
                    .unwrap_or_default();
                state.notify(
                    NoticeKind::Error,
                    format!("sync: {failed} failed, {ok} applied{first}"),
                );
            } else if state.drifted_keys().is_empty() {
                let n = state.reports.len();
                state.notify(
                    NoticeKind::Converged,
                    format!("converged: all {n} resources match git"),
                );
            } else {
                state.notify(
                    NoticeKind::Info,
                    format!("sync: {ok} applied; waiting for the cluster…"),
                );
            }
        }
    }
}

/// Emits `FollowLogs` when the selected row's workload differs from the one being followed.
pub fn follow_selection(state: &mut State, cmds: &mut Vec<Cmd>) {
    let target = state.selected_key().and_then(|k| log_target(state, k));
    let current = state.logs.target.as_ref();
    if target.as_ref().map(|t| &t.key) == current {
        return;
    }
    state.logs = LogView {
        target: target.as_ref().map(|t| t.key.clone()),
        status: if target.is_some() {
            "connecting…".into()
        } else {
            String::new()
        },
        ..LogView::default()
    };
    cmds.push(Cmd::FollowLogs(target));
}

/// The pods of a workload are those its `spec.selector.matchLabels` selects (live first, then git).
fn log_target(state: &State, key: &ResourceKey) -> Option<LogTarget> {
    if !key.is_workload() {
        return None;
    }
    let source = state
        .live
        .get(key)
        .or_else(|| state.desired.get(key).map(|d| d.manifest.as_ref()))?;
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
