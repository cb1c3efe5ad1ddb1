//! Non-apply patch formats: JSON merge patch (RFC 7386), JSON patch
//! (RFC 6902) and an approximation of strategic merge patch.

use serde_json::Value;

use super::apply::strip_nulls;
use super::fields::{is_keyed_list, item_key};
use super::status::ApiError;

/// RFC 7386: objects merge recursively, `null` deletes, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Default::default());
    }
    let t = target.as_object_mut().expect("just made an object");
    for (k, v) in p {
        if v.is_null() {
            t.remove(k);
        } else {
            merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

/// Strategic merge patch, approximated with the same list keys as apply:
/// keyed lists merge by key (an item `{"$patch":"delete"}` removes it),
/// other lists are replaced, `null` deletes.
pub fn strategic_merge_patch(target: &mut Value, patch: &Value, field: &str) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if k.starts_with("$") {
                    continue;
                }
                if v.is_null() {
                    t.remove(k);
                    continue;
                }
                match t.get_mut(k) {
                    Some(tv) => strategic_merge_patch(tv, v, k),
                    None => {
                        t.insert(k.clone(), strip_directives(v));
                    }
                }
            }
        }
        (Value::Array(t), Value::Array(p)) if is_keyed_list(field, t) || t.is_empty() => {
            for pi in p {
                let Some(key) = item_key(field, pi) else {
                    *t = p.iter().map(strip_directives).collect();
                    return;
                };
                let pos = t
                    .iter()
                    .position(|ti| item_key(field, ti).as_deref() == Some(&key));
                let delete = pi.get("$patch").and_then(Value::as_str) == Some("delete");
                match (pos, delete) {
                    (Some(i), true) => {
                        t.remove(i);
                    }
                    (Some(i), false) => strategic_merge_patch(&mut t[i], pi, field),
                    (None, true) => {}
                    (None, false) => t.push(strip_directives(pi)),
                }
            }
        }
        (target, patch) => *target = strip_directives(patch),
    }
}

fn strip_directives(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, v)| !k.starts_with('$') && !v.is_null())
                .map(|(k, v)| (k.clone(), strip_directives(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_directives).collect()),
        other => strip_nulls(other),
    }
}

/// RFC 6902 JSON patch: add, remove, replace, move, copy, test.
pub fn json_patch(target: &mut Value, patch: &Value) -> Result<(), ApiError> {
    let ops = patch
        .as_array()
        .ok_or_else(|| ApiError::bad_request("json patch must be an array of operations"))?;
    for op in ops {
        let name = op.get("op").and_then(Value::as_str).unwrap_or_default();
        let path = op
            .get("path")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::bad_request("json patch operation without path"))?;
        let from = op.get("from").and_then(Value::as_str);
        let value = op.get("value").cloned();
        match name {
            "add" => add(target, path, value.ok_or_else(|| missing("value"))?)?,
            "remove" => {
                remove(target, path)?;
            }
            "replace" => {
                remove(target, path)?;
                add(target, path, value.ok_or_else(|| missing("value"))?)?;
            }
            "move" => {
                let v = remove(target, from.ok_or_else(|| missing("from"))?)?;
                add(target, path, v)?;
            }
            "copy" => {
                let v = target
                    .pointer(from.ok_or_else(|| missing("from"))?)
                    .cloned()
                    .ok_or_else(|| not_found(path))?;
                add(target, path, v)?;
            }
            "test" => {
                if target.pointer(path) != value.as_ref() {
                    return Err(ApiError::new(
                        422,
                        "Invalid",
                        format!(
                            "the server rejected our request due to an error in our request: testing value {path} failed"
                        ),
                    ));
                }
            }
            other => {
                return Err(ApiError::bad_request(format!("Unexpected kind: {other}")));
            }
        }
    }
    Ok(())
}

fn missing(what: &str) -> ApiError {
    ApiError::bad_request(format!("json patch operation is missing {what:?}"))
}

fn not_found(path: &str) -> ApiError {
    ApiError::new(
        422,
        "Invalid",
        format!(
            "the server rejected our request due to an error in our request: doc is missing path: {path:?}"
        ),
    )
}

fn split_pointer(path: &str) -> Option<(String, String)> {
    let idx = path.rfind('/')?;
    let last = path[idx + 1..].replace("~1", "/").replace("~0", "~");
    Some((path[..idx].to_string(), last))
}

fn add(target: &mut Value, path: &str, value: Value) -> Result<(), ApiError> {
    if path.is_empty() {
        *target = value;
        return Ok(());
    }
    let (parent, last) = split_pointer(path).ok_or_else(|| not_found(path))?;
    let p = target.pointer_mut(&parent).ok_or_else(|| not_found(path))?;
    match p {
        Value::Object(m) => {
            m.insert(last, value);
        }
        Value::Array(a) => {
            let i = if last == "-" {
                a.len()
            } else {
                last.parse::<usize>().map_err(|_| not_found(path))?
            };
            if i > a.len() {
                return Err(not_found(path));
            }
            a.insert(i, value);
        }
        _ => return Err(not_found(path)),
    }
    Ok(())
}

fn remove(target: &mut Value, path: &str) -> Result<Value, ApiError> {
    let (parent, last) = split_pointer(path).ok_or_else(|| not_found(path))?;
    let p = target.pointer_mut(&parent).ok_or_else(|| not_found(path))?;
    match p {
        Value::Object(m) => m.remove(&last).ok_or_else(|| not_found(path)),
        Value::Array(a) => {
            let i = last.parse::<usize>().map_err(|_| not_found(path))?;
            if i >= a.len() {
                return Err(not_found(path));
            }
            Ok(a.remove(i))
        }
        _ => Err(not_found(path)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_rfc7386() {
        let mut t = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut t, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(t, json!({"a": "z", "c": {"d": "e"}}));
    }

    #[test]
    fn json_patch_ops() {
        let mut t = json!({"a": [1, 2], "b": {"c": 1}});
        json_patch(
            &mut t,
            &json!([
                {"op": "add", "path": "/a/-", "value": 3},
                {"op": "replace", "path": "/b/c", "value": 2},
                {"op": "remove", "path": "/a/0"},
                {"op": "test", "path": "/b/c", "value": 2}
            ]),
        )
        .unwrap();
        assert_eq!(t, json!({"a": [2, 3], "b": {"c": 2}}));
        assert!(json_patch(&mut t, &json!([{"op": "remove", "path": "/zz"}])).is_err());
    }

    #[test]
    fn strategic_merges_containers_by_name() {
        let mut t =
            json!({"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "1"}]});
        strategic_merge_patch(
            &mut t,
            &json!({"containers": [{"name": "b", "image": "2"}, {"name": "a", "$patch": "delete"}]}),
            "",
        );
        assert_eq!(t, json!({"containers": [{"name": "b", "image": "2"}]}));
    }
}
