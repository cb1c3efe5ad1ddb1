//! What one read of a repo leaves for the next: parsed files by blob id and renders by the tree
//! ids of their inputs. Only entries the latest commit used are kept, so memory stays bounded by
//! one commit's worth of objects.

use super::manifests::Parsed;
use super::render::RenderOptions;
use gix::ObjectId;
use std::collections::HashMap;

/// How a repo is read (fixed for a session; a change of options empties the cache).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadOptions {
    /// Only manifests under this directory (`--path`).
    pub subdir: Option<String>,
    /// Namespace for objects that name none (default: `default`).
    pub namespace: Option<String>,
    pub render: RenderOptions,
    /// Only this app (`--app`: a name or `namespace/name`).
    pub app: Option<String>,
}

impl ReadOptions {
    /// `--path` as a tree path: no surrounding slashes, "" for the whole tree.
    pub fn prefix(&self) -> String {
        let p = self.subdir.as_deref().unwrap_or("").trim_matches('/');
        if p == "." {
            String::new()
        } else {
            p.to_string()
        }
    }
}

#[derive(Default)]
pub struct ReadCache {
    options: Option<ReadOptions>,
    files: HashMap<(ObjectId, String), Parsed>,
    renders: HashMap<(String, Vec<ObjectId>), Parsed>,
    next_files: HashMap<(ObjectId, String), Parsed>,
    next_renders: HashMap<(String, Vec<ObjectId>), Parsed>,
}

impl ReadCache {
    pub(crate) fn begin(&mut self, options: &ReadOptions) {
        if self.options.as_ref() != Some(options) {
            self.files.clear();
            self.renders.clear();
            self.options = Some(options.clone());
        }
        self.next_files.clear();
        self.next_renders.clear();
    }

    /// A file parsed before (its path is part of the key: errors and sources name it).
    pub(crate) fn file(&mut self, oid: ObjectId, path: &str) -> Option<Parsed> {
        let key = (oid, path.to_string());
        let hit = self.files.remove(&key)?;
        self.next_files.insert(key, hit.clone());
        Some(hit)
    }

    pub(crate) fn keep_file(&mut self, oid: ObjectId, path: &str, parsed: Parsed) {
        self.next_files.insert((oid, path.to_string()), parsed);
    }

    pub(crate) fn render(&self, file: &str, fingerprint: &[ObjectId]) -> Option<Parsed> {
        let key = (file.to_string(), fingerprint.to_vec());
        self.renders
            .get(&key)
            .or_else(|| self.next_renders.get(&key))
            .cloned()
    }

    pub(crate) fn keep_render(&mut self, file: &str, fingerprint: Vec<ObjectId>, parsed: Parsed) {
        self.next_renders
            .insert((file.to_string(), fingerprint), parsed);
    }

    /// Drops what this read did not use.
    pub(crate) fn end(&mut self) {
        std::mem::swap(&mut self.files, &mut self.next_files);
        std::mem::swap(&mut self.renders, &mut self.next_renders);
        self.next_files.clear();
        self.next_renders.clear();
    }

    /// Entries kept for the next read (files, renders).
    pub fn len(&self) -> (usize, usize) {
        (self.files.len(), self.renders.len())
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.renders.is_empty()
    }
}
