//! A Jaeger-compatible query API (`/api/traces`), served as the Service
//! `monitoring/jaeger-query:16686` through the API server's service proxy. The demo's shop
//! services answer requests in a believable chain — frontend calls api, api reads redis — one
//! trace every 30 s since each workload first had pods; a span fails while its workload has
//! fewer ready replicas than it wants (from the same replica history the simulated Prometheus
//! charts).

use http::StatusCode;
use serde_json::{Value, json};

use super::Shared;
use super::http::{Ctx, SimBody, json_response};
use super::prom::{Sample, now};
use super::util::fnv1a;

/// `namespace/name:port` of the simulated Jaeger query Service.
pub const JAEGER_SERVICE: &str = "monitoring/jaeger-query:16686";
/// Seconds between two traces of a service.
const EVERY: f64 = 30.0;

/// The calls a request to `service` makes: (service, operation, share of the parent's time).
fn chain(service: &str) -> Vec<(&'static str, &'static str, f64)> {
    match service {
        "frontend" => vec![
            ("frontend", "GET /", 1.0),
            ("api", "GET /cart", 0.7),
            ("redis", "HGETALL cart", 0.1),
        ],
        "api" => vec![("api", "GET /cart", 1.0), ("redis", "HGETALL cart", 0.15)],
        _ => vec![("redis", "HGETALL cart", 1.0)],
    }
}

pub fn traces(shared: &Shared, ctx: &Ctx) -> http::Response<SimBody> {
    let service = ctx.q("service").unwrap_or_default().to_string();
    let limit: usize = ctx
        .q("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(20)
        .min(100);
    let history = shared.history.all();
    let of = |name: &str| -> Vec<&Sample> {
        history
            .iter()
            .filter(|s| {
                s.name == name
                    || s.labels["app"] == name
                    || s.labels["app.kubernetes.io/name"] == name
            })
            .collect()
    };
    let mine = of(&service);
    let Some(first) = mine
        .iter()
        .filter(|s| s.ready > 0.0)
        .map(|s| s.t)
        .reduce(f64::min)
    else {
        return json_response(StatusCode::OK, &json!({"data": [], "errors": null}));
    };
    let now = now();
    let mut data = Vec::new();
    // on a grid of EVERY seconds (stable ids between calls); one at its first ready moment when
    // it is younger than that
    let mut t = (now / EVERY).floor() * EVERY;
    if t < first && first <= now {
        t = first.ceil();
    }
    while t >= first.floor() && data.len() < limit {
        data.push(trace(&service, t, &of));
        t -= EVERY;
    }
    json_response(StatusCode::OK, &json!({"data": data, "errors": null}))
}

/// One request to `service` at `t` (seconds), with its calls.
fn trace<'a>(service: &str, t: f64, of: &dyn Fn(&str) -> Vec<&'a Sample>) -> Value {
    let seed = fnv1a(format!("{service}{t}").as_bytes());
    let trace_id = format!("{seed:016x}{:016x}", seed.rotate_left(17));
    let total_us = 40_000 + (seed % 40_000) as i64;
    let start_us = (t * 1e6) as i64;
    let mut spans = Vec::new();
    let mut parent: Option<String> = None;
    let mut offset = 0i64;
    for (i, (svc, op, share)) in chain(service).into_iter().enumerate() {
        let span_id = format!("{:016x}", seed.rotate_left(7 * i as u32 + 3));
        let duration = (total_us as f64 * share) as i64;
        // degraded: fewer ready replicas than wanted at that moment
        let degraded = of(svc)
            .into_iter()
            .rev()
            .find(|s| s.t <= t)
            .is_some_and(|s| s.ready < s.desired);
        let mut tags = vec![
            json!({"key": "span.kind", "type": "string", "value": if i == 0 { "server" } else { "client" }}),
        ];
        if degraded {
            tags.push(json!({"key": "error", "type": "bool", "value": true}));
            tags.push(json!({"key": "otel.status_description", "type": "string", "value": format!("{svc}: not enough ready replicas")}));
        }
        let references: Vec<Value> = parent
            .iter()
            .map(|p| json!({"refType": "CHILD_OF", "traceID": trace_id, "spanID": p}))
            .collect();
        spans.push(json!({
            "traceID": trace_id,
            "spanID": span_id,
            "operationName": op,
            "references": references,
            "startTime": start_us + offset,
            "duration": duration,
            "tags": tags,
            "processID": svc,
        }));
        offset += (total_us as f64 * 0.1) as i64;
        parent = Some(span_id);
    }
    json!({"traceID": trace_id, "spans": spans, "processes": {}})
}
