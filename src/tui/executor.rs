//! Runs the core's commands as tasks and cancels the ones that are superseded.

use crate::app::{Cmd, Msg, RepoMsg};
use crate::cluster::{Resolver, follow_logs, spawn_watch};
use crate::model::Gvk;
use crate::repo::{ReadCache, RepoSpec, commit_files, object_history};
use crate::sync::run_sync;
use std::collections::HashMap;
use tokio::sync::mpsc::Sender;
use tokio::task::JoinHandle;

pub struct Executor {
    resolver: Resolver,
    tx: Sender<Msg>,
    watches: HashMap<Gvk, JoinHandle<()>>,
    logs: Option<JoinHandle<()>>,
    sync: Option<JoinHandle<()>>,
    /// Where commits are read from for time travel; `None` when there is no repo (tests).
    repo: Option<RepoSpec>,
    /// Asks a URL repo's fetcher to fetch now.
    fetch_now: Option<Sender<()>>,
}

impl Executor {
    pub fn new(resolver: Resolver, tx: Sender<Msg>) -> Self {
        Self {
            resolver,
            tx,
            watches: HashMap::new(),
            logs: None,
            sync: None,
            repo: None,
            fetch_now: None,
        }
    }

    pub fn with_repo(mut self, spec: RepoSpec) -> Self {
        self.repo = Some(spec);
        self
    }

    pub fn with_fetcher(mut self, now: Sender<()>) -> Self {
        self.fetch_now = Some(now);
        self
    }

    pub fn run(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Quit => {}
            Cmd::ReadCommitFiles(commit) => {
                let Some(spec) = self.repo.clone() else {
                    return;
                };
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let id = commit.id.clone();
                    let read =
                        tokio::task::spawn_blocking(move || commit_files(&spec.path, &id)).await;
                    let msg = match read {
                        Ok(Ok((files, cut))) => RepoMsg::Files { commit, files, cut },
                        Ok(Err(e)) => RepoMsg::Failed(format!("files of {}: {e:#}", commit.short)),
                        Err(e) => RepoMsg::Failed(e.to_string()),
                    };
                    let _ = tx.send(Msg::Repo(msg)).await;
                });
            }
            Cmd::Fetch => {
                if let Some(now) = &self.fetch_now {
                    // a full channel means a fetch is already asked for
                    let _ = now.try_send(());
                }
            }
            Cmd::Watch(requests) => {
                for req in requests {
                    if req.restart
                        && let Some(old) = self.watches.remove(&req.gvk)
                    {
                        old.abort();
                    }
                    self.watches.entry(req.gvk.clone()).or_insert_with(|| {
                        spawn_watch(self.resolver.clone(), req, self.tx.clone())
                    });
                }
            }
            Cmd::FollowLogs(target) => {
                if let Some(old) = self.logs.take() {
                    old.abort();
                }
                self.logs =
                    target.map(|t| follow_logs(self.resolver.client().clone(), t, self.tx.clone()));
            }
            Cmd::ReadCommit(commit) => {
                let Some(spec) = self.repo.clone() else {
                    return;
                };
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let read = tokio::task::spawn_blocking(move || {
                        spec.read(commit.as_deref(), &mut ReadCache::default())
                    })
                    .await;
                    let msg = match read {
                        Ok(Ok(snap)) => RepoMsg::Travel(Box::new(snap)),
                        Ok(Err(e)) => RepoMsg::Failed(format!("{e:#}")),
                        Err(e) => RepoMsg::Failed(e.to_string()),
                    };
                    let _ = tx.send(Msg::Repo(msg)).await;
                });
            }
            Cmd::ReadHistory {
                key,
                source,
                commit,
            } => {
                let Some(spec) = self.repo.clone() else {
                    return;
                };
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let read = tokio::task::spawn_blocking(move || {
                        object_history(
                            &spec.path,
                            Some(&commit),
                            &key,
                            &source,
                            &spec.read_options(),
                        )
                        .map(|entries| RepoMsg::History { key, entries })
                    })
                    .await;
                    let msg = match read {
                        Ok(Ok(m)) => m,
                        Ok(Err(e)) => RepoMsg::Failed(format!("history: {e:#}")),
                        Err(e) => RepoMsg::Failed(e.to_string()),
                    };
                    let _ = tx.send(Msg::Repo(msg)).await;
                });
            }
            Cmd::Sync(plan) => {
                let task = run_sync(self.resolver.clone(), plan, self.tx.clone());
                self.sync = Some(tokio::spawn(task));
            }
        }
    }

    pub fn shutdown(&mut self) {
        for (_, w) in self.watches.drain() {
            w.abort();
        }
        if let Some(l) = self.logs.take() {
            l.abort();
        }
        if let Some(s) = self.sync.take() {
            s.abort();
        }
    }
}
