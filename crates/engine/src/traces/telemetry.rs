//! The OpenTelemetry pipeline the front ends install: kdrift's `tracing` spans (its own targets
//! only, not its dependencies') become OTel spans, kept in the store and, when asked, exported
//! in batches over OTLP.

use super::{OtlpTarget, StoreProcessor, TraceStore, otlp_exporter};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider, Span, SpanData, SpanProcessor,
};
use std::time::Duration;
use tracing::Subscriber;
use tracing_subscriber::Layer;
use tracing_subscriber::registry::LookupSpan;

/// Root spans whose traces the store keeps: a read of the repo (with its renders), a batch of
/// drift judgements, a batch of server-side dry-runs, a sync (and `kdrift sync`'s wait after
/// it), an automatic hand-over to a GitOps owner.
pub const ROOTS: &[&str] = &[
    "repo.read",
    "judge",
    "dry_run.batch",
    "sync",
    "sync.wait",
    "reconcile_owner",
];
/// The service kdrift's spans are exported as, unless `OTEL_SERVICE_NAME` says otherwise.
pub const SERVICE: &str = "kdrift";
/// Spans waiting for export; beyond it new ones are dropped (never unbounded memory).
const EXPORT_QUEUE: usize = 8_192;
/// How long exiting waits for the last spans to go out.
const FLUSH_LIMIT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TelemetryError(String);

/// The service name spans carry (and the one to ask a trace backend for).
pub fn service_name() -> String {
    std::env::var("OTEL_SERVICE_NAME")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| SERVICE.to_string())
}

/// The tracer provider; dropping it (or `shutdown`) sends what is still queued, within a bound.
#[derive(Debug)]
pub struct Telemetry {
    provider: SdkTracerProvider,
    exporting: bool,
}

impl Telemetry {
    /// Spans kept in `store`; and exported to `otlp` when given.
    pub fn new(store: &TraceStore, otlp: Option<&OtlpTarget>) -> Result<Self, TelemetryError> {
        Self::with(store, otlp, Vec::new())
    }

    /// The same, and `extra` processors seeing every span too (e.g. timing them into metrics).
    pub fn with(
        store: &TraceStore,
        otlp: Option<&OtlpTarget>,
        extra: Vec<Box<dyn SpanProcessor>>,
    ) -> Result<Self, TelemetryError> {
        let resource = Resource::builder()
            .with_service_name(service_name())
            .with_attribute(opentelemetry::KeyValue::new(
                "service.version",
                env!("CARGO_PKG_VERSION"),
            ))
            .build();
        let mut builder = SdkTracerProvider::builder()
            .with_resource(resource)
            .with_span_processor(StoreProcessor::new(store, ROOTS));
        for p in extra {
            builder = builder.with_span_processor(Boxed(p));
        }
        if let Some(target) = otlp {
            let exporter = otlp_exporter(target).map_err(TelemetryError)?;
            let config = BatchConfigBuilder::default()
                .with_max_queue_size(EXPORT_QUEUE)
                .with_scheduled_delay(Duration::from_secs(2))
                .build();
            builder = builder.with_span_processor(
                BatchSpanProcessor::builder(exporter)
                    .with_batch_config(config)
                    .build(),
            );
        }
        Ok(Telemetry {
            provider: builder.build(),
            exporting: otlp.is_some(),
        })
    }

    /// Whether spans leave the process.
    pub fn exporting(&self) -> bool {
        self.exporting
    }

    /// The `tracing` layer feeding the provider: kdrift's own spans and the events in them.
    pub fn layer<S>(&self) -> impl Layer<S> + use<S>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let ours = tracing_subscriber::filter::filter_fn(|m| m.target().starts_with("kdrift"));
        tracing_opentelemetry::layer()
            .with_tracer(self.provider.tracer("kdrift"))
            .with_location(false)
            .with_threads(false)
            .with_target(false)
            .with_level(false)
            .with_tracked_inactivity(false)
            .with_filter(ours)
    }

    /// Sends the spans still queued, waiting at most `FLUSH_LIMIT`.
    pub fn shutdown(&self) -> Result<(), TelemetryError> {
        self.provider
            .shutdown_with_timeout(FLUSH_LIMIT)
            .map_err(|e| TelemetryError(format!("exporting the last spans: {e}")))
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// A processor chosen at run time.
#[derive(Debug)]
struct Boxed(Box<dyn SpanProcessor>);

impl SpanProcessor for Boxed {
    fn on_start(&self, span: &mut Span, cx: &opentelemetry::Context) {
        self.0.on_start(span, cx)
    }

    fn on_end(&self, span: SpanData) {
        self.0.on_end(span)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }
}
