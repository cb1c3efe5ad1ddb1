//! Reads the manifests at a commit straight from git's object database (never the worktree).

use super::manifests::{MAX_FILE_BYTES, is_manifest_path, parse_manifests};
use crate::model::{Desired, ManifestError};
use anyhow::{Context, Result, anyhow};
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
pub struct CommitInfo {
    pub id: String,
    pub short: String,
    pub subject: String,
    pub author: String,
    /// Committer time, seconds since the epoch.
    pub time: i64,
}

/// The desired state as one commit declares it.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub repo: String,
    pub branch: Option<String>,
    pub commit: CommitInfo,
    pub desired: Vec<Desired>,
    pub errors: Vec<ManifestError>,
    /// The branch's history from this commit back, newest first (bounded by `LOG_LIMIT`).
    pub log: Vec<CommitInfo>,
}

/// Commits shown in the commits pane.
pub const LOG_LIMIT: usize = 200;

pub(crate) fn commit_info(commit: &gix::Commit<'_>) -> CommitInfo {
    let message = commit.message_raw_sloppy().to_string();
    let full = commit.id.to_string();
    CommitInfo {
        short: full[..7.min(full.len())].to_string(),
        id: full,
        subject: message.lines().next().unwrap_or_default().to_string(),
        author: commit
            .author()
            .map(|a| a.name.to_string())
            .unwrap_or_default(),
        time: commit.time().map(|t| t.seconds).unwrap_or(0),
    }
}

/// Up to `limit` commits reachable from `tip`, newest first.
fn read_log(repo: &gix::Repository, tip: gix::ObjectId, limit: usize) -> Result<Vec<CommitInfo>> {
    let mut out = Vec::new();
    for info in repo.rev_walk([tip]).all()?.take(limit) {
        let info = info?;
        out.push(commit_info(&repo.find_commit(info.id)?));
    }
    Ok(out)
}

/// Opens the repo with reduced trust and resolves `rev` (default: HEAD) to a commit id.
/// Isolated: the user's and system git config are ignored, so an untrusted repo cannot run anything.
fn open_at(path: &Path, rev: Option<&str>) -> Result<(gix::Repository, gix::ObjectId)> {
    let repo = gix::open_opts(path, gix::open::Options::isolated())
        .with_context(|| format!("{} is not a git repository", path.display()))?;
    let rev = rev.unwrap_or("HEAD");
    let id = repo
        .rev_parse_single(rev)
        .map_err(|e| anyhow!("{}: cannot resolve revision {rev:?}: {e}", path.display()))?;
    let id = repo
        .find_commit(id.detach())
        .with_context(|| format!("{rev} is not a commit"))?
        .id;
    Ok((repo, id))
}

/// The commit `rev` (default: HEAD) points at now.
pub fn resolve_commit(path: &Path, rev: Option<&str>) -> Result<String> {
    Ok(open_at(path, rev)?.1.to_string())
}

/// Objects without a namespace get `namespace` (default: `default`).
pub fn read_snapshot(
    path: &Path,
    rev: Option<&str>,
    subdir: Option<&str>,
    namespace: Option<&str>,
) -> Result<Snapshot> {
    let (repo, id) = open_at(path, rev)?;
    let branch = repo
        .head_name()
        .ok()
        .flatten()
        .map(|n| n.shorten().to_string());
    let commit = repo.find_commit(id)?;
    let info = commit_info(&commit);
    let log = read_log(&repo, commit.id, LOG_LIMIT).context("reading the branch's history")?;

    let tree = commit.tree().context("reading the commit's tree")?;
    let mut recorder = gix::traverse::tree::Recorder::default();
    tree.traverse()
        .breadthfirst(&mut recorder)
        .context("walking the tree")?;
    let prefix = subdir
        .map(|s| s.trim_matches('/'))
        .filter(|s| !s.is_empty() && *s != ".")
        .map(|s| format!("{s}/"));
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for entry in recorder.records {
        let file = entry.filepath.to_string();
        if prefix
            .as_ref()
            .is_some_and(|p| !file.starts_with(p.as_str()))
            || !is_manifest_path(&file)
        {
            continue;
        }
        if !entry.mode.is_blob() {
            if entry.mode.is_link() {
                errors.push(ManifestError {
                    source: file,
                    line: None,
                    message: "symlinks are not followed".into(),
                });
            }
            continue;
        }
        let header = repo.find_header(entry.oid)?;
        if header.size() as usize > MAX_FILE_BYTES {
            errors.push(ManifestError {
                source: file,
                line: None,
                message: format!("file is larger than {MAX_FILE_BYTES} bytes"),
            });
            continue;
        }
        let blob = repo.find_object(entry.oid)?;
        files.push((file, blob.data.clone()));
    }
    let (desired, parse_errors) = parse_manifests(&files, namespace.unwrap_or("default"));
    errors.extend(parse_errors);
    Ok(Snapshot {
        repo: path.display().to_string(),
        branch,
        commit: info,
        desired,
        errors,
        log,
    })
}
