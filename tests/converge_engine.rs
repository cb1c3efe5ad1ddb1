//! The whole engine without a terminal: real watchers, log streams and the sync executor against the
//! simulated cluster with its controllers running, driven through `update` exactly as the TUI does.

mod common;

use common::demo;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kdrift::app::{Keymap, Msg, NoticeKind, RepoMsg, State, update};
use kdrift::model::DriftStatus;
use kdrift::repo::{RepoFile, spawn_follower, write_history};
use kdrift::tui::{CHANNEL_CAPACITY, Executor};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

struct Engine {
    state: State,
    tx: mpsc::Sender<Msg>,
    rx: mpsc::Receiver<Msg>,
    executor: Executor,
}

impl Engine {
    fn send(&mut self, msg: Msg) {
        for cmd in update(&mut self.state, msg) {
            self.executor.run(cmd);
        }
    }

    fn key(&mut self, code: KeyCode) {
        self.send(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    /// Pumps messages until `done` holds; panics with the state's rows after `limit`.
    async fn pump_until(&mut self, limit: Duration, done: impl Fn(&State) -> bool) -> Duration {
        let start = Instant::now();
        while !done(&self.state) {
            let left = limit.checked_sub(start.elapsed()).unwrap_or_else(|| {
                panic!(
                    "timed out; rows: {:#?}; notices: {:?}; logs: {} {:?} {:?}",
                    self.state.reports,
                    self.state.notices,
                    self.state.logs.status,
                    self.state.logs.target,
                    self.state.logs.lines
                )
            });
            match tokio::time::timeout(left, self.rx.recv()).await {
                Ok(Some(msg)) => self.send(msg),
                Ok(None) => panic!("channel closed"),
                Err(_) => continue,
            }
        }
        start.elapsed()
    }
}

async fn engine() -> (Engine, common::Demo) {
    let demo = demo().await;
    let _controllers = demo.sim.spawn_controllers();
    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    let executor = Executor::new(demo.resolver.clone(), tx.clone());
    let mut engine = Engine {
        state: State::new("test", Keymap::defaults()),
        tx,
        rx,
        executor,
    };
    engine.send(Msg::Repo(RepoMsg::Snapshot(Box::new(
        demo.snapshot.clone(),
    ))));
    engine
        .pump_until(Duration::from_secs(10), |s| s.settled)
        .await;
    (engine, demo)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_sees_drift_and_sync_all_converges_within_five_seconds() {
    let (mut e, demo) = engine().await;
    assert_eq!(e.state.drifted_keys().len(), 5, "{:#?}", e.state.reports);
    e.key(KeyCode::Char('S'));
    assert!(e.state.dialog.is_some());
    e.key(KeyCode::Enter);
    let took = e
        .pump_until(Duration::from_secs(5), |s| {
            s.drifted_keys().is_empty() && s.notices.iter().any(|n| n.kind == NoticeKind::Converged)
        })
        .await;
    eprintln!("converged in {took:?}");
    assert_eq!(e.state.count(DriftStatus::InSync), 9);
    assert_eq!(e.state.count(DriftStatus::Orphan), 0);
    // The cluster really changed: redis runs 4 replicas, the orphan is gone.
    let redis = e
        .state
        .live
        .iter()
        .find(|(k, _)| k.kind == "StatefulSet")
        .unwrap()
        .1;
    assert_eq!(redis["spec"]["replicas"], 4);
    assert!(!e.state.live.keys().any(|k| k.name == "legacy-worker"));
    drop(demo);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_edit_is_detected_without_polling() {
    let (mut e, demo) = engine().await;
    kdrift::demo::spawn_chaos(demo.resolver.clone(), Duration::from_millis(50));
    e.pump_until(Duration::from_secs(5), |s| {
        s.reports.iter().any(|(k, r)| {
            k.name == "frontend" && k.kind == "Deployment" && r.status == DriftStatus::Modified
        }) && s.notices.iter().any(|n| n.kind == NoticeKind::Drift)
    })
    .await;
    let notice = e
        .state
        .notices
        .iter()
        .find(|n| n.kind == NoticeKind::Drift)
        .unwrap();
    assert!(notice.text.contains("drift detected"), "{}", notice.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_of_the_selected_workload_stream_in() {
    let (mut e, _demo) = engine().await;
    while e.state.selected_key().map(|k| k.to_string()).as_deref() != Some("shop/StatefulSet/redis")
    {
        e.key(KeyCode::Char('j'));
    }
    e.pump_until(Duration::from_secs(8), |s| {
        let pods: std::collections::HashSet<_> =
            s.logs.lines.iter().map(|l| l.pod.as_str()).collect();
        pods.len() >= 2
    })
    .await;
    assert!(
        e.state
            .logs
            .lines
            .iter()
            .all(|l| l.pod.starts_with("redis-"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_commit_updates_the_drift_table_within_two_seconds() {
    let (mut e, demo) = engine().await;
    let follower = spawn_follower(demo.repo_spec(), e.tx.clone());
    // git now agrees with the hand-scaled redis (3) and declares one more ConfigMap.
    let redis3 = include_str!("../assets/demo/redis.yaml").replace("replicas: 4", "replicas: 3");
    let extra = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: feature-flags\n  namespace: shop\ndata:\n  dark_mode: \"on\"\n";
    let start = Instant::now();
    write_history(
        &demo.repo,
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
    let status = |s: &State, kind: &str, name: &str| {
        s.reports
            .iter()
            .find(|(k, _)| k.kind == kind && k.name == name)
            .map(|(_, r)| r.status)
    };
    e.pump_until(Duration::from_secs(2), |s| {
        s.repo
            .as_ref()
            .is_some_and(|r| r.commit.subject.starts_with("accept redis"))
            && status(s, "StatefulSet", "redis") == Some(DriftStatus::InSync)
            && status(s, "ConfigMap", "feature-flags") == Some(DriftStatus::Missing)
    })
    .await;
    eprintln!("new commit on screen after {:?}", start.elapsed());
    assert!(
        e.state
            .notices
            .iter()
            .any(|n| n.text.contains("new commit")),
        "{:?}",
        e.state.notices
    );
    follower.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_commit_keeps_good_files_and_never_offers_to_prune() {
    let (mut e, demo) = engine().await;
    let _follower = spawn_follower(demo.repo_spec(), e.tx.clone());
    write_history(
        &demo.repo,
        &[(
            "oops",
            vec![RepoFile {
                path: "shop/api.yaml",
                contents: Some("kind: [broken\n"),
            }],
        )],
    )
    .unwrap();
    e.pump_until(Duration::from_secs(2), |s| !s.manifest_errors.is_empty())
        .await;
    let err = &e.state.manifest_errors[0];
    assert_eq!(err.source, "shop/api.yaml");
    // Objects of the broken file now look undeclared, but nothing may be pruned on a broken state.
    e.send(Msg::Key(crossterm::event::KeyEvent::new(
        KeyCode::Char('S'),
        crossterm::event::KeyModifiers::NONE,
    )));
    let plan = e.state.dialog.clone().expect("plan");
    assert!(
        plan.items
            .iter()
            .all(|i| i.op != kdrift::sync::PlanOp::Prune),
        "{plan:#?}"
    );
    assert!(
        plan.blocked
            .iter()
            .any(|(k, why)| k.name == "legacy-worker" && why.contains("failed to parse")),
        "{plan:#?}"
    );
    // The other files are still judged.
    assert!(e.state.reports.iter().any(|(k, r)| k.name == "redis"
        && k.kind == "StatefulSet"
        && r.status == DriftStatus::Modified));
}
