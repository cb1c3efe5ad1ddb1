//! The sync plan, computed from state alone so the dialog can show it before anything changes.

use super::order::{Step, kind_rank, wave_of};
use super::ownership::{Stamp, applied_from, applied_manifest, gitops_owner};
use crate::model::{Desired, DriftReport, DriftStatus, FIELD_MANAGER, GitOpsOwner, ResourceKey};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq)]
pub enum PlanOp {
    /// Create what git declares but the cluster lacks.
    Create,
    /// Server-side apply over drifted fields; `take_over` names other managers owning them
    /// (applying without force stops at their fields: a conflict, until forced).
    Patch {
        fields: usize,
        take_over: Vec<String>,
    },
    /// Delete an object this repo applied earlier that git no longer declares.
    Prune,
    /// Delete and create again: git changes fields that cannot change in place.
    Recreate { fields: Vec<String> },
}

impl PlanOp {
    pub fn verb(&self) -> &'static str {
        match self {
            PlanOp::Create => "create",
            PlanOp::Patch { .. } => "patch",
            PlanOp::Prune => "prune",
            PlanOp::Recreate { .. } => "recreate",
        }
    }

    pub fn deletes(&self) -> bool {
        matches!(self, PlanOp::Prune | PlanOp::Recreate { .. })
    }
}

/// Deletes only the object the plan was made from: if it was replaced or changed since, the
/// server refuses and nothing is deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Precondition {
    pub uid: String,
    pub resource_version: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanItem {
    pub key: ResourceKey,
    pub op: PlanOp,
    /// What will be applied (None for prune).
    pub manifest: Option<Value>,
    /// From `kdrift.dev/sync-wave` or `argocd.argoproj.io/sync-wave`.
    pub wave: i32,
    /// What a person should know before confirming (another tool manages it, a namespace goes
    /// with everything in it, …).
    pub warnings: Vec<String>,
    pub precondition: Option<Precondition>,
    /// Drifted fields as the diff names them (a few, for the dialog).
    pub fields: Vec<String>,
    /// The Flux or Argo CD object that reconciles it: it can be asked to converge instead.
    pub owner: Option<GitOpsOwner>,
}

impl PlanItem {
    pub fn step(&self) -> Step {
        Step::of(&self.key, self.wave)
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SyncPlan {
    pub items: Vec<PlanItem>,
    /// Objects that were asked for but cannot be synced, with the reason.
    pub blocked: Vec<(ResourceKey, String)>,
    /// Manifests git has that describe no object kdrift could name (a parse error, no
    /// apiVersion, kind or name): `file:line` and why. Whatever they meant is not applied.
    pub unreadable: Vec<(String, String)>,
    /// Commit the desired state comes from.
    pub commit: Option<String>,
    /// The repo and path that declares it (`Snapshot::source`), written on what is applied.
    pub source: Option<String>,
    /// Deleting orphans was asked for (`p` in the dialog, `--prune`); off by default.
    pub prune: bool,
    /// Orphans left alone because prune is off.
    pub orphans: usize,
    /// Take fields other managers own: only after a conflict was shown and confirmed again
    /// (or `--force-conflicts`).
    pub force: bool,
    /// Only ask the server (`kdrift sync --dry-run`): every step's dry-run, nothing stored.
    pub dry_run: bool,
}

impl SyncPlan {
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Something asked for is left out (blocked objects or unreadable manifests).
    pub fn holds_back(&self) -> bool {
        !self.blocked.is_empty() || !self.unreadable.is_empty()
    }

    pub fn count(&self, want: fn(&PlanOp) -> bool) -> usize {
        self.items.iter().filter(|i| want(&i.op)).count()
    }

    /// Managers whose fields the plan's patches would take.
    pub fn take_over(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .items
            .iter()
            .filter_map(|i| match &i.op {
                PlanOp::Patch { take_over, .. } => Some(take_over.iter().cloned()),
                _ => None,
            })
            .flatten()
            .collect();
        all.sort();
        all.dedup();
        all
    }

    /// The GitOps objects that own planned objects and can be asked to reconcile (named ones).
    pub fn owners(&self) -> Vec<GitOpsOwner> {
        let mut out: Vec<GitOpsOwner> = Vec::new();
        for owner in self.items.iter().filter_map(|i| i.owner.as_ref()) {
            if owner.name.is_some() && !out.contains(owner) {
                out.push(owner.clone());
            }
        }
        out
    }

    /// Turns `key`'s apply into delete-and-create, for fields the server says are immutable.
    /// Never for Namespaces, CRDs or PVCs: deleting those deletes what they hold.
    pub fn recreate(&mut self, key: &ResourceKey, fields: Vec<String>) -> Result<(), String> {
        if matches!(
            key.kind.as_str(),
            "Namespace" | "CustomResourceDefinition" | "PersistentVolumeClaim"
        ) {
            return Err(format!(
                "{key}: a {} is never deleted to be recreated (it takes what it holds with it)",
                key.kind
            ));
        }
        let item = self
            .items
            .iter_mut()
            .find(|i| &i.key == key && i.manifest.is_some())
            .ok_or_else(|| format!("{key} is not applied by this plan"))?;
        item.op = PlanOp::Recreate { fields };
        Ok(())
    }
}

/// What a plan is made from: the verdicts, both sides, and how it was asked for.
pub struct PlanInput<'a> {
    pub reports: &'a BTreeMap<ResourceKey, DriftReport>,
    pub desired: &'a BTreeMap<ResourceKey, Desired>,
    pub live: &'a BTreeMap<ResourceKey, Arc<Value>>,
    pub commit: Option<&'a str>,
    pub source: Option<&'a str>,
    pub prune: bool,
}

/// How many drifted field paths a plan line names.
const FIELDS_SHOWN: usize = 3;

/// Plans convergence of `keys`, in the order it will run: by wave, Namespaces and CRDs first
/// within a wave, then a fixed kind order; prunes last, in reverse.
pub fn plan_sync(keys: &[ResourceKey], input: &PlanInput<'_>) -> SyncPlan {
    let mut plan = SyncPlan {
        commit: input.commit.map(str::to_string),
        source: input.source.map(str::to_string),
        prune: input.prune,
        ..SyncPlan::default()
    };
    let stamp = Stamp {
        commit: input.commit,
        source: input.source,
    };
    for key in keys {
        let Some(report) = input.reports.get(key) else {
            continue;
        };
        let live = input.live.get(key).map(|v| &**v);
        let mut warnings = Vec::new();
        let owner = live.and_then(gitops_owner);
        if let Some(owner) = &owner {
            warnings.push(format!(
                "managed by {owner}: it will apply its own version again"
            ));
        }
        let op = match report.status {
            DriftStatus::InSync | DriftStatus::Skipped => continue,
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
            DriftStatus::Orphan => {
                if !input.prune {
                    plan.orphans += 1;
                    continue;
                }
                match prune_refusal(live, input.source) {
                    Some(why) => {
                        plan.blocked.push((key.clone(), why));
                        continue;
                    }
                    None => PlanOp::Prune,
                }
            }
            DriftStatus::Error => {
                let why = report.message.clone().unwrap_or_else(|| "error".into());
                plan.blocked.push((key.clone(), why));
                continue;
            }
        };
        let desired = input.desired.get(key);
        let manifest = match op {
            PlanOp::Prune => None,
            _ => match desired {
                Some(d) => Some(applied_manifest(&d.manifest.tree(), stamp)),
                None => continue,
            },
        };
        if op == PlanOp::Prune
            && matches!(key.kind.as_str(), "Namespace" | "CustomResourceDefinition")
        {
            warnings.push(format!("deleting a {} deletes everything in it", key.kind));
        }
        let wave = match (&manifest, live) {
            (Some(m), _) => wave_of(m),
            (None, Some(l)) => wave_of(l),
            (None, None) => 0,
        };
        plan.items.push(PlanItem {
            key: key.clone(),
            wave,
            warnings,
            precondition: if op == PlanOp::Prune {
                live.and_then(precondition)
            } else {
                None
            },
            fields: report
                .changes
                .iter()
                .take(FIELDS_SHOWN)
                .map(|c| c.path.clone())
                .collect(),
            op,
            manifest,
            owner,
        });
    }
    plan.items.sort_by_key(order);
    plan
}

/// Applies by step and kind; prunes after every apply, in the reverse of that order.
fn order(item: &PlanItem) -> (bool, i64, ResourceKey) {
    let step = item.step().sort_key();
    let rank = (i64::from(step.0) << 8) + (i64::from(step.1) << 7) + kind_rank(&item.key) as i64;
    match item.op {
        PlanOp::Prune => (true, -rank, item.key.clone()),
        _ => (false, rank, item.key.clone()),
    }
}

/// Why an orphan must not be deleted, if it must not.
fn prune_refusal(live: Option<&Value>, source: Option<&str>) -> Option<String> {
    let Some(live) = live else {
        return Some("gone already".into());
    };
    if let Some(owner) = gitops_owner(live) {
        return Some(format!("not pruned: managed by {owner}"));
    }
    match source {
        Some(source) if applied_from(live, source) => None,
        _ => Some("not pruned: not applied from this repo and path".into()),
    }
}

fn precondition(live: &Value) -> Option<Precondition> {
    let meta = live.get("metadata")?;
    Some(Precondition {
        uid: meta.get("uid")?.as_str()?.to_string(),
        resource_version: meta.get("resourceVersion")?.as_str()?.to_string(),
    })
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

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
