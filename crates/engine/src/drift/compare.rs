//! Structural comparison: walks only what git declares and reports each differing field.

use super::provenance::manager_for_segments;
use super::secrets::MASK;
use crate::model::FieldChange;
use serde_json::Value;

/// Upper bound on reported changes per object, so one pathological object cannot flood the UI.
const MAX_CHANGES: usize = 200;

/// One step of a path into an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
    /// A list item matched by its `name` field (containers, env, ports…), as the API server merges them.
    Named(String),
}

/// Renders segments as a JSON-pointer-like path; named list items read `containers[name=redis]`.
pub fn render_path(segments: &[Segment]) -> String {
    let mut out = String::new();
    for seg in segments {
        match seg {
            Segment::Key(k) => {
                out.push('/');
                out.push_str(&k.replace('~', "~0").replace('/', "~1"));
            }
            Segment::Index(i) => {
                out.push('/');
                out.push_str(&i.to_string());
            }
            Segment::Named(n) => {
                out.push_str("[name=");
                out.push_str(n);
                out.push(']');
            }
        }
    }
    out
}

/// Compares the normalized desired object against the live one. Fields git does not set are ignored.
/// For Secrets every value under `data` is masked in the result.
pub fn compare(desired: &Value, live: &Value, secret: bool) -> Vec<FieldChange> {
    walk_pair(desired, live, live, secret, false)
}

/// Compares two whole objects: fields only one side has count too (the server's answer to a
/// dry-run against live, where a field the server would remove is drift as much as one it
/// would change). Managers are read from `managed`, the live object with its managedFields.
pub fn compare_whole(
    expected: &Value,
    live: &Value,
    managed: &Value,
    secret: bool,
) -> Vec<FieldChange> {
    walk_pair(expected, live, managed, secret, true)
}

fn walk_pair(
    desired: &Value,
    live: &Value,
    managed: &Value,
    secret: bool,
    whole: bool,
) -> Vec<FieldChange> {
    let mut walker = Walker {
        live_root: managed,
        secret,
        whole,
        out: Vec::new(),
        path: Vec::new(),
    };
    walker.walk(desired, Some(live));
    walker.out
}

struct Walker<'a> {
    live_root: &'a Value,
    secret: bool,
    /// Fields only live has are changes too.
    whole: bool,
    out: Vec<FieldChange>,
    path: Vec<Segment>,
}

impl Walker<'_> {
    fn walk(&mut self, desired: &Value, live: Option<&Value>) {
        if self.out.len() >= MAX_CHANGES {
            return;
        }
        match (desired, live) {
            (Value::Null, _) => {}
            (Value::Object(want), Some(Value::Object(have))) => {
                for (k, v) in want {
                    self.path.push(Segment::Key(k.clone()));
                    self.walk(v, have.get(k));
                    self.path.pop();
                }
                if self.whole {
                    for (k, v) in have.iter().filter(|(k, _)| !want.contains_key(*k)) {
                        self.path.push(Segment::Key(k.clone()));
                        self.record(None, Some(v));
                        self.path.pop();
                    }
                }
            }
            (Value::Array(want), Some(Value::Array(have))) => self.walk_list(want, have, desired),
            (want, Some(have)) if scalar_eq(want, have) => {}
            (want, have) => self.record(Some(want), have),
        }
    }

    fn walk_list(&mut self, want: &[Value], have: &[Value], whole: &Value) {
        if let (Some(want_names), Some(have_names)) = (item_names(want), item_names(have)) {
            for (item, name) in want.iter().zip(&want_names) {
                let live_item = have_names.iter().position(|n| n == name).map(|i| &have[i]);
                self.path.push(Segment::Named(name.to_string()));
                match live_item {
                    Some(l) => self.walk(item, Some(l)),
                    None => self.record(Some(item), None),
                }
                self.path.pop();
            }
            if self.whole {
                for (item, name) in have.iter().zip(&have_names) {
                    if !want_names.contains(name) {
                        self.path.push(Segment::Named(name.to_string()));
                        self.record(None, Some(item));
                        self.path.pop();
                    }
                }
            }
        } else if want.len() == have.len() {
            for (i, (w, h)) in want.iter().zip(have).enumerate() {
                self.path.push(Segment::Index(i));
                self.walk(w, Some(h));
                self.path.pop();
            }
        } else {
            let live = Value::Array(have.to_vec());
            self.record(Some(whole), Some(&live));
        }
    }

    fn record(&mut self, desired: Option<&Value>, live: Option<&Value>) {
        let masked = self.secret
            && matches!(self.path.first(), Some(Segment::Key(k)) if k == "data" || k == "stringData");
        let shown = |v: Option<&Value>| {
            v.map(|v| {
                if masked {
                    Value::String(MASK.to_string())
                } else {
                    v.clone()
                }
            })
        };
        self.out.push(FieldChange {
            path: render_path(&self.path),
            desired: shown(desired),
            live: shown(live),
            manager: manager_for_segments(self.live_root, &self.path),
        });
    }
}

/// Names of every item when all items are objects with a string `name`; merge-by-name applies then.
fn item_names(items: &[Value]) -> Option<Vec<&str>> {
    if items.is_empty() {
        return None;
    }
    items
        .iter()
        .map(|i| i.get("name").and_then(Value::as_str))
        .collect()
}

/// Equality that treats 4 and 4.0 as the same number, as the API server does for integers.
fn scalar_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ignores_fields_git_does_not_set() {
        let want = json!({"spec":{"replicas":4}});
        let live = json!({"spec":{"replicas":4,"revisionHistoryLimit":10}});
        assert!(compare(&want, &live, false).is_empty());
    }

    #[test]
    fn reports_changed_scalar_with_path() {
        let want = json!({"spec":{"replicas":4}});
        let live = json!({"spec":{"replicas":3}});
        let c = compare(&want, &live, false);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].path, "/spec/replicas");
        assert_eq!(c[0].desired, Some(json!(4)));
        assert_eq!(c[0].live, Some(json!(3)));
    }

    #[test]
    fn matches_list_items_by_name() {
        let want = json!({"containers":[{"name":"b","image":"x:2"},{"name":"a","image":"y"}]});
        let live = json!({"containers":[{"name":"a","image":"y","imagePullPolicy":"Always"},
            {"name":"b","image":"x:1"}]});
        let c = compare(&want, &live, false);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].path, "/containers[name=b]/image");
    }

    #[test]
    fn missing_field_and_list_length_change() {
        let want = json!({"data":{"k":"v"},"args":["a","b"]});
        let live = json!({"args":["a"]});
        let c = compare(&want, &live, false);
        let paths: Vec<_> = c.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["/data", "/args"]);
    }

    #[test]
    fn secret_values_are_masked() {
        let want = json!({"data":{"password":"bmV3"}});
        let live = json!({"data":{"password":"b2xk"}});
        let c = compare(&want, &live, true);
        assert_eq!(c[0].path, "/data/password");
        assert_eq!(c[0].desired, Some(json!(MASK)));
        assert_eq!(c[0].live, Some(json!(MASK)));
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(compare(&json!({"a":4}), &json!({"a":4.0}), false).is_empty());
    }
}
