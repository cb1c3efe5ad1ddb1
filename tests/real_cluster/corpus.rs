//! Zero false positives on manifests written the way people write them (`tests/corpus/`):
//! applied with `kubectl apply --server-side`, with client-side `kubectl apply`, with
//! `kubectl apply -k` and with `helm install`, `kdrift check` must find every object in sync.

use crate::common::testbed::{Testbed, testbed, unique};
use kdrift_testkit::git::commit_all;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The corpus as a repo: `plain/`, `kustomize/` and the chart as `charts/corpus` (the release
/// is named after its directory), with `__NS__` made the test's namespace.
fn corpus_repo(ns: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    for (from, to) in [
        ("plain", "plain"),
        ("kustomize", "kustomize"),
        ("chart", "charts/corpus"),
    ] {
        copy_tree(&corpus.join(from), &repo.join(to), ns);
    }
    commit_all(&repo, "corpus");
    (dir, repo)
}

fn copy_tree(from: &Path, to: &Path, ns: &str) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target, ns);
        } else {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            std::fs::write(target, text.replace("__NS__", ns)).unwrap();
        }
    }
}

/// Every object `kdrift check` judged, and the ones not in sync (with what it said of them).
fn drifted(json: &Value) -> Vec<String> {
    json["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] != "in_sync")
        .map(|r| {
            format!(
                "{} {}/{} ({}): {} {}",
                r["status"], r["kind"], r["name"], r["stage"], r["message"], r["changes"]
            )
        })
        .collect()
}

fn assert_all_in_sync(tb: &Testbed, repo: &Path, flags: &[&str], at_least: usize) {
    let (code, json, stderr) = tb.check_with(repo, &tb.admin, flags);
    let judged = json["resources"].as_array().map_or(0, Vec::len);
    assert!(
        judged >= at_least,
        "only {judged} objects judged: {json:#}\n{stderr}"
    );
    let by_server = json["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["stage"] == "server")
        .count();
    eprintln!("{judged} objects judged, {by_server} of them by the server's dry-run");
    let noise = drifted(&json);
    assert!(noise.is_empty(), "false drift:\n{}", noise.join("\n"));
    assert_eq!(code, 0, "{stderr}");
}

fn plain(server_side: bool) {
    let (tb, _shared) = testbed();
    let ns = unique(if server_side {
        "t-corpus-ssa"
    } else {
        "t-corpus-csa"
    });
    let applied = applied_corpus(&tb, &ns, server_side);
    let flags = ["--path", "plain", "--namespace", &ns];
    assert_all_in_sync(&tb, &applied.repo, &flags, 68);
    cleanup(&tb, &ns);
}

/// The corpus's `plain/` applied in namespace `ns` (created here), and its repo.
pub struct Applied {
    pub repo: PathBuf,
    _dir: tempfile::TempDir,
}

pub fn applied_corpus(tb: &Testbed, ns: &str, server_side: bool) -> Applied {
    let (dir, repo) = corpus_repo(ns);
    let ssa: &[&str] = if server_side { &["--server-side"] } else { &[] };
    tb.kubectl(&["create", "namespace", ns]);
    let crds = repo.join("plain/crds");
    tb.kubectl(&[&["apply"], ssa, &["-f", crds.to_str().unwrap()]].concat());
    for plural in ["widgets", "backupschedules"] {
        let crd = format!("crd/{plural}.{ns}.corpus.kdrift.dev");
        tb.kubectl(&["wait", "--for=condition=Established", "--timeout=30s", &crd]);
    }
    let objects = repo.join("plain");
    let apply = [
        &["apply", "-n", ns],
        ssa,
        &["-f", objects.to_str().unwrap()],
    ]
    .concat();
    tb.kubectl(&apply);
    Applied { repo, _dir: dir }
}

/// The namespace and the cluster-scoped objects named after it.
pub fn cleanup(tb: &Testbed, ns: &str) {
    tb.kubectl(&["delete", "namespace", ns, "--wait=false"]);
    for kind in [
        "crd",
        "clusterrole",
        "clusterrolebinding",
        "priorityclass",
        "storageclass",
        "ingressclass",
    ] {
        let names = tb.kubectl(&["get", kind, "-o", "name"]);
        let ours: Vec<&str> = names.lines().filter(|n| n.contains(ns)).collect();
        if !ours.is_empty() {
            tb.kubectl(&[&["delete", "--wait=false"], ours.as_slice()].concat());
        }
    }
}

#[test]
fn the_corpus_applied_server_side_is_in_sync() {
    plain(true);
}

#[test]
fn the_corpus_applied_client_side_is_in_sync() {
    plain(false);
}

#[test]
fn the_corpus_overlay_applied_with_apply_k_is_in_sync() {
    let (tb, _shared) = testbed();
    let ns = unique("t-corpus-k");
    let (_dir, repo) = corpus_repo(&ns);
    tb.kubectl(&["create", "namespace", &ns]);
    let overlay = repo.join("kustomize/overlays/prod");
    tb.kubectl(&["apply", "-n", &ns, "-k", overlay.to_str().unwrap()]);
    let flags = ["--path", "kustomize/overlays/prod", "--namespace", &ns];
    assert_all_in_sync(&tb, &repo, &flags, 6);
    tb.kubectl(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn the_corpus_chart_installed_with_helm_is_in_sync() {
    let (tb, _shared) = testbed();
    let ns = unique("t-corpus-helm");
    let (dir, repo) = corpus_repo(&ns);
    tb.kubectl(&["create", "namespace", &ns]);
    let helm = std::env::var("KDRIFT_HELM").expect("KDRIFT_HELM from the testbed env");
    let out = Command::new(helm)
        .args(["install", "corpus"])
        .arg(repo.join("charts/corpus"))
        .args(["--namespace", &ns, "--kubeconfig"])
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
    assert_all_in_sync(&tb, &repo, &["--path", "charts", "--namespace", &ns], 6);
    tb.kubectl(&["delete", "namespace", &ns, "--wait=false"]);
}
