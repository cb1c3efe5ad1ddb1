//! Structural comparison: walks only what git declares and reports each differing field.

use super::provenance::owner_for_segments;
use super::quantity::same_quantity;
use super::schema::{ListType, Shape};
use super::secrets::MASK;
use crate::model::FieldChange;
use serde_json::Value;
use std::borrow::Cow;

/// Upper bound on reported changes per object, so one pathological object cannot flood the UI.
const MAX_CHANGES: usize = 200;

/// One step of a path into an object. Borrowed from the objects walked where it can be, so a
/// walk over an equal object allocates nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment<'a> {
    Key(Cow<'a, str>),
    Index(usize),
    /// A list item matched by its key (`name` for containers and env, `mountPath` for volume
    /// mounts, port and protocol for ports), as the API server merges them.
    Named(Cow<'a, str>),
}

/// Renders segments as a JSON-pointer-like path; named list items read `containers[name=redis]`.
pub fn render_path(segments: &[Segment<'_>]) -> String {
    let mut out = String::new();
    for seg in segments {
        match seg {
            Segment::Key(k) => {
                out.push('/');
                out.push_str(&k.replace('~', "~0").replace('/', "~1"));
            }
            Segment::Index(i) => {
                out.push('/');
                out.push_str(&i.to_string());
            }
            Segment::Named(n) if n.contains('=') => {
                out.push('[');
                out.push_str(n);
                out.push(']');
            }
            Segment::Named(n) => {
                out.push_str("[name=");
                out.push_str(n);
                out.push(']');
            }
        }
    }
    out
}

/// Reads a rendered path back (`render_path`'s inverse): `/` keys (all digits: an index),
/// `[name=x]` items by name, `[k=v,…]` items by other keys.
pub fn parse_path(path: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']').unwrap_or(after.len());
            let inner = &after[..end];
            out.push(match inner.strip_prefix("name=") {
                Some(name) if !name.contains(',') => Segment::Named(Cow::Borrowed(name)),
                _ => Segment::Named(Cow::Borrowed(inner)),
            });
            rest = after.get(end + 1..).unwrap_or("");
        } else {
            let body = rest.strip_prefix('/').unwrap_or(rest);
            let end = body.find(['/', '[']).unwrap_or(body.len());
            let key = &body[..end];
            out.push(match key.parse::<usize>() {
                Ok(i) if !key.starts_with('+') => Segment::Index(i),
                _ if key.contains('~') => {
                    Segment::Key(Cow::Owned(key.replace("~1", "/").replace("~0", "~")))
                }
                _ => Segment::Key(Cow::Borrowed(key)),
            });
            rest = &body[end..];
        }
    }
    out
}

/// Compares the normalized desired object against the live one. Fields git does not set are ignored.
/// For Secrets every value under `data` is masked in the result.
pub fn compare(desired: &Value, live: &Value, secret: bool) -> Vec<FieldChange> {
    compare_shaped(desired, live, secret, None)
}

/// `compare`, with list items matched and quantities known as the kind's API schema says
/// (kdrift's own rules where it says nothing, or without one).
pub fn compare_shaped(
    desired: &Value,
    live: &Value,
    secret: bool,
    shape: Option<&Shape>,
) -> Vec<FieldChange> {
    walk_pair(desired, live, live, secret, false, shape)
}

/// Compares two whole objects: fields only one side has count too (the server's answer to a
/// dry-run against live, where a field the server would remove is drift as much as one it
/// would change). Managers are read from `managed`, the live object with its managedFields.
pub fn compare_whole(
    expected: &Value,
    live: &Value,
    managed: &Value,
    secret: bool,
    shape: Option<&Shape>,
) -> Vec<FieldChange> {
    walk_pair(expected, live, managed, secret, true, shape)
}

fn walk_pair<'a>(
    desired: &'a Value,
    live: &'a Value,
    managed: &'a Value,
    secret: bool,
    whole: bool,
    shape: Option<&Shape>,
) -> Vec<FieldChange> {
    let mut walker = Walker {
        live_root: managed,
        secret,
        whole,
        out: Vec::new(),
        path: Vec::new(),
    };
    walker.walk(desired, Some(live), shape);
    walker.out
}

struct Walker<'a> {
    live_root: &'a Value,
    secret: bool,
    /// Fields only live has are changes too.
    whole: bool,
    out: Vec<FieldChange>,
    path: Vec<Segment<'a>>,
}

impl<'a> Walker<'a> {
    fn walk(&mut self, desired: &'a Value, live: Option<&'a Value>, shape: Option<&Shape>) {
        if self.out.len() >= MAX_CHANGES {
            return;
        }
        match (desired, live) {
            (Value::Null, _) => {}
            (Value::Object(want), Some(Value::Object(have))) => {
                for (k, v) in want {
                    self.path.push(Segment::Key(Cow::Borrowed(k)));
                    self.walk(v, have.get(k), shape.and_then(|s| s.field(k)));
                    self.path.pop();
                }
                if self.whole {
                    for (k, v) in have.iter().filter(|(k, _)| !want.contains_key(*k)) {
                        self.path.push(Segment::Key(Cow::Borrowed(k)));
                        self.record_removed(v);
                        self.path.pop();
                    }
                }
            }
            // equal lists need no item keys worked out
            (Value::Array(want), Some(Value::Array(have))) if want == have => {}
            (Value::Array(want), Some(Value::Array(have))) => {
                self.walk_list(want, have, desired, shape)
            }
            (want, Some(have)) if self.scalar_eq(want, have, shape) => {}
            // the API server leaves zero values out (`hostNetwork: false`, `args: []`)
            (want, None) if !self.whole && is_zero(want) => {}
            // a string map live lacks (labels, annotations, data): each key it would get, so the
            // one annotation is named, not "annotations"
            (Value::Object(want), None) if is_string_map(want) => {
                for (k, v) in want {
                    self.path.push(Segment::Key(Cow::Borrowed(k)));
                    self.walk(v, None, None);
                    self.path.pop();
                }
            }
            (want, have) => self.record(Some(want), have),
        }
    }

    /// Equal as the API server sees it: 4 and 4.0 are one number, and a quantity is equal to its
    /// canonical form (`1000m` and `"1"`; two strings only where a quantity is expected).
    fn scalar_eq(&self, a: &Value, b: &Value, shape: Option<&Shape>) -> bool {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
            _ if a == b => true,
            _ => {
                let quantity = match shape {
                    Some(s) if s.quantity => true,
                    _ => holds_quantity(&self.path),
                };
                same_quantity(a, b, quantity)
            }
        }
    }

    fn walk_list(
        &mut self,
        want: &'a [Value],
        have: &'a [Value],
        whole: &'a Value,
        shape: Option<&Shape>,
    ) {
        let field = match self.path.last() {
            Some(Segment::Key(k)) => k.as_ref(),
            _ => "",
        };
        let item_shape = shape.and_then(Shape::item);
        let list = shape.map_or(&ListType::Unknown, |s| &s.list);
        if *list == ListType::Set && want.iter().all(|w| have.contains(w)) {
            // a set: every item git declares is there, in whatever order
            if !self.whole || have.len() == want.len() {
                return;
            }
        }
        let keys = |items: &'a [Value]| match (list, shape) {
            (ListType::Map(fields), Some(shape)) => schema_item_keys(fields, items, shape),
            (ListType::Atomic | ListType::Set, _) => None,
            _ => item_keys(field, items),
        };
        if let (Some(want_names), Some(have_names)) = (keys(want), keys(have)) {
            for (item, name) in want.iter().zip(&want_names) {
                let live_item = have_names.iter().position(|n| n == name).map(|i| &have[i]);
                self.path.push(Segment::Named(name.clone()));
                match live_item {
                    Some(l) => self.walk(item, Some(l), item_shape),
                    None => self.record(Some(item), None),
                }
                self.path.pop();
            }
            if self.whole {
                for (item, name) in have.iter().zip(&have_names) {
                    if !want_names.contains(name) {
                        self.path.push(Segment::Named(name.clone()));
                        self.record(None, Some(item));
                        self.path.pop();
                    }
                }
            }
        } else if want.len() == have.len() {
            for (i, (w, h)) in want.iter().zip(have).enumerate() {
                self.path.push(Segment::Index(i));
                self.walk(w, Some(h), item_shape);
                self.path.pop();
            }
        } else {
            let live = Value::Array(have.to_vec());
            self.record(Some(whole), Some(&live));
        }
    }

    /// A field converging would remove: a string map key by key (the last annotation gone is
    /// that annotation, not "annotations"), anything else whole.
    fn record_removed(&mut self, live: &'a Value) {
        match live {
            Value::Object(map) if is_string_map(map) => {
                for (k, v) in map {
                    self.path.push(Segment::Key(Cow::Borrowed(k)));
                    self.record(None, Some(v));
                    self.path.pop();
                }
            }
            other => self.record(None, Some(other)),
        }
    }

    fn record(&mut self, desired: Option<&Value>, live: Option<&Value>) {
        let masked = self.secret
            && matches!(self.path.first(), Some(Segment::Key(k)) if k == "data" || k == "stringData");
        let shown = |v: Option<&Value>| {
            v.map(|v| {
                if masked {
                    Value::String(MASK.to_string())
                } else {
                    v.clone()
                }
            })
        };
        let owner = owner_for_segments(self.live_root, &self.path);
        self.out.push(FieldChange {
            path: render_path(&self.path),
            desired: shown(desired),
            live: shown(live),
            time: owner.as_ref().and_then(|o| o.time.clone()),
            manager: owner.map(|o| o.manager),
        });
    }
}

/// The key that identifies each item of a list, as the API server merges them (the patch merge
/// keys of the core types): every item must have it and no two may share it, or the list is
/// compared by position.
pub(super) fn item_keys<'v>(field: &str, items: &'v [Value]) -> Option<Vec<Cow<'v, str>>> {
    if items.is_empty() {
        return None;
    }
    let has = |f: &str| items.iter().all(|i| i.get(f).is_some());
    let fields: &[&str] = match field {
        "volumeMounts" => &["mountPath"],
        "volumeDevices" => &["devicePath"],
        "hostAliases" => &["ip"],
        "topologySpreadConstraints" => &["topologyKey", "whenUnsatisfiable"],
        "ports" if has("containerPort") => &["containerPort", "protocol"],
        "ports" if has("port") && !has("name") => &["port", "protocol"],
        _ => &["name"],
    };
    let keys: Option<Vec<Cow<'v, str>>> = items.iter().map(|i| item_key(i, fields)).collect();
    unique(keys?)
}

/// The keys, if no two items share one (else the list is compared by position).
fn unique<'v>(keys: Vec<Cow<'v, str>>) -> Option<Vec<Cow<'v, str>>> {
    // lists are short: pairwise beats hashing them
    let clash = if keys.len() <= 32 {
        keys.iter()
            .enumerate()
            .any(|(i, k)| keys[i + 1..].contains(k))
    } else {
        let set: std::collections::HashSet<&Cow<str>> = keys.iter().collect();
        set.len() != keys.len()
    };
    (!clash).then_some(keys)
}

/// Item keys from the schema's list-map keys; a key field an item leaves out takes the
/// schema's default for it (`protocol: TCP`), as the server fills it in.
pub(super) fn schema_item_keys<'v>(
    fields: &[String],
    items: &'v [Value],
    shape: &Shape,
) -> Option<Vec<Cow<'v, str>>> {
    if items.is_empty() {
        return None;
    }
    let keys: Option<Vec<Cow<'v, str>>> = items
        .iter()
        .map(|item| {
            if fields.len() == 1 && fields[0] == "name" {
                return item.get("name")?.as_str().map(Cow::Borrowed);
            }
            let mut parts = Vec::with_capacity(fields.len());
            for f in fields {
                let v = match (item.get(f), shape.key_default(f)) {
                    (Some(Value::String(s)), _) => s.clone(),
                    (Some(v), _) => v.to_string(),
                    (None, Some(Value::String(d))) => d.clone(),
                    (None, Some(d)) => d.to_string(),
                    (None, None) if f == "protocol" => "TCP".to_string(),
                    // an optional key field left out is not part of the key
                    (None, None) => continue,
                };
                parts.push(format!("{f}={v}"));
            }
            (!parts.is_empty()).then(|| Cow::Owned(parts.join(",")))
        })
        .collect();
    unique(keys?)
}

/// `name` alone reads as the name; other keys as `field=value`, joined (`protocol` defaults to TCP).
fn item_key<'v>(item: &'v Value, fields: &[&str]) -> Option<Cow<'v, str>> {
    if fields == ["name"] {
        return item.get("name")?.as_str().map(Cow::Borrowed);
    }
    let mut parts = Vec::with_capacity(fields.len());
    for f in fields {
        let v = match (item.get(*f), *f) {
            (Some(Value::String(s)), _) => s.clone(),
            (Some(v), _) => v.to_string(),
            (None, "protocol") => "TCP".to_string(),
            (None, _) => return None,
        };
        parts.push(format!("{f}={v}"));
    }
    Some(Cow::Owned(parts.join(",")))
}

/// Labels, annotations, a ConfigMap's data, a selector: every value a string.
fn is_string_map(map: &serde_json::Map<String, Value>) -> bool {
    !map.is_empty() && map.values().all(Value::is_string)
}

/// A value the API server drops when it is the zero of its type.
fn is_zero(v: &Value) -> bool {
    match v {
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Null => true,
    }
}

/// Fields that hold quantities: resource lists (limits, requests, quota `hard`, capacity, limit
/// ranges) and a few named ones.
fn holds_quantity(path: &[Segment<'_>]) -> bool {
    const MAPS: &[&str] = &[
        "limits",
        "requests",
        "hard",
        "capacity",
        "allocatable",
        "overhead",
        "default",
        "defaultRequest",
        "max",
        "min",
        "maxLimitRequestRatio",
    ];
    const FIELDS: &[&str] = &["storage", "sizeLimit", "averageValue"];
    fn key<'s>(s: &'s Segment<'_>) -> Option<&'s str> {
        match s {
            Segment::Key(k) => Some(k.as_ref()),
            _ => None,
        }
    }
    let last = path.last().and_then(key);
    let parent = path.len().checked_sub(2).and_then(|i| key(&path[i]));
    last.is_some_and(|k| FIELDS.contains(&k))
        || parent.is_some_and(|p| MAPS.contains(&p))
        || (last == Some("value") && parent == Some("target"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// With the kind's schema, lists compare as the server merges them.
    #[test]
    fn the_schema_decides_how_lists_compare() {
        use crate::drift::schema::{ListType, Shape};
        use std::sync::Arc;
        let list = |list: ListType, items: Option<Shape>| Shape {
            list,
            items: items.map(Arc::new),
            ..Shape::default()
        };
        let with_field = |name: &str, shape: Shape| Shape {
            fields: [(name.to_string(), Arc::new(shape))].into(),
            ..Shape::default()
        };
        let port_item = with_field(
            "protocol",
            Shape {
                default: Some(json!("TCP")),
                ..Shape::default()
            },
        );
        let shape = Shape {
            fields: [
                ("rules", list(ListType::Map(vec!["id".into()]), None)),
                ("tags", list(ListType::Set, None)),
                ("args", list(ListType::Atomic, None)),
                (
                    "ports",
                    list(
                        ListType::Map(vec!["port".into(), "protocol".into()]),
                        Some(port_item),
                    ),
                ),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), Arc::new(v)))
            .collect(),
            ..Shape::default()
        };
        // (git, live) → the changed paths
        let cases = [
            // keyed by id: another item live has is no change; a changed one is named by its id
            (
                json!({"rules": [{"id": "a", "w": 1}]}),
                json!({"rules": [{"id": "z", "w": 9}, {"id": "a", "w": 1}]}),
                vec![],
            ),
            (
                json!({"rules": [{"id": "a", "w": 1}]}),
                json!({"rules": [{"id": "a", "w": 2}]}),
                vec!["/rules[id=a]/w"],
            ),
            // a set: order does not matter, a missing member does
            (
                json!({"tags": ["x", "y"]}),
                json!({"tags": ["y", "x"]}),
                vec![],
            ),
            (
                json!({"tags": ["x", "y"]}),
                json!({"tags": ["y"]}),
                vec!["/tags"],
            ),
            // atomic: by position, even with names
            (
                json!({"args": [{"name": "a"}, {"name": "b"}]}),
                json!({"args": [{"name": "b"}, {"name": "a"}]}),
                vec!["/args/0/name", "/args/1/name"],
            ),
            // a key field left out takes the schema's default
            (
                json!({"ports": [{"port": 80, "x": 1}]}),
                json!({"ports": [{"port": 80, "protocol": "TCP", "x": 2}]}),
                vec!["/ports[port=80,protocol=TCP]/x"],
            ),
        ];
        for (want, have, paths) in cases {
            let got: Vec<String> = compare_shaped(&want, &have, false, Some(&shape))
                .into_iter()
                .map(|c| c.path)
                .collect();
            assert_eq!(got, paths, "{want} against {have}");
        }
    }

    #[test]
    fn a_rendered_path_reads_back() {
        let paths = [
            "/spec/replicas",
            "/spec/template/spec/containers[name=web]/env[name=A]/value",
            "/spec/ports[port=80,protocol=TCP]/targetPort",
            "/metadata/annotations/app.kubernetes.io~1name",
            "/spec/args/0",
        ];
        for path in paths {
            assert_eq!(render_path(&parse_path(path)), path);
        }
    }

    #[test]
    fn ignores_fields_git_does_not_set() {
        let want = json!({"spec":{"replicas":4}});
        let live = json!({"spec":{"replicas":4,"revisionHistoryLimit":10}});
        assert!(compare(&want, &live, false).is_empty());
    }

    #[test]
    fn reports_changed_scalar_with_path() {
        let want = json!({"spec":{"replicas":4}});
        let live = json!({"spec":{"replicas":3}});
        let c = compare(&want, &live, false);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].path, "/spec/replicas");
        assert_eq!(c[0].desired, Some(json!(4)));
        assert_eq!(c[0].live, Some(json!(3)));
    }

    #[test]
    fn matches_list_items_by_name() {
        let want = json!({"containers":[{"name":"b","image":"x:2"},{"name":"a","image":"y"}]});
        let live = json!({"containers":[{"name":"a","image":"y","imagePullPolicy":"Always"},
            {"name":"b","image":"x:1"}]});
        let c = compare(&want, &live, false);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].path, "/containers[name=b]/image");
    }

    #[test]
    fn missing_field_and_list_length_change() {
        let want = json!({"data":{"k":"v"},"args":["a","b"]});
        let live = json!({"args":["a"]});
        let c = compare(&want, &live, false);
        let paths: Vec<_> = c.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(
            paths,
            ["/data/k", "/args"],
            "a string map by key, a list whole"
        );
    }

    #[test]
    fn secret_values_are_masked() {
        let want = json!({"data":{"password":"bmV3"}});
        let live = json!({"data":{"password":"b2xk"}});
        let c = compare(&want, &live, true);
        assert_eq!(c[0].path, "/data/password");
        assert_eq!(c[0].desired, Some(json!(MASK)));
        assert_eq!(c[0].live, Some(json!(MASK)));
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(compare(&json!({"a":4}), &json!({"a":4.0}), false).is_empty());
    }

    /// Manifests as people write them against what the API server stores: none is drift.
    #[test]
    fn what_the_server_canonicalises_or_drops_is_not_drift() {
        let cases = [
            (
                json!({"resources": {"limits": {"cpu": "1000m", "memory": "1024Mi"}, "requests": {"cpu": 0.5, "memory": 1}}}),
                json!({"resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m", "memory": "1"}}}),
            ),
            (
                json!({"spec": {"hard": {"services": 30}}}),
                json!({"spec": {"hard": {"services": "30"}}}),
            ),
            (
                json!({"hostNetwork": false, "args": [], "minReadySeconds": 0, "annotations": {}}),
                json!({}),
            ),
            (
                json!({"ports": [{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 9090}]}),
                json!({"ports": [{"containerPort": 9090, "protocol": "TCP"}, {"containerPort": 80, "protocol": "TCP"}]}),
            ),
        ];
        for (want, live) in cases {
            assert_eq!(compare(&want, &live, false), vec![], "{want} vs {live}");
        }
    }

    /// The same volume mounted twice: items are told apart by mount path, not by name.
    #[test]
    fn volume_mounts_are_matched_by_mount_path() {
        let mounts = |second: &str| {
            json!({"volumeMounts": [
                {"name": "cfg", "mountPath": "/etc/a", "subPath": "a"},
                {"name": "cfg", "mountPath": second, "subPath": "b"}]})
        };
        assert!(compare(&mounts("/etc/b"), &mounts("/etc/b"), false).is_empty());
        let c = compare(&mounts("/etc/b"), &mounts("/etc/c"), false);
        let paths: Vec<_> = c.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["/volumeMounts[mountPath=/etc/b]"]);
    }

    #[test]
    fn a_string_that_only_looks_like_a_quantity_is_compared_as_written() {
        let c = compare(
            &json!({"env": {"value": "1000m"}}),
            &json!({"env": {"value": "1"}}),
            false,
        );
        assert_eq!(c.len(), 1);
        let c = compare(&json!({"flag": true}), &json!({}), false);
        assert_eq!(c.len(), 1, "only zero values may be missing live");
    }
}
