//! Stage 2: the API server's own answer. A server-side apply dry-run of git's object returns what
//! the object would be after converging (with the server's defaults, canonical quantities and
//! mutating webhooks applied); comparing that with live tells exactly what converging would
//! change, which is the drift. Only what the server itself maintains is left out.

use super::compare::compare_whole;
use super::normalize::strip_server_fields;
use super::schema::Shape;
use crate::model::{FieldChange, OWNER_LABEL, SOURCE_ANNOTATION};
use serde_json::Value;

/// kdrift's own bookkeeping on objects it applies: not something git declares.
pub const COMMIT_ANNOTATION: &str = "kdrift.dev/commit";

/// Annotations the API server itself keeps on objects (a DaemonSet's template generation, bumped
/// by the dry-run of any template change): not something anyone declares or converges.
const SERVER_ANNOTATIONS: &[&str] = &["deprecated.daemonset.template.generation"];

/// What converging would change: the dry-run's object (`server`) against `live`, both without
/// status, server-set metadata and kdrift's ownership label, source and commit annotations.
pub fn server_changes(
    server: &Value,
    live: &Value,
    secret: bool,
    shape: Option<&Shape>,
) -> Vec<FieldChange> {
    // provenance comes from live's managedFields, which `comparable` takes off
    compare_whole(&comparable(server), &comparable(live), live, secret, shape)
}

/// The part of an object that converging can change, `apiVersion`, `kind` and `metadata` first
/// (list items arrive without the first two, which are added at the end: the text diff of two
/// copies must not differ by key order).
pub fn comparable(obj: &Value) -> Value {
    let mut out = identity_first(strip_server_fields(obj));
    if let Some(meta) = out.get_mut("metadata").and_then(Value::as_object_mut) {
        let annotations = [COMMIT_ANNOTATION, SOURCE_ANNOTATION]
            .into_iter()
            .chain(SERVER_ANNOTATIONS.iter().copied());
        let drop =
            std::iter::once(("labels", OWNER_LABEL)).chain(annotations.map(|a| ("annotations", a)));
        for (field, key) in drop {
            if let Some(map) = meta.get_mut(field).and_then(Value::as_object_mut) {
                map.shift_remove(key);
                if map.is_empty() {
                    meta.shift_remove(field);
                }
            }
        }
    }
    out
}

/// `obj` with `apiVersion`, `kind` and `metadata` first, as people read and write objects
/// (whatever order a server or a patch left the keys in).
pub fn identity_first(mut obj: Value) -> Value {
    if let Some(map) = obj.as_object_mut() {
        let mut ordered = serde_json::Map::with_capacity(map.len());
        for first in ["apiVersion", "kind", "metadata"] {
            if let Some(v) = map.remove(first) {
                ordered.insert(first.to_string(), v);
            }
        }
        ordered.extend(std::mem::take(map));
        *map = ordered;
    }
    obj
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn live() -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "a", "resourceVersion": "7", "uid": "u",
                "generation": 3, "annotations": {"deployment.kubernetes.io/revision": "2"},
                "managedFields": [{"manager": "kubectl-scale", "operation": "Update",
                    "time": "2026-01-01T00:00:00Z", "fieldsV1": {"f:spec": {"f:replicas": {}}}}]},
            "spec": {"replicas": 3, "template": {"spec": {"containers": [
                {"name": "web", "image": "nginx:1", "resources": {"limits": {"cpu": "1"}}}]}}},
            "status": {"replicas": 3}})
    }

    #[test]
    fn the_servers_version_equal_to_live_is_in_sync() {
        // what a dry-run returns for git's `cpu: 1000m` and `replicas: 3`: canonical, and with
        // kdrift's bookkeeping and a newer resourceVersion and managedFields
        let mut server = live();
        server["metadata"]["resourceVersion"] = json!("8");
        server["metadata"]["labels"] = json!({OWNER_LABEL: "kdrift"});
        server["metadata"]["annotations"][COMMIT_ANNOTATION] = json!("abc");
        server["metadata"]["managedFields"] = json!([]);
        assert_eq!(server_changes(&server, &live(), false, None), vec![]);
    }

    #[test]
    fn changed_and_removed_fields_are_drift_with_their_manager() {
        let mut server = live();
        server["spec"]["replicas"] = json!(4);
        server["spec"]["template"]["spec"]["containers"][0]
            .as_object_mut()
            .unwrap()
            .remove("resources");
        let changes = server_changes(&server, &live(), false, None);
        let got: Vec<_> = changes
            .iter()
            .map(|c| (c.path.as_str(), c.desired.clone(), c.manager.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("/spec/replicas", Some(json!(4)), Some("kubectl-scale")),
                (
                    "/spec/template/spec/containers[name=web]/resources",
                    None,
                    None
                ),
            ]
        );
    }
}
