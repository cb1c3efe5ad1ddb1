//! Shared fixtures: the demo scenario on the simulated cluster, captured once per test binary
//! and folded into a fresh `State` per case; keys pressed the way the TUI sees them.
#![allow(dead_code)]

pub mod fault_proxy;
pub mod observability;
pub mod testbed;
pub mod watch;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kdrift::app::{Cmd, JobReply, Keymap, Msg, State, update};
use kdrift::demo::{DEMO_CONTEXT, build_demo_repo, seed_drift};
use kdrift_engine::cluster::{KubeEvent, LogEvent, LogLine, Resolver};
use kdrift_engine::headless::list_once;
use kdrift_engine::inventory::{Fact, Inventory};
use kdrift_engine::model::DriftStatus;
use kdrift_engine::repo::{RepoEvent, RepoSpec, Snapshot, read_snapshot};
use kdrift_sim::SimCluster;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A fixed clock for snapshots: 2026-01-01T00:00:00Z.
pub const NOW_MS: u64 = 1_767_225_600_000;

/// The demo with its simulated cluster running, for cases that talk to the cluster.
pub struct Demo {
    pub sim: SimCluster,
    pub resolver: Resolver,
    pub snapshot: Snapshot,
    pub repo: PathBuf,
    pub _dir: tempfile::TempDir,
}

impl Demo {
    /// The demo repo as the TUI follows it: HEAD, all paths, namespaces from the manifests.
    pub fn repo_spec(&self) -> RepoSpec {
        spec(&self.repo)
    }
}

fn spec(repo: &Path) -> RepoSpec {
    RepoSpec {
        path: repo.to_path_buf(),
        ..Default::default()
    }
}

/// Builds the demo repo and a seeded simulated cluster (controllers not running).
pub async fn demo() -> Demo {
    demo_seeded(None).await
}

/// The demo as `kdrift demo` starts it: the controllers run while it is seeded (so redis has
/// rolled out its four pods and lost one to the hand scale, and the events say so).
pub async fn demo_running() -> (Demo, tokio::task::JoinHandle<()>) {
    let sim = SimCluster::new();
    let controllers = sim.spawn_controllers();
    let demo = demo_seeded(Some(sim)).await;
    (demo, controllers)
}

async fn demo_seeded(sim: Option<SimCluster>) -> Demo {
    let running = sim.is_some();
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("shop-gitops");
    build_demo_repo(&repo).unwrap();
    let snapshot = read_snapshot(&repo, None, None, None).unwrap();
    let sim = sim.unwrap_or_default();
    let resolver = Resolver::new(sim.client());
    seed_drift(&resolver, &snapshot, running).await.unwrap();
    Demo {
        sim,
        resolver,
        snapshot,
        repo,
        _dir: dir,
    }
}

/// The demo as the engine first judged it: git read, every kind listed once. Built once per
/// test binary (its repo stays on disk for cases that read commits); each case starts from a
/// copy, so no case builds a repo or a cluster.
pub struct Captured {
    pub snapshot: Snapshot,
    /// What the watchers would report up to their first lists.
    pub events: Vec<KubeEvent>,
    pub repo: PathBuf,
    _dir: tempfile::TempDir,
}

impl Captured {
    pub fn repo_spec(&self) -> RepoSpec {
        spec(&self.repo)
    }
}

pub fn captured() -> &'static Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED.get_or_init(|| {
        // its own runtime: the simulated cluster's client lives and dies with it
        std::thread::spawn(|| {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async {
                let demo = demo().await;
                settle_workloads(&demo).await;
                let mut scratch = Inventory::default();
                let mut events = Vec::new();
                let facts = scratch.on_repo(RepoEvent::Snapshot(Box::new(demo.snapshot.clone())));
                for fact in facts {
                    if let Fact::Watch(requests) = fact {
                        for req in requests {
                            events.extend(list_once(&demo.resolver, &req).await);
                        }
                    }
                }
                // the simulated cluster writes the real time into managedFields: pin it three
                // minutes before the fixed clock, so ages on screen are stable
                for event in &mut events {
                    if let KubeEvent::Listed { objects, .. } = event {
                        objects.iter_mut().for_each(pin_times);
                    }
                }
                Captured {
                    snapshot: demo.snapshot,
                    events,
                    repo: demo.repo,
                    _dir: demo._dir,
                }
            })
        })
        .join()
        .unwrap()
    })
}

/// Runs the simulated controllers until every declared workload has rolled out (pods start in
/// under a second), so the captured state is the demo at rest, as a person sees it.
async fn settle_workloads(demo: &Demo) {
    let controllers = demo.sim.spawn_controllers();
    let workloads: Vec<_> = demo
        .snapshot
        .desired
        .iter()
        .map(|d| d.key.clone())
        .filter(|k| k.is_workload())
        .collect();
    for _ in 0..100 {
        let mut healthy = true;
        for key in &workloads {
            if let Ok(Some(obj)) = kdrift_engine::cluster::get_object(&demo.resolver, key).await {
                healthy &=
                    kdrift_engine::health::health_of(&key.group, &key.kind, &obj).is_healthy();
            }
        }
        if healthy {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    controllers.abort();
}

/// `NOW_MS` minus three minutes, as the API server writes times.
pub const THREE_MINUTES_AGO: &str = "2025-12-31T23:57:00Z";

fn pin_times(obj: &mut serde_json::Value) {
    if let Some(entries) = obj
        .pointer_mut("/metadata/managedFields")
        .and_then(serde_json::Value::as_array_mut)
    {
        for e in entries {
            e["time"] = serde_json::json!(THREE_MINUTES_AGO);
        }
    }
}

/// The demo as the TUI first shows it, at a fixed clock: the captured snapshot and watch
/// events folded through `update`, as the TUI folds them.
pub fn demo_state() -> State {
    let captured = captured();
    let mut state = State::new(DEMO_CONTEXT, Keymap::defaults());
    press_msg(&mut state, Msg::Tick(NOW_MS));
    let snapshot = Box::new(captured.snapshot.clone());
    press_msg(&mut state, Msg::Repo(RepoEvent::Snapshot(snapshot)));
    for event in &captured.events {
        press_msg(&mut state, Msg::Kube(event.clone()));
    }
    state
}

/// Folds `msg`; the diff jobs it asks for are computed on the spot (as the executor would, a
/// moment later), every other command is returned.
pub fn press_msg(state: &mut State, msg: Msg) -> Vec<Cmd> {
    let mut out = Vec::new();
    let mut pending = update(state, msg);
    while !pending.is_empty() {
        let mut next = Vec::new();
        for cmd in pending {
            match cmd {
                Cmd::Diff { ticket, request } => {
                    let text = Ok(request.compute());
                    next.extend(update(state, Msg::Job(JobReply::Diff { ticket, text })));
                }
                other => out.push(other),
            }
        }
        pending = next;
    }
    out
}

/// The whole screen drawn from `state`, as text.
pub fn screen(state: &State, w: u16, h: u16) -> String {
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    t.draw(|f| kdrift::ui::draw(f, state)).unwrap();
    t.backend().to_string()
}

pub fn press(state: &mut State, code: KeyCode) -> Vec<Cmd> {
    press_msg(state, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

pub fn key(state: &mut State, c: char) -> Vec<Cmd> {
    press(state, KeyCode::Char(c))
}

pub fn ctrl(state: &mut State, c: char) -> Vec<Cmd> {
    press_msg(
        state,
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
    )
}

/// Selects the row whose key reads `want` (from the top).
pub fn select(state: &mut State, want: &str) {
    key(state, 'g');
    while state.selected_row().map(|r| r.to_string()).as_deref() != Some(want) {
        let before = state.selected;
        key(state, 'j');
        assert_ne!(before, state.selected, "row {want} not found");
    }
}

pub fn selected(state: &State) -> String {
    state
        .selected_row()
        .map(|r| r.to_string())
        .unwrap_or_default()
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
        press_msg(state, Msg::Logs(LogEvent::Lines { target, lines }));
    }
}

/// The verdict on the row of `kind`/`name`, if there is one.
pub fn status(state: &State, kind: &str, name: &str) -> Option<DriftStatus> {
    state
        .inv
        .verdicts
        .iter()
        .find(|(k, _)| k.kind == kind && k.name == name)
        .map(|(_, r)| r.status)
}
