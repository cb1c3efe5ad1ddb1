//! Apps a repo declares for its GitOps tool: Argo CD `Application`s and Flux `Kustomization`s and
//! `HelmRelease`s found among the manifests, each rendered the way that tool renders its source
//! (its path, release name, values, target namespace, patches, substitutions). A definition whose
//! source kdrift cannot reproduce from the repo (a remote chart, a remote source, values or
//! variables read from the cluster, SOPS) is named as such and never rendered half right.

mod argo;
mod build;
mod by_hand;
mod edits;
mod expand;
mod flux;
mod source;
mod substitute;

pub use build::build_app;
pub use edits::Edits;
pub use expand::{AppInfo, expand};
pub use source::Remotes;
pub use substitute::substitute;

use crate::model::{Desired, ManifestError};
use crate::repo::tree_index::TreeIndex;
use serde_json::Value;
use std::collections::BTreeMap;

/// At most this many apps are built from one commit (app-of-apps included): a bound on work.
pub const MAX_APPS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tool {
    ArgoCd,
    FluxKustomization,
    FluxHelmRelease,
    /// `[[app]]` in `.kdrift.toml`.
    Config,
}

impl Tool {
    pub fn label(self) -> &'static str {
        match self {
            Tool::ArgoCd => "Argo CD Application",
            Tool::FluxKustomization => "Flux Kustomization",
            Tool::FluxHelmRelease => "Flux HelmRelease",
            Tool::Config => ".kdrift.toml app",
        }
    }
}

/// One app definition as found in the repo.
#[derive(Debug, Clone, PartialEq)]
pub struct AppDef {
    pub name: String,
    /// The definition object's namespace (Argo CD's or Flux's own).
    pub namespace: String,
    pub tool: Tool,
    /// The repo file holding the definition.
    pub defined_in: String,
    /// How to build it, or why it is not built.
    pub build: Result<Build, String>,
    /// The directory of this repo it points at (built or not): what the path holds there is
    /// the app's, never read as plain manifests beside it.
    pub claims: Option<String>,
}

impl AppDef {
    /// What `--app` and the rows call it.
    pub fn id(&self) -> (Tool, &str, &str) {
        (self.tool, &self.namespace, &self.name)
    }
}

/// What one app renders and how.
#[derive(Debug, Clone, PartialEq)]
pub struct Build {
    /// The repo directory of its source.
    pub dir: String,
    pub how: How,
    /// Namespace for namespaced objects that name none.
    pub namespace: String,
    /// Flux's `postBuild.substitute`, applied to the rendered text.
    pub substitute: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum How {
    /// Plain manifests (Argo CD's directory source): the directory's files, or all below it.
    Directory {
        recurse: bool,
    },
    /// `kustomize build`, with the definition's edits laid over the kustomization; `generate`
    /// writes one listing the directory's manifests when there is none (as Flux does).
    Kustomize {
        edits: Box<Edits>,
        generate: bool,
    },
    Helm(Helm),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Helm {
    pub release: String,
    /// Repo paths of values files, in order.
    pub value_files: Vec<String>,
    /// Inline values, applied after the files.
    pub values: Vec<Value>,
    /// `--set` (or `--set-string` when the flag is true) parameters, applied last.
    pub set: Vec<(String, String, bool)>,
    pub include_crds: bool,
}

/// What a definition object is, by its apiVersion and kind.
fn tool_of(d: &Desired) -> Option<Tool> {
    match (d.key.group.as_str(), d.key.kind.as_str()) {
        ("argoproj.io", "Application") => Some(Tool::ArgoCd),
        ("kustomize.toolkit.fluxcd.io", "Kustomization") => Some(Tool::FluxKustomization),
        ("helm.toolkit.fluxcd.io", "HelmRelease") => Some(Tool::FluxHelmRelease),
        _ => None,
    }
}

/// Where a definition is read: the tree (to tell a chart from a kustomization), this repo's
/// remotes (to tell whether a source is this repo) and the Flux `GitRepository`s seen so far.
pub struct Context<'a> {
    pub index: &'a TreeIndex,
    pub remotes: &'a Remotes,
    /// `(namespace, name)` → URL of every Flux `GitRepository` the repo declares.
    pub git_repositories: BTreeMap<(String, String), String>,
    /// Namespace for objects that name none when a definition gives none either.
    pub default_namespace: &'a str,
    /// A file's bytes at this commit, by repo path.
    pub read: &'a dyn Fn(&str) -> Option<Vec<u8>>,
}

/// Why a chart in the repo cannot be templated as it is: a dependency `helm dependency build`
/// would download (not vendored below `charts/`).
fn missing_dependency(dir: &str, cx: &Context<'_>) -> Option<String> {
    let chart = if dir.is_empty() {
        "Chart.yaml".to_string()
    } else {
        format!("{dir}/Chart.yaml")
    };
    let text = String::from_utf8((cx.read)(&chart)?).ok()?;
    let doc: Value = serde_saphyr::from_str(&text).ok()?;
    let charts = if dir.is_empty() {
        "charts".to_string()
    } else {
        format!("{dir}/charts")
    };
    for dep in doc.get("dependencies")?.as_array()? {
        let name = text_of(dep, "name")?;
        let vendored = cx.index.paths.iter().any(|p| {
            crate::repo::tree_index::parent(p) == charts
                && p.rsplit('/').next().is_some_and(|f| {
                    f == name || (f.starts_with(&format!("{name}-")) && f.ends_with(".tgz"))
                })
        });
        if !vendored {
            let from = text_of(dep, "repository").unwrap_or("a repository");
            return Some(format!(
                "its chart depends on {name:?} from {from}, which is not vendored in {charts}/"
            ));
        }
    }
    None
}

fn text_of<'v>(v: &'v Value, field: &str) -> Option<&'v str> {
    v.get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

impl Context<'_> {
    /// Remembers the `GitRepository`s among `objects`, for the Flux definitions that name them.
    pub fn learn_sources(&mut self, objects: &[Desired]) {
        for d in objects {
            if d.key.group == "source.toolkit.fluxcd.io"
                && d.key.kind == "GitRepository"
                && let Some(url) = d.manifest.tree()["spec"]["url"].as_str()
            {
                let ns = d.key.namespace.clone().unwrap_or_default();
                self.git_repositories
                    .insert((ns, d.key.name.clone()), url.to_string());
            }
        }
    }
}

/// The app definitions among `objects`.
pub fn definitions(objects: &[Desired], cx: &Context<'_>) -> Vec<AppDef> {
    objects
        .iter()
        .filter_map(|d| {
            let tool = tool_of(d)?;
            let tree = d.manifest.tree();
            let spec = tree.get("spec").unwrap_or(&Value::Null);
            let namespace = d.key.namespace.clone().unwrap_or_default();
            let build = match tool {
                Tool::ArgoCd => argo::build(&d.key.name, spec, cx),
                Tool::FluxKustomization => flux::kustomization(&namespace, spec, cx),
                Tool::FluxHelmRelease => flux::helm_release(&d.key.name, &namespace, spec, cx),
                Tool::Config => unreachable!("no object is a .kdrift.toml app"),
            };
            let claims = match &build {
                Ok(b) => Some(b.dir.clone()),
                Err(_) => pointed_dir(tool, &namespace, spec, cx),
            };
            Some(AppDef {
                name: d.key.name.clone(),
                namespace,
                tool,
                defined_in: d.source.clone(),
                build,
                claims,
            })
        })
        .collect()
}

/// The directory of this repo a definition points at, when its source is this repo.
fn pointed_dir(tool: Tool, namespace: &str, spec: &Value, cx: &Context<'_>) -> Option<String> {
    let path = match tool {
        Tool::ArgoCd => {
            let source = spec
                .get("source")
                .filter(|s| s.is_object())
                .or_else(|| spec.pointer("/sources/0"))?;
            let url = text(source, "/repoURL")?;
            if text(source, "/chart").is_some() || cx.remotes.same(url) == source::Same::No {
                return None;
            }
            text(source, "/path").unwrap_or(".")
        }
        Tool::FluxKustomization => {
            flux::check_source(spec.get("sourceRef").unwrap_or(&Value::Null), namespace, cx)
                .ok()?;
            text(spec, "/path").unwrap_or("./")
        }
        Tool::Config => return None,
        Tool::FluxHelmRelease => {
            let chart = spec.pointer("/chart/spec")?;
            let source_ref = chart.get("sourceRef").unwrap_or(&Value::Null);
            if text(source_ref, "/kind").is_some_and(|k| k != "GitRepository") {
                return None;
            }
            flux::check_source(source_ref, namespace, cx).ok()?;
            text(chart, "/chart")?
        }
    };
    let dir = crate::repo::tree_index::join_inside("", path)?;
    cx.index.is_dir(&dir).then_some(dir)
}

/// The note row for a definition that is not built.
pub fn not_built(def: &AppDef, why: &str) -> ManifestError {
    ManifestError {
        source: def.defined_in.clone(),
        line: None,
        message: format!("{} {}: not rendered: {why}", def.tool.label(), def.name),
        object: None,
        app: Some(def.name.clone()),
    }
}

/// A definition's string field, non-empty.
fn text<'v>(v: &'v Value, pointer: &str) -> Option<&'v str> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests;
