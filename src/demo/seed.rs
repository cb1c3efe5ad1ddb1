//! Puts the simulated cluster into a believable drifted state, through the real API like any client would.

use super::repo_files::ORPHAN_MANIFEST;
use anyhow::{Context, Result, anyhow};
use base64::Engine;
use kdrift_engine::cluster::{ApplyOptions, Resolver, apply_object};
use kdrift_engine::model::ResourceKey;
use kdrift_engine::repo::{Snapshot, parse_file};
use kdrift_engine::sync::{Stamp, applied_manifest};
use kube::api::{Patch, PatchParams};
use serde_json::{Value, json};

/// Applies git's state as kdrift would have, then drifts it: redis scaled down by hand, a ConfigMap
/// and a Secret edited by hand, a Service deleted, and an orphan left behind. With the simulated
/// controllers running, redis first gets its four pods, so that scaling it down deletes one and
/// the events say so, as they would on a real cluster.
pub async fn seed_drift(resolver: &Resolver, snap: &Snapshot, controllers: bool) -> Result<()> {
    let stamp = Stamp {
        commit: Some(snap.commit.id.as_str()),
        source: Some(snap.source.as_str()),
    };
    let first = ApplyOptions::default();
    let mut ordered: Vec<_> = snap.desired.iter().collect();
    ordered.sort_by_key(|d| d.key.kind != "Namespace");
    for d in ordered {
        if d.key.kind == "Service" && d.key.name == "api" {
            continue; // "someone deleted it": git declares it, the cluster lacks it
        }
        apply_object(
            resolver,
            &d.key,
            &applied_manifest(&d.manifest.tree(), stamp),
            first,
        )
        .await
        .map_err(|e| anyhow!("seeding {}: {e}", d.key))?;
    }
    let (orphans, errors) = parse_file("cluster-only.yaml", ORPHAN_MANIFEST.as_bytes(), "shop");
    if let Some(e) = errors.first() {
        return Err(anyhow!("cluster-only.yaml: {}", e.message));
    }
    for o in orphans {
        // left behind by an earlier commit of this repo: kdrift's to prune
        let stamp = Stamp {
            commit: None,
            ..stamp
        };
        apply_object(
            resolver,
            &o.key,
            &applied_manifest(&o.manifest.tree(), stamp),
            first,
        )
        .await
        .map_err(|e| anyhow!("seeding {}: {e}", o.key))?;
    }
    if controllers {
        redis_rolled_out(resolver).await;
    }
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    edit(
        resolver,
        "apps",
        "StatefulSet",
        "redis",
        "kubectl-scale",
        json!({"spec": {"replicas": 3}}),
    )
    .await?;
    edit(
        resolver,
        "",
        "ConfigMap",
        "frontend-config",
        "kubectl-edit",
        json!({"data": {"CACHE_TTL_SECONDS": "30"}}),
    )
    .await?;
    edit(
        resolver,
        "",
        "Secret",
        "api-credentials",
        "kubectl-edit",
        json!({"data": {"DB_PASSWORD": b64("hunter2-rotated-by-hand")}}),
    )
    .await?;
    Ok(())
}

/// Waits (at most two seconds) until git's redis has created its four pods.
async fn redis_rolled_out(resolver: &Resolver) {
    let key = ResourceKey::from(kdrift_engine::model::KeyParts {
        namespace: Some("shop".into()),
        kind: "StatefulSet".into(),
        name: "redis".into(),
        group: "apps".into(),
        version: "v1".into(),
    });
    for _ in 0..100 {
        if let Ok(Some(obj)) = kdrift_engine::cluster::get_object(resolver, &key).await
            && obj.pointer("/status/replicas").and_then(Value::as_u64) >= Some(4)
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// A merge patch as `kubectl edit`/`kubectl scale` would send it, under that tool's field manager.
pub async fn edit(
    resolver: &Resolver,
    group: &str,
    kind: &str,
    name: &str,
    manager: &str,
    patch: Value,
) -> Result<()> {
    let key = ResourceKey::from(kdrift_engine::model::KeyParts {
        namespace: Some("shop".into()),
        kind: kind.into(),
        name: name.into(),
        group: group.into(),
        version: "v1".into(),
    });
    let api = resolver
        .api_for(&key.gvk(), key.namespace.as_deref())
        .await
        .map_err(|e| anyhow!(e))?;
    let params = PatchParams {
        field_manager: Some(manager.into()),
        ..PatchParams::default()
    };
    api.patch(name, &params, &Patch::Merge(&patch))
        .await
        .with_context(|| format!("{manager} editing {key}"))?;
    Ok(())
}
