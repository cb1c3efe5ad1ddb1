//! The rows of the drift table: one per object (declared or owned), plus one per manifest that
//! could not be read or part of the repo skipped on purpose. Typed, so a bad file is never
//! dressed up as a Kubernetes object.

use crate::model::{DriftReport, ResourceKey};
use std::cmp::Ordering;
use std::collections::btree_map;
use std::fmt;
use std::iter::Peekable;

/// A file (and line) of the repo that produced no object: an error, or a note (a submodule).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ManifestRow {
    pub source: String,
    pub line: Option<usize>,
    /// The app it is about (a definition not rendered, or an app's failed build).
    pub app: Option<String>,
}

impl ManifestRow {
    /// `file:line`, or the file alone.
    pub fn name(&self) -> String {
        match self.line {
            Some(line) => format!("{}:{line}", self.source),
            None => self.source.clone(),
        }
    }
}

/// Manifest rows read as kind `Manifest` of this group wherever a row needs an apiVersion
/// (the `check` JSON), and sort among cluster-scoped rows by that kind.
pub const MANIFEST_API_VERSION: &str = "kdrift.dev/v1";
pub const MANIFEST_KIND: &str = "Manifest";

/// One row, borrowed from the inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row<'a> {
    Object(&'a ResourceKey),
    Manifest(&'a ManifestRow),
}

impl<'a> Row<'a> {
    pub fn object(self) -> Option<&'a ResourceKey> {
        match self {
            Row::Object(k) => Some(k),
            Row::Manifest(_) => None,
        }
    }

    pub fn namespace(self) -> Option<&'a str> {
        match self {
            Row::Object(k) => k.namespace.as_deref(),
            Row::Manifest(_) => None,
        }
    }

    pub fn kind(self) -> &'a str {
        match self {
            Row::Object(k) => &k.kind,
            Row::Manifest(_) => MANIFEST_KIND,
        }
    }

    pub fn name(self) -> String {
        match self {
            Row::Object(k) => k.name.clone(),
            Row::Manifest(m) => m.name(),
        }
    }

    pub fn api_version(self) -> String {
        match self {
            Row::Object(k) => k.api_version(),
            Row::Manifest(_) => MANIFEST_API_VERSION.into(),
        }
    }
}

impl fmt::Display for Row<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Row::Object(k) => k.fmt(f),
            Row::Manifest(m) => write!(f, "{MANIFEST_KIND}/{}", m.name()),
        }
    }
}

/// Display order: namespace, kind, name, as `ResourceKey` orders objects; manifest rows sit
/// among the cluster-scoped rows under their kind.
impl Ord for Row<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Row::Object(a), Row::Object(b)) => a.cmp(b),
            (Row::Manifest(a), Row::Manifest(b)) => a.cmp(b),
            (Row::Object(a), Row::Manifest(_)) => {
                (a.namespace.as_deref(), a.kind.as_str(), 0).cmp(&(None, MANIFEST_KIND, 1))
            }
            (Row::Manifest(_), Row::Object(_)) => other.cmp(self).reverse(),
        }
    }
}

impl PartialOrd for Row<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Objects and manifest rows merged into display order.
pub struct Rows<'a> {
    pub(super) objects: Peekable<btree_map::Range<'a, ResourceKey, DriftReport>>,
    pub(super) manifests: Peekable<btree_map::Range<'a, ManifestRow, DriftReport>>,
}

impl<'a> Iterator for Rows<'a> {
    type Item = (Row<'a>, &'a DriftReport);

    fn next(&mut self) -> Option<Self::Item> {
        let object_first = match (self.objects.peek(), self.manifests.peek()) {
            (Some((k, _)), Some((m, _))) => Row::Object(k) < Row::Manifest(m),
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return None,
        };
        if object_first {
            self.objects.next().map(|(k, r)| (Row::Object(k), r))
        } else {
            self.manifests.next().map(|(m, r)| (Row::Manifest(m), r))
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(in crate::inventory) fn key(ns: Option<&str>, kind: &str, name: &str) -> ResourceKey {
        ResourceKey::from(crate::model::KeyParts {
            namespace: ns.map(str::to_string),
            kind: kind.into(),
            name: name.into(),
            group: String::new(),
            version: "v1".into(),
        })
    }

    #[test]
    fn manifest_rows_sort_among_cluster_scoped_rows_by_their_kind() {
        let ns = key(None, "Namespace", "shop");
        let crb = key(None, "ClusterRole", "r");
        let cm = key(Some("shop"), "ConfigMap", "c");
        let bad = ManifestRow {
            source: "a.yaml".into(),
            line: Some(3),
            app: None,
        };
        let mut rows = [
            Row::Object(&cm),
            Row::Manifest(&bad),
            Row::Object(&ns),
            Row::Object(&crb),
        ];
        rows.sort();
        let names: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
        assert_eq!(
            names,
            [
                "ClusterRole/r",
                "Manifest/a.yaml:3",
                "Namespace/shop",
                "shop/ConfigMap/c"
            ]
        );
    }
}
