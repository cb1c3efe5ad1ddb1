//! The engine without a terminal: one pass over git and the cluster into an [`Inventory`],
//! folded by the same rules as the TUI's live one. `kdrift check` prints it; tests assert on it.

mod report;

pub use report::{CheckReport, ResourceEntry, Summary, render_text};

use crate::cluster::{
    ClusterError, ConfirmRequest, Confirmed, KubeEvent, LIST_PAGE, Reader, Resolver, WatchRequest,
    confirm, object_value, prepare, within,
};
use crate::drift::IgnoreRules;
use crate::inventory::{Fact, Inventory};
use crate::model::{Gvk, ResourceKey, WatchState};
use crate::repo::{RepoEvent, Snapshot};
use futures::StreamExt;
use kube::api::ListParams;
use std::collections::HashMap;

/// Dry-runs `check` has in flight at once.
const CONFIRMING: usize = 8;

/// Reads every kind git declares once (same discovery and permission checks as the watchers),
/// has the server confirm what the local compare calls drift, and returns the judged inventory.
pub async fn evaluate(resolver: &Resolver, snapshot: Snapshot) -> Inventory {
    evaluate_with(resolver, snapshot, IgnoreRules::default()).await
}

/// `evaluate` with the user's own ignore rules (the repo's come with the snapshot).
pub async fn evaluate_with(
    resolver: &Resolver,
    snapshot: Snapshot,
    rules: IgnoreRules,
) -> Inventory {
    let mut inventory = Inventory::with_server_checks();
    inventory.set_user_rules(rules);
    let mut to_confirm = Vec::new();
    for fact in inventory.on_repo(RepoEvent::Snapshot(Box::new(snapshot))) {
        let Fact::Watch(requests) = fact else {
            continue;
        };
        for req in requests {
            list_pages(resolver, &req, |event| {
                to_confirm.extend(confirm_requests(inventory.on_kube(event)));
            })
            .await;
        }
    }
    // an object that moved on (its status changes all the time) is read again, a few times
    let mut rereads: HashMap<ResourceKey, usize> = HashMap::new();
    while !to_confirm.is_empty() {
        let answers: Vec<_> = futures::stream::iter(std::mem::take(&mut to_confirm))
            .map(|req| confirm(resolver, req))
            .buffer_unordered(CONFIRMING)
            .collect()
            .await;
        for answer in answers {
            let stale = (answer.outcome == Confirmed::Stale).then(|| answer.key.clone());
            let facts = inventory.on_kube(KubeEvent::Confirmed(Box::new(answer)));
            to_confirm.extend(confirm_requests(facts));
            let Some(key) = stale else { continue };
            let tries = rereads.entry(key.clone()).or_default();
            *tries += 1;
            if *tries <= REREADS
                && let Some(fresh) = read_one(resolver, &key).await
            {
                to_confirm.extend(confirm_requests(
                    inventory.on_kube(KubeEvent::Applied(fresh)),
                ));
            }
        }
    }
    inventory
}

/// Times one object is read again when it keeps moving under its dry-run.
const REREADS: usize = 3;

async fn read_one(resolver: &Resolver, key: &ResourceKey) -> Option<serde_json::Value> {
    let api = resolver
        .api_for(&key.gvk(), key.namespace.as_deref())
        .await
        .ok()?;
    let call = async {
        api.get(&key.name)
            .await
            .map_err(|e| ClusterError::from_kube(&e))
    };
    let obj = within(|| format!("reading {key}"), call).await.ok()?;
    object_value(obj, &key.gvk())
}

fn confirm_requests(facts: Vec<Fact>) -> Vec<ConfirmRequest> {
    facts
        .into_iter()
        .filter_map(|f| match f {
            Fact::Confirm(requests) => Some(requests),
            _ => None,
        })
        .flatten()
        .collect()
}

/// What a watcher of `req` would report up to its first full list, read with one paged list per
/// allowed scope: discovery and permission notes, then the lists (or why the kind failed).
pub async fn list_once(resolver: &Resolver, req: &WatchRequest) -> Vec<KubeEvent> {
    let mut out = Vec::new();
    list_pages(resolver, req, |event| out.push(event)).await;
    out
}

/// `list_once`, handing each event on as it comes: a list is folded page by page
/// (`ListStarted`, `ListPage`s, `Listed`), never held whole.
pub async fn list_pages(resolver: &Resolver, req: &WatchRequest, mut out: impl FnMut(KubeEvent)) {
    let gvk = &req.gvk;
    let failed = |reason: String| KubeEvent::Watch {
        gvk: gvk.clone(),
        state: WatchState::Failed(reason),
    };
    let prepared = match prepare(resolver, gvk, req.selector.as_deref(), &req.namespaces).await {
        Ok(p) => p,
        Err(e) => return out(failed(e.to_string())),
    };
    for note in prepared.notes {
        out(note);
    }
    if prepared.readers.is_empty() {
        return out(failed("forbidden: no list/watch permission".into()));
    }
    // as the watcher does: the schema first, so the lists are judged with it
    if req.selector.is_none()
        && let Some(shape) = resolver.shape(gvk).await
    {
        out(KubeEvent::Shape {
            gvk: gvk.clone(),
            shape,
        });
    }
    // as the watcher does: every scope announced first, the kind listing until all are done
    for reader in &prepared.readers {
        out(KubeEvent::ListStarted {
            gvk: gvk.clone(),
            scope: reader.scope.clone(),
        });
    }
    for reader in prepared.readers {
        match list_scope(&reader, gvk, &mut out).await {
            // the orphan sweep is best effort, as in the watcher
            Err(_) if reader.scope.is_sweep() => {}
            Err(e) => out(failed(format!("listing {gvk}: {e}"))),
            Ok(()) => {}
        }
    }
}

/// Times a list starts over when its continue token expired (410) between pages.
const RELISTS: usize = 3;

/// One scope's list, page by page, each page a request with the request deadline.
async fn list_scope(
    reader: &Reader,
    gvk: &Gvk,
    out: &mut impl FnMut(KubeEvent),
) -> Result<(), ClusterError> {
    let mut relists = 0;
    'list: loop {
        out(KubeEvent::ListStarted {
            gvk: gvk.clone(),
            scope: reader.scope.clone(),
        });
        let mut token: Option<String> = None;
        loop {
            let mut params = ListParams::default().limit(LIST_PAGE as u32);
            if let Some(selector) = &reader.selector {
                params = params.labels(selector);
            }
            if let Some(token) = &token {
                params = params.continue_token(token);
            }
            let call = async {
                reader
                    .api
                    .list(&params)
                    .await
                    .map_err(|e| ClusterError::from_kube(&e))
            };
            let list = match within(|| format!("listing {gvk}"), call).await {
                Ok(list) => list,
                Err(e) if e.code() == Some(410) && token.is_some() && relists < RELISTS => {
                    relists += 1;
                    continue 'list;
                }
                Err(e) => return Err(e),
            };
            token = list.metadata.continue_.filter(|t| !t.is_empty());
            let objects = list
                .items
                .into_iter()
                .filter(|o| reader.keeps(o))
                .filter_map(|o| object_value(o, gvk))
                .collect();
            let (gvk, scope) = (gvk.clone(), reader.scope.clone());
            if token.is_none() {
                out(KubeEvent::Listed {
                    gvk,
                    scope,
                    objects,
                });
                return Ok(());
            }
            out(KubeEvent::ListPage {
                gvk,
                scope,
                objects,
            });
        }
    }
}
