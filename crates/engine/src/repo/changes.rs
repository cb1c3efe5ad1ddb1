//! The files one commit changed against its first parent, for the commits pane.

use super::error::{GitContext, Result};
use super::tree_index::{EntryKind, TreeIndex};
use std::path::Path;

/// At most this many files are listed (a vendoring commit can touch thousands).
pub const MAX_CHANGED_FILES: usize = 500;

#[derive(Debug, Clone, PartialEq)]
pub struct FileChange {
    /// `A` added, `M` modified, `D` deleted.
    pub status: char,
    pub path: String,
}

/// Files (not directories) that differ between `commit` and its first parent, sorted by path,
/// bounded by `MAX_CHANGED_FILES`; the bool says whether the list was cut.
pub fn commit_files(path: &Path, commit: &str) -> Result<(Vec<FileChange>, bool)> {
    let repo = super::trust::open(path)?;
    let id = repo
        .rev_parse_single(commit)
        .git_with(|| format!("cannot resolve {commit}"))?;
    let what = "reading the commit's tree";
    let commit = repo.find_commit(id.detach()).git(what)?;
    let now = TreeIndex::read(&commit.tree().git(what)?)?;
    let before = match commit.parent_ids().next() {
        Some(p) => {
            let parent = repo.find_commit(p.detach()).git(what)?;
            Some(TreeIndex::read(&parent.tree().git(what)?)?)
        }
        None => None,
    };
    let is_file = |k: EntryKind| matches!(k, EntryKind::Blob | EntryKind::Link);
    let mut out = Vec::new();
    for p in &now.paths {
        let Some(e) = now.get(p).filter(|e| is_file(e.kind)) else {
            continue;
        };
        match before
            .as_ref()
            .and_then(|b| b.get(p))
            .filter(|o| is_file(o.kind))
        {
            None => out.push(FileChange {
                status: 'A',
                path: p.clone(),
            }),
            Some(old) if old.oid != e.oid => out.push(FileChange {
                status: 'M',
                path: p.clone(),
            }),
            Some(_) => {}
        }
    }
    for p in before.iter().flat_map(|b| b.paths.iter()) {
        let was_file = before
            .as_ref()
            .and_then(|b| b.get(p))
            .is_some_and(|e| is_file(e.kind));
        if was_file && now.get(p).is_none_or(|e| !is_file(e.kind)) {
            out.push(FileChange {
                status: 'D',
                path: p.clone(),
            });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    let cut = out.len() > MAX_CHANGED_FILES;
    out.truncate(MAX_CHANGED_FILES);
    Ok((out, cut))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::{RepoFile, write_history};

    #[test]
    fn lists_added_modified_and_deleted_files() {
        let dir = tempfile::tempdir().unwrap();
        let f = |path, contents| RepoFile { path, contents };
        let ids = write_history(
            dir.path(),
            &[
                (
                    "one",
                    vec![f("a.yaml", Some("a")), f("d/b.yaml", Some("b"))],
                ),
                (
                    "two",
                    vec![
                        f("a.yaml", Some("a2")),
                        f("d/b.yaml", None),
                        f("c.yaml", Some("c")),
                    ],
                ),
            ],
        )
        .unwrap();
        let (files, cut) = commit_files(dir.path(), &ids[1]).unwrap();
        let got: Vec<_> = files.iter().map(|f| (f.status, f.path.as_str())).collect();
        assert_eq!(got, [('M', "a.yaml"), ('A', "c.yaml"), ('D', "d/b.yaml")]);
        assert!(!cut);
        let (first, _) = commit_files(dir.path(), &ids[0]).unwrap();
        assert_eq!(first.len(), 2, "a root commit adds everything");
    }
}
