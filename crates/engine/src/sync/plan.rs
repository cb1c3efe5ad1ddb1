//! The sync plan, computed from state alone so the dialog can show it before anything changes.

use crate::drift::strip_server_fields;
use crate::model::{
    Desired, DriftReport, DriftStatus, FIELD_MANAGER, OWNER_LABEL, OWNER_VALUE, ResourceKey,
};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub enum PlanOp {
    /// Create what git declares but the cluster lacks.
    Create,
    /// Server-side apply over drifted fields; `take_over` names other managers whose fields kdrift will own.
    Patch {
        fields: usize,
        take_over: Vec<String>,
    },
    /// Delete an object kdrift applied earlier that git no longer declares.
    Prune,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanItem {
    pub key: ResourceKey,
    pub op: PlanOp,
    /// What will be applied (None for prune).
    pub manifest: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SyncPlan {
    pub items: Vec<PlanItem>,
    /// Objects that were asked for but cannot be synced, with the reason.
    pub blocked: Vec<(ResourceKey, String)>,
    /// Commit the desired state comes from.
    pub commit: Option<String>,
}

impl SyncPlan {
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn count(&self, want: fn(&PlanOp) -> bool) -> usize {
        self.items.iter().filter(|i| want(&i.op)).count()
    }
}

/// Plans convergence of `keys`. Order: Namespaces first, then everything else, prunes last.
pub fn plan_sync(
    keys: &[ResourceKey],
    reports: &BTreeMap<ResourceKey, DriftReport>,
    desired: &BTreeMap<ResourceKey, Desired>,
    commit: Option<&str>,
) -> SyncPlan {
    let mut plan = SyncPlan {
        commit: commit.map(str::to_string),
        ..SyncPlan::default()
    };
    for key in keys {
        let Some(report) = reports.get(key) else {
            continue;
        };
        let manifest = || {
            desired
                .get(key)
                .map(|d| applied_manifest(&d.manifest, commit))
        };
        let op = match report.status {
            DriftStatus::InSync => continue,
            DriftStatus::Missing => PlanOp::Create,
            DriftStatus::Modified => {
                let mut take_over: Vec<String> = report
                    .changes
                    .iter()
                    .filter_map(|c| c.manager.clone())
                    .filter(|m| m != FIELD_MANAGER)
                    .collect();
                take_over.sort();
                take_over.dedup();
                PlanOp::Patch {
                    fields: report.changes.len(),
                    take_over,
                }
            }
            DriftStatus::Orphan => PlanOp::Prune,
            DriftStatus::Skipped => continue,
            DriftStatus::Error => {
                let why = report.message.clone().unwrap_or_else(|| "error".into());
                plan.blocked.push((key.clone(), why));
                continue;
            }
        };
        let manifest = if op == PlanOp::Prune {
            None
        } else {
            manifest()
        };
        plan.items.push(PlanItem {
            key: key.clone(),
            op,
            manifest,
        });
    }
    plan.items.sort_by_key(|i| {
        let rank = match (&i.op, i.key.kind.as_str()) {
            (PlanOp::Prune, _) => 2,
            (_, "Namespace") => 0,
            _ => 1,
        };
        (rank, i.key.clone())
    });
    plan
}

/// Moves every prune to `blocked`: deleting is never safe when the desired state is incomplete
/// (a file failed to parse, or nothing was declared), because its objects would look like orphans.
pub fn withhold_prunes(plan: &mut SyncPlan, reason: &str) {
    let (prunes, keep): (Vec<PlanItem>, Vec<PlanItem>) = std::mem::take(&mut plan.items)
        .into_iter()
        .partition(|i| i.op == PlanOp::Prune);
    plan.items = keep;
    plan.blocked
        .extend(prunes.into_iter().map(|i| (i.key, reason.to_string())));
}

/// The manifest as kdrift applies it: git's object plus the ownership label and source commit,
/// so later runs can tell what kdrift owns (and may prune) and which commit it came from.
pub fn applied_manifest(manifest: &Value, commit: Option<&str>) -> Value {
    let mut out = strip_server_fields(manifest);
    if let Some(meta) = out.get_mut("metadata").and_then(Value::as_object_mut) {
        let labels = meta
            .entry("labels")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(labels) = labels.as_object_mut() {
            labels.insert(OWNER_LABEL.into(), Value::String(OWNER_VALUE.into()));
        }
        if let Some(commit) = commit {
            let ann = meta
                .entry("annotations")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(ann) = ann.as_object_mut() {
                ann.insert("kdrift.dev/commit".into(), Value::String(commit.into()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FieldChange;
    use serde_json::json;

    fn key(kind: &str, name: &str) -> ResourceKey {
        ResourceKey {
            namespace: (kind != "Namespace").then(|| "shop".into()),
            kind: kind.into(),
            name: name.into(),
            group: String::new(),
            version: "v1".into(),
        }
    }

    #[test]
    fn orders_namespaces_first_and_prunes_last() {
        let mut reports = BTreeMap::new();
        let mut desired = BTreeMap::new();
        for (k, s) in [
            (key("Service", "api"), DriftStatus::Missing),
            (key("Namespace", "shop"), DriftStatus::Missing),
            (key("ConfigMap", "old"), DriftStatus::Orphan),
            (key("ConfigMap", "cfg"), DriftStatus::Modified),
            (key("ConfigMap", "ok"), DriftStatus::InSync),
        ] {
            let mut r = DriftReport::new(s);
            if s == DriftStatus::Modified {
                r.changes.push(FieldChange {
                    path: "/data/a".into(),
                    desired: None,
                    live: None,
                    manager: Some("kubectl-edit".into()),
                    time: None,
                });
            }
            reports.insert(k.clone(), r);
            desired.insert(
                k.clone(),
                Desired {
                    key: k.clone(),
                    manifest: json!({"apiVersion":"v1","kind":k.kind,"metadata":{"name":k.name}})
                        .into(),
                    source: "f.yaml".into(),
                },
            );
        }
        let keys: Vec<_> = reports.keys().cloned().collect();
        let plan = plan_sync(&keys, &reports, &desired, Some("abc"));
        let order: Vec<_> = plan
            .items
            .iter()
            .map(|i| (i.key.kind.as_str(), i.key.name.as_str()))
            .collect();
        assert_eq!(
            order,
            [
                ("Namespace", "shop"),
                ("ConfigMap", "cfg"),
                ("Service", "api"),
                ("ConfigMap", "old")
            ]
        );
        assert_eq!(
            plan.items[1].op,
            PlanOp::Patch {
                fields: 1,
                take_over: vec!["kubectl-edit".into()]
            }
        );
        let m = plan.items[0].manifest.as_ref().unwrap();
        assert_eq!(m["metadata"]["labels"][OWNER_LABEL], OWNER_VALUE);
        assert_eq!(m["metadata"]["annotations"]["kdrift.dev/commit"], "abc");
        assert!(plan.items[3].manifest.is_none());
    }
}
