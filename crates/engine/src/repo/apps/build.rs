//! Builds one app from the commit: its inputs exported to a temp dir (never the worktree), the
//! definition's edits laid over the kustomization there, the tool run, substitutions made, the
//! output parsed. A build is kept in the read cache by the tree ids of what it reads.

use super::edits::generated;
use super::{AppDef, Build, Helm, How, substitute};
use crate::model::ManifestError;
use crate::repo::cache::ReadCache;
use crate::repo::error::{GitContext, Result};
use crate::repo::manifests::{
    MAX_FILE_BYTES, Parsed, is_manifest_path, parse_all_with, parse_file, parse_file_without_hooks,
};
use crate::repo::render::{
    KUSTOMIZATION_FILES, RenderOptions, Renderer, Tools, export, find_roots, helm_template,
    is_under, kustomize_inputs, renderer_file, run_tool,
};
use crate::repo::tree_index::{EntryKind, LinkTarget, TreeIndex, parent};
use std::ffi::OsString;
use std::path::Path;
use std::sync::Arc;

/// The repo paths (directories and files) a build reads.
fn inputs(
    b: &Build,
    index: &TreeIndex,
    read: &dyn Fn(&str) -> Option<Vec<u8>>,
    allow_remote: bool,
) -> std::result::Result<Vec<String>, String> {
    let mut out = vec![b.dir.clone()];
    match &b.how {
        How::Directory { .. } => {}
        How::Helm(h) => out.extend(h.value_files.iter().cloned()),
        How::Kustomize { edits, generate } => {
            let mut errors = Vec::new();
            let mut dirs: Vec<String> = if *generate {
                find_roots(index, &b.dir, read, allow_remote)
                    .roots
                    .into_iter()
                    .flat_map(|r| r.inputs)
                    .collect()
            } else {
                kustomize_inputs(index, &b.dir, read, allow_remote, &mut errors)
                    .map_err(|(file, why)| format!("{file}: {why}"))?
            };
            for c in &edits.components {
                let dir = crate::repo::tree_index::join_inside(&b.dir, c)
                    .ok_or_else(|| format!("component {c:?} is outside the repository"))?;
                dirs.extend(
                    kustomize_inputs(index, &dir, read, allow_remote, &mut errors)
                        .map_err(|(file, why)| format!("{file}: {why}"))?,
                );
            }
            if let Some(e) = errors.first() {
                return Err(format!("{}: {}", e.source, e.message));
            }
            out.extend(dirs);
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Renders `def` (whose build is `b`), every object and error named as the app's.
#[allow(clippy::too_many_arguments)]
pub fn build_app(
    repo: &gix::Repository,
    index: &TreeIndex,
    top: gix::ObjectId,
    def: &AppDef,
    b: &Build,
    tools: &dyn Fn() -> Tools,
    options: &RenderOptions,
    cache: &mut ReadCache,
) -> Result<Parsed> {
    let read = |p: &str| -> Option<Vec<u8>> {
        let e = index.get(p)?;
        Some(repo.find_object(e.oid).ok()?.data.clone())
    };
    let (mut objects, mut errors) = match inputs(b, index, &read, options.allow_remote) {
        Err(why) => (vec![], vec![error(def, why)]),
        Ok(inputs) => {
            let fingerprint: Vec<gix::ObjectId> = inputs
                .iter()
                .map(|p| {
                    if p.is_empty() {
                        top
                    } else {
                        index
                            .get(p)
                            .map_or(gix::ObjectId::null(gix::hash::Kind::Sha1), |e| e.oid)
                    }
                })
                .collect();
            let key = format!(
                "app {:?} {:?} {:?} {b:?}",
                def.tool, def.namespace, def.name
            );
            match cache.render(&key, &fingerprint) {
                Some(hit) => hit,
                None => {
                    let _span =
                        tracing::info_span!("render", app = %def.name, dir = %b.dir).entered();
                    let parsed = match &b.how {
                        How::Directory { recurse } => directory(repo, index, b, *recurse)?,
                        _ => rendered(repo, index, &inputs, def, b, &tools())?,
                    };
                    cache.keep_render(&key, fingerprint, parsed.clone());
                    parsed
                }
            }
        }
    };
    let app: Arc<str> = Arc::from(def.name.as_str());
    for o in &mut objects {
        o.app = Some(app.clone());
    }
    for e in &mut errors {
        e.app = Some(def.name.clone());
    }
    Ok((objects, errors))
}

fn error(def: &AppDef, message: String) -> ManifestError {
    ManifestError {
        source: def.defined_in.clone(),
        line: None,
        message: format!("{} {}: {message}", def.tool.label(), def.name),
        object: None,
        app: Some(def.name.clone()),
    }
}

/// Argo CD's directory source: the manifests in the directory (and below it when `recurse`).
fn directory(
    repo: &gix::Repository,
    index: &TreeIndex,
    b: &Build,
    recurse: bool,
) -> Result<Parsed> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in &index.paths {
        let inside = if recurse {
            is_under(path, &b.dir) && *path != b.dir
        } else {
            parent(path) == b.dir
        };
        if !inside || !is_manifest_path(path) {
            continue;
        }
        let Some(entry) = index.get(path) else {
            continue;
        };
        let oid = match entry.kind {
            EntryKind::Blob => entry.oid,
            EntryKind::Link => match index.follow_link(path, |oid| {
                Ok(repo.find_object(oid).git("reading a symlink")?.data.clone())
            }) {
                LinkTarget::Blob { oid, .. } => oid,
                LinkTarget::Refused(message) => {
                    errors.push(ManifestError {
                        source: path.clone(),
                        message,
                        ..ManifestError::default()
                    });
                    continue;
                }
            },
            _ => continue,
        };
        if repo.find_header(oid).git("reading a file's size")?.size() as usize > MAX_FILE_BYTES {
            errors.push(ManifestError {
                source: path.clone(),
                message: format!("file is larger than {MAX_FILE_BYTES} bytes"),
                ..ManifestError::default()
            });
            continue;
        }
        let data = repo.find_object(oid).git("reading a file")?.detach().data;
        files.push((path.clone(), data));
    }
    let mut objects = Vec::new();
    // only Argo CD reads directories as they are, and it leaves its hooks out of the app
    for (o, e) in parse_all_with(&files, &b.namespace, parse_file_without_hooks) {
        objects.extend(o);
        errors.extend(e);
    }
    Ok((objects, errors))
}

/// kustomize or helm on an export of the build's inputs.
fn rendered(
    repo: &gix::Repository,
    index: &TreeIndex,
    inputs: &[String],
    def: &AppDef,
    b: &Build,
    tools: &Tools,
) -> Result<Parsed> {
    let tmp = tempfile::Builder::new()
        .prefix("kdrift-app-")
        .tempdir()
        .git("creating a temp dir to render in")?;
    let root = tmp.path();
    export(repo, index, inputs, root)?;
    let dir = root.join(&b.dir);
    std::fs::create_dir_all(&dir).git_with(|| format!("creating {}", dir.display()))?;
    let (label, source, output) = match &b.how {
        How::Kustomize { edits, generate } => {
            let existing = KUSTOMIZATION_FILES
                .iter()
                .map(|n| dir.join(n))
                .find(|p| p.is_file());
            let (file, mut doc) = match existing {
                Some(file) if !generate => {
                    let text = std::fs::read_to_string(&file).unwrap_or_default();
                    let doc = serde_saphyr::from_str(&text).unwrap_or(serde_json::Value::Null);
                    (file, doc)
                }
                _ => {
                    let has_kustomization =
                        |d: &str| matches!(renderer_file(index, d), Some((_, Renderer::Kustomize)));
                    let is_object = |p: &str| {
                        let Some(e) = index.get(p) else { return false };
                        let Ok(blob) = repo.find_object(e.oid) else {
                            return false;
                        };
                        let text = String::from_utf8_lossy(&blob.data);
                        text.contains("apiVersion") && text.contains("kind")
                    };
                    let doc = generated(&b.dir, &index.paths, &has_kustomization, &is_object);
                    (dir.join("kustomization.yaml"), doc)
                }
            };
            edits.apply(&mut doc);
            let json = serde_json::to_string_pretty(&doc).unwrap_or_default();
            std::fs::write(&file, json).git_with(|| format!("writing {}", file.display()))?;
            let source = file
                .strip_prefix(root)
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            let output = match &tools.kustomize {
                None => Err(
                    "cannot render: neither `kustomize` nor `kubectl` is on PATH (or set KDRIFT_KUSTOMIZE)"
                        .to_string(),
                ),
                Some((program, lead)) => {
                    let mut args: Vec<OsString> = lead.iter().map(OsString::from).collect();
                    args.push(dir.clone().into());
                    run_tool("kustomize build", program, &args, root, &[])
                }
            };
            ("kustomize", source, output)
        }
        How::Helm(h) => {
            let source = if b.dir.is_empty() {
                "Chart.yaml".to_string()
            } else {
                format!("{}/Chart.yaml", b.dir)
            };
            ("helm", source, helm(root, &dir, h, &b.namespace, tools))
        }
        How::Directory { .. } => unreachable!("directories are read, not rendered"),
    };
    let bytes = match output {
        Ok(bytes) => bytes,
        Err(message) => {
            let message = message.replace(&format!("{}/", root.display()), "");
            return Ok((vec![], vec![error(def, message)]));
        }
    };
    let bytes = match &b.substitute {
        None => bytes,
        Some(vars) => match substituted(&String::from_utf8_lossy(&bytes), vars) {
            Ok(text) => text.into_bytes(),
            Err(why) => {
                return Ok((
                    vec![],
                    vec![error(def, format!("postBuild substitution: {why}"))],
                ));
            }
        },
    };
    let parse = if def.tool == super::Tool::ArgoCd {
        parse_file_without_hooks
    } else {
        parse_file
    };
    let (objects, mut errors) = parse(&source, &bytes, &b.namespace);
    for e in &mut errors {
        if let Some(line) = e.line.take() {
            e.message = format!("{label} output line {line}: {}", e.message);
        }
    }
    Ok((objects, errors))
}

/// Substitutes each rendered document unless it opts out with Flux's label or annotation.
fn substituted(
    text: &str,
    vars: &std::collections::BTreeMap<String, String>,
) -> std::result::Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut doc = String::new();
    let flush = |doc: &mut String, out: &mut String| -> std::result::Result<(), String> {
        if doc.contains("kustomize.toolkit.fluxcd.io/substitute: disabled") {
            out.push_str(doc);
        } else {
            out.push_str(&substitute(doc, vars)?);
        }
        doc.clear();
        Ok(())
    };
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "---" {
            flush(&mut doc, &mut out)?;
            out.push_str(line);
        } else {
            doc.push_str(line);
        }
    }
    flush(&mut doc, &mut out)?;
    Ok(out)
}

fn helm(
    root: &Path,
    chart: &Path,
    h: &Helm,
    namespace: &str,
    tools: &Tools,
) -> std::result::Result<Vec<u8>, String> {
    let mut args: Vec<OsString> = Vec::new();
    if h.include_crds {
        args.push("--include-crds".into());
    }
    for f in &h.value_files {
        args.push("--values".into());
        args.push(root.join(f).into());
    }
    for (i, values) in h.values.iter().enumerate() {
        let file = root.join(format!(".kdrift-values-{i}.json"));
        std::fs::write(&file, serde_json::to_vec(values).unwrap_or_default())
            .map_err(|e| format!("writing inline values: {e}"))?;
        args.push("--values".into());
        args.push(file.into());
    }
    for (name, value, string) in &h.set {
        args.push(if *string { "--set-string" } else { "--set" }.into());
        args.push(format!("{name}={value}").into());
    }
    helm_template(tools, root, &h.release, chart, namespace, args)
}
