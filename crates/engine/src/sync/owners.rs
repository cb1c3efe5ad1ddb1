//! Converging through a GitOps tool instead of over it: ask the Flux Kustomization or
//! HelmRelease (the `reconcile.fluxcd.io/requestedAt` annotation, what `flux reconcile` writes)
//! or the Argo CD Application (a sync operation, what `argocd app sync` starts) to reconcile,
//! then follow its status until it says done or failed.

use crate::clock::rfc3339_secs;
use crate::cluster::{ClusterError, Resolver, get_object};
use crate::model::{FIELD_MANAGER, GitOpsOwner, Gvk, ResourceKey};
use crate::outbox::Outbox;
use kube::api::{Patch, PatchParams};
use serde_json::{Value, json};
use std::time::Duration;

/// What asking an owner reports.
#[derive(Debug, Clone, PartialEq)]
pub enum OwnerEvent {
    Asked(GitOpsOwner),
    /// The owner says it reconciled (`ok`), or failed to, in its own words.
    Done {
        owner: GitOpsOwner,
        ok: bool,
        text: String,
    },
    /// The request could not be made, or no answer came in time.
    Failed {
        owner: GitOpsOwner,
        error: String,
    },
}

/// How long an owner may take to answer, and how often it is looked at.
const ANSWER_LIMIT: Duration = Duration::from_secs(120);
const POLL: Duration = Duration::from_secs(1);

/// The owner's own object: where the request goes and its status is read.
pub fn owner_key(owner: &GitOpsOwner) -> Option<ResourceKey> {
    let name = owner.name.clone()?;
    let (group, version, default_ns) = match (owner.tool, owner.kind) {
        ("Flux", "Kustomization") => ("kustomize.toolkit.fluxcd.io", "v1", "flux-system"),
        ("Flux", "HelmRelease") => ("helm.toolkit.fluxcd.io", "v2", "flux-system"),
        ("Argo CD", "Application") => ("argoproj.io", "v1alpha1", "argocd"),
        _ => return None,
    };
    Some(ResourceKey::from(crate::model::KeyParts {
        group: group.into(),
        version: version.into(),
        kind: owner.kind.into(),
        namespace: Some(owner.namespace.clone().unwrap_or_else(|| default_ns.into())),
        name,
    }))
}

/// The patch that asks `owner` to reconcile, stamped with `now` (RFC 3339).
fn request(owner: &GitOpsOwner, now: &str) -> Value {
    match owner.tool {
        "Flux" => json!({"metadata": {"annotations": {"reconcile.fluxcd.io/requestedAt": now}}}),
        _ => json!({"operation": {"initiatedBy": {"username": FIELD_MANAGER}, "sync": {}}}),
    }
}

/// Where the owner's status says it is with the request made at `now`.
pub fn answer(owner: &GitOpsOwner, obj: &Value, now: &str) -> Option<(bool, String)> {
    if owner.tool == "Flux" {
        let handled = obj
            .pointer("/status/lastHandledReconcileAt")
            .and_then(Value::as_str);
        if handled != Some(now) {
            return None;
        }
        let ready = obj
            .pointer("/status/conditions")?
            .as_array()?
            .iter()
            .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))?;
        let text = |f| ready.get(f).and_then(Value::as_str).unwrap_or("");
        return match text("status") {
            "True" => Some((
                true,
                format!("reconciled: {}", text("message"))
                    .trim()
                    .to_string(),
            )),
            "False" => Some((false, format!("{}: {}", text("reason"), text("message")))),
            _ => None,
        };
    }
    // Argo CD: the operation it started for this request, once it has finished
    if obj.get("operation").is_some_and(|o| !o.is_null()) {
        return None;
    }
    let state = obj.pointer("/status/operationState")?;
    let started = state.get("startedAt").and_then(Value::as_str)?;
    if rfc3339_secs(started)? < rfc3339_secs(now)? {
        return None;
    }
    let message = state.get("message").and_then(Value::as_str).unwrap_or("");
    match state.get("phase").and_then(Value::as_str)? {
        "Succeeded" => Some((true, format!("synced: {message}").trim().to_string())),
        "Failed" | "Error" => Some((false, message.to_string())),
        _ => None,
    }
}

/// Asks each owner once and follows it until it answers or `ANSWER_LIMIT` passes.
pub async fn ask_owners(
    resolver: Resolver,
    owners: Vec<GitOpsOwner>,
    now: String,
    out: Outbox<OwnerEvent>,
) {
    let mut waiting = Vec::new();
    for owner in owners {
        match ask(&resolver, &owner, &now).await {
            Ok(key) => {
                out.send(OwnerEvent::Asked(owner.clone())).await;
                waiting.push((owner, key));
            }
            Err(error) => {
                out.send(OwnerEvent::Failed { owner, error }).await;
            }
        }
    }
    let deadline = tokio::time::Instant::now() + ANSWER_LIMIT;
    while !waiting.is_empty() {
        if tokio::time::Instant::now() >= deadline {
            for (owner, _) in waiting.drain(..) {
                let error = format!("no answer in {}s", ANSWER_LIMIT.as_secs());
                out.send(OwnerEvent::Failed { owner, error }).await;
            }
            return;
        }
        tokio::time::sleep(POLL).await;
        let mut still = Vec::new();
        for (owner, key) in waiting {
            let seen = get_object(&resolver, &key).await.ok().flatten();
            match seen.as_ref().and_then(|o| answer(&owner, o, &now)) {
                Some((ok, text)) => {
                    out.send(OwnerEvent::Done { owner, ok, text }).await;
                }
                None => still.push((owner, key)),
            }
        }
        waiting = still;
    }
}

async fn ask(resolver: &Resolver, owner: &GitOpsOwner, now: &str) -> Result<ResourceKey, String> {
    let key = owner_key(owner).ok_or_else(|| format!("cannot tell which {} it is", owner.kind))?;
    let gvk: Gvk = key.gvk();
    let api = resolver
        .api_for(&gvk, key.namespace.as_deref())
        .await
        .map_err(|e| e.to_string())?;
    api.patch(
        &key.name,
        &PatchParams {
            field_manager: Some(FIELD_MANAGER.into()),
            ..PatchParams::default()
        },
        &Patch::Merge(request(owner, now)),
    )
    .await
    .map_err(|e| ClusterError::from_kube(&e).to_string())?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flux() -> GitOpsOwner {
        GitOpsOwner {
            tool: "Flux",
            kind: "Kustomization",
            namespace: None,
            name: Some("apps".into()),
        }
    }

    #[test]
    fn flux_answers_when_it_handled_this_request() {
        let now = "2026-12-01T10:00:00Z";
        let key = owner_key(&flux()).unwrap();
        assert_eq!(key.namespace.as_deref(), Some("flux-system"));
        assert_eq!(key.group, "kustomize.toolkit.fluxcd.io");
        let older = json!({"status": {"lastHandledReconcileAt": "2026-11-30T00:00:00Z",
            "conditions": [{"type": "Ready", "status": "True"}]}});
        assert_eq!(answer(&flux(), &older, now), None, "an earlier request");
        let done = json!({"status": {"lastHandledReconcileAt": now, "conditions": [
            {"type": "Ready", "status": "True", "message": "Applied revision: main@sha1:abc"}]}});
        assert_eq!(
            answer(&flux(), &done, now),
            Some((true, "reconciled: Applied revision: main@sha1:abc".into()))
        );
        let failed = json!({"status": {"lastHandledReconcileAt": now, "conditions": [
            {"type": "Ready", "status": "False", "reason": "BuildFailed", "message": "kustomize build failed"}]}});
        assert_eq!(answer(&flux(), &failed, now).map(|a| a.0), Some(false));
    }

    #[test]
    fn argo_answers_when_its_operation_finished() {
        let argo = GitOpsOwner {
            tool: "Argo CD",
            kind: "Application",
            namespace: None,
            name: Some("shop".into()),
        };
        let now = "2026-12-01T10:00:00Z";
        let running = json!({"operation": {"sync": {}}, "status": {}});
        assert_eq!(answer(&argo, &running, now), None);
        let done = json!({"status": {"operationState": {"phase": "Succeeded",
            "startedAt": "2026-12-01T10:00:01Z", "message": "successfully synced"}}});
        assert_eq!(
            answer(&argo, &done, now),
            Some((true, "synced: successfully synced".into()))
        );
        assert_eq!(
            request(&argo, now)["operation"]["initiatedBy"]["username"],
            "kdrift"
        );
    }
}
