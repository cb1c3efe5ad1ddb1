//! Keys: moving, focus, filtering, help and quit, and what the selection asks for (logs, diff).

use super::*;

#[test]
fn the_demo_opens_on_the_seeded_drift() {
    let state = demo_state();
    let expected = [
        ("shop/StatefulSet/redis", DriftStatus::Modified),
        ("shop/ConfigMap/frontend-config", DriftStatus::Modified),
        ("shop/Secret/api-credentials", DriftStatus::Modified),
        ("shop/Service/api", DriftStatus::Missing),
        ("shop/Deployment/legacy-worker", DriftStatus::Orphan),
        ("shop/Deployment/frontend", DriftStatus::InSync),
    ];
    for (row, want) in expected {
        let got = state
            .inv
            .verdicts
            .iter()
            .find(|(k, _)| k.to_string() == row)
            .map(|(_, r)| r.status);
        assert_eq!(got, Some(want), "{row}");
    }
    let redis = state
        .inv
        .verdicts
        .iter()
        .find(|(k, _)| k.name == "redis" && k.kind == "StatefulSet")
        .unwrap()
        .1;
    assert_eq!(redis.changes.len(), 1);
    assert_eq!(redis.changes[0].path, "/spec/replicas");
    assert_eq!(redis.changes[0].desired, Some(json!(4)));
    assert_eq!(redis.changes[0].live, Some(json!(3)));
    assert_eq!(redis.changes[0].manager.as_deref(), Some("kubectl-scale"));
    assert!(state.inv.settled);
    assert_eq!(
        selected(&state),
        "shop/ConfigMap/frontend-config",
        "the cursor starts on the first drifted row"
    );
}

#[test]
fn navigation() {
    let rows = demo_state().visible_rows().len();
    assert!(rows >= 9, "{rows}");
    let page = demo_state().page_rows;
    // keys pressed from the opening state → the selected index
    let cases: &[(&str, &[K], usize)] = &[
        ("up", &[C('k')], 0),
        ("up at the top stays", &[C('k'), C('k')], 0),
        (
            "down twice from the top",
            &[C('g'), C('j'), Code(KeyCode::Down)],
            2,
        ),
        ("last row", &[C('G')], rows - 1),
        ("down at the bottom stays", &[C('G'), C('j')], rows - 1),
        ("first row", &[C('G'), C('g')], 0),
        (
            "End and Home",
            &[Code(KeyCode::End), Code(KeyCode::Home)],
            0,
        ),
        (
            "a page down",
            &[C('g'), Code(KeyCode::PageDown)],
            page.min(rows - 1),
        ),
        (
            "a page down and up",
            &[C('g'), Code(KeyCode::PageDown), Code(KeyCode::PageUp)],
            0,
        ),
        (
            "the diff pane scrolls, rows stay",
            &[C('g'), Code(KeyCode::Tab), C('j')],
            0,
        ),
    ];
    for (name, seq, want) in cases {
        let mut state = demo_state();
        keys(&mut state, seq);
        assert_eq!(state.selected, *want, "{name}");
    }
}

#[test]
fn focus_cycles_and_scrolls_the_focused_pane() {
    let cases: &[(&[K], Pane, usize)] = &[
        (&[Code(KeyCode::Tab)], Pane::Diff, 0),
        (&[Code(KeyCode::Tab), C('j')], Pane::Diff, 1),
        (&[Code(KeyCode::Tab), Code(KeyCode::Tab)], Pane::Logs, 0),
        (
            &[
                Code(KeyCode::Tab),
                Code(KeyCode::Tab),
                Code(KeyCode::BackTab),
            ],
            Pane::Diff,
            0,
        ),
        (&[Code(KeyCode::BackTab)], Pane::Logs, 0),
    ];
    for (seq, pane, diff_scroll) in cases {
        let mut state = demo_state();
        keys(&mut state, seq);
        assert_eq!((state.focus, state.diff_scroll), (*pane, *diff_scroll));
    }
}

#[test]
fn filtering() {
    let all = demo_state().visible_rows().len();
    // typed after `/` → (the rows left, None: every row; still typing)
    type Case<'a> = (&'a str, &'a [K], Option<&'a [&'a str]>, bool);
    let cases: &[Case] = &[
        (
            "by name",
            &[],
            Some(&["shop/Service/redis", "shop/StatefulSet/redis"]),
            true,
        ),
        (
            "Enter keeps it",
            &[Code(KeyCode::Enter)],
            Some(&["shop/Service/redis", "shop/StatefulSet/redis"]),
            false,
        ),
        ("Esc clears it", &[Code(KeyCode::Esc)], None, false),
        ("q is typed, not quit", &[C('q')], Some(&[]), true),
    ];
    for (name, then, want, typing) in cases {
        let mut state = demo_state();
        key(&mut state, '/');
        for c in "redis".chars() {
            key(&mut state, c);
        }
        keys(&mut state, then);
        let rows: Vec<String> = state
            .visible_rows()
            .iter()
            .map(|(r, _)| r.to_string())
            .collect();
        match want {
            Some(want) => assert_eq!(rows, *want, "{name}"),
            None => assert_eq!(rows.len(), all, "{name}"),
        }
        assert_eq!(matches!(state.mode, Mode::Filter(_)), *typing, "{name}");
        assert!(!state.quit, "{name}");
    }
    let mut state = demo_state();
    key(&mut state, '/');
    for c in "orphan".chars() {
        key(&mut state, c);
    }
    let rows: Vec<String> = state
        .visible_rows()
        .iter()
        .map(|(r, _)| r.to_string())
        .collect();
    assert_eq!(
        rows,
        ["shop/Deployment/legacy-worker"],
        "a status word filters too"
    );
    // the matches follow a status that changes under the filter, the rows staying the same
    let mut state = demo_state();
    key(&mut state, '/');
    for c in "in sync".chars() {
        key(&mut state, c);
    }
    let api = |state: &State| {
        state
            .visible_rows()
            .iter()
            .any(|(r, _)| r.to_string() == "shop/Deployment/api")
    };
    assert!(api(&state), "in sync at first");
    let drifted = api_scaled_to_99(&state);
    let rows = state.inv.row_count();
    press_msg(&mut state, Msg::Kube(KubeEvent::Applied(drifted.clone())));
    assert_eq!(state.inv.row_count(), rows);
    assert!(!api(&state), "modified now: {:?}", state.visible_rows());

    // a filter no status label holds is not worked out again when a status changes alone: the
    // same matches, the row's new status shown
    let mut state = demo_state();
    key(&mut state, '/');
    for c in "api".chars() {
        key(&mut state, c);
    }
    let before = state.filtered.positions(&state.inv, &state.filter);
    let stamp = state.inv.rows_stamp();
    press_msg(&mut state, Msg::Kube(KubeEvent::Applied(drifted)));
    assert_ne!(state.inv.rows_stamp(), stamp, "a status changed");
    let after = state.filtered.positions(&state.inv, &state.filter);
    assert!(std::sync::Arc::ptr_eq(&before, &after), "worked out again");
    let shown: Vec<String> = state
        .visible_rows()
        .iter()
        .map(|(r, report)| format!("{r} {}", report.status.label()))
        .collect();
    assert!(
        shown.contains(&"shop/Deployment/api modified".to_string()),
        "{shown:?}"
    );
}

/// Issue 15: `:` jumps to the first row of a namespace or a kind (by name, kubectl short name
/// or prefix); Esc leaves the selection; a name nothing matches says so.
#[test]
fn colon_jumps_to_a_namespace_or_kind() {
    let cases: &[(&str, Option<&str>)] = &[
        ("Service", Some("shop/Service/api")),
        ("svc", Some("shop/Service/api")),
        ("sts", Some("shop/StatefulSet/redis")),
        ("deploy", Some("shop/Deployment/api")),
        ("statef", Some("shop/StatefulSet/redis")),
        ("shop", Some("shop/ConfigMap/frontend-config")),
        ("nothing-like-it", None),
    ];
    for (typed, want) in cases {
        let mut state = demo_state();
        key(&mut state, 'j');
        let before = selected(&state);
        key(&mut state, ':');
        assert!(matches!(state.mode, Mode::Jump(_)), "{typed}");
        for c in typed.chars() {
            key(&mut state, c);
        }
        assert_eq!(
            selected(&state),
            before,
            "{typed}: nothing moves while typing"
        );
        press(&mut state, KeyCode::Enter);
        assert!(matches!(state.mode, Mode::Normal), "{typed}");
        match want {
            Some(want) => assert_eq!(selected(&state), *want, "{typed}"),
            None => {
                assert_eq!(selected(&state), before, "{typed}");
                assert!(
                    state
                        .notices
                        .iter()
                        .any(|n| n.text.contains("no app, namespace or kind")),
                    "{typed}"
                );
            }
        }
    }
    let mut state = demo_state();
    let before = selected(&state);
    for c in [':', 's', 'v', 'c'] {
        key(&mut state, c);
    }
    press(&mut state, KeyCode::Esc);
    assert_eq!(selected(&state), before, "Esc jumps nowhere");
    assert!(matches!(state.mode, Mode::Normal));
}

#[test]
fn help_and_quit() {
    // keys → (help open, quit)
    let cases: &[(&str, &[K], bool, bool)] = &[
        ("? opens help", &[C('?')], true, false),
        (
            "any key closes help and does nothing else",
            &[C('?'), C('q')],
            false,
            false,
        ),
        ("q quits", &[C('q')], false, true),
        (
            "q in the plan does nothing",
            &[C('S'), C('q')],
            false,
            false,
        ),
    ];
    for (name, seq, help, quit) in cases {
        let mut state = demo_state();
        let cmds = keys(&mut state, seq);
        assert_eq!(matches!(state.mode, Mode::Help), *help, "{name}");
        assert_eq!(state.quit, *quit, "{name}");
        assert_eq!(cmds.contains(&Cmd::Quit), *quit, "{name}");
    }
    // ^c quits from every mode
    for open in [None, Some('?'), Some('/'), Some('S'), Some('h')] {
        let mut state = demo_state();
        select(&mut state, "shop/StatefulSet/redis");
        if let Some(k) = open {
            key(&mut state, k);
        }
        ctrl(&mut state, 'c');
        assert!(state.quit, "^c after {open:?}");
    }
}

#[test]
fn selecting_a_workload_follows_its_logs() {
    let mut state = demo_state();
    key(&mut state, 'g');
    let mut follow = None;
    while selected(&state) != "shop/StatefulSet/redis" {
        let cmds = key(&mut state, 'j');
        follow = cmds.into_iter().find_map(|c| match c {
            Cmd::FollowLogs(t) => Some(t),
            _ => None,
        });
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

/// A watch event that replaces the selected object's live side asks for its diff again;
/// moving on asks for the next row's; an unrelated event asks for nothing.
#[test]
fn the_diff_is_asked_for_when_the_selection_or_a_side_changes() {
    let mut state = demo_state();
    select(&mut state, "shop/StatefulSet/redis");
    let diffs = |cmds: &[Cmd]| {
        cmds.iter()
            .filter(|c| matches!(c, Cmd::Diff { .. }))
            .count()
    };
    let live = |state: &State, kind: &str, name: &str| {
        let found = state
            .inv
            .live()
            .iter()
            .find(|(k, _)| k.kind == kind && k.name == name);
        found.unwrap().1.value()
    };
    let unrelated = live(&state, "ConfigMap", "frontend-config");
    let cmds = kdrift::app::update(&mut state, Msg::Kube(KubeEvent::Applied(unrelated)));
    assert_eq!(diffs(&cmds), 0, "another object changed");
    let mut redis = live(&state, "StatefulSet", "redis");
    redis["spec"]["replicas"] = json!(2);
    let cmds = kdrift::app::update(&mut state, Msg::Kube(KubeEvent::Applied(redis)));
    assert_eq!(diffs(&cmds), 1, "the selected object changed");
    let cmds = kdrift::app::update(
        &mut state,
        Msg::Key(crossterm::event::KeyEvent::new(
            KeyCode::Char('k'),
            crossterm::event::KeyModifiers::NONE,
        )),
    );
    assert_eq!(diffs(&cmds), 0, "an in-sync row shows no diff");
}

/// A manifest row is a file, not an object: `s` says why it cannot be converged, `h` that it
/// has no history, and neither opens anything.
#[test]
fn keys_on_a_manifest_row_explain_instead_of_acting() {
    let mut state = demo_state();
    let mut snap = crate::common::captured().snapshot.clone();
    snap.errors.push(kdrift_engine::model::ManifestError {
        source: "shop/bad.yaml".into(),
        line: Some(3),
        message: "invalid YAML".into(),
        object: None,
        app: None,
    });
    press_msg(&mut state, Msg::Repo(RepoEvent::Snapshot(Box::new(snap))));
    select(&mut state, "Manifest/shop/bad.yaml:3");
    // the key → the notice it leaves
    let cases = [
        (
            's',
            "Manifest/shop/bad.yaml:3 cannot be converged: invalid YAML",
        ),
        (
            'h',
            "Manifest/shop/bad.yaml:3 is not declared in git: no history",
        ),
    ];
    for (k, text) in cases {
        let cmds = key(&mut state, k);
        assert!(matches!(state.mode, Mode::Normal), "{k}");
        assert!(
            !cmds
                .iter()
                .any(|c| matches!(c, Cmd::ReadHistory { .. } | Cmd::Sync(_))),
            "{k}: {cmds:?}"
        );
        assert_eq!(state.notices.last().unwrap().text, text, "{k}");
    }
}

/// The diff text of a row that went in sync is forgotten: if it drifts again, the pane waits
/// for the new text instead of showing the old one.
#[test]
fn an_old_diff_text_never_comes_back() {
    let mut state = demo_state();
    select(&mut state, "shop/StatefulSet/redis");
    let key = state.selected_key().cloned().unwrap();
    assert!(state.diff.text_for(&key).is_some() && !state.diff.waiting());
    let mut redis = state.inv.live()[&key].value();
    redis["spec"]["replicas"] = json!(4);
    press_msg(&mut state, Msg::Kube(KubeEvent::Applied(redis.clone())));
    assert_eq!(
        status(&state, "StatefulSet", "redis"),
        Some(DriftStatus::InSync)
    );
    assert!(
        state.diff.text_for(&key).is_none(),
        "no text for an in-sync row"
    );
    redis["spec"]["replicas"] = json!(1);
    // folded without running the diff job: the pane now waits for it
    kdrift::app::update(&mut state, Msg::Kube(KubeEvent::Applied(redis)));
    assert!(state.diff.waiting());
    assert!(
        state.diff.text_for(&key).is_none(),
        "not the text of the earlier drift"
    );
}

/// `i` on a drifted row shows the rule that would ignore its first changed field; only `y`
/// asks for it to be written, and the rules read back make the row in sync, the field dimmed.
#[test]
fn i_proposes_an_ignore_rule_and_y_writes_it() {
    use kdrift::app::IgnoreProposal;
    use kdrift_engine::drift::{IgnoreRules, RuleSource};
    let mut state = demo_state();
    state.config_file = Some("/tmp/kdrift-test-config.toml".into());
    select(&mut state, "shop/StatefulSet/redis");
    key(&mut state, 'i');
    let Mode::Ignore(IgnoreProposal { path, rule, .. }) = &state.mode else {
        panic!("{:?}", state.mode)
    };
    assert_eq!(path, "/spec/replicas");
    let text = rule.to_toml();
    assert!(
        text.contains("name = \"redis\"") && text.contains("/spec/replicas"),
        "{text}"
    );
    assert!(key(&mut state, 'n').is_empty(), "n writes nothing");
    assert!(matches!(state.mode, Mode::Normal));
    key(&mut state, 'i');
    let cmds = key(&mut state, 'y');
    let [Cmd::SaveIgnoreRule(rule)] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    let rules = IgnoreRules::parse(&rule.to_toml(), RuleSource::User).unwrap();
    press_msg(&mut state, Msg::Rules(Ok(rules)));
    assert_eq!(
        status(&state, "StatefulSet", "redis"),
        Some(DriftStatus::InSync)
    );
    let (_, redis) = state
        .inv
        .verdicts
        .iter()
        .find(|(k, _)| k.kind == "StatefulSet")
        .unwrap();
    assert_eq!(redis.ignored[0].change.path, "/spec/replicas");
    assert_eq!(redis.ignored[0].rule, "your config rule 1");
    assert!(
        state
            .notices
            .iter()
            .any(|n| n.text.contains("ignore rule written"))
    );
}

/// A pod printing an env var filled from a Secret (git's value or the cluster's, plain or
/// base64) shows the mask in the logs pane, never the value (reliability S1).
#[test]
fn s1_log_lines_lose_the_secret_values_kdrift_knows() {
    use kdrift_engine::cluster::{LogEvent, LogLine};
    let mut state = demo_state();
    select(&mut state, "shop/StatefulSet/redis");
    let target = state.logs.target.clone().expect("following redis");
    // the demo's live Secret holds this (edited by hand); git holds the original
    let lines = [
        "DB_PASSWORD=hunter2-rotated-by-hand",
        "boot with correct-horse-battery-staple",
        "b64 aHVudGVyMi1yb3RhdGVkLWJ5LWhhbmQ=",
        "an ordinary line",
    ];
    press_msg(
        &mut state,
        Msg::Logs(LogEvent::Lines {
            target,
            lines: lines
                .iter()
                .map(|t| LogLine {
                    pod: "redis-0".into(),
                    text: t.to_string(),
                })
                .collect(),
        }),
    );
    let shown: Vec<&str> = state.logs.lines.iter().map(|l| l.text.as_str()).collect();
    for leaked in ["hunter2", "correct-horse", "aHVudGVyMi1yb3Rh"] {
        assert!(
            shown.iter().all(|l| !l.contains(leaked)),
            "{leaked} in {shown:?}"
        );
    }
    assert_eq!(
        shown[0],
        format!("DB_PASSWORD={}", kdrift_engine::drift::MASK)
    );
    assert_eq!(shown[3], "an ordinary line");
}
