//! Permission checks with SelfSubjectAccessReview, so a forbidden kind becomes a row with a reason
//! instead of a watch that fails and retries forever.

use super::error::ClusterError;
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use kube::Client;
use kube::api::{Api, ApiResource, PostParams};

/// Whether the current user may `verb` the resource (in `namespace`, or across all namespaces when `None`).
/// A server without the review API (404) is taken as "allowed": the request itself will tell.
pub async fn can(
    client: &Client,
    verb: &str,
    resource: &ApiResource,
    namespace: Option<&str>,
) -> Result<bool, ClusterError> {
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                verb: Some(verb.into()),
                group: Some(resource.group.clone()),
                version: Some(resource.version.clone()),
                resource: Some(resource.plural.clone()),
                namespace: namespace.map(str::to_string),
                ..ResourceAttributes::default()
            }),
            ..SelfSubjectAccessReviewSpec::default()
        },
        ..SelfSubjectAccessReview::default()
    };
    let api: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let call = async {
        match api.create(&PostParams::default(), &review).await {
            Ok(answer) => Ok(answer.status.is_some_and(|s| s.allowed)),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(true),
            // the server's answer keeps its code (a 401 says the credentials are the problem)
            Err(e @ kube::Error::Api(_)) => Err(ClusterError::from_kube(&e)),
            Err(e) => Err(ClusterError::AccessReview(e.to_string())),
        }
    };
    super::deadline::within(
        || format!("asking whether you may {verb} {}", resource.plural),
        call,
    )
    .await
}

/// Where a kind may be listed and watched: everywhere, or only in some of the namespaces git uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchScopes {
    /// `None` = all namespaces (or a cluster-scoped kind); otherwise one watch per namespace.
    pub allowed: Vec<Option<String>>,
    pub denied: Vec<Option<String>>,
    /// Watched per namespace, and allowed everywhere too: kdrift's own objects elsewhere (orphans)
    /// can be swept for with a label-selected watch.
    pub sweep: bool,
}

/// Checks list+watch cluster-wide first; when that is denied, or when `per_namespace` asks for
/// one watch per namespace git declares objects in, each of those namespaces.
pub async fn watch_scopes(
    client: &Client,
    resource: &ApiResource,
    namespaced: bool,
    namespaces: &[String],
    per_namespace: bool,
) -> Result<WatchScopes, ClusterError> {
    let both = |ns: Option<String>| async move {
        let list = can(client, "list", resource, ns.as_deref()).await?;
        let watch = can(client, "watch", resource, ns.as_deref()).await?;
        Ok::<_, ClusterError>((ns, list && watch))
    };
    let (_, everywhere) = both(None).await?;
    let mut scopes = WatchScopes {
        allowed: vec![],
        denied: vec![],
        sweep: false,
    };
    if !namespaced {
        match everywhere {
            true => scopes.allowed.push(None),
            false => scopes.denied.push(None),
        }
        return Ok(scopes);
    }
    if everywhere {
        if per_namespace {
            scopes.allowed = namespaces.iter().cloned().map(Some).collect();
            scopes.sweep = true;
        } else {
            scopes.allowed.push(None);
        }
        return Ok(scopes);
    }
    // the reviews of all namespaces at once: each is a round trip
    let answers = futures::future::join_all(namespaces.iter().map(|ns| both(Some(ns.clone()))));
    for answer in answers.await {
        let (ns, ok) = answer?;
        match ok {
            true => scopes.allowed.push(ns),
            false => scopes.denied.push(ns),
        }
    }
    Ok(scopes)
}
