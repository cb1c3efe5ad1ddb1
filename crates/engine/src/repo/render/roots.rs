//! Finds the directories that a renderer owns: a `kustomization.yaml` is built with kustomize, a
//! `Chart.yaml` templated with helm. Everything below such a directory belongs to it; a
//! kustomization that another one includes (a base) is rendered only as part of the includer.

use crate::model::ManifestError;
use crate::repo::tree_index::{EntryKind, TreeIndex, join_inside};
use serde_json::Value;
use std::collections::BTreeSet;

pub const KUSTOMIZATION_FILES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Renderer {
    Kustomize,
    Helm,
}

impl Renderer {
    pub fn name(self) -> &'static str {
        match self {
            Renderer::Kustomize => "kustomize",
            Renderer::Helm => "helm",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RenderRoot {
    /// Repo path of the directory ("" for the top).
    pub dir: String,
    /// The kustomization or Chart.yaml file, named as the source of everything rendered here.
    pub file: String,
    pub renderer: Renderer,
    /// Directories the render reads (the root and, for kustomize, the kustomizations it includes).
    pub inputs: Vec<String>,
}

/// The renderer file in `dir`, if any.
pub fn renderer_file(index: &TreeIndex, dir: &str) -> Option<(String, Renderer)> {
    let at = |name: &str| {
        if dir.is_empty() {
            name.to_string()
        } else {
            format!("{dir}/{name}")
        }
    };
    let is_file = |p: &str| {
        index
            .get(p)
            .is_some_and(|e| matches!(e.kind, EntryKind::Blob | EntryKind::Link))
    };
    KUSTOMIZATION_FILES
        .iter()
        .map(|n| (at(n), Renderer::Kustomize))
        .chain([(at("Chart.yaml"), Renderer::Helm)])
        .find(|(p, _)| is_file(p))
}

/// Is `path` `dir` itself or below it?
pub fn is_under(path: &str, dir: &str) -> bool {
    dir.is_empty()
        || path == dir
        || (path.starts_with(dir) && path.as_bytes().get(dir.len()) == Some(&b'/'))
}

/// What renders under a path: the roots to render, every directory a renderer owns (included
/// bases too: their files are not plain manifests), and errors for unreadable kustomizations.
#[derive(Debug, Default)]
pub struct Layout {
    pub roots: Vec<RenderRoot>,
    pub owned: Vec<String>,
    pub errors: Vec<ManifestError>,
}

impl Layout {
    pub fn owns(&self, path: &str) -> bool {
        self.owned.iter().any(|d| is_under(path, d))
    }
}

/// The render roots under `prefix` ("" for the whole tree). `read` returns a blob's bytes by path.
pub fn find_roots(
    index: &TreeIndex,
    prefix: &str,
    read: &dyn Fn(&str) -> Option<Vec<u8>>,
    allow_remote: bool,
) -> Layout {
    let dirs = std::iter::once(prefix.to_string()).chain(
        index
            .paths
            .iter()
            .filter(|p| index.is_dir(p) && is_under(p, prefix) && p.as_str() != prefix)
            .cloned(),
    );
    let mut candidates: Vec<RenderRoot> = Vec::new();
    let mut errors = Vec::new();
    // refused kustomizations: their files are not plain manifests either
    let mut owned_only: Vec<String> = Vec::new();
    for dir in dirs {
        if candidates.iter().any(|c| is_under(&dir, &c.dir))
            || owned_only.iter().any(|d| is_under(&dir, d))
        {
            continue; // breadth-first: an enclosing root was seen already and owns this directory
        }
        let Some((file, renderer)) = renderer_file(index, &dir) else {
            continue;
        };
        let inputs = match renderer {
            Renderer::Kustomize => {
                match kustomize_inputs(index, &dir, read, allow_remote, &mut errors) {
                    Ok(inputs) => inputs,
                    Err((source, message)) => {
                        // not rendered at all: kustomize would read what the repo does not hold
                        errors.push(ManifestError {
                            source,
                            line: None,
                            message,
                            object: None,
                            app: None,
                        });
                        owned_only.push(dir.clone());
                        continue;
                    }
                }
            }
            Renderer::Helm => vec![dir.clone()],
        };
        candidates.push(RenderRoot {
            dir,
            file,
            renderer,
            inputs,
        });
    }
    let owned = candidates
        .iter()
        .map(|c| c.dir.clone())
        .chain(owned_only)
        .collect();
    let included: BTreeSet<String> = candidates
        .iter()
        .flat_map(|c| c.inputs.iter().filter(|i| **i != c.dir).cloned())
        .collect();
    candidates.retain(|c| !included.contains(&c.dir));
    Layout {
        roots: candidates,
        owned,
        errors,
    }
}

/// `dir` and every local kustomization it includes through `resources`, `bases` or `components`,
/// transitively: with kustomize's default load restrictor these directories are all it reads.
/// Every path any of them names is checked first, since kustomize itself follows a directory in
/// `resources` wherever it is: a path that leaves the repo, a remote base (unless `allow_remote`)
/// or a Helm chart kustomize would download refuses the root, as `(file, why)`.
pub(crate) fn kustomize_inputs(
    index: &TreeIndex,
    dir: &str,
    read: &dyn Fn(&str) -> Option<Vec<u8>>,
    allow_remote: bool,
    errors: &mut Vec<ManifestError>,
) -> Result<Vec<String>, (String, String)> {
    let mut seen = vec![dir.to_string()];
    let mut queue = vec![dir.to_string()];
    while let Some(current) = queue.pop() {
        let Some((file, Renderer::Kustomize)) = renderer_file(index, &current) else {
            continue;
        };
        let Some(bytes) = read(&file) else { continue };
        let doc: Value = match std::str::from_utf8(&bytes)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_saphyr::from_str(t).map_err(|e| e.to_string()))
        {
            Ok(v) => v,
            Err(e) => {
                errors.push(ManifestError {
                    source: file,
                    line: None,
                    message: format!("invalid kustomization: {}", e.lines().next().unwrap_or("")),
                    object: None,
                    app: None,
                });
                continue;
            }
        };
        if let Some(field) = ["helmCharts", "helmChartInflationGenerator"]
            .into_iter()
            .find(|f| doc.get(*f).is_some())
        {
            return Err((
                file,
                format!(
                    "`{field}` makes kustomize download and run Helm charts: not rendered (render the chart from the repo instead)"
                ),
            ));
        }
        for entry in named_paths(&doc) {
            if is_remote(entry) {
                if allow_remote {
                    continue;
                }
                return Err((
                    file,
                    format!(
                        "remote base {entry:?}: not rendered (--allow-remote-bases fetches it)"
                    ),
                ));
            }
            let Some(target) = join_inside(&current, entry) else {
                return Err((
                    file,
                    format!("{entry:?} is outside the repository: not rendered"),
                ));
            };
            if index.is_dir(&target) && !seen.contains(&target) {
                seen.push(target.clone());
                queue.push(target);
            }
        }
    }
    Ok(seen)
}

/// A kustomize reference to something on the network (`https://…`, `github.com/org/repo//dir`,
/// `git@…`, `…?ref=v1`), not a path in the repo.
fn is_remote(entry: &str) -> bool {
    entry.contains("://")
        || entry.contains("?ref=")
        || entry.starts_with("git@")
        || ["github.com/", "gitlab.com/", "bitbucket.org/"]
            .iter()
            .any(|h| entry.starts_with(h))
}

/// Every file or directory a kustomization names: what it includes, patches, generates from and
/// configures itself with. Inline patches (text with a newline) are not paths.
fn named_paths(doc: &Value) -> Vec<&str> {
    fn strings(v: Option<&Value>) -> Vec<&str> {
        v.and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect()
    }
    let mut out = Vec::new();
    for field in [
        "resources",
        "bases",
        "components",
        "crds",
        "configurations",
        "transformers",
        "generators",
        "validators",
        "patchesStrategicMerge",
    ] {
        out.extend(strings(doc.get(field)));
    }
    for field in ["patches", "patchesJson6902", "replacements"] {
        let items = doc.get(field).and_then(Value::as_array);
        out.extend(
            items
                .into_iter()
                .flatten()
                .filter_map(|p| p.get("path").and_then(Value::as_str)),
        );
    }
    for field in ["configMapGenerator", "secretGenerator"] {
        for generator in doc
            .get(field)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            // `files` entries are `path` or `key=path`
            out.extend(
                strings(generator.get("files"))
                    .into_iter()
                    .map(|f| f.split_once('=').map_or(f, |(_, p)| p)),
            );
            out.extend(strings(generator.get("envs")));
            out.extend(generator.get("env").and_then(Value::as_str));
        }
    }
    out.extend(doc.pointer("/openapi/path").and_then(Value::as_str));
    out.retain(|p| !p.contains('\n'));
    out
}

/// Directories whose tree ids decide a root's output; unchanged ids mean an unchanged render.
/// `top` is the commit's root tree, which has no entry of its own.
pub fn fingerprint(index: &TreeIndex, root: &RenderRoot, top: gix::ObjectId) -> Vec<gix::ObjectId> {
    root.inputs
        .iter()
        .map(|d| {
            if d.is_empty() {
                top
            } else {
                index
                    .get(d)
                    .map_or(gix::ObjectId::null(gix::hash::Kind::Sha1), |e| e.oid)
            }
        })
        .collect()
}
