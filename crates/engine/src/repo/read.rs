//! Reads the manifests at a commit straight from git's object database (never the worktree).

use super::apps::{AppInfo, expand};
use super::cache::{ReadCache, ReadOptions};
use super::error::{GitContext, RepoError, Result};
use super::manifests::{MAX_FILE_BYTES, Parsed, is_manifest_path, merge_parsed, parse_all};
use super::render::{Layout, Tools, export, find_roots, fingerprint, is_under, render_root};
use super::tree_index::{EntryKind, LinkTarget, TreeIndex};
use crate::config::{AppConfig, RepoConfig};
use crate::drift::IgnoreRules;
use crate::model::{Desired, ManifestError};
use std::collections::BTreeSet;
use std::path::Path;

#[derive(Debug, Clone, Default, PartialEq)]
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
    /// Who applies this desired state, written on every object kdrift applies so that only this
    /// repo and path ever prune them: the repo's `origin` URL (without credentials) or, for a repo
    /// with none, its directory; then the path inside it.
    pub source: String,
    pub branch: Option<String>,
    pub commit: CommitInfo,
    pub desired: Vec<Desired>,
    pub errors: Vec<ManifestError>,
    /// Things skipped on purpose (submodules): shown, but they block nothing.
    pub notes: Vec<ManifestError>,
    /// The branch's history from this commit back, newest first (bounded by `LOG_LIMIT`).
    pub log: Vec<CommitInfo>,
    /// Ignore rules from `.kdrift.toml` at the root of the commit (empty without one).
    pub ignore: IgnoreRules,
    /// The apps the repo's Argo CD and Flux definitions declare (empty: none).
    pub apps: Vec<AppInfo>,
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
    let what = "reading the branch's history";
    for info in repo.rev_walk([tip]).all().git(what)?.take(limit) {
        let info = info.git(what)?;
        out.push(commit_info(&repo.find_commit(info.id).git(what)?));
    }
    Ok(out)
}

/// Opens the repo and resolves `rev` (default: HEAD) to a commit id.
pub(crate) fn open_at(path: &Path, rev: Option<&str>) -> Result<(gix::Repository, gix::ObjectId)> {
    let repo = super::trust::open(path)?;
    let rev = rev.unwrap_or("HEAD");
    let id = repo
        .rev_parse_single(rev)
        .map_err(|e| RepoError::Revision {
            path: path.to_path_buf(),
            rev: rev.to_string(),
            detail: e.to_string(),
        })?;
    let id = repo
        .find_commit(id.detach())
        .git_with(|| format!("{rev} is not a commit"))?
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
    let options = ReadOptions {
        subdir: subdir.map(str::to_string),
        namespace: namespace.map(str::to_string),
        ..ReadOptions::default()
    };
    read_snapshot_with(path, rev, &options, &mut ReadCache::default())
}

/// Reads the commit at `rev`, reusing whatever `cache` parsed or rendered before: a new commit
/// costs one tree walk plus the blobs and renders whose inputs it changed.
pub fn read_snapshot_with(
    path: &Path,
    rev: Option<&str>,
    options: &ReadOptions,
    cache: &mut ReadCache,
) -> Result<Snapshot> {
    read_snapshot_streaming(path, rev, options, cache, None)
}

/// Part of a read handed on before the read ends: the objects of the files parsed since the
/// last part. At 100k manifests a read takes seconds; with its parts, rows are on screen (and
/// their kinds watched) after the first few hundred files. Only files the cache did not hold
/// are handed on (a first read), and none when `--app` picks what is kept at the end.
#[derive(Debug, Clone)]
pub struct ReadPart {
    pub repo: String,
    pub branch: Option<String>,
    pub commit: CommitInfo,
    pub desired: Vec<Desired>,
    /// The ignore rules of the repo's `.kdrift.toml`, as the snapshot will have them.
    pub ignore: IgnoreRules,
    /// Files parsed so far, of `files` to parse.
    pub files_read: usize,
    pub files: usize,
}

/// Bytes of manifests in the first part: small, so the first rows come soon; each part after
/// it is twice the one before, up to `LAST_PART_BYTES` (a part costs the inventory a pass over
/// its objects, and the front end a frame).
const FIRST_PART_BYTES: usize = 128 * 1024;
const LAST_PART_BYTES: usize = 8 * 1024 * 1024;

/// `read_snapshot_with`, handing each part to `parts` as it is parsed (see `ReadPart`). The
/// snapshot at the end is the read's answer; the parts only show it coming.
pub fn read_snapshot_streaming(
    path: &Path,
    rev: Option<&str>,
    options: &ReadOptions,
    cache: &mut ReadCache,
    mut parts: Option<&mut dyn FnMut(ReadPart)>,
) -> Result<Snapshot> {
    use tracing::field::Empty;
    if options.app.is_some() {
        // what is kept is decided at the end: a part could show another app's objects
        parts = None;
    }
    // one trace per read: its renders inside, what it found recorded when it ends
    let span = tracing::info_span!(
        "repo.read",
        rev = rev.unwrap_or("HEAD"),
        commit = Empty,
        files = Empty,
        objects = Empty,
        errors = Empty,
        otel.status_code = Empty,
        otel.status_description = Empty
    );
    let _read = span.enter();
    let (repo, id) = open_at(path, rev)?;
    let branch = repo
        .head_name()
        .ok()
        .flatten()
        .map(|n| n.shorten().to_string());
    let commit = repo.find_commit(id).git("reading the commit")?;
    let info = commit_info(&commit);
    let log = read_log(&repo, commit.id, LOG_LIMIT)?;
    let tree = commit.tree().git("reading the commit's tree")?;
    let index = TreeIndex::read(&tree)?;
    let namespace = options.namespace.as_deref().unwrap_or("default");
    cache.begin(options);

    let prefix = options.prefix();
    let mut errors: Vec<ManifestError> = index
        .refused
        .iter()
        .filter(|(path, _)| is_under(path, &prefix) || prefix.starts_with(path.as_str()))
        .map(|(path, why)| ManifestError {
            source: path.clone(),
            line: None,
            message: format!("tree entry refused: {why}; nothing below it is read"),
            object: None,
            app: None,
        })
        .collect();
    let mut notes = Vec::new();
    if !index.is_dir(&prefix) {
        errors.push(ManifestError {
            source: prefix.clone(),
            line: None,
            message: "the --path directory does not exist at this commit".into(),
            object: None,
            app: None,
        });
    }
    let read_path = |p: &str| -> Option<Vec<u8>> {
        let e = index.get(p)?;
        Some(repo.find_object(e.oid).ok()?.data.clone())
    };
    let layout = find_roots(&index, &prefix, &read_path, options.render.allow_remote);
    let files = plain_files(&repo, &index, &prefix, &layout, &mut errors, &mut notes)?;

    let mut parsed: Vec<Parsed> = Vec::with_capacity(files.len() + layout.roots.len());
    let mut misses = Vec::new();
    for (i, (file, oid)) in files.iter().enumerate() {
        match cache.file(*oid, file) {
            Some(hit) => parsed.push(hit),
            None => {
                parsed.push(Default::default());
                misses.push((i, *oid));
            }
        }
    }
    // before the parts: each carries the repo's ignore rules, so what it shows is judged by them
    let (ignore, by_hand) = repo_config(&repo, &index, &mut errors);
    let mut start = 0;
    let mut budget = FIRST_PART_BYTES;
    while start < misses.len() {
        // without anyone to hand parts to, one part: every file at once
        let mut end = start;
        let mut bytes = 0;
        let mut inputs = Vec::new();
        let mut too_big = Vec::new();
        while end < misses.len() && (parts.is_none() || end == start || bytes < budget) {
            let (i, oid) = misses[end];
            // the header alone says how big a blob is, so an oversized one is never inflated
            let big = repo.find_header(oid).git("reading a file's size")?.size() as usize
                > MAX_FILE_BYTES;
            let data = if big {
                Vec::new()
            } else {
                repo.find_object(oid).git("reading a file")?.detach().data
            };
            bytes += data.len();
            too_big.push(big);
            inputs.push((files[i].0.clone(), data));
            end += 1;
        }
        let results = parse_all(&inputs, namespace);
        for (((i, oid), result), big) in misses[start..end].iter().zip(results).zip(too_big) {
            let result = if big {
                let message = format!("file is larger than {MAX_FILE_BYTES} bytes");
                let source = files[*i].0.clone();
                (
                    vec![],
                    vec![ManifestError {
                        source,
                        line: None,
                        message,
                        object: None,
                        app: None,
                    }],
                )
            } else {
                result
            };
            cache.keep_file(*oid, &files[*i].0, result.clone());
            parsed[*i] = result;
        }
        if let Some(hand_on) = parts.as_mut() {
            let desired = misses[start..end]
                .iter()
                .flat_map(|(i, _)| parsed[*i].0.iter().cloned())
                .collect();
            hand_on(ReadPart {
                repo: path.display().to_string(),
                branch: branch.clone(),
                commit: info.clone(),
                desired,
                ignore: ignore.clone(),
                files_read: end,
                files: misses.len(),
            });
        }
        start = end;
        budget = (budget * 2).min(LAST_PART_BYTES);
    }

    parsed.extend(render_all(&repo, &index, tree.id, &layout, options, cache)?);
    errors.extend(layout.errors.iter().cloned());
    let (apps, app_notes) = expand(
        &repo,
        &index,
        tree.id,
        &mut parsed,
        namespace,
        &by_hand,
        &options.render,
        cache,
    )?;
    notes.extend(app_notes);
    let (mut desired, parse_errors) = merge_parsed(parsed);
    errors.extend(parse_errors);
    let mut apps = apps;
    if let Some(name) = options.app.as_deref() {
        select_app(name, &mut apps, &mut desired, &mut errors, &mut notes);
    }
    // a render tool's stderr can quote what it read: none of the repo's Secret values in rows
    let values: Vec<String> = desired
        .iter()
        .filter(|d| d.key.is_secret())
        .flat_map(|d| crate::drift::secret_values(&d.manifest.tree()))
        .collect();
    if !values.is_empty() {
        for e in &mut errors {
            e.message = crate::drift::scrub_values(&e.message, &values);
        }
    }
    cache.end();
    span.record("commit", info.short.as_str());
    span.record("files", files.len());
    span.record("objects", desired.len());
    span.record("errors", errors.len());
    // an unreadable manifest marks the read (the rows say the rest)
    if let Some(first) = errors.first() {
        span.record("otel.status_code", "ERROR");
        span.record(
            "otel.status_description",
            format!("{}: {}", first.source, first.message).as_str(),
        );
    }
    Ok(Snapshot {
        repo: path.display().to_string(),
        source: source_of(&repo, path, &prefix),
        branch,
        commit: info,
        desired,
        errors,
        notes,
        log,
        ignore,
        apps,
    })
}

/// Keeps only what `--app NAME` (a name, or `namespace/name`) renders, and that app; an unknown
/// name is an error row listing the apps there are.
fn select_app(
    name: &str,
    apps: &mut Vec<AppInfo>,
    desired: &mut Vec<Desired>,
    errors: &mut Vec<ManifestError>,
    notes: &mut Vec<ManifestError>,
) {
    let picked = |a: &AppInfo| a.name == name || format!("{}/{}", a.namespace, a.name) == name;
    let chosen: Vec<&AppInfo> = apps.iter().filter(|a| picked(a)).collect();
    let names: BTreeSet<String> = chosen.iter().map(|a| a.name.clone()).collect();
    let ours = |app: Option<&str>| app.is_some_and(|a| names.contains(a));
    desired.retain(|d| ours(d.app.as_deref()));
    errors.retain(|e| ours(e.app.as_deref()));
    notes.retain(|e| ours(e.app.as_deref()));
    if names.is_empty() {
        let known: Vec<&str> = apps.iter().map(|a| a.name.as_str()).collect();
        errors.push(ManifestError {
            source: "--app".into(),
            message: if known.is_empty() {
                format!("no app {name:?}: this commit declares no apps")
            } else {
                format!("no app {name:?}; the apps are: {}", known.join(", "))
            },
            ..ManifestError::default()
        });
    }
    apps.retain(|a| picked(a));
}

/// `origin`'s URL when there is one (so every clone of a repo is the same source), else the
/// directory; `:path` when a path inside the repo was chosen.
fn source_of(repo: &gix::Repository, path: &Path, prefix: &str) -> String {
    let origin = repo
        .find_remote("origin")
        .ok()
        .and_then(|r| {
            r.url(gix::remote::Direction::Fetch)
                .map(|u| u.to_bstring().to_string())
        })
        .map(|u| {
            let u = super::repo_url::redact_url(&u);
            let u = u.trim_end_matches('/');
            u.strip_suffix(".git").unwrap_or(u).to_string()
        });
    let base = origin.unwrap_or_else(|| {
        std::fs::canonicalize(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .display()
            .to_string()
    });
    let sub = prefix.trim_matches('/');
    if sub.is_empty() {
        base
    } else {
        format!("{base}:{sub}")
    }
}

/// The repo's own config file, read from the commit like the manifests.
pub const CONFIG_FILE: &str = ".kdrift.toml";

/// The ignore rules and apps of `.kdrift.toml`; a file that does not parse is an error row
/// naming its line and key (and none of it is used).
fn repo_config(
    repo: &gix::Repository,
    index: &TreeIndex,
    errors: &mut Vec<ManifestError>,
) -> (IgnoreRules, Vec<AppConfig>) {
    let Some(entry) = index.get(CONFIG_FILE).filter(|e| e.kind == EntryKind::Blob) else {
        return Default::default();
    };
    let text = repo
        .find_object(entry.oid)
        .ok()
        .map(|o| String::from_utf8_lossy(&o.data).into_owned())
        .unwrap_or_default();
    match RepoConfig::parse(&text) {
        Ok(config) => (config.rules(), config.app),
        Err(e) => {
            errors.push(ManifestError {
                source: CONFIG_FILE.into(),
                line: e.line,
                message: e.message,
                object: None,
                app: None,
            });
            Default::default()
        }
    }
}

/// Manifest files under `prefix` that no renderer owns, with symlinks resolved inside the tree.
fn plain_files(
    repo: &gix::Repository,
    index: &TreeIndex,
    prefix: &str,
    layout: &Layout,
    errors: &mut Vec<ManifestError>,
    notes: &mut Vec<ManifestError>,
) -> Result<Vec<(String, gix::ObjectId)>> {
    let mut files = Vec::new();
    for path in &index.paths {
        if !is_under(path, prefix) || layout.owns(path) {
            continue;
        }
        let Some(entry) = index.get(path) else {
            continue;
        };
        match entry.kind {
            EntryKind::Submodule => notes.push(ManifestError {
                source: path.clone(),
                line: None,
                message: "submodule skipped: only this repository's own files are read".into(),
                object: None,
                app: None,
            }),
            EntryKind::Blob if is_manifest_path(path) => files.push((path.clone(), entry.oid)),
            EntryKind::Link if is_manifest_path(path) => {
                match index.follow_link(path, |oid| {
                    Ok(repo.find_object(oid).git("reading a symlink")?.data.clone())
                }) {
                    LinkTarget::Blob { oid, .. } => files.push((path.clone(), oid)),
                    LinkTarget::Refused(message) => errors.push(ManifestError {
                        source: path.clone(),
                        line: None,
                        message,
                        object: None,
                        app: None,
                    }),
                }
            }
            _ => {}
        }
    }
    Ok(files)
}

/// Renders every root whose inputs changed since the cache saw them; one export serves them all.
fn render_all(
    repo: &gix::Repository,
    index: &TreeIndex,
    top: gix::ObjectId,
    layout: &Layout,
    options: &ReadOptions,
    cache: &mut ReadCache,
) -> Result<Vec<Parsed>> {
    let namespace = options.namespace.as_deref().unwrap_or("default");
    let keyed: Vec<_> = layout
        .roots
        .iter()
        .map(|r| (r, fingerprint(index, r, top)))
        .collect();
    let missing: Vec<String> = keyed
        .iter()
        .filter(|(r, fp)| cache.render(&r.file, fp).is_none())
        .flat_map(|(r, _)| r.inputs.iter().cloned())
        .collect();
    let export_dir = if missing.is_empty() {
        None
    } else {
        let dir = tempfile::Builder::new()
            .prefix("kdrift-render-")
            .tempdir()
            .git("creating a temp dir to render in")?;
        export(repo, index, &missing, dir.path())?;
        Some(dir)
    };
    let tools = export_dir
        .as_ref()
        .map(|_| Tools::detect())
        .unwrap_or_default();
    let mut out = Vec::with_capacity(keyed.len());
    for (root, fp) in keyed {
        let result = match (cache.render(&root.file, &fp), &export_dir) {
            (Some(hit), _) => hit,
            (None, Some(dir)) => {
                let _render = tracing::info_span!(
                    "render",
                    dir = %root.dir,
                    renderer = root.renderer.name()
                )
                .entered();
                render_root(dir.path(), root, &tools, &options.render, namespace)
            }
            (None, None) => unreachable!("an export exists whenever a render is missing"),
        };
        cache.keep_render(&root.file, fp, result.clone());
        out.push(result);
    }
    Ok(out)
}
