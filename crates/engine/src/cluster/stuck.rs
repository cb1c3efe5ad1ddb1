//! Why a workload is not healthy, from its pods: the first pod that is not ready, what holds it
//! (unscheduled, a container waiting), and its newest Warning event. Secret-free by nature: pod
//! conditions and events name objects and reasons, and the text is sanitized for the screen.

use super::resolve::Resolver;
use crate::health::{Health, health_of};
use crate::model::ResourceKey;
use crate::text::sanitize;
use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{Api, ListParams};
use serde_json::Value;
use std::time::Duration;

/// How long the two reads may take together.
const LIMIT: Duration = Duration::from_secs(10);

/// `pod web-7d9f: Unschedulable: 0/2 nodes are available… (FailedScheduling: …)`, for the
/// workload `key` whose live object is `live`; None when no pod of it is unhealthy or the
/// pods cannot be read.
pub async fn pod_trouble(resolver: &Resolver, key: &ResourceKey, live: &Value) -> Option<String> {
    tokio::time::timeout(LIMIT, read(resolver, key, live))
        .await
        .ok()
        .flatten()
}

async fn read(resolver: &Resolver, key: &ResourceKey, live: &Value) -> Option<String> {
    if !key.is_workload() {
        return None;
    }
    let ns = key.namespace.as_deref()?;
    let labels = live.pointer("/spec/selector/matchLabels")?.as_object()?;
    let selector: Vec<String> = labels
        .iter()
        .filter_map(|(k, v)| Some(format!("{k}={}", v.as_str()?)))
        .collect();
    if selector.is_empty() {
        return None;
    }
    let pods: Api<Pod> = Api::namespaced(resolver.client().clone(), ns);
    let list = pods
        .list(&ListParams::default().labels(&selector.join(",")).limit(50))
        .await
        .ok()?;
    let (name, why) = list.items.iter().find_map(|p| {
        let value = serde_json::to_value(p).ok()?;
        match health_of("", "Pod", &value) {
            Health::Healthy => None,
            other => Some((p.metadata.name.clone()?, other.reason()?.to_string())),
        }
    })?;
    let events: Api<Event> = Api::namespaced(resolver.client().clone(), ns);
    let fields = format!("involvedObject.kind=Pod,involvedObject.name={name},type=Warning");
    let last = events
        .list(&ListParams::default().fields(&fields))
        .await
        .ok()
        .and_then(|l| {
            l.items
                .into_iter()
                .max_by_key(|e| e.last_timestamp.clone().map(|t| t.0))
        })
        .and_then(|e| {
            let message = e.message.unwrap_or_default();
            // the scheduler writes the same words into the condition and the event
            (!why.contains(message.trim()))
                .then(|| format!(" ({}: {})", e.reason.unwrap_or_default(), message.trim()))
        })
        .unwrap_or_default();
    Some(sanitize(&format!("pod {name}: {why}{last}")))
}
