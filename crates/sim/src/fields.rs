//! Field paths and field sets for managedFields, in the structured-merge-diff
//! vocabulary: `f:name` for map fields, `k:{"name":"x"}` for list items
//! identified by key fields, `.` for "this node itself".

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PathElem {
    Field(String),
    /// Canonical compact JSON of the key fields, e.g. `{"name":"redis"}`.
    Key(String),
}

pub type Path = Vec<PathElem>;
pub type FieldSet = BTreeSet<Path>;

/// Which part of an object a request may touch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The main resource; `has_status` kinds keep `status` out of reach.
    Main { has_status: bool },
    /// The `status` subresource: only `status` is written.
    Status,
}

impl Scope {
    pub fn covers_top(&self, field: &str) -> bool {
        match self {
            Scope::Main { has_status } => !(field == "status" && *has_status),
            Scope::Status => field == "status",
        }
    }
}

/// Metadata the server owns; never part of anybody's field set.
pub const SYSTEM_META: &[&str] = &[
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];

/// Key fields identifying an item of the list stored under `field`, as a
/// canonical JSON string; `None` if the item has no such key.
pub fn item_key(field: &str, item: &Value) -> Option<String> {
    let obj = item.as_object()?;
    let has = |k: &str| obj.get(k).is_some_and(|v| v.is_string() || v.is_number());
    let fields: Vec<&str> = match field {
        "volumeMounts" => vec!["mountPath"],
        "volumeDevices" => vec!["devicePath"],
        "ownerReferences" => vec!["uid"],
        "conditions" => vec!["type"],
        "hostAliases" => vec!["ip"],
        "ports" if has("name") => vec!["name"],
        // Not keyed by protocol too (as Kubernetes does): without defaulting
        // an applied port and its defaulted live copy must share a key.
        "ports" if has("containerPort") => vec!["containerPort"],
        "ports" if has("port") => vec!["port"],
        _ => vec!["name"],
    };
    let mut parts = Vec::new();
    for k in fields {
        match obj.get(k) {
            Some(v) if v.is_string() || v.is_number() => parts.push((k, v)),
            _ => return None,
        }
    }
    parts.sort_by(|a, b| a.0.cmp(b.0));
    Some(canonical_map(parts.into_iter()))
}

fn canonical_map<'a>(entries: impl Iterator<Item = (&'a str, &'a Value)>) -> String {
    let body: Vec<String> = entries
        .map(|(k, v)| format!("{}:{}", Value::from(k), v))
        .collect();
    format!("{{{}}}", body.join(","))
}

/// A list merges item-by-item when every item has a distinct key;
/// otherwise it is atomic and replaced whole.
pub fn is_keyed_list(field: &str, items: &[Value]) -> bool {
    if items.is_empty() {
        return false;
    }
    let mut seen = BTreeSet::new();
    items
        .iter()
        .all(|i| item_key(field, i).is_some_and(|k| seen.insert(k)))
}

/// Field set of `obj` restricted to `scope`, ignoring type and system metadata.
pub fn object_fields(obj: &Value, scope: Scope) -> FieldSet {
    let mut out = FieldSet::new();
    let Some(map) = obj.as_object() else {
        return out;
    };
    for (k, v) in map {
        if k == "apiVersion" || k == "kind" || !scope.covers_top(k) {
            continue;
        }
        let mut path = vec![PathElem::Field(k.clone())];
        if k == "metadata" {
            if let Some(meta) = v.as_object() {
                for (mk, mv) in meta {
                    if SYSTEM_META.contains(&mk.as_str()) {
                        continue;
                    }
                    path.push(PathElem::Field(mk.clone()));
                    collect(mv, mk, &mut path, &mut out);
                    path.pop();
                }
            }
            continue;
        }
        collect(v, k, &mut path, &mut out);
    }
    out
}

fn collect(v: &Value, field: &str, path: &mut Path, out: &mut FieldSet) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, c) in m {
                path.push(PathElem::Field(k.clone()));
                collect(c, k, path, out);
                path.pop();
            }
        }
        Value::Array(items) if is_keyed_list(field, items) => {
            for item in items {
                let key = item_key(field, item).expect("keyed list items have keys");
                path.push(PathElem::Key(key));
                out.insert(path.clone());
                collect(item, field, path, out);
                path.pop();
            }
        }
        _ => {
            out.insert(path.clone());
        }
    }
}

/// The value at `path`, if present.
pub fn value_at<'a>(obj: &'a Value, path: &[PathElem]) -> Option<&'a Value> {
    let mut cur = obj;
    let mut field = "";
    for elem in path {
        match elem {
            PathElem::Field(f) => {
                cur = cur.as_object()?.get(f)?;
                field = f;
            }
            PathElem::Key(k) => {
                cur = cur
                    .as_array()?
                    .iter()
                    .find(|i| item_key(field, i).as_deref() == Some(k))?;
            }
        }
    }
    Some(cur)
}

/// Removes the value at `path`; then drops maps left empty by the removal
/// (below the top level), so removing the last label removes `labels` too.
pub fn remove_at(obj: &mut Value, path: &[PathElem]) -> bool {
    let Some((last, parent_path)) = path.split_last() else {
        return false;
    };
    let removed = {
        let Some(parent) = value_at_mut(obj, parent_path) else {
            return false;
        };
        match last {
            PathElem::Field(f) => parent.as_object_mut().and_then(|m| m.remove(f)).is_some(),
            PathElem::Key(k) => {
                let field = last_field(parent_path);
                match parent.as_array_mut() {
                    Some(items) => {
                        let before = items.len();
                        items.retain(|i| item_key(field, i).as_deref() != Some(k));
                        items.len() != before
                    }
                    None => false,
                }
            }
        }
    };
    if removed {
        let mut p = parent_path.to_vec();
        while p.len() >= 2 {
            let empty = match value_at(obj, &p) {
                Some(Value::Object(m)) => m.is_empty(),
                Some(Value::Array(a)) => a.is_empty(),
                _ => false,
            };
            if !empty {
                break;
            }
            let parent = p.clone();
            remove_plain(obj, &parent);
            p.pop();
        }
    }
    removed
}

fn remove_plain(obj: &mut Value, path: &[PathElem]) {
    if let Some((PathElem::Field(f), parent_path)) = path.split_last()
        && let Some(parent) = value_at_mut(obj, parent_path).and_then(Value::as_object_mut)
    {
        parent.remove(f);
    }
}

fn last_field(path: &[PathElem]) -> &str {
    match path.last() {
        Some(PathElem::Field(f)) => f,
        _ => "",
    }
}

fn value_at_mut<'a>(obj: &'a mut Value, path: &[PathElem]) -> Option<&'a mut Value> {
    let mut cur = obj;
    let mut field = String::new();
    for elem in path {
        match elem {
            PathElem::Field(f) => {
                cur = cur.as_object_mut()?.get_mut(f)?;
                field = f.clone();
            }
            PathElem::Key(k) => {
                cur = cur
                    .as_array_mut()?
                    .iter_mut()
                    .find(|i| item_key(&field, i).as_deref() == Some(k))?;
            }
        }
    }
    Some(cur)
}

/// Human form used in conflict messages: `.spec.containers[name="redis"].image`.
pub fn path_string(path: &[PathElem]) -> String {
    let mut s = String::new();
    for elem in path {
        match elem {
            PathElem::Field(f) => {
                s.push('.');
                s.push_str(f);
            }
            PathElem::Key(k) => {
                let parts: Vec<String> = serde_json::from_str::<Map<String, Value>>(k)
                    .unwrap_or_default()
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                s.push('[');
                s.push_str(&parts.join(","));
                s.push(']');
            }
        }
    }
    s
}

/// Serialises a field set in the `FieldsV1` wire format.
pub fn to_fields_v1(set: &FieldSet) -> Value {
    let mut root = Map::new();
    for path in set {
        let mut node = &mut root;
        for elem in path {
            let key = match elem {
                PathElem::Field(f) => format!("f:{f}"),
                PathElem::Key(k) => format!("k:{k}"),
            };
            node = node
                .entry(key)
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("fieldsV1 nodes are maps");
        }
        // A member node that also has children carries an explicit ".".
        node.insert(".".into(), json!({}));
    }
    strip_leaf_dots(&mut root);
    Value::Object(root)
}

fn strip_leaf_dots(node: &mut Map<String, Value>) {
    for child in node.values_mut() {
        if let Some(m) = child.as_object_mut() {
            if m.len() == 1 && m.contains_key(".") {
                m.clear();
            } else {
                strip_leaf_dots(m);
            }
        }
    }
}

/// Parses `FieldsV1`; unknown element kinds (`v:`, `i:`) are skipped.
pub fn from_fields_v1(v: &Value) -> FieldSet {
    let mut out = FieldSet::new();
    let mut path = Vec::new();
    parse_node(v, &mut path, &mut out);
    out
}

fn parse_node(v: &Value, path: &mut Path, out: &mut FieldSet) {
    let Some(m) = v.as_object() else { return };
    for (k, child) in m {
        if k == "." {
            if !path.is_empty() {
                out.insert(path.clone());
            }
            continue;
        }
        let elem = if let Some(f) = k.strip_prefix("f:") {
            PathElem::Field(f.to_string())
        } else if let Some(key) = k.strip_prefix("k:") {
            match serde_json::from_str::<Map<String, Value>>(key) {
                Ok(map) => PathElem::Key(canonical_map(map.iter().map(|(k, v)| (k.as_str(), v)))),
                Err(_) => continue,
            }
        } else {
            continue;
        };
        path.push(elem);
        if child.as_object().is_some_and(Map::is_empty) {
            out.insert(path.clone());
        } else {
            parse_node(child, path, out);
        }
        path.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_roundtrip_and_format() {
        let obj = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "x", "labels": {"app": "x"}},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [
                {"name": "redis", "image": "redis:7", "args": ["a"]}
            ]}}}
        });
        let set = object_fields(&obj, Scope::Main { has_status: true });
        let v1 = to_fields_v1(&set);
        assert_eq!(v1["f:spec"]["f:replicas"], json!({}));
        let item = &v1["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"redis\"}"];
        assert_eq!(item["."], json!({}));
        assert_eq!(item["f:args"], json!({}));
        assert_eq!(v1["f:metadata"]["f:labels"]["f:app"], json!({}));
        assert!(v1["f:metadata"].get("f:name").is_none());
        assert_eq!(from_fields_v1(&v1), set);
        let img: Vec<_> = set
            .iter()
            .filter(|p| path_string(p).ends_with("image"))
            .collect();
        assert_eq!(
            path_string(img[0]),
            ".spec.template.spec.containers[name=\"redis\"].image"
        );
    }

    #[test]
    fn remove_prunes_empty_maps() {
        let mut obj = json!({"metadata": {"labels": {"a": "1"}}, "spec": {"x": 1}});
        let p = vec![
            PathElem::Field("metadata".into()),
            PathElem::Field("labels".into()),
            PathElem::Field("a".into()),
        ];
        assert!(remove_at(&mut obj, &p));
        assert_eq!(obj, json!({"metadata": {}, "spec": {"x": 1}}));
    }
}
