//! kdrift's alerts without a terminal. `observe` turns the inventory's changes into events (drift
//! detected and resolved per object, converged, watch health, commits); `Outputs` sends each one
//! everywhere asked: JSON or text lines, webhooks, Alertmanager, and the Prometheus metrics that
//! `server` exposes. Nothing here waits on a receiver: every destination queues on its own.

pub mod alertmanager;
pub mod event;
pub mod metrics;
pub mod observe;
pub mod server;
pub mod webhook;

pub use alertmanager::Alertmanager;
pub use event::{Envelope, Event, ObjectRef};
pub use metrics::{Metrics, SpanTimer};
pub use observe::Observer;
pub use webhook::{Webhook, WebhookConfig};

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

/// How events are written to stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    Json,
    Text,
    /// Not at all (the TUI, which shows them itself).
    None,
}

/// Every destination of the events.
pub struct Outputs {
    pub lines: Lines,
    pub webhooks: Vec<Webhook>,
    pub alertmanager: Option<Alertmanager>,
    pub metrics: Arc<Metrics>,
}

impl Outputs {
    pub fn new(lines: Lines, metrics: Arc<Metrics>) -> Self {
        Outputs {
            lines,
            webhooks: Vec::new(),
            alertmanager: None,
            metrics,
        }
    }

    /// Sends each event everywhere; never waits for a receiver.
    pub fn publish(&self, events: &[Envelope], now_ms: u64) {
        if events.is_empty() {
            return;
        }
        let mut out = std::io::stdout().lock();
        for e in events {
            self.metrics.saw(e, now_ms);
            let json = e.json();
            match self.lines {
                Lines::Json => {
                    let _ = writeln!(out, "{json}");
                }
                Lines::Text => {
                    let _ = writeln!(out, "{}", e.text());
                }
                Lines::None => {}
            }
            if !self.webhooks.is_empty() {
                let body = bytes::Bytes::from(json);
                for w in &self.webhooks {
                    w.publish(body.clone());
                }
            }
            if let Some(am) = &self.alertmanager {
                am.publish(e);
            }
        }
        let _ = out.flush();
    }

    /// On exit: waits up to `limit` for the webhooks' queues to empty.
    pub async fn drain(&self, limit: Duration) {
        for w in &self.webhooks {
            w.drain(limit).await;
        }
    }
}
