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
}
