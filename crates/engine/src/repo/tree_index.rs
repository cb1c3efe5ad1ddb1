//! Every path in one commit's tree, with its mode and object id, so that symlinks, render roots
//! and their inputs can be looked up without walking the tree again.

use super::error::{GitContext, Result};
use gix::ObjectId;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Blob,
    Link,
    Tree,
    Submodule,
}

#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub kind: EntryKind,
    pub oid: ObjectId,
}

pub struct TreeIndex {
    /// Paths in breadth-first order (a directory's files before its subdirectories' files).
    pub paths: Vec<String>,
    pub entries: HashMap<String, Entry>,
}

/// Symlinks pointing at symlinks are followed this many times at most.
const MAX_LINK_HOPS: usize = 8;

/// Where a symlink leads inside the tree, or why it is refused.
#[derive(Debug, PartialEq)]
pub enum LinkTarget {
    Blob { path: String, oid: ObjectId },
    Refused(String),
}

impl TreeIndex {
    pub fn read(tree: &gix::Tree<'_>) -> Result<Self> {
        let mut recorder = gix::traverse::tree::Recorder::default();
        tree.traverse()
            .breadthfirst(&mut recorder)
            .git("walking the tree")?;
        let mut paths = Vec::with_capacity(recorder.records.len());
        let mut entries = HashMap::with_capacity(recorder.records.len());
        for r in recorder.records {
            let kind = if r.mode.is_link() {
                EntryKind::Link
            } else if r.mode.is_tree() {
                EntryKind::Tree
            } else if r.mode.is_commit() {
                EntryKind::Submodule
            } else {
                EntryKind::Blob
            };
            let path = r.filepath.to_string();
            entries.insert(path.clone(), Entry { kind, oid: r.oid });
            paths.push(path);
        }
        Ok(Self { paths, entries })
    }

    pub fn get(&self, path: &str) -> Option<Entry> {
        if path.is_empty() {
            return None;
        }
        self.entries.get(path).copied()
    }

    pub fn is_dir(&self, path: &str) -> bool {
        path.is_empty() || self.get(path).is_some_and(|e| e.kind == EntryKind::Tree)
    }

    /// Follows the symlink at `path` (its target text read by `read_target`) to a blob in the tree.
    /// Absolute targets and targets that climb out of the repository are refused.
    pub fn follow_link(
        &self,
        path: &str,
        read_target: impl Fn(ObjectId) -> Result<Vec<u8>>,
    ) -> LinkTarget {
        let mut current = path.to_string();
        for _ in 0..MAX_LINK_HOPS {
            let Some(entry) = self.get(&current) else {
                return LinkTarget::Refused(format!("symlink target {current} does not exist"));
            };
            match entry.kind {
                EntryKind::Blob => {
                    return LinkTarget::Blob {
                        path: current,
                        oid: entry.oid,
                    };
                }
                EntryKind::Link => {}
                EntryKind::Tree | EntryKind::Submodule => {
                    return LinkTarget::Refused(format!(
                        "symlink points at a directory ({current}); only links to files are followed"
                    ));
                }
            }
            let target = match read_target(entry.oid) {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(e) => return LinkTarget::Refused(format!("cannot read symlink: {e:#}")),
            };
            match join_inside(parent(&current), &target) {
                Some(next) => current = next,
                None => {
                    return LinkTarget::Refused(format!(
                        "symlink points outside the repository (to {target:?}); refused"
                    ));
                }
            }
        }
        LinkTarget::Refused(format!(
            "more than {MAX_LINK_HOPS} symlinks in a row; refused"
        ))
    }
}

/// The directory part of a repo path ("" at the top).
pub fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// `dir` joined with the relative path `rel`, normalised; `None` when the result would leave the
/// repository (an absolute path, or `..` above the top).
pub fn join_inside(dir: &str, rel: &str) -> Option<String> {
    if rel.starts_with('/') || rel.starts_with('\\') {
        return None;
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_stays_inside_or_refuses() {
        assert_eq!(join_inside("a/b", "../c.yaml").as_deref(), Some("a/c.yaml"));
        assert_eq!(join_inside("a", "./x/./y").as_deref(), Some("a/x/y"));
        assert_eq!(join_inside("", "x").as_deref(), Some("x"));
        assert_eq!(join_inside("a", "../../etc/passwd"), None);
        assert_eq!(join_inside("a", "/etc/passwd"), None);
        assert_eq!(parent("a/b/c.yaml"), "a/b");
        assert_eq!(parent("c.yaml"), "");
    }
}
