//! Runs the core's commands as tasks and cancels the ones that are superseded. Sources get an
//! `Outbox` of their own event type into the core's channel; jobs reply with their ticket.

use crate::app::{Cmd, DiffRequest, JobReply, Msg};
use kdrift_engine::Outbox;
use kdrift_engine::cluster::{
    Confirmer, Resolver, follow_events, follow_logs, pod_trouble, spawn_confirmer, spawn_watch,
};
use kdrift_engine::drift::{IgnoreRule, IgnoreRules, RuleSource};
use kdrift_engine::jobs::{JobFailed, LatestJob, Ticket};
use kdrift_engine::model::{Gvk, ResourceKey};
use kdrift_engine::repo::{
    CommitInfo, ReadCache, RepoError, RepoSpec, commit_files, object_history,
};
use kdrift_engine::sync::{ask_owners, run_sync};
use std::collections::HashMap;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::mpsc::Sender;
use tokio::task::JoinHandle;

/// What a history job reads.
struct HistoryRequest {
    key: ResourceKey,
    source: String,
    commit: String,
}

/// One newest-wins job per kind of background read.
struct Jobs {
    diff: LatestJob<DiffRequest>,
    /// Reads from git; `None` without a repo (some tests).
    repo: Option<RepoJobs>,
}

struct RepoJobs {
    commit: LatestJob<Option<String>>,
    files: LatestJob<CommitInfo>,
    history: LatestJob<HistoryRequest>,
}

pub struct Executor {
    resolver: Resolver,
    tx: Sender<Msg>,
    /// Each kind's watch, and whether it is still the current one (see `Msg::Watched`).
    watches: HashMap<Gvk, (JoinHandle<()>, Arc<AtomicBool>)>,
    logs: Option<JoinHandle<()>>,
    /// The events pane's feed, while it is shown.
    events: Option<JoinHandle<()>>,
    /// The metrics pane's feed, while it is shown.
    metrics: Option<JoinHandle<()>>,
    /// The traces pane's feed of a workload's traces, while it is shown.
    traces: Option<JoinHandle<()>>,
    sync: Option<JoinHandle<()>>,
    jobs: Jobs,
    /// Stage 2: the server's dry-runs of local drift verdicts.
    confirmer: Confirmer,
    confirming: JoinHandle<()>,
    /// Asks a URL repo's fetcher to fetch now.
    fetch_now: Option<Sender<()>>,
    /// The user's config, where ignore rules are written.
    config_file: Option<PathBuf>,
}

/// A job's reply as a message into the core's channel.
fn replier<Out: Send + 'static>(
    tx: &Sender<Msg>,
    wrap: fn(Ticket, Result<Out, JobFailed>) -> JobReply,
) -> impl Fn(Ticket, Result<Out, JobFailed>) -> Pin<Box<dyn Future<Output = bool> + Send>> + Send + 'static
{
    let tx = tx.clone();
    move |ticket, out| {
        let tx = tx.clone();
        Box::pin(async move { tx.send(Msg::Job(wrap(ticket, out))).await.is_ok() })
    }
}

/// Appends `rule` to the user's config (made if missing) and reads all its rules back, so what
/// takes effect is what the file now says.
fn save_rule(file: &std::path::Path, rule: &IgnoreRule) -> Result<IgnoreRules, String> {
    use std::io::Write;
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    write!(out, "\n{}", rule.to_toml()).map_err(|e| format!("{}: {e}", file.display()))?;
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    IgnoreRules::parse(&text, RuleSource::User).map_err(|e| {
        let line = e.line.map(|l| format!(":{l}")).unwrap_or_default();
        format!("{}{line}: {}", file.display(), e.message)
    })
}

/// A read whose thread stopped is a repo error like any other.
fn failed_as_repo<T>(out: Result<Result<T, RepoError>, JobFailed>) -> Result<T, RepoError> {
    out.map_err(|e| RepoError::Task(e.0)).and_then(|r| r)
}

impl Executor {
    /// Must be called inside the tokio runtime (job workers start here).
    pub fn new(resolver: Resolver, tx: Sender<Msg>) -> Self {
        let diff = LatestJob::spawn(
            |req: DiffRequest| req.compute(),
            replier(&tx, |ticket, text| JobReply::Diff { ticket, text }),
        );
        let (confirmer, confirming) = spawn_confirmer(resolver.clone(), Outbox::new(tx.clone()));
        Self {
            confirmer,
            confirming,
            resolver,
            tx,
            watches: HashMap::new(),
            logs: None,
            events: None,
            metrics: None,
            traces: None,
            sync: None,
            jobs: Jobs { diff, repo: None },
            fetch_now: None,
            config_file: None,
        }
    }

    /// Lets time travel, history and changed files read commits of `spec`.
    pub fn add_repo(&mut self, spec: RepoSpec) {
        let (s1, s2, s3) = (spec.clone(), spec.clone(), spec);
        let commit = LatestJob::spawn(
            move |rev: Option<String>| s1.read(rev.as_deref(), &mut ReadCache::default()),
            replier(&self.tx, |ticket, out| JobReply::Commit {
                ticket,
                result: failed_as_repo(out).map(Box::new),
            }),
        );
        let files = LatestJob::spawn(
            move |commit: CommitInfo| {
                let (files, cut) = commit_files(&s2.path, &commit.id)?;
                Ok((commit, files, cut))
            },
            replier(&self.tx, |ticket, out| JobReply::Files {
                ticket,
                result: failed_as_repo(out),
            }),
        );
        let history = LatestJob::spawn(
            move |req: HistoryRequest| {
                let options = s3.read_options();
                let entries =
                    object_history(&s3.path, Some(&req.commit), &req.key, &req.source, &options)?;
                Ok((req.key, entries))
            },
            replier(&self.tx, |ticket, out| JobReply::History {
                ticket,
                result: failed_as_repo(out),
            }),
        );
        self.jobs.repo = Some(RepoJobs {
            commit,
            files,
            history,
        });
    }

    pub fn set_config_file(&mut self, path: PathBuf) {
        self.config_file = Some(path);
    }

    /// Messages of type `E` into the core's channel.
    fn outbox<E: Send + 'static>(&self) -> Outbox<E>
    where
        Msg: From<E>,
    {
        Outbox::new(self.tx.clone())
    }

    /// `Cmd::Fetch` asks through `now` (a URL repo's fetcher).
    pub fn add_fetcher(&mut self, now: Sender<()>) {
        self.fetch_now = Some(now);
    }

    pub fn run(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Quit => {}
            Cmd::Fetch => {
                if let Some(now) = &self.fetch_now {
                    // a full channel means a fetch is already asked for
                    let _ = now.try_send(());
                }
            }
            Cmd::Watch(requests) => {
                for req in requests {
                    if req.restart
                        && let Some((old, current)) = self.watches.remove(&req.gvk)
                    {
                        // what it sent and is still queued is dropped when it arrives
                        current.store(false, Ordering::Release);
                        old.abort();
                    }
                    let (resolver, out) = (&self.resolver, &self.tx);
                    self.watches.entry(req.gvk.clone()).or_insert_with(|| {
                        let current = Arc::new(AtomicBool::new(true));
                        let mark = current.clone();
                        let outbox = Outbox::wrapping(out.clone(), move |event| Msg::Watched {
                            current: mark.clone(),
                            event,
                        });
                        (spawn_watch(resolver.clone(), req, outbox), current)
                    });
                }
            }
            // each pane's feed replaces the one before it (aborted), or stops with `None`
            Cmd::FollowLogs(target) => {
                let (client, out) = (self.resolver.client().clone(), self.outbox());
                replace(&mut self.logs, target.map(|t| follow_logs(client, t, out)));
            }
            Cmd::FollowEvents(target) => {
                let (client, out) = (self.resolver.client().clone(), self.outbox());
                replace(
                    &mut self.events,
                    target.map(|t| follow_events(client, t, out)),
                );
            }
            Cmd::FollowMetrics(request) => {
                let out = self.outbox();
                let feed = request.map(|r| {
                    kdrift_engine::metrics::follow_metrics(
                        r.source, r.target, r.panels, r.columns, out,
                    )
                });
                replace(&mut self.metrics, feed);
            }
            Cmd::FollowTraces(request) => {
                let out = self.outbox();
                let feed = request.map(|r| {
                    kdrift_engine::workload_traces::follow_traces(r.source, r.service, out)
                });
                replace(&mut self.traces, feed);
            }
            Cmd::Sync(plan) => {
                let task = run_sync(self.resolver.clone(), plan, Outbox::new(self.tx.clone()));
                self.sync = Some(tokio::spawn(task));
            }
            Cmd::Diff { ticket, request } => self.jobs.diff.request(ticket, request),
            Cmd::SaveIgnoreRule(rule) => {
                let (tx, file) = (self.tx.clone(), self.config_file.clone());
                tokio::spawn(async move {
                    let saved = match file {
                        Some(file) => tokio::task::spawn_blocking(move || save_rule(&file, &rule))
                            .await
                            .unwrap_or_else(|e| Err(e.to_string())),
                        None => Err("no config file".into()),
                    };
                    let _ = tx.send(Msg::Rules(saved)).await;
                });
            }
            Cmd::AskOwners { owners, now } => {
                let task = ask_owners(
                    self.resolver.clone(),
                    owners,
                    now,
                    Outbox::new(self.tx.clone()),
                );
                tokio::spawn(task);
            }
            Cmd::ExplainStuck { key, live } => {
                let (resolver, tx) = (self.resolver.clone(), self.tx.clone());
                tokio::spawn(async move {
                    let why = pod_trouble(&resolver, &key, &live).await;
                    let _ = tx.send(Msg::Stuck { key, why }).await;
                });
            }
            Cmd::Confirm(requests) => {
                for req in requests {
                    self.confirmer.request(req);
                }
            }
            Cmd::ReadCommit { ticket, rev } => {
                if let Some(jobs) = &self.jobs.repo {
                    jobs.commit.request(ticket, rev);
                }
            }
            Cmd::ReadCommitFiles { ticket, commit } => {
                if let Some(jobs) = &self.jobs.repo {
                    jobs.files.request(ticket, commit);
                }
            }
            Cmd::ReadHistory {
                ticket,
                key,
                source,
                commit,
            } => {
                if let Some(jobs) = &self.jobs.repo {
                    let req = HistoryRequest {
                        key,
                        source,
                        commit,
                    };
                    jobs.history.request(ticket, req);
                }
            }
        }
    }

    pub fn shutdown(&mut self) {
        self.confirming.abort();
        for (_, (w, _)) in self.watches.drain() {
            w.abort();
        }
        for feed in [
            &mut self.logs,
            &mut self.events,
            &mut self.metrics,
            &mut self.traces,
        ] {
            replace(feed, None);
        }
        if let Some(s) = self.sync.take() {
            s.abort();
        }
    }
}

/// Puts `new` in `slot`, aborting the task that was there.
fn replace(slot: &mut Option<JoinHandle<()>>, new: Option<JoinHandle<()>>) {
    if let Some(old) = std::mem::replace(slot, new) {
        old.abort();
    }
}

#[cfg(test)]
#[path = "executor_tests.rs"]
mod tests;
