//! Provenance: which field manager last wrote a field, read from the live object's managedFields.

use super::compare::Segment;
use serde_json::Value;

/// Who wrote a field last: the manager, and when its managedFields entry was last written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub manager: String,
    pub time: Option<String>,
}

/// The manager owning the field at `path` in `live`; the most recent writer when several share it.
pub fn owner_for_segments(live: &Value, path: &[Segment<'_>]) -> Option<Owner> {
    let entries = live.pointer("/metadata/managedFields")?.as_array()?;
    let entry = entries
        .iter()
        .filter(|e| {
            e.get("fieldsV1")
                .is_some_and(|fields| owns(fields, path, live))
        })
        // RFC 3339 timestamps in UTC sort as strings; ties go to the later entry.
        .max_by(|a, b| time_of(a).cmp(time_of(b)))?;
    Some(Owner {
        manager: entry.get("manager")?.as_str()?.to_string(),
        time: entry
            .get("time")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

pub fn manager_for_segments(live: &Value, path: &[Segment<'_>]) -> Option<String> {
    owner_for_segments(live, path).map(|o| o.manager)
}

/// The manager owning the field at a rendered path (`/spec/replicas`, `containers[name=web]`).
pub fn manager_for(live: &Value, path: &str) -> Option<String> {
    manager_for_segments(live, &super::compare::parse_path(path))
}

fn time_of(entry: &Value) -> &str {
    entry.get("time").and_then(Value::as_str).unwrap_or("")
}

/// Walks a FieldsV1 set along the path, and `live` beside it (a list item is keyed in FieldsV1
/// by what the server merges it by, which may not be what the path names it by). A leaf in
/// the set before the path ends is an atomic map or list: whoever owns it owns all of it.
fn owns(fields: &Value, path: &[Segment<'_>], live: &Value) -> bool {
    let (mut node, mut at) = (fields, Some(live));
    for seg in path {
        if node.as_object().is_some_and(|m| m.is_empty()) {
            return true;
        }
        let next = match seg {
            Segment::Key(k) => {
                at = at.and_then(|v| v.get(k.as_ref()));
                node.get(format!("f:{k}"))
            }
            Segment::Named(name) => {
                let item = at.and_then(|list| live_item(list, name));
                at = item;
                node.as_object().and_then(|m| {
                    m.iter()
                        .find(|(k, _)| {
                            item_key_has_name(k, name) || item.is_some_and(|i| item_key_is(k, i))
                        })
                        .map(|(_, v)| v)
                })
            }
            Segment::Index(_) => return true,
        };
        match next {
            Some(n) => node = n,
            None => return false,
        }
    }
    true
}

/// The item of a live list the path's key names.
fn live_item<'a>(list: &'a Value, name: &str) -> Option<&'a Value> {
    list.as_array()?.iter().find(|item| {
        if name.contains('=') {
            name.split(',').all(|pair| {
                pair.split_once('=')
                    .is_some_and(|(f, want)| match item.get(f) {
                        Some(Value::String(s)) => s == want,
                        Some(v) => v.as_f64().is_some() && v.as_f64() == want.parse().ok(),
                        None => f == "protocol" && want == "TCP",
                    })
            })
        } else {
            item.get("name").and_then(Value::as_str) == Some(name)
        }
    })
}

/// Whether a FieldsV1 item key (`k:{"port":5432,"protocol":"TCP"}`) is that of `item`.
fn item_key_is(key: &str, item: &Value) -> bool {
    let Some(Value::Object(fields)) = key
        .strip_prefix("k:")
        .and_then(|json| serde_json::from_str::<Value>(json).ok())
    else {
        return false;
    };
    fields.iter().all(|(f, v)| match item.get(f) {
        Some(have) => have == v || have.as_f64().is_some() && have.as_f64() == v.as_f64(),
        None => f == "protocol" && v == "TCP",
    })
}

/// FieldsV1 keys list items as `k:{"name":"redis"}` or `k:{"containerPort":80,"protocol":"TCP"}`;
/// `name` is a plain name or `field=value` pairs joined by commas (see `compare::item_key`).
fn item_key_has_name(key: &str, name: &str) -> bool {
    let Some(fields) = key
        .strip_prefix("k:")
        .and_then(|json| serde_json::from_str::<Value>(json).ok())
    else {
        return false;
    };
    if !name.contains('=') {
        return fields.get("name").and_then(Value::as_str) == Some(name);
    }
    name.split(',').all(|pair| {
        let Some((field, want)) = pair.split_once('=') else {
            return false;
        };
        match fields.get(field) {
            Some(Value::String(s)) => s == want,
            Some(v) => v.as_f64().is_some() && v.as_f64() == want.parse().ok(),
            None => field == "protocol" && want == "TCP",
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn live() -> Value {
        json!({"metadata":{"managedFields":[
            {"manager":"kdrift","operation":"Apply","time":"2026-01-01T00:00:00Z",
             "fieldsV1":{"f:spec":{"f:template":{"f:spec":{"f:containers":{
                "k:{\"name\":\"redis\"}":{"f:image":{}}}}}}}},
            {"manager":"kubectl-scale","operation":"Update","time":"2026-01-02T00:00:00Z",
             "fieldsV1":{"f:spec":{"f:replicas":{}}}}
        ]}})
    }

    #[test]
    fn finds_manager_of_plain_field() {
        assert_eq!(
            manager_for(&live(), "/spec/replicas").as_deref(),
            Some("kubectl-scale")
        );
        assert_eq!(manager_for(&live(), "/spec/paused"), None);
    }

    /// List items keyed by other fields than `name`: ports by port and protocol, mounts by path.
    #[test]
    fn finds_manager_of_items_with_other_keys() {
        let live = json!({"metadata":{"managedFields":[
            {"manager":"kubectl-edit","time":"2026-01-02T00:00:00Z","fieldsV1":{"f:ports":{
                "k:{\"port\":80,\"protocol\":\"TCP\"}":{"f:targetPort":{}}},
                "f:volumeMounts":{"k:{\"mountPath\":\"/data\"}":{"f:subPath":{}}}}}]}});
        let at = |key: &str, seg: &str, field: &str| {
            let path = [
                Segment::Key(key.into()),
                Segment::Named(seg.into()),
                Segment::Key(field.into()),
            ];
            manager_for_segments(&live, &path)
        };
        assert_eq!(
            at("ports", "port=80,protocol=TCP", "targetPort").as_deref(),
            Some("kubectl-edit")
        );
        assert_eq!(at("ports", "port=81,protocol=TCP", "targetPort"), None);
        assert_eq!(
            at("volumeMounts", "mountPath=/data", "subPath").as_deref(),
            Some("kubectl-edit")
        );
    }

    /// Named Service ports are keyed by port and protocol in managedFields; atomic maps and lists
    /// (a Service's selector, a RoleBinding's subjects) are one leaf owned as a whole.
    #[test]
    fn finds_managers_of_items_keyed_otherwise_and_of_atomic_fields() {
        let live = json!({"spec": {"ports": [{"name": "postgres", "port": 5432, "targetPort": 5433}],
                "selector": {"app": "echo-v2"}},
            "subjects": [{"kind": "User", "name": "oncall"}],
            "metadata": {"managedFields": [
                {"manager": "kubectl-patch", "time": "2026-01-02T00:00:00Z", "fieldsV1": {
                    "f:spec": {"f:ports": {"k:{\"port\":5432,\"protocol\":\"TCP\"}": {"f:targetPort": {}}},
                        "f:selector": {}},
                    "f:subjects": {}}}]}});
        let path = |segs: &[(&str, bool)]| -> Vec<Segment<'static>> {
            segs.iter()
                .map(|(s, named)| {
                    if *named {
                        Segment::Named(s.to_string().into())
                    } else {
                        Segment::Key(s.to_string().into())
                    }
                })
                .collect()
        };
        let cases = [
            path(&[
                ("spec", false),
                ("ports", false),
                ("postgres", true),
                ("targetPort", false),
            ]),
            path(&[("spec", false), ("selector", false), ("app", false)]),
            path(&[("subjects", false), ("oncall", true), ("name", false)]),
        ];
        for p in cases {
            assert_eq!(
                manager_for_segments(&live, &p).as_deref(),
                Some("kubectl-patch"),
                "{p:?}"
            );
        }
    }

    #[test]
    fn finds_manager_of_named_list_item() {
        let path = [
            Segment::Key("spec".into()),
            Segment::Key("template".into()),
            Segment::Key("spec".into()),
            Segment::Key("containers".into()),
            Segment::Named("redis".into()),
            Segment::Key("image".into()),
        ];
        assert_eq!(
            manager_for_segments(&live(), &path).as_deref(),
            Some("kdrift")
        );
    }
}
