//! The real control plane from `tests/testbed/up.sh`, as the tests see it: kubeconfigs, kubectl,
//! `kdrift check` as a process, and the engine (watchers + executor) driven through `update`.

use kdrift::app::{Keymap, Msg, RepoMsg, State, update};
use kdrift::cluster::{Resolver, connect};
use kdrift::model::{DriftStatus, WatchState};
use kdrift::repo::{RepoFile, read_snapshot, write_history};
use kdrift::tui::{CHANNEL_CAPACITY, Executor};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

pub struct Testbed {
    pub admin: PathBuf,
    pub alice: PathBuf,
    pub bin: PathBuf,
    pub dir: PathBuf,
}

/// A namespace name no earlier run used, so tests can run again on the same cluster.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}-{:x}{:05x}",
        std::process::id() % 4096,
        nanos % 0x100000
    )
}

pub fn testbed() -> Testbed {
    let var = |k: &str| {
        std::env::var(k).unwrap_or_else(|_| {
            panic!("{k} is not set: the real control plane is not running. Run `bash scripts/test.sh`, or `tests/testbed/build.sh && tests/testbed/up.sh && source /tmp/kdrift-testbed/env`.")
        })
    };
    assert_eq!(var("KDRIFT_TESTBED"), "1");
    Testbed {
        admin: var("KUBECONFIG_ADMIN").into(),
        alice: var("KUBECONFIG_ALICE").into(),
        bin: var("KDRIFT_TESTBED_BIN").into(),
        dir: var("KDRIFT_TESTBED_DIR").into(),
    }
}

impl Testbed {
    pub fn kubectl(&self, args: &[&str]) -> String {
        let out = Command::new(self.bin.join("kubectl"))
            .arg("--kubeconfig")
            .arg(&self.admin)
            .args(args)
            .output()
            .expect("kubectl");
        assert!(
            out.status.success(),
            "kubectl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `kubectl -n NS patch TARGET --type=merge -p PATCH`, as a person fixing something by hand.
    pub fn merge_patch(&self, ns: &str, target: &str, patch: &str) {
        self.kubectl(&["-n", ns, "patch", target, "--type=merge", "-p", patch]);
    }

    /// Requests the API server's authorizer has refused so far (RBAC "no opinion" = denied).
    pub fn denied_requests(&self) -> u64 {
        self.kubectl(&["get", "--raw", "/metrics"])
            .lines()
            .find(|l| l.starts_with("authorization_attempts_total{result=\"no-opinion\"}"))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|n| n.parse::<f64>().ok())
            .map(|n| n as u64)
            .unwrap_or(0)
    }

    pub fn check(&self, repo: &Path, kubeconfig: &Path) -> (i32, Value, String) {
        self.check_with(repo, kubeconfig, &[])
    }

    /// `kdrift check --output json` with more flags (`--namespace`, `--helm-values`, ...).
    pub fn check_with(
        &self,
        repo: &Path,
        kubeconfig: &Path,
        extra: &[&str],
    ) -> (i32, Value, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_kdrift"))
            .args(["check", "--output", "json", "--repo"])
            .arg(repo)
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .args(extra)
            .env("XDG_STATE_HOME", self.dir.join("kdrift-state"))
            .env("XDG_CACHE_HOME", self.dir.join("kdrift-cache"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}\n{stderr}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        (out.status.code().unwrap_or(-1), json, stderr)
    }
}

/// A namespace with a ConfigMap, a Deployment and a Service, as a one-commit repo (and the same
/// files on disk for `kubectl apply`).
pub fn app_repo(dir: &Path, ns: &str) -> PathBuf {
    let files = [
        (
            "namespace.yaml",
            format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"),
        ),
        (
            "cfg.yaml",
            format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: {ns}\ndata:\n  k: v\n  mode: fast\n"
            ),
        ),
        (
            "web.yaml",
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: {ns}\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n          ports:\n            - containerPort: 80\n"
            ),
        ),
        (
            "svc.yaml",
            format!(
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: {ns}\nspec:\n  selector:\n    app: web\n  ports:\n    - name: http\n      port: 80\n      targetPort: 80\n"
            ),
        ),
    ];
    let repo = dir.join("repo");
    let entries: Vec<RepoFile> = files
        .iter()
        .map(|(p, c)| RepoFile {
            path: p,
            contents: Some(c),
        })
        .collect();
    write_history(&repo, &[("app", entries)]).unwrap();
    let plain = dir.join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    for (p, c) in &files {
        std::fs::write(plain.join(p), c).unwrap();
    }
    repo
}

/// The app repo in a fresh namespace, applied with `kubectl apply` (namespace first).
pub struct App {
    pub dir: tempfile::TempDir,
    pub ns: String,
    pub repo: PathBuf,
}

pub fn applied_app(tb: &Testbed, prefix: &str) -> App {
    let dir = tempfile::tempdir().unwrap();
    let ns = unique(prefix);
    let repo = app_repo(dir.path(), &ns);
    let plain = dir.path().join("plain");
    tb.kubectl(&[
        "apply",
        "-f",
        plain.join("namespace.yaml").to_str().unwrap(),
    ]);
    tb.kubectl(&["apply", "-f", plain.to_str().unwrap()]);
    App { dir, ns, repo }
}

pub fn resource<'a>(json: &'a Value, kind: &str, name: &str) -> &'a Value {
    json["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == kind && r["name"] == name)
        .unwrap_or_else(|| panic!("{kind}/{name} not in {json:#}"))
}

pub struct Engine {
    pub state: State,
    rx: mpsc::Receiver<Msg>,
    executor: Executor,
    pub saw_reconnecting: bool,
}

impl Engine {
    pub async fn start(kubeconfig: &Path, repo: &Path) -> Engine {
        let (client, context) = connect(Some(kubeconfig), None).await.unwrap();
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let mut engine = Engine {
            state: State::new(context, Keymap::defaults()),
            rx,
            executor: Executor::new(Resolver::new(client), tx),
            saw_reconnecting: false,
        };
        let snap = read_snapshot(repo, None, None, None).unwrap();
        engine.send(Msg::Repo(RepoMsg::Snapshot(Box::new(snap))));
        engine
            .pump_until(Duration::from_secs(15), |s| s.settled)
            .await;
        engine
    }

    pub fn send(&mut self, msg: Msg) {
        for cmd in update(&mut self.state, msg) {
            self.executor.run(cmd);
        }
        if self
            .state
            .watches
            .values()
            .any(|w| matches!(w, WatchState::Reconnecting { .. }))
        {
            self.saw_reconnecting = true;
        }
    }

    pub async fn pump_until(&mut self, limit: Duration, done: impl Fn(&State) -> bool) -> Duration {
        let start = Instant::now();
        while !done(&self.state) {
            let left = limit.checked_sub(start.elapsed()).unwrap_or_else(|| {
                panic!(
                    "timed out after {limit:?}; rows {:#?} watches {:?}",
                    self.state.reports, self.state.watches
                )
            });
            // Wake at least every 100 ms so conditions that do not depend on messages are seen.
            if let Ok(Some(msg)) =
                tokio::time::timeout(left.min(Duration::from_millis(100)), self.rx.recv()).await
            {
                self.send(msg);
            }
        }
        start.elapsed()
    }

    /// Messages that arrive within `window` (after letting one-shot startup messages drain for 2 s).
    pub async fn messages_within(&mut self, window: Duration) -> usize {
        let settle = Instant::now() + Duration::from_secs(2);
        while let Ok(Some(msg)) = tokio::time::timeout_at(settle.into(), self.rx.recv()).await {
            self.send(msg);
        }
        let end = Instant::now() + window;
        let mut n = 0;
        while let Ok(Some(msg)) = tokio::time::timeout_at(end.into(), self.rx.recv()).await {
            n += 1;
            self.send(msg);
        }
        n
    }

    pub fn status(&self, kind: &str, name: &str) -> Option<DriftStatus> {
        self.state
            .reports
            .iter()
            .find(|(k, _)| k.kind == kind && k.name == name)
            .map(|(_, r)| r.status)
    }
}
