//! Diff and converged alerts through real Alertmanager v0.28.1 and Prometheus: a rule from
//! `deploy/prometheus/kdrift-rules.yaml` fires on what Prometheus scrapes from `kdrift watch`,
//! and `kdrift watch --alertmanager` posts its per-object alerts itself; either way Alertmanager
//! delivers the firing notification to a webhook receiver on loopback, and the resolved one
//! after convergence.

use crate::common::observability::{Alertmanager, Prometheus};
use crate::common::testbed::{app_repo, testbed, unique};
use crate::common::watch::{HttpReceiver, Watch, free_port};
use serde_json::Value;
use std::time::{Duration, Instant};

/// Alertmanager sending every notification to `receiver` at once, resolved ones too.
fn alertmanager(receiver: &HttpReceiver) -> Alertmanager {
    Alertmanager::start(&format!(
        "route:\n  receiver: hook\n  group_by: [alertname, name]\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: hook\n    webhook_configs:\n      - url: http://127.0.0.1:{}/am\n        send_resolved: true\n",
        receiver.port
    ))
}

/// The first notification of `status` whose alerts include one named `alert` matching `want`.
fn notification(
    receiver: &HttpReceiver,
    am: &Alertmanager,
    limit: Duration,
    status: &str,
    alert: &str,
    want: impl Fn(&Value) -> bool,
) -> Value {
    let start = Instant::now();
    loop {
        let found = receiver.bodies().into_iter().find_map(|n| {
            (n["status"] == status)
                .then(|| n["alerts"].as_array().cloned().unwrap_or_default())
                .and_then(|alerts| {
                    alerts
                        .into_iter()
                        .find(|a| a["labels"]["alertname"] == alert && want(a))
                })
        });
        if let Some(a) = found {
            return a;
        }
        assert!(
            start.elapsed() < limit,
            "no {status} {alert} notification within {limit:?}: {:#?}\n{}",
            receiver.bodies(),
            am.log()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn a_prometheus_rule_on_kdrifts_metrics_fires_on_drift_and_resolves_after_converging() {
    let (tb, _shared) = testbed();
    let dir = tempfile::tempdir().unwrap();
    let ns = unique("t-rule");
    let repo = app_repo(dir.path(), &ns);
    let (code, json, err) = tb.sync(&repo, &["--yes"]);
    assert_eq!(code, 0, "{json:#}\n{err}");
    let receiver = HttpReceiver::start(0);
    let am = alertmanager(&receiver);

    let port = free_port();
    let mut w = Watch::start(
        &repo,
        &tb.admin,
        dir.path(),
        &["--metrics-addr", &format!("127.0.0.1:{port}")],
    );
    w.wait_for(Duration::from_secs(30), |v| v["event"] == "settled");
    // the shipped rules, with their `for` cut to nothing so the test need not wait minutes
    let rules = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("deploy/prometheus/kdrift-rules.yaml"),
    )
    .unwrap();
    let rules: String = rules
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("for:") {
                "        for: 0s".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let am_target = am.url.trim_start_matches("http://").to_string();
    let prometheus = Prometheus::start(
        &format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: [kdrift-rules.yaml]\nalerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['{am_target}']\nscrape_configs:\n  - job_name: kdrift\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
        ),
        &[("kdrift-rules.yaml", rules)],
    );

    tb.kubectl(&["-n", &ns, "scale", "deployment/web", "--replicas=3"]);
    let firing = notification(
        &receiver,
        &am,
        Duration::from_secs(60),
        "firing",
        "KdriftDriftDetected",
        |_| true,
    );
    assert_eq!(
        firing["labels"]["job"],
        "kdrift",
        "{firing:#}\n{}",
        prometheus.log()
    );
    assert!(
        firing["annotations"]["summary"]
            .as_str()
            .unwrap()
            .starts_with("1 resources differ from git"),
        "{firing:#}"
    );

    let (code, json, err) = tb.sync(&repo, &["--yes", "--force-conflicts"]);
    assert_eq!(code, 0, "{json:#}\n{err}");
    w.wait_for(Duration::from_secs(10), |v| v["event"] == "converged");
    notification(
        &receiver,
        &am,
        Duration::from_secs(60),
        "resolved",
        "KdriftDriftDetected",
        |_| true,
    );
    assert_eq!(w.terminate(Duration::from_secs(10)), 0);
}

#[test]
fn kdrift_watch_posts_a_diff_alert_per_object_to_alertmanager_and_resolves_it() {
    let (tb, _shared) = testbed();
    let dir = tempfile::tempdir().unwrap();
    let ns = unique("t-am");
    let repo = app_repo(dir.path(), &ns);
    let (code, json, err) = tb.sync(&repo, &["--yes"]);
    assert_eq!(code, 0, "{json:#}\n{err}");
    let receiver = HttpReceiver::start(0);
    let am = alertmanager(&receiver);
    let mut w = Watch::start(
        &repo,
        &tb.admin,
        dir.path(),
        // a firing alert holds for four resends (40 s) without news: the resolution seen within
        // 20 s is kdrift's own, not Alertmanager timing the alert out
        &["--alertmanager", &am.url, "--alertmanager-resend", "10s"],
    );
    w.wait_for(Duration::from_secs(30), |v| v["event"] == "settled");

    tb.kubectl(&["-n", &ns, "scale", "deployment/web", "--replicas=3"]);
    let ours = |a: &Value| a["labels"]["namespace"] == ns.as_str() && a["labels"]["name"] == "web";
    let firing = notification(
        &receiver,
        &am,
        Duration::from_secs(30),
        "firing",
        "KdriftDrift",
        ours,
    );
    assert_eq!(firing["labels"]["kind"], "Deployment", "{firing:#}");
    assert_eq!(firing["labels"]["status"], "modified");
    assert_eq!(firing["labels"]["cluster"], "kdrift-testbed");
    assert_eq!(firing["annotations"]["fields"], "/spec/replicas");
    assert_eq!(firing["annotations"]["managers"], "kubectl");

    let (code, json, err) = tb.sync(&repo, &["--yes", "--force-conflicts"]);
    assert_eq!(code, 0, "{json:#}\n{err}");
    let resolved = notification(
        &receiver,
        &am,
        Duration::from_secs(20),
        "resolved",
        "KdriftDrift",
        ours,
    );
    assert_eq!(resolved["status"], "resolved", "{resolved:#}");
    assert_eq!(w.terminate(Duration::from_secs(10)), 0);
}
