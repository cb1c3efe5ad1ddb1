//! The traces pane against a real Jaeger (v2, all-in-one with memory storage, built from its Go
//! module by `tests/testbed/observability.sh`): a trace of the service `web` sent over OTLP/HTTP
//! as an instrumented app would, read back for the selected Deployment through Jaeger's query API,
//! its parent, times and error intact; and kdrift's own spans of a `kdrift sync` exported with
//! `--otlp-endpoint`, read back by the pane. Jaeger listens on its default ports (4318 OTLP, 16686
//! query): the tests here take turns with it.

use crate::common::testbed::{Engine, commit, deployment_key, testbed, unique};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kdrift::app::Msg;
use kdrift_engine::backend::Backend;
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Jaeger(Child);

impl Drop for Jaeger {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One HTTP/1.1 request on loopback; the status line and the body.
fn http(port: u16, method: &str, path: &str, body: &str) -> Option<(String, String)> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let (head, rest) = text.split_once("\r\n\r\n")?;
    Some((head.lines().next()?.to_string(), rest.to_string()))
}

/// One Jaeger at a time: they share its ports.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn start_jaeger(dir: &std::path::Path) -> Jaeger {
    let bin = std::env::var("KDRIFT_JAEGER").expect(
        "KDRIFT_JAEGER is not set: source the test control plane's env (bash scripts/test.sh does)",
    );
    let log = dir.join("jaeger.log");
    let child = Command::new(bin)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("jaeger starts");
    let jaeger = Jaeger(child);
    let started = Instant::now();
    while !http(16686, "GET", "/api/services", "")
        .is_some_and(|(status, _)| status.contains(" 200 "))
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "jaeger not ready: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    jaeger
}

/// A request to `web` that calls redis, which fails: OTLP/JSON, as an SDK would send it.
fn otlp_trace(now_ns: u128) -> String {
    let (t0, t1, t2, t3) = (
        now_ns - 300_000_000,
        now_ns - 50_000_000,
        now_ns - 250_000_000,
        now_ns - 100_000_000,
    );
    format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"web"}}}}]}},
"scopeSpans":[{{"scope":{{"name":"test"}},"spans":[
{{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"GET /cart","kind":2,
  "startTimeUnixNano":"{t0}","endTimeUnixNano":"{t1}","attributes":[{{"key":"http.response.status_code","value":{{"intValue":"500"}}}}]}},
{{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175","parentSpanId":"eee19b7ec3c1b174","name":"redis HGETALL","kind":3,
  "startTimeUnixNano":"{t2}","endTimeUnixNano":"{t3}","status":{{"code":2,"message":"connection reset by peer"}}}}
]}}]}}]}}"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_traces_pane_reads_a_workloads_traces_from_a_real_jaeger() {
    let (tb, _shared) = testbed();
    let _turn = TURN.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let jaeger = start_jaeger(dir.path());
    let now_ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let (status, body) =
        http(4318, "POST", "/v1/traces", &otlp_trace(now_ns)).expect("OTLP/HTTP answers");
    assert!(status.contains(" 200 "), "{status} {body}");

    let ns = unique("t-jaeger");
    let repo = dir.path().join("repo");
    commit(
        &repo,
        "web",
        &[(
            "web.yaml",
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: {ns}\n  labels:\n    app.kubernetes.io/name: web\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n        - name: app\n          image: registry.example/web:1\n"
            ),
        )],
    );
    let mut e = Engine::start(&tb.admin, &repo).await;
    e.driver.state.traces_source =
        Some(Backend::http("--traces-url", "http://127.0.0.1:16686").unwrap());
    let key = deployment_key(&ns, "web");
    e.state_mut_select(&key);
    for _ in 0..2 {
        e.send(Msg::Key(KeyEvent::new(
            KeyCode::Char('t'),
            KeyModifiers::NONE,
        )));
    }
    assert_eq!(e.state().traces.of, kdrift::app::TracesOf::Workload);
    // Jaeger writes what it received a moment later; the pane asks again every 10 s
    e.pump_until(Duration::from_secs(30), |s| {
        !s.workload_traces.traces.is_empty()
    })
    .await;
    let trace = &e.state().workload_traces.traces[0];
    let names: Vec<&str> = trace.spans.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["GET /cart", "redis HGETALL"], "{trace:#?}");
    assert_eq!(trace.spans[1].parent, Some(trace.spans[0].id));
    assert_eq!(
        trace.spans[0].end_ms.unwrap() - trace.spans[0].start_ms,
        250
    );
    assert!(
        trace.spans[1]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("connection reset by peer")),
        "{trace:#?}"
    );
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48)).unwrap();
    t.draw(|f| kdrift::ui::draw(f, e.state())).unwrap();
    let screen = t.backend().to_string();
    assert!(
        screen.contains("service web · 1 of 1 · http://127.0.0.1:16686"),
        "{screen}"
    );
    assert!(screen.contains("redis HGETALL"), "{screen}");
    drop(jaeger);
}

/// `kdrift sync --otlp-endpoint` against the real control plane: Jaeger receives the sync's
/// trace (its steps and objects, and the repo read and judgements before it) as service
/// `kdrift`, and the traces pane's third view (`t` three times) reads it back from Jaeger.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jaeger_receives_kdrifts_own_spans_of_a_sync_and_the_pane_reads_them_back() {
    let (tb, _shared) = testbed();
    let _turn = TURN.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let jaeger = start_jaeger(dir.path());
    let ns = unique("t-otlp");
    let repo = dir.path().join("repo");
    commit(
        &repo,
        "app",
        &[(
            "app.yaml",
            format!(
                "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: {ns}\ndata:\n  mode: fast\n"
            ),
        )],
    );
    let (code, json, stderr) = tb.sync(
        &repo,
        &["--yes", "--otlp-endpoint", "http://127.0.0.1:4318"],
    );
    assert_eq!(code, 0, "{json:#}\n{stderr}");
    assert!(stderr.is_empty(), "the export said nothing: {stderr}");

    // what Jaeger has, asked the way the pane asks
    let jaeger_api = Backend::http("--traces-url", "http://127.0.0.1:16686").unwrap();
    let started = Instant::now();
    let traces = loop {
        let traces = kdrift_engine::workload_traces::recent_traces(&jaeger_api, "kdrift")
            .await
            .unwrap_or_default();
        if traces
            .iter()
            .any(|t| t.spans.iter().any(|s| s.name == "sync"))
        {
            break traces;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no sync trace in Jaeger: {traces:#?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let sync = traces
        .iter()
        .find(|t| t.spans.iter().any(|s| s.name == "sync"))
        .unwrap();
    assert_eq!(sync.trace_id.len(), 32, "{sync:#?}");
    let root = sync.spans.iter().find(|s| s.name == "sync").unwrap();
    assert_eq!(root.parent, None, "the sync is its trace's root: {sync:#?}");
    let objects: Vec<String> = sync
        .spans
        .iter()
        .filter(|s| s.name == "object")
        .flat_map(|s| {
            s.fields
                .iter()
                .filter(|(k, _)| k == "key")
                .map(|(_, v)| v.clone())
        })
        .collect();
    assert!(
        objects
            .iter()
            .any(|k| k.contains(&format!("{ns}/ConfigMap/settings"))),
        "{objects:?}"
    );
    let steps: Vec<&kdrift_engine::traces::SpanRecord> =
        sync.spans.iter().filter(|s| s.name == "step").collect();
    assert!(!steps.is_empty(), "{sync:#?}");
    assert!(
        steps.iter().all(|s| s.parent == Some(root.id)),
        "steps under the sync: {sync:#?}"
    );
    // the sync's process also read the repo and judged its lists, each its own trace (more
    // than the pane's 20 newest: asked for by operation)
    for name in ["repo.read", "judge"] {
        let params = [
            ("service", "kdrift".to_string()),
            ("operation", name.to_string()),
            ("limit", "5".to_string()),
            ("lookback", "1h".to_string()),
        ];
        let (status, body) = jaeger_api
            .get("/api/traces", &params)
            .await
            .expect("Jaeger's query API answers");
        let found = kdrift_engine::workload_traces::parse_traces(status, &body).unwrap_or_default();
        let body = String::from_utf8_lossy(&body);
        assert!(
            found.iter().any(|t| t
                .spans
                .first()
                .is_some_and(|s| s.name == name && s.parent.is_none())),
            "no {name} trace exported ({status}): {body}"
        );
    }

    // the pane: `t` three times is kdrift's as the backend has them
    let mut e = Engine::start(&tb.admin, &repo).await;
    e.driver.state.traces_source = Some(jaeger_api.clone());
    for _ in 0..3 {
        e.send(Msg::Key(KeyEvent::new(
            KeyCode::Char('t'),
            KeyModifiers::NONE,
        )));
    }
    assert_eq!(e.state().traces.of, kdrift::app::TracesOf::Exported);
    e.pump_until(Duration::from_secs(30), |s| {
        s.workload_traces
            .traces
            .iter()
            .any(|t| t.trace_id == sync.trace_id)
    })
    .await;
    let at = e
        .state()
        .workload_traces
        .traces
        .iter()
        .position(|t| t.trace_id == sync.trace_id)
        .unwrap();
    for _ in 0..at {
        e.send(Msg::Key(KeyEvent::new(
            KeyCode::Char('['),
            KeyModifiers::NONE,
        )));
    }
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48)).unwrap();
    t.draw(|f| kdrift::ui::draw(f, e.state())).unwrap();
    let screen = t.backend().to_string();
    assert!(screen.contains("service kdrift · "), "{screen}");
    assert!(screen.contains("step wave"), "{screen}");
    assert!(screen.contains("object create"), "{screen}");
    drop(jaeger);
}
