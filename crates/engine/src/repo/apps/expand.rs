//! From the path's own manifests to apps: definitions found there are built, definitions their
//! builds hold are built too (app of apps), each once. What the path holds below an app's
//! directory is that app's, so it is read only through the app.

use super::{AppDef, Context, MAX_APPS, Remotes, Tool, build_app, definitions, not_built};
use crate::config::AppConfig;
use crate::model::ManifestError;
use crate::repo::cache::ReadCache;
use crate::repo::error::Result;
use crate::repo::manifests::Parsed;
use crate::repo::render::{RenderOptions, Tools, is_under};
use crate::repo::tree_index::TreeIndex;
use serde::Serialize;
use std::cell::OnceCell;
use std::collections::{BTreeSet, VecDeque};

/// An app as the header, `--app` and JSON name it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppInfo {
    pub name: String,
    pub namespace: String,
    pub tool: &'static str,
    pub defined_in: String,
    /// The repo directory it renders; `None` when it is not rendered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Why it is not rendered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_rendered: Option<String>,
}

/// Builds the apps `parsed` (the path's own files and renders) declares, replacing what the path
/// holds under their directories; returns the apps and the notes of those not rendered.
#[allow(clippy::too_many_arguments)]
pub fn expand(
    repo: &gix::Repository,
    index: &TreeIndex,
    top: gix::ObjectId,
    parsed: &mut Vec<Parsed>,
    default_namespace: &str,
    by_hand: &[AppConfig],
    options: &RenderOptions,
    cache: &mut ReadCache,
) -> Result<(Vec<AppInfo>, Vec<ManifestError>)> {
    let remotes = Remotes::of(repo);
    let read = |p: &str| -> Option<Vec<u8>> {
        let e = index.get(p)?;
        Some(repo.find_object(e.oid).ok()?.data.clone())
    };
    let mut cx = Context {
        index,
        remotes: &remotes,
        git_repositories: Default::default(),
        default_namespace,
        read: &read,
    };
    let mut queue: VecDeque<AppDef> = by_hand
        .iter()
        .map(|a| super::by_hand::definition(a, &cx))
        .collect();
    for (objects, _) in parsed.iter() {
        cx.learn_sources(objects);
    }
    for (objects, _) in parsed.iter() {
        queue.extend(definitions(objects, &cx));
    }
    if queue.is_empty() {
        return Ok((vec![], vec![]));
    }
    let tools = OnceCell::new();
    let tools = || tools.get_or_init(Tools::detect).clone();
    let mut seen: BTreeSet<(Tool, String, String)> = BTreeSet::new();
    let mut apps = Vec::new();
    let mut notes = Vec::new();
    let mut built: Vec<Parsed> = Vec::new();
    let mut claimed: Vec<String> = Vec::new();
    while let Some(def) = queue.pop_front() {
        if !seen.insert((def.tool, def.namespace.clone(), def.name.clone())) {
            continue;
        }
        claimed.extend(def.claims.clone());
        if apps.len() == MAX_APPS {
            notes.push(ManifestError {
                source: def.defined_in.clone(),
                message: format!(
                    "more than {MAX_APPS} apps: {} and later ones are not rendered",
                    def.name
                ),
                ..ManifestError::default()
            });
            break;
        }
        match &def.build {
            Err(why) => {
                notes.push(not_built(&def, why));
                apps.push(AppInfo {
                    name: def.name.clone(),
                    namespace: def.namespace.clone(),
                    tool: def.tool.label(),
                    defined_in: def.defined_in.clone(),
                    path: None,
                    not_rendered: Some(why.clone()),
                });
            }
            Ok(b) => {
                let out = build_app(repo, index, top, &def, b, &tools, options, cache)?;
                cx.learn_sources(&out.0);
                queue.extend(definitions(&out.0, &cx));
                apps.push(AppInfo {
                    name: def.name.clone(),
                    namespace: def.namespace.clone(),
                    tool: def.tool.label(),
                    defined_in: def.defined_in.clone(),
                    path: Some(b.dir.clone()),
                    not_rendered: None,
                });
                built.push(out);
            }
        }
    }
    for (objects, errors) in parsed.iter_mut() {
        objects.retain(|d| !claimed.iter().any(|c| is_under(&d.source, c)));
        errors.retain(|e| !claimed.iter().any(|c| is_under(&e.source, c)));
    }
    parsed.extend(built);
    Ok((apps, notes))
}
