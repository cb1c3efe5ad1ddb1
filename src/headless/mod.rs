//! The engine without a terminal: one pass over git and the cluster, folded through the same
//! `update` as the TUI. `kdrift check` prints it; tests assert on it.

mod check;
mod report;

pub use check::{Output, run_check};
pub use report::{CheckReport, Summary, build_report, render_text};

use crate::app::{Cmd, Keymap, KubeMsg, Msg, RepoMsg, State, WatchRequest, update};
use crate::cluster::{Resolver, object_value, prepare};
use crate::model::WatchState;
use crate::repo::Snapshot;
use kube::api::ListParams;

/// Reads every kind git declares once (same discovery and permission checks as the watchers)
/// and returns the judged state.
pub async fn evaluate(resolver: &Resolver, snapshot: Snapshot, context: &str) -> State {
    let mut state = State::new(context, Keymap::default());
    for cmd in update(&mut state, Msg::Repo(RepoMsg::Snapshot(Box::new(snapshot)))) {
        let Cmd::Watch(requests) = cmd else { continue };
        for req in requests {
            for msg in list_kind(resolver, &req).await {
                update(&mut state, Msg::Kube(msg));
            }
        }
    }
    state
}

async fn list_kind(resolver: &Resolver, req: &WatchRequest) -> Vec<KubeMsg> {
    let gvk = &req.gvk;
    let failed = |reason: String| KubeMsg::Watch {
        gvk: gvk.clone(),
        state: WatchState::Failed(reason),
    };
    let prepared = match prepare(resolver, gvk, &req.namespaces).await {
        Ok(p) => p,
        Err(reason) => return vec![failed(reason)],
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
                out.push(KubeMsg::Listed {
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
