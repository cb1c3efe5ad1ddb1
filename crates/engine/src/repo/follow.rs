//! Follows the branch live: the refs are watched with inotify (no polling), and a new commit at the
//! followed revision is read and sent as a fresh snapshot. A read that fails keeps the last good state.

use super::cache::{ReadCache, ReadOptions};
use super::error::{RepoError, Result};
use super::events::RepoEvent;
use super::read::{
    ReadPart, Snapshot, read_snapshot_streaming, read_snapshot_with, resolve_commit,
};
use super::render::RenderOptions;
use crate::outbox::Outbox;
use notify::{RecursiveMode, Watcher};
use std::path::PathBuf;
use std::time::Duration;
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Ref updates come in bursts (lock file, rename, reflog): wait this long for the burst to end.
const SETTLE: Duration = Duration::from_millis(50);

#[derive(Debug, Clone, Default)]
pub struct RepoSpec {
    pub path: PathBuf,
    pub rev: Option<String>,
    pub subdir: Option<String>,
    pub namespace: Option<String>,
    /// Values files applied to every Helm chart that has them (`--helm-values`).
    pub helm_values: Vec<String>,
    /// Let kustomize fetch remote bases (`--allow-remote-bases`).
    pub allow_remote_bases: bool,
    /// How long one fetch of a URL repo may take (`--git-timeout`; default `FETCH_LIMIT`).
    pub fetch_timeout: Option<Duration>,
    /// For a URL repo: the URL as given (it may carry credentials, so it is never shown);
    /// `path` is then its mirror in the cache.
    pub url: Option<String>,
    /// `--app`: only this app of the repo's Argo CD or Flux definitions.
    pub app: Option<String>,
}

impl RepoSpec {
    /// The deadline of one fetch.
    pub fn fetch_limit(&self) -> Duration {
        self.fetch_timeout.unwrap_or(super::remote::FETCH_LIMIT)
    }

    /// How the repo is named on screen, in logs and in JSON: the URL without credentials.
    pub fn display(&self) -> String {
        match &self.url {
            Some(url) => super::repo_url::redact_url(url),
            None => self.path.display().to_string(),
        }
    }

    /// Reads `rev` (default: the followed revision), named as `display` says.
    pub fn read(&self, rev: Option<&str>, cache: &mut ReadCache) -> Result<Snapshot> {
        let rev = rev.or(self.rev.as_deref());
        let mut snap = read_snapshot_with(&self.path, rev, &self.read_options(), cache)?;
        snap.repo = self.display();
        Ok(snap)
    }

    /// `read`, handing on its parts as they are parsed (see `ReadPart`).
    pub fn read_in_parts(
        &self,
        rev: Option<&str>,
        cache: &mut ReadCache,
        parts: &mut dyn FnMut(ReadPart),
    ) -> Result<Snapshot> {
        let rev = rev.or(self.rev.as_deref());
        let name = self.display();
        let mut named = |mut part: ReadPart| {
            part.repo = name.clone();
            parts(part)
        };
        let mut snap = read_snapshot_streaming(
            &self.path,
            rev,
            &self.read_options(),
            cache,
            Some(&mut named),
        )?;
        snap.repo = self.display();
        Ok(snap)
    }

    /// Whether the repo opens and `rev` names a commit, without reading it: what must be said
    /// before the terminal is taken (the read itself goes on inside the TUI).
    pub fn check_opens(&self) -> Result<()> {
        resolve_commit(&self.path, self.rev.as_deref()).map(|_| ())
    }

    pub fn read_options(&self) -> ReadOptions {
        ReadOptions {
            subdir: self.subdir.clone(),
            namespace: self.namespace.clone(),
            render: RenderOptions {
                helm_values: self.helm_values.clone(),
                allow_remote: self.allow_remote_bases,
            },
            app: self.app.clone(),
        }
    }
}

pub fn spawn_follower(spec: RepoSpec, out: Outbox<RepoEvent>) -> JoinHandle<()> {
    spawn_follower_from(spec, None, out)
}

/// A read made before the follower started (the binary reads the repo once, so a bad one fails
/// before anything else starts): handed on as the first snapshot, with its cache, instead of
/// being read again (at 100k manifests a read is seconds).
pub struct FirstRead {
    pub snapshot: Snapshot,
    pub cache: ReadCache,
}

/// `spawn_follower`, starting from `first` when given: it is sent as is, and the branch is read
/// again only once it has moved past it.
pub fn spawn_follower_from(
    spec: RepoSpec,
    first: Option<FirstRead>,
    out: Outbox<RepoEvent>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let (changed_tx, mut changed) = mpsc::channel::<()>(1);
        // The callback runs on notify's thread; a full channel already means "look again".
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            if event.is_ok_and(|e| moves_refs(&e.kind)) {
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
        // Parsed files and renders carry over, so a commit costs only what it changed.
        let mut cache = Some(ReadCache::default());
        if let Some(first) = first {
            last = Some(first.snapshot.commit.id.clone());
            cache = Some(first.cache);
            if !out
                .send(RepoEvent::Snapshot(Box::new(first.snapshot)))
                .await
            {
                return;
            }
        }
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
                    let mut taken = cache.take().unwrap_or_default();
                    // the first read is shown as it goes; later commits cost what they changed
                    let parts = last.is_none().then(|| (Handle::current(), out.clone()));
                    let read = tokio::task::spawn_blocking(move || {
                        let snap = match parts {
                            Some((runtime, out)) => {
                                spec.read_in_parts(Some(&id), &mut taken, &mut |part| {
                                    // a reader gone is seen by the next send below
                                    let _ = runtime
                                        .block_on(out.send(RepoEvent::Reading(Box::new(part))));
                                })
                            }
                            None => spec.read(Some(&id), &mut taken),
                        };
                        (snap, taken)
                    })
                    .await;
                    match read {
                        Ok((Ok(snap), kept)) => {
                            cache = Some(kept);
                            last = Some(snap.commit.id.clone());
                            Some(RepoEvent::Snapshot(Box::new(snap)))
                        }
                        Ok((Err(e), kept)) => {
                            cache = Some(kept);
                            Some(RepoEvent::Failed(e))
                        }
                        Err(e) => Some(RepoEvent::Failed(RepoError::Task(e.to_string()))),
                    }
                }
                Ok(Err(e)) => Some(RepoEvent::Failed(e)),
                Err(e) => Some(RepoEvent::Failed(RepoError::Task(e.to_string()))),
            };
            if let Some(event) = msg
                && !out.send(event).await
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

/// Whether an event can mean a ref moved. Opening and reading files is not: reading the repo
/// (this follower's own reads included) would otherwise wake it again, for ever.
fn moves_refs(kind: &notify::EventKind) -> bool {
    use notify::event::{AccessKind, AccessMode};
    match kind {
        notify::EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        notify::EventKind::Access(_) => false,
        _ => true,
    }
}

/// HEAD and packed-refs live in the git dir itself; loose refs below `refs/`.
fn watch_refs(watcher: &mut notify::RecommendedWatcher, spec: &RepoSpec) -> notify::Result<()> {
    let repo = super::trust::open(&spec.path)
        .map_err(|e| notify::Error::generic(&crate::error::chain(&e)))?;
    let git_dir = repo.git_dir().to_path_buf();
    watcher.watch(&git_dir, RecursiveMode::NonRecursive)?;
    watcher.watch(&git_dir.join("refs"), RecursiveMode::Recursive)
}
