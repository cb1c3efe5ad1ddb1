//! Follows the logs of every pod a workload selects, picking up new pods as they appear (like stern),
//! and hands lines to the core in batches so a chatty pod cannot flood it.

use crate::model::ResourceKey;
use crate::outbox::Outbox;
use crate::text::sanitize;
use futures::{AsyncBufReadExt, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use kube::api::{Api, LogParams};
use kube::runtime::watcher::{self, Event, watcher};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;
use tokio::sync::mpsc::{self, Sender};

/// One line a pod wrote, already stripped of anything that could drive a terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub pod: String,
    pub text: String,
}

/// What the log follower reports, always naming the workload it follows.
#[derive(Debug, Clone, PartialEq)]
pub enum LogEvent {
    Lines {
        target: ResourceKey,
        lines: Vec<LogLine>,
    },
    Status {
        target: ResourceKey,
        text: String,
    },
}

/// Whose logs to follow: the pods a workload selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogTarget {
    pub key: ResourceKey,
    pub namespace: String,
    pub selector: BTreeMap<String, String>,
}
use tokio::task::{JoinHandle, JoinSet};

const BATCH_EVERY: Duration = Duration::from_millis(100);
const TAIL_LINES: i64 = 30;
/// Backoff ceiling for opening a pod's log (about 6 s of retries in all).
const MAX_OPEN_DELAY: Duration = Duration::from_secs(3);

/// Runs until aborted; aborting drops the per-pod streams with it.
pub fn follow_logs(client: Client, target: LogTarget, out: Outbox<LogEvent>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let pods: Api<Pod> = Api::namespaced(client, &target.namespace);
        let selector = target
            .selector
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",");
        let (line_tx, mut line_rx) = mpsc::channel::<LogLine>(4096);
        let mut streams = JoinSet::new();
        let mut following: HashSet<String> = HashSet::new();
        let mut events = watcher(
            pods.clone(),
            watcher::Config::default()
                .labels(&selector)
                .timeout(super::deadline::watch_timeout_secs()),
        )
        .boxed();
        let mut batch = Vec::new();
        // Armed only while a batch is pending, so an idle pane costs no wake-ups.
        let mut deadline = tokio::time::Instant::now();
        let status = |text: String| LogEvent::Status {
            target: target.key.clone(),
            text,
        };
        loop {
            tokio::select! {
                ev = events.next() => match ev {
                    Some(Ok(Event::Apply(pod) | Event::InitApply(pod))) => {
                        let name = pod.metadata.name.clone().unwrap_or_default();
                        let running = pod.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running");
                        if running && following.insert(name.clone()) {
                            let container = pod.spec.as_ref().and_then(|s| s.containers.first()).map(|c| c.name.clone());
                            streams.spawn(stream_pod(pods.clone(), name, container, line_tx.clone()));
                            let text = format!("following {} pod(s)", following.len());
                            if !out.send(status(text)).await { return; }
                        }
                    }
                    Some(Ok(Event::Delete(pod))) => {
                        following.remove(&pod.metadata.name.unwrap_or_default());
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => {
                        if !out.send(status(format!("pods: {e}"))).await { return; }
                    }
                    None => return,
                },
                Some(line) = line_rx.recv() => {
                    if batch.is_empty() {
                        deadline = tokio::time::Instant::now() + BATCH_EVERY;
                    }
                    batch.push(line);
                }
                _ = tokio::time::sleep_until(deadline), if !batch.is_empty() => {
                    let lines = std::mem::take(&mut batch);
                    if !out.send(LogEvent::Lines { target: target.key.clone(), lines }).await {
                        return;
                    }
                }
            }
        }
    })
}

async fn stream_pod(pods: Api<Pod>, name: String, container: Option<String>, out: Sender<LogLine>) {
    let mut params = LogParams {
        follow: true,
        tail_lines: Some(TAIL_LINES),
        container,
        ..LogParams::default()
    };
    // A quiet pod's stream ends when the connection has been silent for the client's read
    // timeout (`watch_idle`); it is opened again for new lines only, until the pod is gone.
    loop {
        if !follow_once(&pods, &name, &params, &out).await {
            return;
        }
        params.tail_lines = Some(0);
    }
}

/// One log stream of a pod to its end; whether it is worth opening again.
async fn follow_once(
    pods: &Api<Pod>,
    name: &str,
    params: &LogParams,
    out: &Sender<LogLine>,
) -> bool {
    // A pod can report Running before its container's log is readable (the API answers 400
    // "waiting to start"), so opening is retried with backoff; a vanished pod (404) ends it.
    let mut delay = Duration::from_millis(200);
    let reader = loop {
        match pods.log_stream(name, params).await {
            Ok(reader) => break reader,
            Err(kube::Error::Api(s)) if s.code == 404 => return false,
            Err(e) if delay > MAX_OPEN_DELAY => {
                tracing::warn!(pod = %name, error = %e, "giving up on logs");
                return false;
            }
            Err(_) => {
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
    };
    let opened = std::time::Instant::now();
    let mut reader = std::pin::pin!(reader);
    while let Some(line) = bounded_line(&mut reader).await {
        let line = LogLine {
            pod: name.to_string(),
            text: sanitize(&line),
        };
        if out.send(line).await.is_err() {
            return false;
        }
    }
    // Only a stream that ran into the read timeout is opened again: one that ended sooner is a
    // container that stopped (following it again would wake every second for nothing).
    opened.elapsed() >= super::deadline::watch_idle() / 2 && !out.is_closed()
}

/// Bytes kept of one log line; the rest of it is skipped (a pod printing without newlines must
/// not grow memory).
pub const MAX_LINE_BYTES: usize = 16 * 1024;

/// The next line (without its newline), at most `MAX_LINE_BYTES` of it with `…` when cut;
/// None at the end of the stream or on an error.
async fn bounded_line<R: futures::AsyncBufRead + Unpin>(reader: &mut R) -> Option<String> {
    let mut kept: Vec<u8> = Vec::new();
    let mut cut = false;
    let mut any = false;
    loop {
        let chunk = reader.fill_buf().await.ok()?;
        if chunk.is_empty() {
            return any.then(|| finish(kept, cut));
        }
        any = true;
        let (part, newline) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (&chunk[..i], Some(i)),
            None => (chunk, None),
        };
        let room = MAX_LINE_BYTES.saturating_sub(kept.len());
        if part.len() > room {
            cut = true;
        }
        kept.extend_from_slice(&part[..part.len().min(room)]);
        let used = newline.map_or(chunk.len(), |i| i + 1);
        reader.consume_unpin(used);
        if newline.is_some() {
            return Some(finish(kept, cut));
        }
    }
}

fn finish(kept: Vec<u8>, cut: bool) -> String {
    let mut text = String::from_utf8_lossy(&kept).into_owned();
    if text.ends_with('\r') {
        text.pop();
    }
    if cut {
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_are_bounded_and_the_rest_of_a_long_one_is_skipped() {
        let long = "x".repeat(MAX_LINE_BYTES * 3);
        let input = format!("first\r\n{long}\nlast");
        let mut reader = futures::io::Cursor::new(input.into_bytes());
        assert_eq!(bounded_line(&mut reader).await.as_deref(), Some("first"));
        let cut = bounded_line(&mut reader).await.unwrap();
        assert_eq!(cut.len(), MAX_LINE_BYTES + '…'.len_utf8());
        assert!(cut.ends_with('…'));
        assert_eq!(bounded_line(&mut reader).await.as_deref(), Some("last"));
        assert_eq!(bounded_line(&mut reader).await, None);
    }
}
