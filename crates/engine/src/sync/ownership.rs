//! What kdrift writes on the objects it applies, and what that lets it decide later: which live
//! objects are this repo's to prune, and which belong to a GitOps controller instead.

use crate::drift::{COMMIT_ANNOTATION, strip_server_fields};
use crate::model::{GitOpsOwner, OWNER_LABEL, OWNER_VALUE, SOURCE_ANNOTATION};
use serde_json::{Map, Value};

/// kdrift's bookkeeping for one apply: the commit the object comes from and the repo/path that
/// declares it (`Snapshot::source`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Stamp<'a> {
    pub commit: Option<&'a str>,
    pub source: Option<&'a str>,
}

/// The manifest as kdrift applies it: git's object plus the ownership label, the source and the
/// commit, so later runs can tell what this repo owns (and may prune) and where it came from.
pub fn applied_manifest(manifest: &Value, stamp: Stamp<'_>) -> Value {
    let mut out = strip_server_fields(manifest);
    if let Some(meta) = out.get_mut("metadata").and_then(Value::as_object_mut) {
        if let Some(labels) = map_at(meta, "labels") {
            labels.insert(OWNER_LABEL.into(), Value::String(OWNER_VALUE.into()));
        }
        let notes = [
            (COMMIT_ANNOTATION, stamp.commit),
            (SOURCE_ANNOTATION, stamp.source),
        ];
        if notes.iter().any(|(_, v)| v.is_some())
            && let Some(annotations) = map_at(meta, "annotations")
        {
            for (key, value) in notes {
                if let Some(value) = value {
                    annotations.insert(key.into(), Value::String(value.into()));
                }
            }
        }
    }
    out
}

fn map_at<'m>(meta: &'m mut Map<String, Value>, field: &str) -> Option<&'m mut Map<String, Value>> {
    meta.entry(field)
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
}

fn label<'v>(obj: &'v Value, key: &str) -> Option<&'v str> {
    obj.pointer("/metadata/labels")?.get(key)?.as_str()
}

fn annotation<'v>(obj: &'v Value, key: &str) -> Option<&'v str> {
    obj.pointer("/metadata/annotations")?.get(key)?.as_str()
}

/// True when `live` was applied by kdrift from `source`: its label **and** its source annotation.
/// The label alone says "some kdrift", which two repos sharing a namespace both write.
pub fn applied_from(live: &Value, source: &str) -> bool {
    label(live, OWNER_LABEL) == Some(OWNER_VALUE)
        && annotation(live, SOURCE_ANNOTATION) == Some(source)
}

/// Field managers of the GitOps controllers, for objects that carry none of their labels.
const CONTROLLER_MANAGERS: &[(&str, &str, &str)] = &[
    ("kustomize-controller", "Flux", "Kustomization"),
    ("helm-controller", "Flux", "HelmRelease"),
    ("argocd-controller", "Argo CD", "Application"),
    ("argocd-application-controller", "Argo CD", "Application"),
];

/// The Flux or Argo CD object reconciling `live`, from the labels and annotations those tools
/// write (Flux's `*.toolkit.fluxcd.io/name` labels, Argo CD's tracking annotation or instance
/// label), or failing those from their field managers.
pub fn gitops_owner(live: &Value) -> Option<GitOpsOwner> {
    for (prefix, kind) in [
        ("kustomize.toolkit.fluxcd.io", "Kustomization"),
        ("helm.toolkit.fluxcd.io", "HelmRelease"),
    ] {
        if let Some(name) = label(live, &format!("{prefix}/name")) {
            return Some(GitOpsOwner {
                tool: "Flux",
                kind,
                namespace: label(live, &format!("{prefix}/namespace")).map(str::to_string),
                name: Some(name.to_string()),
            });
        }
    }
    // `<app>:<group>/<kind>:<namespace>/<name>`, the app as `<namespace>_<name>` outside Argo CD's
    // own namespace
    let argo_app = annotation(live, "argocd.argoproj.io/tracking-id")
        .and_then(|id| id.split(':').next())
        .or_else(|| label(live, "argocd.argoproj.io/instance"));
    if let Some(app) = argo_app.filter(|a| !a.is_empty()) {
        let (namespace, name) = match app.split_once('_') {
            Some((ns, name)) => (Some(ns.to_string()), name.to_string()),
            None => (None, app.to_string()),
        };
        return Some(GitOpsOwner {
            tool: "Argo CD",
            kind: "Application",
            namespace,
            name: Some(name),
        });
    }
    let managers = live.pointer("/metadata/managedFields")?.as_array()?;
    managers.iter().find_map(|m| {
        let manager = m.get("manager")?.as_str()?;
        let (_, tool, kind) = CONTROLLER_MANAGERS.iter().find(|(n, _, _)| *n == manager)?;
        Some(GitOpsOwner {
            tool,
            kind,
            namespace: None,
            name: None,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn applied_objects_carry_label_source_and_commit() {
        let m = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}});
        let stamp = Stamp {
            commit: Some("abc"),
            source: Some("https://git.example/shop:apps"),
        };
        let out = applied_manifest(&m, stamp);
        assert_eq!(out["metadata"]["labels"][OWNER_LABEL], OWNER_VALUE);
        assert_eq!(out["metadata"]["annotations"][COMMIT_ANNOTATION], "abc");
        assert!(applied_from(&out, "https://git.example/shop:apps"));
        assert!(
            !applied_from(&out, "https://git.example/other:apps"),
            "another repo"
        );
        let bare = applied_manifest(&m, Stamp::default());
        assert!(bare["metadata"].get("annotations").is_none());
        assert!(
            !applied_from(&bare, "https://git.example/shop:apps"),
            "label alone"
        );
    }

    #[test]
    fn flux_and_argo_owners_are_named() {
        let flux = json!({"metadata": {"labels": {
            "kustomize.toolkit.fluxcd.io/name": "apps",
            "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}}});
        assert_eq!(
            gitops_owner(&flux).unwrap().to_string(),
            "Flux Kustomization flux-system/apps"
        );
        let argo = json!({"metadata": {"annotations": {
            "argocd.argoproj.io/tracking-id": "team_guestbook:apps/Deployment:shop/web"}}});
        assert_eq!(
            gitops_owner(&argo).unwrap().to_string(),
            "Argo CD Application team/guestbook"
        );
        let managed = json!({"metadata": {"managedFields": [
            {"manager": "kubectl"}, {"manager": "helm-controller"}]}});
        assert_eq!(
            gitops_owner(&managed).unwrap().to_string(),
            "Flux HelmRelease"
        );
        let helm = json!({"metadata": {"labels": {"app.kubernetes.io/instance": "web"}}});
        assert_eq!(
            gitops_owner(&helm),
            None,
            "helm's instance label is not Argo CD's"
        );
    }
}
