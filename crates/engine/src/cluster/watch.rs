//! One kube-rs watcher per kind git declares. Errors are items: the watcher backs off and re-lists,
//! and the UI is told the watch is reconnecting instead of showing stale state as current.

use super::events::{KubeEvent, WatchRequest};
use super::resolve::Resolver;
use super::scope::prepare;
use crate::clock::now_ms;
use crate::model::{Gvk, WatchState};
use crate::outbox::Outbox;
use futures::StreamExt;
use kube::api::{Api, DynamicObject};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event, watcher};
use serde_json::Value;
use tokio::task::{JoinHandle, JoinSet};

/// Watches one kind: resolves it, checks list/watch permission (cluster-wide, else per namespace git
/// uses), reports forbidden scopes, then runs one watcher per allowed scope until aborted.
pub fn spawn_watch(
    resolver: Resolver,
    req: WatchRequest,
    out: Outbox<KubeEvent>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let WatchRequest {
            gvk,
            selector,
            namespaces,
            ..
        } = req;
        let failed = |reason: String| KubeEvent::Watch {
            gvk: gvk.clone(),
            state: WatchState::Failed(reason),
        };
        let prepared = match prepare(&resolver, &gvk, &namespaces).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(%gvk, reason = %e, "cannot watch");
                out.send(failed(e.to_string())).await;
                return;
            }
        };
        for note in prepared.notes {
            if !out.send(note).await {
                return;
            }
        }
        // the schema before the first list, so the first verdicts already use it (kinds watched
        // only for orphans are never compared); one published a moment late is asked for again
        // a few times, and re-judges the kind when it comes
        let mut watchers = JoinSet::new();
        if selector.is_none() {
            match resolver.shape(&gvk).await {
                Some(shape) => {
                    let shape = KubeEvent::Shape {
                        gvk: gvk.clone(),
                        shape,
                    };
                    if !out.send(shape).await {
                        return;
                    }
                }
                None => {
                    watchers.spawn(late_shape(resolver.clone(), gvk.clone(), out.clone()));
                }
            }
        }
        if prepared.scopes.is_empty() {
            out.send(failed("forbidden: no list/watch permission".into()))
                .await;
            return;
        }
        // Dropping the set (when this task is aborted) aborts every scope's watcher with it.
        for (namespace, api) in prepared.scopes {
            watchers.spawn(watch_scope(
                api,
                gvk.clone(),
                namespace,
                selector.clone(),
                out.clone(),
            ));
        }
        while watchers.join_next().await.is_some() {}
    })
}

/// Asks for a kind's schema again, a little later each time, until the server has it.
async fn late_shape(resolver: Resolver, gvk: Gvk, out: Outbox<KubeEvent>) {
    for wait in [6, 15, 60] {
        tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
        if let Some(shape) = resolver.shape(&gvk).await {
            out.send(KubeEvent::Shape { gvk, shape }).await;
            return;
        }
    }
}

async fn watch_scope(
    api: Api<DynamicObject>,
    gvk: Gvk,
    namespace: Option<String>,
    selector: Option<String>,
    out: Outbox<KubeEvent>,
) {
    let send = |e: KubeEvent| out.send(e);
    let mut config = watcher::Config::default();
    if let Some(selector) = &selector {
        config = config.labels(selector);
    }
    let mut stream = watcher(api, config).default_backoff().boxed();
    let mut buffer: Vec<Value> = Vec::new();
    let mut healthy = true;
    while let Some(item) = stream.next().await {
        let msg = match item {
            Ok(Event::Init) => {
                buffer.clear();
                continue;
            }
            Ok(Event::InitApply(obj)) => {
                buffer.extend(object_value(obj, &gvk));
                continue;
            }
            Ok(Event::InitDone) => {
                healthy = true;
                KubeEvent::Listed {
                    gvk: gvk.clone(),
                    namespace: namespace.clone(),
                    objects: std::mem::take(&mut buffer),
                }
            }
            Ok(Event::Apply(obj)) | Ok(Event::Delete(obj)) if !healthy => {
                // An event after an error means the stream resumed without a re-list.
                healthy = true;
                if !send(KubeEvent::Watch {
                    gvk: gvk.clone(),
                    state: WatchState::Live,
                })
                .await
                {
                    return;
                }
                match object_value(obj, &gvk) {
                    Some(v) => KubeEvent::Applied(v),
                    None => continue,
                }
            }
            Ok(Event::Apply(obj)) => match object_value(obj, &gvk) {
                Some(v) => KubeEvent::Applied(v),
                None => continue,
            },
            Ok(Event::Delete(obj)) => match object_value(obj, &gvk) {
                Some(v) => KubeEvent::Deleted(v),
                None => continue,
            },
            Err(e) => {
                tracing::warn!(%gvk, error = %e, "watch error; backing off");
                if forbidden(&e) {
                    send(KubeEvent::Forbidden { gvk, namespace }).await;
                    return;
                }
                if !healthy {
                    continue;
                }
                healthy = false;
                KubeEvent::Watch {
                    gvk: gvk.clone(),
                    state: WatchState::Reconnecting { since_ms: now_ms() },
                }
            }
        };
        if !send(msg).await {
            return;
        }
    }
}

fn forbidden(e: &watcher::Error) -> bool {
    matches!(e, watcher::Error::InitialListFailed(kube::Error::Api(s)) | watcher::Error::WatchStartFailed(kube::Error::Api(s)) if s.code == 403)
}

/// The object as JSON with its apiVersion and kind, which the API server leaves out of list items.
pub fn object_value(obj: DynamicObject, gvk: &Gvk) -> Option<Value> {
    let mut value = serde_json::to_value(obj).ok()?;
    let map = value.as_object_mut()?;
    let api_version = if gvk.group.is_empty() {
        gvk.version.clone()
    } else {
        format!("{}/{}", gvk.group, gvk.version)
    };
    map.entry("apiVersion")
        .or_insert(Value::String(api_version));
    map.entry("kind").or_insert(Value::String(gvk.kind.clone()));
    Some(value)
}
