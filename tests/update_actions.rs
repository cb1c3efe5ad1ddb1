//! `update` for every action, on the demo's real data: navigate, filter, sync dialog, confirm, cancel, quit.

mod common;

use common::{demo_state, status};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kdrift::app::{Cmd, KubeMsg, Msg, NoticeKind, Pane, State, SyncMsg, update};
use kdrift::model::DriftStatus;
use kdrift::sync::PlanOp;

fn key(state: &mut State, c: char) -> Vec<Cmd> {
    update(
        state,
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
    )
}

fn code(state: &mut State, code: KeyCode) -> Vec<Cmd> {
    update(state, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn selected(state: &State) -> String {
    state
        .selected_key()
        .map(|k| k.to_string())
        .unwrap_or_default()
}

#[tokio::test]
async fn demo_state_has_the_seeded_drift() {
    let (state, _demo) = demo_state().await;
    let status = |s: &str| {
        state
            .reports
            .iter()
            .find(|(k, _)| k.to_string() == s)
            .map(|(_, r)| r.status)
    };
    assert_eq!(
        status("shop/StatefulSet/redis"),
        Some(DriftStatus::Modified)
    );
    assert_eq!(
        status("shop/ConfigMap/frontend-config"),
        Some(DriftStatus::Modified)
    );
    assert_eq!(
        status("shop/Secret/api-credentials"),
        Some(DriftStatus::Modified)
    );
    assert_eq!(status("shop/Service/api"), Some(DriftStatus::Missing));
    assert_eq!(
        status("shop/Deployment/legacy-worker"),
        Some(DriftStatus::Orphan)
    );
    assert_eq!(
        status("shop/Deployment/frontend"),
        Some(DriftStatus::InSync)
    );
    let redis = state
        .reports
        .iter()
        .find(|(k, _)| k.name == "redis" && k.kind == "StatefulSet")
        .unwrap()
        .1;
    assert_eq!(redis.changes.len(), 1);
    assert_eq!(redis.changes[0].path, "/spec/replicas");
    assert_eq!(redis.changes[0].desired, Some(serde_json::json!(4)));
    assert_eq!(redis.changes[0].live, Some(serde_json::json!(3)));
    assert_eq!(redis.changes[0].manager.as_deref(), Some("kubectl-scale"));
    assert!(state.settled);
}

#[tokio::test]
async fn navigate_moves_and_clamps() {
    let (mut state, _demo) = demo_state().await;
    let rows = state.visible_rows().len();
    assert!(rows >= 9, "{rows}");
    assert_eq!(
        selected(&state),
        "shop/ConfigMap/frontend-config",
        "starts on the first drifted row"
    );
    key(&mut state, 'k');
    assert_eq!(state.selected, 0);
    key(&mut state, 'k');
    assert_eq!(state.selected, 0, "up at the top stays");
    key(&mut state, 'j');
    code(&mut state, KeyCode::Down);
    assert_eq!(state.selected, 2);
    key(&mut state, 'G');
    assert_eq!(state.selected, rows - 1);
    key(&mut state, 'j');
    assert_eq!(state.selected, rows - 1, "down at the bottom stays");
    key(&mut state, 'g');
    assert_eq!(state.selected, 0);
    code(&mut state, KeyCode::PageDown);
    assert_eq!(state.selected, state.page_rows.min(rows - 1));
}

#[tokio::test]
async fn selecting_a_workload_follows_its_logs() {
    let (mut state, _demo) = demo_state().await;
    let mut follow = None;
    for _ in 0..state.visible_rows().len() {
        let cmds = key(&mut state, 'j');
        if selected(&state) == "shop/StatefulSet/redis" {
            follow = cmds.into_iter().find_map(|c| match c {
                Cmd::FollowLogs(t) => Some(t),
                _ => None,
            });
            break;
        }
    }
    let target = follow.expect("FollowLogs emitted").expect("a target");
    assert_eq!(target.namespace, "shop");
    assert_eq!(
        target.selector.get("app").map(String::as_str),
        Some("redis")
    );
    // Moving to the redis Service (not a workload) stops following.
    let cmds = key(&mut state, 'k');
    assert_eq!(selected(&state), "shop/Service/redis");
    assert!(cmds.contains(&Cmd::FollowLogs(None)), "{cmds:?}");
}

#[tokio::test]
async fn filter_narrows_rows_live_and_esc_clears() {
    let (mut state, _demo) = demo_state().await;
    let all = state.visible_rows().len();
    key(&mut state, '/');
    assert!(state.filter_input.is_some());
    for c in "redis".chars() {
        key(&mut state, c);
    }
    assert_eq!(state.filter, "redis");
    let names: Vec<String> = state
        .visible_rows()
        .iter()
        .map(|k| k.name.clone())
        .collect();
    assert_eq!(names, ["redis", "redis"], "the Service and the StatefulSet");
    code(&mut state, KeyCode::Enter);
    assert!(state.filter_input.is_none());
    assert_eq!(state.visible_rows().len(), 2, "filter kept after Enter");
    // Typing `q` while filtering goes into the filter, not quit.
    key(&mut state, '/');
    key(&mut state, 'q');
    assert!(!state.quit);
    code(&mut state, KeyCode::Esc);
    assert_eq!(state.filter, "");
    assert_eq!(state.visible_rows().len(), all);
}

#[tokio::test]
async fn filter_by_status_word() {
    let (mut state, _demo) = demo_state().await;
    key(&mut state, '/');
    for c in "orphan".chars() {
        key(&mut state, c);
    }
    let rows: Vec<String> = state.visible_rows().iter().map(|k| k.to_string()).collect();
    assert_eq!(rows, ["shop/Deployment/legacy-worker"]);
}

#[tokio::test]
async fn sync_all_opens_plan_then_cancel_changes_nothing() {
    let (mut state, _demo) = demo_state().await;
    let cmds = key(&mut state, 'S');
    assert!(
        cmds.iter().all(|c| !matches!(c, Cmd::Sync(_))),
        "nothing runs before confirmation"
    );
    let plan = state.dialog.clone().expect("dialog open");
    assert_eq!(plan.count(|o| *o == PlanOp::Create), 1);
    assert_eq!(plan.count(|o| matches!(o, PlanOp::Patch { .. })), 3);
    assert_eq!(plan.count(|o| *o == PlanOp::Prune), 1);
    let redis = plan.items.iter().find(|i| i.key.name == "redis").unwrap();
    assert_eq!(
        redis.op,
        PlanOp::Patch {
            fields: 1,
            take_over: vec!["kubectl-scale".into()]
        }
    );
    let cmds = key(&mut state, 'n');
    assert!(state.dialog.is_none());
    assert!(cmds.iter().all(|c| !matches!(c, Cmd::Sync(_))));
    key(&mut state, 'S');
    code(&mut state, KeyCode::Esc);
    assert!(state.dialog.is_none());
}

#[tokio::test]
async fn confirm_emits_the_plan_and_tracks_progress() {
    let (mut state, _demo) = demo_state().await;
    key(&mut state, 'S');
    let expected = state.dialog.clone().unwrap();
    let cmds = code(&mut state, KeyCode::Enter);
    let plan = cmds
        .into_iter()
        .find_map(|c| match c {
            Cmd::Sync(p) => Some(p),
            _ => None,
        })
        .expect("Cmd::Sync");
    assert_eq!(plan, expected);
    assert_eq!(state.sync.as_ref().map(|p| p.total), Some(5));
    // While syncing, another sync is refused.
    key(&mut state, 'S');
    assert!(state.dialog.is_none());
    for item in &plan.items {
        update(
            &mut state,
            Msg::Sync(SyncMsg::ItemDone {
                key: item.key.clone(),
                result: Ok(()),
            }),
        );
    }
    assert_eq!(state.sync.as_ref().map(|p| p.done), Some(5));
    update(
        &mut state,
        Msg::Sync(SyncMsg::Finished { ok: 5, failed: 0 }),
    );
    assert!(state.sync.is_none());
}

#[tokio::test]
async fn sync_one_plans_only_the_selected_row() {
    let (mut state, _demo) = demo_state().await;
    while selected(&state) != "shop/Service/api" {
        key(&mut state, 'j');
    }
    key(&mut state, 's');
    let plan = state.dialog.clone().unwrap();
    assert_eq!(plan.items.len(), 1);
    assert_eq!(plan.items[0].op, PlanOp::Create);
}

#[tokio::test]
async fn sync_on_an_in_sync_row_says_nothing_to_do() {
    let (mut state, _demo) = demo_state().await;
    while selected(&state) != "shop/Deployment/frontend" {
        key(&mut state, 'j');
    }
    key(&mut state, 's');
    assert!(state.dialog.is_none());
    assert!(
        state
            .notices
            .iter()
            .any(|n| n.text.contains("nothing to converge"))
    );
}

#[tokio::test]
async fn read_only_refuses_sync() {
    let (mut state, _demo) = demo_state().await;
    state.read_only = true;
    key(&mut state, 'S');
    assert!(state.dialog.is_none());
    assert!(
        state
            .notices
            .iter()
            .any(|n| n.kind == NoticeKind::Error && n.text.contains("read-only"))
    );
}

#[tokio::test]
async fn watch_events_turn_rows_and_raise_notices() {
    let (mut state, demo) = demo_state().await;
    // Converge everything for real through the API, then replay what the watch would deliver.
    key(&mut state, 'S');
    let plan = state.dialog.clone().unwrap();
    for item in &plan.items {
        match &item.manifest {
            Some(m) => {
                let obj = kdrift::cluster::apply_object(&demo.resolver, &item.key, m, false)
                    .await
                    .unwrap();
                update(&mut state, Msg::Kube(KubeMsg::Applied(obj)));
            }
            None => {
                let live = state.live[&item.key].clone();
                kdrift::cluster::delete_object(&demo.resolver, &item.key)
                    .await
                    .unwrap();
                update(&mut state, Msg::Kube(KubeMsg::Deleted(live)));
            }
        }
    }
    assert_eq!(state.drifted_keys(), vec![]);
    assert!(
        state
            .notices
            .iter()
            .any(|n| n.kind == NoticeKind::Converged),
        "{:?}",
        state.notices
    );
    // A hand edit while watching raises "drift detected".
    let mut redis = state
        .live
        .iter()
        .find(|(k, _)| k.name == "redis" && k.kind == "StatefulSet")
        .unwrap()
        .1
        .clone();
    redis["spec"]["replicas"] = serde_json::json!(1);
    update(&mut state, Msg::Kube(KubeMsg::Applied(redis)));
    let notice = state
        .notices
        .iter()
        .find(|n| n.kind == NoticeKind::Drift)
        .expect("drift notice");
    assert!(
        notice.text.contains("shop/StatefulSet/redis") && notice.text.contains("/spec/replicas"),
        "{}",
        notice.text
    );
}

#[tokio::test]
async fn focus_cycles_and_scrolls_the_focused_pane() {
    let (mut state, _demo) = demo_state().await;
    let row = state.selected;
    code(&mut state, KeyCode::Tab);
    assert_eq!(state.focus, Pane::Diff);
    key(&mut state, 'j');
    assert_eq!(state.diff_scroll, 1);
    assert_eq!(
        state.selected, row,
        "rows do not move while the diff has focus"
    );
    code(&mut state, KeyCode::Tab);
    assert_eq!(state.focus, Pane::Logs);
    code(&mut state, KeyCode::BackTab);
    assert_eq!(state.focus, Pane::Diff);
}

#[tokio::test]
async fn help_opens_and_any_key_closes() {
    let (mut state, _demo) = demo_state().await;
    key(&mut state, '?');
    assert!(state.help);
    let cmds = key(&mut state, 'q');
    assert!(!state.help);
    assert!(!state.quit, "the key that closes help does nothing else");
    assert!(cmds.is_empty());
}

#[tokio::test]
async fn quit_with_q_and_ctrl_c() {
    let (mut state, _demo) = demo_state().await;
    let cmds = key(&mut state, 'q');
    assert!(state.quit);
    assert!(cmds.contains(&Cmd::Quit));
    let (mut state, _demo) = demo_state().await;
    key(&mut state, 'S');
    update(
        &mut state,
        Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
    );
    assert!(state.quit, "ctrl-c quits even from the dialog");
}

#[tokio::test]
async fn a_relist_replaces_one_kind_atomically_and_objects_deleted_meanwhile_go_missing() {
    use kdrift::model::Gvk;
    let (mut state, _demo) = demo_state().await;
    let live_before = state.live.len();
    // After a 410 the watcher lists again; frontend-config was deleted while it was disconnected.
    let gvk = Gvk {
        group: String::new(),
        version: "v1".into(),
        kind: "ConfigMap".into(),
    };
    let remaining: Vec<serde_json::Value> = state
        .live
        .iter()
        .filter(|(k, _)| k.kind == "ConfigMap" && k.name != "frontend-config")
        .map(|(_, v)| v.clone())
        .collect();
    update(
        &mut state,
        Msg::Kube(KubeMsg::Listed {
            gvk,
            namespace: None,
            objects: remaining,
        }),
    );
    assert_eq!(
        status(&state, "ConfigMap", "frontend-config"),
        Some(DriftStatus::Missing)
    );
    assert_eq!(
        state.live.len(),
        live_before - 1,
        "only the deleted object left the store"
    );
    assert_eq!(
        status(&state, "StatefulSet", "redis"),
        Some(DriftStatus::Modified),
        "other kinds untouched"
    );

    // A list scoped to one namespace replaces only that namespace's objects of the kind.
    let gvk = Gvk {
        group: "apps".into(),
        version: "v1".into(),
        kind: "Deployment".into(),
    };
    update(
        &mut state,
        Msg::Kube(KubeMsg::Listed {
            gvk,
            namespace: Some("elsewhere".into()),
            objects: vec![],
        }),
    );
    assert_eq!(
        status(&state, "Deployment", "frontend"),
        Some(DriftStatus::InSync)
    );
}

#[tokio::test]
async fn forbidden_scopes_become_error_rows() {
    use kdrift::model::Gvk;
    let (mut state, _demo) = demo_state().await;
    let gvk = Gvk {
        group: String::new(),
        version: "v1".into(),
        kind: "Secret".into(),
    };
    update(
        &mut state,
        Msg::Kube(KubeMsg::Forbidden {
            gvk,
            namespace: Some("shop".into()),
        }),
    );
    let (_, secret) = state
        .reports
        .iter()
        .find(|(k, _)| k.kind == "Secret")
        .unwrap();
    assert_eq!(secret.status, DriftStatus::Error);
    assert!(
        secret.message.as_deref().unwrap().contains("forbidden"),
        "{secret:?}"
    );
    // A forbidden object cannot be synced: the plan lists it as blocked, with the reason.
    key(&mut state, 'S');
    let plan = state.dialog.clone().unwrap();
    assert!(plan.items.iter().all(|i| i.key.kind != "Secret"));
    let all: Vec<_> = state
        .reports
        .keys()
        .filter(|k| k.kind == "Secret")
        .cloned()
        .collect();
    let blocked = kdrift::sync::plan_sync(&all, &state.reports, &state.desired, None).blocked;
    assert!(blocked[0].1.contains("forbidden"), "{blocked:?}");
}

#[tokio::test]
async fn a_failed_repo_read_keeps_the_last_good_desired_state() {
    let (mut state, _demo) = demo_state().await;
    let before = state.desired.len();
    let drifted = state.drifted_keys();
    update(
        &mut state,
        Msg::Repo(kdrift::app::RepoMsg::Failed(
            "cannot resolve revision \"main\"".into(),
        )),
    );
    assert_eq!(state.desired.len(), before);
    assert_eq!(state.drifted_keys(), drifted);
    assert!(
        state
            .notices
            .iter()
            .any(|n| n.kind == NoticeKind::Error && n.text.contains("main"))
    );
    assert!(
        state.repo.is_some(),
        "the header still names the commit being compared"
    );
}

#[tokio::test]
async fn f_fetches_a_url_repo_and_tells_a_local_one_needs_nothing() {
    let (mut state, _demo) = demo_state().await;
    assert!(!key(&mut state, 'f').iter().any(|c| matches!(c, Cmd::Fetch)));
    let last = state.notices.last().unwrap().text.clone();
    assert!(last.contains("local repo"), "{last}");

    state.remote_repo = true;
    assert!(key(&mut state, 'f').iter().any(|c| matches!(c, Cmd::Fetch)));
    update(
        &mut state,
        Msg::Repo(kdrift::app::RepoMsg::Failed(format!(
            "{}: git://h/r refused",
            kdrift::repo::STALE
        ))),
    );
    assert!(state.repo_error.is_some());
    update(
        &mut state,
        Msg::Repo(kdrift::app::RepoMsg::Fetched {
            manual: true,
            changed: false,
        }),
    );
    assert_eq!(
        state.repo_error, None,
        "a fetch that works clears the error"
    );
    assert_eq!(state.notices.last().unwrap().text, "fetched: up to date");
}

/// A new commit re-judges only the rows whose desired object changed, yet the table ends up exactly
/// as a full rebuild would make it (here checked against a fresh evaluation of the same commit).
#[tokio::test]
async fn a_new_snapshot_updates_changed_rows_and_keeps_the_rest() {
    let (mut state, demo) = demo_state().await;
    let mut next = demo.snapshot.clone();
    let redis = next
        .desired
        .iter_mut()
        .find(|d| d.key.name == "redis" && d.key.kind == "StatefulSet")
        .unwrap();
    std::sync::Arc::make_mut(&mut redis.manifest)["spec"]["replicas"] = serde_json::json!(3);
    next.desired
        .retain(|d| d.key.name != "api" || d.key.kind != "Service");
    next.commit.id = "f".repeat(40);
    update(
        &mut state,
        Msg::Repo(kdrift::app::RepoMsg::Snapshot(Box::new(next.clone()))),
    );
    assert_eq!(
        status(&state, "StatefulSet", "redis"),
        Some(DriftStatus::InSync)
    );
    assert_eq!(
        status(&state, "Service", "api"),
        None,
        "no longer declared, not in the cluster"
    );
    assert_eq!(
        status(&state, "ConfigMap", "frontend-config"),
        Some(DriftStatus::Modified),
        "untouched rows keep their verdict"
    );
    let fresh = kdrift::headless::evaluate(&demo.resolver, next, "x").await;
    let verdicts = |s: &State| -> Vec<(String, DriftStatus)> {
        s.reports
            .iter()
            .map(|(k, r)| (k.to_string(), r.status))
            .collect()
    };
    assert_eq!(verdicts(&state), verdicts(&fresh));
}

/// After a new commit (or time travel) that keeps every watch running, a hand edit still raises
/// "drift detected": the new desired state must not leave the table waiting for watch news.
#[tokio::test]
async fn drift_alerts_keep_working_after_a_new_commit() {
    let (mut state, demo) = demo_state().await;
    let mut next = demo.snapshot.clone();
    next.commit.id = "e".repeat(40);
    update(
        &mut state,
        Msg::Repo(kdrift::app::RepoMsg::Snapshot(Box::new(next))),
    );
    assert!(state.settled, "no kind waits for a list");
    state.notices.clear();
    let mut api = state
        .live
        .iter()
        .find(|(k, _)| k.name == "frontend" && k.kind == "Deployment")
        .unwrap()
        .1
        .clone();
    api["spec"]["replicas"] = serde_json::json!(7);
    update(&mut state, Msg::Kube(KubeMsg::Applied(api)));
    assert!(
        state.notices.iter().any(|n| n.kind == NoticeKind::Drift),
        "{:?}",
        state.notices
    );
}
