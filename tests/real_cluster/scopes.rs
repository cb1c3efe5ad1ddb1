//! Issue 14: a kind git declares in a few namespaces is read in those namespaces only, plus a
//! label-selected sweep for kdrift's own objects elsewhere; another namespace's objects are
//! never listed (on a real cluster, a big namespace next door cost the 1k git declares 35 s).

use crate::common::fault_proxy::FaultProxy;
use crate::common::testbed::{App, Engine, applied_app, resource, testbed, unique};
use kdrift_engine::model::{DriftStatus, ResourceKey};
use serde_json::Value;
use std::time::Duration;

/// Every ConfigMap list or watch the proxy saw.
fn configmap_reads(proxy: &FaultProxy) -> Vec<String> {
    let hits = proxy.hits();
    hits["seen"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s[0] == "GET")
        .filter_map(|s| s[1].as_str())
        .filter(|p| p.split('?').next().unwrap_or("").ends_with("/configmaps"))
        .map(str::to_string)
        .collect()
}

/// Each read is of the app's namespace, or cluster-wide with kdrift's label: never every
/// ConfigMap of the cluster.
fn assert_scoped(reads: &[String], ns: &str) {
    let own = format!("/api/v1/namespaces/{ns}/configmaps");
    assert!(
        reads.iter().any(|p| p.starts_with(&own)),
        "the app's namespace is read: {reads:#?}"
    );
    for path in reads {
        let everywhere = path.starts_with("/api/v1/configmaps");
        let labelled = path.contains("labelSelector=app.kubernetes.io%2Fmanaged-by%3Dkdrift");
        assert!(
            path.starts_with(&own) || (everywhere && labelled),
            "a read outside the app's namespace without kdrift's label: {path}\n{reads:#?}"
        );
    }
}

/// An orphan this repo applied in a namespace git no longer uses, and a stranger beside it.
fn orphan_elsewhere(tb: &crate::common::testbed::Testbed, repo: &std::path::Path) -> String {
    let other = unique("t-scope-other");
    tb.kubectl(&["create", "namespace", &other]);
    tb.kubectl(&[
        "-n",
        &other,
        "create",
        "configmap",
        "stranger",
        "--from-literal=a=b",
    ]);
    let source = std::fs::canonicalize(repo).unwrap().display().to_string();
    tb.owned_configmap(&other, "left", Some(&source));
    other
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reads_the_namespaces_git_uses_and_sweeps_elsewhere_for_its_orphans() {
    let (tb, _shared) = testbed();
    let App {
        dir: _dir,
        ns,
        repo,
    } = applied_app(&tb, "t-scope");
    let other = orphan_elsewhere(&tb, &repo);
    let proxy = FaultProxy::start(&tb);
    let (code, json, stderr) = tb.check(&repo, &proxy.kubeconfig);
    assert_eq!(code, 1, "the orphan is drift\n{json:#}\n{stderr}");
    let left = resource(&json, "ConfigMap", "left");
    assert_eq!(
        (&left["status"], &left["namespace"]),
        (&Value::from("orphan"), &Value::from(other.as_str())),
        "{json:#}"
    );
    assert!(
        !json["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "stranger"),
        "{json:#}"
    );
    assert_eq!(resource(&json, "ConfigMap", "cfg")["status"], "in_sync");
    assert_scoped(&configmap_reads(&proxy), &ns);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watch_follows_the_namespaces_git_uses_and_an_orphan_made_elsewhere_shows() {
    let (tb, _shared) = testbed();
    let App {
        dir: _dir,
        ns,
        repo,
    } = applied_app(&tb, "t-scopew");
    let proxy = FaultProxy::start(&tb);
    let mut e = Engine::start(&proxy.kubeconfig, &repo).await;
    assert_eq!(
        e.state().inv.count(DriftStatus::Orphan),
        0,
        "{:#?}",
        e.state().inv.verdicts
    );
    // an orphan appears in another namespace while kdrift watches: the sweep's watch brings it
    let other = orphan_elsewhere(&tb, &repo);
    let left = ResourceKey::from(kdrift_engine::model::KeyParts {
        group: String::new(),
        kind: "ConfigMap".into(),
        namespace: Some(other.clone()),
        name: "left".into(),
        version: "v1".into(),
    });
    e.pump_until(Duration::from_secs(10), |s| {
        s.inv.verdicts.get(&left).map(|r| r.status) == Some(DriftStatus::Orphan)
    })
    .await;
    let strangers = e
        .state()
        .inv
        .live()
        .keys()
        .filter(|k| k.namespace.as_deref() == Some(other.as_str()) && k.name == "stranger")
        .count();
    assert_eq!(strangers, 0, "not kdrift's: never kept");
    let reads = configmap_reads(&proxy);
    assert!(
        reads.iter().filter(|p| p.contains("watch=true")).count() >= 2,
        "the namespace's watch and the sweep's: {reads:#?}"
    );
    assert_scoped(&reads, &ns);
    // and the cluster-wide sweep sees the orphan go
    tb.kubectl(&["-n", &other, "delete", "configmap/left"]);
    e.pump_until(Duration::from_secs(10), |s| {
        !s.inv.verdicts.contains_key(&left)
    })
    .await;
}
