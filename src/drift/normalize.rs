//! Brings desired and live objects into comparable shape.

use base64::Engine;
use serde_json::{Map, Value};

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

/// Removes status and server-set metadata, e.g. to show an orphan's content.
pub fn strip_server_fields(obj: &Value) -> Value {
    let mut out = obj.clone();
    if let Some(map) = out.as_object_mut() {
        map.remove("status");
        if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
            for field in SERVER_METADATA {
                meta.remove(*field);
            }
            if let Some(ann) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
                ann.remove("kubectl.kubernetes.io/last-applied-configuration");
                if ann.is_empty() {
                    meta.remove("annotations");
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
