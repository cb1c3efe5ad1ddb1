//! Server-side apply: merge of the applied configuration into the live
//! object, conflict detection against other managers, and removal of fields
//! the applier stopped sending.

use serde_json::{Map, Value, json};

use super::fields::{
    PathElem, SYSTEM_META, Scope, is_keyed_list, item_key, object_fields, path_string, remove_at,
    value_at,
};
use super::managed::{
    Writer, entry_index, prune_missing, read_entries, stamp_times, without_managed, write_entries,
};
use super::status::ApiError;

/// One field another manager owns with a different value.
struct Conflict {
    manager: String,
    path: String,
}

/// Applies `applied` (already identity-checked) on top of `live` (or an
/// empty skeleton for creation) and returns the new object with its
/// managedFields. Errors are 409 Conflicts listing every contested field.
pub fn server_side_apply(
    live: &Value,
    applied: &Value,
    w: &Writer<'_>,
    force: bool,
) -> Result<Value, ApiError> {
    let applied = restrict(applied, w.scope);
    let applied_set = object_fields(&applied, w.scope);
    let before = read_entries(live);
    let mut entries = before.clone();
    let me = entry_index(&mut entries, w, "Apply");

    // Conflicts: someone else owns a field we set to a different value.
    let mut conflicts: Vec<Conflict> = Vec::new();
    let mut contested: Vec<(usize, Vec<PathElem>)> = Vec::new();
    for path in &applied_set {
        if matches!(path.last(), Some(PathElem::Key(_))) {
            continue; // owning a list item's existence never conflicts
        }
        if value_at(&applied, path) == value_at(live, path) {
            continue; // same value: shared ownership
        }
        for (i, e) in entries.iter().enumerate() {
            if i != me && e.fields.contains(path) {
                conflicts.push(Conflict {
                    manager: e.describe(),
                    path: path_string(path),
                });
                contested.push((i, path.clone()));
            }
        }
    }
    if !conflicts.is_empty() && !force {
        return Err(conflict_error(&conflicts));
    }
    for (i, path) in contested {
        entries[i].fields.remove(&path);
    }

    // Fields we owned before, no longer send, and nobody else holds: delete.
    let previously = std::mem::take(&mut entries[me].fields);
    let mut obj = live.clone();
    for path in previously.difference(&applied_set) {
        let held_elsewhere = entries
            .iter()
            .enumerate()
            .any(|(i, e)| i != me && e.fields.iter().any(|p| p.starts_with(path)));
        if !held_elsewhere {
            remove_at(&mut obj, path);
        }
    }

    merge_applied(&mut obj, &applied, "");
    entries[me].fields = applied_set;
    prune_missing(&mut entries, &obj);
    let content_changed = without_managed(live) != without_managed(&obj);
    stamp_times(&mut entries, &before, Some(me), content_changed);
    write_entries(&mut obj, &entries);
    Ok(obj)
}

/// The part of the applied config a request may set: status only for the
/// status subresource, everything but status (for kinds with a status
/// subresource) otherwise; server-owned metadata is dropped.
fn restrict(applied: &Value, scope: Scope) -> Value {
    let mut out = Map::new();
    if let Some(map) = applied.as_object() {
        for (k, v) in map {
            if k == "apiVersion" || k == "kind" || !scope.covers_top(k) {
                continue;
            }
            if k == "metadata" {
                let mut meta = v.as_object().cloned().unwrap_or_default();
                meta.retain(|mk, _| !SYSTEM_META.contains(&mk.as_str()));
                out.insert(k.clone(), Value::Object(meta));
            } else {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(out)
}

/// SSA merge: maps recursively, keyed lists item by item, everything else
/// replaced. `null` in the applied config removes the field.
pub fn merge_applied(live: &mut Value, applied: &Value, field: &str) {
    match (live, applied) {
        (Value::Object(l), Value::Object(a)) => {
            for (k, av) in a {
                if av.is_null() {
                    l.remove(k);
                    continue;
                }
                match l.get_mut(k) {
                    Some(lv) => merge_applied(lv, av, k),
                    None => {
                        l.insert(k.clone(), strip_nulls(av));
                    }
                }
            }
        }
        (Value::Array(l), Value::Array(a))
            if is_keyed_list(field, a) && (l.is_empty() || is_keyed_list(field, l)) =>
        {
            for ai in a {
                let key = item_key(field, ai);
                match l.iter_mut().find(|li| item_key(field, li) == key) {
                    Some(li) => merge_applied(li, ai, field),
                    None => l.push(strip_nulls(ai)),
                }
            }
        }
        (live, applied) => *live = strip_nulls(applied),
    }
}

pub fn strip_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), strip_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_nulls).collect()),
        other => other.clone(),
    }
}

fn conflict_error(conflicts: &[Conflict]) -> ApiError {
    let message = if conflicts.len() == 1 {
        format!(
            "Apply failed with 1 conflict: conflict with {}: {}",
            conflicts[0].manager, conflicts[0].path
        )
    } else {
        let mut managers: Vec<&str> = conflicts.iter().map(|c| c.manager.as_str()).collect();
        managers.sort();
        managers.dedup();
        let mut lines = Vec::new();
        for m in managers {
            lines.push(format!("conflicts with {m}:"));
            for c in conflicts.iter().filter(|c| c.manager == m) {
                lines.push(format!("- {}", c.path));
            }
        }
        format!(
            "Apply failed with {} conflicts: {}",
            conflicts.len(),
            lines.join("\n")
        )
    };
    let causes: Vec<Value> = conflicts
        .iter()
        .map(|c| {
            json!({
                "reason": "FieldManagerConflict",
                "type": "FieldManagerConflict",
                "message": format!("conflict with {}", c.manager),
                "field": c.path,
            })
        })
        .collect();
    ApiError::new(409, "Conflict", message).with_details(json!({"causes": causes}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(manager: &str) -> Writer<'_> {
        Writer {
            manager,
            api_version: "v1",
            scope: Scope::Main { has_status: false },
        }
    }

    #[test]
    fn apply_conflict_force_and_removal() {
        let base = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}});
        let cfg = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
                          "data": {"a": "1", "b": "2"}});
        let obj = server_side_apply(&base, &cfg, &w("kdrift"), false).unwrap();
        assert_eq!(obj["data"], json!({"a": "1", "b": "2"}));

        // Someone else changes a and takes it over.
        let mut edited = obj.clone();
        edited["data"]["a"] = json!("X");
        super::super::managed::record_update(&obj, &mut edited, &w("kubectl-edit"));

        let err = server_side_apply(&edited, &cfg, &w("kdrift"), false).unwrap_err();
        assert_eq!(err.code, 409);
        assert!(err.message.contains("\"kubectl-edit\""), "{}", err.message);
        assert!(err.message.contains(".data.a"), "{}", err.message);

        let forced = server_side_apply(&edited, &cfg, &w("kdrift"), true).unwrap();
        assert_eq!(forced["data"]["a"], "1");
        let entries = read_entries(&forced);
        assert!(entries.iter().all(|e| e.manager != "kubectl-edit"));

        // Dropping b from the config deletes it.
        let cfg2 = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
                           "data": {"a": "1"}});
        let pruned = server_side_apply(&forced, &cfg2, &w("kdrift"), false).unwrap();
        assert_eq!(pruned["data"], json!({"a": "1"}));
    }
}
