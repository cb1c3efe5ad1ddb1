//! Server-side apply and delete of single objects.

use super::deadline::within;
use super::error::ClusterError;
use super::resolve::Resolver;
use crate::model::{FIELD_MANAGER, Gvk, ResourceKey};
use kube::api::{DeleteParams, Patch, PatchParams, Preconditions};
use serde_json::Value;
use std::time::Duration;

/// How an apply is sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Nothing is stored: what the object would become, or why the server refuses it.
    pub dry_run: bool,
    /// Take fields other managers own. Off unless a person confirmed it a second time after
    /// seeing the conflicts (or asked with `--force-conflicts`): without it, the server refuses
    /// with the managers and fields, and changes nothing.
    pub force: bool,
}

/// Applies `manifest` as field manager `kdrift`.
pub async fn apply_object(
    resolver: &Resolver,
    key: &ResourceKey,
    manifest: &Value,
    options: ApplyOptions,
) -> Result<Value, ClusterError> {
    let api = resolver
        .api_for(&key.gvk(), key.namespace.as_deref())
        .await?;
    let mut params = PatchParams::apply(FIELD_MANAGER);
    params.force = options.force;
    params.dry_run = options.dry_run;
    let call = async {
        api.patch(&key.name, &params, &Patch::Apply(manifest))
            .await
            .map_err(|e| ClusterError::from_kube(&e))
    };
    let obj = within(|| format!("applying {key}"), call).await?;
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
    let call = async {
        api.patch(&key.name, &params, &Patch::Apply(manifest))
            .await
            .map_err(|e| ClusterError::from_kube(&e))
    };
    let obj = within(|| format!("dry-run of {key}"), call).await?;
    serde_json::to_value(obj).map_err(|e| ClusterError::Request(e.to_string()))
}

/// Which object a delete may remove: only the one with this uid, at this resourceVersion.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeleteOptions<'a> {
    pub dry_run: bool,
    pub uid: Option<&'a str>,
    pub resource_version: Option<&'a str>,
}

/// Deletes `key` (already gone is fine). With a uid or resourceVersion, the server refuses (409)
/// when the object was replaced or changed since they were read, and deletes nothing.
pub async fn delete_object(
    resolver: &Resolver,
    key: &ResourceKey,
    options: DeleteOptions<'_>,
) -> Result<(), ClusterError> {
    let api = resolver
        .api_for(&key.gvk(), key.namespace.as_deref())
        .await?;
    let mut params = DeleteParams::background();
    params.dry_run = options.dry_run;
    if options.uid.is_some() || options.resource_version.is_some() {
        params.preconditions = Some(Preconditions {
            uid: options.uid.map(str::to_string),
            resource_version: options.resource_version.map(str::to_string),
        });
    }
    let call = async {
        match api.delete(&key.name, &params).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
            Err(e) => Err(ClusterError::from_kube(&e)),
        }
    };
    within(|| format!("deleting {key}"), call).await
}

/// The object as the server has it now (None when it does not exist).
pub async fn get_object(
    resolver: &Resolver,
    key: &ResourceKey,
) -> Result<Option<Value>, ClusterError> {
    let api = resolver
        .api_for(&key.gvk(), key.namespace.as_deref())
        .await?;
    let call = async {
        api.get_opt(&key.name)
            .await
            .map_err(|e| ClusterError::from_kube(&e))
    };
    within(|| format!("reading {key}"), call)
        .await?
        .map(|o| serde_json::to_value(o).map_err(|e| ClusterError::Request(e.to_string())))
        .transpose()
}

/// How often a wait asks again.
const POLL: Duration = Duration::from_millis(200);

/// Waits until `done` holds for the object (or its absence), asking every 200 ms; an error when
/// `limit` passes first, saying what was last seen.
pub async fn wait_for(
    resolver: &Resolver,
    key: &ResourceKey,
    limit: Duration,
    done: impl Fn(Option<&Value>) -> bool,
) -> Result<(), ClusterError> {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let obj = get_object(resolver, key).await?;
        if done(obj.as_ref()) {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(ClusterError::Request(format!(
                "{key}: still not ready after {}s",
                limit.as_secs()
            )));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// True when a CRD's `Established` condition is `True`: its kinds can be served.
pub fn crd_established(crd: Option<&Value>) -> bool {
    crd.and_then(|c| c.pointer("/status/conditions"))
        .and_then(Value::as_array)
        .is_some_and(|conds| {
            conds.iter().any(|c| {
                c.get("type").and_then(Value::as_str) == Some("Established")
                    && c.get("status").and_then(Value::as_str) == Some("True")
            })
        })
}

/// Waits until discovery serves `gvk` (a kind whose CRD was just established), up to `limit`.
pub async fn wait_discoverable(
    resolver: &Resolver,
    gvk: &Gvk,
    limit: Duration,
) -> Result<(), ClusterError> {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match resolver.resolve(gvk).await {
            Ok(_) => return Ok(()),
            Err(e) if tokio::time::Instant::now() >= deadline => return Err(e),
            Err(_) => tokio::time::sleep(POLL).await,
        }
    }
}
