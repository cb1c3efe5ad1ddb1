//! `--webhook URL`: each event POSTed as JSON, in order, by a task of its own per URL. Publishing
//! never waits: events queue (bounded; past the bound the oldest go, counted), and a receiver
//! that is down is retried with backoff until it answers, so nothing is lost to an outage shorter
//! than the queue. An optional HMAC-SHA256 of the body signs each delivery.

use crate::metrics::Metrics as Stats;
use bytes::Bytes;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// Events kept per webhook while its receiver is away (about 10 MB of typical events).
pub const QUEUE_LIMIT: usize = 10_000;
/// How long one delivery may take.
pub const DELIVERY_LIMIT: Duration = Duration::from_secs(10);
/// Backoff between attempts at the same event: doubling from the first to the last.
const BACKOFF_FIRST: Duration = Duration::from_millis(500);
const BACKOFF_LAST: Duration = Duration::from_secs(10);
/// The signature header: `sha256=` and the hex HMAC of the body with the secret.
pub const SIGNATURE_HEADER: &str = "X-Kdrift-Signature-256";

#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub url: String,
    /// The HMAC key (`--webhook-secret-file`), when deliveries are signed.
    pub secret: Option<Vec<u8>>,
    pub queue_limit: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("--webhook {0}: {1}")]
    Url(String, String),
    #[error("--webhook-secret-file {0}: {1}")]
    Secret(String, String),
}

/// The URL without credentials or path (a chat webhook's path is its secret): what logs and
/// metrics may name.
pub fn redacted(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => format!(
            "{}://{}{}",
            u.scheme(),
            u.host_str().unwrap_or(""),
            u.port().map(|p| format!(":{p}")).unwrap_or_default()
        ),
        Err(_) => "webhook".into(),
    }
}

impl WebhookConfig {
    /// Checks the URL; reads the secret (trailing newline dropped) when a file is named.
    pub fn new(url: &str, secret_file: Option<&std::path::Path>) -> Result<Self, WebhookError> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| WebhookError::Url(redacted(url), e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(WebhookError::Url(
                redacted(url),
                "not an http(s) URL".into(),
            ));
        }
        let secret = match secret_file {
            Some(path) => {
                let text = std::fs::read(path)
                    .map_err(|e| WebhookError::Secret(path.display().to_string(), e.to_string()))?;
                let trimmed = text.trim_ascii_end().to_vec();
                if trimmed.is_empty() {
                    return Err(WebhookError::Secret(
                        path.display().to_string(),
                        "the file is empty".into(),
                    ));
                }
                Some(trimmed)
            }
            None => None,
        };
        Ok(WebhookConfig {
            url: url.to_string(),
            secret,
            queue_limit: QUEUE_LIMIT,
        })
    }
}

/// `sha256=` + hex HMAC-SHA256 of `body` under `secret`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    let tag = ring::hmac::sign(&key, body);
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

#[derive(Debug, Default)]
struct Queue {
    items: Mutex<VecDeque<Bytes>>,
    ready: Notify,
}

/// One webhook's queue and the task delivering it.
pub struct Webhook {
    queue: Arc<Queue>,
    limit: usize,
    stats: Arc<Stats>,
    task: JoinHandle<()>,
}

impl Webhook {
    /// Starts delivering to `config.url` (inside the tokio runtime).
    pub fn start(config: WebhookConfig, stats: Arc<Stats>) -> Self {
        let queue = Arc::new(Queue::default());
        let limit = config.queue_limit.max(1);
        let task = tokio::spawn(deliver(config, queue.clone(), stats.clone()));
        Webhook {
            queue,
            limit,
            stats,
            task,
        }
    }

    /// Queues one event's JSON; never waits. Past the bound, the oldest queued event goes.
    pub fn publish(&self, body: Bytes) {
        {
            let mut items = self.queue.items.lock().unwrap_or_else(|p| p.into_inner());
            if items.len() >= self.limit {
                items.pop_front();
                self.stats.webhook("dropped");
            }
            items.push_back(body);
        }
        self.queue.ready.notify_one();
    }

    /// Events waiting for delivery.
    pub fn queued(&self) -> usize {
        self.queue
            .items
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    /// Waits up to `limit` for the queue to empty (on exit).
    pub async fn drain(&self, limit: Duration) {
        let until = tokio::time::Instant::now() + limit;
        while self.queued() > 0 && tokio::time::Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Webhook {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What one attempt came to.
enum Attempt {
    Delivered,
    /// The receiver refused this event for good (a 4xx other than 408/429): it is dropped.
    Refused(u16),
    /// Down, slow or failing: the same event again after a pause.
    Retry,
}

async fn attempt(client: &reqwest::Client, config: &WebhookConfig, body: &Bytes) -> Attempt {
    let mut req = client
        .post(&config.url)
        .header("Content-Type", "application/json")
        .header("User-Agent", concat!("kdrift/", env!("CARGO_PKG_VERSION")))
        .body(body.clone());
    if let Some(secret) = &config.secret {
        req = req.header(SIGNATURE_HEADER, signature(secret, body));
    }
    match req.send().await {
        Ok(answer) if answer.status().is_success() => Attempt::Delivered,
        Ok(answer) => {
            let code = answer.status().as_u16();
            if (400..500).contains(&code) && code != 408 && code != 429 {
                Attempt::Refused(code)
            } else {
                Attempt::Retry
            }
        }
        Err(_) => Attempt::Retry,
    }
}

async fn deliver(config: WebhookConfig, queue: Arc<Queue>, stats: Arc<Stats>) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = match reqwest::Client::builder()
        .timeout(DELIVERY_LIMIT)
        .connect_timeout(DELIVERY_LIMIT)
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(webhook = %redacted(&config.url), error = %e, "no HTTP client");
            return;
        }
    };
    let mut backoff = BACKOFF_FIRST;
    loop {
        let head = queue
            .items
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .front()
            .cloned();
        let Some(body) = head else {
            queue.ready.notified().await;
            continue;
        };
        match attempt(&client, &config, &body).await {
            Attempt::Delivered => {
                stats.webhook("delivered");
                backoff = BACKOFF_FIRST;
            }
            Attempt::Refused(code) => {
                stats.webhook("refused");
                tracing::warn!(webhook = %redacted(&config.url), code, "event refused; dropped");
            }
            Attempt::Retry => {
                stats.webhook("failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(BACKOFF_LAST);
                continue;
            }
        }
        // delivered or refused: that event is done (it is still the head: publish only appends,
        // and drops from the front only past the bound, when it may already be gone)
        let mut items = queue.items.lock().unwrap_or_else(|p| p.into_inner());
        if items.front() == Some(&body) {
            items.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_in_hex() {
        // RFC 4231 test case 2
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[tokio::test]
    async fn a_receiver_that_never_comes_back_holds_at_most_the_bound() {
        let metrics = Arc::new(Stats::new());
        let config = WebhookConfig {
            // nothing listens on the discard port of loopback: every attempt is refused
            url: "http://127.0.0.1:9/hook".into(),
            secret: None,
            queue_limit: 100,
        };
        let hook = Webhook::start(config, metrics.clone());
        for i in 0..1_000 {
            hook.publish(Bytes::from(format!("{{\"n\":{i}}}")));
        }
        assert!(hook.queued() <= 100, "{}", hook.queued());
        let newest = hook.queue.items.lock().unwrap().back().cloned().unwrap();
        assert_eq!(newest, Bytes::from("{\"n\":999}"), "the newest are kept");
        assert!(
            metrics
                .encode()
                .contains("kdrift_webhook_deliveries_total{result=\"dropped\"} 900"),
            "{}",
            metrics.encode()
        );
    }

    #[test]
    fn a_webhook_url_is_named_without_its_secret_path() {
        assert_eq!(
            redacted("https://user:pw@hooks.example.com:8443/services/T000/B000/XXXX"),
            "https://hooks.example.com:8443"
        );
        assert!(matches!(
            WebhookConfig::new("ftp://x", None),
            Err(WebhookError::Url(..))
        ));
    }
}
