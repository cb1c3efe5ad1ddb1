//! Flux's `Kustomization` and `HelmRelease` as its controllers build them from a `GitRepository`
//! that is this repo: the path with a generated kustomization where there is none, the target
//! namespace, patches, images, name prefix and suffix, common metadata and `postBuild.substitute`;
//! a chart in the repo with its release name (`[targetNamespace-]name` by default), values files
//! and inline values.

use super::argo::{array, strings};
use super::edits::Edits;
use super::source::Same;
use super::{Build, Context, Helm, How, text};
use crate::repo::render::{Renderer, renderer_file};
use crate::repo::repo_url::redact_url;
use crate::repo::tree_index::join_inside;
use serde_json::Value;
use std::collections::BTreeMap;

/// Is the `sourceRef` this repo? Unknown `GitRepository`s (declared outside the path read, as
/// `flux bootstrap` does) are taken to be it.
pub(super) fn check_source(
    source_ref: &Value,
    namespace: &str,
    cx: &Context<'_>,
) -> Result<(), String> {
    let kind = text(source_ref, "/kind").unwrap_or("GitRepository");
    let name = text(source_ref, "/name").unwrap_or_default();
    if kind != "GitRepository" {
        return Err(format!(
            "its source is the {kind} {name:?}, not this repository"
        ));
    }
    let ns = text(source_ref, "/namespace").unwrap_or(namespace);
    match cx.git_repositories.get(&(ns.to_string(), name.to_string())) {
        Some(url) if cx.remotes.same(url) == Same::No => Err(format!(
            "its source, the GitRepository {ns}/{name}, is {}, not this repository",
            redact_url(url)
        )),
        _ => Ok(()),
    }
}

fn repo_dir(path: &str, cx: &Context<'_>) -> Result<String, String> {
    let dir = join_inside("", path)
        .ok_or_else(|| format!("its path {path:?} is outside the repository"))?;
    if !cx.index.is_dir(&dir) {
        return Err(format!("its path {path:?} does not exist at this commit"));
    }
    Ok(dir)
}

fn non_empty(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(Value::Null) | None => false,
        Some(_) => true,
    }
}

pub(super) fn kustomization(
    namespace: &str,
    spec: &Value,
    cx: &Context<'_>,
) -> Result<Build, String> {
    check_source(spec.get("sourceRef").unwrap_or(&Value::Null), namespace, cx)?;
    if spec.get("decryption").is_some() {
        return Err("it decrypts SOPS files (spec.decryption)".into());
    }
    if non_empty(spec.pointer("/postBuild/substituteFrom")) {
        return Err(
            "its substitutions are read from the cluster (postBuild.substituteFrom)".into(),
        );
    }
    let dir = repo_dir(text(spec, "/path").unwrap_or("./"), cx)?;
    let meta = spec.get("commonMetadata").unwrap_or(&Value::Null);
    let map = |v: &Value, field: &str| {
        v.get(field)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let target = text(spec, "/targetNamespace").map(str::to_string);
    let edits = Edits {
        namespace: target.clone(),
        name_prefix: text(spec, "/namePrefix").map(str::to_string),
        name_suffix: text(spec, "/nameSuffix").map(str::to_string),
        images: array(spec.get("images")),
        labels: map(meta, "labels"),
        common_annotations: map(meta, "annotations"),
        patches: array(spec.get("patches")),
        components: strings(spec.get("components"))
            .into_iter()
            .map(str::to_string)
            .collect(),
        ..Edits::default()
    };
    let generate = !matches!(
        renderer_file(cx.index, &dir),
        Some((_, Renderer::Kustomize))
    );
    // Flux substitutes whenever postBuild is set: `${var:=default}` needs no variable given
    let substitute = spec.get("postBuild").filter(|p| p.is_object()).map(|p| {
        p.get("substitute")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(k, v)| {
                let v = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), v)
            })
            .collect::<BTreeMap<_, _>>()
    });
    Ok(Build {
        dir,
        how: How::Kustomize {
            edits: Box::new(edits),
            generate,
        },
        namespace: target.unwrap_or_else(|| cx.default_namespace.to_string()),
        substitute,
    })
}

pub(super) fn helm_release(
    name: &str,
    namespace: &str,
    spec: &Value,
    cx: &Context<'_>,
) -> Result<Build, String> {
    if let Some(chart_ref) = spec.get("chartRef") {
        let kind = text(chart_ref, "/kind").unwrap_or("source");
        let ref_name = text(chart_ref, "/name").unwrap_or_default();
        return Err(format!(
            "its chart comes from the {kind} {ref_name:?}, not from this repository"
        ));
    }
    let chart = spec.pointer("/chart/spec").ok_or("it names no chart")?;
    let chart_name = text(chart, "/chart").ok_or("it names no chart")?;
    let source_ref = chart.get("sourceRef").unwrap_or(&Value::Null);
    if let Some(kind) = text(source_ref, "/kind").filter(|k| *k != "GitRepository") {
        let from = text(source_ref, "/name").unwrap_or_default();
        return Err(format!(
            "its chart {chart_name:?} comes from the {kind} {from:?}, not from this repository"
        ));
    }
    check_source(source_ref, namespace, cx)?;
    if non_empty(spec.get("valuesFrom")) {
        return Err("its values are read from the cluster (valuesFrom)".into());
    }
    if non_empty(spec.get("postRenderers")) {
        return Err("post-renderers are not rendered yet".into());
    }
    let dir = repo_dir(chart_name, cx)?;
    if !matches!(renderer_file(cx.index, &dir), Some((_, Renderer::Helm))) {
        return Err(format!("its chart path {chart_name:?} holds no Chart.yaml"));
    }
    if let Some(why) = super::missing_dependency(&dir, cx) {
        return Err(why);
    }
    let mut value_files = Vec::new();
    let files = strings(chart.get("valuesFiles"))
        .into_iter()
        .chain(text(chart, "/valuesFile"));
    for f in files {
        // paths inside the source, that is from the repo's top
        let file = join_inside("", f)
            .ok_or_else(|| format!("values file {f:?} is outside the repository"))?;
        if cx.index.get(&file).is_none() {
            if chart
                .get("ignoreMissingValuesFiles")
                .and_then(Value::as_bool)
                == Some(true)
            {
                continue;
            }
            return Err(format!("values file {f:?} does not exist at this commit"));
        }
        value_files.push(file);
    }
    let target = text(spec, "/targetNamespace");
    let release = text(spec, "/releaseName").map_or_else(
        || match target {
            Some(t) => format!("{t}-{name}"),
            None => name.to_string(),
        },
        str::to_string,
    );
    let values = spec
        .get("values")
        .filter(|v| v.is_object())
        .cloned()
        .into_iter()
        .collect();
    Ok(Build {
        dir,
        how: How::Helm(Helm {
            release,
            value_files,
            values,
            set: vec![],
            include_crds: text(spec, "/install/crds") != Some("Skip"),
        }),
        namespace: target.unwrap_or(namespace).to_string(),
        substitute: None,
    })
}
