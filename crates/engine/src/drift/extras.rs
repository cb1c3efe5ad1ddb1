//! Fields live has that git does not declare, written by someone other than whoever applies git:
//! a container or env var added with `kubectl edit`, a label added by hand, replicas an
//! autoscaler sets. Shown so nothing is silently different, but not drift: applying git would
//! keep them (server-side apply leaves other managers' fields alone).

use super::compare::{Segment, render_path};
use crate::model::{Extra, FIELD_MANAGER};
use serde_json::{Map, Value};

/// Managers of the cluster itself: what they write is bookkeeping (revisions, bindings), not
/// someone's change. The autoscaler's writes through `scale` are the exception.
const SYSTEM: &[&str] = &[
    "kube-controller-manager",
    "kube-scheduler",
    "kubelet",
    "kube-apiserver",
    "before-first-apply",
];

/// Annotations tools keep for themselves.
const BOOKKEEPING: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
];

/// A manager owning this many declared fields applied git (or an older version of it): the
/// undeclared fields it owns are the server's defaults of that apply, not extras.
const APPLIER: usize = 3;

/// The extras of `live` against what git declares (`desired`, as written), by path.
pub fn extras(desired: &Value, live: &Value) -> Vec<Extra> {
    let Some(entries) = live
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries {
        let manager = entry.get("manager").and_then(Value::as_str).unwrap_or("");
        let subresource = entry.get("subresource").and_then(Value::as_str);
        let system = SYSTEM.contains(&manager) && subresource != Some("scale");
        if manager == FIELD_MANAGER || system || subresource == Some("status") {
            continue;
        }
        let Some(fields) = entry.get("fieldsV1").and_then(Value::as_object) else {
            continue;
        };
        let mut walk = Walk::default();
        walk.fields(fields, desired);
        if walk.declared >= APPLIER {
            continue;
        }
        let time = entry
            .get("time")
            .and_then(Value::as_str)
            .map(str::to_string);
        out.extend(walk.extra.into_iter().map(|path| Extra {
            path,
            manager: manager.to_string(),
            time: time.clone(),
        }));
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

#[derive(Default)]
struct Walk<'a> {
    path: Vec<Segment<'a>>,
    declared: usize,
    extra: Vec<String>,
}

impl<'a> Walk<'a> {
    /// `fields` is a FieldsV1 set at the node `desired` of git's object.
    fn fields(&mut self, fields: &'a Map<String, Value>, desired: &Value) {
        for (key, sub) in fields {
            if key == "." {
                continue;
            }
            let (segment, child) = if let Some(name) = key.strip_prefix("f:") {
                if self.path.len() == 2 && BOOKKEEPING.contains(&name) {
                    continue;
                }
                (Segment::Key(name.into()), desired.get(name))
            } else if let Some(json) = key.strip_prefix("k:") {
                let Ok(Value::Object(item_key)) = serde_json::from_str::<Value>(json) else {
                    continue;
                };
                (named(&item_key), find_item(desired, &item_key))
            } else if let Some(value) = key.strip_prefix("v:") {
                let value: Value = serde_json::from_str(value).unwrap_or(Value::Null);
                let found = desired
                    .as_array()
                    .and_then(|a| a.iter().find(|v| **v == value));
                (Segment::Named(format!("value={value}").into()), found)
            } else if let Some(index) = key.strip_prefix("i:") {
                let Ok(i) = index.parse::<usize>() else {
                    continue;
                };
                (Segment::Index(i), desired.get(i))
            } else {
                continue;
            };
            let keyed = !matches!(segment, Segment::Key(_));
            self.path.push(segment);
            match (child, sub.as_object()) {
                // a map git leaves out: down to the fields the manager wrote in it
                (None, Some(sub)) if !keyed && sub.keys().any(|k| k != ".") => {
                    self.fields(sub, &Value::Null)
                }
                // a field, or a whole list item, git leaves out
                (None, _) => self.extra.push(render_path(&self.path)),
                (Some(child), Some(sub)) if !sub.is_empty() => self.fields(sub, child),
                (Some(_), _) => self.declared += 1,
            }
            self.path.pop();
        }
    }
}

/// A list item's key as `compare` renders it: the name, or `field=value` pairs.
fn named(key: &Map<String, Value>) -> Segment<'static> {
    if key.len() == 1
        && let Some(Value::String(name)) = key.get("name")
    {
        return Segment::Named(name.clone().into());
    }
    let parts: Vec<String> = key
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect();
    Segment::Named(parts.join(",").into())
}

/// The item of git's list with these key fields (`protocol` is TCP when git leaves it out).
fn find_item<'a>(desired: &'a Value, key: &Map<String, Value>) -> Option<&'a Value> {
    desired.as_array()?.iter().find(|item| {
        key.iter().all(|(k, v)| match item.get(k) {
            Some(have) => have == v || have.as_f64().is_some() && have.as_f64() == v.as_f64(),
            None => k == "protocol" && v == "TCP",
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(manager: &str, op: &str, fields: Value) -> Value {
        json!({"manager": manager, "operation": op, "time": "2026-01-01T00:00:00Z", "fieldsV1": fields})
    }

    fn deployment() -> Value {
        json!({"metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [
                {"name": "web", "image": "nginx", "env": [{"name": "A", "value": "1"}]}]}}}})
    }

    #[test]
    fn hand_added_fields_are_extras_and_an_appliers_defaults_are_not() {
        let mut live = deployment();
        live["metadata"]["managedFields"] = json!([
            // the apply of git: owns declared fields, and the server's defaults
            entry(
                "kubectl-client-side-apply",
                "Update",
                json!({
                "f:metadata": {"f:labels": {"f:app": {}}, "f:annotations": {
                    "f:kubectl.kubernetes.io/last-applied-configuration": {}}},
                "f:spec": {"f:replicas": {}, "f:revisionHistoryLimit": {}, "f:template": {"f:spec": {
                    "f:containers": {"k:{\"name\":\"web\"}": {".": {}, "f:image": {}, "f:imagePullPolicy": {}}}}}}})
            ),
            entry(
                "kubectl-set",
                "Update",
                json!({"f:spec": {"f:template": {"f:spec": {"f:containers": {
                "k:{\"name\":\"web\"}": {"f:env": {"k:{\"name\":\"FOO\"}": {".": {}, "f:name": {}, "f:value": {}}}}}}}}})
            ),
            entry(
                "kubectl-edit",
                "Update",
                json!({"f:spec": {"f:template": {"f:spec": {"f:containers": {
                "k:{\"name\":\"sidecar\"}": {".": {}, "f:image": {}, "f:name": {}}}}}}})
            ),
            entry(
                "kubectl-label",
                "Update",
                json!({"f:metadata": {"f:labels": {"f:team": {}}}})
            ),
            entry(
                "kube-controller-manager",
                "Update",
                json!({"f:metadata": {"f:annotations": {
                "f:deployment.kubernetes.io/revision": {}}}})
            ),
            entry(
                "kdrift",
                "Apply",
                json!({"f:metadata": {"f:labels": {"f:app.kubernetes.io/managed-by": {}}}})
            ),
        ]);
        let got: Vec<(String, String)> = extras(&deployment(), &live)
            .into_iter()
            .map(|e| (e.path, e.manager))
            .collect();
        let want = [
            ("/metadata/labels/team", "kubectl-label"),
            (
                "/spec/template/spec/containers[name=sidecar]",
                "kubectl-edit",
            ),
            (
                "/spec/template/spec/containers[name=web]/env[name=FOO]",
                "kubectl-set",
            ),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(p, m)| (p.to_string(), m.to_string()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn replicas_an_autoscaler_sets_are_an_extra_when_git_leaves_them_out() {
        let mut desired = deployment();
        desired["spec"].as_object_mut().unwrap().remove("replicas");
        let mut live = deployment();
        let mut scale = entry(
            "kube-controller-manager",
            "Update",
            json!({"f:spec": {"f:replicas": {}}}),
        );
        scale["subresource"] = json!("scale");
        live["metadata"]["managedFields"] = json!([scale]);
        let got = extras(&desired, &live);
        assert_eq!(got.len(), 1);
        assert_eq!(
            (got[0].path.as_str(), got[0].manager.as_str()),
            ("/spec/replicas", "kube-controller-manager")
        );
        assert!(
            extras(&deployment(), &live).is_empty(),
            "declared: drift or not, never an extra"
        );
    }
}
