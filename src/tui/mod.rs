//! The interactive front end: terminal setup/restore, input, and the loop that draws frames
//! between the driver's batches of messages.

mod input;
mod terminal;

pub use terminal::TerminalGuard;

use crate::app::{Keymap, Msg, State};
use crate::runtime::{Driver, FramePacer};
use anyhow::Result;
use kdrift_engine::backend::Backend;
use kdrift_engine::cluster::Resolver;
use kdrift_engine::drift::IgnoreRules;
use kdrift_engine::repo::{RepoError, RepoEvent, RepoSpec};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// While a notice or a sync is on screen, the core is told the time this often (they age).
const TICK: Duration = Duration::from_millis(500);

pub struct TuiConfig {
    pub context: String,
    pub repo: RepoSpec,
    /// For a URL repo: how often its mirror is fetched.
    pub fetch_interval: Duration,
    /// The first fetch failed and the TUI starts from the mirror of an earlier run: said at
    /// once (a notice, and the repo's trouble until the mirror's snapshot arrives).
    pub startup_fetch_error: Option<RepoError>,
    pub read_only: bool,
    pub keymap: Keymap,
    /// The user's ignore rules, and the file they come from (where `i` writes new ones).
    pub rules: IgnoreRules,
    pub config_file: Option<PathBuf>,
    /// `--prometheus-url`, or `--prometheus-service` (`namespace/name:port`) through the API server.
    pub prometheus: Option<Endpoint>,
    pub metric_queries: kdrift_engine::metrics::Queries,
    /// `--traces-url` / `--traces-service`: a Jaeger-compatible query API for workload traces.
    pub traces: Option<Endpoint>,
    /// Where diff and converged alerts go besides the alerts view (`--webhook`, `--alertmanager`).
    pub alerts: Option<kdrift_alerts::Outputs>,
    /// `--bell`: a new drift rings the terminal's bell.
    pub bell: bool,
    /// `--theme` and `--color` / `NO_COLOR`.
    pub palette: crate::ui::palette::Palette,
    /// The repo as read at start (so a bad one failed before the terminal was taken): the
    /// follower starts from it rather than reading it again.
    pub first_read: Option<kdrift_engine::repo::FirstRead>,
}

/// Where a pane asks: a URL, or a Service (`namespace/name:port`) through the API server's proxy.
pub enum Endpoint {
    Url(String),
    Service(String),
}

impl Endpoint {
    fn backend(self, flags: (&str, &str), resolver: &Resolver) -> Result<Backend> {
        match self {
            Endpoint::Url(url) => Backend::http(flags.0, &url).map_err(anyhow::Error::msg),
            Endpoint::Service(spec) => Backend::service(flags.1, resolver.client().clone(), &spec)
                .map_err(anyhow::Error::msg),
        }
    }
}

/// Runs the TUI until the user quits. The terminal is restored on every exit path.
pub async fn run(config: TuiConfig, resolver: Resolver) -> Result<()> {
    let mut state = State::new(config.context, config.keymap);
    // the server confirms what the local compare calls drift (stage 2)
    state.inv = kdrift_engine::inventory::Inventory::with_server_checks();
    state.inv.set_user_rules(config.rules);
    state.read_only = config.read_only;
    // crossterm drops every colour when NO_COLOR is set; the palette has decided already
    // (`--color always` overrides NO_COLOR)
    crossterm::style::force_color_output(config.palette != crate::ui::palette::Palette::Plain);
    state.palette = config.palette;
    state.trace_store = Some(kdrift_engine::traces::TraceStore::global().clone());
    state.metric_queries = config.metric_queries;
    let prometheus_flags = ("--prometheus-url", "--prometheus-service");
    state.metrics_source = config
        .prometheus
        .map(|e| e.backend(prometheus_flags, &resolver))
        .transpose()?;
    let traces_flags = ("--traces-url", "--traces-service");
    state.traces_source = config
        .traces
        .map(|e| e.backend(traces_flags, &resolver))
        .transpose()?;
    let spec = config.repo;
    let mut driver = Driver::new(state, resolver)
        .with_alerts(config.alerts, config.bell)
        .with_repo(spec.clone())
        .with_config_file(config.config_file)
        .with_first_read(config.first_read)
        .follow(&spec, config.fetch_interval);
    if let Some(e) = config.startup_fetch_error {
        tracing::warn!(error = %kdrift_engine::error::chain(&e), "starting from the repo's mirror");
        driver.handle(Msg::Repo(RepoEvent::FetchFailed(e)));
    }

    let mut guard = TerminalGuard::enter()?;
    input::spawn_input(driver.sender());
    frame_loop(&mut driver, &mut guard.terminal, |_| {}).await?;
    driver.shutdown();
    guard.leave()?;
    // alerts still queued for a webhook get a moment to go out
    if let Some(outputs) = driver.outputs() {
        outputs.drain(Duration::from_secs(3)).await;
    }
    Ok(())
}

/// The loop between the driver's batches of messages and frames, on any ratatui backend (the
/// terminal, or a test's buffer): a frame when something changed, at most one per `FRAME`; ticks
/// only while something ages. `after_frame` sees the state each frame was drawn from. Returns
/// when the user quits or every sender is gone.
pub async fn frame_loop<B: ratatui::backend::Backend>(
    driver: &mut Driver,
    terminal: &mut ratatui::Terminal<B>,
    mut after_frame: impl FnMut(&State),
) -> Result<()>
where
    B::Error: Send + Sync + 'static,
{
    let mut frames = FramePacer::default();
    loop {
        let waiting = driver.state.diff.waiting();
        if frames.draw_now(Instant::now(), waiting) {
            let size = terminal.size()?;
            crate::ui::fit(&mut driver.state, size.into());
            terminal.draw(|f| {
                crate::ui::draw(f, &driver.state);
                driver.state.palette.apply(f.buffer_mut());
            })?;
            after_frame(&driver.state);
        }
        let due = frames.due(waiting);
        let ticking = driver.state.wants_tick();
        tokio::select! {
            batch = driver.next_batch() => {
                if batch.is_none() {
                    break;
                }
                if driver.take_input() {
                    frames.mark_input();
                } else {
                    frames.mark();
                }
            }
            // the frame owed for changes that came in faster than the frame rate
            _ = sleep_until(due), if due.is_some() => {}
            // ticks only while something on screen ages (notices, a running sync): idle costs nothing
            _ = tokio::time::sleep(TICK), if ticking => {
                driver.handle(Msg::Tick(kdrift_engine::clock::now_ms()));
                frames.mark();
            }
            _ = tokio::signal::ctrl_c() => break,
        }
        if driver.state.quit {
            break;
        }
    }
    Ok(())
}

async fn sleep_until(due: Option<Instant>) {
    if let Some(due) = due {
        tokio::time::sleep_until(due.into()).await;
    }
}
