//! The order a plan is carried out in: waves from the objects' annotations, then a fixed kind
//! order inside each wave (what must exist before what uses it), prunes in reverse.

use crate::model::ResourceKey;
use serde_json::Value;

/// Annotations that set an object's wave: kdrift's own, then Argo CD's (so a repo written for
/// Argo CD keeps its order). Lower waves go first; unannotated objects are in wave 0.
const WAVE_ANNOTATIONS: &[&str] = &["kdrift.dev/sync-wave", "argocd.argoproj.io/sync-wave"];

/// The wave `manifest` asks for. A value that is not an integer is wave 0, as Argo CD reads it.
pub fn wave_of(manifest: &Value) -> i32 {
    let annotations = manifest.pointer("/metadata/annotations");
    WAVE_ANNOTATIONS
        .iter()
        .find_map(|a| annotations?.get(*a)?.as_str())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// Kinds in the order they are applied within a wave: what others need first (namespaces,
/// definitions, policy, identities, configuration, storage, RBAC, networking), then workloads,
/// then what points at workloads. Kinds not listed (custom resources) come last.
const KIND_ORDER: &[&str] = &[
    "Namespace",
    "CustomResourceDefinition",
    "PriorityClass",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// Where `key`'s kind sits in `KIND_ORDER` (custom kinds after every listed one).
pub fn kind_rank(key: &ResourceKey) -> usize {
    let builtin = key.group.is_empty()
        || key.group.ends_with(".k8s.io")
        || matches!(
            key.group.as_str(),
            "apps" | "batch" | "policy" | "autoscaling" | "apiextensions.k8s.io"
        );
    KIND_ORDER
        .iter()
        .position(|k| builtin && *k == key.kind)
        .unwrap_or(KIND_ORDER.len())
}

/// Namespaces and CRDs are applied (and CRDs established) in a step of their own before the
/// rest of their wave: the server cannot even dry-run an object whose namespace or kind does not
/// exist yet, so a new namespace and its objects, or a CRD and its resources, need two steps.
pub fn is_bootstrap(key: &ResourceKey) -> bool {
    matches!(
        (key.group.as_str(), key.kind.as_str()),
        ("", "Namespace") | ("apiextensions.k8s.io", "CustomResourceDefinition")
    )
}

/// One step of a plan: the objects dry-run together, then applied together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Step {
    pub wave: i32,
    /// Namespaces and CRDs of a wave first.
    pub bootstrap: bool,
}

impl Step {
    pub fn of(key: &ResourceKey, wave: i32) -> Self {
        Step {
            wave,
            bootstrap: is_bootstrap(key),
        }
    }

    /// Steps sort in the order they run.
    pub fn sort_key(&self) -> (i32, bool) {
        (self.wave, !self.bootstrap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(group: &str, kind: &str) -> ResourceKey {
        ResourceKey::from(crate::model::KeyParts {
            group: group.into(),
            version: "v1".into(),
            kind: kind.into(),
            namespace: None,
            name: "x".into(),
        })
    }

    #[test]
    fn waves_come_from_kdrift_or_argo_annotations() {
        let w = |a: Value| wave_of(&json!({"metadata": {"annotations": a}}));
        assert_eq!(w(json!({"kdrift.dev/sync-wave": "-2"})), -2);
        assert_eq!(w(json!({"argocd.argoproj.io/sync-wave": " 5 "})), 5);
        assert_eq!(
            w(json!({"kdrift.dev/sync-wave": "1", "argocd.argoproj.io/sync-wave": "9"})),
            1
        );
        assert_eq!(w(json!({"kdrift.dev/sync-wave": "soon"})), 0);
        assert_eq!(wave_of(&json!({"metadata": {}})), 0);
    }

    #[test]
    fn kinds_are_ordered_so_dependencies_come_first() {
        let ranks: Vec<usize> = [
            key("", "Namespace"),
            key("apiextensions.k8s.io", "CustomResourceDefinition"),
            key("", "ServiceAccount"),
            key("", "ConfigMap"),
            key("rbac.authorization.k8s.io", "RoleBinding"),
            key("", "Service"),
            key("apps", "Deployment"),
            key("networking.k8s.io", "Ingress"),
            key("example.com", "Widget"),
        ]
        .iter()
        .map(kind_rank)
        .collect();
        assert!(ranks.windows(2).all(|w| w[0] < w[1]), "{ranks:?}");
        assert_eq!(
            kind_rank(&key("example.com", "Deployment")),
            KIND_ORDER.len(),
            "a custom kind named like a built-in one is still custom"
        );
    }
}
