//! Carries out a confirmed plan: a server dry-run of every object first (all or nothing), then
//! apply/prune one by one, reporting each result. The watch, not this task, turns rows green.

use crate::app::{Msg, SyncMsg};
use crate::cluster::{Resolver, apply_object, can, delete_object};
use crate::sync::{PlanOp, SyncPlan};
use tokio::sync::mpsc::Sender;
use tracing::Instrument;

pub async fn run_sync(resolver: Resolver, plan: SyncPlan, tx: Sender<Msg>) {
    let span = tracing::info_span!("sync", objects = plan.items.len());
    run(resolver, plan, tx).instrument(span).await
}

async fn run(resolver: Resolver, plan: SyncPlan, tx: Sender<Msg>) {
    if let Err(reason) = permitted(&resolver, &plan).await {
        tracing::warn!(%reason, "sync not permitted");
        let _ = tx.send(Msg::Sync(SyncMsg::PreflightFailed(reason))).await;
        return;
    }
    for item in &plan.items {
        if let Some(manifest) = &item.manifest
            && let Err(e) = apply_object(&resolver, &item.key, manifest, true).await
        {
            tracing::warn!(key = %item.key, error = %e, "preflight failed");
            let _ = tx
                .send(Msg::Sync(SyncMsg::PreflightFailed(format!(
                    "{}: {e}",
                    item.key
                ))))
                .await;
            return;
        }
    }
    let (mut ok, mut failed) = (0, 0);
    for item in &plan.items {
        let result = match (&item.op, &item.manifest) {
            (PlanOp::Prune, _) => delete_object(&resolver, &item.key).await,
            (_, Some(manifest)) => apply_object(&resolver, &item.key, manifest, false)
                .await
                .map(|_| ()),
            (_, None) => Err("no manifest to apply".into()),
        };
        match &result {
            Ok(()) => ok += 1,
            Err(e) => {
                failed += 1;
                tracing::warn!(key = %item.key, error = %e, "sync failed");
            }
        }
        let done = SyncMsg::ItemDone {
            key: item.key.clone(),
            result,
        };
        if tx.send(Msg::Sync(done)).await.is_err() {
            return;
        }
    }
    tracing::info!(ok, failed, "sync finished");
    let _ = tx.send(Msg::Sync(SyncMsg::Finished { ok, failed })).await;
}

/// Every object's verb (create / patch / delete) must be allowed before anything is tried.
async fn permitted(resolver: &Resolver, plan: &SyncPlan) -> Result<(), String> {
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
            return Err(format!("forbidden: you may not {verb} {}", item.key));
        }
    }
    Ok(())
}
