//! The cluster side: discovery, watchers, server-side apply and log streams, all through kube-rs.

mod apply;
mod logs;
mod resolve;
mod watch;

pub use apply::{apply_object, delete_object};
pub use logs::follow_logs;
pub use resolve::Resolver;
pub use watch::{object_value, spawn_watch};

/// Millis since the epoch, for watch-state timestamps (tasks may read the clock; the core may not).
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
