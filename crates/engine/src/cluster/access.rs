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
}

/// Checks list+watch cluster-wide first; when that is denied, each namespace git declares objects in.
pub async fn watch_scopes(
    client: &Client,
    resource: &ApiResource,
    namespaced: bool,
    namespaces: &[String],
) -> Result<WatchScopes, ClusterError> {
    let both = |ns: Option<String>| async move {
        let list = can(client, "list", resource, ns.as_deref()).await?;
        let watch = can(client, "watch", resource, ns.as_deref()).await?;
        Ok::<_, ClusterError>((ns, list && watch))
    };
    let (_, everywhere) = both(None).await?;
    if everywhere || !namespaced {
        let scope = vec![None];
        return Ok(if everywhere {
            WatchScopes {
                allowed: scope,
                denied: vec![],
            }
        } else {
            WatchScopes {
                allowed: vec![],
                denied: scope,
            }
        });
    }
    let mut scopes = WatchScopes {
        allowed: vec![],
        denied: vec![],
    };
    for ns in namespaces {
        let (ns, ok) = both(Some(ns.clone())).await?;
        if ok {
            scopes.allowed.push(ns);
        } else {
            scopes.denied.push(ns);
        }
    }
    Ok(scopes)
}
