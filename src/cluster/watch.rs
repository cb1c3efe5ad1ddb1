//! One kube-rs watcher per kind git declares. Errors are items: the watcher backs off and re-lists,
//! and the UI is told the watch is reconnecting instead of showing stale state as current.

use super::now_ms;
use super::resolve::Resolver;
use crate::app::{KubeMsg, Msg};
use crate::model::{Gvk, WatchState};
use futures::StreamExt;
use kube::api::{Api, DynamicObject};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event, watcher};
use serde_json::Value;
use tokio::sync::mpsc::Sender;
use tokio::task::JoinHandle;

pub fn spawn_watch(resolver: Resolver, gvk: Gvk, tx: Sender<Msg>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let send = |m: KubeMsg| {
            let tx = tx.clone();
            async move { tx.send(Msg::Kube(m)).await.is_ok() }
        };
        let ar = match resolver.resolve(&gvk).await {
            Ok((ar, _)) => ar,
            Err(reason) => {
                tracing::warn!(%gvk, %reason, "cannot watch");
                send(KubeMsg::Watch {
                    gvk,
                    state: WatchState::Failed(reason),
                })
                .await;
                return;
            }
        };
        let api: Api<DynamicObject> = Api::all_with(resolver.client().clone(), &ar);
        let mut stream = watcher(api, watcher::Config::default())
            .default_backoff()
            .boxed();
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
                    KubeMsg::Listed {
                        gvk: gvk.clone(),
                        objects: std::mem::take(&mut buffer),
                    }
                }
                Ok(Event::Apply(obj)) | Ok(Event::Delete(obj)) if !healthy => {
                    // An event after an error means the stream resumed without a re-list.
                    healthy = true;
                    if !send(KubeMsg::Watch {
                        gvk: gvk.clone(),
                        state: WatchState::Live,
                    })
                    .await
                    {
                        return;
                    }
                    match object_value(obj, &gvk) {
                        Some(v) => KubeMsg::Applied(v),
                        None => continue,
                    }
                }
                Ok(Event::Apply(obj)) => match object_value(obj, &gvk) {
                    Some(v) => KubeMsg::Applied(v),
                    None => continue,
                },
                Ok(Event::Delete(obj)) => match object_value(obj, &gvk) {
                    Some(v) => KubeMsg::Deleted(v),
                    None => continue,
                },
                Err(e) => {
                    tracing::warn!(%gvk, error = %e, "watch error; backing off");
                    if forbidden(&e) {
                        send(KubeMsg::Watch {
                            gvk,
                            state: WatchState::Failed("forbidden: no list/watch permission".into()),
                        })
                        .await;
                        return;
                    }
                    if !healthy {
                        continue;
                    }
                    healthy = false;
                    KubeMsg::Watch {
                        gvk: gvk.clone(),
                        state: WatchState::Reconnecting { since_ms: now_ms() },
                    }
                }
            };
            if !send(msg).await {
                return;
            }
        }
    })
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
