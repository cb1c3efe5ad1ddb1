//! What a definition changes in a kustomization before it is built (Argo CD's `kustomize`
//! options, Flux's target namespace, patches, images, components, common metadata), and the
//! kustomization Flux writes for a directory that has none.

use crate::repo::manifests::is_manifest_path;
use serde_json::{Map, Value, json};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Edits {
    pub namespace: Option<String>,
    pub name_prefix: Option<String>,
    pub name_suffix: Option<String>,
    /// kustomize `images` entries.
    pub images: Vec<Value>,
    /// Labels on objects and selectors (`commonLabels`).
    pub common_labels: Map<String, Value>,
    /// Labels on objects only.
    pub labels: Map<String, Value>,
    pub common_annotations: Map<String, Value>,
    pub patches: Vec<Value>,
    pub replicas: Vec<Value>,
    pub components: Vec<String>,
}

impl Edits {
    /// Lays the edits over a kustomization document: names and the namespace replace, lists grow,
    /// label and annotation maps merge (the definition's keys win).
    pub fn apply(&self, doc: &mut Value) {
        if !doc.is_object() {
            *doc = json!({});
        }
        let Some(obj) = doc.as_object_mut() else {
            return;
        };
        for (field, value) in [
            ("namespace", &self.namespace),
            ("namePrefix", &self.name_prefix),
            ("nameSuffix", &self.name_suffix),
        ] {
            if let Some(v) = value {
                obj.insert(field.into(), Value::String(v.clone()));
            }
        }
        let mut grow = |field: &str, items: Vec<Value>| {
            if items.is_empty() {
                return;
            }
            let list = obj.entry(field).or_insert_with(|| json!([]));
            if !list.is_array() {
                *list = json!([]);
            }
            if let Some(list) = list.as_array_mut() {
                list.extend(items);
            }
        };
        grow("images", self.images.clone());
        grow("patches", self.patches.clone());
        grow("replicas", self.replicas.clone());
        grow(
            "components",
            self.components.iter().cloned().map(Value::String).collect(),
        );
        if !self.labels.is_empty() {
            grow(
                "labels",
                vec![json!({"pairs": self.labels, "includeSelectors": false})],
            );
        }
        for (field, map) in [
            ("commonLabels", &self.common_labels),
            ("commonAnnotations", &self.common_annotations),
        ] {
            if map.is_empty() {
                continue;
            }
            let target = obj.entry(field).or_insert_with(|| json!({}));
            if !target.is_object() {
                *target = json!({});
            }
            if let Some(target) = target.as_object_mut() {
                for (k, v) in map {
                    let v = match v {
                        Value::String(_) => v.clone(),
                        other => Value::String(other.to_string()),
                    };
                    target.insert(k.clone(), v);
                }
            }
        }
    }
}

/// An Argo CD image override, `[old=]new[:tag][@digest]`, as a kustomize `images` entry.
pub fn argo_image(spec: &str) -> Option<Value> {
    let spec = spec.trim();
    if spec.is_empty() {
        return None;
    }
    let (name, image) = match spec.split_once('=') {
        Some((old, new)) => (Some(old), new),
        None => (None, spec),
    };
    let (image, digest) = match image.split_once('@') {
        Some((i, d)) => (i, Some(d)),
        None => (image, None),
    };
    // a tag is after the last ':' that comes after the last '/' (a registry may have a port)
    let slash = image.rfind('/').map_or(0, |i| i + 1);
    let (new_name, tag) = match image[slash..].rfind(':') {
        Some(i) => (&image[..slash + i], Some(&image[slash + i + 1..])),
        None => (image, None),
    };
    let mut entry = Map::new();
    match name {
        Some(old) => {
            entry.insert("name".into(), old.into());
            entry.insert("newName".into(), new_name.into());
        }
        None => {
            entry.insert("name".into(), new_name.into());
        }
    }
    if let Some(t) = tag {
        entry.insert("newTag".into(), t.into());
    }
    if let Some(d) = digest {
        entry.insert("digest".into(), d.into());
    }
    Some(Value::Object(entry))
}

/// The kustomization Flux generates for `dir` without one: every manifest below it, and each
/// directory below it that has a kustomization of its own (not descended into). `paths` are
/// repo paths; `has_kustomization(d)` says whether `d` holds one; `is_object(p)` whether a file
/// holds Kubernetes objects (other YAML, values files say, is left out as Flux does).
pub fn generated(
    dir: &str,
    paths: &[String],
    has_kustomization: &dyn Fn(&str) -> bool,
    is_object: &dyn Fn(&str) -> bool,
) -> Value {
    let rel = |p: &str| -> String {
        if dir.is_empty() {
            p.to_string()
        } else {
            p[dir.len() + 1..].to_string()
        }
    };
    let mut resources: Vec<String> = Vec::new();
    let mut bases: Vec<String> = Vec::new();
    for p in paths {
        let inside = dir.is_empty() || p.starts_with(&format!("{dir}/"));
        if !inside || bases.iter().any(|b| p.starts_with(&format!("{b}/"))) {
            continue;
        }
        if p != dir && has_kustomization(p) {
            bases.push(p.clone());
            resources.push(rel(p));
        } else if is_manifest_path(p) && is_object(p) {
            resources.push(rel(p));
        }
    }
    json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": resources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argo_images_read_as_kustomize_does() {
        assert_eq!(
            argo_image("nginx:1.27").unwrap(),
            json!({"name": "nginx", "newTag": "1.27"})
        );
        assert_eq!(
            argo_image("nginx=registry:5000/web/nginx:2").unwrap(),
            json!({"name": "nginx", "newName": "registry:5000/web/nginx", "newTag": "2"})
        );
        assert_eq!(
            argo_image("redis@sha256:abc").unwrap(),
            json!({"name": "redis", "digest": "sha256:abc"})
        );
    }

    #[test]
    fn edits_replace_names_and_grow_lists() {
        let mut doc = json!({"resources": ["a.yaml"], "namespace": "old", "images": [{"name": "x"}],
            "commonLabels": {"team": "a"}});
        Edits {
            namespace: Some("new".into()),
            name_prefix: Some("p-".into()),
            images: vec![json!({"name": "y"})],
            common_labels: [("env".to_string(), json!("prod"))].into_iter().collect(),
            ..Edits::default()
        }
        .apply(&mut doc);
        assert_eq!(doc["namespace"], "new");
        assert_eq!(doc["namePrefix"], "p-");
        assert_eq!(doc["images"], json!([{"name": "x"}, {"name": "y"}]));
        assert_eq!(doc["commonLabels"], json!({"team": "a", "env": "prod"}));
        assert_eq!(doc["resources"], json!(["a.yaml"]));
    }

    #[test]
    fn a_generated_kustomization_lists_manifests_and_nested_kustomizations() {
        let paths: Vec<String> = [
            "apps/a.yaml",
            "apps/values.yaml",
            "apps/base",
            "apps/base/kustomization.yaml",
            "apps/base/d.yaml",
            "apps/sub",
            "apps/sub/b.yml",
            "other/c.yaml",
        ]
        .map(String::from)
        .to_vec();
        let doc = generated("apps", &paths, &|d| d == "apps/base", &|p| {
            !p.ends_with("values.yaml")
        });
        assert_eq!(doc["resources"], json!(["a.yaml", "base", "sub/b.yml"]));
    }
}
