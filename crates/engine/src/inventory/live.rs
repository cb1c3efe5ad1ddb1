//! Live objects as the inventory keeps them: the slimmed object as compact JSON text (about a
//! fifth of the same object as a `Value` tree: a ConfigMap of 1.2 KB data is ~2 KB of text and
//! ~10 KB as a tree, most of it managedFields' small maps), with what is asked of every object
//! without reading it (its resourceVersion, the commit kdrift applied it from).
//!
//! Judging needs the tree, so it is parsed back on demand; objects that just arrived are judged
//! from the tree the watch brought (`Fresh`), so folding a list or an event parses nothing.

use crate::manifest::Manifest;
use crate::model::ResourceKey;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Debug)]
pub struct LiveObject {
    json: Box<str>,
    version: Option<Box<str>>,
    synced_from: Option<Box<str>>,
    /// Its `creationTimestamp`, seconds since the epoch: the table sorts by age without parsing
    /// every object again.
    created: Option<i64>,
    /// What of it converging could change (`cluster::live_fingerprint`), worked out when first
    /// asked (only answers of the server need it).
    fingerprint: OnceLock<u64>,
}

impl LiveObject {
    pub fn new(obj: &Value) -> Self {
        let text = |p: &str| obj.pointer(p).and_then(Value::as_str).map(Box::from);
        LiveObject {
            json: serde_json::to_string(obj)
                .unwrap_or_default()
                .into_boxed_str(),
            version: text("/metadata/resourceVersion"),
            synced_from: text("/metadata/annotations/kdrift.dev~1commit"),
            created: obj
                .pointer("/metadata/creationTimestamp")
                .and_then(Value::as_str)
                .and_then(crate::clock::rfc3339_secs),
            fingerprint: OnceLock::new(),
        }
    }

    /// The object, parsed again.
    pub fn value(&self) -> Value {
        serde_json::from_str(&self.json).unwrap_or(Value::Null)
    }

    pub fn resource_version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// The commit kdrift applied this object from (its `kdrift.dev/commit` annotation).
    pub fn synced_from(&self) -> Option<&str> {
        self.synced_from.as_deref()
    }

    /// When the cluster created it (seconds since the epoch), if it says.
    pub fn created(&self) -> Option<i64> {
        self.created
    }

    pub fn fingerprint(&self) -> u64 {
        *self
            .fingerprint
            .get_or_init(|| crate::cluster::live_fingerprint(&self.value()))
    }

    /// Bytes it holds (its text), for the memory accounting.
    pub fn bytes(&self) -> usize {
        self.json.len()
    }
}

/// The last object parsed, held with its tree.
type Parsed = (ResourceKey, Arc<LiveObject>, Arc<Value>);

/// Trees at hand: objects folded in by the current event (the watch's own trees), and the last
/// one parsed of each side (a judgement asks for the same object several times).
#[derive(Debug, Default)]
pub(super) struct Trees {
    pub(super) fresh: HashMap<ResourceKey, Arc<Value>>,
    last: Mutex<Option<Parsed>>,
    /// Git's side: the manifest is held with its tree, so its allocation cannot be reused by
    /// another while the tree is kept.
    last_desired: Mutex<Option<(Manifest, Arc<Value>)>>,
}

impl Clone for Trees {
    fn clone(&self) -> Self {
        Trees::default()
    }
}

impl Trees {
    /// The tree of `obj` (stored as `key`): fresh, the last parsed, or parsed now.
    pub(super) fn of(&self, key: &ResourceKey, obj: &Arc<LiveObject>) -> Arc<Value> {
        if let Some(tree) = self.fresh.get(key) {
            return tree.clone();
        }
        // the object itself tells a replaced object from the one parsed before: it is held
        // here, so its address cannot be reused by a newer object while the tree is kept
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((k, kept, tree)) = last.as_ref()
            && k == key
            && Arc::ptr_eq(kept, obj)
        {
            return tree.clone();
        }
        let tree = Arc::new(obj.value());
        *last = Some((key.clone(), obj.clone(), tree.clone()));
        tree
    }

    /// The tree of git's `manifest`: the last parsed, or parsed now.
    pub(super) fn of_desired(&self, manifest: &Manifest) -> Arc<Value> {
        let mut last = self.last_desired.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((m, tree)) = last.as_ref()
            && Manifest::same(m, manifest)
        {
            return tree.clone();
        }
        let tree = Arc::new(manifest.tree());
        *last = Some((manifest.clone(), tree.clone()));
        tree
    }

    /// The event is folded: its trees go (the text stays).
    pub(super) fn settle(&mut self) {
        self.fresh.clear();
        *self.last.get_mut().unwrap_or_else(|p| p.into_inner()) = None;
        *self
            .last_desired
            .get_mut()
            .unwrap_or_else(|p| p.into_inner()) = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A replaced object must never be judged from the tree parsed for the one before it, even
    /// when the allocator hands the new object the old one's address (it usually does: same
    /// size, freed just before).
    #[test]
    fn a_replaced_object_is_parsed_again_whatever_its_address() {
        let key = ResourceKey::from_object(&json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "probe", "namespace": "a"}}))
        .unwrap();
        let trees = Trees::default();
        for i in 0..50 {
            let obj = |v: i32| {
                Arc::new(LiveObject::new(
                    &json!({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "probe", "namespace": "a"}, "data": {"v": v.to_string()}}),
                ))
            };
            let old = obj(i);
            assert_eq!(trees.of(&key, &old)["data"]["v"], i.to_string());
            drop(old);
            let new = obj(i + 1000);
            assert_eq!(
                trees.of(&key, &new)["data"]["v"],
                (i + 1000).to_string(),
                "round {i}"
            );
        }
    }
}
