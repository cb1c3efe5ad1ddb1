//! kdrift's own work as traces, kept in memory: a `tracing` layer records the spans under chosen
//! roots (each sync: its steps and objects, with their fields, times and errors) in a bounded
//! store, so they can be shown with no tracing backend at all and exported later.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

/// Traces kept, newest last; and spans per trace (a sync of 10k objects keeps its first 5k).
pub const MAX_TRACES: usize = 64;
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
    pub spans: Vec<SpanRecord>,
    /// Spans left out once `MAX_SPANS` were kept.
    pub dropped: usize,
}

#[derive(Debug, Default)]
struct Inner {
    traces: VecDeque<Trace>,
}

/// The store; cheap to clone (shared).
#[derive(Debug, Clone, Default)]
pub struct TraceStore(Arc<Mutex<Inner>>);

/// Which trace (by its root's id) a recorded span belongs to, kept in the span's extensions.
struct InTrace(u64);

impl TraceStore {
    /// The process's store, which the front ends install as a layer and read from.
    pub fn global() -> &'static TraceStore {
        static STORE: OnceLock<TraceStore> = OnceLock::new();
        STORE.get_or_init(TraceStore::default)
    }

    /// A layer recording every span under a root span named one of `roots`.
    pub fn layer(&self, roots: &'static [&'static str]) -> TraceLayer {
        TraceLayer {
            store: self.clone(),
            roots,
        }
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

    /// Keeps `trace` as if it had been recorded (tests and the demo's replays).
    pub fn insert(&self, trace: Trace) {
        let mut inner = self.lock();
        if inner.traces.len() == MAX_TRACES {
            inner.traces.pop_front();
        }
        inner.traces.push_back(trace);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn with_span(&self, trace: u64, id: u64, f: impl FnOnce(&mut SpanRecord)) {
        let mut inner = self.lock();
        if let Some(t) = inner.traces.iter_mut().rev().find(|t| t.root == trace)
            && let Some(s) = t.spans.iter_mut().rev().find(|s| s.id == id)
        {
            f(s);
        }
    }
}

pub struct TraceLayer {
    store: TraceStore,
    roots: &'static [&'static str],
}

fn now_ms() -> u64 {
    crate::clock::now_ms()
}

#[derive(Default)]
struct Fields(Vec<(String, String)>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .push((field.name().to_string(), format!("{value:?}")));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_string(), value.to_string()));
    }
}

impl<S> Layer<S> for TraceLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let name = attrs.metadata().name();
        let parent = span.parent();
        let trace = match parent
            .as_ref()
            .and_then(|p| p.extensions().get::<InTrace>().map(|t| t.0))
        {
            Some(t) => t,
            None if parent.is_none() && self.roots.contains(&name) => id.into_u64(),
            None => return,
        };
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let record = SpanRecord {
            id: id.into_u64(),
            parent: parent.map(|p| p.id().into_u64()),
            name: name.to_string(),
            fields: fields.0,
            start_ms: now_ms(),
            end_ms: None,
            error: None,
        };
        {
            let mut inner = self.store.lock();
            if record.parent.is_none() {
                if inner.traces.len() == MAX_TRACES {
                    inner.traces.pop_front();
                }
                inner.traces.push_back(Trace {
                    root: trace,
                    spans: Vec::new(),
                    dropped: 0,
                });
            }
            let Some(t) = inner.traces.iter_mut().rev().find(|t| t.root == trace) else {
                return;
            };
            if t.spans.len() >= MAX_SPANS {
                t.dropped += 1;
                return;
            }
            t.spans.push(record);
        }
        span.extensions_mut().insert(InTrace(trace));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(trace) = ctx
            .span(id)
            .and_then(|s| s.extensions().get::<InTrace>().map(|t| t.0))
        else {
            return;
        };
        let mut fields = Fields::default();
        values.record(&mut fields);
        self.store
            .with_span(trace, id.into_u64(), |s| s.fields.extend(fields.0));
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if *event.metadata().level() > Level::WARN {
            return;
        }
        let Some(span) = ctx.event_span(event) else {
            return;
        };
        let Some(trace) = span.extensions().get::<InTrace>().map(|t| t.0) else {
            return;
        };
        let mut fields = Fields::default();
        event.record(&mut fields);
        let text = fields
            .0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ");
        self.store.with_span(trace, span.id().into_u64(), |s| {
            s.error.get_or_insert(text);
        });
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(trace) = ctx
            .span(&id)
            .and_then(|s| s.extensions().get::<InTrace>().map(|t| t.0))
        else {
            return;
        };
        self.store
            .with_span(trace, id.into_u64(), |s| s.end_ms = Some(now_ms()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn spans_under_a_root_are_kept_with_fields_times_and_errors() {
        let store = TraceStore::default();
        let subscriber = tracing_subscriber::registry().with(store.layer(&["sync"]));
        tracing::subscriber::with_default(subscriber, || {
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
        let spans = &traces[0].spans;
        let names: Vec<_> = spans.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["sync", "step", "object", "object"]);
        assert_eq!(spans[0].fields, [("objects".to_string(), "2".to_string())]);
        assert_eq!(spans[2].parent, Some(spans[1].id));
        assert!(spans.iter().all(|s| s.end_ms.is_some()), "closed");
        assert!(spans[3].error.as_deref().unwrap().contains("conflict"));
        assert_eq!(spans[2].error, None);
    }

    #[test]
    fn the_store_is_bounded() {
        let store = TraceStore::default();
        let subscriber = tracing_subscriber::registry().with(store.layer(&["sync"]));
        tracing::subscriber::with_default(subscriber, || {
            for _ in 0..MAX_TRACES + 5 {
                let _s = tracing::info_span!("sync").entered();
            }
            let _big = tracing::info_span!("sync").entered();
            for _ in 0..MAX_SPANS + 10 {
                let _o = tracing::info_span!("object").entered();
            }
        });
        let traces = store.traces();
        assert_eq!(traces.len(), MAX_TRACES);
        let last = traces.last().unwrap();
        assert_eq!(last.spans.len(), MAX_SPANS);
        assert_eq!(last.dropped, 11);
    }
}
