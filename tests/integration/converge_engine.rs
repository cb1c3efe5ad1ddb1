//! The whole engine without a terminal: the real driver (follower, watchers, log streams, sync,
//! jobs) against the simulated cluster with its controllers running, as the TUI runs it.

use crate::common::{Demo, demo, status};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kdrift::app::{DialogStage, Keymap, Msg, NoticeKind, State};
use kdrift::runtime::Driver;
use kdrift_engine::model::{DriftStatus, Stage};
use kdrift_engine::repo::{RepoFile, write_history};
use kdrift_engine::sync::PlanOp;
use std::time::{Duration, Instant};

struct Engine {
    driver: Driver,
    demo: Demo,
    _controllers: tokio::task::JoinHandle<()>,
}

impl Engine {
    fn key(&mut self, code: KeyCode) {
        self.driver
            .handle(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    /// Drives until `done` holds; panics with the state's rows after `limit`.
    async fn until(&mut self, limit: Duration, done: impl Fn(&State) -> bool) -> Duration {
        match self.driver.run_until(limit, done).await {
            Ok(took) => took,
            Err(e) => {
                let s = &self.driver.state;
                panic!(
                    "{e}; rows: {:#?}; notices: {:?}; logs: {} {:?} {:?}",
                    s.inv.verdicts, s.notices, s.logs.status, s.logs.target, s.logs.lines
                )
            }
        }
    }
}

/// The demo cluster with controllers, and the driver following the demo repo as the TUI does.
async fn engine() -> Engine {
    engine_with(State::new("test", Keymap::defaults()), None).await
}

async fn engine_with(state: State, config_file: Option<std::path::PathBuf>) -> Engine {
    let demo = demo().await;
    let controllers = demo.sim.spawn_controllers();
    let spec = demo.repo_spec();
    let driver = Driver::new(state, demo.resolver.clone())
        .with_repo(spec.clone())
        .with_config_file(config_file)
        .follow(&spec, Duration::MAX);
    let mut e = Engine {
        driver,
        demo,
        _controllers: controllers,
    };
    e.until(Duration::from_secs(10), |s| s.inv.settled).await;
    e
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_sees_drift_and_sync_all_converges_within_five_seconds() {
    let mut e = engine().await;
    let s = &e.driver.state;
    assert_eq!(s.inv.drifted_keys().len(), 5, "{:#?}", s.inv.verdicts);
    e.key(KeyCode::Char('S'));
    assert!(e.driver.state.mode.dialog().is_some());
    e.key(KeyCode::Char('p'));
    e.key(KeyCode::Enter);
    // hand edits own the drifted fields: without force the server refuses and names them
    e.until(Duration::from_secs(5), |s| {
        matches!(
            s.mode.plan_dialog().map(|d| &d.stage),
            Some(DialogStage::Force { .. })
        )
    })
    .await;
    let Some(DialogStage::Force { conflicts }) =
        e.driver.state.mode.plan_dialog().map(|d| &d.stage)
    else {
        unreachable!()
    };
    let named: Vec<_> = conflicts
        .iter()
        .map(|(k, c)| format!("{} {} {}", k.name, c.field, c.manager))
        .collect();
    assert!(
        named
            .iter()
            .any(|n| n.starts_with("redis") && n.ends_with("kubectl-scale")),
        "{named:?}"
    );
    assert_eq!(
        e.driver.state.inv.drifted_keys().len(),
        5,
        "nothing changed without force"
    );
    e.key(KeyCode::Char('F'));
    let took = e
        .until(Duration::from_secs(5), |s| {
            s.inv.drifted_keys().is_empty()
                && s.notices.iter().any(|n| n.kind == NoticeKind::Converged)
        })
        .await;
    eprintln!("converged in {took:?}");
    let inv = &e.driver.state.inv;
    assert_eq!(inv.count(DriftStatus::InSync), 9);
    assert_eq!(inv.count(DriftStatus::Orphan), 0);
    // The cluster really changed: redis runs 4 replicas, the orphan is gone.
    let (_, redis) = inv
        .live()
        .iter()
        .find(|(k, _)| k.kind == "StatefulSet")
        .unwrap();
    assert_eq!(redis.value()["spec"]["replicas"], 4);
    assert!(!inv.live().keys().any(|k| k.name == "legacy-worker"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_edit_is_detected_without_polling() {
    let mut e = engine().await;
    let _chaos = kdrift::demo::spawn_chaos(e.demo.resolver.clone(), Duration::from_millis(50));
    e.until(Duration::from_secs(5), |s| {
        status(s, "Deployment", "frontend") == Some(DriftStatus::Modified)
            && s.notices.iter().any(|n| n.kind == NoticeKind::Drift)
    })
    .await;
    let s = &e.driver.state;
    let notice = s
        .notices
        .iter()
        .find(|n| n.kind == NoticeKind::Drift)
        .unwrap();
    assert!(notice.text.contains("drift detected"), "{}", notice.text);
}

/// With the server's checks on, as the TUI runs: every drift is the server's verdict (its
/// dry-run through the driver's confirmer), and a hand edit becomes news only once confirmed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_is_confirmed_by_the_servers_dry_run() {
    let mut state = State::new("test", Keymap::defaults());
    state.inv = kdrift_engine::inventory::Inventory::with_server_checks();
    let mut e = engine_with(state, None).await;
    let confirmed = |s: &State| {
        s.inv
            .verdicts
            .values()
            .filter(|r| r.status == DriftStatus::Modified)
            .all(|r| r.stage == Stage::Server && !r.pending)
    };
    e.until(Duration::from_secs(5), confirmed).await;
    assert_eq!(e.driver.state.inv.count(DriftStatus::Modified), 3);
    let _chaos = kdrift::demo::spawn_chaos(e.demo.resolver.clone(), Duration::from_millis(50));
    e.until(Duration::from_secs(5), |s| {
        s.notices.iter().any(|n| n.kind == NoticeKind::Drift)
    })
    .await;
    let frontend = e
        .driver
        .state
        .inv
        .verdicts
        .iter()
        .find(|(k, _)| k.kind == "Deployment" && k.name == "frontend")
        .map(|(_, r)| r.clone())
        .unwrap();
    assert_eq!(frontend.stage, Stage::Server, "{frontend:?}");
    assert_eq!(frontend.changes[0].path, "/spec/replicas");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_of_the_selected_workload_stream_in() {
    let mut e = engine().await;
    while e
        .driver
        .state
        .selected_key()
        .map(|k| k.to_string())
        .as_deref()
        != Some("shop/StatefulSet/redis")
    {
        e.key(KeyCode::Char('j'));
    }
    e.until(Duration::from_secs(8), |s| {
        let pods: std::collections::HashSet<_> =
            s.logs.lines.iter().map(|l| l.pod.as_str()).collect();
        pods.len() >= 2
    })
    .await;
    let lines = &e.driver.state.logs.lines;
    assert!(lines.iter().all(|l| l.pod.starts_with("redis-")));
}

/// The diff pane's text is worked out by the driver's job, not by drawing: it arrives for the
/// selected row, and again when that object changes in the cluster.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_diff_text_follows_the_selection_and_the_live_object() {
    let mut e = engine().await;
    let redis = |s: &State| {
        s.inv
            .verdicts
            .keys()
            .find(|k| k.kind == "StatefulSet")
            .cloned()
    };
    while e.driver.state.selected_key().cloned() != redis(&e.driver.state) {
        e.key(KeyCode::Char('j'));
    }
    let shows = |replicas: &'static str| {
        move |s: &State| {
            let key = s.selected_key().unwrap();
            s.diff.text_for(key).is_some_and(|t| {
                t.unified(3, &[])
                    .iter()
                    .any(|l| l.text == format!("-  replicas: {replicas}"))
            })
        }
    };
    e.until(Duration::from_secs(5), shows("3")).await;
    kdrift::demo::edit(
        &e.demo.resolver,
        "apps",
        "StatefulSet",
        "redis",
        "kubectl-scale",
        serde_json::json!({"spec": {"replicas": 1}}),
    )
    .await
    .unwrap();
    e.until(Duration::from_secs(5), shows("1")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_commit_updates_the_drift_table_within_two_seconds() {
    let mut e = engine().await;
    // git now agrees with the hand-scaled redis (3) and declares one more ConfigMap.
    let redis3 = include_str!("../../assets/demo/redis.yaml").replace("replicas: 4", "replicas: 3");
    let extra = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: feature-flags\n  namespace: shop\ndata:\n  dark_mode: \"on\"\n";
    let start = Instant::now();
    write_history(
        &e.demo.repo,
        &[(
            "accept redis at 3 replicas; add feature flags",
            vec![
                RepoFile {
                    path: "shop/redis.yaml",
                    contents: Some(&redis3),
                },
                RepoFile {
                    path: "shop/feature-flags.yaml",
                    contents: Some(extra),
                },
            ],
        )],
    )
    .unwrap();
    e.until(Duration::from_secs(2), |s| {
        s.inv
            .repo
            .as_ref()
            .is_some_and(|r| r.commit.subject.starts_with("accept redis"))
            && status(s, "StatefulSet", "redis") == Some(DriftStatus::InSync)
            && status(s, "ConfigMap", "feature-flags") == Some(DriftStatus::Missing)
    })
    .await;
    eprintln!("new commit on screen after {:?}", start.elapsed());
    let notices = &e.driver.state.notices;
    assert!(
        notices.iter().any(|n| n.text.contains("new commit")),
        "{notices:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_commit_keeps_good_files_and_never_offers_to_prune() {
    let mut e = engine().await;
    write_history(
        &e.demo.repo,
        &[(
            "oops",
            vec![RepoFile {
                path: "shop/api.yaml",
                contents: Some("kind: [broken\n"),
            }],
        )],
    )
    .unwrap();
    e.until(Duration::from_secs(2), |s| {
        !s.inv.manifest_errors.is_empty()
    })
    .await;
    assert_eq!(
        e.driver.state.inv.manifest_errors[0].source,
        "shop/api.yaml"
    );
    // Objects of the broken file now look undeclared, but nothing may be pruned on a broken state.
    e.key(KeyCode::Char('S'));
    e.key(KeyCode::Char('p'));
    let plan = e.driver.state.mode.dialog().cloned().expect("plan");
    assert!(
        plan.items.iter().all(|i| i.op != PlanOp::Prune),
        "{plan:#?}"
    );
    assert!(
        plan.blocked
            .iter()
            .any(|(k, why)| k.name == "legacy-worker" && why.contains("failed to parse")),
        "{plan:#?}"
    );
    // The other files are still judged.
    assert_eq!(
        status(&e.driver.state, "StatefulSet", "redis"),
        Some(DriftStatus::Modified)
    );
}

/// The driver writes a confirmed ignore rule into the user's config file and judges the table
/// again with what the file now says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ignore_rule_is_written_to_the_users_config_and_applied() {
    let config = tempfile::tempdir().unwrap();
    let file = config.path().join("kdrift/config.toml");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "# my rules\n").unwrap();
    let mut e = engine_with(State::new("test", Keymap::defaults()), Some(file.clone())).await;
    while e
        .driver
        .state
        .selected_key()
        .map(|k| k.to_string())
        .as_deref()
        != Some("shop/StatefulSet/redis")
    {
        e.key(KeyCode::Char('j'));
    }
    e.key(KeyCode::Char('i'));
    e.key(KeyCode::Char('y'));
    e.until(Duration::from_secs(5), |s| {
        status(s, "StatefulSet", "redis") == Some(DriftStatus::InSync)
    })
    .await;
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with("# my rules\n"),
        "the file's own lines kept: {text}"
    );
    assert!(
        text.contains("[[ignore]]") && text.contains("/spec/replicas"),
        "{text}"
    );
}
