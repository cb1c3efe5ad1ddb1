//! An Argo CD `Application` as Argo CD renders it: its single source's path in this repo, as a
//! Helm chart (release name, values files, inline values, parameters), a kustomization (with the
//! source's kustomize options) or plain manifests (recursive only when asked), into the
//! destination namespace.

use super::edits::{Edits, argo_image};
use super::source::Same;
use super::{Build, Context, Helm, How, text};
use crate::repo::render::{Renderer, renderer_file};
use crate::repo::repo_url::redact_url;
use crate::repo::tree_index::join_inside;
use serde_json::Value;

pub(super) fn build(name: &str, spec: &Value, cx: &Context<'_>) -> Result<Build, String> {
    let source = match (
        spec.get("source").filter(|s| s.is_object()),
        spec.get("sources").and_then(Value::as_array),
    ) {
        (Some(s), _) => s,
        (None, Some(list)) if list.len() == 1 => &list[0],
        (None, Some(list)) => {
            return Err(format!(
                "it has {} sources; apps of several sources are not rendered yet",
                list.len()
            ));
        }
        (None, None) => return Err("it has no spec.source".into()),
    };
    let repo_url = text(source, "/repoURL").ok_or("its source has no repoURL")?;
    if let Some(chart) = text(source, "/chart") {
        return Err(format!(
            "its chart {chart:?} comes from {}, not from this repository",
            redact_url(repo_url)
        ));
    }
    if cx.remotes.same(repo_url) == Same::No {
        return Err(format!(
            "its source is another repository ({})",
            redact_url(repo_url)
        ));
    }
    if source.get("plugin").is_some() {
        return Err("a config management plugin renders it".into());
    }
    let path = text(source, "/path").unwrap_or(".");
    let dir = join_inside("", path)
        .ok_or_else(|| format!("its path {path:?} is outside the repository"))?;
    if !cx.index.is_dir(&dir) {
        return Err(format!("its path {path:?} does not exist at this commit"));
    }
    let namespace = text(spec, "/destination/namespace")
        .unwrap_or(cx.default_namespace)
        .to_string();
    let how = match renderer_file(cx.index, &dir).map(|(_, r)| r) {
        Some(Renderer::Helm) => How::Helm(helm(name, &dir, source, cx)?),
        Some(Renderer::Kustomize) => How::Kustomize {
            edits: Box::new(kustomize(source.get("kustomize").unwrap_or(&Value::Null))?),
            generate: false,
        },
        None => {
            if source.get("helm").is_some() {
                return Err(format!("it asks for Helm but {path:?} holds no Chart.yaml"));
            }
            let directory = source.get("directory").unwrap_or(&Value::Null);
            for field in ["include", "exclude"] {
                if text(directory, &format!("/{field}")).is_some() {
                    return Err(format!("directory `{field}` patterns are not rendered yet"));
                }
            }
            let recurse = directory
                .get("recurse")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let below = |p: &str| {
                if recurse {
                    crate::repo::render::is_under(p, &dir)
                } else {
                    crate::repo::tree_index::parent(p) == dir
                }
            };
            if let Some(file) = cx
                .index
                .paths
                .iter()
                .find(|p| below(p) && (p.ends_with(".jsonnet") || p.ends_with(".libsonnet")))
            {
                return Err(format!(
                    "Argo CD renders its jsonnet ({file}), which kdrift does not yet"
                ));
            }
            How::Directory { recurse }
        }
    };
    Ok(Build {
        dir,
        how,
        namespace,
        substitute: None,
    })
}

fn helm(name: &str, dir: &str, source: &Value, cx: &Context<'_>) -> Result<Helm, String> {
    if let Some(why) = super::missing_dependency(dir, cx) {
        return Err(why);
    }
    let h = source.get("helm").unwrap_or(&Value::Null);
    let ignore_missing = h
        .get("ignoreMissingValueFiles")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut value_files = Vec::new();
    for f in strings(h.get("valueFiles")) {
        if f.starts_with('$') || f.contains("://") {
            return Err(format!(
                "values file {f:?} is in another source or on the network"
            ));
        }
        let file = join_inside(dir, f)
            .ok_or_else(|| format!("values file {f:?} is outside the repository"))?;
        if cx.index.get(&file).is_none() {
            if ignore_missing {
                continue;
            }
            return Err(format!("values file {f:?} does not exist at this commit"));
        }
        value_files.push(file);
    }
    if h.get("fileParameters")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
    {
        return Err("helm fileParameters are not rendered yet".into());
    }
    // Argo CD: valuesObject, when given, wins over the values string
    let mut values = Vec::new();
    if let Some(object) = h.get("valuesObject").filter(|v| v.is_object()) {
        values.push(object.clone());
    } else if let Some(v) = h.get("values") {
        match v {
            Value::String(s) if !s.trim().is_empty() => {
                let parsed: Value = serde_saphyr::from_str(s).map_err(|e| {
                    format!(
                        "its helm values do not parse: {}",
                        e.to_string().lines().next().unwrap_or_default()
                    )
                })?;
                if parsed.is_object() {
                    values.push(parsed);
                }
            }
            Value::Object(_) => values.push(v.clone()),
            _ => {}
        }
    }
    let set = h
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let name = text(p, "/name")?;
            let value = match p.get("value") {
                Some(Value::String(s)) => s.clone(),
                Some(v) if !v.is_null() => v.to_string(),
                _ => String::new(),
            };
            let force = p
                .get("forceString")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            Some((name.to_string(), value, force))
        })
        .collect();
    Ok(Helm {
        release: text(h, "/releaseName").unwrap_or(name).to_string(),
        value_files,
        values,
        set,
        include_crds: !h.get("skipCrds").and_then(Value::as_bool).unwrap_or(false),
    })
}

/// The source's `kustomize` options, as the kustomization edits Argo CD makes before building.
fn kustomize(k: &Value) -> Result<Edits, String> {
    let map = |field: &str| {
        k.get(field)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let without_selector = k
        .get("labelWithoutSelector")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let labels = map("commonLabels");
    let mut images = Vec::new();
    for image in strings(k.get("images")) {
        images.push(
            argo_image(image).ok_or_else(|| format!("image override {image:?} does not parse"))?,
        );
    }
    Ok(Edits {
        namespace: text(k, "/namespace").map(str::to_string),
        name_prefix: text(k, "/namePrefix").map(str::to_string),
        name_suffix: text(k, "/nameSuffix").map(str::to_string),
        images,
        common_labels: if without_selector {
            Default::default()
        } else {
            labels.clone()
        },
        labels: if without_selector {
            labels
        } else {
            Default::default()
        },
        common_annotations: map("commonAnnotations"),
        patches: array(k.get("patches")),
        replicas: array(k.get("replicas")),
        components: strings(k.get("components"))
            .into_iter()
            .map(str::to_string)
            .collect(),
    })
}

pub(super) fn strings(v: Option<&Value>) -> Vec<&str> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

pub(super) fn array(v: Option<&Value>) -> Vec<Value> {
    v.and_then(Value::as_array).cloned().unwrap_or_default()
}
