//! The converge flow (plan → dialog → confirm → progress → outcome, with a second confirmation
//! for forcing or recreating) and which workload the logs pane follows.

use super::action::Action;
use super::mode::{DialogStage, Mode, PlanDialog};
use super::msg::Cmd;
use super::state::{Converging, LogView, NoticeKind, State, SyncProgress};
use super::update_engine::notify_converged;
use crossterm::event::{KeyCode, KeyEvent};
use kdrift_engine::health::Health;
use kdrift_engine::model::ResourceKey;
use kdrift_engine::sync::{OwnerEvent, SyncEvent, SyncOutcome, SyncPlan};

pub fn open_dialog(state: &mut State, keys: Vec<ResourceKey>) {
    if state.read_only {
        state.notify(NoticeKind::Error, "read-only: converging is disabled");
        return;
    }
    if state.sync.is_some() {
        state.notify(NoticeKind::Info, "a sync is already running");
        return;
    }
    // objects applied now would carry no commit or source: kdrift could not tell them its own
    if state.inv.is_reading() {
        state.notify(
            NoticeKind::Info,
            "the repo is still being read: converge once it is whole",
        );
        return;
    }
    let plan = state.inv.plan_sync(&keys, false);
    if plan.is_empty() && !plan.holds_back() && plan.orphans == 0 {
        state.notify(NoticeKind::Info, "nothing to converge: in sync with git");
        return;
    }
    state.mode = Mode::Dialog(PlanDialog {
        plan,
        keys,
        scroll: 0,
        stage: DialogStage::Plan,
    });
}

/// A key while the plan (or its second confirmation) is open.
pub fn on_dialog_key(state: &mut State, key: KeyEvent, cmds: &mut Vec<Cmd>) {
    let Mode::Dialog(dialog) = &mut state.mode else {
        return;
    };
    if let DialogStage::Recreate {
        key: target, typed, ..
    } = &mut dialog.stage
    {
        // typing the object's name is the confirmation: no key is a shortcut here
        match key.code {
            KeyCode::Esc => state.mode = Mode::Normal,
            KeyCode::Backspace => {
                typed.pop();
            }
            KeyCode::Enter if *typed == target.name => recreate(state, cmds),
            KeyCode::Char(c) if typed.len() < 253 => typed.push(c),
            _ => {}
        }
        return;
    }
    let action = state.keymap.dialog_action(&key);
    let forcing = matches!(dialog.stage, DialogStage::Force { .. });
    match action {
        Some(Action::Cancel) => state.mode = Mode::Normal,
        Some(Action::Quit) => {
            state.quit = true;
            cmds.push(Cmd::Quit);
        }
        Some(Action::Down) => dialog.scroll += 1,
        Some(Action::Up) => dialog.scroll = dialog.scroll.saturating_sub(1),
        Some(Action::PageDown) => dialog.scroll += state.page_rows.max(1),
        Some(Action::PageUp) => {
            dialog.scroll = dialog.scroll.saturating_sub(state.page_rows.max(1))
        }
        Some(Action::TogglePrune) if !forcing => {
            let prune = !dialog.plan.prune;
            dialog.plan = state.inv.plan_sync(&dialog.keys, prune);
        }
        Some(Action::Confirm) if !forcing => confirm(state, cmds),
        Some(Action::AskOwners) if !forcing => {
            let owners = dialog.plan.owners();
            if owners.is_empty() {
                return;
            }
            let names: Vec<String> = owners.iter().map(|o| o.to_string()).collect();
            cmds.push(Cmd::AskOwners {
                owners,
                now: kdrift_engine::clock::rfc3339(state.now_ms),
            });
            state.mode = Mode::Normal;
            state.notify(
                NoticeKind::Info,
                format!("asking {} to reconcile…", names.join(", ")),
            );
        }
        Some(Action::Force) if forcing => {
            if let Mode::Dialog(d) = &mut state.mode {
                d.plan.force = true;
            }
            confirm(state, cmds);
        }
        _ => {}
    }
}

pub fn confirm(state: &mut State, cmds: &mut Vec<Cmd>) {
    let Mode::Dialog(dialog) = std::mem::take(&mut state.mode) else {
        return;
    };
    if dialog.plan.is_empty() {
        return;
    }
    start(state, dialog.plan, dialog.keys, cmds);
}

fn start(state: &mut State, plan: SyncPlan, keys: Vec<ResourceKey>, cmds: &mut Vec<Cmd>) {
    let how = if plan.force {
        ", taking conflicting fields"
    } else {
        ""
    };
    state.notify(
        NoticeKind::Info,
        format!("converging {} objects{how}…", plan.items.len()),
    );
    state.sync = Some(SyncProgress {
        total: plan.items.len(),
        plan: plan.clone(),
        keys,
        started_ms: state.now_ms,
        ..SyncProgress::default()
    });
    state.converging = None;
    state.marked.clear();
    cmds.push(Cmd::Sync(plan));
}

/// The typed name matched: the plan again, that object deleted and created.
fn recreate(state: &mut State, cmds: &mut Vec<Cmd>) {
    let Mode::Dialog(mut dialog) = std::mem::take(&mut state.mode) else {
        return;
    };
    let DialogStage::Recreate { key, fields, .. } = dialog.stage else {
        return;
    };
    match dialog.plan.recreate(&key, fields) {
        Ok(()) => start(state, dialog.plan, dialog.keys, cmds),
        Err(why) => state.notify(NoticeKind::Error, why),
    }
}

pub fn on_sync(state: &mut State, event: SyncEvent, cmds: &mut Vec<Cmd>) {
    match event {
        SyncEvent::Step { name, .. } => {
            if let Some(p) = state.sync.as_mut() {
                p.step = name;
            }
            pin_sync_trace(state);
        }
        SyncEvent::ItemDone { key, result } => {
            if let Some(p) = state.sync.as_mut() {
                p.done += 1;
                if let Err(e) = result {
                    p.failed.push((key, e.to_string()));
                }
            }
        }
        SyncEvent::Finished(outcome) => {
            // kinds whose CRD this sync created can be watched now
            if outcome
                .applied
                .iter()
                .any(|k| k.kind == "CustomResourceDefinition")
            {
                let requests = state.inv.rewatch_failed();
                if !requests.is_empty() {
                    cmds.push(Cmd::Watch(requests));
                }
            }
            pin_sync_trace(state);
            finished(state, outcome)
        }
    }
}

/// The traces pane shows this sync's trace (kdrift's own view), whatever arrives after it.
fn pin_sync_trace(state: &mut State) {
    if let Some(root) = state
        .trace_store
        .as_ref()
        .and_then(|s| s.newest_named("sync"))
    {
        state.traces.pinned = Some(root);
    }
}

/// How long a finished sync waits for its objects to be in sync and healthy.
pub const HEALTH_WAIT_MS: u64 = 180_000;

fn finished(state: &mut State, outcome: SyncOutcome) {
    let Some(progress) = state.sync.take() else {
        return;
    };
    if outcome.ok() {
        state.notify(
            NoticeKind::Info,
            format!(
                "sync: {} applied; waiting for the cluster…",
                outcome.applied.len()
            ),
        );
        state.converging = Some(Converging {
            keys: outcome.applied.clone(),
            since_ms: progress.started_ms,
            deadline_ms: state.now_ms + HEALTH_WAIT_MS,
            told_degraded: false,
        });
        // the watch may have shown every change before the sync said it was done; `update`
        // tracks health after every message from here
        return;
    }
    state.notify(NoticeKind::Error, summary(&outcome));
    let conflicts = outcome.conflicts();
    let dialog = |stage| PlanDialog {
        plan: progress.plan.clone(),
        keys: progress.keys.clone(),
        scroll: 0,
        stage,
    };
    if !conflicts.is_empty() && !progress.plan.force && outcome.refused_by_dry_run {
        state.mode = Mode::Dialog(dialog(DialogStage::Force { conflicts }));
    } else if let Some((key, fields)) = outcome.immutable().into_iter().next() {
        state.mode = Mode::Dialog(dialog(DialogStage::Recreate {
            key,
            fields,
            typed: String::new(),
        }));
    }
}

/// After a sync: converged once every object it applied is in sync and healthy; a degraded one
/// is said at once (with why), and what is still not healthy when the time is up is stuck.
pub fn track_health(state: &mut State, cmds: &mut Vec<Cmd>) {
    let Some(c) = state.converging.clone() else {
        return;
    };
    let mut waiting = Vec::new();
    let mut degraded = None;
    for key in &c.keys {
        let drifted = state
            .inv
            .verdicts
            .get(key)
            .is_some_and(|r| r.status.is_drift() || r.pending);
        if drifted {
            waiting.push((key, "not in sync yet".to_string()));
            continue;
        }
        match state.inv.health(key) {
            Some(Health::Progressing(why)) => waiting.push((key, why)),
            Some(Health::Degraded(why)) => {
                degraded.get_or_insert((key.clone(), why.clone()));
                waiting.push((key, why));
            }
            _ => {}
        }
    }
    let (since, deadline, told) = (c.since_ms, c.deadline_ms, c.told_degraded);
    if waiting.is_empty() {
        let n = c.keys.len();
        state.converging = None;
        let took = state.now_ms.saturating_sub(since) as f64 / 1000.0;
        if state.inv.drifted_keys().is_empty() {
            notify_converged(state, state.inv.row_count(), Some(took));
        } else {
            state.notify(
                NoticeKind::Converged,
                format!("synced in {took:.1}s: {n} objects in sync and healthy"),
            );
        }
        return;
    }
    let first = waiting
        .first()
        .map(|(k, why)| format!("{k}: {why}"))
        .unwrap_or_default();
    let explain = |state: &State, key: &ResourceKey, cmds: &mut Vec<Cmd>| {
        if let Some(live) = state.inv.live_object(key).filter(|_| key.is_workload()) {
            cmds.push(Cmd::ExplainStuck {
                key: key.clone(),
                live,
            });
        }
    };
    if state.now_ms >= deadline {
        state.converging = None;
        let secs = HEALTH_WAIT_MS / 1000;
        state.notify(
            NoticeKind::Error,
            format!(
                "not converged after {secs}s: {} stuck; {first}",
                waiting.len()
            ),
        );
        if let Some((key, _)) = waiting.first() {
            explain(state, key, cmds);
        }
    } else if let Some((key, why)) = degraded.filter(|_| !told) {
        if let Some(c) = state.converging.as_mut() {
            c.told_degraded = true;
        }
        state.notify(NoticeKind::Error, format!("stuck: {key}: {why}"));
        explain(state, &key, cmds);
    }
}

/// What the GitOps tool answered: it is its work now, kdrift only reports it.
pub fn on_owner(state: &mut State, event: OwnerEvent) {
    match event {
        OwnerEvent::Asked(owner) => state.notify(
            NoticeKind::Info,
            format!("asked {owner} to reconcile; waiting for it…"),
        ),
        OwnerEvent::Done {
            owner,
            ok: true,
            text,
        } => state.notify(NoticeKind::Converged, format!("{owner}: {text}")),
        OwnerEvent::Done { owner, text, .. } => {
            state.notify(NoticeKind::Error, format!("{owner} failed: {text}"))
        }
        OwnerEvent::Failed { owner, error } => {
            state.notify(NoticeKind::Error, format!("asking {owner}: {error}"))
        }
    }
}

/// Which pod holds a stuck workload: said after the notice that named it.
pub fn on_stuck(state: &mut State, key: ResourceKey, why: Option<String>) {
    if let Some(why) = why {
        state.notify(NoticeKind::Error, format!("stuck: {key}: {why}"));
    }
}

/// One line for the whole outcome: what stopped it, and the counts, then the first failure.
fn summary(outcome: &SyncOutcome) -> String {
    let at = outcome
        .stopped_at
        .as_deref()
        .map(|s| format!(" at {s}"))
        .unwrap_or_default();
    let refused = if outcome.refused_by_dry_run {
        " (refused by the dry-run: nothing of that step changed)"
    } else {
        ""
    };
    let first = outcome
        .failed
        .first()
        .map(|(k, e)| format!(": {k}: {e}"))
        .unwrap_or_default();
    format!(
        "sync stopped{at}{refused}: {} failed, {} applied, {} not applied{first}",
        outcome.failed.len(),
        outcome.applied.len(),
        outcome.not_applied.len()
    )
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
