//! The converge flow: the plan a key opens, closing it, confirming, the sync's progress and results.

use super::*;

#[test]
fn opening_the_plan() {
    // where the cursor is, the key → the plan's (create, patch, prune), or the notice instead;
    // prune is off until asked for, so an orphan opens a plan that only offers it
    type Case<'a> = (&'a str, char, Result<(usize, usize, usize), &'a str>);
    let cases: &[Case] = &[
        ("shop/Service/api", 'S', Ok((1, 3, 0))),
        ("shop/Service/api", 's', Ok((1, 0, 0))),
        ("shop/StatefulSet/redis", 's', Ok((0, 1, 0))),
        ("shop/Deployment/legacy-worker", 's', Ok((0, 0, 0))),
        ("shop/Deployment/frontend", 's', Err("nothing to converge")),
    ];
    for (row, k, want) in cases {
        let mut state = demo_state();
        select(&mut state, row);
        let cmds = key(&mut state, *k);
        assert!(
            !cmds.iter().any(|c| matches!(c, Cmd::Sync(_))),
            "nothing runs before confirmation"
        );
        match (want, state.mode.dialog()) {
            (Ok((create, patch, prune)), Some(plan)) => assert_eq!(
                (
                    plan.count(|o| *o == PlanOp::Create),
                    plan.count(|o| matches!(o, PlanOp::Patch { .. })),
                    plan.count(|o| *o == PlanOp::Prune)
                ),
                (*create, *patch, *prune),
                "{k} on {row}"
            ),
            (Err(notice), None) => assert!(
                state.notices.iter().any(|n| n.text.contains(notice)),
                "{k} on {row}: {:?}",
                state.notices
            ),
            (want, got) => panic!("{k} on {row}: wanted {want:?}, got {got:?}"),
        }
    }
}

#[test]
fn the_plan_names_the_managers_it_takes_fields_from() {
    let mut state = demo_state();
    key(&mut state, 'S');
    let plan = state.mode.dialog().expect("dialog open");
    let redis = plan.items.iter().find(|i| i.key.name == "redis").unwrap();
    assert_eq!(
        redis.op,
        PlanOp::Patch {
            fields: 1,
            take_over: vec!["kubectl-scale".into()]
        }
    );
}

#[test]
fn closing_the_plan() {
    // keys in the dialog → (a sync starts, the dialog is still open)
    let cases: &[(&str, &[K], bool, bool)] = &[
        ("n cancels", &[C('n')], false, false),
        ("Esc cancels", &[Code(KeyCode::Esc)], false, false),
        ("y applies", &[C('y')], true, false),
        ("Enter applies", &[Code(KeyCode::Enter)], true, false),
        (
            "other keys do nothing",
            &[C('j'), C('s'), C('?'), C('F')],
            false,
            true,
        ),
    ];
    for (name, seq, syncs, open) in cases {
        let mut state = demo_state();
        key(&mut state, 'S');
        let cmds = keys(&mut state, seq);
        assert_eq!(
            cmds.iter().any(|c| matches!(c, Cmd::Sync(_))),
            *syncs,
            "{name}"
        );
        assert_eq!(state.mode.dialog().is_some(), *open, "{name}");
        assert!(!state.quit, "{name}");
    }
}

#[test]
fn confirm_emits_the_plan_and_tracks_progress() {
    let mut state = demo_state();
    key(&mut state, 'S');
    assert_eq!(
        state.mode.dialog().map(|p| (p.items.len(), p.orphans)),
        Some((4, 1))
    );
    key(&mut state, 'p');
    let expected = state.mode.dialog().cloned().unwrap();
    assert!(expected.prune && expected.orphans == 0);
    let plan = press(&mut state, KeyCode::Enter)
        .into_iter()
        .find_map(|c| match c {
            Cmd::Sync(p) => Some(p),
            _ => None,
        })
        .expect("Cmd::Sync");
    assert_eq!(plan, expected);
    assert_eq!(state.sync.as_ref().map(|p| p.total), Some(5));
    key(&mut state, 'S');
    assert!(
        state.mode.dialog().is_none(),
        "no second sync while one runs"
    );
    for item in &plan.items {
        let done = SyncEvent::ItemDone {
            key: item.key.clone(),
            result: Ok(()),
        };
        press_msg(&mut state, Msg::Sync(done));
    }
    assert_eq!(state.sync.as_ref().map(|p| p.done), Some(5));
    let outcome = SyncOutcome {
        applied: plan.items.iter().map(|i| i.key.clone()).collect(),
        ..SyncOutcome::default()
    };
    press_msg(&mut state, Msg::Sync(SyncEvent::Finished(outcome)));
    assert!(state.sync.is_none());
}

#[test]
fn sync_results_become_notices() {
    let key0 = || demo_state().inv.drifted_keys()[0].clone();
    let refused = SyncError::Forbidden { verb: "patch" };
    let rest = || demo_state().inv.drifted_keys()[1..4].to_vec();
    // what the sync reports → the notice it leaves
    let cases: Vec<(SyncOutcome, NoticeKind, String)> = vec![
        (
            SyncOutcome {
                failed: vec![(key0(), refused.clone())],
                not_applied: rest(),
                stopped_at: Some("permission check".into()),
                refused_by_dry_run: true,
                ..SyncOutcome::default()
            },
            NoticeKind::Error,
            format!(
                "sync stopped at permission check (refused by the dry-run: nothing of that step changed): 1 failed, 0 applied, 3 not applied: {}: forbidden: you may not patch it",
                key0()
            ),
        ),
        (
            SyncOutcome {
                applied: rest(),
                failed: vec![(key0(), refused)],
                stopped_at: Some("wave 0".into()),
                ..SyncOutcome::default()
            },
            NoticeKind::Error,
            format!(
                "sync stopped at wave 0: 1 failed, 3 applied, 0 not applied: {}: forbidden",
                key0()
            ),
        ),
        (
            SyncOutcome {
                applied: demo_state().inv.drifted_keys(),
                ..SyncOutcome::default()
            },
            NoticeKind::Info,
            "sync: 5 applied; waiting for the cluster…".into(),
        ),
    ];
    for (outcome, kind, text) in cases {
        let mut state = demo_state();
        key(&mut state, 'S');
        key(&mut state, 'y');
        press_msg(&mut state, Msg::Sync(SyncEvent::Finished(outcome)));
        let last = state.notices.last().unwrap();
        assert_eq!(last.kind, kind);
        assert!(last.text.starts_with(&text), "{:?} vs {text:?}", last.text);
        assert!(state.sync.is_none());
        assert!(
            state.mode.dialog().is_none(),
            "no second confirmation asked"
        );
    }
}

#[test]
fn a_conflict_asks_for_force_and_only_f_gives_it() {
    let mut state = demo_state();
    key(&mut state, 'S');
    key(&mut state, 'y');
    let redis = state
        .inv
        .drifted_keys()
        .into_iter()
        .find(|k| k.name == "redis")
        .unwrap();
    let conflict = Conflict {
        manager: "kubectl-scale".into(),
        field: ".spec.replicas".into(),
    };
    let outcome = SyncOutcome {
        failed: vec![(redis.clone(), SyncError::Conflict(vec![conflict.clone()]))],
        not_applied: vec![],
        stopped_at: Some("wave 0".into()),
        refused_by_dry_run: true,
        ..SyncOutcome::default()
    };
    press_msg(&mut state, Msg::Sync(SyncEvent::Finished(outcome)));
    let dialog = state.mode.plan_dialog().expect("asked again");
    assert_eq!(
        dialog.stage,
        DialogStage::Force {
            conflicts: vec![(redis.clone(), conflict)]
        }
    );
    let text = screen(&state, 100, 30);
    assert!(
        text.contains(".spec.replicas") && text.contains("owned by kubectl-scale"),
        "{text}"
    );
    for not_force in ['y', 'p'] {
        assert!(
            key(&mut state, not_force).is_empty(),
            "{not_force} is not F"
        );
        assert!(state.mode.plan_dialog().is_some());
    }
    let plan = key(&mut state, 'F')
        .into_iter()
        .find_map(|c| match c {
            Cmd::Sync(p) => Some(p),
            _ => None,
        })
        .expect("F applies again");
    assert!(plan.force, "this time taking the fields");
}

#[test]
fn an_immutable_field_recreates_only_after_the_name_is_typed() {
    let mut state = demo_state();
    key(&mut state, 'S');
    key(&mut state, 'y');
    let cfg = state
        .inv
        .drifted_keys()
        .into_iter()
        .find(|k| k.name == "frontend-config")
        .unwrap();
    let outcome = SyncOutcome {
        failed: vec![(cfg.clone(), SyncError::Immutable(vec!["data".into()]))],
        refused_by_dry_run: true,
        ..SyncOutcome::default()
    };
    press_msg(&mut state, Msg::Sync(SyncEvent::Finished(outcome)));
    assert!(screen(&state, 100, 30).contains("Type its name to confirm"));
    assert!(
        press(&mut state, KeyCode::Enter).is_empty(),
        "nothing typed yet"
    );
    for c in "frontend-confi".chars() {
        key(&mut state, c);
    }
    assert!(
        press(&mut state, KeyCode::Enter).is_empty(),
        "not the whole name"
    );
    key(&mut state, 'g');
    let plan = press(&mut state, KeyCode::Enter)
        .into_iter()
        .find_map(|c| match c {
            Cmd::Sync(p) => Some(p),
            _ => None,
        })
        .expect("the name confirms");
    let item = plan.items.iter().find(|i| i.key == cfg).unwrap();
    assert_eq!(
        item.op,
        PlanOp::Recreate {
            fields: vec!["data".into()]
        }
    );
}

#[test]
fn marked_rows_are_planned_together() {
    let mut state = demo_state();
    let drifted = state.inv.drifted_keys();
    select(&mut state, &drifted[0].to_string());
    key(&mut state, ' ');
    select(&mut state, &drifted[2].to_string());
    key(&mut state, ' ');
    key(&mut state, 's');
    let planned: Vec<_> = state
        .mode
        .dialog()
        .unwrap()
        .items
        .iter()
        .map(|i| i.key.clone())
        .collect();
    let mut want = vec![drifted[0].clone(), drifted[2].clone()];
    want.retain(|k| planned.contains(k));
    assert_eq!(planned.len(), 2, "{planned:?}");
    assert_eq!(planned.len(), want.len());
}

#[test]
fn read_only_refuses_sync() {
    for k in ['s', 'S'] {
        let mut state = demo_state();
        state.read_only = true;
        key(&mut state, k);
        assert!(state.mode.dialog().is_none());
        assert!(
            state
                .notices
                .iter()
                .any(|n| n.kind == NoticeKind::Error && n.text.contains("read-only"))
        );
    }
}

#[test]
fn a_forbidden_object_is_blocked_in_the_plan_with_the_reason() {
    let mut state = demo_state();
    let gvk = Gvk {
        group: String::new(),
        version: "v1".into(),
        kind: "Secret".into(),
    };
    let event = KubeEvent::Forbidden {
        gvk,
        namespace: Some("shop".into()),
    };
    press_msg(&mut state, Msg::Kube(event));
    let secret = state.inv.drifted_keys();
    assert!(
        secret.iter().all(|k| k.kind != "Secret"),
        "no longer drift, an error"
    );
    let all: Vec<_> = state
        .inv
        .verdicts
        .keys()
        .filter(|k| k.kind == "Secret")
        .cloned()
        .collect();
    let plan = state.inv.plan_sync(&all, false);
    assert!(plan.items.is_empty());
    assert!(
        plan.blocked[0].1.contains("forbidden"),
        "{:?}",
        plan.blocked
    );
}

/// The live redis as the watch would send it: `replicas` wanted, `ready` of them ready.
fn redis_live(state: &State, replicas: i64, ready: i64) -> serde_json::Value {
    let key = state
        .inv
        .live()
        .keys()
        .find(|k| k.name == "redis" && k.kind == "StatefulSet")
        .unwrap()
        .clone();
    let mut live = state.inv.live()[&key].value();
    live["spec"]["replicas"] = json!(replicas);
    live["metadata"]["generation"] = json!(7);
    live["status"] = json!({"observedGeneration": 7, "replicas": replicas, "readyReplicas": ready,
        "updatedReplicas": replicas, "currentRevision": "r1", "updateRevision": "r1"});
    live
}

#[test]
fn after_a_sync_converged_waits_for_health_and_says_how_long_it_took() {
    let mut state = demo_state();
    select(&mut state, "shop/StatefulSet/redis");
    key(&mut state, 's');
    key(&mut state, 'y');
    let redis = state.selected_key().cloned().unwrap();
    press_msg(&mut state, Msg::Tick(crate::common::NOW_MS + 1_000));
    let outcome = SyncOutcome {
        applied: vec![redis.clone()],
        ..SyncOutcome::default()
    };
    press_msg(&mut state, Msg::Sync(SyncEvent::Finished(outcome)));
    assert!(state.converging.is_some(), "waiting for the cluster");
    // in sync with git, but one replica is not ready yet: progress on the row, no converged
    let starting = redis_live(&state, 4, 3);
    press_msg(&mut state, Msg::Kube(KubeEvent::Applied(starting)));
    assert_eq!(
        status(&state, "StatefulSet", "redis"),
        Some(DriftStatus::InSync)
    );
    assert!(
        !state
            .notices
            .iter()
            .any(|n| n.kind == NoticeKind::Converged),
        "{:?}",
        state.notices
    );
    let text = screen(&state, 200, 30);
    assert!(text.contains("⟳ 3 of 4 replicas ready"), "{text}");
    press_msg(&mut state, Msg::Tick(crate::common::NOW_MS + 4_500));
    let ready = redis_live(&state, 4, 4);
    press_msg(&mut state, Msg::Kube(KubeEvent::Applied(ready)));
    let done = state
        .notices
        .iter()
        .find(|n| n.kind == NoticeKind::Converged)
        .expect("converged once healthy");
    // from the confirmation (at NOW_MS) to healthy
    assert!(done.text.starts_with("synced in 4.5s"), "{}", done.text);
    assert!(state.converging.is_none());
}

#[test]
fn a_stuck_rollout_is_said_with_the_pod_that_holds_it_and_time_runs_out() {
    let mut state = demo_state();
    select(&mut state, "shop/StatefulSet/redis");
    key(&mut state, 's');
    key(&mut state, 'y');
    let redis = state.selected_key().cloned().unwrap();
    let outcome = SyncOutcome {
        applied: vec![redis.clone()],
        ..SyncOutcome::default()
    };
    press_msg(&mut state, Msg::Sync(SyncEvent::Finished(outcome)));
    let mut crashing = redis_live(&state, 4, 3);
    // a Deployment's deadline or a crashing pod would be degraded; a StatefulSet waits, so
    // time runs out
    crashing["status"]["readyReplicas"] = json!(3);
    press_msg(&mut state, Msg::Kube(KubeEvent::Applied(crashing)));
    let cmds = press_msg(
        &mut state,
        Msg::Tick(crate::common::NOW_MS + kdrift::app::HEALTH_WAIT_MS + 1),
    );
    let last = state.notices.last().unwrap();
    assert_eq!(last.kind, NoticeKind::Error);
    assert!(
        last.text.starts_with(
            "not converged after 180s: 1 stuck; shop/StatefulSet/redis: 3 of 4 replicas ready"
        ),
        "{}",
        last.text
    );
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Cmd::ExplainStuck { key, .. } if *key == redis)),
        "{cmds:?}"
    );
    press_msg(
        &mut state,
        Msg::Stuck {
            key: redis.clone(),
            why: Some("pod redis-3: Unschedulable: 0/2 nodes are available".into()),
        },
    );
    assert!(
        state
            .notices
            .last()
            .unwrap()
            .text
            .contains("pod redis-3: Unschedulable")
    );
    assert!(state.converging.is_none());
}

#[test]
fn a_long_plan_scrolls_and_keeps_totals_prunes_and_keys_in_view() {
    let mut state = demo_state();
    key(&mut state, 'S');
    key(&mut state, 'p');
    let short = |state: &State| screen(state, 90, 13);
    let text = short(&state);
    for always in [
        "Converge to git bbd4997: 1 create, 3 patch, 1 prune",
        "PRUNE    shop/Deployment/legacy-worker",
        "y / Enter: apply",
        "↓j ↑k",
    ] {
        assert!(text.contains(always), "{always}:\n{text}");
    }
    assert!(
        !text.contains("StatefulSet/redis"),
        "the last patch is below:\n{text}"
    );
    for _ in 0..10 {
        key(&mut state, 'j');
    }
    let text = short(&state);
    assert!(
        text.contains("StatefulSet/redis"),
        "scrolled to the end:\n{text}"
    );
    for always in [
        "1 prune",
        "PRUNE    shop/Deployment/legacy-worker",
        "y / Enter: apply",
    ] {
        assert!(text.contains(always), "{always} after scrolling:\n{text}");
    }
    assert!(
        state.mode.dialog().is_some(),
        "j scrolls, it does not confirm"
    );
}
