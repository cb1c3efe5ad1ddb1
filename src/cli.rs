//! Command-line interface: `kdrift demo`, or the TUI against a real cluster from the kubeconfig.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "kdrift",
    version,
    about = "Is my cluster what git says it is? Live drift, diffs, logs, and one-key convergence."
)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub alerts: AlertArgs,
    /// Ring the terminal's bell when drift appears.
    #[arg(long)]
    pub bell: bool,
    #[command(flatten)]
    pub screen: ScreenArgs,
}

/// How the TUI looks.
#[derive(Debug, Args, Default)]
pub struct ScreenArgs {
    /// Colour: `auto` (on, unless NO_COLOR is set), `always`, `never`.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: crate::ui::palette::ColorChoice,
    /// Colour theme: `default`, `high-contrast`, or a TOML file naming the colours it changes
    /// (see assets/themes/default.toml). Default: `theme` in config.toml, else `default`.
    #[arg(long, value_name = "NAME|FILE")]
    pub theme: Option<String>,
}

impl ScreenArgs {
    /// The palette these ask for (`configured`: the config file's theme, used when `--theme` is
    /// not given); a theme file that does not parse is an error naming its line.
    pub fn palette(
        &self,
        configured: Option<&str>,
    ) -> Result<crate::ui::palette::Palette, crate::ui::palette::ThemeError> {
        use crate::ui::palette::{Palette, colour_on};
        if !colour_on(self.color, std::env::var_os("NO_COLOR").as_deref()) {
            return Ok(Palette::Plain);
        }
        Palette::theme(self.theme.as_deref().or(configured).unwrap_or("default"))
    }
}

impl Cli {
    /// `--otlp-endpoint` of whichever command runs.
    pub fn otlp_endpoint(&self) -> Option<&str> {
        match &self.command {
            Some(Command::Demo(a)) => a.otlp_endpoint.as_deref(),
            Some(Command::Check(a)) => a.target.otlp_endpoint.as_deref(),
            Some(Command::Diff(a)) => a.target.otlp_endpoint.as_deref(),
            Some(Command::Sync(a)) => a.target.otlp_endpoint.as_deref(),
            Some(Command::Watch(a)) => a.target.otlp_endpoint.as_deref(),
            Some(Command::Completions { .. } | Command::Man) => None,
            None => self.target.otlp_endpoint.as_deref(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run on an embedded simulated cluster and a sample git repo, seeded with drift. No setup.
    Demo(DemoArgs),
    /// Compare once without a terminal. Exit 0 in sync, 1 drift found, 2 error.
    Check(CheckArgs),
    /// Show the drift as diffs without a terminal UI (same flags and exit codes as `check`).
    Diff(DiffArgs),
    /// Converge without a terminal: print the plan, and apply it only with --yes. Exit 0
    /// converged, 1 not converged (or a conflict left), 2 error.
    Sync(SyncArgs),
    /// Watch without a terminal, for ever: one line per event (drift, resolved, converged, sync,
    /// watch health, commit) on stdout, and to webhooks, Alertmanager and /metrics. SIGTERM ends
    /// it (exit 0) once queued deliveries are out.
    Watch(WatchArgs),
    /// Print a shell completion script: `kdrift completions bash > ~/.local/share/bash-completion/completions/kdrift`,
    /// `kdrift completions zsh > ~/.zfunc/_kdrift`, `kdrift completions fish > ~/.config/fish/completions/kdrift.fish`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `kdrift man > ~/.local/share/man/man1/kdrift.1`.
    Man,
}

/// Where diff and converged alerts go (the TUI, the demo and `kdrift watch` all take them).
#[derive(Debug, Args, Default)]
pub struct AlertArgs {
    /// POST each event as JSON to this URL (repeatable). Deliveries queue and retry with backoff.
    #[arg(long, value_name = "URL")]
    pub webhook: Vec<String>,
    /// Sign webhook deliveries: an HMAC-SHA256 of the body with this file's content, in the
    /// X-Kdrift-Signature-256 header (`sha256=<hex>`).
    #[arg(long, value_name = "FILE", requires = "webhook")]
    pub webhook_secret_file: Option<PathBuf>,
    /// Alertmanager's base URL: a firing KdriftDrift alert per drifted object, resolved when it
    /// converges.
    #[arg(long, value_name = "URL")]
    pub alertmanager: Option<String>,
    /// How often firing alerts are sent again (Alertmanager forgets an alert not re-sent).
    #[arg(long, default_value = "60s", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub alertmanager_resend: std::time::Duration,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Line format on stdout.
    #[arg(long, value_enum, default_value = "json")]
    pub output: crate::watch::Lines,
    #[command(flatten)]
    pub alerts: AlertArgs,
    /// Serve /metrics, /healthz and /readyz here, e.g. 0.0.0.0:9464.
    #[arg(long, value_name = "ADDR")]
    pub metrics_addr: Option<String>,
    /// Converge an object whose drift has lasted this long since kdrift saw it (e.g. 5m), as
    /// `kdrift sync` would: never forcing another manager's fields, pruning only with --prune.
    /// Off by default.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub converge_after: Option<std::time::Duration>,
    /// With --converge-after: also delete orphans this repo applied.
    #[arg(long, requires = "converge_after")]
    pub prune: bool,
    /// With --converge-after: an object a Flux or Argo CD object reconciles is not applied; its
    /// owner is asked to reconcile instead (Flux's requestedAt annotation, an Argo CD sync).
    #[arg(long, requires = "converge_after")]
    pub reconcile_owner: bool,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Ask the server about every step (a dry-run) and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Delete objects this repo applied that git no longer declares (off by default).
    #[arg(long)]
    pub prune: bool,
    /// Take fields other managers own (without it, a conflict stops the sync and is named).
    #[arg(long)]
    pub force_conflicts: bool,
    /// Apply the plan. Without it the plan is printed and nothing changes.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Seconds to wait for the cluster to show every planned object in sync.
    #[arg(long, default_value_t = 120, value_name = "SECS")]
    pub timeout: u64,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub output: crate::check::Output,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Colour: `auto` on a terminal (and not when NO_COLOR is set), `always`, `never`.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: crate::diff::Color,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub output: crate::check::Output,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// A simulated operator edits a resource every few seconds, so drift appears while you watch.
    #[arg(long)]
    pub chaos: bool,
    /// Seconds between chaos edits.
    #[arg(long, default_value_t = 8, value_name = "SECS")]
    pub chaos_every: u64,
    /// Disable every action that changes the cluster.
    #[arg(long)]
    pub read_only: bool,
    #[command(flatten)]
    pub alerts: AlertArgs,
    /// Ring the terminal's bell when drift appears.
    #[arg(long)]
    pub bell: bool,
    #[command(flatten)]
    pub screen: ScreenArgs,
    /// Export kdrift's own spans (repo reads, judgements, dry-runs, syncs) over OTLP/HTTP to this
    /// collector, e.g. http://localhost:4318 (default: $OTEL_EXPORTER_OTLP_ENDPOINT, when set).
    #[arg(long, value_name = "URL")]
    pub otlp_endpoint: Option<String>,
}

#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Git repository holding the desired state: a local path (worktree or bare), or a URL
    /// (https://, ssh://, git://, file://, user@host:path) mirrored into ~/.cache/kdrift/repos.
    #[arg(long, value_name = "PATH|URL")]
    pub repo: Option<String>,
    /// For a URL repo: seconds between fetches (`f` fetches at once).
    #[arg(long, default_value_t = 30, value_name = "SECS")]
    pub fetch_interval: u64,
    /// Directory inside the repo with the manifests.
    #[arg(long, value_name = "DIR")]
    pub path: Option<String>,
    /// Branch, tag or commit to compare against (default: HEAD).
    #[arg(long, value_name = "REF")]
    pub rev: Option<String>,
    /// Namespace for manifests that name none (default: `default`).
    #[arg(long, short = 'n', value_name = "NS")]
    pub namespace: Option<String>,
    /// Only this app of the repo's Argo CD Applications or Flux Kustomizations and HelmReleases
    /// (its name, or `namespace/name`).
    #[arg(long, value_name = "NAME")]
    pub app: Option<String>,
    /// Helm values file, relative to each chart directory; applied to charts that have it.
    /// Repeatable; later files win. A chart's own values.yaml always applies.
    #[arg(long = "helm-values", value_name = "FILE")]
    pub helm_values: Vec<String>,
    /// Let kustomize fetch remote bases (`github.com/…`, `https://…`). Without it a
    /// kustomization naming one is an error row: nothing outside the repo enters the desired state.
    #[arg(long)]
    pub allow_remote_bases: bool,
    /// Seconds one fetch of a URL repo may take before it counts as failed.
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    pub git_timeout: u64,
    /// Seconds one request to the API server may take (apply, list, discovery, …; watches
    /// are kept alive by their own timeouts) and connecting at start-up.
    #[arg(long, default_value_t = 30, value_name = "SECS")]
    pub request_timeout: u64,
    /// A Prometheus-compatible query API for the metrics pane (`m`), e.g. http://localhost:9090.
    #[arg(long, value_name = "URL", conflicts_with = "prometheus_service")]
    pub prometheus_url: Option<String>,
    /// Prometheus as a Service of the cluster, reached through the API server's service proxy
    /// (no port-forward): `namespace/name:port`, e.g. monitoring/prometheus-k8s:9090.
    #[arg(long, value_name = "NS/NAME:PORT")]
    pub prometheus_service: Option<String>,
    /// A Jaeger-compatible query API for the selected workload's traces (`t` twice), e.g.
    /// http://localhost:16686; the service is named from the workload's labels.
    #[arg(long, value_name = "URL", conflicts_with = "traces_service")]
    pub traces_url: Option<String>,
    /// Jaeger's query Service through the API server's service proxy: `namespace/name:port`.
    #[arg(long, value_name = "NS/NAME:PORT")]
    pub traces_service: Option<String>,
    /// Export kdrift's own spans (repo reads, judgements, dry-runs, syncs) over OTLP/HTTP to this
    /// collector, e.g. http://localhost:4318 (default: $OTEL_EXPORTER_OTLP_ENDPOINT, when set).
    #[arg(long, value_name = "URL")]
    pub otlp_endpoint: Option<String>,
    /// Kubeconfig context (default: the current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Kubeconfig file (default: $KUBECONFIG or ~/.kube/config).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Disable every action that changes the cluster.
    #[arg(long)]
    pub read_only: bool,
}

impl TargetArgs {
    /// What to read from git, as the follower and every read take it.
    pub fn repo_spec(&self) -> kdrift_engine::repo::RepoSpec {
        let given = self.repo.clone().unwrap_or_default();
        let (path, url) = if kdrift_engine::repo::is_url(&given) {
            let root = kdrift_engine::repo::default_cache_root();
            (
                kdrift_engine::repo::cache_dir_for(&root, &given),
                Some(given),
            )
        } else {
            (PathBuf::from(given), None)
        };
        kdrift_engine::repo::RepoSpec {
            path,
            url,
            rev: self.rev.clone(),
            subdir: self.path.clone(),
            namespace: self.namespace.clone(),
            helm_values: self.helm_values.clone(),
            allow_remote_bases: self.allow_remote_bases,
            fetch_timeout: Some(std::time::Duration::from_secs(self.git_timeout.max(1))),
            app: self.app.clone(),
        }
    }
}
