//! Server-side apply and delete of single objects.

use super::error::ClusterError;
use super::resolve::Resolver;
use crate::model::{FIELD_MANAGER, ResourceKey};
use kube::api::{DeleteParams, Patch, PatchParams};
use serde_json::Value;

/// Applies `manifest` as field manager `kdrift`. `force` takes over fields other managers own,
/// which the sync dialog has named to the user before this runs.
pub async fn apply_object(
    resolver: &Resolver,
    key: &ResourceKey,
    manifest: &Value,
    dry_run: bool,
) -> Result<Value, ClusterError> {
    let api = resolver
        .api_for(&key.gvk(), key.namespace.as_deref())
        .await?;
    let mut params = PatchParams::apply(FIELD_MANAGER).force();
    params.dry_run = dry_run;
    let obj = api
        .patch(&key.name, &params, &Patch::Apply(manifest))
        .await
        .map_err(|e| ClusterError::from_kube(&e))?;
    serde_json::to_value(obj).map_err(|e| ClusterError::Request(e.to_string()))
}

/// What applying `manifest` would make of the object, from the server (a dry-run: nothing is
/// stored). It may force, since nothing persists; unknown or duplicate fields are refused
/// (`fieldValidation=Strict`), as a manifest the server would not take as written is not in sync.
pub async fn dry_run_apply(
    resolver: &Resolver,
    key: &ResourceKey,
    manifest: &Value,
) -> Result<Value, ClusterError> {
    let api = resolver
        .api_for(&key.gvk(), key.namespace.as_deref())
        .await?;
    let mut params = PatchParams::apply(FIELD_MANAGER)
        .force()
        .validation_strict();
    params.dry_run = true;
    let obj = api
        .patch(&key.name, &params, &Patch::Apply(manifest))
        .await
        .map_err(|e| ClusterError::from_kube(&e))?;
    serde_json::to_value(obj).map_err(|e| ClusterError::Request(e.to_string()))
}

pub async fn delete_object(resolver: &Resolver, key: &ResourceKey) -> Result<(), ClusterError> {
    let api = resolver
        .api_for(&key.gvk(), key.namespace.as_deref())
        .await?;
    match api.delete(&key.name, &DeleteParams::background()).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
        Err(e) => Err(ClusterError::from_kube(&e)),
    }
}
