//! Brings desired and live objects into comparable shape.

use base64::Engine;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Metadata the API server sets; never part of what git declares.
const SERVER_METADATA: &[&str] = &[
    "managedFields",
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "generation",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "ownerReferences",
];

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// `normalize_desired` without the copy when it would change nothing, which is what git usually
/// holds: judging an object then allocates nothing for the desired side.
pub fn normalized_desired(manifest: &Value) -> Cow<'_, Value> {
    if needs_normalizing(manifest) {
        Cow::Owned(normalize_desired(manifest))
    } else {
        Cow::Borrowed(manifest)
    }
}

fn needs_normalizing(manifest: &Value) -> bool {
    let Some(map) = manifest.as_object() else {
        return false;
    };
    if map.contains_key("status") || map.contains_key("stringData") {
        return true;
    }
    let Some(meta) = map.get("metadata").and_then(Value::as_object) else {
        return false;
    };
    SERVER_METADATA.iter().any(|f| meta.contains_key(*f))
        || meta
            .get("annotations")
            .and_then(Value::as_object)
            .is_some_and(|a| a.is_empty() || a.contains_key(LAST_APPLIED))
}

/// Removes status and server-set metadata, e.g. to show an orphan's content.
pub fn strip_server_fields(obj: &Value) -> Value {
    let mut out = obj.clone();
    if let Some(map) = out.as_object_mut() {
        // shift, not swap: what is left keeps its order, so two copies of one object render alike
        map.shift_remove("status");
        if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
            for field in SERVER_METADATA {
                meta.shift_remove(*field);
            }
            if let Some(ann) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
                ann.shift_remove(LAST_APPLIED);
                if ann.is_empty() {
                    meta.shift_remove("annotations");
                }
            }
        }
    }
    out
}

/// The desired manifest as the API server would store it, for the fields git sets:
/// status dropped, and a Secret's `stringData` folded into base64 `data` (the server does the same).
pub fn normalize_desired(manifest: &Value) -> Value {
    let mut out = strip_server_fields(manifest);
    let is_secret = out.get("kind").and_then(Value::as_str) == Some("Secret")
        && out.get("apiVersion").and_then(Value::as_str) == Some("v1");
    if let (true, Some(map)) = (is_secret, out.as_object_mut())
        && let Some(Value::Object(string_data)) = map.remove("stringData")
    {
        let data = map
            .entry("data")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(data) = data.as_object_mut() {
            for (k, v) in string_data {
                let text = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                let encoded = base64::engine::general_purpose::STANDARD.encode(text);
                data.insert(k, Value::String(encoded));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_borrowed_form_equals_the_copied_one() {
        let cases = [
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "v"}}),
            json!({"kind": "ConfigMap", "metadata": {"name": "a", "uid": "x"}}),
            json!({"kind": "ConfigMap", "metadata": {"name": "a", "annotations": {}}}),
            json!({"kind": "ConfigMap", "metadata": {"name": "a", "annotations": {LAST_APPLIED: "{}", "b": "c"}}}),
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"p": "x"}}),
            json!({"kind": "Deployment", "metadata": {"name": "d"}, "status": {"replicas": 1}}),
        ];
        for case in cases {
            let cow = normalized_desired(&case);
            assert_eq!(*cow, normalize_desired(&case), "{case}");
            assert_eq!(
                matches!(cow, Cow::Borrowed(_)),
                normalize_desired(&case) == case,
                "{case}"
            );
        }
    }

    #[test]
    fn folds_string_data_into_data() {
        let s = json!({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},
            "stringData":{"password":"hunter2"}});
        let n = normalize_desired(&s);
        assert_eq!(n["data"]["password"], json!("aHVudGVyMg=="));
        assert!(n.get("stringData").is_none());
    }

    #[test]
    fn strips_server_metadata_and_status() {
        let o = json!({"metadata":{"name":"a","uid":"u","resourceVersion":"3",
            "managedFields":[]},"status":{"x":1},"spec":{"a":1}});
        assert_eq!(
            strip_server_fields(&o),
            json!({"metadata":{"name":"a"},"spec":{"a":1}})
        );
    }
}
