//! What watching (or listing) one kind needs first: discovery, then permission per scope.
//! Shared by the TUI's watchers and by `kdrift check`, so both degrade the same way.

use super::access::watch_scopes;
use super::error::ClusterError;
use super::events::KubeEvent;
use super::resolve::Resolver;
use crate::model::Gvk;
use kube::api::{Api, DynamicObject};

pub struct Prepared {
    /// Messages to deliver before any object: `Resolved`, then one `Forbidden` per denied scope.
    pub notes: Vec<KubeEvent>,
    /// One API handle per allowed scope (`None` = all namespaces).
    pub scopes: Vec<(Option<String>, Api<DynamicObject>)>,
}

/// Resolves `gvk` and checks list/watch access. `Err` is the reason the kind cannot be read at all.
pub async fn prepare(
    resolver: &Resolver,
    gvk: &Gvk,
    namespaces: &[String],
) -> Result<Prepared, ClusterError> {
    let (ar, namespaced) = resolver.resolve(gvk).await?;
    let mut notes = vec![KubeEvent::Resolved {
        gvk: gvk.clone(),
        namespaced,
    }];
    let access = watch_scopes(resolver.client(), &ar, namespaced, namespaces).await?;
    for namespace in access.denied {
        tracing::warn!(%gvk, ?namespace, "list/watch forbidden");
        notes.push(KubeEvent::Forbidden {
            gvk: gvk.clone(),
            namespace,
        });
    }
    let scopes = access
        .allowed
        .into_iter()
        .map(|ns| {
            let api = match &ns {
                Some(n) => Api::namespaced_with(resolver.client().clone(), n, &ar),
                None => Api::all_with(resolver.client().clone(), &ar),
            };
            (ns, api)
        })
        .collect();
    Ok(Prepared { notes, scopes })
}
