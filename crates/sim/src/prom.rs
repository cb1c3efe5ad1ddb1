//! A Prometheus-compatible query API, served as the Service `monitoring/prometheus:9090` through
//! the API server's service proxy, as a real cluster's monitoring stack would be. Its series come
//! from what the simulated cluster does: ready and desired replicas as the controllers wrote
//! them (recorded at each change), restarts (none), and believable CPU, memory and request rates
//! that follow the ready pods. It reads only the metric name and the label matchers of a query
//! (any PromQL functions around them are taken as asked), enough for kdrift's query table.

use std::collections::VecDeque;
use std::sync::Mutex;

use http::StatusCode;
use serde_json::{Value, json};

use super::Shared;
use super::http::{Ctx, SimBody, json_response};
use super::util::now_unix;

/// `namespace/name:port` of the simulated Prometheus Service.
pub const PROMETHEUS_SERVICE: &str = "monitoring/prometheus:9090";
/// Samples of workload replicas kept (all workloads together).
const MAX_SAMPLES: usize = 10_000;
/// Points of one answer at most (Prometheus refuses more than 11,000).
const MAX_POINTS: f64 = 11_000.0;

/// One workload's replica counts from a moment on.
#[derive(Debug, Clone)]
pub struct Sample {
    pub t: f64,
    pub ns: String,
    pub kind: String,
    pub name: String,
    pub labels: Value,
    pub ready: f64,
    pub desired: f64,
}

#[derive(Debug, Default)]
pub struct History(Mutex<VecDeque<Sample>>);

impl History {
    /// Keeps `sample` if it differs from the workload's last one.
    pub fn record(&self, sample: Sample) {
        let mut h = self.0.lock().expect("history lock");
        let last = h
            .iter()
            .rev()
            .find(|s| s.ns == sample.ns && s.kind == sample.kind && s.name == sample.name);
        if last.is_some_and(|l| l.ready == sample.ready && l.desired == sample.desired) {
            return;
        }
        h.push_back(sample);
        while h.len() > MAX_SAMPLES {
            h.pop_front();
        }
    }

    /// Every sample kept, oldest first.
    pub fn all(&self) -> Vec<Sample> {
        self.of(|_| true)
    }

    fn of(&self, pick: impl Fn(&Sample) -> bool) -> Vec<Sample> {
        let h = self.0.lock().expect("history lock");
        h.iter().filter(|s| pick(s)).cloned().collect()
    }
}

/// A label matcher: name, whether it is a regex (`=~`), value.
type Matcher = (String, bool, String);

/// The metric name and the label matchers (`=` and `=~`) of the first selector in `query`.
fn selector(query: &str) -> Option<(String, Vec<Matcher>)> {
    let open = query.find('{')?;
    let name: String = query[..open]
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let close = open + query[open..].find('}')?;
    let mut matchers = Vec::new();
    for part in query[open + 1..close].split(',') {
        let (key, regex, value) = if let Some((k, v)) = part.split_once("=~") {
            (k, true, v)
        } else if part.contains("!=") {
            continue;
        } else if let Some((k, v)) = part.split_once('=') {
            (k, false, v)
        } else {
            continue;
        };
        matchers.push((
            key.trim().to_string(),
            regex,
            value.trim().trim_matches('"').to_string(),
        ));
    }
    Some((name, matchers))
}

/// `redis-[0-9]+` → `redis`: the workload a pod regex of kdrift's table names.
fn workload_of_pods(regex: &str) -> String {
    regex.split("-[").next().unwrap_or(regex).replace('\\', "")
}

pub fn query_range(shared: &Shared, ctx: &Ctx) -> Response {
    let number = |k: &str| ctx.q(k).and_then(|v| v.parse::<f64>().ok());
    let (Some(query), Some(start), Some(end), Some(step)) = (
        ctx.q("query"),
        number("start"),
        number("end"),
        number("step"),
    ) else {
        return error("bad_data", "query, start, end and step are required");
    };
    if step <= 0.0 || end < start || (end - start) / step > MAX_POINTS {
        return error(
            "bad_data",
            "exceeded maximum resolution of 11,000 points per timeseries",
        );
    }
    let Some((metric, matchers)) = selector(query) else {
        return error("bad_data", "parse error: no selector");
    };
    let label = |k: &str| {
        matchers
            .iter()
            .find(|m| m.0 == k)
            .map(|m| (m.1, m.2.clone()))
    };
    let ns = label("namespace").map(|l| l.1);
    let name = label("deployment")
        .or_else(|| label("statefulset"))
        .or_else(|| label("daemonset"))
        .map(|l| l.1)
        .or_else(|| label("pod").filter(|l| l.0).map(|l| workload_of_pods(&l.1)));
    let app = label("app").map(|l| l.1);
    let errors = label("code").is_some_and(|l| l.1.starts_with('5'));
    let samples = shared.history.of(|s| {
        ns.as_ref().is_none_or(|n| *n == s.ns)
            && name.as_ref().is_none_or(|n| *n == s.name)
            && app.as_ref().is_none_or(|a| {
                s.labels["app"] == a.as_str()
                    || s.labels["app.kubernetes.io/name"] == a.as_str()
                    || s.name == *a
            })
    });
    let value = |s: &Sample, t: f64| -> Option<f64> {
        let wave = |period: f64| ((t / period) + s.name.len() as f64).sin();
        Some(match metric.as_str() {
            m if m.ends_with("replicas_available")
                || m.ends_with("replicas_ready")
                || m.ends_with("number_ready") =>
            {
                s.ready
            }
            m if m.ends_with("spec_replicas")
                || m == "kube_statefulset_replicas"
                || m.ends_with("desired_number_scheduled") =>
            {
                s.desired
            }
            "kube_pod_container_status_restarts_total" => 0.0,
            "container_cpu_usage_seconds_total" => s.ready * (0.04 + 0.015 * wave(90.0)),
            "container_memory_working_set_bytes" => {
                s.ready * (48.0 + 4.0 * wave(300.0)) * 1_048_576.0
            }
            "http_requests_total" if s.ready > 0.0 => {
                let all = s.ready * (6.0 + 2.0 * wave(120.0));
                if errors { all * 0.02 } else { all }
            }
            _ => return None,
        })
    };
    // one series per workload: its value at each step, from its first sample on
    let mut by_workload: Vec<(String, Vec<Sample>)> = Vec::new();
    for s in samples {
        let id = format!("{}/{}", s.ns, s.name);
        match by_workload.iter_mut().find(|(k, _)| *k == id) {
            Some((_, list)) => list.push(s),
            None => by_workload.push((id, vec![s])),
        }
    }
    let mut result = Vec::new();
    let mut per_step: Vec<(f64, f64)> = Vec::new();
    let n = ((end - start) / step + 1e-9).floor() as u64;
    for k in 0..=n {
        let t = start + k as f64 * step;
        let mut sum: Option<f64> = None;
        for (_, list) in &by_workload {
            if let Some(s) = list.iter().rev().find(|s| s.t <= t)
                && let Some(v) = value(s, t)
            {
                *sum.get_or_insert(0.0) += v;
            }
        }
        if let Some(v) = sum {
            per_step.push((t, v));
        }
    }
    if !per_step.is_empty() {
        let values: Vec<Value> = per_step
            .iter()
            .map(|(t, v)| json!([t, format!("{v}")]))
            .collect();
        result.push(json!({"metric": {}, "values": values}));
    }
    json_response(
        StatusCode::OK,
        &json!({"status": "success", "data": {"resultType": "matrix", "result": result}}),
    )
}

type Response = http::Response<SimBody>;

fn error(kind: &str, text: &str) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({"status": "error", "errorType": kind, "error": text}),
    )
}

/// Now, in the seconds Prometheus speaks.
pub fn now() -> f64 {
    let (secs, nanos) = now_unix();
    secs as f64 + f64::from(nanos) / 1e9
}
