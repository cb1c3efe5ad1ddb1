//! Follows the branch live: the refs are watched with inotify (no polling), and a new commit at the
//! followed revision is read and sent as a fresh snapshot. A read that fails keeps the last good state.

use super::read::{read_snapshot, resolve_commit};
use crate::app::{Msg, RepoMsg};
use notify::{RecursiveMode, Watcher};
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc::{self, Sender};
use tokio::task::JoinHandle;

/// Ref updates come in bursts (lock file, rename, reflog): wait this long for the burst to end.
const SETTLE: Duration = Duration::from_millis(50);

#[derive(Debug, Clone)]
pub struct RepoSpec {
    pub path: PathBuf,
    pub rev: Option<String>,
    pub subdir: Option<String>,
    pub namespace: Option<String>,
}

pub fn spawn_follower(spec: RepoSpec, tx: Sender<Msg>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let (changed_tx, mut changed) = mpsc::channel::<()>(1);
        // The callback runs on notify's thread; a full channel already means "look again".
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            if event.is_ok() {
                let _ = changed_tx.try_send(());
            }
        });
        let _watcher = match watcher.and_then(|mut w| watch_refs(&mut w, &spec).map(|()| w)) {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch the repo's refs; showing one snapshot");
                None
            }
        };
        let mut last: Option<String> = None;
        loop {
            let current = {
                let spec = spec.clone();
                tokio::task::spawn_blocking(move || resolve_commit(&spec.path, spec.rev.as_deref()))
                    .await
            };
            let msg = match current {
                Ok(Ok(id)) if last.as_ref() == Some(&id) => None,
                Ok(Ok(id)) => {
                    let spec = spec.clone();
                    let read = tokio::task::spawn_blocking(move || {
                        read_snapshot(
                            &spec.path,
                            Some(&id),
                            spec.subdir.as_deref(),
                            spec.namespace.as_deref(),
                        )
                    })
                    .await;
                    match read {
                        Ok(Ok(snap)) => {
                            last = Some(snap.commit.id.clone());
                            Some(RepoMsg::Snapshot(Box::new(snap)))
                        }
                        Ok(Err(e)) => Some(RepoMsg::Failed(format!("{e:#}"))),
                        Err(e) => Some(RepoMsg::Failed(e.to_string())),
                    }
                }
                Ok(Err(e)) => Some(RepoMsg::Failed(format!("{e:#}"))),
                Err(e) => Some(RepoMsg::Failed(e.to_string())),
            };
            if let Some(msg) = msg
                && tx.send(Msg::Repo(msg)).await.is_err()
            {
                return;
            }
            if changed.recv().await.is_none() {
                return; // no watcher: one snapshot is all there is
            }
            tokio::time::sleep(SETTLE).await;
            while changed.try_recv().is_ok() {}
        }
    })
}

/// HEAD and packed-refs live in the git dir itself; loose refs below `refs/`.
fn watch_refs(watcher: &mut notify::RecommendedWatcher, spec: &RepoSpec) -> notify::Result<()> {
    let repo = gix::open_opts(&spec.path, gix::open::Options::isolated())
        .map_err(|e| notify::Error::generic(&e.to_string()))?;
    let git_dir = repo.git_dir().to_path_buf();
    watcher.watch(&git_dir, RecursiveMode::NonRecursive)?;
    watcher.watch(&git_dir.join("refs"), RecursiveMode::Recursive)
}
