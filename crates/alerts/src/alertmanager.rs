//! `--alertmanager URL`: a firing `KdriftDrift` alert per drifted object, posted to
//! Alertmanager's v2 API (`POST /api/v2/alerts`) when it starts and again every resend interval
//! while it lasts (as Prometheus does, so Alertmanager never times it out), and the same alert
//! with `endsAt` when the object converges. A post that fails is retried; a resolution is kept
//! until it has been delivered.

use crate::event::{Envelope, Event, ObjectRef};
use crate::metrics::Metrics;
use kdrift_engine::clock::{now_ms, rfc3339};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

pub const ALERT_NAME: &str = "KdriftDrift";
/// How long one post may take.
const POST_LIMIT: Duration = Duration::from_secs(10);
/// After a failed post, the next try.
const RETRY: Duration = Duration::from_secs(5);

#[derive(Debug, Default)]
struct Alerts {
    /// Firing, by object path: labels and annotations, and when it started.
    firing: BTreeMap<String, Value>,
    /// Ended, not yet delivered.
    resolved: Vec<Value>,
}

pub struct Alertmanager {
    alerts: Arc<Mutex<Alerts>>,
    changed: Arc<Notify>,
    task: JoinHandle<()>,
}

#[derive(Debug, thiserror::Error)]
#[error("--alertmanager {0}: {1}")]
pub struct AlertmanagerError(String, String);

fn alert(
    cluster: &str,
    object: &ObjectRef,
    status: &str,
    annotations: Value,
    since: &str,
) -> Value {
    let mut alert = json!({
        "labels": {
            "alertname": ALERT_NAME,
            "cluster": cluster,
            "namespace": object.namespace.clone().unwrap_or_default(),
            "kind": object.kind,
            "name": object.name,
            "status": status,
        },
        "annotations": annotations,
        "startsAt": since,
    });
    // a label only when there is an app: alerts of repos without apps keep their label set
    if let Some(app) = &object.app {
        alert["labels"]["app"] = json!(app);
    }
    alert
}

impl Alertmanager {
    /// Starts posting to `url` (Alertmanager's base URL) every `resend` while alerts fire.
    pub fn start(
        url: &str,
        resend: Duration,
        metrics: Arc<Metrics>,
    ) -> Result<Self, AlertmanagerError> {
        let base = reqwest::Url::parse(url)
            .map_err(|e| AlertmanagerError(crate::webhook::redacted(url), e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(AlertmanagerError(
                crate::webhook::redacted(url),
                "not an http(s) URL".into(),
            ));
        }
        let endpoint = format!("{}/api/v2/alerts", url.trim_end_matches('/'));
        let alerts = Arc::new(Mutex::new(Alerts::default()));
        let changed = Arc::new(Notify::new());
        let task = tokio::spawn(post_loop(
            endpoint,
            resend.max(Duration::from_secs(1)),
            alerts.clone(),
            changed.clone(),
            metrics,
        ));
        Ok(Alertmanager {
            alerts,
            changed,
            task,
        })
    }

    /// Takes a drift (fires) or a resolution (ends) from the event stream; ignores the rest.
    pub fn publish(&self, e: &Envelope) {
        let mut alerts = self.alerts.lock().unwrap_or_else(|p| p.into_inner());
        match &e.event {
            Event::Drift {
                object,
                status,
                fields,
                managers,
                since,
                commit,
                ..
            } => {
                let annotations = json!({
                    "summary": format!("{} differs from git ({})", object.path(), status.label()),
                    "fields": fields.join(", "),
                    "managers": managers.join(", "),
                    "commit": commit.clone().unwrap_or_default(),
                });
                alerts.firing.insert(
                    object.path(),
                    alert(&e.cluster, object, status.label(), annotations, since),
                );
            }
            Event::Resolved { object, .. } => {
                if let Some(mut a) = alerts.firing.remove(&object.path()) {
                    a["endsAt"] = json!(e.time);
                    alerts.resolved.push(a);
                }
            }
            _ => return,
        }
        drop(alerts);
        self.changed.notify_one();
    }

    /// Alerts firing now.
    pub fn firing(&self) -> usize {
        self.alerts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .firing
            .len()
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn post_loop(
    endpoint: String,
    resend: Duration,
    alerts: Arc<Mutex<Alerts>>,
    changed: Arc<Notify>,
    metrics: Arc<Metrics>,
) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let Ok(client) = reqwest::Client::builder()
        .timeout(POST_LIMIT)
        .connect_timeout(POST_LIMIT)
        .build()
    else {
        return;
    };
    loop {
        let (batch, resolved) = {
            let a = alerts.lock().unwrap_or_else(|p| p.into_inner());
            // a firing alert says how long it holds without news: four resends, as Prometheus does
            let until = rfc3339(now_ms() + 4 * resend.as_millis() as u64);
            let mut batch: Vec<Value> = a
                .firing
                .values()
                .cloned()
                .map(|mut v| {
                    v["endsAt"] = json!(until);
                    v
                })
                .collect();
            batch.extend(a.resolved.iter().cloned());
            (batch, a.resolved.len())
        };
        let mut wait = resend;
        if !batch.is_empty() {
            let sent = client
                .post(&endpoint)
                .header("Content-Type", "application/json")
                .body(serde_json::to_vec(&batch).unwrap_or_default())
                .send()
                .await;
            match sent {
                Ok(r) if r.status().is_success() => {
                    metrics.alertmanager("sent");
                    let mut a = alerts.lock().unwrap_or_else(|p| p.into_inner());
                    let n = resolved.min(a.resolved.len());
                    a.resolved.drain(..n);
                }
                Ok(r) => {
                    metrics.alertmanager("failed");
                    tracing::warn!(
                        status = r.status().as_u16(),
                        "Alertmanager refused the alerts"
                    );
                    wait = RETRY;
                }
                Err(e) => {
                    metrics.alertmanager("failed");
                    tracing::warn!(error = %e, "Alertmanager unreachable");
                    wait = RETRY;
                }
            }
        }
        // idle (nothing firing) this only wakes on a change
        let firing = !alerts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .firing
            .is_empty();
        if firing || wait == RETRY {
            let _ = tokio::time::timeout(wait, changed.notified()).await;
        } else {
            changed.notified().await;
        }
    }
}
