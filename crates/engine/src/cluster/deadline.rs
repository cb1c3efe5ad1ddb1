//! Every request to the API server has a deadline (`--request-timeout`, default 30 s): a server
//! that accepts and never answers turns into an error naming what waited, never a hang. Watches
//! are not requests: kube-rs keeps them alive (and resumes them) with its own timeouts.

use super::error::ClusterError;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

static LIMIT_MS: AtomicU64 = AtomicU64::new(30_000);

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
