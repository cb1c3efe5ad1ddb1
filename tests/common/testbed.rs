//! The real control plane from `tests/testbed/up.sh`, as the tests see it: kubeconfigs, kubectl,
//! `kdrift check` as a process, and the engine run by the real driver (follower, watchers,
//! executor) as the TUI runs it.

use kdrift::app::{Keymap, Msg, State};
use kdrift::runtime::Driver;
use kdrift_engine::cluster::{Resolver, connect};
use kdrift_engine::model::{DriftStatus, WatchState};
use kdrift_engine::repo::{RepoFile, RepoSpec, write_history};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

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

/// Tests against the control plane share it; the one that restarts the API server must have it
/// alone. Every real-cluster test holds a read guard, the restart test the write guard.
static SHARED: RwLock<()> = RwLock::new(());

/// Held for a whole test: its right to use the control plane. An async test holds it across
/// awaits on purpose; its future runs on the test's own thread (`block_on`), never elsewhere.
pub struct Turn<G>(#[allow(dead_code)] G);

/// The control plane, shared with the other tests (they may run at the same time).
pub fn testbed() -> (Testbed, Turn<RwLockReadGuard<'static, ()>>) {
    let guard = SHARED.read().unwrap_or_else(|p| p.into_inner());
    (env(), Turn(guard))
}

/// The control plane with no other test running against it (an outage would break them).
pub fn testbed_alone() -> (Testbed, Turn<RwLockWriteGuard<'static, ()>>) {
    let guard = SHARED.write().unwrap_or_else(|p| p.into_inner());
    (env(), Turn(guard))
}

fn env() -> Testbed {
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
    /// Runs kubectl as the admin. What lost a race with a controller (an update beaten by
    /// another writer, a wait on a status not written yet) is tried again, as a person would.
    pub fn kubectl(&self, args: &[&str]) -> String {
        for attempt in 1.. {
            let out = Command::new(self.bin.join("kubectl"))
                .arg("--kubeconfig")
                .arg(&self.admin)
                .args(args)
                .output()
                .expect("kubectl");
            let stderr = String::from_utf8_lossy(&out.stderr);
            // the same kind of race: `kubectl wait` on an object whose status is not written
            // yet ("status.conditions accessor error")
            let raced = stderr.contains("the object has been modified")
                || stderr.contains(".status.conditions accessor error");
            if !out.status.success() && attempt < 6 && raced {
                std::thread::sleep(Duration::from_millis(200));
                continue;
            }
            assert!(out.status.success(), "kubectl {args:?}: {stderr}");
            return String::from_utf8_lossy(&out.stdout).into_owned();
        }
        unreachable!()
    }

    /// A ConfigMap carrying kdrift's ownership label, as kdrift applies them; with `source`, also
    /// its `kdrift.dev/source` annotation (this repo's, for an orphan of it).
    pub fn owned_configmap(&self, ns: &str, name: &str, source: Option<&str>) {
        self.kubectl(&["-n", ns, "create", "configmap", name, "--from-literal=a=b"]);
        let target = format!("configmap/{name}");
        self.kubectl(&[
            "-n",
            ns,
            "label",
            &target,
            "app.kubernetes.io/managed-by=kdrift",
        ]);
        if let Some(source) = source {
            let annotation = format!("kdrift.dev/source={source}");
            self.kubectl(&["-n", ns, "annotate", &target, &annotation]);
        }
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
        self.kdrift_json("check", repo, kubeconfig, extra)
    }

    /// Waits until the control plane runs workloads again (scheduler, controllers and kwok all
    /// reconnected after an API server restart): a one-replica Deployment rolls out. A test that
    /// restarted the server calls this before it gives the control plane back to the others.
    pub fn wait_workloads_run(&self) {
        let ns = unique("t-canary");
        self.kubectl(&["create", "namespace", &ns]);
        self.kubectl(&[
            "-n",
            &ns,
            "create",
            "deployment",
            "canary",
            "--image=registry.example/canary:1",
        ]);
        self.kubectl(&[
            "-n",
            &ns,
            "rollout",
            "status",
            "deployment/canary",
            "--timeout=180s",
        ]);
        self.kubectl(&["delete", "namespace", &ns, "--wait=false"]);
    }

    /// `kdrift sync --output json` as the admin, with `extra` flags (`--yes`, `--prune`, …).
    pub fn sync(&self, repo: &Path, extra: &[&str]) -> (i32, Value, String) {
        self.kdrift_json("sync", repo, &self.admin, extra)
    }

    /// The object's name if it exists (`kubectl get --ignore-not-found -o name`), else empty.
    pub fn get_name(&self, ns: &str, target: &str) -> String {
        self.kubectl(&["-n", ns, "get", target, "--ignore-not-found", "-o", "name"])
            .trim()
            .to_string()
    }

    /// One field of an object (`kubectl get -o jsonpath`).
    pub fn field(&self, ns: &str, target: &str, path: &str) -> String {
        self.kubectl(&[
            "-n",
            ns,
            "get",
            target,
            "-o",
            &format!("jsonpath={{{path}}}"),
        ])
    }

    fn kdrift_json(
        &self,
        command: &str,
        repo: &Path,
        kubeconfig: &Path,
        extra: &[&str],
    ) -> (i32, Value, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_kdrift"))
            .args([command, "--output", "json", "--repo"])
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
    commit(&repo, "app", &files);
    let plain = dir.join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    for (p, c) in &files {
        std::fs::write(plain.join(p), c).unwrap();
    }
    repo
}

/// One commit on top of `repo` (created if need be) writing `files`.
pub fn commit(repo: &Path, message: &str, files: &[(&str, String)]) {
    let entries: Vec<RepoFile> = files
        .iter()
        .map(|(p, c)| RepoFile {
            path: p,
            contents: Some(c),
        })
        .collect();
    write_history(repo, &[(message, entries)]).unwrap();
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
    pub driver: Driver,
    pub saw_reconnecting: bool,
}

impl Engine {
    /// The driver following `repo` on the cluster of `kubeconfig`, once every kind has listed.
    pub async fn start(kubeconfig: &Path, repo: &Path) -> Engine {
        let (client, context) = connect(Some(kubeconfig), None).await.unwrap();
        let spec = RepoSpec {
            path: repo.to_path_buf(),
            ..Default::default()
        };
        // as the TUI runs it: local drift confirmed by the server
        let mut state = State::new(context, Keymap::defaults());
        state.inv = kdrift_engine::inventory::Inventory::with_server_checks();
        let driver = Driver::new(state, Resolver::new(client))
            .with_repo(spec.clone())
            .follow(&spec, Duration::MAX);
        let mut engine = Engine {
            driver,
            saw_reconnecting: false,
        };
        engine
            .pump_until(Duration::from_secs(15), |s| s.inv.settled)
            .await;
        engine
    }

    pub fn state(&self) -> &State {
        &self.driver.state
    }

    /// Puts the cursor on `key`'s row, as j/k would.
    pub fn state_mut_select(&mut self, key: &kdrift_engine::model::ResourceKey) {
        let state = &mut self.driver.state;
        if let Some(i) = state
            .visible_rows()
            .iter()
            .position(|(r, _)| r.object() == Some(key))
        {
            state.selected = i;
        }
    }

    pub fn send(&mut self, msg: Msg) {
        self.driver.handle(msg);
    }

    /// Drives until `done` holds (noting whether any watch ever reported reconnecting);
    /// panics with the rows after `limit`.
    pub async fn pump_until(&mut self, limit: Duration, done: impl Fn(&State) -> bool) -> Duration {
        let saw = &mut self.saw_reconnecting;
        let result = self
            .driver
            .run_until(limit, |s| {
                let reconnecting = s
                    .inv
                    .watches
                    .values()
                    .any(|w| matches!(w, WatchState::Reconnecting { .. }));
                *saw |= reconnecting;
                done(s)
            })
            .await;
        result.unwrap_or_else(|e| {
            let s = &self.driver.state;
            let notices: Vec<_> = s.notices.iter().map(|n| n.text.as_str()).collect();
            panic!(
                "{e}; notices {notices:?}; mode {:?}; rows {:#?} watches {:?}",
                s.mode.plan_dialog(),
                s.inv.verdicts,
                s.inv.watches
            )
        })
    }

    /// Drives until `done` holds or `limit` passes; whether it held.
    pub async fn pump_for(&mut self, limit: Duration, done: impl Fn(&State) -> bool) -> bool {
        self.driver.run_until(limit, done).await.is_ok()
    }

    /// Messages that arrive within `window` (after letting one-shot startup messages drain for 2 s).
    pub async fn messages_within(&mut self, window: Duration) -> usize {
        let settle = Instant::now() + Duration::from_secs(2);
        while let Ok(Some(_)) =
            tokio::time::timeout_at(settle.into(), self.driver.next_batch()).await
        {}
        let end = Instant::now() + window;
        let mut n = 0;
        while let Ok(Some(batch)) =
            tokio::time::timeout_at(end.into(), self.driver.next_batch()).await
        {
            n += batch;
        }
        n
    }

    pub fn status(&self, kind: &str, name: &str) -> Option<DriftStatus> {
        self.driver
            .state
            .inv
            .verdicts
            .iter()
            .find(|(k, _)| k.kind == kind && k.name == name)
            .map(|(_, r)| r.status)
    }
}

/// The files of a repo also on disk under `dir`, applied as a person would: the namespace
/// (`ns.yaml`) first, then everything server-side.
pub fn apply_files(tb: &Testbed, dir: &Path, files: &[(String, String)]) {
    for (path, contents) in files {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, contents).unwrap();
    }
    tb.kubectl(&["apply", "-f", &dir.join("ns.yaml").display().to_string()]);
    tb.kubectl(&[
        "apply",
        "--server-side",
        "-R",
        "-f",
        &dir.display().to_string(),
    ]);
}

/// The key of the Deployment `name` in `ns`.
pub fn deployment_key(ns: &str, name: &str) -> kdrift_engine::model::ResourceKey {
    kdrift_engine::model::ResourceKey::from(kdrift_engine::model::KeyParts {
        namespace: Some(ns.to_string()),
        kind: "Deployment".into(),
        name: name.into(),
        group: "apps".into(),
        version: "v1".into(),
    })
}
