//! Per-resource history: the commits that changed one object's desired state, newest first, each
//! with the diff of that object. Follows the object's current source file back through first parents.

use super::cache::ReadOptions;
use super::error::{GitContext, Result};
use super::manifests::parse_file;
use super::read::{CommitInfo, LOG_LIMIT, commit_info};
use super::render::{KUSTOMIZATION_FILES, Tools, export, find_roots, fingerprint, render_root};
use super::tree_index::{TreeIndex, parent};
use crate::drift::{DiffLine, version_diff};
use crate::model::ResourceKey;
use gix::ObjectId;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub commit: CommitInfo,
    /// "added", "changed" or "removed".
    pub change: &'static str,
    pub diff: Vec<DiffLine>,
}

/// Commits (reachable from `rev`, at most `LOG_LIMIT`) whose version of `source` declares `key`
/// differently from their parent's. A rendered object's source is its kustomization or
/// Chart.yaml: its version is the render of that commit's inputs.
pub fn object_history(
    path: &Path,
    rev: Option<&str>,
    key: &ResourceKey,
    source: &str,
    options: &ReadOptions,
) -> Result<Vec<HistoryEntry>> {
    let (repo, tip) = super::read::open_at(path, rev)?;
    let mut versions = Versions {
        repo: &repo,
        key,
        source,
        options,
        rendered: is_render_file(source),
        tools: None,
        memo: HashMap::new(),
        last_inputs: None,
    };
    let mut out = Vec::new();
    for info in repo
        .rev_walk([tip])
        .first_parent_only()
        .all()
        .git(WALK)?
        .take(LOG_LIMIT)
    {
        let info = info.git(WALK)?;
        let commit = repo.find_commit(info.id).git(WALK)?;
        let parent = match commit.parent_ids().next() {
            Some(p) => Some(repo.find_commit(p.detach()).git(WALK)?),
            None => None,
        };
        let id_now = versions.inputs(&commit)?;
        let id_before = match &parent {
            Some(p) => versions.inputs(p)?,
            None => None,
        };
        if id_now == id_before {
            continue; // nothing this object is made from changed: skip without parsing
        }
        let now = versions.manifest(&commit, id_now)?;
        let before = match &parent {
            Some(p) => versions.manifest(p, id_before)?,
            None => None,
        };
        if now == before {
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

const WALK: &str = "walking the branch's history";

fn is_render_file(source: &str) -> bool {
    let name = source.rsplit('/').next().unwrap_or(source);
    name == "Chart.yaml" || KUSTOMIZATION_FILES.contains(&name)
}

/// The object as each commit declares it, memoised by the ids of what it is made from.
struct Versions<'a> {
    repo: &'a gix::Repository,
    key: &'a ResourceKey,
    source: &'a str,
    options: &'a ReadOptions,
    rendered: bool,
    tools: Option<Tools>,
    memo: HashMap<Vec<ObjectId>, Option<Value>>,
    /// The last commit whose inputs were worked out (the walk asks for each one twice).
    last_inputs: Option<(ObjectId, Option<Vec<ObjectId>>)>,
}

impl Versions<'_> {
    fn namespace(&self) -> &str {
        self.options.namespace.as_deref().unwrap_or("default")
    }

    /// The ids that decide the object at `commit`: the source blob, or a render's input trees.
    /// Each commit is asked twice (as itself, then as the next one's parent): answer once.
    fn inputs(&mut self, commit: &gix::Commit<'_>) -> Result<Option<Vec<ObjectId>>> {
        if let Some((id, known)) = &self.last_inputs
            && *id == commit.id
        {
            return Ok(known.clone());
        }
        let found = self.inputs_uncached(commit)?;
        self.last_inputs = Some((commit.id, found.clone()));
        Ok(found)
    }

    fn inputs_uncached(&self, commit: &gix::Commit<'_>) -> Result<Option<Vec<ObjectId>>> {
        let tree = commit.tree().git("reading a commit's tree")?;
        if !self.rendered {
            return Ok(tree
                .lookup_entry_by_path(self.source)
                .git("looking up the source file")?
                .map(|e| vec![e.object_id()]));
        }
        let index = TreeIndex::read(&tree)?;
        let Some(root) = self.root(&index) else {
            return Ok(None);
        };
        Ok(Some(fingerprint(&index, &root, tree.id)))
    }

    fn root(&self, index: &TreeIndex) -> Option<super::render::RenderRoot> {
        let read = |p: &str| Some(self.repo.find_object(index.get(p)?.oid).ok()?.detach().data);
        find_roots(index, parent(self.source), &read, false)
            .roots
            .into_iter()
            .find(|r| r.file == self.source)
    }

    fn manifest(
        &mut self,
        commit: &gix::Commit<'_>,
        inputs: Option<Vec<ObjectId>>,
    ) -> Result<Option<Value>> {
        let Some(inputs) = inputs else {
            return Ok(None);
        };
        if let Some(hit) = self.memo.get(&inputs) {
            return Ok(hit.clone());
        }
        let objects = if self.rendered {
            let index = TreeIndex::read(&commit.tree().git("reading a commit's tree")?)?;
            let Some(root) = self.root(&index) else {
                return Ok(None);
            };
            let dir = tempfile::Builder::new()
                .prefix("kdrift-history-")
                .tempdir()
                .git("creating a temp dir to render in")?;
            export(self.repo, &index, &root.inputs, dir.path())?;
            let tools = self.tools.get_or_insert_with(Tools::detect);
            let ns = self.options.namespace.as_deref().unwrap_or("default");
            render_root(dir.path(), &root, tools, &self.options.render, ns).0
        } else {
            let blob = self
                .repo
                .find_object(inputs[0])
                .git("reading the source file")?;
            parse_file(self.source, &blob.data, self.namespace()).0
        };
        let manifest = objects
            .into_iter()
            .find(|d| &d.key == self.key)
            .map(|d| d.manifest.tree());
        self.memo.insert(inputs, manifest.clone());
        Ok(manifest)
    }
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
        let key = ResourceKey::from(crate::model::KeyParts {
            namespace: Some("default".into()),
            kind: "ConfigMap".into(),
            name: "c".into(),
            group: String::new(),
            version: "v1".into(),
        });
        let h = object_history(dir.path(), None, &key, "c.yaml", &ReadOptions::default()).unwrap();
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
