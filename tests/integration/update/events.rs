//! Engine events folded into the view: watch events, repo events, new commits, notices.

use super::*;

#[test]
fn watch_events() {
    let configmap = Gvk {
        group: String::new(),
        version: "v1".into(),
        kind: "ConfigMap".into(),
    };
    let deployment = Gvk {
        group: "apps".into(),
        version: "v1".into(),
        kind: "Deployment".into(),
    };
    let secret = Gvk {
        kind: "Secret".into(),
        ..configmap.clone()
    };
    let state = demo_state();
    let cms: Vec<_> = state
        .inv
        .live()
        .iter()
        .filter(|(k, _)| k.kind == "ConfigMap" && k.name != "frontend-config")
        .map(|(_, v)| v.value())
        .collect();
    // an event → rows that must then read so
    type Want = &'static [(&'static str, &'static str, Option<DriftStatus>)];
    let cases: Vec<(&str, KubeEvent, Want)> = vec![
        (
            "a re-list without an object (deleted while disconnected) makes it missing",
            KubeEvent::Listed {
                gvk: configmap.clone(),
                scope: Scope::All,
                objects: cms,
            },
            &[
                ("ConfigMap", "frontend-config", Some(DriftStatus::Missing)),
                ("StatefulSet", "redis", Some(DriftStatus::Modified)),
            ],
        ),
        (
            "a list of another namespace leaves this one alone",
            KubeEvent::Listed {
                gvk: deployment,
                scope: Scope::Namespace("elsewhere".into()),
                objects: vec![],
            },
            &[("Deployment", "frontend", Some(DriftStatus::InSync))],
        ),
        (
            "a forbidden scope makes its rows errors",
            KubeEvent::Forbidden {
                gvk: secret.clone(),
                namespace: Some("shop".into()),
            },
            &[
                ("Secret", "api-credentials", Some(DriftStatus::Error)),
                ("ConfigMap", "frontend-config", Some(DriftStatus::Modified)),
            ],
        ),
        (
            "a failed watch makes its rows errors",
            KubeEvent::Watch {
                gvk: secret,
                state: kdrift_engine::model::WatchState::Failed("gone".into()),
            },
            &[("Secret", "api-credentials", Some(DriftStatus::Error))],
        ),
    ];
    for (name, event, want) in cases {
        let mut state = demo_state();
        let live_before = state.inv.live().len();
        let relist = matches!(
            event,
            KubeEvent::Listed {
                scope: Scope::All,
                ..
            }
        );
        press_msg(&mut state, Msg::Kube(event));
        for (kind, row, status_want) in want {
            assert_eq!(
                status(&state, kind, row),
                *status_want,
                "{name}: {kind}/{row}"
            );
        }
        if relist {
            assert_eq!(
                state.inv.live().len(),
                live_before - 1,
                "{name}: only that object left"
            );
        }
    }
}

/// Converge everything for real through the simulated API, then replay what the watch would
/// deliver: "converged", then a hand edit raises "drift detected".
#[tokio::test]
async fn watch_events_turn_rows_and_raise_notices() {
    let demo = demo().await;
    let mut state = demo_state();
    key(&mut state, 'S');
    key(&mut state, 'p');
    let plan = state.mode.dialog().cloned().unwrap();
    assert!(plan.prune, "p asks for the orphan to be pruned");
    let force = kdrift_engine::cluster::ApplyOptions {
        force: true,
        ..Default::default()
    };
    for item in &plan.items {
        match &item.manifest {
            Some(m) => {
                let obj = kdrift_engine::cluster::apply_object(&demo.resolver, &item.key, m, force)
                    .await
                    .unwrap();
                press_msg(&mut state, Msg::Kube(KubeEvent::Applied(obj)));
            }
            None => {
                let live = state.inv.live()[&item.key].value();
                kdrift_engine::cluster::delete_object(
                    &demo.resolver,
                    &item.key,
                    Default::default(),
                )
                .await
                .unwrap();
                press_msg(&mut state, Msg::Kube(KubeEvent::Deleted(live)));
            }
        }
    }
    assert_eq!(state.inv.drifted_keys(), vec![]);
    assert!(
        state
            .notices
            .iter()
            .any(|n| n.kind == NoticeKind::Converged),
        "{:?}",
        state.notices
    );
    let (_, redis) = state
        .inv
        .live()
        .iter()
        .find(|(k, _)| k.name == "redis" && k.kind == "StatefulSet")
        .unwrap();
    let mut redis = redis.value();
    redis["spec"]["replicas"] = json!(1);
    press_msg(&mut state, Msg::Kube(KubeEvent::Applied(redis)));
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

#[test]
fn repo_events() {
    let revision = || RepoError::Revision {
        path: "/r".into(),
        rev: "main".into(),
        detail: "not found".into(),
    };
    // a repo event → (a repo error is kept, the last notice)
    let cases: Vec<(&str, Vec<RepoEvent>, bool, &str)> = vec![
        (
            "a failed read keeps the last good state",
            vec![RepoEvent::Failed(revision())],
            true,
            "repo: /r: cannot resolve revision \"main\": not found",
        ),
        (
            "a failed fetch says the mirror is shown",
            vec![RepoEvent::FetchFailed(RepoError::Fetch(
                "git://h/r refused".into(),
            ))],
            true,
            "repo: fetching failed, showing the mirror from the last successful fetch: git://h/r refused",
        ),
        (
            "a fetch that works clears a fetch error",
            vec![
                RepoEvent::FetchFailed(RepoError::Fetch("refused".into())),
                RepoEvent::Fetched {
                    manual: true,
                    changed: false,
                },
            ],
            false,
            "fetched: up to date",
        ),
        (
            "but not a read error",
            vec![
                RepoEvent::Failed(revision()),
                RepoEvent::Fetched {
                    manual: true,
                    changed: true,
                },
            ],
            true,
            "fetched: new commits",
        ),
    ];
    for (name, events, kept, notice) in cases {
        let mut state = demo_state();
        let drifted = state.inv.drifted_keys();
        for e in events {
            press_msg(&mut state, Msg::Repo(e));
        }
        assert_eq!(state.inv.repo_error.is_some(), kept, "{name}");
        assert_eq!(state.notices.last().unwrap().text, notice, "{name}");
        assert_eq!(
            state.inv.drifted_keys(),
            drifted,
            "{name}: verdicts unchanged"
        );
        assert!(
            state.inv.repo.is_some(),
            "{name}: the header still names the commit"
        );
    }
}

#[test]
fn f_fetches_a_url_repo_and_tells_a_local_one_needs_nothing() {
    let mut state = demo_state();
    assert!(!key(&mut state, 'f').contains(&Cmd::Fetch));
    let last = state.notices.last().unwrap().text.clone();
    assert!(last.contains("local repo"), "{last}");
    state.remote_repo = true;
    assert!(key(&mut state, 'f').contains(&Cmd::Fetch));
}

/// A new commit re-judges only the rows whose desired object changed, yet the table ends up exactly
/// as a full rebuild would make it (here checked against a fresh evaluation of the same commit).
#[tokio::test]
async fn a_new_snapshot_updates_changed_rows_and_keeps_the_rest() {
    let demo = demo().await;
    let mut state = demo_state();
    let mut next = demo.snapshot.clone();
    let redis = next
        .desired
        .iter_mut()
        .find(|d| d.key.name == "redis" && d.key.kind == "StatefulSet")
        .unwrap();
    redis.manifest.edit(|m| m["spec"]["replicas"] = json!(3));
    next.desired
        .retain(|d| d.key.name != "api" || d.key.kind != "Service");
    next.commit.id = "f".repeat(40);
    press_msg(
        &mut state,
        Msg::Repo(RepoEvent::Snapshot(Box::new(next.clone()))),
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
    let fresh = kdrift_engine::headless::evaluate(&demo.resolver, next).await;
    let verdicts = |inv: &kdrift_engine::inventory::Inventory| -> Vec<(String, DriftStatus)> {
        inv.rows()
            .map(|(r, rep)| (r.to_string(), rep.status))
            .collect()
    };
    assert_eq!(verdicts(&state.inv), verdicts(&fresh));
}

/// After a new commit (or time travel) that keeps every watch running, a hand edit still raises
/// "drift detected": the new desired state must not leave the table waiting for watch news.
#[test]
fn drift_alerts_keep_working_after_a_new_commit() {
    let mut state = demo_state();
    let mut next = crate::common::captured().snapshot.clone();
    next.commit.id = "e".repeat(40);
    press_msg(&mut state, Msg::Repo(RepoEvent::Snapshot(Box::new(next))));
    assert!(state.inv.settled, "no kind waits for a list");
    state.notices.clear();
    let (_, frontend) = state
        .inv
        .live()
        .iter()
        .find(|(k, _)| k.name == "frontend" && k.kind == "Deployment")
        .unwrap();
    let mut frontend = frontend.value();
    frontend["spec"]["replicas"] = json!(7);
    press_msg(&mut state, Msg::Kube(KubeEvent::Applied(frontend)));
    assert!(
        state.notices.iter().any(|n| n.kind == NoticeKind::Drift),
        "{:?}",
        state.notices
    );
}

/// A job whose thread stopped still answers: history closes with the reason, the diff pane says
/// its text could not be made.
#[test]
fn failed_jobs_say_so() {
    use kdrift::app::JobReply;
    use kdrift_engine::jobs::JobFailed;
    let mut state = demo_state();
    select(&mut state, "shop/StatefulSet/redis");
    key(&mut state, 'h');
    assert!(state.mode.history().is_some());
    let ticket = state.jobs.history.issue();
    let result = Err(RepoError::Task("boom".into()));
    press_msg(&mut state, Msg::Job(JobReply::History { ticket, result }));
    assert!(
        matches!(state.mode, Mode::Normal),
        "the overlay does not wait for ever"
    );
    let last = &state.notices.last().unwrap().text;
    assert!(last.contains("history") && last.contains("boom"), "{last}");

    let ticket = state.jobs.diff.issue();
    let text = Err(JobFailed("boom".into()));
    press_msg(&mut state, Msg::Job(JobReply::Diff { ticket, text }));
    let key = state.selected_key().unwrap();
    let shown = state.diff.text_for(key).unwrap().header();
    assert!(shown.contains("boom"), "{shown}");
}

/// Events of a watch that was replaced (a kind watched again over wider namespaces) are
/// dropped, even those already queued: an old list starting late would keep the kind listing.
#[test]
fn events_of_a_replaced_watch_are_dropped() {
    let mut state = demo_state();
    let api = api_scaled_to_99(&state);
    let flag = |current: bool| std::sync::Arc::new(std::sync::atomic::AtomicBool::new(current));
    let status = |state: &State| {
        state
            .inv
            .verdicts
            .iter()
            .find(|(k, _)| k.kind == "Deployment" && k.name == "api")
            .map(|(_, r)| r.status)
    };
    press_msg(
        &mut state,
        Msg::Watched {
            current: flag(false),
            event: KubeEvent::Applied(api.clone()),
        },
    );
    assert_eq!(status(&state), Some(DriftStatus::InSync), "dropped");
    press_msg(
        &mut state,
        Msg::Watched {
            current: flag(true),
            event: KubeEvent::Applied(api),
        },
    );
    assert_eq!(status(&state), Some(DriftStatus::Modified), "folded");
}
