//! Carries out a confirmed plan: a server dry-run of every object first (all or nothing), then
//! apply/prune one by one, reporting each result. The watch, not this task, turns rows green.

use crate::cluster::{ClusterError, Resolver, apply_object, can, delete_object};
use crate::model::ResourceKey;
use crate::outbox::Outbox;
use crate::sync::{PlanOp, SyncPlan};
use tracing::Instrument;

/// Why a plan, or one object of it, did not apply.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SyncError {
    #[error("forbidden: you may not {verb} {key}")]
    Forbidden {
        verb: &'static str,
        key: ResourceKey,
    },
    /// The server's dry-run refused this object (so nothing was applied).
    #[error("{key}: {error}")]
    DryRun {
        key: ResourceKey,
        error: ClusterError,
    },
    #[error("{0}")]
    Cluster(#[from] ClusterError),
    #[error("no manifest to apply")]
    NoManifest,
}

/// What a running sync reports.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncEvent {
    /// The permission check or the server's dry-run of the whole plan failed; nothing was applied.
    PreflightFailed(SyncError),
    ItemDone {
        key: ResourceKey,
        result: Result<(), SyncError>,
    },
    Finished {
        ok: usize,
        failed: usize,
    },
}

pub async fn run_sync(resolver: Resolver, plan: SyncPlan, out: Outbox<SyncEvent>) {
    let span = tracing::info_span!("sync", objects = plan.items.len());
    run(resolver, plan, out).instrument(span).await
}

async fn run(resolver: Resolver, plan: SyncPlan, out: Outbox<SyncEvent>) {
    if let Err(e) = preflight(&resolver, &plan).await {
        tracing::warn!(reason = %e, "preflight failed");
        out.send(SyncEvent::PreflightFailed(e)).await;
        return;
    }
    let (mut ok, mut failed) = (0, 0);
    for item in &plan.items {
        let result = match (&item.op, &item.manifest) {
            (PlanOp::Prune, _) => delete_object(&resolver, &item.key)
                .await
                .map_err(SyncError::from),
            (_, Some(manifest)) => apply_object(&resolver, &item.key, manifest, false)
                .await
                .map(|_| ())
                .map_err(SyncError::from),
            (_, None) => Err(SyncError::NoManifest),
        };
        match &result {
            Ok(()) => ok += 1,
            Err(e) => {
                failed += 1;
                tracing::warn!(key = %item.key, error = %e, "sync failed");
            }
        }
        let done = SyncEvent::ItemDone {
            key: item.key.clone(),
            result,
        };
        if !out.send(done).await {
            return;
        }
    }
    tracing::info!(ok, failed, "sync finished");
    out.send(SyncEvent::Finished { ok, failed }).await;
}

/// Every object's verb must be allowed, and the server must accept every object in a dry-run,
/// before anything is applied.
async fn preflight(resolver: &Resolver, plan: &SyncPlan) -> Result<(), SyncError> {
    permitted(resolver, plan).await?;
    for item in &plan.items {
        if let Some(manifest) = &item.manifest {
            apply_object(resolver, &item.key, manifest, true)
                .await
                .map_err(|error| SyncError::DryRun {
                    key: item.key.clone(),
                    error,
                })?;
        }
    }
    Ok(())
}

/// Every object's verb (create / patch / delete) must be allowed before anything is tried.
async fn permitted(resolver: &Resolver, plan: &SyncPlan) -> Result<(), SyncError> {
    for item in &plan.items {
        let verb = match item.op {
            PlanOp::Create => "create",
            PlanOp::Patch { .. } => "patch",
            PlanOp::Prune => "delete",
        };
        let (resource, _) = resolver.resolve(&item.key.gvk()).await?;
        if !can(
            resolver.client(),
            verb,
            &resource,
            item.key.namespace.as_deref(),
        )
        .await?
        {
            return Err(SyncError::Forbidden {
                verb,
                key: item.key.clone(),
            });
        }
    }
    Ok(())
}
