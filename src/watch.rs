//! `kdrift watch`: the TUI's engine (the same driver, watches, follower and confirmations) with
//! no screen. After each batch of changes the observer says what happened, and every output
//! gets it: lines on stdout, webhooks, Alertmanager, the metrics. With `--converge-after`, drift
//! that lasts is converged as `kdrift sync` would (never forcing, pruning only when asked).

use crate::app::{Keymap, State};
use crate::cli::{AlertArgs, WatchArgs};
use crate::runtime::Driver;
use anyhow::{Result, anyhow};
use kdrift_alerts::event::{Envelope, Event, ObjectRef};
use kdrift_alerts::server::{Served, serve};
use kdrift_alerts::{Alertmanager, Metrics, Outputs, Webhook, WebhookConfig};
use kdrift_engine::clock::{now_ms, rfc3339};
use kdrift_engine::cluster::Resolver;
use kdrift_engine::drift::IgnoreRules;
use kdrift_engine::model::GitOpsOwner;
use kdrift_engine::model::ResourceKey;
use kdrift_engine::outbox::Outbox;
use kdrift_engine::repo::RepoSpec;
use kdrift_engine::sync::{OwnerEvent, SyncEvent, SyncOutcome, ask_owners, run_sync};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

/// Line format on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lines {
    Json,
    Text,
}

/// The metrics' gauges are read from the inventory at most this often (a pass over its rows).
const REFRESH: Duration = Duration::from_secs(1);
/// How long exiting waits for queued deliveries.
const DRAIN: Duration = Duration::from_secs(5);

pub struct WatchConfig {
    pub context: String,
    pub repo: RepoSpec,
    pub fetch_interval: Duration,
    pub rules: IgnoreRules,
    pub read_only: bool,
    /// The repo as read at start: the follower starts from it.
    pub first_read: Option<kdrift_engine::repo::FirstRead>,
}

/// What `--converge-after` is doing.
#[derive(Default)]
struct Converger {
    /// When each drifting object was first told (the wait counts from there).
    told: BTreeMap<ResourceKey, u64>,
    /// Objects in a sync now.
    syncing: BTreeSet<ResourceKey>,
}

/// Runs until SIGTERM or Ctrl-C; 0 then.
pub async fn run_watch(
    config: WatchConfig,
    args: &WatchArgs,
    resolver: Resolver,
    metrics: Arc<Metrics>,
) -> Result<u8> {
    if args.converge_after.is_some() && config.read_only {
        return Err(anyhow!(
            "--read-only: converging is disabled (drop --converge-after)"
        ));
    }
    let lines = match args.output {
        Lines::Json => kdrift_alerts::Lines::Json,
        Lines::Text => kdrift_alerts::Lines::Text,
    };
    let outputs = alert_outputs(&args.alerts, lines, metrics.clone())?;
    let ready = Arc::new(AtomicBool::new(false));
    let server = match &args.metrics_addr {
        Some(addr) => {
            let served = Served {
                metrics: metrics.clone(),
                ready: ready.clone(),
            };
            let (bound, task) = serve(addr, served).await.map_err(anyhow::Error::msg)?;
            tracing::info!(%bound, "serving /metrics");
            Some(task)
        }
        None => None,
    };

    let mut state = State::new(config.context.clone(), Keymap::default());
    state.inv = kdrift_engine::inventory::Inventory::with_server_checks();
    state.inv.set_user_rules(config.rules);
    state.read_only = true;
    let mut driver = Driver::new(state, resolver.clone())
        .headless()
        .with_alerts(Some(outputs), false)
        .with_repo(config.repo.clone())
        .with_first_read(config.first_read)
        .follow(&config.repo, config.fetch_interval);
    let mut converger = Converger::default();
    let (synced_tx, mut synced) = mpsc::channel::<(Vec<ResourceKey>, SyncOutcome, Vec<String>)>(4);
    let (owners_tx, mut owners) = mpsc::channel::<OwnerEvent>(16);
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut dirty = true;
    loop {
        let converge_due = args
            .converge_after
            .and_then(|after| converger.next_due(after));
        tokio::select! {
            batch = driver.next_batch() => {
                if batch.is_none() {
                    break;
                }
                converger.saw(driver.fresh_alerts(), now_ms());
                ready.store(driver.state.alerts.observer.settled(), Ordering::Relaxed);
                dirty = true;
            }
            // the gauges at most once a REFRESH, and only after a change: idle costs nothing
            _ = tokio::time::sleep(REFRESH), if dirty => {
                metrics.refresh(&driver.state.inv);
                dirty = false;
            }
            _ = sleep_until_ms(converge_due), if converge_due.is_some() => {
                let after = args.converge_after.unwrap_or_default();
                let mut keys = converger.due(after, now_ms());
                if args.reconcile_owner {
                    // what a GitOps tool reconciles is its to put back: ask it, apply the rest
                    let (owned, own) = owned_by(&driver.state.inv, keys);
                    keys = own;
                    if !owned.is_empty() {
                        let mut ask: Vec<GitOpsOwner> = Vec::new();
                        for (_, o) in &owned {
                            if !ask.contains(o) {
                                ask.push(o.clone());
                            }
                        }
                        let done: Vec<ResourceKey> = owned.into_iter().map(|(k, _)| k).collect();
                        converger.done(&done, now_ms());
                        let out = Outbox::new(owners_tx.clone());
                        // traced like a sync: one trace per hand-over
                        let span = tracing::info_span!("reconcile_owner", owners = ask.len());
                        let asking = ask_owners(resolver.clone(), ask, rfc3339(now_ms()), out);
                        tokio::spawn(tracing::Instrument::instrument(asking, span));
                    }
                    if keys.is_empty() {
                        continue;
                    }
                }
                let mut plan = driver.state.inv.plan_sync(&keys, args.prune);
                plan.force = false;
                let skipped: Vec<String> = plan
                    .blocked
                    .iter()
                    .map(|(k, why)| format!("{k}: {why}"))
                    .chain(plan.unreadable.iter().map(|(file, why)| format!("{file}: {why}")))
                    .collect();
                if plan.is_empty() {
                    converger.done(&keys, now_ms());
                    continue;
                }
                converger.syncing.extend(keys.iter().cloned());
                let (resolver, tx) = (resolver.clone(), synced_tx.clone());
                tokio::spawn(async move {
                    let outcome = converge(resolver, plan).await;
                    let _ = tx.send((keys, outcome, skipped)).await;
                });
            }
            Some((keys, outcome, skipped)) = synced.recv() => {
                let now = now_ms();
                converger.done(&keys, now);
                let event = Envelope {
                    time: rfc3339(now),
                    cluster: config.context.clone(),
                    event: Event::Sync {
                        trigger: "converge-after".into(),
                        objects: keys.iter().map(ObjectRef::from).collect(),
                        converged: outcome.ok() && skipped.is_empty(),
                        applied: outcome.applied.len(),
                        failed: outcome
                            .failed
                            .iter()
                            .map(|(k, e)| format!("{k}: {e}"))
                            .collect(),
                        skipped,
                    },
                };
                driver.publish(event);
            }
            Some(answer) = owners.recv() => {
                let (owner, state, text) = match answer {
                    OwnerEvent::Asked(o) => (o, "asked", None),
                    OwnerEvent::Done { owner, ok: true, text } => (owner, "reconciled", Some(text)),
                    OwnerEvent::Done { owner, ok: false, text } => (owner, "failed", Some(text)),
                    OwnerEvent::Failed { owner, error } => (owner, "failed", Some(error)),
                };
                let now = now_ms();
                let event = Envelope {
                    time: rfc3339(now),
                    cluster: config.context.clone(),
                    event: Event::Owner {
                        owner: owner.to_string(),
                        state: state.into(),
                        text,
                    },
                };
                driver.publish(event);
            }
            _ = term.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    if let Some(outputs) = driver.outputs() {
        outputs.drain(DRAIN).await;
    }
    driver.shutdown();
    if let Some(s) = server {
        s.abort();
    }
    Ok(0)
}

/// The destinations `args` name (inside the tokio runtime: each starts its own task).
pub fn alert_outputs(
    args: &AlertArgs,
    lines: kdrift_alerts::Lines,
    metrics: Arc<Metrics>,
) -> Result<Outputs> {
    let mut outputs = Outputs::new(lines, metrics.clone());
    for url in &args.webhook {
        let config = WebhookConfig::new(url, args.webhook_secret_file.as_deref())?;
        outputs
            .webhooks
            .push(Webhook::start(config, metrics.clone()));
    }
    if let Some(url) = &args.alertmanager {
        outputs.alertmanager = Some(Alertmanager::start(url, args.alertmanager_resend, metrics)?);
    }
    Ok(outputs)
}

async fn sleep_until_ms(at: Option<u64>) {
    let wait = at.unwrap_or(u64::MAX).saturating_sub(now_ms());
    tokio::time::sleep(Duration::from_millis(wait.min(86_400_000))).await;
}

/// One sync, its events read to the end (traced like every sync: the `sync` span).
async fn converge(resolver: Resolver, plan: kdrift_engine::sync::SyncPlan) -> SyncOutcome {
    let (tx, mut rx) = mpsc::channel::<SyncEvent>(64);
    let task = tokio::spawn(run_sync(resolver, plan, Outbox::new(tx)));
    let mut outcome = SyncOutcome::default();
    while let Some(e) = rx.recv().await {
        if let SyncEvent::Finished(o) = e {
            outcome = o;
        }
    }
    let _ = task.await;
    outcome
}

impl Converger {
    fn saw(&mut self, events: &[Envelope], now: u64) {
        for e in events {
            match &e.event {
                Event::Drift { object, .. } => {
                    if let Some(key) = key_of(object) {
                        self.told.entry(key).or_insert(now);
                    }
                }
                Event::Resolved { object, .. } => {
                    if let Some(key) = key_of(object) {
                        self.told.remove(&key);
                    }
                }
                _ => {}
            }
        }
    }

    /// When the next object's wait is over.
    fn next_due(&self, after: Duration) -> Option<u64> {
        self.told
            .iter()
            .filter(|(k, _)| !self.syncing.contains(*k))
            .map(|(_, t)| t + after.as_millis() as u64)
            .min()
    }

    fn due(&self, after: Duration, now: u64) -> Vec<ResourceKey> {
        self.told
            .iter()
            .filter(|(k, t)| !self.syncing.contains(*k) && *t + after.as_millis() as u64 <= now)
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// A sync of `keys` ended (or had nothing to do): what still drifts waits a full period again.
    fn done(&mut self, keys: &[ResourceKey], now: u64) {
        for k in keys {
            self.syncing.remove(k);
            if let Some(t) = self.told.get_mut(k) {
                *t = now;
            }
        }
    }
}

/// `keys` split: those a named GitOps object reconciles (with it), and the rest.
#[allow(clippy::type_complexity)]
fn owned_by(
    inv: &kdrift_engine::inventory::Inventory,
    keys: Vec<ResourceKey>,
) -> (Vec<(ResourceKey, GitOpsOwner)>, Vec<ResourceKey>) {
    let mut owned = Vec::new();
    let mut rest = Vec::new();
    for k in keys {
        match inv
            .verdicts
            .get(&k)
            .and_then(|r| r.owner.clone())
            .filter(|o| o.name.is_some())
        {
            Some(o) => owned.push((k, o)),
            None => rest.push(k),
        }
    }
    (owned, rest)
}

fn key_of(o: &ObjectRef) -> Option<ResourceKey> {
    let (group, version) = match o.api_version.split_once('/') {
        Some((g, v)) => (g.to_string(), v.to_string()),
        None => (String::new(), o.api_version.clone()),
    };
    Some(ResourceKey::from(kdrift_engine::model::KeyParts {
        namespace: o.namespace.clone(),
        kind: o.kind.clone(),
        name: o.name.clone(),
        group,
        version,
    }))
}
