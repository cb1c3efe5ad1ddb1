//! Apps written by hand in `.kdrift.toml` (`[[app]]`), for repos without Argo CD or Flux
//! definitions: a directory, a kustomization or a chart, with its release name and namespace.

use super::{AppDef, Build, Context, Helm, How, Tool};
use crate::config::{AppConfig, AppRenderer};
use crate::repo::read::CONFIG_FILE;
use crate::repo::render::{Renderer, renderer_file};
use crate::repo::tree_index::join_inside;

pub fn definition(app: &AppConfig, cx: &Context<'_>) -> AppDef {
    AppDef {
        name: app.name.clone(),
        namespace: String::new(),
        tool: Tool::Config,
        defined_in: CONFIG_FILE.into(),
        build: build(app, cx),
        claims: join_inside("", &app.path).filter(|d| cx.index.is_dir(d)),
    }
}

fn build(app: &AppConfig, cx: &Context<'_>) -> Result<Build, String> {
    let dir = join_inside("", &app.path)
        .ok_or_else(|| format!("its path {:?} is outside the repository", app.path))?;
    if !cx.index.is_dir(&dir) {
        return Err(format!(
            "its path {:?} does not exist at this commit",
            app.path
        ));
    }
    let found = renderer_file(cx.index, &dir).map(|(_, r)| r);
    let renderer = app.renderer.unwrap_or(match found {
        Some(Renderer::Helm) => AppRenderer::Helm,
        Some(Renderer::Kustomize) => AppRenderer::Kustomize,
        None => AppRenderer::Directory,
    });
    let how = match renderer {
        AppRenderer::Directory => How::Directory {
            recurse: app.recurse,
        },
        AppRenderer::Kustomize => {
            if found != Some(Renderer::Kustomize) {
                return Err(format!("{:?} holds no kustomization", app.path));
            }
            How::Kustomize {
                edits: Box::default(),
                generate: false,
            }
        }
        AppRenderer::Helm => {
            if found != Some(Renderer::Helm) {
                return Err(format!("{:?} holds no Chart.yaml", app.path));
            }
            if let Some(why) = super::missing_dependency(&dir, cx) {
                return Err(why);
            }
            let mut value_files = Vec::new();
            for f in &app.values {
                let file = join_inside(&dir, f)
                    .ok_or_else(|| format!("values file {f:?} is outside the repository"))?;
                if cx.index.get(&file).is_none() {
                    return Err(format!("values file {f:?} does not exist at this commit"));
                }
                value_files.push(file);
            }
            How::Helm(Helm {
                release: app.release.clone().unwrap_or_else(|| app.name.clone()),
                value_files,
                values: vec![],
                set: vec![],
                include_crds: false,
            })
        }
    };
    Ok(Build {
        dir,
        how,
        namespace: app
            .namespace
            .clone()
            .unwrap_or_else(|| cx.default_namespace.to_string()),
        substitute: None,
    })
}
