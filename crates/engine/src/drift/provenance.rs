//! Provenance: which field manager last wrote a field, read from the live object's managedFields.

use super::compare::Segment;
use serde_json::Value;

/// The manager owning the field at `path` in `live`; the most recent writer when several share it.
pub fn manager_for_segments(live: &Value, path: &[Segment]) -> Option<String> {
    let entries = live.pointer("/metadata/managedFields")?.as_array()?;
    entries
        .iter()
        .filter(|e| e.get("fieldsV1").is_some_and(|fields| owns(fields, path)))
        // RFC 3339 timestamps in UTC sort as strings; ties go to the later entry.
        .max_by(|a, b| time_of(a).cmp(time_of(b)))
        .and_then(|e| e.get("manager")?.as_str().map(str::to_string))
}

/// Convenience for callers holding a rendered path of plain keys (`/spec/replicas`).
pub fn manager_for(live: &Value, pointer: &str) -> Option<String> {
    let segments: Vec<Segment> = pointer
        .split('/')
        .skip(1)
        .map(|s| Segment::Key(s.replace("~1", "/").replace("~0", "~")))
        .collect();
    manager_for_segments(live, &segments)
}

fn time_of(entry: &Value) -> &str {
    entry.get("time").and_then(Value::as_str).unwrap_or("")
}

/// Walks a FieldsV1 set along the path. An index into an atomic list stops the walk:
/// whoever owns the list owns its items.
fn owns(fields: &Value, path: &[Segment]) -> bool {
    let mut node = fields;
    for seg in path {
        let next = match seg {
            Segment::Key(k) => node.get(format!("f:{k}")),
            Segment::Named(name) => node.as_object().and_then(|m| {
                m.iter()
                    .find(|(k, _)| item_key_has_name(k, name))
                    .map(|(_, v)| v)
            }),
            Segment::Index(_) => return true,
        };
        match next {
            Some(n) => node = n,
            None => return false,
        }
    }
    true
}

/// FieldsV1 keys list items as `k:{"name":"redis"}`.
fn item_key_has_name(key: &str, name: &str) -> bool {
    key.strip_prefix("k:")
        .and_then(|json| serde_json::from_str::<Value>(json).ok())
        .and_then(|v| v.get("name").and_then(Value::as_str).map(|n| n == name))
        .unwrap_or(false)
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
