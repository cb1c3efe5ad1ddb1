//! The cluster side: discovery, watchers, server-side apply and log streams, all through kube-rs.

mod access;
mod apply;
mod confirm;
mod connect;
mod deadline;
mod error;
mod events;
mod logs;
mod object_events;
mod refusal;
mod resolve;
mod schema;
mod scope;
mod stuck;
mod watch;

pub use access::{WatchScopes, can, watch_scopes};
pub use apply::{
    ApplyOptions, DeleteOptions, apply_object, crd_established, delete_object, dry_run_apply,
    get_object, wait_discoverable, wait_for,
};
pub use confirm::{
    ConfirmRequest, Confirmation, Confirmed, Confirmer, confirm, live_fingerprint,
    resource_version, spawn_confirmer,
};
pub use connect::connect;
pub use deadline::{request_timeout, set_request_timeout, set_watch_idle, watch_idle, within};
pub use error::{ClusterError, ConnectError};
pub use events::{KubeEvent, Scope, WatchRequest};
pub use logs::{LogEvent, LogLine, LogTarget, follow_logs};
pub use object_events::{EventFeed, EventRow, EventTarget, follow_events};
pub use refusal::Conflict;
pub use resolve::Resolver;
pub use scope::{NAMESPACE_WATCHES, Prepared, Reader, prepare};
pub use stuck::pod_trouble;
pub use watch::{LIST_PAGE, object_value, spawn_watch};
