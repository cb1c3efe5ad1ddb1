//! Where kdrift writes about itself: the log file, never the terminal; and its own spans, as
//! OpenTelemetry traces kept in memory for the traces pane and, when asked, exported over OTLP.

use kdrift_engine::traces::{OtlpTarget, Telemetry, TelemetryError, TraceStore};
use std::path::PathBuf;

/// What must live until kdrift exits: the log writer's thread and the span pipeline (dropping
/// it sends the spans still queued, within a bound).
pub struct Logging {
    _file: Option<tracing_appender::non_blocking::WorkerGuard>,
    telemetry: Telemetry,
}

impl Logging {
    /// Sends the spans still queued now (before a headless command's exit code is returned).
    pub fn flush(&self) {
        if self.telemetry.exporting()
            && let Err(e) = self.telemetry.shutdown()
        {
            eprintln!("kdrift: {}", kdrift_engine::text::sanitize(&e.to_string()));
        }
    }
}

/// Logs go to a file under the XDG state dir, never to the terminal the TUI draws on.
/// The log file (`$XDG_STATE_HOME/kdrift/kdrift.log`, when it can be made) and kdrift's own
/// traces (the process's store; and `otlp`), both fed by `tracing`. A bad OTLP URL is an error.
pub fn init(
    otlp: Option<&str>,
    extra: Vec<Box<dyn opentelemetry_sdk::trace::SpanProcessor>>,
) -> Result<Logging, TelemetryError> {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let telemetry = Telemetry::with(
        TraceStore::global(),
        OtlpTarget::choose(otlp).as_ref(),
        extra,
    )?;
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
    // kdrift's spans reach the pipeline whatever KDRIFT_LOG says: the filter is the log file's
    let _ = tracing_subscriber::registry()
        .with(telemetry.layer())
        .with(file.map(|f| f.with_filter(filter)))
        .try_init();
    Ok(Logging {
        _file: guard,
        telemetry,
    })
}

fn log_file() -> Option<tracing_appender::rolling::RollingFileAppender> {
    let path = log_path()?;
    let dir = path.parent()?;
    std::fs::create_dir_all(dir).ok()?;
    Some(tracing_appender::rolling::never(dir, "kdrift.log"))
}

/// `$XDG_STATE_HOME/kdrift/kdrift.log` (default `~/.local/state/kdrift/kdrift.log`).
pub fn log_path() -> Option<PathBuf> {
    Some(
        kdrift_engine::paths::dirs()
            .state
            .as_ref()?
            .join("kdrift.log"),
    )
}
