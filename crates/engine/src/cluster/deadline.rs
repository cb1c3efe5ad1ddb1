//! Every request to the API server has a deadline (`--request-timeout`, default 30 s): a server
//! that accepts and never answers turns into an error naming what waited, never a hang. Watches
//! are not requests: the server ends each one after `watch_idle()` less a margin (kube resumes it
//! from where it was, no new list), and the client gives up on a connection silent for
//! `watch_idle()`, so a watch that stalls half-open is noticed within a minute, not kube's five.

use super::error::ClusterError;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

static LIMIT_MS: AtomicU64 = AtomicU64::new(30_000);
static WATCH_IDLE_MS: AtomicU64 = AtomicU64::new(60_000);

/// How long a connection may stay silent (the client's read timeout), and so how long the server
/// is asked to keep each watch open (a little less). Tests shorten it.
pub fn set_watch_idle(limit: Duration) {
    WATCH_IDLE_MS.store(limit.as_millis().max(2_000) as u64, Ordering::Relaxed);
}

pub fn watch_idle() -> Duration {
    Duration::from_millis(WATCH_IDLE_MS.load(Ordering::Relaxed))
}

/// The `timeoutSeconds` a watch asks for: ended by the server (cleanly) before the client's read
/// timeout could call a quiet watch stalled.
pub fn watch_timeout_secs() -> u32 {
    let idle = watch_idle().as_secs();
    (idle - (idle / 6).max(1)).max(1) as u32
}

/// Set once at start-up, from `--request-timeout`.
pub fn set_request_timeout(limit: Duration) {
    LIMIT_MS.store(limit.as_millis().max(1) as u64, Ordering::Relaxed);
}

pub fn request_timeout() -> Duration {
    Duration::from_millis(LIMIT_MS.load(Ordering::Relaxed))
}

/// `call`, or an error saying `what` got no answer in time.
pub async fn within<T>(
    what: impl FnOnce() -> String,
    call: impl Future<Output = Result<T, ClusterError>>,
) -> Result<T, ClusterError> {
    within_limit(request_timeout(), what, call).await
}

async fn within_limit<T>(
    limit: Duration,
    what: impl FnOnce() -> String,
    call: impl Future<Output = Result<T, ClusterError>>,
) -> Result<T, ClusterError> {
    match tokio::time::timeout(limit, call).await {
        Ok(result) => result,
        Err(_) => Err(ClusterError::Request(format!(
            "{}: no answer from the API server in {}s (--request-timeout)",
            what(),
            limit.as_secs()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_call_past_its_deadline_says_what_waited() {
        set_request_timeout(Duration::from_millis(20));
        let slow = async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok::<_, ClusterError>(1)
        };
        let err = within(|| "listing ConfigMaps".into(), slow)
            .await
            .unwrap_err();
        assert!(
            err.to_string().starts_with("listing ConfigMaps: no answer"),
            "{err}"
        );
        let quick = async { Ok::<_, ClusterError>(2) };
        assert_eq!(within(|| "x".into(), quick).await, Ok(2));
        set_request_timeout(Duration::from_secs(30));
    }
}
