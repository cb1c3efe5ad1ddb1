//! What the cluster's watchers report.

use crate::model::{Gvk, WatchState};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;

/// Where one list (and the watch after it) reads a kind.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// All namespaces, or a cluster-scoped kind.
    All,
    /// One namespace.
    Namespace(String),
    /// kdrift's own objects (by its label) in every namespace but these, which have watches of
    /// their own: the orphan sweep of a kind watched per namespace. Best effort, like the
    /// orphan-only kinds: its health is not the user's concern.
    Outside(Arc<BTreeSet<String>>),
}

impl Scope {
    /// The scope of one namespace, or of all (`None`).
    pub fn of(namespace: Option<String>) -> Self {
        namespace.map_or(Scope::All, Scope::Namespace)
    }

    /// Whether an object in `namespace` (`None`: cluster-scoped) is read by this scope.
    pub fn holds(&self, namespace: Option<&str>) -> bool {
        match (self, namespace) {
            (Scope::All, _) => true,
            (Scope::Namespace(n), Some(ns)) => n == ns,
            (Scope::Outside(covered), Some(ns)) => !covered.contains(ns),
            (_, None) => false,
        }
    }

    /// The orphan sweep, whose trouble is never shown.
    pub fn is_sweep(&self) -> bool {
        matches!(self, Scope::Outside(_))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum KubeEvent {
    /// Discovery answered: whether the kind lives in namespaces.
    Resolved {
        gvk: Gvk,
        namespaced: bool,
    },
    /// A (re-)list of one kind in one scope begins: what it brings
    /// arrives in `ListPage`s and a last `Listed`, so that rows fill in page by page and no
    /// whole list is ever held at once.
    ListStarted {
        gvk: Gvk,
        scope: Scope,
    },
    /// Part of the list in progress: these objects are stored; nothing is removed yet.
    ListPage {
        gvk: Gvk,
        scope: Scope,
        objects: Vec<Value>,
    },
    /// A list is complete; `objects` is its last part (after a `ListStarted`) or the whole list.
    /// Every stored object of that kind in that scope the list did not bring is removed.
    Listed {
        gvk: Gvk,
        scope: Scope,
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
        shape: Arc<crate::drift::Shape>,
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
    /// Namespaces git declares objects of this kind in: watched one by one when they are few
    /// (`NAMESPACE_WATCHES`) or when cluster-wide watching is forbidden.
    pub namespaces: Vec<String>,
}
