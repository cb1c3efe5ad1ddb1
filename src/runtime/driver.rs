//! The one runtime driver: a channel of messages, the core's `update`, and the executor that
//! turns its commands into tasks. The TUI loop drives it between frames; tests drive it the
//! same way, until a condition on the state holds.

use super::executor::Executor;
use crate::app::{Msg, State, update};
use kdrift_engine::Outbox;
use kdrift_engine::clock::now_ms;
use kdrift_engine::cluster::Resolver;
use kdrift_engine::repo::{FirstRead, RepoSpec, spawn_fetcher, spawn_follower_from};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Bound on queued messages; sources wait (backpressure) rather than grow memory.
pub const CHANNEL_CAPACITY: usize = 1024;
/// At most this many messages are folded in before control returns (to draw a frame), so input
/// stays responsive however fast events arrive.
pub const MAX_BATCH: usize = 512;

pub struct Driver {
    pub state: State,
    tx: mpsc::Sender<Msg>,
    rx: mpsc::Receiver<Msg>,
    executor: Executor,
    /// The repo follower and fetcher, when `follow` started them.
    sources: Vec<JoinHandle<()>>,
    /// No screen: work only a view needs is not done (`Cmd::for_view`).
    headless: bool,
    /// Where alerts go besides the alerts view (webhooks, Alertmanager, metrics, stdout).
    outputs: Option<kdrift_alerts::Outputs>,
    /// Ring the terminal's bell on a new drift.
    bell: bool,
    /// The alerts of the last batch.
    fresh: Vec<kdrift_alerts::Envelope>,
    /// The repo as read before the driver started, for `follow` to start from.
    first_read: Option<FirstRead>,
    /// A key or a resize was folded since `take_input` last asked (its frame is not paced).
    input: bool,
}

impl Driver {
    /// Must be called inside the tokio runtime.
    pub fn new(state: State, resolver: Resolver) -> Self {
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let executor = Executor::new(resolver, tx.clone());
        Self {
            state,
            tx,
            rx,
            executor,
            sources: Vec::new(),
            first_read: None,
            input: false,
            headless: false,
            outputs: None,
            bell: false,
            fresh: Vec::new(),
        }
    }

    /// Alerts also go to `outputs`; with `bell`, a new drift rings the terminal's bell.
    pub fn with_alerts(mut self, outputs: Option<kdrift_alerts::Outputs>, bell: bool) -> Self {
        self.outputs = outputs;
        self.bell = bell;
        self
    }

    /// The alerts the last batch brought (drift, resolved, converged, …).
    pub fn fresh_alerts(&self) -> &[kdrift_alerts::Envelope] {
        &self.fresh
    }

    /// Sends an alert the front end made itself (a sync it ran) everywhere alerts go.
    pub fn publish(&mut self, event: kdrift_alerts::Envelope) {
        let now = now_ms();
        self.state.keep_alerts(std::slice::from_ref(&event));
        if let Some(out) = &self.outputs {
            out.publish(std::slice::from_ref(&event), now);
        }
    }

    /// The outputs, to wait for their queues on exit.
    pub fn outputs(&self) -> Option<&kdrift_alerts::Outputs> {
        self.outputs.as_ref()
    }

    /// No screen (`kdrift watch`): logs, events, metrics, traces and diffs of the selected
    /// object are never asked for.
    pub fn headless(mut self) -> Self {
        self.headless = true;
        self
    }

    /// Commits of `spec` can be read for time travel, history and changed files.
    pub fn with_repo(mut self, spec: RepoSpec) -> Self {
        self.executor.add_repo(spec);
        self
    }

    /// Where `i` writes ignore rules.
    pub fn with_config_file(mut self, path: Option<std::path::PathBuf>) -> Self {
        if let Some(path) = path {
            self.state.config_file = Some(path.clone());
            self.executor.set_config_file(path);
        }
        self
    }

    /// `follow` starts from this read instead of reading the repo again.
    pub fn with_first_read(mut self, first: Option<FirstRead>) -> Self {
        self.first_read = first;
        self
    }

    /// Follows `spec`'s branch (and, for a URL repo, fetches it every `fetch_every` and on `f`).
    pub fn follow(mut self, spec: &RepoSpec, fetch_every: Duration) -> Self {
        self.state.remote_repo = spec.url.is_some();
        let first = self.first_read.take();
        self.sources
            .push(spawn_follower_from(spec.clone(), first, self.outbox()));
        if let Some(url) = spec.url.clone() {
            let (now_tx, now_rx) = mpsc::channel(1);
            let limit = spec.fetch_limit();
            let fetcher = spawn_fetcher(
                url,
                spec.path.clone(),
                fetch_every,
                limit,
                now_rx,
                self.outbox(),
            );
            self.sources.push(fetcher);
            self.executor.add_fetcher(now_tx);
        }
        self
    }

    /// A sender of anything the core takes (terminal input, a test's events).
    pub fn sender(&self) -> mpsc::Sender<Msg> {
        self.tx.clone()
    }

    pub fn outbox<E: Send + 'static>(&self) -> Outbox<E>
    where
        Msg: From<E>,
    {
        Outbox::new(self.tx.clone())
    }

    /// Folds one message and runs the commands it gives.
    pub fn handle(&mut self, msg: Msg) {
        self.input |= matches!(msg, Msg::Key(_) | Msg::Resize);
        for cmd in update(&mut self.state, msg) {
            if self.headless && cmd.for_view() {
                continue;
            }
            self.executor.run(cmd);
        }
    }

    /// Whether a key or a resize was folded since the last call.
    pub fn take_input(&mut self) -> bool {
        std::mem::take(&mut self.input)
    }

    /// Waits for the next message, then folds it and whatever else is already queued (at most
    /// `MAX_BATCH`), after telling the core the time. `None` when every sender is gone.
    pub async fn next_batch(&mut self) -> Option<usize> {
        let first = self.rx.recv().await?;
        self.handle(Msg::Tick(now_ms()));
        self.handle(first);
        let mut n = 1;
        while n < MAX_BATCH {
            let Ok(more) = self.rx.try_recv() else { break };
            self.handle(more);
            n += 1;
        }
        self.alert();
        Some(n)
    }

    /// What the batch changed, as alerts: kept, sent, and (a new drift) rung.
    fn alert(&mut self) {
        let now = now_ms();
        self.fresh = self.state.observe_alerts(now);
        if self.fresh.is_empty() {
            return;
        }
        if let Some(out) = &self.outputs {
            out.publish(&self.fresh, now);
        }
        if self.bell
            && self
                .fresh
                .iter()
                .any(|e| matches!(e.event, kdrift_alerts::Event::Drift { .. }))
        {
            use std::io::Write;
            let mut out = std::io::stdout();
            let _ = out.write_all(b"\x07");
            let _ = out.flush();
        }
    }

    /// Drives until `done` holds of the state, for at most `limit`; the time it took, or the
    /// limit's error. `done` is asked at least every 100 ms, messages or not.
    pub async fn run_until(
        &mut self,
        limit: Duration,
        mut done: impl FnMut(&State) -> bool,
    ) -> Result<Duration, TimedOut> {
        let start = Instant::now();
        while !done(&self.state) {
            let left = limit.checked_sub(start.elapsed()).ok_or(TimedOut(limit))?;
            let wake = left.min(Duration::from_millis(100));
            if let Ok(None) = tokio::time::timeout(wake, self.next_batch()).await {
                return Err(TimedOut(limit));
            }
        }
        Ok(start.elapsed())
    }

    /// Stops every task the driver started.
    pub fn shutdown(&mut self) {
        for source in self.sources.drain(..) {
            source.abort();
        }
        self.executor.shutdown();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the condition did not hold within {0:?}")]
pub struct TimedOut(pub Duration);
