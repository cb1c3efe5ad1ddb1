//! The converge flow (plan → dialog → confirm → progress) and which workload the logs pane follows.

use super::mode::Mode;
use super::msg::Cmd;
use super::state::{LogView, NoticeKind, State, SyncProgress};
use super::update_engine::notify_converged;
use kdrift_engine::model::ResourceKey;
use kdrift_engine::sync::SyncEvent;

pub fn open_dialog(state: &mut State, keys: Vec<ResourceKey>) {
    if state.read_only {
        state.notify(NoticeKind::Error, "read-only: converging is disabled");
        return;
    }
    if state.sync.is_some() {
        state.notify(NoticeKind::Info, "a sync is already running");
        return;
    }
    let plan = state.inv.plan_sync(&keys);
    if plan.is_empty() && plan.blocked.is_empty() {
        state.notify(NoticeKind::Info, "nothing to converge: in sync with git");
        return;
    }
    state.mode = Mode::Dialog(plan);
}

pub fn confirm(state: &mut State, cmds: &mut Vec<Cmd>) {
    let Mode::Dialog(plan) = std::mem::take(&mut state.mode) else {
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

pub fn on_sync(state: &mut State, event: SyncEvent) {
    match event {
        SyncEvent::PreflightFailed(reason) => {
            state.sync = None;
            state.notify(
                NoticeKind::Error,
                format!("nothing applied: dry-run failed: {reason}"),
            );
        }
        SyncEvent::ItemDone { key, result } => {
            if let Some(p) = state.sync.as_mut() {
                p.done += 1;
                if let Err(e) = result {
                    p.failed.push((key, e.to_string()));
                }
            }
        }
        SyncEvent::Finished { ok, failed } => {
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
            } else if state.inv.drifted_keys().is_empty() {
                // the watch may have shown every change before the sync said it was done
                notify_converged(state, state.inv.row_count());
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
    let target = state.selected_key().and_then(|k| state.inv.log_target(k));
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
