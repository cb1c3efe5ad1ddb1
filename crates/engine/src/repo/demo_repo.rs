//! Writes a linear git history with gix: used by `kdrift demo` and by tests that need real repos.

use super::error::{GitContext, Result};
use std::path::Path;

/// One file of one commit; `contents: None` deletes the path.
pub struct RepoFile<'a> {
    pub path: &'a str,
    pub contents: Option<&'a str>,
}

/// Creates a repository at `dir` (if needed) and commits each `(message, files)` on `main` in order.
/// Files carry over from commit to commit unless changed.
pub fn write_history(dir: &Path, commits: &[(&str, Vec<RepoFile<'_>>)]) -> Result<Vec<String>> {
    let repo = match gix::open(dir) {
        Ok(r) => r,
        Err(_) => {
            gix::init(dir).git_with(|| format!("creating a git repo in {}", dir.display()))?
        }
    };
    let mut parent = repo.head_id().ok().map(|id| id.detach());
    let mut tree_id = match parent {
        Some(p) => {
            let what = "reading the last commit";
            repo.find_commit(p).git(what)?.tree_id().git(what)?.detach()
        }
        None => gix::ObjectId::empty_tree(repo.object_hash()),
    };
    let mut ids = Vec::new();
    for (i, (message, files)) in commits.iter().enumerate() {
        let what = "writing a commit";
        let mut editor = repo.edit_tree(tree_id).git(what)?;
        for f in files {
            match f.contents {
                Some(text) => {
                    let blob = repo.write_blob(text.as_bytes()).git(what)?;
                    editor
                        .upsert(f.path, gix::object::tree::EntryKind::Blob, blob)
                        .git(what)?;
                }
                None => {
                    editor.remove(f.path).git(what)?;
                }
            }
        }
        tree_id = editor.write().git(what)?.detach();
        // Fixed, increasing times keep ids reproducible for a given history.
        let time = format!("{} +0000", 1_767_225_600 + i as i64 * 3_600);
        let sig = gix::actor::SignatureRef {
            name: "kdrift demo".into(),
            email: "demo@kdrift.invalid".into(),
            time: &time,
        };
        let id = repo
            .commit_as(sig, sig, "HEAD", *message, tree_id, parent)
            .git(what)?;
        parent = Some(id.detach());
        ids.push(id.to_string());
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::read_snapshot;

    #[test]
    fn history_round_trips_through_read_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let cm = |v: &str| {
            format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: x\ndata:\n  v: \"{v}\"\n"
            )
        };
        let one = cm("1");
        let two = cm("2");
        let ids = write_history(
            dir.path(),
            &[
                (
                    "first",
                    vec![
                        RepoFile {
                            path: "app/c.yaml",
                            contents: Some(&one),
                        },
                        RepoFile {
                            path: "README.md",
                            contents: Some("hi"),
                        },
                    ],
                ),
                (
                    "second",
                    vec![RepoFile {
                        path: "app/c.yaml",
                        contents: Some(&two),
                    }],
                ),
            ],
        )
        .unwrap();
        assert_eq!(ids.len(), 2);
        let snap = read_snapshot(dir.path(), None, None, None).unwrap();
        assert_eq!(snap.commit.subject, "second");
        assert_eq!(snap.commit.id, ids[1]);
        assert_eq!(snap.desired.len(), 1);
        assert_eq!(snap.desired[0].manifest.tree()["data"]["v"], "2");
        assert_eq!(snap.desired[0].source, "app/c.yaml");
        let old = read_snapshot(dir.path(), Some(&ids[0]), Some("app"), None).unwrap();
        assert_eq!(old.desired[0].manifest.tree()["data"]["v"], "1");
    }
}
