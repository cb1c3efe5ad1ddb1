//! `deploy/`: the chart and the plain manifests pass a server-side dry-run apply on the real
//! control plane; the plain file is what `deploy/render.sh` writes from the chart; and `kdrift
//! watch` works with a ServiceAccount token bound to exactly the chart's ClusterRole, whose write
//! verbs stay forbidden.

use crate::common::testbed::{Testbed, app_repo, testbed, unique};
use crate::common::watch::{Watch, about};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn helm() -> String {
    std::env::var("KDRIFT_HELM").expect(
        "KDRIFT_HELM is not set: source the test control plane's env (bash scripts/test.sh does)",
    )
}

/// `helm template RELEASE deploy/helm/kdrift -n NS` with `sets`.
fn template(release: &str, ns: &str, sets: &[&str]) -> String {
    let mut cmd = Command::new(helm());
    cmd.args(["template", release])
        .arg(root().join("deploy/helm/kdrift"))
        .args(["--namespace", ns]);
    for s in sets {
        cmd.args(["--set", s]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "helm template: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `kubectl apply [--dry-run=server] -f FILE` as `kubeconfig`; its output, or the failure.
fn apply(tb: &Testbed, kubeconfig: &Path, file: &Path, dry_run: bool) -> String {
    let mut cmd = Command::new(tb.bin.join("kubectl"));
    cmd.arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["apply", "-f"])
        .arg(file);
    if dry_run {
        cmd.arg("--dry-run=server");
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "kubectl apply {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_chart_and_the_plain_manifests_pass_a_server_side_dry_run() {
    let (tb, _shared) = testbed();
    let dir = tempfile::tempdir().unwrap();

    // the plain file is the chart's rendering, not a copy that drifts from it
    let rendered = dir.path().join("kdrift.yaml");
    let status = Command::new("bash")
        .arg(root().join("deploy/render.sh"))
        .arg(&rendered)
        .status()
        .unwrap();
    assert!(status.success());
    let plain = root().join("deploy/kubernetes/kdrift.yaml");
    assert_eq!(
        std::fs::read_to_string(&rendered).unwrap(),
        std::fs::read_to_string(&plain).unwrap(),
        "deploy/kubernetes/kdrift.yaml is stale: run deploy/render.sh"
    );
    // its namespace for real (a dry-run creates nothing the next object could live in)
    let ns_file = dir.path().join("ns.yaml");
    std::fs::write(
        &ns_file,
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kdrift\n",
    )
    .unwrap();
    apply(&tb, &tb.admin, &ns_file, false);
    let out = apply(&tb, &tb.admin, &plain, true);
    for object in [
        "serviceaccount/kdrift",
        "clusterrole.rbac.authorization.k8s.io/kdrift-read",
        "clusterrolebinding.rbac.authorization.k8s.io/kdrift-read",
        "deployment.apps/kdrift",
        "service/kdrift",
    ] {
        assert!(out.contains(object), "{object} not in: {out}");
    }

    // every option on, in a namespace of its own
    let ns = unique("t-chart");
    tb.kubectl(&["create", "namespace", &ns]);
    let all = template(
        &ns,
        &ns,
        &[
            "repo.url=https://example.com/org/gitops.git",
            "repo.path=clusters/prod",
            "converge.enabled=true",
            "converge.prune=true",
            "alertmanager.url=http://alertmanager:9093",
            "webhooks[0]=https://hooks.example.com/x",
            "webhookSecret.name=hooks",
            "webhookSecret.urlKeys[0]=slack",
            "webhookSecret.hmacKey=hmac",
            "otlpEndpoint=http://collector:4318",
        ],
    );
    assert!(
        all.contains("--converge-after=10m") && all.contains("--prune"),
        "{all}"
    );
    assert!(
        all.contains("verbs: [create, patch, update, delete]"),
        "{all}"
    );
    let file = dir.path().join("all.yaml");
    std::fs::write(&file, &all).unwrap();
    let out = apply(&tb, &tb.admin, &file, true);
    assert!(
        out.contains(&format!(
            "clusterrole.rbac.authorization.k8s.io/{ns}-converge"
        )),
        "{out}"
    );

    // no repo at all is the chart's own error
    let out = Command::new(helm())
        .arg("template")
        .arg("x")
        .arg(root().join("deploy/helm/kdrift"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("set repo.url"));
}

/// A kubeconfig like the admin's, authenticating with `token` instead.
fn token_kubeconfig(tb: &Testbed, dir: &Path, token: &str) -> PathBuf {
    let path = dir.join("sa.kubeconfig");
    std::fs::copy(&tb.admin, &path).unwrap();
    for args in [
        vec![
            "config",
            "set-credentials",
            "sa",
            &format!("--token={token}"),
        ],
        vec!["config", "set-context", "--current", "--user=sa"],
    ] {
        let ok = Command::new(tb.bin.join("kubectl"))
            .env("KUBECONFIG", &path)
            .args(&args)
            .output()
            .unwrap();
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
    }
    path
}

/// `kubectl auth can-i VERB RESOURCE -n NS` as `kubeconfig`.
fn can_i(tb: &Testbed, kubeconfig: &Path, verb: &str, resource: &str, ns: &str) -> bool {
    let out = Command::new(tb.bin.join("kubectl"))
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["auth", "can-i", verb, resource, "-n", ns])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim() == "yes"
}

#[test]
fn kdrift_watch_runs_with_a_token_bound_to_exactly_the_charts_cluster_role() {
    let (tb, _shared) = testbed();
    let dir = tempfile::tempdir().unwrap();
    // the release: its ServiceAccount, read-only ClusterRole and binding, applied for real
    let release = unique("t-sa");
    tb.kubectl(&["create", "namespace", &release]);
    let chart = template(&release, &release, &["repo.url=https://example.com/r.git"]);
    let file = dir.path().join("chart.yaml");
    std::fs::write(&file, &chart).unwrap();
    apply(&tb, &tb.admin, &file, false);
    let token = tb.kubectl(&["-n", &release, "create", "token", &release, "--duration=1h"]);
    let kubeconfig = token_kubeconfig(&tb, dir.path(), token.trim());

    // an app applied by the admin, in a namespace of its own
    let ns = unique("t-sa-app");
    let repo = app_repo(dir.path(), &ns);
    let (code, json, err) = tb.sync(&repo, &["--yes"]);
    assert_eq!(code, 0, "{json:#}\n{err}");

    let mut w = Watch::start(&repo, &kubeconfig, dir.path(), &[]);
    let settled = w.wait_for(Duration::from_secs(30), |v| v["event"] == "settled");
    assert_eq!(settled["in_sync"], 4, "{settled:#}");
    assert_eq!(settled["errors"], 0, "{settled:#}");
    tb.kubectl(&["-n", &ns, "scale", "deployment/web", "--replicas=5"]);
    let drift = w.wait_for(Duration::from_secs(15), |v| about(v, "drift", "web"));
    assert_eq!(
        drift["fields"],
        serde_json::json!(["/spec/replicas"]),
        "{drift:#}"
    );
    assert_eq!(w.terminate(Duration::from_secs(10)), 0);

    // exactly read: every write verb is refused
    for (verb, resource) in [
        ("list", "deployments"),
        ("watch", "configmaps"),
        ("get", "secrets"),
    ] {
        assert!(
            can_i(&tb, &kubeconfig, verb, resource, &ns),
            "{verb} {resource}"
        );
    }
    for (verb, resource) in [
        ("create", "configmaps"),
        ("patch", "deployments"),
        ("update", "services"),
        ("delete", "pods"),
        ("create", "clusterrolebindings"),
    ] {
        assert!(
            !can_i(&tb, &kubeconfig, verb, resource, &ns),
            "{verb} {resource} granted to the read-only role"
        );
    }
    tb.kubectl(&[
        "delete",
        "clusterrolebinding,clusterrole",
        &format!("{release}-read"),
        "--ignore-not-found",
    ]);
}
