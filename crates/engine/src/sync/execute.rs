//! Carries out a confirmed plan step by step (a wave's Namespaces and CRDs, then the rest of the
//! wave, then the next wave; prunes last). Each step is first dry-run whole on the server, so a
//! step is applied entirely or not at all; a failure stops before the next step, and the outcome
//! names what was applied and what was not. The watch, not this task, turns rows green.

use super::order::Step;
use super::plan::{PlanItem, PlanOp, SyncPlan};
use crate::cluster::{
    ApplyOptions, ClusterError, Conflict, DeleteOptions, Resolver, apply_object, can,
    crd_established, delete_object, wait_discoverable, wait_for,
};
use crate::drift::secret_values;
use crate::model::{Gvk, ResourceKey};
use crate::outbox::Outbox;
use std::time::Duration;
use tracing::Instrument;

/// Why an object of a plan did not apply.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SyncError {
    #[error("forbidden: you may not {verb} it")]
    Forbidden { verb: &'static str },
    /// Fields other managers own; applying without force changed nothing.
    #[error("conflict: {}", conflict_text(.0))]
    Conflict(Vec<Conflict>),
    /// Fields that cannot change in place: only delete-and-create changes them.
    #[error("immutable field {}: recreate to change it", .0.join(", "))]
    Immutable(Vec<String>),
    /// The object was replaced or changed between the plan and the delete: not deleted.
    #[error("changed since the plan: not deleted")]
    Changed,
    #[error("{0}")]
    Cluster(#[from] ClusterError),
    #[error("no manifest to apply")]
    NoManifest,
}

fn conflict_text(conflicts: &[Conflict]) -> String {
    let mut parts: Vec<String> = conflicts
        .iter()
        .map(|c| format!("{} owned by {}", c.field, c.manager))
        .collect();
    parts.dedup();
    parts.join(", ")
}

impl SyncError {
    /// Reads the server's refusal: a conflict, an immutable field, a failed precondition.
    fn from_cluster(e: ClusterError, deleting: bool) -> Self {
        if let Some(conflicts) = e.conflicts() {
            return SyncError::Conflict(conflicts);
        }
        if let Some(fields) = e.immutable_fields() {
            return SyncError::Immutable(fields);
        }
        if deleting && e.code() == Some(409) {
            return SyncError::Changed;
        }
        SyncError::Cluster(e)
    }
}

/// What a sync did, all of it: nothing is reported as converged when part of it failed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SyncOutcome {
    pub applied: Vec<ResourceKey>,
    pub failed: Vec<(ResourceKey, SyncError)>,
    /// Planned but not tried, because an earlier step failed.
    pub not_applied: Vec<ResourceKey>,
    /// The step that failed, as "wave 0", "wave 0 (namespaces and CRDs)" or "prune".
    pub stopped_at: Option<String>,
    /// The failing step was refused by its dry-run: nothing of it changed.
    pub refused_by_dry_run: bool,
    /// A dry-run-only plan: what the server accepted (nothing was stored).
    pub checked: Vec<ResourceKey>,
    /// A dry-run-only plan: what could not be asked, because it needs a namespace or kind an
    /// earlier step would create.
    pub unchecked: Vec<(ResourceKey, String)>,
}

impl SyncOutcome {
    pub fn ok(&self) -> bool {
        self.failed.is_empty() && self.not_applied.is_empty()
    }

    /// Every conflict, with its object: what forcing would take.
    pub fn conflicts(&self) -> Vec<(ResourceKey, Conflict)> {
        self.failed
            .iter()
            .filter_map(|(k, e)| match e {
                SyncError::Conflict(c) => Some(c.iter().map(move |c| (k.clone(), c.clone()))),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// Objects that can only change by delete-and-create, with the fields.
    pub fn immutable(&self) -> Vec<(ResourceKey, Vec<String>)> {
        self.failed
            .iter()
            .filter_map(|(k, e)| match e {
                SyncError::Immutable(f) => Some((k.clone(), f.clone())),
                _ => None,
            })
            .collect()
    }
}

/// What a running sync reports.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncEvent {
    /// A step starts (its dry-run first).
    Step {
        name: String,
        objects: usize,
    },
    /// One object was applied or deleted (or failed to be).
    ItemDone {
        key: ResourceKey,
        result: Result<(), SyncError>,
    },
    Finished(SyncOutcome),
}

/// How long a CRD may take to be established, an object to be gone before it is created again,
/// and a new kind to appear in discovery.
const ESTABLISH_LIMIT: Duration = Duration::from_secs(30);
const GONE_LIMIT: Duration = Duration::from_secs(60);
const DISCOVERY_LIMIT: Duration = Duration::from_secs(15);

pub async fn run_sync(resolver: Resolver, plan: SyncPlan, out: Outbox<SyncEvent>) {
    let span = tracing::info_span!(
        "sync",
        objects = plan.items.len(),
        commit = plan.commit.as_deref().unwrap_or(""),
        force = plan.force,
        prune = plan.prune
    );
    let outcome = run(&resolver, &plan, &out).instrument(span).await;
    tracing::info!(
        applied = outcome.applied.len(),
        failed = outcome.failed.len(),
        not_applied = outcome.not_applied.len(),
        "sync finished"
    );
    out.send(SyncEvent::Finished(outcome)).await;
}

/// The steps of a plan in order; prunes are one step after every apply.
fn steps(plan: &SyncPlan) -> Vec<(Option<Step>, Vec<&PlanItem>)> {
    let mut out: Vec<(Option<Step>, Vec<&PlanItem>)> = Vec::new();
    for item in &plan.items {
        let step = (item.op != PlanOp::Prune).then(|| item.step());
        match out.last_mut() {
            Some((s, items)) if *s == step => items.push(item),
            _ => out.push((step, vec![item])),
        }
    }
    out
}

fn step_name(step: Option<Step>) -> String {
    match step {
        None => "prune".into(),
        Some(s) if s.bootstrap => format!("wave {} (namespaces and CRDs)", s.wave),
        Some(s) => format!("wave {}", s.wave),
    }
}

async fn run(resolver: &Resolver, plan: &SyncPlan, out: &Outbox<SyncEvent>) -> SyncOutcome {
    let mut outcome = SyncOutcome::default();
    if let Err((key, e)) = permitted(resolver, plan).await {
        outcome.not_applied = plan
            .items
            .iter()
            .map(|i| i.key.clone())
            .filter(|k| *k != key)
            .collect();
        outcome.failed.push((key, e));
        outcome.stopped_at = Some("permission check".into());
        outcome.refused_by_dry_run = true;
        return outcome;
    }
    let steps = steps(plan);
    if plan.dry_run {
        check_only(resolver, plan, &steps, &mut outcome).await;
        return outcome;
    }
    for (n, (step, items)) in steps.iter().enumerate() {
        let name = step_name(*step);
        let span = tracing::info_span!("step", name = %name, objects = items.len());
        let failed = run_step(resolver, plan, items, &name, &mut outcome, out)
            .instrument(span)
            .await;
        if failed {
            outcome.stopped_at = Some(name);
            outcome.not_applied.extend(
                steps[n + 1..]
                    .iter()
                    .flat_map(|(_, items)| items.iter().map(|i| i.key.clone())),
            );
            return outcome;
        }
        if let Err((key, e)) = settle(resolver, plan, items).await {
            outcome.failed.push((key, e));
            outcome.stopped_at = Some(step_name(*step));
            outcome.not_applied.extend(
                steps[n + 1..]
                    .iter()
                    .flat_map(|(_, items)| items.iter().map(|i| i.key.clone())),
            );
            return outcome;
        }
    }
    outcome
}

/// Every step's dry-run and nothing else. An object in a namespace (or of a kind) that an
/// earlier step creates cannot be asked about before that step is applied: it is listed as
/// unchecked rather than reported as refused.
async fn check_only(
    resolver: &Resolver,
    plan: &SyncPlan,
    steps: &[(Option<Step>, Vec<&PlanItem>)],
    outcome: &mut SyncOutcome,
) {
    let mut namespaces: Vec<&str> = Vec::new();
    let mut groups: Vec<&str> = Vec::new();
    for (step, items) in steps {
        tracing::info!(step = %step_name(*step), objects = items.len(), "dry-run");
        for item in items {
            let needs = item
                .key
                .namespace
                .as_deref()
                .filter(|ns| namespaces.contains(ns))
                .map(|ns| format!("its namespace {ns} is created by an earlier step"))
                .or_else(|| {
                    groups
                        .contains(&item.key.group.as_str())
                        .then(|| "its kind is defined by a CRD an earlier step creates".to_string())
                });
            if let Some(why) = needs {
                outcome.unchecked.push((item.key.clone(), why));
                continue;
            }
            match execute(resolver, plan, item, true).await {
                Ok(()) => outcome.checked.push(item.key.clone()),
                Err(e) => {
                    outcome.refused_by_dry_run = true;
                    outcome.failed.push((item.key.clone(), e));
                }
            }
        }
        for item in items.iter().filter(|i| i.op == PlanOp::Create) {
            match (item.key.kind.as_str(), &item.manifest) {
                ("Namespace", _) => namespaces.push(&item.key.name),
                ("CustomResourceDefinition", Some(m)) => {
                    if let Some(g) = m.pointer("/spec/group").and_then(|g| g.as_str()) {
                        groups.push(g);
                    }
                }
                _ => {}
            }
        }
    }
}

/// Dry-runs the whole step, then carries it out. True when something of it failed.
async fn run_step(
    resolver: &Resolver,
    plan: &SyncPlan,
    items: &[&PlanItem],
    name: &str,
    outcome: &mut SyncOutcome,
    out: &Outbox<SyncEvent>,
) -> bool {
    out.send(SyncEvent::Step {
        name: name.to_string(),
        objects: items.len(),
    })
    .await;
    let mut refused = Vec::new();
    for item in items {
        if let Err(e) = execute(resolver, plan, item, true).await {
            tracing::warn!(key = %item.key, error = %e, "dry-run refused");
            refused.push((item.key.clone(), e));
        }
    }
    if !refused.is_empty() {
        let failed: Vec<&ResourceKey> = refused.iter().map(|(k, _)| k).collect();
        outcome.not_applied.extend(
            items
                .iter()
                .map(|i| i.key.clone())
                .filter(|k| !failed.contains(&k)),
        );
        outcome.failed.extend(refused);
        outcome.refused_by_dry_run = true;
        return true;
    }
    let mut any_failed = false;
    for item in items {
        let span = tracing::info_span!("object", key = %item.key, op = item.op.verb());
        let result = execute(resolver, plan, item, false).instrument(span).await;
        match &result {
            Ok(()) => outcome.applied.push(item.key.clone()),
            Err(e) => {
                any_failed = true;
                tracing::warn!(key = %item.key, error = %e, "sync failed");
                outcome.failed.push((item.key.clone(), e.clone()));
            }
        }
        out.send(SyncEvent::ItemDone {
            key: item.key.clone(),
            result,
        })
        .await;
    }
    any_failed
}

/// One object's operation, or its dry-run. A Secret's errors lose its values first: the
/// server's message can quote what it refused.
async fn execute(
    resolver: &Resolver,
    plan: &SyncPlan,
    item: &PlanItem,
    dry_run: bool,
) -> Result<(), SyncError> {
    let result = operate(resolver, plan, item, dry_run).await;
    match (result, &item.manifest) {
        (Err(SyncError::Cluster(e)), Some(manifest)) if item.key.is_secret() => {
            Err(SyncError::Cluster(e.scrubbed(&secret_values(manifest))))
        }
        (other, _) => other,
    }
}

async fn operate(
    resolver: &Resolver,
    plan: &SyncPlan,
    item: &PlanItem,
    dry_run: bool,
) -> Result<(), SyncError> {
    let apply = ApplyOptions {
        dry_run,
        force: plan.force,
    };
    let deleting = |e| SyncError::from_cluster(e, true);
    match (&item.op, &item.manifest) {
        (PlanOp::Prune, _) => {
            let pre = item.precondition.as_ref();
            let options = DeleteOptions {
                dry_run,
                uid: pre.map(|p| p.uid.as_str()),
                resource_version: pre.map(|p| p.resource_version.as_str()),
            };
            delete_object(resolver, &item.key, options)
                .await
                .map_err(deleting)
        }
        (PlanOp::Recreate { .. }, Some(manifest)) => {
            let options = DeleteOptions {
                dry_run,
                ..DeleteOptions::default()
            };
            delete_object(resolver, &item.key, options)
                .await
                .map_err(deleting)?;
            if dry_run {
                // the create cannot be tried while the old object is there
                return Ok(());
            }
            wait_for(resolver, &item.key, GONE_LIMIT, |o| o.is_none()).await?;
            apply_object(resolver, &item.key, manifest, apply)
                .await
                .map(|_| ())
                .map_err(|e| SyncError::from_cluster(e, false))
        }
        (_, Some(manifest)) => apply_object(resolver, &item.key, manifest, apply)
            .await
            .map(|_| ())
            .map_err(|e| SyncError::from_cluster(e, false)),
        (_, None) => Err(SyncError::NoManifest),
    }
}

/// After a step: its CRDs must be established, and their kinds served, before anything of a
/// later step uses them.
async fn settle(
    resolver: &Resolver,
    plan: &SyncPlan,
    items: &[&PlanItem],
) -> Result<(), (ResourceKey, SyncError)> {
    let crds = items
        .iter()
        .filter(|i| i.key.kind == "CustomResourceDefinition" && i.op != PlanOp::Prune);
    let mut groups = Vec::new();
    for crd in crds {
        wait_for(resolver, &crd.key, ESTABLISH_LIMIT, crd_established)
            .await
            .map_err(|e| (crd.key.clone(), SyncError::Cluster(e)))?;
        if let Some(group) = crd
            .manifest
            .as_ref()
            .and_then(|m| m.pointer("/spec/group"))
            .and_then(|g| g.as_str())
        {
            groups.push(group.to_string());
        }
    }
    let mut waited: Vec<Gvk> = Vec::new();
    for item in plan.items.iter().filter(|i| groups.contains(&i.key.group)) {
        let gvk = item.key.gvk();
        if waited.contains(&gvk) {
            continue;
        }
        wait_discoverable(resolver, &gvk, DISCOVERY_LIMIT)
            .await
            .map_err(|e| (item.key.clone(), SyncError::Cluster(e)))?;
        waited.push(gvk);
    }
    Ok(())
}

/// Every object's verb (create / patch / delete) must be allowed before anything is tried.
/// Kinds the server does not know yet (a CRD this plan creates) are checked when they exist.
async fn permitted(resolver: &Resolver, plan: &SyncPlan) -> Result<(), (ResourceKey, SyncError)> {
    for item in &plan.items {
        let verbs: &[&'static str] = match item.op {
            PlanOp::Create => &["create"],
            PlanOp::Patch { .. } => &["patch"],
            PlanOp::Prune => &["delete"],
            PlanOp::Recreate { .. } => &["delete", "create"],
        };
        let Ok((resource, _)) = resolver.resolve(&item.key.gvk()).await else {
            continue;
        };
        for verb in verbs {
            let allowed = can(
                resolver.client(),
                verb,
                &resource,
                item.key.namespace.as_deref(),
            )
            .await
            .map_err(|e| (item.key.clone(), SyncError::Cluster(e)))?;
            if !allowed {
                return Err((item.key.clone(), SyncError::Forbidden { verb }));
            }
        }
    }
    Ok(())
}
