//! Kustomize and Helm against the real control plane: after `kubectl apply -k` and `helm install`
//! put a repo's overlay and chart into the cluster, `kdrift check` on that repo says in sync, and
//! a hand edit on a rendered object is found.

use crate::common::testbed::{resource, testbed, unique};
use kdrift_testkit::git::{commit_all, write_files};
use kdrift_testkit::layouts::render_files;
use std::process::Command;

#[test]
fn check_is_in_sync_after_kubectl_apply_k_and_helm_install() {
    let (tb, _shared) = testbed();
    let ns = unique("render");
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    write_files(&repo, &render_files(&ns));
    commit_all(&repo, "overlay, chart, namespace");

    tb.kubectl(&[
        "apply",
        "-f",
        repo.join("plain/namespace.yaml").to_str().unwrap(),
    ]);
    tb.kubectl(&[
        "apply",
        "-k",
        repo.join("apps/overlays/prod").to_str().unwrap(),
    ]);
    let helm = std::env::var("KDRIFT_HELM").expect("KDRIFT_HELM from the testbed env");
    let out = Command::new(helm)
        .args(["install", "web"])
        .arg(repo.join("charts/web"))
        .args(["--namespace", &ns, "--values"])
        .arg(repo.join("charts/web/values-prod.yaml"))
        .arg("--kubeconfig")
        .arg(&tb.admin)
        .env("HELM_CONFIG_HOME", dir.path().join("helm/config"))
        .env("HELM_CACHE_HOME", dir.path().join("helm/cache"))
        .env("HELM_DATA_HOME", dir.path().join("helm/data"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "helm install: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let flags = [
        "--namespace",
        ns.as_str(),
        "--helm-values",
        "values-prod.yaml",
    ];
    let (code, json, stderr) = tb.check_with(&repo, &tb.admin, &flags);
    assert_eq!(code, 0, "{json:#}\n{stderr}");
    assert_eq!(json["summary"]["in_sync"], 6, "{json:#}");
    let web = resource(&json, "Deployment", "web");
    assert_eq!(web["source"], "charts/web/Chart.yaml");

    tb.kubectl(&["-n", &ns, "scale", "deployment/prod-api", "--replicas=1"]);
    let (code, json, _) = tb.check_with(&repo, &tb.admin, &flags);
    assert_eq!(code, 1, "{json:#}");
    let api = resource(&json, "Deployment", "prod-api");
    assert_eq!(api["status"], "modified", "{api:#}");
    assert_eq!(api["source"], "apps/overlays/prod/kustomization.yaml");
    tb.kubectl(&["delete", "namespace", &ns, "--wait=false"]);
}
