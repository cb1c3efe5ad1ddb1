//! Container log buffers (bounded ring per container, with a broadcast for
//! followers) and the `pods/{name}/log` endpoint.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::Response;
use serde_json::Value;
use tokio::sync::{broadcast, mpsc};

use super::Shared;
use super::http::{Ctx, SimBody, Target, stream_response, text_response};
use super::resources::{by_kind, def};
use super::status::{ApiError, ApiResult};
use super::util::{now_unix, parse_rfc3339, rfc3339_nanos};

/// Lines kept per container; older ones fall off like rotated kubelet logs.
pub const LOG_RING: usize = 500;

#[derive(Debug)]
pub struct LogLine {
    pub secs: i64,
    pub nanos: u32,
    pub text: String,
}

impl LogLine {
    fn render(&self, timestamps: bool) -> String {
        if timestamps {
            format!("{} {}\n", rfc3339_nanos(self.secs, self.nanos), self.text)
        } else {
            format!("{}\n", self.text)
        }
    }
}

struct ContainerLog {
    lines: VecDeque<Arc<LogLine>>,
    tx: broadcast::Sender<Arc<LogLine>>,
}

struct PodLogs {
    uid: String,
    containers: BTreeMap<String, ContainerLog>,
}

/// All buffers, keyed by (namespace, pod). Removing a pod drops its
/// senders, which ends every follower.
#[derive(Default)]
pub struct LogStore {
    pods: Mutex<HashMap<(String, String), PodLogs>>,
}

type Subscription = (Vec<Arc<LogLine>>, broadcast::Receiver<Arc<LogLine>>);

impl LogStore {
    /// Creates empty buffers for a pod instance that just started.
    pub fn start_pod(&self, ns: &str, pod: &str, uid: &str, containers: &[String]) {
        let containers = containers
            .iter()
            .map(|c| {
                let (tx, _) = broadcast::channel(256);
                (
                    c.clone(),
                    ContainerLog {
                        lines: VecDeque::new(),
                        tx,
                    },
                )
            })
            .collect();
        self.pods.lock().expect("log lock").insert(
            (ns.to_string(), pod.to_string()),
            PodLogs {
                uid: uid.to_string(),
                containers,
            },
        );
    }

    pub fn has_pod(&self, ns: &str, pod: &str, uid: &str) -> bool {
        self.pods
            .lock()
            .expect("log lock")
            .get(&(ns.to_string(), pod.to_string()))
            .is_some_and(|p| p.uid == uid)
    }

    /// Appends a line; false once the pod instance is gone (writers stop).
    pub fn append(&self, ns: &str, pod: &str, uid: &str, container: &str, text: String) -> bool {
        let mut pods = self.pods.lock().expect("log lock");
        let Some(p) = pods.get_mut(&(ns.to_string(), pod.to_string())) else {
            return false;
        };
        if p.uid != uid {
            return false;
        }
        let Some(c) = p.containers.get_mut(container) else {
            return false;
        };
        let (secs, nanos) = now_unix();
        let line = Arc::new(LogLine { secs, nanos, text });
        c.lines.push_back(line.clone());
        while c.lines.len() > LOG_RING {
            c.lines.pop_front();
        }
        let _ = c.tx.send(line);
        true
    }

    pub fn remove_pod(&self, ns: &str, pod: &str) {
        self.pods
            .lock()
            .expect("log lock")
            .remove(&(ns.to_string(), pod.to_string()));
    }

    /// Current lines plus a live subscription, atomically.
    fn subscribe(&self, ns: &str, pod: &str, container: &str) -> Option<Subscription> {
        let pods = self.pods.lock().expect("log lock");
        let c = pods
            .get(&(ns.to_string(), pod.to_string()))?
            .containers
            .get(container)?;
        Some((c.lines.iter().cloned().collect(), c.tx.subscribe()))
    }
}

fn container_names(pod: &Value, key: &str) -> Vec<String> {
    pod["spec"][key]
        .as_array()
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

pub fn handle_log(shared: &Arc<Shared>, ctx: &Ctx, t: &Target) -> ApiResult<Response<SimBody>> {
    let ns = t.ns.as_deref().unwrap_or_default();
    let name = t.name.as_deref().unwrap_or_default();
    let pods = by_kind("Pod");
    let pod = shared
        .get(pods, ns, name)
        .ok_or_else(|| ApiError::not_found(def(pods), name))?;
    let containers = container_names(&pod, "containers");
    let container = match ctx.q("container") {
        Some(c)
            if containers.iter().any(|x| x == c)
                || container_names(&pod, "initContainers")
                    .iter()
                    .any(|x| x == c) =>
        {
            c.to_string()
        }
        Some(c) => {
            return Err(ApiError::bad_request(format!(
                "container {c} is not valid for pod {name}"
            )));
        }
        None if containers.len() == 1 => containers[0].clone(),
        None => {
            return Err(ApiError::bad_request(format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                containers.join(" ")
            )));
        }
    };
    if ctx.flag("previous") {
        return Err(ApiError::bad_request(format!(
            "previous terminated container \"{container}\" in pod \"{name}\" not found"
        )));
    }
    let Some((lines, live)) = shared.logs.subscribe(ns, name, &container) else {
        return Err(ApiError::bad_request(format!(
            "container \"{container}\" in pod \"{name}\" is waiting to start: ContainerCreating"
        )));
    };

    let timestamps = ctx.flag("timestamps");
    let now = now_unix().0;
    let since = ctx
        .q("sinceSeconds")
        .and_then(|s| s.parse::<i64>().ok())
        .map(|s| now - s)
        .or_else(|| ctx.q("sinceTime").and_then(parse_rfc3339));
    let mut selected: Vec<&Arc<LogLine>> = lines
        .iter()
        .filter(|l| since.is_none_or(|s| l.secs >= s))
        .collect();
    if let Some(tail) = ctx.q("tailLines").and_then(|s| s.parse::<usize>().ok()) {
        let skip = selected.len().saturating_sub(tail);
        selected.drain(..skip);
    }
    let mut text: String = selected.iter().map(|l| l.render(timestamps)).collect();
    let limit = ctx.q("limitBytes").and_then(|s| s.parse::<usize>().ok());
    if let Some(limit) = limit
        && text.len() >= limit
    {
        let mut cut = limit;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        return Ok(text_response(text));
    }
    if !ctx.flag("follow") {
        return Ok(text_response(text));
    }

    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let budget = limit.map(|l| l - text.len());
    tokio::spawn(follow(tx, text, live, timestamps, budget));
    Ok(stream_response(rx, "text/plain"))
}

/// Streams the backlog, then new lines until the pod's buffer is dropped
/// (pod deleted), the client goes away, or `limitBytes` is used up.
async fn follow(
    tx: mpsc::Sender<Bytes>,
    backlog: String,
    mut live: broadcast::Receiver<Arc<LogLine>>,
    timestamps: bool,
    mut budget: Option<usize>,
) {
    if !backlog.is_empty() && tx.send(Bytes::from(backlog)).await.is_err() {
        return;
    }
    loop {
        let line = tokio::select! {
            _ = tx.closed() => return,
            l = live.recv() => match l {
                Ok(l) => l,
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return,
            },
        };
        let mut text = line.render(timestamps);
        if let Some(b) = budget.as_mut() {
            if text.len() >= *b {
                text.truncate(*b);
                let _ = tx.send(Bytes::from(text)).await;
                return;
            }
            *b -= text.len();
        }
        if tx.send(Bytes::from(text)).await.is_err() {
            return;
        }
    }
}
