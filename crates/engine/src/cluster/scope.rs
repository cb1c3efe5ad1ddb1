//! What watching (or listing) one kind needs first: discovery, then permission per scope, then
//! where to read it. Shared by the TUI's watchers and by `kdrift check`, so both degrade the same
//! way and read the same objects.

use super::access::watch_scopes;
use super::error::ClusterError;
use super::events::{KubeEvent, Scope};
use super::resolve::Resolver;
use crate::model::{Gvk, OWNER_LABEL, OWNER_VALUE};
use kube::api::{Api, DynamicObject};
use std::collections::BTreeSet;
use std::sync::Arc;

/// A declared kind is watched in each namespace git uses when they are at most this many: a
/// cluster-wide watch would list and read every other namespace's objects too (a cluster with
/// 100k ConfigMaps next door costs the 1k git declares as much as k9s's "all namespaces"), while
/// each namespace watch is one more connection held open. More namespaces than this: one
/// cluster-wide watch.
pub const NAMESPACE_WATCHES: usize = 8;

pub struct Prepared {
    /// Messages to deliver before any object: `Resolved`, then one `Forbidden` per denied scope.
    pub notes: Vec<KubeEvent>,
    /// One reader per allowed scope.
    pub readers: Vec<Reader>,
}

/// One list-and-watch of a kind.
pub struct Reader {
    pub scope: Scope,
    pub api: Api<DynamicObject>,
    /// Label selector of its list and watch.
    pub selector: Option<String>,
}

impl Reader {
    /// Whether an object this reader brought is its own to report: the orphan sweep leaves the
    /// namespaces that have their own watch to them (a selector cannot say "not in").
    pub fn keeps(&self, object: &DynamicObject) -> bool {
        self.scope.holds(object.metadata.namespace.as_deref())
    }
}

/// Resolves `gvk` and checks list/watch access. A kind read for its objects (`selector` unset)
/// in at most `NAMESPACE_WATCHES` namespaces is read in each of them, plus a sweep for kdrift's
/// orphans elsewhere when cluster-wide reading is allowed. `Err` is the reason the kind cannot be
/// read at all.
pub async fn prepare(
    resolver: &Resolver,
    gvk: &Gvk,
    selector: Option<&str>,
    namespaces: &[String],
) -> Result<Prepared, ClusterError> {
    let (ar, namespaced) = resolver.resolve(gvk).await?;
    let mut notes = vec![KubeEvent::Resolved {
        gvk: gvk.clone(),
        namespaced,
    }];
    let per_namespace =
        selector.is_none() && !namespaces.is_empty() && namespaces.len() <= NAMESPACE_WATCHES;
    let access = watch_scopes(
        resolver.client(),
        &ar,
        namespaced,
        namespaces,
        per_namespace,
    )
    .await?;
    for namespace in access.denied {
        tracing::warn!(%gvk, ?namespace, "list/watch forbidden");
        notes.push(KubeEvent::Forbidden {
            gvk: gvk.clone(),
            namespace,
        });
    }
    let client = resolver.client();
    let mut readers: Vec<Reader> = Vec::with_capacity(access.allowed.len() + 1);
    let mut covered = BTreeSet::new();
    for ns in access.allowed {
        let api = match &ns {
            Some(n) => {
                covered.insert(n.clone());
                Api::namespaced_with(client.clone(), n, &ar)
            }
            None => Api::all_with(client.clone(), &ar),
        };
        readers.push(Reader {
            scope: Scope::of(ns),
            api,
            selector: selector.map(str::to_string),
        });
    }
    if access.sweep {
        readers.push(Reader {
            scope: Scope::Outside(Arc::new(covered)),
            api: Api::all_with(client.clone(), &ar),
            selector: Some(format!("{OWNER_LABEL}={OWNER_VALUE}")),
        });
    }
    Ok(Prepared { notes, readers })
}
