//! What `kdrift watch` tells Prometheus (`/metrics`, through the `prometheus-client` crate):
//! resources by status, kind and namespace, drift and convergence with their last times, the
//! last commit's time, watch health per kind, how long dry-runs, renders and repo reads take
//! (from kdrift's own spans), and how deliveries go.

use crate::event::{Envelope, Event};
use crate::observe::counts_by;
use kdrift_engine::inventory::Inventory;
use kdrift_engine::model::WatchState;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanProcessor};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, RwLock};
use std::time::Duration;

type Labels = Vec<(String, String)>;
type FGauge = Gauge<f64, AtomicU64>;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn seconds_histogram() -> Histogram {
    // 5 ms … ~80 s
    Histogram::new(exponential_buckets(0.005, 2.0, 15))
}

pub struct Metrics {
    registry: Registry,
    /// Held for writing while a refresh replaces the per-status families, for reading while a
    /// scrape encodes: a scrape never sees half a refresh.
    consistent: RwLock<()>,
    resources: Family<Labels, Gauge>,
    drifted: Gauge,
    converged: Gauge,
    last_drift: FGauge,
    last_converge: FGauge,
    last_commit: FGauge,
    watch_up: Family<Labels, Gauge>,
    events: Family<Labels, Counter>,
    spans: Family<Labels, Histogram, fn() -> Histogram>,
    webhooks: Family<Labels, Counter>,
    alertmanager: Family<Labels, Counter>,
    syncs: Family<Labels, Counter>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("kdrift");
        let m = Metrics {
            registry: Registry::default(),
            consistent: RwLock::new(()),
            resources: Family::default(),
            drifted: Gauge::default(),
            converged: Gauge::default(),
            last_drift: FGauge::default(),
            last_converge: FGauge::default(),
            last_commit: FGauge::default(),
            watch_up: Family::default(),
            events: Family::default(),
            spans: Family::new_with_constructor(seconds_histogram),
            webhooks: Family::default(),
            alertmanager: Family::default(),
            syncs: Family::default(),
        };
        registry.register(
            "resources",
            "Resources git declares or kdrift applied, by drift status, kind and namespace",
            m.resources.clone(),
        );
        registry.register(
            "drifted_resources",
            "Resources whose live state differs from git (modified, missing, orphan)",
            m.drifted.clone(),
        );
        registry.register(
            "converged",
            "1 when every resource matches git, else 0",
            m.converged.clone(),
        );
        registry.register(
            "last_drift_timestamp_seconds",
            "When drift was last detected (Unix time)",
            m.last_drift.clone(),
        );
        registry.register(
            "last_converge_timestamp_seconds",
            "When everything last came back to git's state (Unix time)",
            m.last_converge.clone(),
        );
        registry.register(
            "last_commit_timestamp_seconds",
            "Commit time of the git commit compared against (Unix time)",
            m.last_commit.clone(),
        );
        registry.register(
            "watch_up",
            "1 while the kind's watch is live, else 0",
            m.watch_up.clone(),
        );
        registry.register(
            "events",
            "Events kdrift watch emitted, by event",
            m.events.clone(),
        );
        registry.register(
            "span_duration_seconds",
            "How long kdrift's own work took: dry_run, render, repo.read, judge, sync",
            m.spans.clone(),
        );
        registry.register(
            "webhook_deliveries",
            "Webhook delivery attempts by result (delivered, failed, refused, dropped)",
            m.webhooks.clone(),
        );
        registry.register(
            "alertmanager_posts",
            "Posts of alerts to Alertmanager by result",
            m.alertmanager.clone(),
        );
        registry.register(
            "syncs",
            "Syncs kdrift ran on its own (--converge-after) and owners it asked (--reconcile-owner), by result",
            m.syncs.clone(),
        );
        Metrics { registry, ..m }
    }

    /// The text exposition (OpenMetrics), as `/metrics` serves it.
    pub fn encode(&self) -> String {
        let _read = self.consistent.read().unwrap_or_else(|p| p.into_inner());
        let mut out = String::new();
        let _ = encode(&mut out, &self.registry);
        out
    }

    /// The gauges read from the inventory (one pass over its rows; call it after changes, not
    /// per event).
    pub fn refresh(&self, inv: &Inventory) {
        let by = counts_by(inv);
        let _write = self.consistent.write().unwrap_or_else(|p| p.into_inner());
        self.resources.clear();
        let mut drifted = 0;
        for ((status, kind, namespace), n) in &by {
            if status.is_drift() {
                drifted += n;
            }
            self.resources
                .get_or_create(&labels(&[
                    ("status", status.label()),
                    ("kind", kind),
                    ("namespace", namespace),
                ]))
                .set(*n as i64);
        }
        self.drifted.set(drifted as i64);
        self.converged.set(i64::from(drifted == 0 && inv.settled));
        self.watch_up.clear();
        for (gvk, w) in &inv.watches {
            self.watch_up
                .get_or_create(&labels(&[("kind", &gvk.to_string())]))
                .set(i64::from(matches!(w, WatchState::Live)));
        }
        if let Some(r) = &inv.repo {
            self.last_commit.set(r.commit.time as f64);
        }
    }

    /// Counts an event and keeps the times it carries.
    pub fn saw(&self, e: &Envelope, now_ms: u64) {
        self.events
            .get_or_create(&labels(&[("event", e.kind())]))
            .inc();
        let now = now_ms as f64 / 1000.0;
        match &e.event {
            Event::Drift { .. } => {
                self.last_drift.set(now);
            }
            Event::Converged { .. } => {
                self.last_converge.set(now);
            }
            Event::Sync { converged, .. } => {
                let result = if *converged {
                    "converged"
                } else {
                    "not_converged"
                };
                self.syncs
                    .get_or_create(&labels(&[("result", result)]))
                    .inc();
            }
            _ => {}
        }
    }

    pub fn webhook(&self, result: &str) {
        self.webhooks
            .get_or_create(&labels(&[("result", result)]))
            .inc();
    }

    pub fn alertmanager(&self, result: &str) {
        self.alertmanager
            .get_or_create(&labels(&[("result", result)]))
            .inc();
    }

    fn span(&self, name: &str, took: Duration) {
        self.spans
            .get_or_create(&labels(&[("span", name)]))
            .observe(took.as_secs_f64());
    }
}

/// Span names timed into `kdrift_span_duration_seconds`.
const TIMED: [&str; 5] = ["dry_run", "render", "repo.read", "judge", "sync"];

/// A span processor timing kdrift's own spans into the metrics (installed beside the trace store).
#[derive(Debug, Clone)]
pub struct SpanTimer(pub Arc<Metrics>);

impl SpanProcessor for SpanTimer {
    fn on_start(&self, _span: &mut Span, _cx: &opentelemetry::Context) {}

    fn on_end(&self, span: SpanData) {
        if TIMED.contains(&span.name.as_ref())
            && let Ok(took) = span.end_time.duration_since(span.start_time)
        {
            self.0.span(&span.name, took);
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}
