//! The span processor that keeps kdrift's traces in the store: a span enters when it starts (so
//! a sync in progress is seen as it goes), its end, attributes and error when it ends.

use super::{Inner, MAX_SPANS, SpanRecord, Trace, TraceStore};
use opentelemetry::trace::{SpanId, Status};
use opentelemetry::{Context, Value};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanProcessor};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Attributes of an event that are about where it came from, not what it says.
const EVENT_META: [&str; 2] = ["level", "target"];

/// Records the spans of every trace whose root span is named one of `roots`.
#[derive(Debug, Clone)]
pub struct StoreProcessor {
    store: TraceStore,
    roots: &'static [&'static str],
}

impl StoreProcessor {
    pub fn new(store: &TraceStore, roots: &'static [&'static str]) -> Self {
        StoreProcessor {
            store: store.clone(),
            roots,
        }
    }
}

fn ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn span_id(id: SpanId) -> u64 {
    u64::from_be_bytes(id.to_bytes())
}

fn text(v: &Value) -> String {
    crate::text::sanitize(&v.to_string())
}

fn fields(data: &SpanData) -> Vec<(String, String)> {
    data.attributes
        .iter()
        .map(|kv| (kv.key.as_str().to_string(), text(&kv.value)))
        .collect()
}

/// The span's error: its status when it is one, else the first warning or error logged in it.
fn error(data: &SpanData) -> Option<String> {
    if let Status::Error { description } = &data.status
        && !description.is_empty()
    {
        return Some(crate::text::sanitize(description));
    }
    let warned = data.events.iter().find(|e| {
        e.attributes.iter().any(|kv| {
            kv.key.as_str() == "level" && matches!(kv.value.as_str().as_ref(), "WARN" | "ERROR")
        })
    })?;
    let mut words = vec![crate::text::sanitize(&warned.name)];
    words.extend(
        warned
            .attributes
            .iter()
            .filter(|kv| !EVENT_META.contains(&kv.key.as_str()))
            .map(|kv| format!("{}={}", kv.key.as_str(), text(&kv.value))),
    );
    Some(words.join(" "))
}

fn record(data: &SpanData, open: bool) -> SpanRecord {
    let parent = (data.parent_span_id != SpanId::INVALID).then(|| span_id(data.parent_span_id));
    SpanRecord {
        id: span_id(data.span_context.span_id()),
        parent,
        name: data.name.to_string(),
        fields: fields(data),
        start_ms: ms(data.start_time),
        end_ms: (!open).then(|| ms(data.end_time)),
        error: if open { None } else { error(data) },
    }
}

impl Inner {
    fn started(&mut self, data: &SpanData, roots: &[&str]) {
        let trace_id = data.span_context.trace_id().to_string();
        let span = record(data, true);
        if span.parent.is_none() {
            if roots.contains(&span.name.as_str()) {
                self.push(Trace {
                    root: span.id,
                    trace_id,
                    spans: vec![span],
                    dropped: 0,
                });
            }
            return;
        }
        let Some(t) = self
            .traces
            .iter_mut()
            .rev()
            .find(|t| t.trace_id == trace_id)
        else {
            return;
        };
        if t.spans.len() >= MAX_SPANS {
            t.dropped += 1;
        } else {
            t.spans.push(span);
        }
    }
}

impl SpanProcessor for StoreProcessor {
    fn on_start(&self, span: &mut Span, _cx: &Context) {
        if let Some(data) = span.exported_data() {
            self.store.lock().started(&data, self.roots);
        }
    }

    fn on_end(&self, data: SpanData) {
        let id = span_id(data.span_context.span_id());
        let done = record(&data, false);
        self.store
            .with_trace(&data.span_context.trace_id().to_string(), |t| {
                if let Some(s) = t.spans.iter_mut().rev().find(|s| s.id == id) {
                    *s = done;
                }
            });
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}
