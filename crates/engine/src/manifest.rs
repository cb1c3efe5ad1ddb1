//! A desired object as git declares it, held as compact JSON text: a ConfigMap of 1.2 KB data is
//! ~1.3 KB of text against ~5.5 KB as a `Value` tree (an `IndexMap` per object, a `String` and an
//! 80-byte `Value` per field). Shared: the read cache, the snapshot and the inventory hand the same
//! allocation on, so a file a commit left alone is recognised by identity (`Manifest::same`).
//!
//! Judging needs the tree: it is parsed when asked (`tree`), a few microseconds for a typical
//! manifest, and dropped after use.

use serde_json::Value;
use std::fmt;
use std::sync::Arc;

#[derive(Clone)]
pub struct Manifest(Arc<str>);

impl Manifest {
    pub fn new(value: &Value) -> Self {
        // a Value always serializes (its map keys are strings)
        Manifest(serde_json::to_string(value).unwrap_or_default().into())
    }

    /// The object, parsed again.
    pub fn tree(&self) -> Value {
        serde_json::from_str(&self.0).unwrap_or(Value::Null)
    }

    /// The same allocation: handed on unchanged (a pointer comparison, whatever the size).
    pub fn same(a: &Manifest, b: &Manifest) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }

    /// Its compact JSON text.
    pub fn json(&self) -> &str {
        &self.0
    }

    /// Bytes it holds, for the memory accounting.
    pub fn bytes(&self) -> usize {
        self.0.len()
    }

    /// `f` applied to the tree, kept as the new text (the rare edit: a cluster-scoped kind's
    /// namespace taken off).
    pub fn edit(&mut self, f: impl FnOnce(&mut Value)) {
        let mut tree = self.tree();
        f(&mut tree);
        *self = Manifest::new(&tree);
    }
}

impl From<Value> for Manifest {
    fn from(value: Value) -> Self {
        Manifest::new(&value)
    }
}

impl From<&Value> for Manifest {
    fn from(value: &Value) -> Self {
        Manifest::new(value)
    }
}

/// Equal when they hold the same text (the same fields in the same order).
impl PartialEq for Manifest {
    fn eq(&self, other: &Self) -> bool {
        Manifest::same(self, other) || self.0 == other.0
    }
}

impl fmt::Debug for Manifest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // its size, not its text: a Secret's values must never reach a log through Debug
        write!(f, "Manifest({} bytes)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_the_object_and_its_field_order() {
        let v = json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "a"},
            "data": {"z": "1", "a": "2"}});
        let m = Manifest::new(&v);
        assert_eq!(m.tree(), v);
        let tree = m.tree();
        let keys: Vec<&String> = tree["data"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["z", "a"], "the order git wrote");
        assert_eq!(
            m.json(),
            r#"{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"a"},"data":{"z":"1","a":"2"}}"#
        );
        let copy = m.clone();
        assert!(Manifest::same(&m, &copy));
        let other = Manifest::new(&v);
        assert!(!Manifest::same(&m, &other) && m == other);
        let mut edited = m.clone();
        edited.edit(|t| t["data"]["z"] = json!("9"));
        assert_eq!(edited.tree()["data"]["z"], "9");
        assert_eq!(m.tree()["data"]["z"], "1", "the shared one is untouched");
        assert!(
            !format!("{m:?}").contains("ConfigMap"),
            "no content in Debug"
        );
    }
}
