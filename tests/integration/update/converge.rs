//! The converge flow: the plan a key opens, closing it, confirming, the sync's progress and results.

use super::*;

#[test]
fn opening_the_plan() {
    // where the cursor is, the key → the plan's (create, patch, prune), or the notice instead
    type Case<'a> = (&'a str, char, Result<(usize, usize, usize), &'a str>);
    let cases: &[Case] = &[
        ("shop/Service/api", 'S', Ok((1, 3, 1))),
        ("shop/Service/api", 's', Ok((1, 0, 0))),
        ("shop/StatefulSet/redis", 's', Ok((0, 1, 0))),
        ("shop/Deployment/legacy-worker", 's', Ok((0, 0, 1))),
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
            &[C('j'), C('s'), C('?')],
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
    let expected = state.mode.dialog().cloned().unwrap();
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
    press_msg(
        &mut state,
        Msg::Sync(SyncEvent::Finished { ok: 5, failed: 0 }),
    );
    assert!(state.sync.is_none());
}

#[test]
fn sync_results_become_notices() {
    let key0 = || demo_state().inv.drifted_keys()[0].clone();
    let refused = SyncError::Forbidden {
        verb: "patch",
        key: key0(),
    };
    // what the sync reports → the notice it leaves
    let cases: Vec<(Vec<SyncEvent>, NoticeKind, String)> = vec![
        (
            vec![SyncEvent::PreflightFailed(refused.clone())],
            NoticeKind::Error,
            format!(
                "nothing applied: dry-run failed: forbidden: you may not patch {}",
                key0()
            ),
        ),
        (
            vec![
                SyncEvent::ItemDone {
                    key: key0(),
                    result: Err(refused),
                },
                SyncEvent::Finished { ok: 4, failed: 1 },
            ],
            NoticeKind::Error,
            format!("sync: 1 failed, 4 applied: {}: forbidden", key0()),
        ),
        (
            vec![SyncEvent::Finished { ok: 5, failed: 0 }],
            NoticeKind::Info,
            "sync: 5 applied; waiting for the cluster…".into(),
        ),
    ];
    for (events, kind, text) in cases {
        let mut state = demo_state();
        key(&mut state, 'S');
        key(&mut state, 'y');
        for e in events {
            press_msg(&mut state, Msg::Sync(e));
        }
        let last = state.notices.last().unwrap();
        assert_eq!(last.kind, kind);
        assert!(last.text.starts_with(&text), "{:?} vs {text:?}", last.text);
        assert!(state.sync.is_none());
    }
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
    let plan = state.inv.plan_sync(&all);
    assert!(plan.items.is_empty());
    assert!(
        plan.blocked[0].1.contains("forbidden"),
        "{:?}",
        plan.blocked
    );
}
