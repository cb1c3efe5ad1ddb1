//! kdrift's own work as OpenTelemetry traces. `tracing` spans of kdrift's code become OTel spans
//! (`tracing-opentelemetry` and the SDK, [`telemetry`]); a span processor keeps the traces under
//! chosen roots (repo reads, judgement batches, dry-run batches, syncs) in a bounded store
//! here, so the traces pane shows them with no backend at all, and `--otlp-endpoint` exports the
//! same spans (same trace ids) over OTLP.

mod otlp;
mod record;
mod telemetry;

pub use otlp::{OtlpTarget, otlp_exporter};
pub use record::StoreProcessor;
pub use telemetry::{ROOTS, SERVICE, Telemetry, TelemetryError, service_name};

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock};

/// Traces kept per root name, newest last (frequent judgements never push the syncs out); and
/// spans per trace (a sync of 10k objects keeps its first 5k).
pub const MAX_TRACES: usize = 32;
pub const MAX_SPANS: usize = 5_000;

#[derive(Debug, Clone, PartialEq)]
pub struct SpanRecord {
    pub id: u64,
    pub parent: Option<u64>,
    pub name: String,
    pub fields: Vec<(String, String)>,
    pub start_ms: u64,
    /// None while the span is open.
    pub end_ms: Option<u64>,
    /// The first warning or error logged inside it.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    pub root: u64,
    /// The trace's id as OTLP and Jaeger write it (32 hex digits), empty when unknown.
    pub trace_id: String,
    pub spans: Vec<SpanRecord>,
    /// Spans left out once `MAX_SPANS` were kept.
    pub dropped: usize,
}

#[derive(Debug, Default)]
struct Inner {
    traces: VecDeque<Trace>,
}

impl Inner {
    /// A new trace, the oldest of the same root name going once `MAX_TRACES` of them are kept.
    fn push(&mut self, trace: Trace) {
        let name = trace.spans.first().map(|s| s.name.clone());
        let same = |t: &Trace| t.spans.first().map(|s| &s.name) == name.as_ref();
        if self.traces.iter().filter(|t| same(t)).count() >= MAX_TRACES
            && let Some(oldest) = self.traces.iter().position(same)
        {
            self.traces.remove(oldest);
        }
        self.traces.push_back(trace);
    }
}

/// The store; cheap to clone (shared).
#[derive(Debug, Clone, Default)]
pub struct TraceStore(Arc<Mutex<Inner>>);

impl TraceStore {
    /// The process's store, which the front ends install as a layer and read from.
    pub fn global() -> &'static TraceStore {
        static STORE: OnceLock<TraceStore> = OnceLock::new();
        STORE.get_or_init(TraceStore::default)
    }

    /// A copy of the traces kept, oldest first.
    pub fn traces(&self) -> Vec<Trace> {
        self.lock().traces.iter().cloned().collect()
    }

    /// How many traces are kept.
    pub fn len(&self) -> usize {
        self.lock().traces.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A copy of one trace, `n` back from the newest (0 = the newest): what a pane shows,
    /// without copying the others.
    pub fn newest(&self, n: usize) -> Option<Trace> {
        self.lock().traces.iter().rev().nth(n).cloned()
    }

    /// How far from the newest (0 = the newest) the trace with root `root` is now.
    pub fn position(&self, root: u64) -> Option<usize> {
        self.lock().traces.iter().rev().position(|t| t.root == root)
    }

    /// The root of the newest trace whose root span is named `name`.
    pub fn newest_named(&self, name: &str) -> Option<u64> {
        let inner = self.lock();
        inner
            .traces
            .iter()
            .rev()
            .find(|t| t.spans.first().is_some_and(|s| s.name == name))
            .map(|t| t.root)
    }

    /// Keeps `trace` as if it had been recorded (tests and the demo's replays).
    pub fn insert(&self, trace: Trace) {
        self.lock().push(trace);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The trace with OTel id `trace_id`, newest first (the one being written is near the end).
    fn with_trace<T>(&self, trace_id: &str, f: impl FnOnce(&mut Trace) -> T) -> Option<T> {
        let mut inner = self.lock();
        inner
            .traces
            .iter_mut()
            .rev()
            .find(|t| t.trace_id == trace_id)
            .map(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    /// Runs `f` with kdrift's pipeline installed, recording into a store of its own.
    fn recorded(f: impl FnOnce()) -> TraceStore {
        let store = TraceStore::default();
        let telemetry = Telemetry::new(&store, None).unwrap();
        let subscriber = tracing_subscriber::registry().with(telemetry.layer());
        tracing::subscriber::with_default(subscriber, f);
        store
    }

    #[test]
    fn spans_under_a_root_are_kept_with_fields_times_and_errors() {
        let store = recorded(|| {
            let _unrelated = tracing::info_span!("watch").entered();
            drop(_unrelated);
            let sync = tracing::info_span!("sync", objects = 2).entered();
            {
                let _step = tracing::info_span!("step", name = "wave 0").entered();
                let _ok = tracing::info_span!("object", key = "a/ConfigMap/x").entered();
            }
            {
                let _obj = tracing::info_span!("object", key = "a/ConfigMap/y").entered();
                tracing::warn!(error = "conflict", "sync failed");
            }
            drop(sync);
        });
        let traces = store.traces();
        assert_eq!(traces.len(), 1, "only the sync is kept");
        assert_eq!(traces[0].trace_id.len(), 32, "{}", traces[0].trace_id);
        let spans = &traces[0].spans;
        let names: Vec<_> = spans.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["sync", "step", "object", "object"]);
        assert_eq!(spans[0].fields, [("objects".to_string(), "2".to_string())]);
        assert_eq!(spans[2].parent, Some(spans[1].id));
        assert_eq!(spans[1].parent, Some(spans[0].id));
        assert!(spans.iter().all(|s| s.end_ms.is_some()), "closed");
        assert_eq!(
            spans[3].error.as_deref(),
            Some("sync failed error=conflict")
        );
        assert_eq!(spans[2].error, None);
    }

    #[test]
    fn an_open_span_is_seen_before_it_ends() {
        let store = TraceStore::default();
        let telemetry = Telemetry::new(&store, None).unwrap();
        let subscriber = tracing_subscriber::registry().with(telemetry.layer());
        tracing::subscriber::with_default(subscriber, || {
            let sync = tracing::info_span!("sync").entered();
            let object = tracing::info_span!("object", key = "a/ConfigMap/x").entered();
            let seen = store.newest(0).unwrap();
            assert_eq!(seen.spans.len(), 2);
            assert!(seen.spans.iter().all(|s| s.end_ms.is_none()), "{seen:?}");
            drop(object);
            drop(sync);
        });
        assert!(
            store
                .newest(0)
                .unwrap()
                .spans
                .iter()
                .all(|s| s.end_ms.is_some())
        );
    }

    #[test]
    fn spans_of_other_crates_are_not_kdrifts() {
        let store = recorded(|| {
            let _sync = tracing::info_span!("sync").entered();
            let _theirs = tracing::info_span!(target: "kube_client", "HTTP").entered();
        });
        let names: Vec<_> = store.traces()[0]
            .spans
            .iter()
            .map(|s| s.name.clone())
            .collect();
        assert_eq!(names, ["sync"]);
    }

    #[test]
    fn the_store_is_bounded_per_root_name() {
        let store = recorded(|| {
            drop(tracing::info_span!("sync", n = 0).entered());
            for _ in 0..MAX_TRACES + 5 {
                let _s = tracing::info_span!("judge").entered();
            }
            let _big = tracing::info_span!("dry_run.batch").entered();
            for _ in 0..MAX_SPANS + 10 {
                let _o = tracing::info_span!("dry_run").entered();
            }
        });
        let traces = store.traces();
        let named = |n: &str| traces.iter().filter(|t| t.spans[0].name == n).count();
        assert_eq!(named("judge"), MAX_TRACES);
        assert_eq!(named("sync"), 1, "frequent judgements keep the sync");
        let last = traces.last().unwrap();
        assert_eq!(last.spans.len(), MAX_SPANS);
        assert_eq!(last.dropped, 11);
        let sync = store.newest_named("sync").unwrap();
        assert_eq!(store.position(sync), Some(MAX_TRACES + 1));
    }
}
