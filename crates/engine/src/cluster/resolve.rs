//! Resolves kinds through discovery once and remembers the answer.

use super::error::ClusterError;
use crate::model::Gvk;
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject};
use kube::discovery::{Scope, pinned_kind};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Mutex;

#[derive(Clone)]
pub struct Resolver {
    client: Client,
    cache: Arc<Mutex<HashMap<Gvk, (ApiResource, bool)>>>,
    schemas: Arc<Mutex<super::schema::SchemaCache>>,
}

impl Resolver {
    pub fn new(client: Client) -> Self {
        Self {
            client,
            cache: Arc::default(),
            schemas: Arc::default(),
        }
    }

    pub(super) fn schemas(&self) -> &Mutex<super::schema::SchemaCache> {
        &self.schemas
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The API resource for a kind and whether it is namespaced.
    pub async fn resolve(&self, gvk: &Gvk) -> Result<(ApiResource, bool), ClusterError> {
        if let Some(hit) = self.cache.lock().await.get(gvk) {
            return Ok(hit.clone());
        }
        let wanted = kube::api::GroupVersionKind::gvk(&gvk.group, &gvk.version, &gvk.kind);
        let call = async {
            pinned_kind(&self.client, &wanted)
                .await
                .map_err(|e| match &e {
                    // the server answered: it does not serve this kind
                    kube::Error::Discovery(_) | kube::Error::Api(_) if not_served(&e) => {
                        ClusterError::UnknownKind {
                            gvk: gvk.clone(),
                            detail: unserved_detail(&e),
                        }
                    }
                    // no answer, or a failing server: worth asking again
                    _ => ClusterError::Request(format!("discovering {gvk}: {e}")),
                })
        };
        let (ar, caps) = super::deadline::within(|| format!("discovering {gvk}"), call).await?;
        let namespaced = caps.scope == Scope::Namespaced;
        self.cache
            .lock()
            .await
            .insert(gvk.clone(), (ar.clone(), namespaced));
        Ok((ar, namespaced))
    }

    /// An API handle for one object's kind in its namespace.
    pub async fn api_for(
        &self,
        gvk: &Gvk,
        namespace: Option<&str>,
    ) -> Result<Api<DynamicObject>, ClusterError> {
        let (ar, namespaced) = self.resolve(gvk).await?;
        Ok(match (namespaced, namespace) {
            (true, Some(ns)) => Api::namespaced_with(self.client.clone(), ns, &ar),
            (true, None) => Api::default_namespaced_with(self.client.clone(), &ar),
            (false, _) => Api::all_with(self.client.clone(), &ar),
        })
    }
}

/// Discovery's answer that a kind is not there (as opposed to no answer).
/// What to say about a kind the server does not serve: a 404 body is the server's plain "404 page
/// not found", not a Status, and kube's wording of that is no help to a person.
fn unserved_detail(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) if s.code == 404 => {
            "the server does not serve this group and version (is its CRD installed?)".into()
        }
        _ => e.to_string(),
    }
}

fn not_served(e: &kube::Error) -> bool {
    match e {
        kube::Error::Discovery(_) => true,
        kube::Error::Api(s) => s.code == 404,
        _ => false,
    }
}
