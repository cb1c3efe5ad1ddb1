//! The metrics pane against a real Prometheus (built from its Go module by
//! `tests/testbed/observability.sh`) scraping a small exporter this test starts, which serves
//! kube-state-metrics' series for a Deployment on the real control plane. The pane's own queries
//! come back through Prometheus' HTTP API; one that Prometheus refuses is an error line.

use crate::common::observability::Prometheus;
use crate::common::testbed::{Engine, commit, deployment_key, testbed, unique};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kdrift::app::{Msg, State};
use kdrift_engine::metrics::{MetricsSource, Queries};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Serves `/metrics` (Prometheus text format) with whatever `body` holds at each scrape.
fn exporter(body: Arc<Mutex<String>>) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            let text = body.lock().unwrap().clone();
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
    port
}

fn start_prometheus(target_port: u16) -> Prometheus {
    Prometheus::start(
        &format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: kube-state-metrics\n    honor_labels: true\n    static_configs:\n      - targets: ['127.0.0.1:{target_port}']\n"
        ),
        &[],
    )
}

fn last(s: &State, panel: &str, series: &str) -> Option<f64> {
    let p = s.metrics.panels.iter().find(|p| p.name == panel)?;
    let (_, answer) = p.series.iter().find(|(l, _)| l == series)?;
    answer.as_ref().ok()?.first()?.points.last().map(|p| p.1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_pane_reads_a_real_prometheus_and_shows_a_refused_query_as_an_error() {
    let (tb, _shared) = testbed();
    let dir = tempfile::tempdir().unwrap();
    let ns = unique("t-prom");
    let deployment = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: {ns}\n  labels:\n    app.kubernetes.io/name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n        - name: app\n          image: registry.example/web:1\n"
    );
    let repo = dir.path().join("repo");
    commit(
        &repo,
        "web",
        &[
            (
                "ns.yaml",
                format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"),
            ),
            ("web.yaml", deployment),
        ],
    );

    let series = |available: u32| {
        format!(
            "# TYPE kube_deployment_status_replicas_available gauge\nkube_deployment_status_replicas_available{{namespace=\"{ns}\",deployment=\"web\"}} {available}\n# TYPE kube_deployment_spec_replicas gauge\nkube_deployment_spec_replicas{{namespace=\"{ns}\",deployment=\"web\"}} 2\n"
        )
    };
    let body = Arc::new(Mutex::new(series(1)));
    let prometheus = start_prometheus(exporter(body.clone()));

    let mut e = Engine::start(&tb.admin, &repo).await;
    e.driver.state.metrics_source =
        Some(MetricsSource::http("--prometheus-url", &prometheus.url).unwrap());
    let broken =
        "[[panel]]\nname = \"broken\"\nseries = [{ label = \"oops\", query = 'sum(rate(' }]\n";
    e.driver.state.metric_queries = Queries::from_toml(Some(("metrics.toml", broken))).unwrap();
    let key = deployment_key(&ns, "web");
    e.state_mut_select(&key);
    e.send(Msg::Key(KeyEvent::new(
        KeyCode::Char('m'),
        KeyModifiers::NONE,
    )));
    e.pump_until(Duration::from_secs(30), |s| {
        last(s, "replicas", "ready") == Some(1.0) && last(s, "replicas", "desired") == Some(2.0)
    })
    .await;

    // the refused query is an error in the pane, in Prometheus' words; the rest still charts
    let broken = e
        .state()
        .metrics
        .panels
        .iter()
        .find(|p| p.name == "broken")
        .expect("the user's panel is asked too");
    let err = broken.series[0].1.as_ref().unwrap_err();
    assert!(err.starts_with("bad_data"), "{err}");
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 60)).unwrap();
    t.draw(|f| kdrift::ui::draw(f, e.state())).unwrap();
    let screen = t.backend().to_string();
    assert!(screen.contains("ready 1  desired 2"), "{screen}");

    // the exporter says 2 now: the pane follows within a refresh or two
    *body.lock().unwrap() = series(2);
    e.pump_until(Duration::from_secs(30), |s| {
        last(s, "replicas", "ready") == Some(2.0)
    })
    .await;
    tb.kubectl(&[
        "delete",
        "namespace",
        &ns,
        "--wait=false",
        "--ignore-not-found",
    ]);
}
