//! One kube-rs watcher per kind git declares. Errors are items: the watcher backs off and re-lists,
//! and the UI is told the watch is reconnecting instead of showing stale state as current.

use super::error::ClusterError;
use super::events::{KubeEvent, Scope, WatchRequest};
use super::resolve::Resolver;
use super::scope::{Reader, prepare};
use crate::clock::now_ms;
use crate::model::{Gvk, WatchState};
use crate::outbox::Outbox;
use futures::StreamExt;
use kube::api::DynamicObject;
use kube::runtime::watcher::{self, Event, watcher};
use serde_json::Value;
use tokio::task::{JoinHandle, JoinSet};

/// Watches one kind: resolves it, checks list/watch permission, reports forbidden scopes, then runs
/// one watcher per scope (`prepare`: cluster-wide, or per namespace git uses) until aborted.
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
        // an unknown kind is final; a discovery or access review that failed on the way (a
        // timeout, a 5xx) is tried again with backoff, the kind "reconnecting" meanwhile
        let mut backoff = Backoff::default();
        let prepared = loop {
            match prepare(&resolver, &gvk, selector.as_deref(), &namespaces).await {
                Ok(p) => break p,
                Err(e @ ClusterError::UnknownKind { .. }) => {
                    tracing::warn!(%gvk, reason = %e, "cannot watch");
                    out.send(failed(e.to_string())).await;
                    return;
                }
                Err(e) => {
                    tracing::warn!(%gvk, reason = %e, "cannot watch yet; trying again");
                    let why = why_failed(e.code());
                    if !out.send(reconnecting(&gvk, &mut backoff, why)).await {
                        return;
                    }
                    tokio::time::sleep(backoff.next()).await;
                }
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
        if prepared.readers.is_empty() {
            out.send(failed("forbidden: no list/watch permission".into()))
                .await;
            return;
        }
        // Every scope's list is announced before any starts, so the kind stays "listing" until
        // the last of them is done (one namespace's list must not make another's rows missing).
        for reader in &prepared.readers {
            let started = KubeEvent::ListStarted {
                gvk: gvk.clone(),
                scope: reader.scope.clone(),
            };
            if !out.send(started).await {
                return;
            }
        }
        // Dropping the set (when this task is aborted) aborts every scope's watcher with it.
        for reader in prepared.readers {
            watchers.spawn(watch_scope(reader, gvk.clone(), out.clone()));
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

/// Objects per list page, asked of the server and handed on: a list is folded as it arrives
/// (rows fill in page by page) and at most a page or so of it is held on the way.
pub const LIST_PAGE: usize = 500;

async fn watch_scope(reader: Reader, gvk: Gvk, out: Outbox<KubeEvent>) {
    let mut config = watcher::Config::default()
        .timeout(super::deadline::watch_timeout_secs())
        .page_size(LIST_PAGE as u32);
    if let Some(selector) = &reader.selector {
        config = config.labels(selector);
    }
    // After an error the watch starts again from a fresh list, after a capped, jittered backoff:
    // "live" then means a complete, current list arrived, not that some object happened to
    // change (a quiet kind would otherwise stay "reconnecting" for ever, or look live while stale).
    let mut backoff = Backoff::default();
    loop {
        match watch_once(&reader, &config, &gvk, &out, &mut backoff).await {
            Ended::Stop => return,
            Ended::Failed => tokio::time::sleep(backoff.next()).await,
        }
    }
}

enum Ended {
    /// Forbidden, or nobody listens any more.
    Stop,
    /// The stream failed: start again after the backoff.
    Failed,
}

/// One watcher stream, from its first list to its first error.
async fn watch_once(
    reader: &Reader,
    config: &watcher::Config,
    gvk: &Gvk,
    out: &Outbox<KubeEvent>,
    backoff: &mut Backoff,
) -> Ended {
    let scope = &reader.scope;
    // the sweep for orphans is best effort: its outages are not the kind's
    let report = |event: KubeEvent| async move { scope.is_sweep() || out.send(event).await };
    let mut stream = watcher(reader.api.clone(), config.clone()).boxed();
    let mut buffer: Vec<Value> = Vec::new();
    // While the list is taken, each page is a request and has the request deadline: kube's own
    // read timeout (~5 min) is made for idle watches, and a server that accepted the list and
    // went silent would leave the kind "connecting" that long. Once listed, a quiet watch is
    // normal and kube keeps it (bookmarks, its idle timeout).
    let mut listing = true;
    loop {
        let next = if listing {
            let limit = super::deadline::request_timeout();
            match tokio::time::timeout(limit, stream.next()).await {
                Ok(next) => next,
                Err(_) => {
                    tracing::warn!(%gvk, "no answer to the list; listing again after a backoff");
                    let why = format!("no answer to the list in {}s", limit.as_secs());
                    if !report(reconnecting(gvk, backoff, Some(why))).await {
                        return Ended::Stop;
                    }
                    return Ended::Failed;
                }
            }
        } else {
            stream.next().await
        };
        let Some(item) = next else { break };
        let msg = match item {
            Ok(Event::Init) => {
                listing = true;
                buffer.clear();
                KubeEvent::ListStarted {
                    gvk: gvk.clone(),
                    scope: scope.clone(),
                }
            }
            Ok(Event::InitApply(obj)) => {
                if reader.keeps(&obj) {
                    buffer.extend(object_value(obj, gvk));
                }
                if buffer.len() < LIST_PAGE {
                    continue;
                }
                KubeEvent::ListPage {
                    gvk: gvk.clone(),
                    scope: scope.clone(),
                    objects: std::mem::replace(&mut buffer, Vec::with_capacity(LIST_PAGE)),
                }
            }
            Ok(Event::InitDone) => {
                listing = false;
                backoff.reset();
                KubeEvent::Listed {
                    gvk: gvk.clone(),
                    scope: scope.clone(),
                    objects: std::mem::take(&mut buffer),
                }
            }
            Ok(Event::Apply(obj) | Event::Delete(obj)) if !reader.keeps(&obj) => continue,
            Ok(Event::Apply(obj)) => match object_value(obj, gvk) {
                Some(v) => KubeEvent::Applied(v),
                None => continue,
            },
            Ok(Event::Delete(obj)) => match object_value(obj, gvk) {
                Some(v) => KubeEvent::Deleted(v),
                None => continue,
            },
            Err(e) => {
                tracing::warn!(%gvk, error = %e, "watch error; listing again after a backoff");
                if forbidden(&e) {
                    let namespace = match scope {
                        Scope::Namespace(ns) => Some(ns.clone()),
                        _ => None,
                    };
                    report(KubeEvent::Forbidden {
                        gvk: gvk.clone(),
                        namespace,
                    })
                    .await;
                    return Ended::Stop;
                }
                let why = match &e {
                    watcher::Error::InitialListFailed(k)
                    | watcher::Error::WatchStartFailed(k)
                    | watcher::Error::WatchFailed(k) => {
                        why_failed(ClusterError::from_kube(k).code())
                    }
                    _ => None,
                };
                if !report(reconnecting(gvk, backoff, why)).await {
                    return Ended::Stop;
                }
                return Ended::Failed;
            }
        };
        if !out.send(msg).await {
            return Ended::Stop;
        }
    }
    Ended::Failed
}

/// "Reconnecting since" the first failure of the current run.
fn reconnecting(gvk: &Gvk, backoff: &mut Backoff, why: Option<String>) -> KubeEvent {
    KubeEvent::Watch {
        gvk: gvk.clone(),
        state: WatchState::Reconnecting {
            since_ms: backoff.since_ms(),
            why,
        },
    }
}

/// The server's answer in a few words, when it explains the outage: an expired or revoked token
/// (401) is not fixed by waiting, a person needs to know (kube asks the kubeconfig's exec plugin
/// or token file for fresh credentials on the next attempt).
fn why_failed(code: Option<u16>) -> Option<String> {
    match code? {
        401 => Some("credentials rejected (401)".into()),
        429 => Some("throttled (429)".into()),
        code @ 500..=599 => Some(format!("server error ({code})")),
        _ => None,
    }
}

/// Waits between attempts: 0.5 s doubling to 30 s, with up to a quarter of jitter (so many kinds
/// failing together do not retry together); and since when it has been failing.
#[derive(Debug, Default)]
pub struct Backoff {
    failures: u32,
    since_ms: Option<u64>,
}

const BACKOFF_FIRST_MS: u64 = 500;
const BACKOFF_MAX_MS: u64 = 30_000;

impl Backoff {
    pub fn next(&mut self) -> std::time::Duration {
        let base = (BACKOFF_FIRST_MS << self.failures.min(10)).min(BACKOFF_MAX_MS);
        self.failures += 1;
        // jitter from the clock's low bits: enough to spread retries, no RNG needed
        let jitter = now_ms() % (base / 4 + 1);
        std::time::Duration::from_millis(base - base / 8 + jitter)
    }

    /// When the current run of failures began (now, for the first).
    pub fn since_ms(&mut self) -> u64 {
        *self.since_ms.get_or_insert_with(now_ms)
    }

    pub fn reset(&mut self) {
        self.failures = 0;
        self.since_ms = None;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_cap_with_jitter_and_remembers_since_when() {
        let mut b = Backoff::default();
        let waits: Vec<u64> = (0..12).map(|_| b.next().as_millis() as u64).collect();
        for (w, base) in waits.iter().zip([500u64, 1_000, 2_000, 4_000]) {
            assert!(
                (base - base / 8..=base + base / 8).contains(w),
                "{w} around {base}"
            );
        }
        assert!(
            waits
                .iter()
                .all(|w| *w <= BACKOFF_MAX_MS + BACKOFF_MAX_MS / 8),
            "{waits:?}"
        );
        assert!(
            waits[11] >= BACKOFF_MAX_MS - BACKOFF_MAX_MS / 8,
            "capped: {waits:?}"
        );
        let since = b.since_ms();
        assert_eq!(b.since_ms(), since, "the run's start stays");
        b.reset();
        let first = b.next().as_millis() as u64;
        assert!(
            (437..=563).contains(&first),
            "back to the first wait: {first}"
        );
    }
}
