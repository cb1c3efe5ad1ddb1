use anyhow::{Context, Result, anyhow};
use clap::Parser;
use kdrift::app::Keymap;
use kdrift::check::run_check;
use kdrift::cli::{CheckArgs, Cli, Command, DemoArgs, DiffArgs, SyncArgs, TargetArgs, WatchArgs};
use kdrift::demo::{DEMO_CONTEXT, build_demo_repo, seed_drift, spawn_chaos};
use kdrift::diff::run_diff;
use kdrift::tui::{Endpoint, TuiConfig, run};
use kdrift_engine::cluster::{Resolver, connect};
use kdrift_engine::config::UserConfig;
use kdrift_engine::drift::IgnoreRules;
use kdrift_engine::repo::{
    FirstRead, ReadCache, RepoError, RepoSpec, fetch_mirror_within, read_snapshot, resolve_commit,
};
use kdrift_sim::SimCluster;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// mimalloc instead of glibc's malloc: kdrift allocates many small objects (JSON trees of list
/// pages, keys, verdicts) and frees them in bulk; glibc spent a third of a 100k-object check in
/// malloc and free, and kept much of what the pages freed as RSS.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    kdrift::alloc::purge_freed_memory_at_once();
    let cli = Cli::parse();
    // generated text only: no logging, no runtime
    let generated = match &cli.command {
        Some(Command::Completions { shell }) => Some(Ok(kdrift::shell::completions(*shell))),
        Some(Command::Man) => Some(kdrift::shell::man_page()),
        _ => None,
    };
    if let Some(text) = generated {
        return match text.and_then(|t| kdrift::shell::print(&t)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("kdrift: {e}");
                ExitCode::from(2)
            }
        };
    }
    // `watch` times kdrift's own spans into its metrics
    let metrics = std::sync::Arc::new(kdrift_alerts::Metrics::new());
    let timers: Vec<Box<dyn opentelemetry_sdk::trace::SpanProcessor>> = match cli.command {
        Some(Command::Watch(_)) => vec![Box::new(kdrift_alerts::SpanTimer(metrics.clone()))],
        _ => Vec::new(),
    };
    let log = match kdrift::logging::init(cli.otlp_endpoint(), timers) {
        Ok(log) => log,
        Err(e) => {
            eprintln!("kdrift: {}", kdrift_engine::text::sanitize(&e.to_string()));
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kdrift: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Some(Command::Demo(args)) => demo(args).await.map(|()| 0),
            Some(Command::Check(args)) => check(args).await,
            Some(Command::Diff(args)) => diff(args).await,
            Some(Command::Sync(args)) => sync(args).await,
            Some(Command::Watch(args)) => watch(args, metrics).await,
            Some(Command::Completions { .. } | Command::Man) => Ok(0),
            None => real_cluster(cli.target, cli.alerts, cli.bell, cli.screen)
                .await
                .map(|()| 0),
        }
    });
    // Watch and log tasks may still be parked on the network: don't wait for them.
    runtime.shutdown_timeout(Duration::from_millis(200));
    // the last spans (the sync that just ran) go out before the exit code
    log.flush();
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "exiting");
            // the message can quote a server or a repo: nothing in it may steer the terminal
            eprintln!(
                "{}",
                kdrift_engine::text::sanitize(&format!("kdrift: {e:#}"))
            );
            ExitCode::from(2)
        }
    }
}

async fn demo(args: DemoArgs) -> Result<()> {
    let dir = tempfile::Builder::new().prefix("kdrift-demo-").tempdir()?;
    let repo = dir.path().join("shop-gitops");
    build_demo_repo(&repo).context("building the demo repo")?;
    let sim = SimCluster::new();
    let controllers = sim.spawn_controllers();
    let resolver = Resolver::new(sim.client());
    let snap = read_snapshot(&repo, None, None, None)?;
    seed_drift(&resolver, &snap, true)
        .await
        .context("seeding the demo cluster")?;
    // test hook: a task that panics a moment after start (the TUI must restore the terminal
    // and exit, tests/integration/e2e_tmux.rs)
    if std::env::var("KDRIFT_FAULT").as_deref() == Ok("panic-task") {
        tokio::spawn(async {
            tokio::time::sleep(Duration::from_secs(2)).await;
            panic!("injected fault (KDRIFT_FAULT=panic-task)");
        });
    }
    let chaos = args.chaos.then(|| {
        spawn_chaos(
            resolver.clone(),
            Duration::from_secs(args.chaos_every.max(1)),
        )
    });
    let config = TuiConfig {
        context: DEMO_CONTEXT.into(),
        repo: RepoSpec {
            path: repo,
            ..RepoSpec::default()
        },
        fetch_interval: Duration::MAX,
        startup_fetch_error: None,
        read_only: args.read_only,
        keymap: load_keymap()?,
        rules: load_config()?.rules(),
        config_file: config_file(),
        // the simulated cluster serves a Prometheus-compatible API as a Service, as a real
        // cluster's monitoring stack would
        prometheus: Some(Endpoint::Service(kdrift_sim::PROMETHEUS_SERVICE.into())),
        metric_queries: load_metric_queries()?,
        traces: Some(Endpoint::Service(kdrift_sim::JAEGER_SERVICE.into())),
        alerts: tui_alerts(&args.alerts)?,
        bell: args.bell,
        palette: args.screen.palette(load_config()?.theme.as_deref())?,
        first_read: None,
    };
    let result = run(config, resolver).await;
    if let Some(c) = chaos {
        c.abort();
    }
    controllers.abort();
    result
}

/// The repo and a cluster, as `open_target` found them.
struct Target {
    spec: RepoSpec,
    resolver: Resolver,
    context: String,
    /// A URL repo could not be fetched, but its mirror from an earlier run is there (TUI only).
    stale: Option<RepoError>,
}

impl Target {
    /// The repo read whole, with what the read parsed and rendered (for a follower to start
    /// from).
    fn read(&self) -> Result<FirstRead> {
        let mut cache = ReadCache::default();
        let snapshot = self.spec.read(None, &mut cache)?;
        Ok(FirstRead { snapshot, cache })
    }
}

/// The repo (it opens and the revision names a commit, so a bad one fails here) and a reachable
/// cluster: everything that must work before the TUI or a check starts, each failure one clear
/// line. The read itself is the caller's: the TUI's follower reads in parts, on screen as they
/// come. `offline_ok`: a URL repo that cannot be fetched may be shown from its mirror (the TUI
/// keeps fetching; `check` must not judge a cluster against stale git).
async fn open_target(target: &TargetArgs, offline_ok: bool) -> Result<Target> {
    if target.repo.is_none() {
        return Err(anyhow!(
            "no --repo given (try `kdrift demo`, or `kdrift --repo PATH|URL`)"
        ));
    }
    kdrift_engine::cluster::set_request_timeout(Duration::from_secs(target.request_timeout.max(1)));
    let spec = target.repo_spec();
    let mut stale = None;
    if let Some(url) = spec.url.clone() {
        let fetched = fetch_mirror_within(&url, &spec.path, spec.fetch_limit()).await;
        if let Err(e) = fetched {
            let cached = resolve_commit(&spec.path, spec.rev.as_deref()).is_ok();
            if !(offline_ok && cached) {
                return Err(e.into());
            }
            stale = Some(e);
        }
    }
    spec.check_opens()?;
    let (client, context) =
        connect(target.kubeconfig.as_deref(), target.context.as_deref()).await?;
    Ok(Target {
        spec,
        resolver: Resolver::new(client),
        context,
        stale,
    })
}

/// The TUI's alert destinations, when any is named (the alerts view has them all anyway).
fn tui_alerts(args: &kdrift::cli::AlertArgs) -> Result<Option<kdrift_alerts::Outputs>> {
    if args.webhook.is_empty() && args.alertmanager.is_none() {
        return Ok(None);
    }
    let metrics = std::sync::Arc::new(kdrift_alerts::Metrics::new());
    kdrift::watch::alert_outputs(args, kdrift_alerts::Lines::None, metrics).map(Some)
}

async fn real_cluster(
    target: TargetArgs,
    alerts: kdrift::cli::AlertArgs,
    bell: bool,
    screen: kdrift::cli::ScreenArgs,
) -> Result<()> {
    // the user's own files first: a broken one is said before anything connects
    let config = load_config()?;
    let (keymap, rules, palette) = (
        load_keymap()?,
        config.rules(),
        screen.palette(config.theme.as_deref())?,
    );
    let Target {
        resolver,
        context,
        stale,
        ..
    } = open_target(&target, true).await?;
    let config = TuiConfig {
        context,
        startup_fetch_error: stale,
        repo: target.repo_spec(),
        fetch_interval: Duration::from_secs(target.fetch_interval.max(1)),
        read_only: target.read_only,
        keymap,
        rules,
        config_file: config_file(),
        prometheus: endpoint(&target.prometheus_url, &target.prometheus_service),
        metric_queries: load_metric_queries()?,
        traces: endpoint(&target.traces_url, &target.traces_service),
        alerts: tui_alerts(&alerts)?,
        bell,
        palette,
        // read by the follower, in parts shown as they come
        first_read: None,
    };
    run(config, resolver).await
}

/// The user's rules and the target of a one-shot command (`check`, `diff`, `sync`): never a
/// stale mirror, since these judge the cluster against git as it is now.
async fn headless(target: &TargetArgs) -> Result<(IgnoreRules, Target)> {
    let rules = load_config()?.rules();
    Ok((rules, open_target(target, false).await?))
}

async fn check(args: CheckArgs) -> Result<u8> {
    let (rules, t) = headless(&args.target).await?;
    let snapshot = t.read()?.snapshot;
    Ok(run_check(&t.resolver, snapshot, &t.context, rules, args.output).await)
}

async fn diff(args: DiffArgs) -> Result<u8> {
    let (rules, t) = headless(&args.target).await?;
    let snapshot = t.read()?.snapshot;
    Ok(run_diff(&t.resolver, snapshot, &t.context, rules, args.color).await)
}

async fn sync(args: SyncArgs) -> Result<u8> {
    if args.target.read_only && args.yes {
        return Err(anyhow!(
            "--read-only: converging is disabled (drop --yes to see the plan)"
        ));
    }
    let (rules, t) = headless(&args.target).await?;
    let snapshot = t.read()?.snapshot;
    Ok(kdrift::sync::run_sync_command(&t.resolver, snapshot, &t.context, rules, &args).await)
}

async fn watch(args: WatchArgs, metrics: std::sync::Arc<kdrift_alerts::Metrics>) -> Result<u8> {
    let rules = load_config()?.rules();
    let target = open_target(&args.target, true).await?;
    // read whole before watching: alerts judge a whole desired state from the first one
    let first = target.read()?;
    let Target {
        resolver, context, ..
    } = target;
    let config = kdrift::watch::WatchConfig {
        context,
        repo: args.target.repo_spec(),
        fetch_interval: Duration::from_secs(args.target.fetch_interval.max(1)),
        rules,
        read_only: args.target.read_only,
        first_read: Some(first),
    };
    kdrift::watch::run_watch(config, &args, resolver, metrics).await
}

/// `$XDG_CONFIG_HOME/kdrift/config.toml` (default `~/.config/kdrift/config.toml`).
fn config_file() -> Option<PathBuf> {
    config_dir().map(|d| d.join("config.toml"))
}

/// The user's config (ignore rules, theme); one that does not parse stops kdrift with its file,
/// line and key.
fn load_config() -> Result<UserConfig> {
    let Some(path) = config_file() else {
        return Ok(UserConfig::default());
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(UserConfig::default()),
        Err(e) => return Err(anyhow!("reading {}: {e}", path.display())),
    };
    UserConfig::parse(&text).map_err(|e| {
        let line = e.line.map(|l| format!(":{l}")).unwrap_or_default();
        anyhow!("{}{line}: {}", path.display(), e.message)
    })
}

/// Defaults embedded in the binary, with `$XDG_CONFIG_HOME/kdrift/keymap.toml` merged on top,
/// then config.toml's `[keys]`.
fn load_keymap() -> Result<Keymap> {
    let base = include_str!("../assets/keymap.toml");
    let read = |path: Option<PathBuf>| {
        let path = path?;
        let text = std::fs::read_to_string(&path).ok()?;
        Some((path.display().to_string(), text))
    };
    let keymap = read(config_dir().map(|d| d.join("keymap.toml")));
    let config = read(config_file());
    fn layer(f: &Option<(String, String)>) -> Option<(&str, &str)> {
        f.as_ref().map(|(n, t)| (n.as_str(), t.as_str()))
    }
    Ok(Keymap::layered(base, layer(&keymap), layer(&config))?)
}

/// `--…-url` or `--…-service`, whichever was given (clap lets only one through).
fn endpoint(url: &Option<String>, service: &Option<String>) -> Option<Endpoint> {
    match (url, service) {
        (Some(url), _) => Some(Endpoint::Url(url.clone())),
        (None, Some(spec)) => Some(Endpoint::Service(spec.clone())),
        (None, None) => None,
    }
}

/// The metrics pane's queries: the defaults, with the user's metrics.toml over them.
fn load_metric_queries() -> Result<kdrift_engine::metrics::Queries> {
    let path = config_dir().map(|d| d.join("metrics.toml"));
    match path.as_ref().and_then(|p| std::fs::read_to_string(p).ok()) {
        Some(text) => {
            let name = path.map(|p| p.display().to_string()).unwrap_or_default();
            Ok(kdrift_engine::metrics::Queries::from_toml(Some((
                &name, &text,
            )))?)
        }
        None => Ok(kdrift_engine::metrics::Queries::default()),
    }
}

/// `$XDG_CONFIG_HOME/kdrift` (default `~/.config/kdrift`), resolved once.
fn config_dir() -> Option<PathBuf> {
    kdrift_engine::paths::dirs().config.clone()
}
