//! Engine events into the inventory, and the facts it answers with into what the screen shows:
//! notices, watch commands, the cursor on the first drift. The judging is the engine's.

use super::msg::Cmd;
use super::state::{LOG_CAPACITY, NoticeKind, State};
use kdrift_engine::cluster::{KubeEvent, LogEvent};
use kdrift_engine::inventory::Fact;
use kdrift_engine::repo::RepoEvent;

pub fn on_repo(state: &mut State, event: RepoEvent, cmds: &mut Vec<Cmd>) {
    let facts = state.inv.on_repo(event);
    on_facts(state, facts, cmds);
}

pub fn on_kube(state: &mut State, event: KubeEvent, cmds: &mut Vec<Cmd>) {
    let facts = state.inv.on_kube(event);
    on_facts(state, facts, cmds);
}

pub(super) fn on_facts(state: &mut State, facts: Vec<Fact>, cmds: &mut Vec<Cmd>) {
    for fact in facts {
        match fact {
            Fact::Watch(requests) => cmds.push(Cmd::Watch(requests)),
            Fact::Confirm(requests) => cmds.push(Cmd::Confirm(requests)),
            Fact::NewCommit { commit, applied } => {
                let text = if applied {
                    format!(
                        "new commit {} {}: desired state updated",
                        commit.short, commit.subject
                    )
                } else {
                    format!(
                        "new commit {} on the branch (still comparing against an older one; H returns)",
                        commit.short
                    )
                };
                state.notify(NoticeKind::Info, text);
            }
            Fact::Traveled { commit, at_head } => {
                let text = if at_head {
                    "back at the branch HEAD".to_string()
                } else {
                    format!(
                        "time travel: comparing the cluster against {} {}",
                        commit.short, commit.subject
                    )
                };
                state.notify(NoticeKind::Info, text);
            }
            Fact::RepoFailed(trouble) => {
                state.notify(NoticeKind::Error, format!("repo: {trouble}"))
            }
            Fact::Fetched { manual, changed } => {
                if manual {
                    let text = if changed {
                        "fetched: new commits"
                    } else {
                        "fetched: up to date"
                    };
                    state.notify(NoticeKind::Info, text);
                }
            }
            Fact::Settled => select_first_drift(state),
            Fact::DriftDetected {
                key,
                status,
                change,
            } => {
                let mut detail = change
                    .map(|c| match &c.manager {
                        Some(m) => format!(" ({} by {m})", c.path),
                        None => format!(" ({})", c.path),
                    })
                    .unwrap_or_default();
                // a fight explains the drift: converging alone will not keep it away
                if let Some(fight) = state.inv.verdicts.get(&key).and_then(|r| r.fights.first()) {
                    let [a, b] = &fight.managers;
                    detail.push_str(&format!(", a fight: {a} and {b} set it in turn"));
                }
                state.notify(
                    NoticeKind::Drift,
                    format!("drift detected: {key} {}{detail}", status.label()),
                );
            }
            // after a sync, converged waits for health too (`track_health` says it)
            Fact::Converged { resources } if state.converging.is_none() => {
                notify_converged(state, resources, None)
            }
            Fact::Converged { .. } => {}
            Fact::Fight { key, fight } => {
                let [a, b] = &fight.managers;
                let text = format!(
                    "fight: {key} {} is set by {a} and {b} in turn; converging will not stick",
                    fight.path
                );
                state.notify(NoticeKind::Fight, text);
            }
        }
    }
}

pub(super) fn notify_converged(state: &mut State, resources: usize, took_s: Option<f64>) {
    let text = match took_s {
        Some(s) => {
            format!("converged in {s:.1}s: all {resources} resources match git and are healthy")
        }
        None => format!("converged: all {resources} resources match git"),
    };
    state.notify(NoticeKind::Converged, text);
}

/// On first arrival the cursor goes to the first drifted row: that is what the user came to see.
fn select_first_drift(state: &mut State) {
    if state.selected != 0 {
        return;
    }
    if let Some(i) = state.position_where(|_, report| report.status.is_drift()) {
        state.selected = i;
    }
}

pub fn on_logs(state: &mut State, event: LogEvent) {
    match event {
        LogEvent::Lines { target, mut lines } if state.logs.target.as_ref() == Some(&target) => {
            // a pod printing an env var filled from a Secret must not show its value here
            let values = state.inv.secret_values();
            if !values.is_empty() {
                for line in &mut lines {
                    line.text = kdrift_engine::drift::scrub_values(&line.text, &values);
                }
            }
            let added = lines.len();
            state.logs.lines.extend(lines);
            let excess = state.logs.lines.len().saturating_sub(LOG_CAPACITY);
            state.logs.lines.drain(..excess);
            if state.logs.scroll > 0 {
                // Keep the view still while the user reads older lines.
                state.logs.scroll = (state.logs.scroll + added).min(state.logs.lines.len());
            }
        }
        LogEvent::Status { target, text } if state.logs.target.as_ref() == Some(&target) => {
            state.logs.status = text;
        }
        _ => {}
    }
}
