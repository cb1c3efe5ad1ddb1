//! Reliability F1 / F2: the network between kdrift and the API server misbehaves (through
//! `tests/testbed/fault-proxy.py`): the UI says reconnecting, lists again, and never shows stale
//! rows as current.

use crate::common::fault_proxy::FaultProxy;
use crate::common::testbed::{App, Engine, Testbed, applied_app, testbed_alone};
use kdrift_engine::model::{DriftStatus, Gvk, WatchState};
use serde_json::json;
use std::time::Duration;

fn configmaps() -> Gvk {
    Gvk {
        group: String::new(),
        version: "v1".into(),
        kind: "ConfigMap".into(),
    }
}

/// Cuts every stream once the ConfigMap watch is open through the proxy (cutting before it is
/// would cut nothing).
async fn cut_the_open_watch(proxy: &FaultProxy) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let hits = proxy.hits();
        let watching = hits["seen"].as_array().unwrap().iter().any(|s| {
            let path = s[1].as_str().unwrap_or("");
            path.contains("/configmaps") && path.contains("watch=true")
        });
        if watching {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no watch through the proxy: {hits:#}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // its response headers are out, so the stream is among the open ones
    tokio::time::sleep(Duration::from_millis(300)).await;
    proxy.fault(json!({"action": "cut"}));
}

/// The app applied in a fresh namespace, and kdrift watching it through a new fault proxy.
async fn proxied(tb: &Testbed, prefix: &str) -> (App, FaultProxy, Engine) {
    let app = applied_app(tb, prefix);
    let proxy = FaultProxy::start(tb);
    let e = Engine::start(&proxy.kubeconfig, &app.repo).await;
    (app, proxy, e)
}

fn state_of(e: &Engine) -> Option<WatchState> {
    e.state().inv.watches.get(&configmaps()).cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f1_a_410_gone_lists_again_and_what_was_deleted_meanwhile_disappears() {
    // the proxy cuts every stream: no other test may be watching through it (they are not,
    // but they share the API server's watch cache; alone keeps timings honest)
    let (tb, _alone) = testbed_alone();
    let (App { dir: _dir, ns, .. }, proxy, mut e) = proxied(&tb, "t-f1").await;
    assert_eq!(e.status("ConfigMap", "cfg"), Some(DriftStatus::InSync));
    // the stream breaks; its next watch is refused with 410 Gone (too old a resourceVersion);
    // the namespace's own watch, not the orphan sweep's (whose outages are not the kind's)
    let path = format!("/namespaces/{ns}/configmaps");
    proxy.fault(json!({"match": path, "watch": true, "action": "status", "code": 410, "count": 1}));
    cut_the_open_watch(&proxy).await;
    e.pump_until(Duration::from_secs(10), |s| {
        matches!(
            s.inv.watches.get(&configmaps()),
            Some(WatchState::Reconnecting { .. })
        )
    })
    .await;
    // deleted while kdrift was not watching
    tb.kubectl(&["-n", &ns, "delete", "configmap/cfg"]);
    let gone = |s: &kdrift::app::State| {
        matches!(s.inv.watches.get(&configmaps()), Some(WatchState::Live))
            && s.inv
                .verdicts
                .iter()
                .any(|(k, r)| k.name == "cfg" && r.status == DriftStatus::Missing)
    };
    e.pump_until(Duration::from_secs(30), gone).await;
    // the 410 was met (kdrift lists afresh after any error, so a 410 is one more list)
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while proxy.hits()["rules"][0]["hits"] != 1 {
        assert!(std::time::Instant::now() < deadline, "{:#}", proxy.hits());
        let _ = e
            .driver
            .run_until(Duration::from_millis(500), |_| false)
            .await;
    }
    e.pump_until(Duration::from_secs(30), gone).await;
    assert_eq!(state_of(&e), Some(WatchState::Live));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f2_429_500_and_resets_are_reconnecting_then_live_never_stale_as_current() {
    let (tb, _alone) = testbed_alone();
    let (App { dir: _dir, ns, .. }, proxy, mut e) = proxied(&tb, "t-f2").await;
    // the namespace's own watch (the orphan sweep's outages are not the kind's)
    let path = format!("/namespaces/{ns}/configmaps");
    for (action, code) in [("status", 429), ("status", 500), ("reset", 0)] {
        proxy.fault(
            json!({"match": path, "watch": true, "action": action, "code": code, "count": 1}),
        );
    }
    cut_the_open_watch(&proxy).await;
    e.pump_until(Duration::from_secs(10), |s| {
        matches!(
            s.inv.watches.get(&configmaps()),
            Some(WatchState::Reconnecting { .. })
        )
    })
    .await;
    // while reconnecting, the screen says the rows are stale (never presents them as current)
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 40)).unwrap();
    t.draw(|f| kdrift::ui::draw(f, e.state())).unwrap();
    let screen = t.backend().to_string();
    assert!(screen.contains("reconnecting"), "{screen}");
    assert!(screen.contains("stale"), "{screen}");
    // and a change made meanwhile shows once it is live again, after every fault was met
    tb.merge_patch(&ns, "configmap/cfg", r#"{"data":{"k":"meanwhile"}}"#);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let hits = proxy.hits();
        let all = hits["rules"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["hits"] == 1);
        if all {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{hits:#}");
        let _ = e
            .driver
            .run_until(Duration::from_millis(500), |_| false)
            .await;
    }
    let took = e
        .pump_until(Duration::from_secs(30), |s| {
            matches!(s.inv.watches.get(&configmaps()), Some(WatchState::Live))
                && s.inv
                    .verdicts
                    .iter()
                    .any(|(k, r)| k.name == "cfg" && r.status == DriftStatus::Modified)
        })
        .await;
    eprintln!("live again and current after {took:?}");
}

/// F2, half-open stalls: a watch request and then a list that are accepted and never answered.
/// Each is given up within its deadline — the watch when its connection has been silent for
/// `watch_idle`, the list within the request deadline — not after kube's five-minute idle
/// timeout; the kind says why it is reconnecting, lists again, and is live and current.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f2_stalled_watches_and_lists_are_given_up_within_their_deadlines() {
    let (tb, _alone) = testbed_alone();
    // process-wide; no other test runs while this one has the control plane alone
    kdrift_engine::cluster::set_request_timeout(Duration::from_secs(3));
    kdrift_engine::cluster::set_watch_idle(Duration::from_secs(6));
    let (App { dir: _dir, ns, .. }, proxy, mut e) = proxied(&tb, "t-f2-stall").await;
    // the namespace's own list and watch (the orphan sweep's stalls are not shown)
    let path = format!("/namespaces/{ns}/configmaps?");
    proxy.fault(
        json!({"match": path, "watch": true, "action": "stall", "seconds": 120, "count": 1}),
    );
    proxy.fault(
        json!({"match": path, "watch": false, "action": "stall", "seconds": 120, "count": 1}),
    );
    // No cut: the server ends each watch after `timeoutSeconds` (5 s here) and kube asks again,
    // and that request is the one stalled. A cut raced it: a renewal stalled just before the cut
    // left a different outage (the list after it failed at once instead of stalling).
    let stalled = e
        .pump_until(Duration::from_secs(30), |s| {
            matches!(
                s.inv.watches.get(&configmaps()),
                Some(WatchState::Reconnecting { why: Some(why), .. }) if why.contains("no answer to the list in 3s")
            )
        })
        .await;
    tb.merge_patch(&ns, "configmap/cfg", r#"{"data":{"k":"meanwhile"}}"#);
    let live = e
        .pump_until(Duration::from_secs(20), |s| {
            matches!(s.inv.watches.get(&configmaps()), Some(WatchState::Live))
                && s.inv
                    .verdicts
                    .iter()
                    .any(|(k, r)| k.name == "cfg" && r.status == DriftStatus::Modified)
        })
        .await;
    kdrift_engine::cluster::set_request_timeout(Duration::from_secs(30));
    kdrift_engine::cluster::set_watch_idle(Duration::from_secs(60));
    let rules = proxy.hits()["rules"].clone();
    assert_eq!(rules[0]["hits"], 1, "the watch stall was met: {rules:#}");
    assert_eq!(rules[1]["hits"], 1, "the list stall was met: {rules:#}");
    eprintln!(
        "gave up on the stalled watch and list after {stalled:?}; live and current {live:?} later"
    );
}
