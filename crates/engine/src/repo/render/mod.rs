//! Renders kustomizations and Helm charts the way a GitOps controller would, on an export of the
//! commit's tree in a temp dir (never the user's worktree).

mod roots;
mod tools;

pub(crate) use roots::kustomize_inputs;
pub use roots::{
    KUSTOMIZATION_FILES, Layout, RenderRoot, Renderer, find_roots, fingerprint, is_under,
    renderer_file,
};
pub use tools::Tools;
pub(crate) use tools::{helm_template, run as run_tool};

use super::error::{GitContext, Result};
use super::manifests::{MAX_FILE_BYTES, Parsed, parse_file};
use super::tree_index::{EntryKind, LinkTarget, TreeIndex};
use crate::model::ManifestError;
use std::ffi::OsString;
use std::path::Path;

/// How charts are rendered: values files (relative to each chart) applied when the chart has them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RenderOptions {
    pub helm_values: Vec<String>,
    /// Let kustomize fetch remote bases (`--allow-remote-bases`); refused otherwise.
    pub allow_remote: bool,
}

/// Writes the files of `dirs` (blobs, and symlinks that stay inside the tree) below `dest`.
pub fn export(
    repo: &gix::Repository,
    index: &TreeIndex,
    dirs: &[String],
    dest: &Path,
) -> Result<()> {
    for path in &index.paths {
        if !dirs.iter().any(|d| is_under(path, d)) {
            continue;
        }
        let Some(entry) = index.get(path) else {
            continue;
        };
        let oid = match entry.kind {
            EntryKind::Blob => entry.oid,
            EntryKind::Link => {
                match index.follow_link(path, |oid| {
                    Ok(repo.find_object(oid).git("reading a symlink")?.data.clone())
                }) {
                    LinkTarget::Blob { oid, .. } => oid,
                    LinkTarget::Refused(_) => continue,
                }
            }
            EntryKind::Tree | EntryKind::Submodule => continue,
        };
        if repo.find_header(oid).git("reading a file's size")?.size() as usize > MAX_FILE_BYTES {
            continue;
        }
        // the index holds only checked names; still, nothing is written that is not below `dest`
        let target = dest.join(path);
        let inside = Path::new(path)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        if !inside || !target.starts_with(dest) {
            continue;
        }
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir).git_with(|| format!("creating {}", dir.display()))?;
        }
        let blob = repo.find_object(oid).git("reading a file")?;
        std::fs::write(&target, &blob.data).git_with(|| format!("writing {}", target.display()))?;
    }
    Ok(())
}

/// Renders one root from an export at `tree_dir` and parses what the tool printed. Every object
/// and error names the root's kustomization or Chart.yaml as its source.
pub fn render_root(
    tree_dir: &Path,
    root: &RenderRoot,
    tools: &Tools,
    options: &RenderOptions,
    namespace: &str,
) -> Parsed {
    let error = |message: String| {
        (
            vec![],
            vec![ManifestError {
                source: root.file.clone(),
                line: None,
                message,
                object: None,
                app: None,
            }],
        )
    };
    let dir = tree_dir.join(&root.dir);
    let output = match root.renderer {
        Renderer::Kustomize => {
            let Some((program, lead)) = &tools.kustomize else {
                return error(
                    "cannot render: neither `kustomize` nor `kubectl` is on PATH (or set KDRIFT_KUSTOMIZE)"
                        .into(),
                );
            };
            let mut args: Vec<OsString> = lead.iter().map(OsString::from).collect();
            args.push(dir.clone().into());
            let label = match program.file_name().and_then(|n| n.to_str()) {
                Some("kubectl") => "kubectl kustomize",
                _ => "kustomize build",
            };
            tools::run(label, program, &args, tree_dir, &[])
        }
        Renderer::Helm => {
            let mut values: Vec<OsString> = Vec::new();
            for file in &options.helm_values {
                let file = dir.join(file);
                if file.is_file() {
                    values.push("--values".into());
                    values.push(file.into());
                }
            }
            helm_template(
                tools,
                tree_dir,
                &release_name(&root.dir),
                &dir,
                namespace,
                values,
            )
        }
    };
    match output {
        Ok(bytes) => {
            let (objects, mut errors) = parse_file(&root.file, &bytes, namespace);
            for e in &mut errors {
                if let Some(line) = e.line.take() {
                    e.message =
                        format!("{} output line {line}: {}", root.renderer.name(), e.message);
                }
            }
            (objects, errors)
        }
        // paths in the tool's message are the export's: show them as repo paths
        Err(message) => error(message.replace(&format!("{}/", tree_dir.display()), "")),
    }
}

/// Helm release names are DNS labels; the chart's directory name is the natural one.
fn release_name(dir: &str) -> String {
    let base = dir.rsplit('/').next().unwrap_or_default();
    let name: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .trim_matches('-')
        .chars()
        .take(53)
        .collect();
    if name.is_empty() {
        "release".into()
    } else {
        name
    }
}
