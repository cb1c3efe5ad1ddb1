//! Shared fixtures: the demo scenario on the simulated cluster, folded into a `State` through `update`.
#![allow(dead_code)]

pub mod render_repo;
pub mod testbed;
pub mod tmux;
pub mod upstream;

use kdrift::app::{Keymap, LogLine, LogMsg, Msg, State, update};
use kdrift::cluster::Resolver;
use kdrift::demo::{DEMO_CONTEXT, build_demo_repo, seed_drift};
use kdrift::repo::{Snapshot, read_snapshot};
use kdrift::sim::SimCluster;

/// A fixed clock for snapshots: 2026-01-01T00:00:00Z.
pub const NOW_MS: u64 = 1_767_225_600_000;

pub struct Demo {
    pub sim: SimCluster,
    pub resolver: Resolver,
    pub snapshot: Snapshot,
    pub repo: std::path::PathBuf,
    pub _dir: tempfile::TempDir,
}

impl Demo {
    /// The demo repo as the TUI follows it: HEAD, all paths, namespaces from the manifests.
    pub fn repo_spec(&self) -> kdrift::repo::RepoSpec {
        kdrift::repo::RepoSpec {
            path: self.repo.clone(),
            ..Default::default()
        }
    }
}

/// Builds the demo repo and a seeded simulated cluster (controllers not running).
pub async fn demo() -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("shop-gitops");
    build_demo_repo(&repo).unwrap();
    let snapshot = read_snapshot(&repo, None, None, None).unwrap();
    let sim = SimCluster::new();
    let resolver = Resolver::new(sim.client());
    seed_drift(&resolver, &snapshot).await.unwrap();
    Demo {
        sim,
        resolver,
        snapshot,
        repo,
        _dir: dir,
    }
}

/// The demo as the TUI first shows it: git read, every kind listed once (through the same engine
/// pass `kdrift check` uses), at a fixed clock.
pub async fn demo_state() -> (State, Demo) {
    let demo = demo().await;
    let mut state =
        kdrift::headless::evaluate(&demo.resolver, demo.snapshot.clone(), DEMO_CONTEXT).await;
    state.keymap = Keymap::defaults();
    update(&mut state, Msg::Tick(NOW_MS));
    (state, demo)
}

/// Feeds a fixed batch of log lines for whatever the logs pane follows.
pub fn feed_logs(state: &mut State) {
    if let Some(target) = state.logs.target.clone() {
        let lines = (0..3)
            .map(|i| LogLine {
                pod: format!("{}-{i}", target.name),
                text: format!("1:M 01 Jan 2026 00:00:0{i}.000 * Ready to accept connections tcp"),
            })
            .collect();
        update(state, Msg::Logs(LogMsg::Lines { target, lines }));
    }
}

/// The verdict on the row of `kind`/`name`, if there is one.
pub fn status(state: &State, kind: &str, name: &str) -> Option<kdrift::model::DriftStatus> {
    state
        .reports
        .iter()
        .find(|(k, _)| k.kind == kind && k.name == name)
        .map(|(_, r)| r.status)
}
