//! Watch streams: newline-delimited JSON events, resumable from a
//! resourceVersion within the store's history, with periodic bookmarks.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::Response;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use super::Shared;
use super::crud::filter_from;
use super::http::{Ctx, SimBody, Target, stream_response};
use super::resources::{ResId, def};
use super::selectors::Filter;
use super::status::{ApiError, ApiResult};
use super::store::{Event, EventType};

/// How often a watch with `allowWatchBookmarks` reports its progress.
const BOOKMARK_INTERVAL: Duration = Duration::from_secs(5);
/// Without `timeoutSeconds` the apiserver ends watches after 30-60 minutes.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1800);

struct WatchSpec {
    res: ResId,
    ns: Option<String>,
    filter: Filter,
    metadata_only: bool,
    bookmarks: bool,
}

impl WatchSpec {
    fn line(&self, etype: &str, obj: &Value) -> Bytes {
        let obj = if self.metadata_only {
            json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": obj["metadata"]})
        } else {
            obj.clone()
        };
        let mut out =
            serde_json::to_vec(&json!({"type": etype, "object": obj})).unwrap_or_default();
        out.push(b'\n');
        Bytes::from(out)
    }

    fn bookmark(&self, rv: u64, initial_end: bool) -> Bytes {
        let d = def(self.res);
        let mut meta = json!({"resourceVersion": rv.to_string()});
        if initial_end {
            meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let obj = json!({"kind": d.kind, "apiVersion": d.api_version(), "metadata": meta});
        let mut out =
            serde_json::to_vec(&json!({"type": "BOOKMARK", "object": obj})).unwrap_or_default();
        out.push(b'\n');
        Bytes::from(out)
    }

    /// The event as this watcher sees it: an object that starts or stops
    /// matching the selectors appears as ADDED or DELETED.
    fn translate<'a>(&self, ev: &'a Event) -> Option<(&'static str, &'a Value)> {
        if ev.res != self.res || self.ns.as_ref().is_some_and(|ns| *ns != ev.ns) {
            return None;
        }
        let now = self.filter.matches(&ev.object);
        let etype = match ev.etype {
            EventType::Added => now.then_some("ADDED"),
            EventType::Deleted => now.then_some("DELETED"),
            EventType::Modified => {
                let before = ev.prev.as_ref().is_some_and(|p| self.filter.matches(p));
                match (before, now) {
                    (true, true) => Some("MODIFIED"),
                    (false, true) => Some("ADDED"),
                    (true, false) => Some("DELETED"),
                    (false, false) => None,
                }
            }
        }?;
        Some((etype, &ev.object))
    }
}

fn expired_line(rv: u64, floor: u64) -> Bytes {
    let status = ApiError::expired(format!("too old resource version: {rv} ({floor})")).to_json();
    let mut out =
        serde_json::to_vec(&json!({"type": "ERROR", "object": status})).unwrap_or_default();
    out.push(b'\n');
    Bytes::from(out)
}

pub fn handle_watch(shared: &Arc<Shared>, ctx: &Ctx, t: &Target) -> ApiResult<Response<SimBody>> {
    let spec = WatchSpec {
        res: t.res,
        ns: t.ns.clone(),
        filter: filter_from(ctx)?,
        metadata_only: ctx.wants_metadata(),
        bookmarks: ctx.flag("allowWatchBookmarks"),
    };
    let send_initial_end = ctx.flag("sendInitialEvents");
    let timeout = ctx
        .q("timeoutSeconds")
        .and_then(|s| s.parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_TIMEOUT);
    let from_rv = match ctx.q("resourceVersion") {
        None | Some("0") => None,
        Some(s) => Some(
            s.parse::<u64>()
                .map_err(|_| ApiError::bad_request(format!("invalid resource version: {s:?}")))?,
        ),
    };

    let (tx, rx) = mpsc::channel::<Bytes>(256);
    // Snapshot (or backlog) and subscription are taken under one lock so
    // the stream has no gap and no duplicate.
    let (initial, backlog, live, start_rv) = {
        let store = shared.store.lock().expect("store lock");
        match from_rv {
            None => (
                store.list(t.res, t.ns.as_deref()),
                Vec::new(),
                store.subscribe(),
                store.current_rv(),
            ),
            Some(rv) => match store.subscribe_from(rv) {
                Ok((backlog, live)) => (Vec::new(), backlog, live, rv),
                Err(floor) => {
                    // Kubernetes answers 200 and reports the expiry in-stream.
                    let _ = tx.try_send(expired_line(rv, floor));
                    return Ok(stream_response(rx, "application/json"));
                }
            },
        }
    };
    tokio::spawn(run_watch(
        spec,
        tx,
        initial,
        backlog,
        live,
        start_rv,
        send_initial_end,
        timeout,
    ));
    Ok(stream_response(rx, "application/json"))
}

#[allow(clippy::too_many_arguments)]
async fn run_watch(
    spec: WatchSpec,
    tx: mpsc::Sender<Bytes>,
    initial: Vec<Arc<Value>>,
    backlog: Vec<Arc<Event>>,
    mut live: broadcast::Receiver<Arc<Event>>,
    start_rv: u64,
    send_initial_end: bool,
    timeout: Duration,
) {
    let mut last_rv = start_rv;
    for obj in initial.iter().filter(|o| spec.filter.matches(o)) {
        if tx.send(spec.line("ADDED", obj)).await.is_err() {
            return;
        }
    }
    if send_initial_end && tx.send(spec.bookmark(start_rv, true)).await.is_err() {
        return;
    }
    for ev in backlog {
        last_rv = ev.rv;
        if let Some((etype, obj)) = spec.translate(&ev)
            && tx.send(spec.line(etype, obj)).await.is_err()
        {
            return;
        }
    }
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    let mut ticker = tokio::time::interval_at(
        tokio::time::Instant::now() + BOOKMARK_INTERVAL,
        BOOKMARK_INTERVAL,
    );
    loop {
        let line = tokio::select! {
            _ = &mut deadline => return,
            _ = tx.closed() => return,
            _ = ticker.tick(), if spec.bookmarks => Some(spec.bookmark(last_rv, false)),
            ev = live.recv() => match ev {
                Ok(ev) if ev.rv <= last_rv => None,
                Ok(ev) => {
                    last_rv = ev.rv;
                    spec.translate(&ev).map(|(etype, obj)| spec.line(etype, obj))
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    // Too slow to keep up: make the client re-list.
                    let _ = tx.send(expired_line(last_rv, last_rv)).await;
                    return;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
        };
        if let Some(line) = line
            && tx.send(line).await.is_err()
        {
            return;
        }
    }
}
