//! The lower pane's views on the demo, driven as the TUI drives them: the events that explain
//! redis's missing replica, the drift timeline from the hand edit to kdrift's sync, and the trace
//! of that sync in the traces pane.

use crate::common::{Demo, demo_running};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kdrift::app::{DialogStage, Keymap, Lower, Msg, State};
use kdrift::runtime::Driver;
use kdrift_engine::inventory::Converged;
use kdrift_engine::metrics::MetricsSource;
use kdrift_engine::traces::TraceStore;
use serde_json::Value;
use std::sync::OnceLock;
use std::time::Duration;

/// The process's trace store, recording syncs as the binary's logging does.
fn traces() -> &'static TraceStore {
    static INSTALLED: OnceLock<kdrift_engine::traces::Telemetry> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        use tracing_subscriber::layer::SubscriberExt;
        let telemetry = kdrift_engine::traces::Telemetry::new(TraceStore::global(), None).unwrap();
        let subscriber = tracing_subscriber::registry().with(telemetry.layer());
        tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber");
        telemetry
    });
    TraceStore::global()
}

struct Engine {
    driver: Driver,
    _demo: Demo,
    _controllers: tokio::task::JoinHandle<()>,
}

impl Engine {
    /// With alerts also going to `outputs` (webhooks), as `--webhook` makes them go.
    async fn start_with(outputs: Option<kdrift_alerts::Outputs>) -> Self {
        let (demo, controllers) = demo_running().await;
        let spec = demo.repo_spec();
        let mut state = State::new("test", Keymap::defaults());
        state.trace_store = Some(traces().clone());
        state.traces_source = Some(
            kdrift_engine::backend::Backend::service(
                "--traces-service",
                demo.resolver.client().clone(),
                kdrift_sim::JAEGER_SERVICE,
            )
            .unwrap(),
        );
        state.metrics_source = Some(
            MetricsSource::service(
                "--prometheus-service",
                demo.resolver.client().clone(),
                kdrift_sim::PROMETHEUS_SERVICE,
            )
            .unwrap(),
        );
        let driver = Driver::new(state, demo.resolver.clone())
            .with_alerts(outputs, false)
            .with_repo(spec.clone())
            .follow(&spec, Duration::MAX);
        let mut e = Engine {
            driver,
            _demo: demo,
            _controllers: controllers,
        };
        e.until(|s| s.inv.settled).await;
        e
    }

    fn key(&mut self, c: char) {
        let code = KeyCode::Char(c);
        self.driver
            .handle(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    async fn until(&mut self, done: impl Fn(&State) -> bool) {
        if let Err(e) = self.driver.run_until(Duration::from_secs(10), done).await {
            let s = &self.driver.state;
            panic!(
                "{e}; metrics {} {:?}; events {} {:#?}; timeline {:#?}; notices {:?}",
                s.metrics.status,
                s.metrics.panels.first(),
                s.events.status,
                s.events.rows,
                s.inv.timeline().entries().collect::<Vec<_>>(),
                s.notices
            );
        }
    }

    fn screen(&mut self, w: u16, h: u16) -> String {
        let state = &mut self.driver.state;
        kdrift::ui::fit(state, ratatui::layout::Rect::new(0, 0, w, h));
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
        t.draw(|f| kdrift::ui::draw(f, state)).unwrap();
        t.backend().to_string()
    }
}

/// The latest value of one series of one metrics panel.
fn last(s: &State, panel: &str, series: &str) -> Option<f64> {
    let p = s.metrics.panels.iter().find(|p| p.name == panel)?;
    let (_, answer) = p.series.iter().find(|(l, _)| l == series)?;
    answer.as_ref().ok()?.first()?.points.last().map(|p| p.1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_drift_its_events_its_timeline_and_the_trace_of_its_sync() {
    // the TUI's --webhook: every alert also goes to a receiver on loopback
    let receiver = crate::common::watch::HttpReceiver::start(0);
    let metrics = std::sync::Arc::new(kdrift_alerts::Metrics::new());
    let mut outputs = kdrift_alerts::Outputs::new(kdrift_alerts::Lines::None, metrics.clone());
    let hook = format!("http://127.0.0.1:{}/tui", receiver.port);
    outputs.webhooks.push(kdrift_alerts::Webhook::start(
        kdrift_alerts::WebhookConfig::new(&hook, None).unwrap(),
        metrics,
    ));
    let mut e = Engine::start_with(Some(outputs)).await;
    while e
        .driver
        .state
        .selected_key()
        .map(|k| k.to_string())
        .as_deref()
        != Some("shop/StatefulSet/redis")
    {
        e.key('j');
    }

    // the events that explain the missing replica: the controller deleted redis-3
    e.key('e');
    assert_eq!(e.driver.state.lower, Lower::Events);
    e.until(|s| {
        s.events.rows.iter().any(|r| {
            r.reason == "SuccessfulDelete"
                && r.object == "StatefulSet/redis"
                && r.message.contains("redis-3")
        })
    })
    .await;
    let screen = e.screen(120, 40);
    assert!(screen.contains("events redis live"), "{screen}");
    assert!(
        screen.contains("SuccessfulDelete StatefulSet/redis delete Pod"),
        "{screen}"
    );

    // the timeline: drifted by kubectl-scale, still open
    e.key('w');
    let key = e.driver.state.selected_key().cloned().unwrap();
    let open: Vec<_> = e.driver.state.inv.timeline().of(&key).cloned().collect();
    assert_eq!(open.len(), 1, "{open:#?}");
    assert_eq!(open[0].manager.as_deref(), Some("kubectl-scale"));
    assert_eq!(open[0].fields, ["/spec/replicas"]);
    let screen = e.screen(160, 48);
    assert!(
        screen.contains("/spec/replicas by kubectl-scale · drifting"),
        "{screen}"
    );

    // its replicas as charts: 3 ready while git says 4
    e.until(|s| s.inv.health(&key).is_some_and(|h| h.is_healthy()))
        .await;
    e.key('m');
    e.until(|s| {
        last(s, "replicas", "ready") == Some(3.0) && last(s, "replicas", "desired") == Some(3.0)
    })
    .await;
    let screen = e.screen(160, 48);
    assert!(
        screen.contains("metrics redis live · monitoring/prometheus:9090"),
        "{screen}"
    );
    let braille = screen
        .chars()
        .any(|c| ('\u{2801}'..='\u{28ff}').contains(&c));
    assert!(
        screen.contains("ready 3  desired 3") && braille,
        "a chart: {screen}"
    );

    // converge it: the hand edit owns the field, so the second confirmation takes it
    e.key('s');
    e.driver
        .handle(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    e.until(|s| {
        matches!(
            s.mode.plan_dialog().map(|d| &d.stage),
            Some(DialogStage::Force { .. })
        )
    })
    .await;
    e.key('F');
    e.until(|s| {
        s.inv
            .timeline()
            .of(&key)
            .any(|t| matches!(t.ended, Some((_, Converged::Sync))))
    })
    .await;
    e.key('w');
    let screen = e.screen(160, 48);
    assert!(
        screen.contains("by kubectl-scale → kdrift sync"),
        "{screen}"
    );

    // the alerts view: redis's diff alert and its end, newest first
    e.key('a');
    assert_eq!(e.driver.state.lower, Lower::Alerts);
    let screen = e.screen(160, 48);
    assert!(
        screen.contains("resolved  shop/StatefulSet/redis by kdrift sync after"),
        "{screen}"
    );
    assert!(
        screen.contains("drift     shop/StatefulSet/redis modified /spec/replicas"),
        "{screen}"
    );
    // and the same, as JSON, at the webhook
    let start = std::time::Instant::now();
    while !receiver
        .bodies()
        .iter()
        .any(|b| b["event"] == "resolved" && b["object"]["name"] == "redis")
    {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{:#?}",
            receiver.bodies()
        );
        e.driver
            .run_until(Duration::from_millis(200), |_| false)
            .await
            .ok();
    }
    let told: Vec<Value> = receiver.bodies();
    assert!(
        told.iter().any(|b| b["event"] == "drift"
            && b["object"]["name"] == "redis"
            && b["cluster"] == "test"),
        "{told:#?}"
    );

    // the chart follows: 4 of 4 once the new pod runs (asked again on coming back to redis)
    e.key('m');
    e.until(|s| s.inv.health(&key).is_some_and(|h| h.is_healthy()))
        .await;
    e.key('k');
    e.key('j');
    e.until(|s| {
        last(s, "replicas", "ready") == Some(4.0) && last(s, "replicas", "desired") == Some(4.0)
    })
    .await;

    // the new replica's events, and the sync as a trace
    e.key('e');
    e.until(|s| {
        s.events
            .rows
            .iter()
            .any(|r| r.reason == "SuccessfulCreate" && r.message.contains("redis-3"))
    })
    .await;
    e.key('t');
    let trace = traces()
        .traces()
        .into_iter()
        .rev()
        .find(|t| {
            t.spans.iter().any(|s| {
                s.fields
                    .iter()
                    .any(|(k, v)| *k == "key" && v.contains("redis"))
            })
        })
        .expect("the sync of redis was recorded");
    assert!(trace.spans.iter().all(|s| s.end_ms.is_some()), "{trace:#?}");
    let screen = e.screen(120, 40);
    assert!(screen.contains("traces"), "{screen}");
    assert!(screen.contains("sync") && screen.contains("█"), "{screen}");

    // t again: redis's own traces from the (simulated) Jaeger query API
    e.key('t');
    assert_eq!(e.driver.state.traces.of, kdrift::app::TracesOf::Workload);
    e.until(|s| !s.workload_traces.traces.is_empty()).await;
    let screen = e.screen(160, 48);
    assert!(screen.contains("traces service redis · 1 of"), "{screen}");
    assert!(screen.contains("HGETALL cart"), "{screen}");

    // hidden again, the events feed stops
    e.key('l');
    assert!(e.driver.state.events.target.is_none());
}
