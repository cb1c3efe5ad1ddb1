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
    /// Entries refused by name (`..`, `.git`, a `/` or NUL inside a name, …) with why: they and
    /// everything below them are not in the index, so nothing reads or writes them.
    pub refused: Vec<(String, String)>,
}

/// Longest entry name accepted, in bytes (what file systems allow).
const MAX_NAME: usize = 255;

/// Why a tree entry's name cannot be a path component here, if it cannot. Git itself refuses to
/// check these out; a crafted object can still carry them.
pub fn bad_name(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    // `.git` as Windows and macOS also see it: trailing dots and spaces, the 8.3 short name
    let trimmed = lower.trim_end_matches(['.', ' ']);
    match name {
        "" => Some("an empty name"),
        "." | ".." => Some("a name that points at a directory"),
        _ if name.contains('/') || name.contains('\\') => Some("a path separator inside a name"),
        _ if name.contains('\0') => Some("a NUL byte inside a name"),
        _ if name.len() > MAX_NAME => Some("a name longer than 255 bytes"),
        _ if trimmed == ".git" || trimmed == "git~1" => Some("a `.git` entry"),
        _ => None,
    }
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
        let mut refused: Vec<(String, String)> = Vec::new();
        for r in recorder.records {
            // names are joined with `/` by the walk: a name holding one looks like a deeper path
            // whose parent is no directory of this tree, so both are checked
            let path = r.filepath.to_string();
            if refused
                .iter()
                .any(|(p, _)| super::render::is_under(&path, p))
            {
                continue;
            }
            let (dir, name) = path.rsplit_once('/').unwrap_or(("", path.as_str()));
            let why = bad_name(name)
                .map(str::to_string)
                .or_else(|| {
                    (!dir.is_empty()
                        && !matches!(
                            entries.get(dir),
                            Some(Entry {
                                kind: EntryKind::Tree,
                                ..
                            })
                        ))
                    .then(|| "a path separator inside a name".to_string())
                })
                .or_else(|| {
                    entries
                        .contains_key(&path)
                        .then(|| "a name given twice".to_string())
                });
            if let Some(why) = why {
                refused.push((path, why));
                continue;
            }
            let kind = if r.mode.is_link() {
                EntryKind::Link
            } else if r.mode.is_tree() {
                EntryKind::Tree
            } else if r.mode.is_commit() {
                EntryKind::Submodule
            } else {
                EntryKind::Blob
            };
            entries.insert(path.clone(), Entry { kind, oid: r.oid });
            paths.push(path);
        }
        Ok(Self {
            paths,
            entries,
            refused,
        })
    }

    /// An index of directories and blobs by path alone (null ids), for tests of what reads it.
    #[cfg(test)]
    pub fn for_tests(dirs: &[&str], files: &[&str]) -> Self {
        let null = ObjectId::null(gix::hash::Kind::Sha1);
        let mut index = Self {
            paths: vec![],
            entries: HashMap::new(),
            refused: vec![],
        };
        for (paths, kind) in [(dirs, EntryKind::Tree), (files, EntryKind::Blob)] {
            for p in paths {
                index.paths.push(p.to_string());
                index
                    .entries
                    .insert(p.to_string(), Entry { kind, oid: null });
            }
        }
        index
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
