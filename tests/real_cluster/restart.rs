//! kube-apiserver restarted while kdrift watches: the watch goes reconnecting, then live, and no
//! stale row remains. It has the control plane to itself (`testbed_alone`): the outage would
//! break tests running beside it.

use crate::common::testbed::{App, Engine, applied_app, testbed_alone};
use kdrift_engine::model::{DriftStatus, WatchState};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f4_apiserver_restart_goes_reconnecting_then_live_without_stale_rows() {
    let (tb, _alone) = testbed_alone();
    let App {
        dir: _dir,
        ns,
        repo,
    } = applied_app(&tb, "t-restart");
    let mut e = Engine::start(&tb.admin, &repo).await;
    assert!(
        e.state().inv.drifted_keys().is_empty(),
        "{:#?}",
        e.state().inv.verdicts
    );

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testbed/restart-apiserver.sh");
    let finished = Arc::new(AtomicBool::new(false));
    let flag = finished.clone();
    let restart = tokio::task::spawn_blocking(move || {
        let status = Command::new("bash").arg(script).status().unwrap();
        flag.store(true, Ordering::SeqCst);
        status
    });
    // While it is down and coming back, the engine keeps running and must notice the outage.
    e.pump_until(Duration::from_secs(90), |_| finished.load(Ordering::SeqCst))
        .await;
    assert!(
        restart.await.unwrap().success(),
        "restart-apiserver.sh failed"
    );
    e.pump_until(Duration::from_secs(60), |s| {
        s.inv.watches.values().all(|w| *w == WatchState::Live)
    })
    .await;
    assert!(e.saw_reconnecting, "the watch never reported reconnecting");

    // The watch is live again: a deletion right after the restart shows as missing, no stale row.
    tb.kubectl(&["-n", &ns, "delete", "configmap/cfg"]);
    e.pump_until(Duration::from_secs(5), |s| {
        s.inv.verdicts.iter().any(|(k, r)| {
            k.kind == "ConfigMap" && k.name == "cfg" && r.status == DriftStatus::Missing
        })
    })
    .await;
    // the next test finds a control plane that runs pods again
    tb.wait_workloads_run();
}

/// `kdrift sync` while the API server goes away: the apply in flight fails, later waves are not
/// applied, and the result says exactly that — never "converged". Once the server is back, the
/// same sync converges. The fault proxy holds the second wave's apply back so that the restart
/// lands in the middle of the sync, not before or after it.
#[test]
fn f4_apiserver_restart_during_a_sync_is_a_partial_result_never_converged() {
    use crate::common::fault_proxy::FaultProxy;
    use crate::common::testbed::{commit, unique};
    let (tb, _alone) = testbed_alone();
    let dir = tempfile::tempdir().unwrap();
    let ns = unique("t-restart-sync");
    tb.kubectl(&["create", "namespace", &ns]);
    let cm = |name: &str, wave: i32| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {ns}\n  annotations:\n    kdrift.dev/sync-wave: \"{wave}\"\ndata:\n  k: v\n"
        )
    };
    let repo = dir.path().join("repo");
    commit(
        &repo,
        "three waves",
        &[
            ("a.yaml", cm("a", 0)),
            ("b.yaml", cm("b", 1)),
            ("c.yaml", cm("c", 2)),
        ],
    );
    let proxy = FaultProxy::start(&tb);
    proxy.fault(serde_json::json!({
        "match": "/configmaps/b?", "method": "PATCH", "unless": "dryRun",
        "action": "slow", "seconds": 4,
    }));
    let sync = Command::new(env!("CARGO_BIN_EXE_kdrift"))
        .args([
            "sync",
            "--yes",
            "--output",
            "json",
            "--timeout",
            "20",
            "--repo",
        ])
        .arg(&repo)
        .arg("--kubeconfig")
        .arg(&proxy.kubeconfig)
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // wait until b's apply is held in the proxy, then take the server away under it
    let held = std::time::Instant::now();
    while proxy.hits()["rules"][0]["hits"] != 1 {
        assert!(
            held.elapsed() < Duration::from_secs(60),
            "the sync never reached wave 1: {:#}",
            proxy.hits()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testbed/restart-apiserver.sh");
    let restart = std::thread::spawn(move || {
        Command::new("bash")
            .arg(script)
            .args(["--down-for", "6"])
            .status()
            .unwrap()
    });
    let out = sync.wait_with_output().unwrap();
    assert!(
        restart.join().unwrap().success(),
        "restart-apiserver.sh failed"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    assert_eq!(out.status.code(), Some(1), "{json:#}\n{stderr}");
    assert_eq!(json["converged"], false, "{json:#}");
    let listed = |what: &str| -> Vec<String> {
        json["outcome"][what]
            .as_array()
            .unwrap_or_else(|| panic!("no outcome.{what}: {json:#}"))
            .iter()
            .map(|x| {
                x.as_str()
                    .or(x["object"].as_str())
                    .unwrap_or("")
                    .to_string()
            })
            .collect()
    };
    assert_eq!(listed("applied"), [format!("{ns}/ConfigMap/a")], "{json:#}");
    assert_eq!(listed("failed"), [format!("{ns}/ConfigMap/b")], "{json:#}");
    assert_eq!(
        listed("not_applied"),
        [format!("{ns}/ConfigMap/c")],
        "{json:#}"
    );
    assert!(
        tb.get_name(&ns, "configmap/c").is_empty(),
        "a later wave ran after a failure"
    );

    // the server is back: the same sync finishes the job
    let (code, json, stderr) = tb.sync(&repo, &["--yes"]);
    assert_eq!(code, 0, "{json:#}\n{stderr}");
    assert_eq!(json["converged"], true, "{json:#}");
    tb.kubectl(&["delete", "namespace", &ns, "--wait=false"]);
    tb.wait_workloads_run();
}
