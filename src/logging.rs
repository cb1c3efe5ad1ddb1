//! Where kdrift writes about itself: the log file, never the terminal, and the in-memory store
//! of its traces.

use std::path::PathBuf;

/// Logs go to a file under the XDG state dir, never to the terminal the TUI draws on.
/// The log file (`$XDG_STATE_HOME/kdrift/kdrift.log`, when it can be made) and the in-memory
/// store of kdrift's own traces (each sync with its steps and objects), both fed by `tracing`.
pub fn init() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let traces = kdrift_engine::traces::TraceStore::global().layer(&["sync"]);
    let filter = tracing_subscriber::EnvFilter::try_from_env("KDRIFT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let (file, guard) = match log_file() {
        Some(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let layer = tracing_subscriber::fmt::layer()
                .with_writer(writer)
                .with_ansi(false);
            (Some(layer), Some(guard))
        }
        None => (None, None),
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(file)
        .with(traces)
        .try_init()
        .ok()?;
    guard
}

fn log_file() -> Option<tracing_appender::rolling::RollingFileAppender> {
    let path = log_path()?;
    let dir = path.parent()?;
    std::fs::create_dir_all(dir).ok()?;
    Some(tracing_appender::rolling::never(dir, "kdrift.log"))
}

/// `$XDG_STATE_HOME/kdrift/kdrift.log` (default `~/.local/state/kdrift/kdrift.log`).
pub fn log_path() -> Option<PathBuf> {
    let dir = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
    Some(dir.join("kdrift/kdrift.log"))
}
