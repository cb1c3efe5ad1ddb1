//! The interactive runtime: terminal setup/restore, the core loop, and the executor that turns
//! `Cmd`s into tasks.

mod executor;
mod input;
mod terminal;

pub use executor::Executor;
pub use terminal::TerminalGuard;

use crate::app::{Keymap, Msg, State, update};
use crate::cluster::Resolver;
use crate::repo::{RepoSpec, spawn_fetcher, spawn_follower};
use anyhow::Result;
use std::time::Duration;
use tokio::sync::mpsc;

/// Bound on queued messages; sources wait (backpressure) rather than grow memory.
pub const CHANNEL_CAPACITY: usize = 1024;
/// At most this many messages are folded in before a frame is drawn, so input stays responsive.
const MAX_BATCH: usize = 512;

pub struct TuiConfig {
    pub context: String,
    pub repo: RepoSpec,
    /// For a URL repo: how often its mirror is fetched.
    pub fetch_interval: Duration,
    /// Shown as a repo error when the TUI opens (e.g. the first fetch failed; the mirror is used).
    pub startup_error: Option<String>,
    pub read_only: bool,
    pub keymap: Keymap,
}

/// Runs the TUI until the user quits. The terminal is restored on every exit path.
pub async fn run(config: TuiConfig, resolver: Resolver) -> Result<()> {
    let (tx, mut rx) = mpsc::channel::<Msg>(CHANNEL_CAPACITY);
    let mut state = State::new(config.context, config.keymap);
    state.read_only = config.read_only;
    let spec = config.repo;
    state.remote_repo = spec.url.is_some();
    if let Some(e) = config.startup_error {
        tracing::warn!(error = %e, "starting from the repo's mirror");
        crate::app::update(&mut state, Msg::Repo(crate::app::RepoMsg::Failed(e)));
    }
    let follower = spawn_follower(spec.clone(), tx.clone());
    let (fetcher, fetch_now) = match spec.url.clone() {
        Some(url) => {
            let (now_tx, now_rx) = mpsc::channel(1);
            let every = config.fetch_interval;
            let task = spawn_fetcher(url, spec.path.clone(), every, now_rx, tx.clone());
            (Some(task), Some(now_tx))
        }
        None => (None, None),
    };
    let mut executor = Executor::new(resolver, tx.clone()).with_repo(spec);
    if let Some(now) = fetch_now {
        executor = executor.with_fetcher(now);
    }

    let mut guard = TerminalGuard::enter()?;
    input::spawn_input(tx.clone());
    // Every wake-up below is a change, so each loop turn draws exactly one frame.
    loop {
        let size = guard.terminal.size()?;
        state.page_rows = crate::ui::resource_rows(size.into());
        guard.terminal.draw(|f| crate::ui::draw(f, &state))?;
        tokio::select! {
            msg = rx.recv() => {
                let Some(msg) = msg else { break };
                update(&mut state, Msg::Tick(crate::cluster::now_ms()));
                let mut cmds = update(&mut state, msg);
                // Fold in whatever else is already queued before drawing once.
                let mut n = 1;
                while n < MAX_BATCH {
                    let Ok(more) = rx.try_recv() else { break };
                    cmds.extend(update(&mut state, more));
                    n += 1;
                }
                for cmd in cmds {
                    executor.run(cmd);
                }
            }
            // Ticks only while something on screen ages (notices, a running sync): idle costs nothing.
            _ = tokio::time::sleep(Duration::from_millis(500)), if state.wants_tick() => {
                update(&mut state, Msg::Tick(crate::cluster::now_ms()));
            }
            _ = tokio::signal::ctrl_c() => break,
        }
        if state.quit {
            break;
        }
    }
    follower.abort();
    if let Some(f) = fetcher {
        f.abort();
    }
    executor.shutdown();
    guard.leave()?;
    Ok(())
}
