//! managedFields bookkeeping: reading and writing the entries, and the
//! ownership rules for `Update` operations (create, PUT, non-apply patches).

use serde_json::{Value, json};

use super::fields::{
    FieldSet, PathElem, Scope, from_fields_v1, object_fields, to_fields_v1, value_at,
};
use super::util::now_rfc3339;

#[derive(Clone, Debug, PartialEq)]
pub struct ManagerEntry {
    pub manager: String,
    pub operation: String,
    pub api_version: String,
    pub time: String,
    pub subresource: Option<String>,
    pub fields: FieldSet,
}

impl ManagerEntry {
    fn same_identity(&self, manager: &str, operation: &str, subresource: Option<&str>) -> bool {
        self.manager == manager
            && self.operation == operation
            && self.subresource.as_deref() == subresource
    }

    /// How conflict messages name a manager (`"x" using apps/v1` for updaters).
    pub fn describe(&self) -> String {
        let mut s = format!("{:?}", self.manager);
        if let Some(sub) = &self.subresource {
            s.push_str(&format!(" with subresource {sub:?}"));
        }
        if self.operation == "Update" {
            s.push_str(&format!(" using {}", self.api_version));
        }
        s
    }
}

/// Identity of the writer of one request.
#[derive(Clone, Debug)]
pub struct Writer<'a> {
    pub manager: &'a str,
    pub api_version: &'a str,
    pub scope: Scope,
}

impl Writer<'_> {
    pub fn subresource(&self) -> Option<&'static str> {
        match self.scope {
            Scope::Status => Some("status"),
            Scope::Main { .. } => None,
        }
    }
}

pub fn read_entries(obj: &Value) -> Vec<ManagerEntry> {
    let Some(list) = obj
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|e| {
            let s = |k: &str| e.get(k).and_then(Value::as_str).map(str::to_string);
            Some(ManagerEntry {
                manager: s("manager")?,
                operation: s("operation").unwrap_or_else(|| "Update".into()),
                api_version: s("apiVersion").unwrap_or_default(),
                time: s("time").unwrap_or_default(),
                subresource: s("subresource").filter(|s| !s.is_empty()),
                fields: e.get("fieldsV1").map(from_fields_v1).unwrap_or_default(),
            })
        })
        .collect()
}

pub fn write_entries(obj: &mut Value, entries: &[ManagerEntry]) {
    let list: Vec<Value> = entries
        .iter()
        .filter(|e| !e.fields.is_empty())
        .map(|e| {
            let mut v = json!({
                "manager": e.manager,
                "operation": e.operation,
                "apiVersion": e.api_version,
                "time": e.time,
                "fieldsType": "FieldsV1",
                "fieldsV1": to_fields_v1(&e.fields),
            });
            if let Some(sub) = &e.subresource {
                v["subresource"] = json!(sub);
            }
            v
        })
        .collect();
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        if list.is_empty() {
            meta.remove("managedFields");
        } else {
            meta.insert("managedFields".into(), Value::Array(list));
        }
    }
}

/// Index of the entry for this writer and operation, created if missing.
pub fn entry_index(entries: &mut Vec<ManagerEntry>, w: &Writer<'_>, operation: &str) -> usize {
    if let Some(i) = entries
        .iter()
        .position(|e| e.same_identity(w.manager, operation, w.subresource()))
    {
        return i;
    }
    entries.push(ManagerEntry {
        manager: w.manager.to_string(),
        operation: operation.to_string(),
        api_version: w.api_version.to_string(),
        time: String::new(),
        subresource: w.subresource().map(str::to_string),
        fields: FieldSet::new(),
    });
    entries.len() - 1
}

/// Drops paths that no longer exist in `obj` (so ownership follows deletions).
pub fn prune_missing(entries: &mut [ManagerEntry], obj: &Value) {
    for e in entries.iter_mut() {
        e.fields.retain(|p| value_at(obj, p).is_some());
    }
}

/// Stamps `time` on the writer's own entry (`touched`) when its fields or
/// the object changed. Other entries keep their time even when they lost
/// fields, and a no-op write keeps every time so it stays a no-op.
pub fn stamp_times(
    entries: &mut [ManagerEntry],
    before: &[ManagerEntry],
    touched: Option<usize>,
    content_changed: bool,
) {
    let now = now_rfc3339();
    for (i, e) in entries.iter_mut().enumerate() {
        let prev = before
            .iter()
            .find(|b| b.same_identity(&e.manager, &e.operation, e.subresource.as_deref()));
        match prev {
            Some(p) if touched != Some(i) || (p.fields == e.fields && !content_changed) => {
                e.time = p.time.clone();
            }
            _ => e.time = now.clone(),
        }
    }
}

/// Object content without managedFields, for change detection.
pub fn without_managed(obj: &Value) -> Value {
    let mut v = obj.clone();
    if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("managedFields");
    }
    v
}

/// Ownership after an `Update` operation: the writer gains the fields it
/// added or changed, and takes them away from everybody else (updates never
/// conflict). `new` gets the resulting managedFields.
pub fn record_update(old: &Value, new: &mut Value, w: &Writer<'_>) {
    let before = read_entries(old);
    let mut entries = before.clone();
    let mut changed = FieldSet::new();
    for p in object_fields(new, w.scope) {
        let is_item = matches!(p.last(), Some(PathElem::Key(_)));
        let differs = if is_item {
            value_at(old, &p).is_none()
        } else {
            value_at(old, &p) != value_at(new, &p)
        };
        if differs {
            changed.insert(p);
        }
    }
    let content_changed = without_managed(old) != without_managed(new);
    let touched = if changed.is_empty() {
        entries
            .iter()
            .position(|e| e.same_identity(w.manager, "Update", w.subresource()))
    } else {
        for e in entries.iter_mut() {
            e.fields.retain(|p| !changed.contains(p));
        }
        let i = entry_index(&mut entries, w, "Update");
        entries[i].fields.extend(changed);
        Some(i)
    };
    prune_missing(&mut entries, new);
    stamp_times(&mut entries, &before, touched, content_changed);
    write_entries(new, &entries);
}
