//! `update(&mut State, Msg) -> Vec<Cmd>`: every decision, no I/O, no clock reads.

use super::action::Action;
use super::mode::{HistoryView, Mode};
use super::msg::{Cmd, Msg};
use super::state::{Lower, NoticeKind, Pane, State};
use super::{
    diff_view, update_diff, update_engine, update_ignore, update_jobs, update_lower, update_sync,
};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kdrift_engine::inventory::Row;
use kdrift_engine::model::DriftStatus;
use ratatui_textarea::TextArea;

pub fn update(state: &mut State, msg: Msg) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    match msg {
        Msg::Key(key) => on_key(state, key, &mut cmds),
        Msg::Resize => {}
        Msg::Tick(now) => {
            state.now_ms = now;
            state.inv.set_clock(now);
            state.notices.retain(|n| n.until_ms > now);
        }
        Msg::Repo(e) => update_engine::on_repo(state, e, &mut cmds),
        Msg::Kube(e) => update_engine::on_kube(state, e, &mut cmds),
        Msg::Watched { current, event } => {
            if current.load(std::sync::atomic::Ordering::Acquire) {
                update_engine::on_kube(state, event, &mut cmds)
            }
        }
        Msg::Logs(e) => update_engine::on_logs(state, e),
        Msg::Events(e) => update_lower::on_events(state, e),
        Msg::Metrics(e) => update_lower::on_metrics(state, e),
        Msg::Traces(e) => update_lower::on_traces(state, e),
        Msg::Sync(e) => update_sync::on_sync(state, e, &mut cmds),
        Msg::Job(reply) => update_jobs::on_reply(state, reply, &mut cmds),
        Msg::Rules(result) => update_ignore::on_rules(state, result, &mut cmds),
        Msg::Stuck { key, why } => update_sync::on_stuck(state, key, why),
        Msg::Owner(e) => update_sync::on_owner(state, e),
    }
    clamp_selection(state);
    update_sync::track_health(state, &mut cmds);
    update_sync::follow_selection(state, &mut cmds);
    update_lower::follow_events(state, &mut cmds);
    update_lower::follow_metrics(state, &mut cmds);
    update_lower::follow_traces(state, &mut cmds);
    diff_view::refresh(state, &mut cmds);
    cmds
}

/// The mode decides what a key means.
fn on_key(state: &mut State, key: KeyEvent, cmds: &mut Vec<Cmd>) {
    let ctrl_c = key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
    match &mut state.mode {
        Mode::Help => {
            // Any key closes the overlay and does nothing else (^c still quits).
            state.mode = Mode::Normal;
            if ctrl_c {
                quit(state, cmds);
            }
        }
        Mode::Filter(input) => match key.code {
            _ if ctrl_c => quit(state, cmds),
            KeyCode::Esc => {
                state.mode = Mode::Normal;
                state.filter.clear();
            }
            KeyCode::Enter => state.mode = Mode::Normal,
            _ => {
                input.input(key);
                state.filter = input.lines().join("");
                state.selected = 0;
            }
        },
        Mode::Jump(input) => match key.code {
            _ if ctrl_c => quit(state, cmds),
            KeyCode::Esc => state.mode = Mode::Normal,
            KeyCode::Enter => {
                let target = input.lines().join("");
                state.mode = Mode::Normal;
                super::jump::jump(state, &target);
            }
            _ => {
                input.input(key);
            }
        },
        Mode::History(history) => {
            let page = state.page_rows.max(1);
            match state.keymap.normal_action(&key) {
                Some(Action::Down) => history.scroll += 1,
                Some(Action::Up) => history.scroll = history.scroll.saturating_sub(1),
                Some(Action::PageDown) => history.scroll += page,
                Some(Action::PageUp) => history.scroll = history.scroll.saturating_sub(page),
                _ if ctrl_c => quit(state, cmds),
                // Any other key (Esc, q, h…) closes the overlay and does nothing else.
                _ => state.mode = Mode::Normal,
            }
        }
        Mode::Ignore(_) => match state.keymap.dialog_action(&key) {
            Some(Action::Confirm) => update_ignore::confirm(state, cmds),
            Some(Action::Cancel) => state.mode = Mode::Normal,
            Some(Action::Quit) => quit(state, cmds),
            _ => {}
        },
        Mode::Dialog(_) => update_sync::on_dialog_key(state, key, cmds),
        Mode::Normal => {
            if let Some(action) = state.keymap.normal_action(&key) {
                apply_action(state, action, cmds);
            }
        }
    }
}

pub(super) fn apply_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) {
    let rows = state.visible_count();
    let page = state.page_rows.max(1);
    match action {
        Action::Quit => quit(state, cmds),
        Action::Down => scroll(state, 1, rows),
        Action::Up => scroll(state, -1, rows),
        Action::PageDown => scroll(state, page as isize, rows),
        Action::PageUp => scroll(state, -(page as isize), rows),
        Action::Top => scroll(state, isize::MIN / 2, rows),
        Action::Bottom => scroll(state, isize::MAX / 2, rows),
        Action::Filter => {
            let mut input = TextArea::new(vec![state.filter.clone()]);
            input.move_cursor(ratatui_textarea::CursorMove::End);
            state.mode = Mode::Filter(Box::new(input));
        }
        Action::Jump => state.mode = Mode::Jump(Box::new(TextArea::default())),
        Action::Sort => {
            let by = state.sort.by.next();
            state.set_sort(super::Sort { by, reverse: false });
        }
        Action::ReverseSort => {
            let sort = super::Sort {
                reverse: !state.sort.reverse,
                ..state.sort
            };
            state.set_sort(sort);
        }
        Action::ClearFilter => {
            state.filter.clear();
            state.marked.clear();
            state.notices.retain(|n| n.kind == NoticeKind::Error);
        }
        Action::FocusNext => state.focus = state.focus.next(),
        Action::FocusPrev => state.focus = state.focus.prev(),
        Action::SyncOne => match manifest_row_notice(state, "cannot be converged") {
            Some((kind, text)) => state.notify(kind, text),
            None => {
                // marked rows converge together; without marks, the selected one
                let keys: Vec<_> = if state.marked.is_empty() {
                    state.selected_key().cloned().into_iter().collect()
                } else {
                    state.marked.iter().cloned().collect()
                };
                update_sync::open_dialog(state, keys);
            }
        },
        Action::Mark => {
            if let Some(key) = state.selected_key().cloned()
                && !state.marked.remove(&key)
            {
                state.marked.insert(key);
            }
            scroll(state, 1, rows);
        }
        Action::SyncAll => {
            let keys = state.inv.sync_keys();
            update_sync::open_dialog(state, keys);
        }
        Action::Help => state.mode = Mode::Help,
        Action::ShowLogs => update_lower::show(state, Lower::Logs, cmds),
        Action::ShowEvents => update_lower::show(state, Lower::Events, cmds),
        Action::ShowTraces => update_lower::show(state, Lower::Traces, cmds),
        Action::ShowMetrics => update_lower::show(state, Lower::Metrics, cmds),
        Action::ShowTimeline => update_lower::show(state, Lower::Timeline, cmds),
        Action::ShowAlerts => update_lower::show(state, Lower::Alerts, cmds),
        Action::OlderTrace => update_lower::other_trace(state, true),
        Action::NewerTrace => update_lower::other_trace(state, false),
        Action::Commits => {
            state.show_commits = !state.show_commits;
            state.commit_files = None;
            if state.show_commits {
                state.focus = Pane::Logs;
            }
        }
        Action::Open => {
            if state.show_commits && state.focus == Pane::Logs {
                let head = state.inv.head.as_ref().map(|h| h.id.clone());
                if let Some(commit) = state.inv.log.get(state.commit_selected).cloned() {
                    let at_head = head.as_deref() == Some(commit.id.as_str());
                    let rev = (!at_head).then(|| commit.id.clone());
                    let ticket = state.jobs.commit.issue();
                    cmds.push(Cmd::ReadCommit { ticket, rev });
                    let ticket = state.jobs.files.issue();
                    cmds.push(Cmd::ReadCommitFiles { ticket, commit });
                }
            }
        }
        Action::Fetch => {
            if state.remote_repo {
                state.notify(NoticeKind::Info, "fetching…");
                cmds.push(Cmd::Fetch);
            } else {
                state.notify(
                    NoticeKind::Info,
                    "a local repo needs no fetch: its new commits show up by themselves",
                );
            }
        }
        Action::History => open_history(state, cmds),
        Action::Ignore => update_ignore::propose(state),
        Action::NextChange => update_diff::jump(state, true),
        Action::PrevChange => update_diff::jump(state, false),
        Action::SplitView => update_diff::relayout(state, |s| s.diff.toggle_split()),
        Action::ExpandContext => update_diff::relayout(state, |s| s.diff.toggle_expanded()),
        Action::Head => {
            if state.inv.traveling() {
                let ticket = state.jobs.commit.issue();
                cmds.push(Cmd::ReadCommit { ticket, rev: None });
            }
        }
        Action::Confirm
        | Action::Cancel
        | Action::TogglePrune
        | Action::Force
        | Action::AskOwners => {}
    }
}

/// What `s` on a manifest row (a file, not an object) says instead of opening a plan.
fn manifest_row_notice(state: &State, what: &str) -> Option<(NoticeKind, String)> {
    let row @ Row::Manifest(_) = state.selected_row()? else {
        return None;
    };
    let report = state.inv.report(row)?;
    let why = report.message.as_deref().unwrap_or("a file, not an object");
    Some(match report.status {
        DriftStatus::Error => (NoticeKind::Error, format!("{row} {what}: {why}")),
        _ => (
            NoticeKind::Info,
            format!("{row} is skipped on purpose: {why}"),
        ),
    })
}

fn open_history(state: &mut State, cmds: &mut Vec<Cmd>) {
    let Some(row) = state.selected_row() else {
        return;
    };
    let declared = row
        .object()
        .and_then(|k| state.inv.desired.get(k).zip(state.inv.repo.as_ref()));
    let Some((desired, repo)) = declared else {
        let text = format!("{row} is not declared in git: no history");
        state.notify(NoticeKind::Info, text);
        return;
    };
    let key = desired.key.clone();
    let ticket = state.jobs.history.issue();
    cmds.push(Cmd::ReadHistory {
        ticket,
        key: key.clone(),
        source: desired.source.clone(),
        commit: repo.commit.id.clone(),
    });
    state.mode = Mode::History(HistoryView {
        key,
        entries: None,
        scroll: 0,
    });
}

/// Moves within the focused pane: rows, diff lines or log lines.
fn scroll(state: &mut State, delta: isize, rows: usize) {
    match state.focus {
        Pane::Resources => {
            let max = rows.saturating_sub(1) as isize;
            state.selected = (state.selected as isize)
                .saturating_add(delta)
                .clamp(0, max) as usize;
            state.diff_scroll = 0;
        }
        Pane::Diff => update_diff::scroll(state, delta),
        Pane::Logs if state.show_commits => {
            let max = state.inv.log.len().saturating_sub(1) as isize;
            state.commit_selected = (state.commit_selected as isize)
                .saturating_add(delta)
                .clamp(0, max) as usize;
        }
        Pane::Logs => update_lower::scroll(state, delta),
    }
}

fn clamp_selection(state: &mut State) {
    let rows = state.visible_count();
    if state.selected >= rows {
        state.selected = rows.saturating_sub(1);
    }
}

fn quit(state: &mut State, cmds: &mut Vec<Cmd>) {
    state.quit = true;
    cmds.push(Cmd::Quit);
}
