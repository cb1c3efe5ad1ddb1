//! Kubernetes events, written the way the real components write them (core/v1 `Event`): the
//! workload controllers when they create or delete pods, the scheduler and kubelet when a pod
//! starts. A repeat of the same reason and message on the same object is folded into `count`, as
//! the client-go recorder does, and each namespace keeps its newest `MAX_PER_NAMESPACE` (the real
//! API server lets them expire after an hour).

use serde_json::{Value, json};

use super::Shared;
use super::ops::{DeleteOpts, WriteOpts};
use super::resources::by_kind;
use super::util::{now_rfc3339, rand_suffix};

pub const MAX_PER_NAMESPACE: usize = 200;

/// Records `reason: message` about `involved` (any stored object), by `component`.
pub fn record(
    shared: &Shared,
    involved: &Value,
    warning: bool,
    reason: &str,
    message: &str,
    component: &str,
) {
    let meta = &involved["metadata"];
    let ns = meta["namespace"].as_str().unwrap_or_default();
    let (name, uid) = (
        meta["name"].as_str().unwrap_or_default(),
        meta["uid"].as_str().unwrap_or_default(),
    );
    if ns.is_empty() || name.is_empty() {
        return;
    }
    let events = by_kind("Event");
    let now = now_rfc3339();
    let opts = WriteOpts::new(component);
    let (existing, _) = shared.list(events, Some(ns));
    if let Some(old) = existing.iter().find(|e| {
        e["involvedObject"]["uid"] == uid && e["reason"] == reason && e["message"] == message
    }) {
        let mut body = (**old).clone();
        body["count"] = json!(old["count"].as_u64().unwrap_or(1) + 1);
        body["lastTimestamp"] = json!(now);
        let event_name = old["metadata"]["name"].as_str().unwrap_or_default();
        let _ = shared.update(events, ns, event_name, body, &opts);
        return;
    }
    let body = json!({
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": format!("{name}.{}", rand_suffix(10)), "namespace": ns},
        "involvedObject": {
            "apiVersion": involved["apiVersion"],
            "kind": involved["kind"],
            "name": name,
            "namespace": ns,
            "uid": uid,
        },
        "reason": reason,
        "message": message,
        "type": if warning { "Warning" } else { "Normal" },
        "count": 1,
        "firstTimestamp": now,
        "lastTimestamp": now,
        "source": {"component": component},
        "reportingComponent": component,
    });
    let _ = shared.create(events, ns, body, &opts);
    if existing.len() >= MAX_PER_NAMESPACE {
        let mut oldest: Vec<_> = existing.iter().collect();
        oldest.sort_by(|a, b| {
            a["lastTimestamp"]
                .as_str()
                .cmp(&b["lastTimestamp"].as_str())
        });
        for e in oldest.iter().take(existing.len() + 1 - MAX_PER_NAMESPACE) {
            let event_name = e["metadata"]["name"].as_str().unwrap_or_default();
            let _ = shared.delete(events, ns, event_name, &DeleteOpts::default());
        }
    }
}
