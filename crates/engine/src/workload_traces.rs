//! Recent traces of a workload's service from a Jaeger-compatible query API (`/api/traces`,
//! `--traces-url` or `--traces-service`), read into the same `Trace` the traces pane draws
//! kdrift's own work from, and followed while the pane shows them.

use crate::backend::Backend;
use crate::outbox::Outbox;
use crate::traces::{SpanRecord, Trace};
use serde_json::Value;
use std::time::Duration;
use tokio::task::JoinHandle;

/// How often the traces are asked for again while shown.
pub const REFRESH: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, PartialEq)]
pub enum TracesFeed {
    Traces {
        service: String,
        result: Result<Vec<Trace>, String>,
    },
}

/// Asks for `service`'s traces (a workload's, or kdrift's own as exported) now and every `REFRESH`, until aborted.
pub fn follow_traces(backend: Backend, service: String, out: Outbox<TracesFeed>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let result = recent_traces(&backend, &service).await;
            let msg = TracesFeed::Traces {
                service: service.clone(),
                result,
            };
            if !out.send(msg).await {
                return;
            }
            tokio::time::sleep(REFRESH).await;
        }
    })
}

/// Traces asked for at once, and how far back.
pub const LIMIT: usize = 20;
pub const LOOKBACK: &str = "1h";
/// Spans kept of one trace.
const MAX_SPANS: usize = 2_000;

/// The service's recent traces, newest first.
pub async fn recent_traces(backend: &Backend, service: &str) -> Result<Vec<Trace>, String> {
    let params = [
        ("service", service.to_string()),
        ("limit", LIMIT.to_string()),
        ("lookback", LOOKBACK.to_string()),
    ];
    let (status, body) = backend.get("/api/traces", &params).await?;
    parse_traces(status, &body)
}

/// Jaeger's `{"data": [{"traceID", "spans": [...]}]}`; its `errors` in its words.
pub fn parse_traces(status: u16, body: &[u8]) -> Result<Vec<Trace>, String> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|_| format!("HTTP {status}: not a Jaeger API answer"))?;
    if let Some(e) = v["errors"].as_array().and_then(|e| e.first()) {
        let msg = e["msg"].as_str().unwrap_or("error");
        return Err(crate::text::sanitize(msg));
    }
    if !(200..300).contains(&status) {
        return Err(format!("HTTP {status}"));
    }
    let mut traces: Vec<Trace> = v["data"]
        .as_array()
        .map(|data| data.iter().take(LIMIT).filter_map(trace_of).collect())
        .unwrap_or_default();
    traces.sort_by_key(|t| std::cmp::Reverse(t.spans.first().map(|s| s.start_ms)));
    Ok(traces)
}

fn trace_of(t: &Value) -> Option<Trace> {
    let spans = t["spans"].as_array()?;
    // span ids are hex strings; the pane's records want numbers: their order in the trace
    let ids: Vec<&str> = spans
        .iter()
        .map(|s| s["spanID"].as_str().unwrap_or(""))
        .collect();
    let number = |id: &str| ids.iter().position(|x| *x == id).map(|i| i as u64 + 1);
    let mut records: Vec<SpanRecord> = spans
        .iter()
        .take(MAX_SPANS)
        .map(|s| {
            let parent = s["references"]
                .as_array()
                .and_then(|r| r.iter().find(|r| r["refType"] == "CHILD_OF"))
                .and_then(|r| r["spanID"].as_str())
                .and_then(number);
            let start_ms = s["startTime"].as_u64().unwrap_or(0) / 1000;
            let end_ms = start_ms + s["duration"].as_u64().unwrap_or(0) / 1000;
            let tags = s["tags"].as_array().cloned().unwrap_or_default();
            let tag = |k: &str| {
                tags.iter()
                    .find(|t| t["key"] == k)
                    .map(|t| t["value"].clone())
            };
            let error = match tag("error") {
                Some(Value::Bool(true)) => Some(
                    tag("otel.status_description")
                        .and_then(|v| v.as_str().map(crate::text::sanitize))
                        .unwrap_or_else(|| "error".into()),
                ),
                _ => None,
            };
            let fields = tags
                .iter()
                .filter(|t| t["key"] != "error")
                .take(12)
                .map(|t| {
                    let value = match &t["value"] {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (
                        crate::text::sanitize(t["key"].as_str().unwrap_or("")),
                        crate::text::sanitize(&value),
                    )
                })
                .collect();
            SpanRecord {
                id: number(s["spanID"].as_str().unwrap_or("")).unwrap_or(0),
                parent,
                name: crate::text::sanitize(s["operationName"].as_str().unwrap_or("span")),
                fields,
                start_ms,
                end_ms: Some(end_ms),
                error,
            }
        })
        .collect();
    records.sort_by_key(|s| s.start_ms);
    Some(Trace {
        root: records.first().map(|s| s.id).unwrap_or(0),
        trace_id: crate::text::sanitize(t["traceID"].as_str().unwrap_or("")),
        dropped: spans.len().saturating_sub(MAX_SPANS),
        spans: records,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jaeger_answer_becomes_traces_with_parents_times_and_errors() {
        let body = br#"{"data":[{"traceID":"t1","spans":[
            {"traceID":"t1","spanID":"b","operationName":"GET redis","references":[{"refType":"CHILD_OF","traceID":"t1","spanID":"a"}],
             "startTime":1700000000100000,"duration":30000,"tags":[{"key":"error","type":"bool","value":true},{"key":"otel.status_description","type":"string","value":"timeout \u001b[31m"}]},
            {"traceID":"t1","spanID":"a","operationName":"GET /cart","references":[],
             "startTime":1700000000000000,"duration":250000,"tags":[{"key":"http.status_code","type":"int64","value":200}]}
        ]}],"errors":null}"#;
        let traces = parse_traces(200, body).unwrap();
        assert_eq!(traces.len(), 1);
        let spans = &traces[0].spans;
        assert_eq!(spans[0].name, "GET /cart", "sorted by start");
        assert_eq!(spans[0].end_ms, Some(1_700_000_000_250));
        assert_eq!(spans[1].parent, Some(spans[0].id));
        assert_eq!(spans[1].error.as_deref(), Some("timeout "), "sanitized");
        assert_eq!(
            spans[0].fields,
            [("http.status_code".to_string(), "200".to_string())]
        );
        let err = parse_traces(
            500,
            br#"{"data":null,"errors":[{"code":500,"msg":"storage down"}]}"#,
        );
        assert_eq!(err.unwrap_err(), "storage down");
        assert!(
            parse_traces(502, b"bad gateway")
                .unwrap_err()
                .contains("HTTP 502")
        );
    }
}
