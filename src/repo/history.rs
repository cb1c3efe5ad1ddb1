//! Per-resource history: the commits that changed one object's desired state, newest first, each
//! with the diff of that object. Follows the object's current source file back through first parents.

use super::manifests::parse_file;
use super::read::{CommitInfo, LOG_LIMIT, commit_info};
use crate::drift::{DiffLine, version_diff};
use crate::model::ResourceKey;
use anyhow::{Context, Result, anyhow};
use serde_json::Value;
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub commit: CommitInfo,
    /// "added", "changed" or "removed".
    pub change: &'static str,
    pub diff: Vec<DiffLine>,
}

/// Commits (reachable from `rev`, at most `LOG_LIMIT`) whose version of `source` declares `key`
/// differently from their parent's.
pub fn object_history(
    path: &Path,
    rev: Option<&str>,
    key: &ResourceKey,
    source: &str,
    namespace: Option<&str>,
) -> Result<Vec<HistoryEntry>> {
    let repo = gix::open_opts(path, gix::open::Options::isolated())
        .with_context(|| format!("{} is not a git repository", path.display()))?;
    let rev = rev.unwrap_or("HEAD");
    let tip = repo
        .rev_parse_single(rev)
        .map_err(|e| anyhow!("cannot resolve revision {rev:?}: {e}"))?
        .detach();
    let namespace = namespace.unwrap_or("default");
    // The object as each commit declares it; blob ids make unchanged files free to skip.
    let version_at = |commit: &gix::Commit<'_>| -> Result<(Option<gix::ObjectId>, Option<Value>)> {
        let tree = commit.tree()?;
        let Some(entry) = tree.lookup_entry_by_path(source)? else {
            return Ok((None, None));
        };
        let blob = repo.find_object(entry.object_id())?;
        let (objects, _) = parse_file(source, &blob.data, namespace);
        let manifest = objects
            .into_iter()
            .find(|d| &d.key == key)
            .map(|d| d.manifest);
        Ok((Some(entry.object_id()), manifest))
    };
    let mut out = Vec::new();
    for info in repo
        .rev_walk([tip])
        .first_parent_only()
        .all()?
        .take(LOG_LIMIT)
    {
        let info = info?;
        let commit = repo.find_commit(info.id)?;
        let (blob, now) = version_at(&commit)?;
        let (parent_blob, before) = match commit.parent_ids().next() {
            Some(p) => version_at(&repo.find_commit(p.detach())?)?,
            None => (None, None),
        };
        if blob == parent_blob || now == before {
            continue;
        }
        let change = match (&before, &now) {
            (None, Some(_)) => "added",
            (Some(_), None) => "removed",
            _ => "changed",
        };
        out.push(HistoryEntry {
            commit: commit_info(&commit),
            change,
            diff: version_diff(before.as_ref(), now.as_ref(), key.is_secret(), 2),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::{RepoFile, write_history};

    #[test]
    fn lists_only_commits_that_changed_the_object() {
        let dir = tempfile::tempdir().unwrap();
        let cm = |v: &str| {
            format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  v: \"{v}\"\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n"
            )
        };
        let other = |v: &str| {
            cm("1").replace(
                "name: other\n",
                &format!("name: other\ndata:\n  x: \"{v}\"\n"),
            )
        };
        let (a, b, c) = (cm("1"), other("2"), cm("3"));
        write_history(
            dir.path(),
            &[
                (
                    "add",
                    vec![RepoFile {
                        path: "c.yaml",
                        contents: Some(&a),
                    }],
                ),
                (
                    "touch other object",
                    vec![RepoFile {
                        path: "c.yaml",
                        contents: Some(&b),
                    }],
                ),
                (
                    "unrelated file",
                    vec![RepoFile {
                        path: "README",
                        contents: Some("x"),
                    }],
                ),
                (
                    "change v",
                    vec![RepoFile {
                        path: "c.yaml",
                        contents: Some(&c),
                    }],
                ),
            ],
        )
        .unwrap();
        let key = ResourceKey {
            namespace: Some("default".into()),
            kind: "ConfigMap".into(),
            name: "c".into(),
            group: String::new(),
            version: "v1".into(),
        };
        let h = object_history(dir.path(), None, &key, "c.yaml", None).unwrap();
        let subjects: Vec<_> = h
            .iter()
            .map(|e| (e.commit.subject.as_str(), e.change))
            .collect();
        assert_eq!(subjects, [("change v", "changed"), ("add", "added")]);
        let text: Vec<_> = h[0].diff.iter().map(|l| l.text.as_str()).collect();
        assert!(
            text.contains(&"-  v: '1'") || text.contains(&"-  v: \"1\""),
            "{text:?}"
        );
    }
}
