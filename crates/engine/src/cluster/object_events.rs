//! The Kubernetes events of one object and of what it owns (a Deployment's ReplicaSets and pods, a
//! StatefulSet's pods, a CronJob's Jobs), followed live while the events pane shows them: one
//! watcher on the namespace's events, matched here by the names the controllers give what they
//! create, folded, sorted warnings first and newest on top, bounded, sanitized.

use crate::clock::rfc3339_secs;
use crate::model::ResourceKey;
use crate::outbox::Outbox;
use crate::text::sanitize;
use futures::StreamExt;
use k8s_openapi::api::core::v1::Event as KubeEvent;
use kube::Client;
use kube::api::Api;
use kube::runtime::watcher::{self, Event, watcher};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::task::JoinHandle;

/// Rows kept per followed object; past it the oldest Normal events go first.
pub const MAX_EVENTS: usize = 100;
/// Bytes kept of one event's message.
const MAX_MESSAGE: usize = 1024;
/// Changes are sent at most this often (a burst of pod events is one update).
const BATCH_EVERY: Duration = Duration::from_millis(200);

/// One event as the pane shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub warning: bool,
    pub reason: String,
    /// The object it is about, `Kind/name` (the followed object or one it owns).
    pub object: String,
    pub message: String,
    /// How many times the server has seen it (its `count` or `series.count`).
    pub count: u32,
    /// When it was last seen, millis since the epoch (0 when the server gave no time).
    pub last_ms: u64,
    /// Order of arrival (list order, then each update): ties within a second go newest first.
    pub seq: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EventFeed {
    /// Every event of the target kept now, in display order.
    Rows {
        target: ResourceKey,
        rows: Vec<EventRow>,
    },
    Status {
        target: ResourceKey,
        text: String,
    },
}

/// Whose events to follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTarget {
    pub key: ResourceKey,
}

impl EventTarget {
    /// Events of namespaced objects only: cluster-scoped ones' events live in `default` and are rare.
    pub fn of(key: &ResourceKey) -> Option<Self> {
        key.namespace.as_ref()?;
        Some(Self { key: key.clone() })
    }

    /// Whether an event about `kind`/`name` belongs to this target: the object itself, or what its
    /// controller creates, told by the names it gives them (`web-7d9c8` is a ReplicaSet of `web`,
    /// `web-7d9c8-x2k4p` its pod, `redis-3` a StatefulSet's pod; `web-api-…` is not `web`'s).
    pub fn owns(&self, kind: &str, name: &str) -> bool {
        if kind == self.key.kind && name == self.key.name {
            return true;
        }
        let Some(rest) = name
            .strip_prefix(&self.key.name)
            .and_then(|r| r.strip_prefix('-'))
        else {
            return false;
        };
        let parts: Vec<&str> = rest.split('-').collect();
        let token = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric());
        match (self.key.kind.as_str(), kind) {
            ("Deployment", "ReplicaSet") => parts.len() == 1 && token(parts[0]),
            ("Deployment", "Pod") | ("CronJob", "Pod") => {
                parts.len() == 2 && parts.iter().all(|p| token(p))
            }
            ("StatefulSet", "Pod") => {
                parts.len() == 1 && parts[0].bytes().all(|b| b.is_ascii_digit())
            }
            ("DaemonSet" | "Job", "Pod") | ("CronJob", "Job") => {
                parts.len() == 1 && token(parts[0])
            }
            _ => false,
        }
    }
}

/// Follows `target`'s events until aborted.
pub fn follow_events(
    client: Client,
    target: EventTarget,
    out: Outbox<EventFeed>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let ns = target.key.namespace.clone().unwrap_or_default();
        let api: Api<KubeEvent> = Api::namespaced(client, &ns);
        let config = watcher::Config::default().timeout(super::deadline::watch_timeout_secs());
        let mut stream = watcher(api, config).boxed();
        let mut kept: BTreeMap<String, EventRow> = BTreeMap::new();
        let mut listing: BTreeMap<String, EventRow> = BTreeMap::new();
        let mut dirty = false;
        let mut seq = 0u64;
        let key = target.key.clone();
        let status = |text: String| EventFeed::Status {
            target: key.clone(),
            text,
        };
        loop {
            let next = if dirty {
                match tokio::time::timeout(BATCH_EVERY, stream.next()).await {
                    Ok(next) => next,
                    Err(_) => {
                        dirty = false;
                        let rows = display_order(&kept);
                        let msg = EventFeed::Rows {
                            target: target.key.clone(),
                            rows,
                        };
                        if !out.send(msg).await {
                            return;
                        }
                        continue;
                    }
                }
            } else {
                stream.next().await
            };
            let Some(item) = next else { return };
            match item {
                Ok(Event::Init) => listing.clear(),
                Ok(Event::InitApply(e)) => {
                    seq += 1;
                    if let Some((uid, row)) = row_of(&target, &e, seq) {
                        listing.insert(uid, row);
                    }
                }
                Ok(Event::InitDone) => {
                    kept = std::mem::take(&mut listing);
                    bound(&mut kept);
                    dirty = true;
                    if !out.send(status("live".into())).await {
                        return;
                    }
                }
                Ok(Event::Apply(e)) => {
                    seq += 1;
                    if let Some((uid, row)) = row_of(&target, &e, seq) {
                        kept.insert(uid, row);
                        bound(&mut kept);
                        dirty = true;
                    }
                }
                Ok(Event::Delete(e)) => {
                    let uid = e.metadata.uid.clone().unwrap_or_default();
                    dirty |= kept.remove(&uid).is_some();
                }
                Err(e) => {
                    if !out.send(status(format!("reconnecting: {e}"))).await {
                        return;
                    }
                }
            }
        }
    })
}

fn row_of(target: &EventTarget, e: &KubeEvent, seq: u64) -> Option<(String, EventRow)> {
    let involved = &e.involved_object;
    let (kind, name) = (involved.kind.as_deref()?, involved.name.as_deref()?);
    if !target.owns(kind, name) {
        return None;
    }
    let uid =
        e.metadata.uid.clone().unwrap_or_else(|| {
            format!("{kind}/{name}/{}", e.reason.as_deref().unwrap_or_default())
        });
    let count = e
        .series
        .as_ref()
        .and_then(|s| s.count)
        .or(e.count)
        .unwrap_or(1)
        .max(1) as u32;
    let when = e
        .series
        .as_ref()
        .and_then(|s| s.last_observed_time.as_ref().map(|t| t.0.to_string()))
        .or_else(|| e.last_timestamp.as_ref().map(|t| t.0.to_string()))
        .or_else(|| e.event_time.as_ref().map(|t| t.0.to_string()))
        .or_else(|| e.first_timestamp.as_ref().map(|t| t.0.to_string()));
    let last_ms = when.as_deref().and_then(rfc3339_secs).unwrap_or(0).max(0) as u64 * 1000;
    let mut message = sanitize(e.message.as_deref().unwrap_or_default());
    if message.len() > MAX_MESSAGE {
        let mut cut = MAX_MESSAGE;
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
        message.push('…');
    }
    let row = EventRow {
        warning: e.type_.as_deref() == Some("Warning"),
        reason: sanitize(e.reason.as_deref().unwrap_or_default()),
        object: sanitize(&format!("{kind}/{name}")),
        message,
        count,
        last_ms,
        seq,
    };
    Some((uid, row))
}

/// At most `MAX_EVENTS`: the oldest Normal events go first, then the oldest warnings.
fn bound(kept: &mut BTreeMap<String, EventRow>) {
    while kept.len() > MAX_EVENTS {
        let victim = kept
            .iter()
            .min_by_key(|(_, r)| (r.warning, r.last_ms, r.seq))
            .map(|(uid, _)| uid.clone());
        match victim {
            Some(uid) => kept.remove(&uid),
            None => break,
        };
    }
}

/// Warnings first, newest on top (by time, then by arrival).
pub fn display_order(kept: &BTreeMap<String, EventRow>) -> Vec<EventRow> {
    let mut rows: Vec<EventRow> = kept.values().cloned().collect();
    rows.sort_by(|a, b| {
        b.warning
            .cmp(&a.warning)
            .then(b.last_ms.cmp(&a.last_ms))
            .then(b.seq.cmp(&a.seq))
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(kind: &str, name: &str) -> EventTarget {
        EventTarget {
            key: ResourceKey::from(crate::model::KeyParts {
                namespace: Some("shop".into()),
                kind: kind.into(),
                name: name.into(),
                group: "apps".into(),
                version: "v1".into(),
            }),
        }
    }

    #[test]
    fn what_a_workload_owns_is_told_by_its_controllers_names() {
        let web = target("Deployment", "web");
        assert!(web.owns("Deployment", "web"));
        assert!(web.owns("ReplicaSet", "web-7d9c8f"));
        assert!(web.owns("Pod", "web-7d9c8f-x2k4p"));
        assert!(
            !web.owns("Pod", "web-api-7d9c8f-x2k4p"),
            "another Deployment's pod"
        );
        assert!(!web.owns("ReplicaSet", "web-api-7d9c8f-x"));
        assert!(!web.owns("Service", "web"));
        let redis = target("StatefulSet", "redis");
        assert!(redis.owns("Pod", "redis-3"));
        assert!(!redis.owns("Pod", "redis-cache-0"));
        assert!(!redis.owns("Pod", "redis-x"));
    }

    #[test]
    fn rows_are_bounded_warnings_kept_longest_and_shown_first() {
        let mut kept = BTreeMap::new();
        for i in 0..(MAX_EVENTS as u64 + 10) {
            kept.insert(
                format!("n{i}"),
                EventRow {
                    warning: i == 3,
                    reason: "Pulled".into(),
                    object: "Pod/p".into(),
                    message: String::new(),
                    count: 1,
                    last_ms: i,
                    seq: i,
                },
            );
        }
        bound(&mut kept);
        assert_eq!(kept.len(), MAX_EVENTS);
        assert!(
            kept.contains_key("n3"),
            "the old warning outlives newer normal events"
        );
        let rows = display_order(&kept);
        assert!(rows[0].warning);
        assert_eq!(rows[1].last_ms, MAX_EVENTS as u64 + 9, "then newest first");
    }
}
