//! What the cluster's watchers report.

use crate::model::{Gvk, WatchState};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum KubeEvent {
    /// Discovery answered: whether the kind lives in namespaces.
    Resolved {
        gvk: Gvk,
        namespaced: bool,
    },
    /// A (re-)list of one kind in one scope (`None` = all namespaces) begins: what it brings
    /// arrives in `ListPage`s and a last `Listed`, so that rows fill in page by page and no
    /// whole list is ever held at once.
    ListStarted {
        gvk: Gvk,
        namespace: Option<String>,
    },
    /// Part of the list in progress: these objects are stored; nothing is removed yet.
    ListPage {
        gvk: Gvk,
        namespace: Option<String>,
        objects: Vec<Value>,
    },
    /// A list is complete; `objects` is its last part (after a `ListStarted`) or the whole list.
    /// Every stored object of that kind in that scope the list did not bring is removed.
    Listed {
        gvk: Gvk,
        namespace: Option<String>,
        objects: Vec<Value>,
    },
    /// The user may not list/watch this kind in this scope (`None` = anywhere).
    Forbidden {
        gvk: Gvk,
        namespace: Option<String>,
    },
    Applied(Value),
    Deleted(Value),
    Watch {
        gvk: Gvk,
        state: WatchState,
    },
    /// The server's dry-run answer for one object (stage 2).
    Confirmed(Box<super::confirm::Confirmation>),
    /// The kind's API schema: how its lists merge, which fields are quantities.
    Shape {
        gvk: Gvk,
        shape: std::sync::Arc<crate::drift::Shape>,
    },
}

/// What one watcher is asked to watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchRequest {
    pub gvk: Gvk,
    /// Label selector; set for kinds watched only to find orphans (objects with kdrift's label).
    pub selector: Option<String>,
    /// Replace a running watcher of this kind (its list must be taken again).
    pub restart: bool,
    /// Namespaces git declares objects of this kind in; used when cluster-wide watching is forbidden.
    pub namespaces: Vec<String>,
}
