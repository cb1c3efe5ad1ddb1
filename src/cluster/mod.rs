//! The cluster side: discovery, watchers, server-side apply and log streams, all through kube-rs.

mod access;
mod apply;
mod connect;
mod logs;
mod resolve;
mod scope;
mod watch;

pub use access::{WatchScopes, can, watch_scopes};
pub use apply::{apply_object, delete_object};
pub use connect::connect;
pub use logs::follow_logs;
pub use resolve::Resolver;
pub use scope::{Prepared, prepare};
pub use watch::{object_value, spawn_watch};

/// Millis since the epoch, for watch-state timestamps (tasks may read the clock; the core may not).
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
