//! The two drift stages on a real API server. The local compare knows what the server
//! canonicalises and drops (quantities, `false`, `[]`); what only the server can know (a
//! mutating admission webhook rewriting a declared field) its dry-run settles; a real change is
//! confirmed with its manager; and a dry-run the user may not make leaves the local verdict
//! marked unconfirmed, never "in sync".

use crate::common::testbed::{Testbed, resource, testbed, unique};
use kdrift_engine::repo::{RepoFile, write_history};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// A one-file repo, and the same file on disk for `kubectl apply`.
fn repo_with(dir: &Path, text: &str) -> (PathBuf, PathBuf) {
    let repo = dir.join("repo");
    let file = RepoFile {
        path: "object.yaml",
        contents: Some(text),
    };
    write_history(&repo, &[("object", vec![file])]).unwrap();
    let plain = dir.join("object.yaml");
    std::fs::write(&plain, text).unwrap();
    (repo, plain)
}

/// Written the way people write it: quantities in other units than the server stores,
/// defaults spelled out that the server leaves out.
fn deployment(name: &str, ns: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      hostNetwork: false\n      containers:\n        - name: web\n          image: nginx:1.27\n          args: []\n          resources:\n            limits: {{cpu: 1000m, memory: 1024Mi}}\n            requests: {{cpu: 0.5, memory: 1G}}\n          ports:\n            - containerPort: 80\n              protocol: TCP\n"
    )
}

#[test]
fn canonical_forms_are_not_drift_and_a_real_change_is_confirmed_by_the_server() {
    let (tb, _shared) = testbed();
    // in `default`, where the restricted user may read deployments but not patch them
    let name = unique("t-stage");
    let dir = tempfile::tempdir().unwrap();
    let (repo, plain) = repo_with(dir.path(), &deployment(&name, "default"));
    tb.kubectl(&["apply", "-f", plain.to_str().unwrap()]);

    let (code, json, stderr) = tb.check(&repo, &tb.admin);
    let web = resource(&json, "Deployment", &name);
    assert_eq!(code, 0, "{json:#}\n{stderr}");
    assert_eq!(web["status"], "in_sync", "{web:#}");

    tb.kubectl(&[
        "-n",
        "default",
        "scale",
        &format!("deployment/{name}"),
        "--replicas=3",
    ]);
    let (code, json, _) = tb.check(&repo, &tb.admin);
    let web = resource(&json, "Deployment", &name);
    assert_eq!(code, 1);
    assert_eq!(web["stage"], "server", "{web:#}");
    // the API server writes no time into a `scale` subresource's managedFields entry
    let time = web["changes"][0]["time"].clone();
    assert!(time.is_null(), "{web:#}");
    assert_eq!(
        web["changes"],
        serde_json::json!([{"path": "/spec/replicas", "desired": 2, "live": 3, "manager": "kubectl", "time": time}]),
        "exactly the scaled field: {web:#}"
    );

    // the same as diffs, from the binary: exit code as check's, the scaled field's hunk
    let out = Command::new(env!("CARGO_BIN_EXE_kdrift"))
        .args(["diff", "--repo"])
        .arg(&repo)
        .arg("--kubeconfig")
        .arg(&tb.admin)
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("-  replicas: 3") && text.contains("+  replicas: 2"),
        "{text}"
    );
    assert!(
        !text.contains('\u{1b}'),
        "no colour when stdout is not a terminal: {text}"
    );

    // alice may read this Deployment, not patch it: the server cannot be asked, so the local
    // verdict stands, marked, and never turns into "in sync"
    let (code, json, _) = tb.check(&repo, &tb.alice);
    let web = resource(&json, "Deployment", &name);
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(
        (&web["status"], &web["stage"]),
        (&"modified".into(), &"local".into())
    );
    let message = web["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("not confirmed by the server"),
        "{web:#}"
    );
    tb.kubectl(&["-n", "default", "delete", &format!("deployment/{name}")]);
}

/// `tests/testbed/mutating-webhook.py` on loopback, with a certificate for 127.0.0.1 signed by
/// a CA of its own; killed on drop.
struct Webhook {
    child: Child,
    port: u16,
    ca: Vec<u8>,
}

impl Webhook {
    fn start(dir: &Path) -> Webhook {
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(dir)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=kdrift-test-ca",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
        ]);
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "hook.key",
            "-out",
            "hook.csr",
        ]);
        std::fs::write(dir.join("san.cnf"), "subjectAltName=IP:127.0.0.1\n").unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "hook.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            "san.cnf",
            "-out",
            "hook.crt",
        ]);
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testbed/mutating-webhook.py");
        let portfile = dir.join("port");
        let child = Command::new("python3")
            .arg(script)
            .args([dir.join("hook.crt"), dir.join("hook.key"), portfile.clone()])
            .spawn()
            .expect("python3 runs the test webhook");
        let deadline = Instant::now() + Duration::from_secs(10);
        let port = loop {
            if let Ok(text) = std::fs::read_to_string(&portfile) {
                break text.trim().parse().unwrap();
            }
            assert!(Instant::now() < deadline, "the webhook did not start");
            std::thread::sleep(Duration::from_millis(50));
        };
        Webhook {
            child,
            port,
            ca: std::fs::read(dir.join("ca.crt")).unwrap(),
        }
    }

    /// Registers it for ConfigMaps in `ns` only, so no other test meets it.
    fn register(&self, tb: &Testbed, name: &str, ns: &str, dir: &Path) {
        use base64::Engine;
        let ca = base64::engine::general_purpose::STANDARD.encode(&self.ca);
        let config = format!(
            "apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata:\n  name: {name}\nwebhooks:\n  - name: tier.{name}.kdrift.dev\n    admissionReviewVersions: [v1]\n    sideEffects: None\n    failurePolicy: Fail\n    timeoutSeconds: 5\n    clientConfig:\n      url: https://127.0.0.1:{port}/mutate\n      caBundle: {ca}\n    namespaceSelector:\n      matchLabels:\n        kubernetes.io/metadata.name: {ns}\n    rules:\n      - operations: [CREATE, UPDATE]\n        apiGroups: [\"\"]\n        apiVersions: [v1]\n        resources: [configmaps]\n",
            port = self.port
        );
        let file = dir.join("webhook.yaml");
        std::fs::write(&file, config).unwrap();
        tb.kubectl(&["apply", "-f", file.to_str().unwrap()]);
    }
}

impl Drop for Webhook {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A webhook rewrites a label git declares: the local compare sees a difference, the server's
/// dry-run (which runs the webhook too) sees none. A change of git's data is still drift.
#[test]
fn a_mutating_webhooks_rewrite_is_not_drift_after_the_servers_dry_run() {
    let (tb, _shared) = testbed();
    let ns = unique("t-webhook");
    let hook_name = format!("{ns}-tier");
    let dir = tempfile::tempdir().unwrap();
    let hook = Webhook::start(dir.path());
    tb.kubectl(&["create", "namespace", &ns]);
    hook.register(&tb, &hook_name, &ns, dir.path());
    let text = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: {ns}\n  labels:\n    tier: web\ndata:\n  mode: fast\n"
    );
    let (repo, plain) = repo_with(dir.path(), &text);
    tb.kubectl(&["apply", "-f", plain.to_str().unwrap()]);
    let tier = tb.kubectl(&[
        "-n",
        &ns,
        "get",
        "configmap/settings",
        "-o",
        "jsonpath={.metadata.labels.tier}",
    ]);
    assert_eq!(tier, "mutated", "the webhook rewrote git's label");

    let (code, json, stderr) = tb.check(&repo, &tb.admin);
    let settings = resource(&json, "ConfigMap", "settings");
    assert_eq!(code, 0, "{json:#}\n{stderr}");
    assert_eq!(
        (&settings["status"], &settings["stage"]),
        (&"in_sync".into(), &"server".into()),
        "{settings:#}"
    );

    tb.merge_patch(&ns, "configmap/settings", r#"{"data":{"mode":"slow"}}"#);
    let (code, json, _) = tb.check(&repo, &tb.admin);
    let settings = resource(&json, "ConfigMap", "settings");
    assert_eq!(code, 1, "{json:#}");
    let paths: Vec<&str> = settings["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["path"].as_str())
        .collect();
    assert_eq!(
        paths,
        ["/data/mode"],
        "the data, not the webhook's label: {settings:#}"
    );

    tb.kubectl(&["delete", "mutatingwebhookconfiguration", &hook_name]);
    tb.kubectl(&["delete", "namespace", &ns, "--wait=false"]);
}
