//! `kdrift watch` against the real control plane, as a process: the drift a `kubectl scale`
//! makes is on stdout within 2 s, `kdrift sync` resolves and converges it, `/metrics` says the
//! same to a Prometheus text parser, webhooks get every event even after 30 s down, and
//! `--converge-after` converges on its own without forcing or pruning.

use crate::common::testbed::{app_repo, testbed, unique};
use crate::common::watch::{HttpReceiver, Watch, about, free_port, get, sample, scrape};
use std::time::{Duration, Instant};

/// Polls `/metrics` until `want` holds of the scrape.
fn metrics_until(port: u16, limit: Duration, want: impl Fn(&prometheus_parse::Scrape) -> bool) {
    let start = Instant::now();
    loop {
        if let Some(s) = scrape(port)
            && want(&s)
        {
            return;
        }
        assert!(
            start.elapsed() < limit,
            "metrics never matched: {:?}",
            get(port, "/metrics")
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_scale_is_a_drift_line_within_2s_and_a_sync_resolves_and_converges_it() {
    let (tb, _shared) = testbed();
    let dir = tempfile::tempdir().unwrap();
    let ns = unique("t-watch");
    let repo = app_repo(dir.path(), &ns);
    let (code, json, err) = tb.sync(&repo, &["--yes"]);
    assert_eq!(code, 0, "{json:#}\n{err}");

    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut w = Watch::start(&repo, &tb.admin, dir.path(), &["--metrics-addr", &addr]);
    let settled = w.wait_for(Duration::from_secs(30), |v| v["event"] == "settled");
    assert_eq!(settled["drifted"], 0, "{settled:#}");
    assert_eq!(settled["cluster"], "kdrift-testbed");
    assert_eq!(get(port, "/readyz").map(|r| r.0), Some(200));
    assert_eq!(get(port, "/healthz").map(|r| r.0), Some(200));

    tb.kubectl(&["-n", &ns, "scale", "deployment/web", "--replicas=3"]);
    let scaled = Instant::now();
    let drift = w.wait_for(Duration::from_secs(10), |v| about(v, "drift", "web"));
    let took = scaled.elapsed();
    assert!(took < Duration::from_secs(2), "drift told after {took:?}");
    assert_eq!(drift["status"], "modified", "{drift:#}");
    assert_eq!(drift["object"]["kind"], "Deployment");
    assert_eq!(drift["object"]["namespace"], ns.as_str());
    assert_eq!(drift["fields"], serde_json::json!(["/spec/replicas"]));
    assert_eq!(drift["managers"], serde_json::json!(["kubectl"]));
    metrics_until(port, Duration::from_secs(5), |s| {
        sample(
            s,
            "kdrift_resources",
            &[
                ("status", "modified"),
                ("kind", "Deployment"),
                ("namespace", &ns),
            ],
        ) == Some(1.0)
            && sample(s, "kdrift_converged", &[]) == Some(0.0)
            && sample(s, "kdrift_events_total", &[("event", "drift")]) >= Some(1.0)
            && sample(s, "kdrift_watch_up", &[("kind", "Deployment.apps")]) == Some(1.0)
    });

    // kubectl owns the replicas now: converging takes them, as the person asks
    let (code, json, err) = tb.sync(&repo, &["--yes", "--force-conflicts"]);
    assert_eq!(code, 0, "{json:#}\n{err}");
    let resolved = w.wait_for(Duration::from_secs(10), |v| about(v, "resolved", "web"));
    assert_eq!(resolved["how"], "kdrift sync", "{resolved:#}");
    assert!(resolved["drifted_seconds"].as_f64().unwrap() >= 0.0);
    let converged = w.wait_for(Duration::from_secs(10), |v| v["event"] == "converged");
    assert!(
        converged["resources"].as_u64().unwrap() >= 4,
        "{converged:#}"
    );
    metrics_until(port, Duration::from_secs(5), |s| {
        sample(s, "kdrift_converged", &[]) == Some(1.0)
            && sample(s, "kdrift_drifted_resources", &[]) == Some(0.0)
            && sample(s, "kdrift_last_converge_timestamp_seconds", &[]).unwrap_or(0.0) > 0.0
            && sample(
                s,
                "kdrift_span_duration_seconds_count",
                &[("span", "dry_run")],
            )
            .unwrap_or(0.0)
                >= 1.0
    });
    assert_eq!(w.terminate(Duration::from_secs(10)), 0);
}

#[test]
fn a_webhook_down_for_30s_gets_every_event_once_it_is_back_signed() {
    let (tb, _shared) = testbed();
    let dir = tempfile::tempdir().unwrap();
    let ns = unique("t-hook");
    let repo = app_repo(dir.path(), &ns);
    let (code, json, err) = tb.sync(&repo, &["--yes"]);
    assert_eq!(code, 0, "{json:#}\n{err}");
    let secret = dir.path().join("hook-secret");
    std::fs::write(&secret, "s3cret-for-hmac\n").unwrap();

    // nothing listens on the webhook's port yet
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/kdrift");
    let mut w = Watch::start(
        &repo,
        &tb.admin,
        dir.path(),
        &[
            "--webhook",
            &url,
            "--webhook-secret-file",
            secret.to_str().unwrap(),
        ],
    );
    w.wait_for(Duration::from_secs(30), |v| v["event"] == "settled");
    let down = Instant::now();
    tb.kubectl(&["-n", &ns, "delete", "configmap", "cfg"]);
    w.wait_for(Duration::from_secs(10), |v| about(v, "drift", "cfg"));
    let (code, json, err) = tb.sync(&repo, &["--yes"]);
    assert_eq!(code, 0, "{json:#}\n{err}");
    w.wait_for(Duration::from_secs(10), |v| v["event"] == "converged");
    std::thread::sleep(Duration::from_secs(30).saturating_sub(down.elapsed()));

    let receiver = HttpReceiver::start(port);
    let start = Instant::now();
    let told: Vec<String> = w.seen.iter().map(|v| v["event"].to_string()).collect();
    while receiver.bodies().len() < w.seen.len() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "delivered {:?} of {told:?}",
            receiver.bodies()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // every event, in order, once each
    assert_eq!(receiver.bodies(), w.seen);
    for p in receiver.posted.lock().unwrap().iter() {
        assert_eq!(p.path, "/kdrift");
        assert_eq!(
            p.header("x-kdrift-signature-256"),
            Some(kdrift_alerts::webhook::signature(b"s3cret-for-hmac", p.body.as_bytes()).as_str()),
            "{p:?}"
        );
        assert_eq!(p.header("content-type"), Some("application/json"));
    }
    assert_eq!(w.terminate(Duration::from_secs(10)), 0);
}

#[test]
fn converge_after_converges_what_it_may_and_never_forces_or_prunes_unasked() {
    let (tb, _shared) = testbed();
    let dir = tempfile::tempdir().unwrap();
    let ns = unique("t-auto");
    let repo = app_repo(dir.path(), &ns);
    let (code, json, err) = tb.sync(&repo, &["--yes"]);
    assert_eq!(code, 0, "{json:#}\n{err}");
    let mut w = Watch::start(&repo, &tb.admin, dir.path(), &["--converge-after", "2s"]);
    w.wait_for(Duration::from_secs(30), |v| v["event"] == "settled");

    // a deleted ConfigMap comes back on its own after the delay
    tb.kubectl(&["-n", &ns, "delete", "configmap", "cfg"]);
    let told = Instant::now();
    w.wait_for(Duration::from_secs(10), |v| about(v, "drift", "cfg"));
    let sync = w.wait_for(Duration::from_secs(20), |v| {
        v["event"] == "sync" && v["objects"][0]["name"] == "cfg"
    });
    assert!(told.elapsed() >= Duration::from_secs(2), "before the delay");
    assert_eq!(sync["trigger"], "converge-after");
    assert_eq!(sync["converged"], true, "{sync:#}");
    let resolved = w.wait_for(Duration::from_secs(10), |v| about(v, "resolved", "cfg"));
    assert_eq!(resolved["how"], "kdrift sync");
    assert_eq!(tb.get_name(&ns, "configmap/cfg"), "configmap/cfg");

    // replicas kubectl now owns: the automatic sync stops at the conflict, never forces it
    tb.kubectl(&["-n", &ns, "scale", "deployment/web", "--replicas=3"]);
    w.wait_for(Duration::from_secs(10), |v| about(v, "drift", "web"));
    let refused = w.wait_for(Duration::from_secs(20), |v| {
        v["event"] == "sync" && v["objects"][0]["name"] == "web"
    });
    assert_eq!(refused["converged"], false, "{refused:#}");
    assert!(
        refused["failed"][0]
            .as_str()
            .unwrap_or("")
            .contains("conflict"),
        "{refused:#}"
    );
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(tb.field(&ns, "deployment/web", ".spec.replicas"), "3");

    // git drops the Service: an orphan kdrift applied, left alone without --prune
    kdrift_engine::repo::write_history(
        &repo,
        &[(
            "drop the service",
            vec![kdrift_engine::repo::RepoFile {
                path: "svc.yaml",
                contents: None,
            }],
        )],
    )
    .unwrap();
    w.wait_for(Duration::from_secs(20), |v| v["event"] == "commit");
    w.wait_for(Duration::from_secs(20), |v| {
        about(v, "drift", "web") && v["status"] == "orphan" && v["object"]["kind"] == "Service"
    });
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(
        tb.get_name(&ns, "service/web"),
        "service/web",
        "pruned unasked"
    );
    assert!(
        !w.seen
            .iter()
            .any(|v| v["event"] == "sync" && v["objects"].to_string().contains("Service")),
        "an orphan was in an automatic sync: {:#?}",
        w.seen
    );
    assert_eq!(w.terminate(Duration::from_secs(10)), 0);
}

#[test]
fn reconcile_owner_asks_flux_instead_of_applying_over_it() {
    use crate::owners::{flux_owns_cfg, install_crds};
    let (tb, _shared) = testbed();
    install_crds(&tb);
    let dir = tempfile::tempdir().unwrap();
    let ns = unique("t-owner");
    let repo = app_repo(dir.path(), &ns);
    let (code, json, err) = tb.sync(&repo, &["--yes"]);
    assert_eq!(code, 0, "{json:#}\n{err}");
    flux_owns_cfg(&tb, dir.path(), &ns);
    let mut w = Watch::start(
        &repo,
        &tb.admin,
        dir.path(),
        &["--converge-after", "2s", "--reconcile-owner"],
    );
    w.wait_for(Duration::from_secs(30), |v| v["event"] == "settled");
    tb.merge_patch(&ns, "configmap/cfg", r#"{"data":{"k":"by-hand"}}"#);
    w.wait_for(Duration::from_secs(10), |v| about(v, "drift", "cfg"));
    let asked = w.wait_for(Duration::from_secs(20), |v| v["event"] == "owner");
    assert_eq!(
        asked["owner"],
        format!("Flux Kustomization {ns}/apps"),
        "{asked:#}"
    );
    assert_eq!(asked["state"], "asked");
    let requested = tb.field(
        &ns,
        "kustomization.kustomize.toolkit.fluxcd.io/apps",
        ".metadata.annotations.reconcile\\.fluxcd\\.io/requestedAt",
    );
    assert!(!requested.is_empty(), "Flux was asked");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        tb.field(&ns, "configmap/cfg", ".data.k"),
        "by-hand",
        "kdrift applied over Flux's object"
    );
    assert!(
        !w.seen.iter().any(|v| v["event"] == "sync"),
        "a sync instead of asking: {:#?}",
        w.seen
    );
    assert_eq!(w.terminate(Duration::from_secs(10)), 0);
}
