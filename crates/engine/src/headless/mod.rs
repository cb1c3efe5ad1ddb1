//! The engine without a terminal: one pass over git and the cluster into an [`Inventory`],
//! folded by the same rules as the TUI's live one. `kdrift check` prints it; tests assert on it.

mod report;

pub use report::{CheckReport, ResourceEntry, Summary, render_text};

use crate::cluster::{KubeEvent, Resolver, WatchRequest, object_value, prepare};
use crate::inventory::{Fact, Inventory};
use crate::model::WatchState;
use crate::repo::{RepoEvent, Snapshot};
use kube::api::ListParams;

/// Reads every kind git declares once (same discovery and permission checks as the watchers)
/// and returns the judged inventory.
pub async fn evaluate(resolver: &Resolver, snapshot: Snapshot) -> Inventory {
    let mut inventory = Inventory::default();
    for fact in inventory.on_repo(RepoEvent::Snapshot(Box::new(snapshot))) {
        let Fact::Watch(requests) = fact else {
            continue;
        };
        for req in requests {
            for event in list_once(resolver, &req).await {
                inventory.on_kube(event);
            }
        }
    }
    inventory
}

/// What a watcher of `req` would report up to its first full list, read with one list per
/// allowed scope: discovery and permission notes, then the lists (or why the kind failed).
pub async fn list_once(resolver: &Resolver, req: &WatchRequest) -> Vec<KubeEvent> {
    let gvk = &req.gvk;
    let failed = |reason: String| KubeEvent::Watch {
        gvk: gvk.clone(),
        state: WatchState::Failed(reason),
    };
    let prepared = match prepare(resolver, gvk, &req.namespaces).await {
        Ok(p) => p,
        Err(e) => return vec![failed(e.to_string())],
    };
    let mut out = prepared.notes;
    if prepared.scopes.is_empty() {
        out.push(failed("forbidden: no list/watch permission".into()));
        return out;
    }
    for (namespace, api) in prepared.scopes {
        let mut params = ListParams::default();
        if let Some(selector) = &req.selector {
            params = params.labels(selector);
        }
        match api.list(&params).await {
            Ok(list) => {
                let objects = list
                    .items
                    .into_iter()
                    .filter_map(|o| object_value(o, gvk))
                    .collect();
                out.push(KubeEvent::Listed {
                    gvk: gvk.clone(),
                    namespace,
                    objects,
                });
            }
            Err(e) => out.push(failed(format!("listing {gvk}: {e}"))),
        }
    }
    out
}
