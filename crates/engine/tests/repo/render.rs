//! Rendering as a GitOps controller would: kustomize overlays, Helm charts and plain files side by
//! side, read from a commit (not the worktree). kustomize comes from `kubectl kustomize` and helm
//! from the test control plane's tools (`KDRIFT_KUBECTL`, `KDRIFT_HELM` in its env file).

use kdrift_engine::model::ResourceKey;
use kdrift_engine::repo::{ReadCache, ReadOptions, RenderOptions, Snapshot, read_snapshot_with};
use kdrift_testkit::git::{commit_all, git, write_files};
use kdrift_testkit::layouts::{layout_repo, render_files};
use std::path::Path;

pub(crate) fn require_tools() {
    for var in ["KDRIFT_KUBECTL", "KDRIFT_HELM"] {
        let path = std::env::var(var).unwrap_or_else(|_| {
            panic!(
                "{var} is not set: source the test control plane's env (bash scripts/test.sh does)"
            )
        });
        assert!(Path::new(&path).is_file(), "{var}={path} does not exist");
    }
}

fn options(subdir: Option<&str>, ns: &str) -> ReadOptions {
    ReadOptions {
        subdir: subdir.map(str::to_string),
        namespace: Some(ns.into()),
        render: RenderOptions {
            helm_values: vec!["values-prod.yaml".into()],
            ..RenderOptions::default()
        },
        ..ReadOptions::default()
    }
}

fn read(dir: &Path, opts: &ReadOptions, cache: &mut ReadCache) -> Snapshot {
    read_snapshot_with(dir, None, opts, cache).unwrap()
}

fn find<'a>(snap: &'a Snapshot, kind: &str, name: &str) -> &'a kdrift_engine::model::Desired {
    snap.desired
        .iter()
        .find(|d| d.key.kind == kind && d.key.name.starts_with(name))
        .unwrap_or_else(|| panic!("no {kind} {name}* in {:?}", keys(snap)))
}

fn keys(snap: &Snapshot) -> Vec<String> {
    snap.desired.iter().map(|d| d.key.to_string()).collect()
}

#[test]
fn overlays_and_charts_render_once_each_beside_plain_files() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &render_files("shop"));
    commit_all(dir.path(), "kustomize overlay, helm chart, plain namespace");
    // the worktree is not what is read: a stray uncommitted edit must not show
    std::fs::write(
        dir.path().join("charts/web/values-prod.yaml"),
        "replicas: 9\n",
    )
    .unwrap();

    let snap = read(
        dir.path(),
        &options(None, "shop"),
        &mut ReadCache::default(),
    );
    assert!(snap.errors.is_empty(), "{:?}", snap.errors);
    let api = find(&snap, "Deployment", "prod-api");
    assert_eq!(
        api.manifest.tree()["spec"]["replicas"],
        3,
        "the overlay's replicas"
    );
    assert_eq!(api.key.namespace.as_deref(), Some("shop"));
    assert_eq!(api.source, "apps/overlays/prod/kustomization.yaml");
    let settings = find(&snap, "ConfigMap", "prod-settings-");
    assert_ne!(
        settings.key.name, "prod-settings",
        "generator hash suffix kept"
    );
    let web = find(&snap, "Deployment", "web");
    assert_eq!(
        web.manifest.tree()["spec"]["replicas"],
        2,
        "values-prod.yaml applied"
    );
    assert_eq!(web.source, "charts/web/Chart.yaml");
    assert_eq!(web.key.namespace.as_deref(), Some("shop"));
    find(&snap, "Service", "web");
    find(&snap, "Namespace", "shop");
    // the base is rendered only through the overlay; chart templates and tests are not manifests
    assert_eq!(
        snap.desired.len(),
        6,
        "prod-api, prod-api-config, prod-settings, web Deployment+Service, Namespace: {:?}",
        keys(&snap)
    );
}

#[test]
fn path_pointing_at_an_overlay_renders_just_it() {
    require_tools();
    let dir = layout_repo("shop");
    let snap = read(
        dir.path(),
        &options(Some("apps/overlays/prod"), "shop"),
        &mut ReadCache::default(),
    );
    assert!(snap.errors.is_empty(), "{:?}", snap.errors);
    assert_eq!(snap.desired.len(), 3, "{:?}", keys(&snap));
    find(&snap, "Deployment", "prod-api");
}

#[test]
fn a_broken_render_is_an_error_row_for_that_directory_and_the_rest_still_compares() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let mut files = render_files("shop");
    files.push((
        "apps/overlays/prod/kustomization.yaml",
        "resources:\n  - ../../nowhere\n".into(),
    ));
    files.retain(|(p, t)| *p != "apps/overlays/prod/kustomization.yaml" || t.contains("nowhere"));
    files.push((
        "charts/web/templates/broken.yaml",
        "{{ .Values.missing.field }}\n".into(),
    ));
    write_files(dir.path(), &files);
    commit_all(dir.path(), "broken overlay and chart");
    let snap = read(
        dir.path(),
        &options(None, "shop"),
        &mut ReadCache::default(),
    );
    let sources: Vec<_> = snap.errors.iter().map(|e| e.source.as_str()).collect();
    assert!(
        sources.contains(&"apps/overlays/prod/kustomization.yaml"),
        "{:?}",
        snap.errors
    );
    assert!(
        sources.contains(&"charts/web/Chart.yaml"),
        "{:?}",
        snap.errors
    );
    let kustomize = snap
        .errors
        .iter()
        .find(|e| e.source.starts_with("apps"))
        .unwrap();
    assert!(
        kustomize.message.contains("kubectl kustomize failed"),
        "{kustomize:?}"
    );
    assert!(
        !kustomize.message.contains("kdrift-render-"),
        "{kustomize:?}"
    );
    assert!(kustomize.message.contains("apps/nowhere"), "{kustomize:?}");
    find(&snap, "Namespace", "shop");
}

#[test]
fn a_new_commit_re_renders_only_what_it_touched() {
    require_tools();
    let dir = layout_repo("shop");
    let opts = options(None, "shop");
    let mut cache = ReadCache::default();
    let first = read(dir.path(), &opts, &mut cache);
    assert_eq!(cache.len(), (1, 2), "one plain file and two renders cached");

    // a change in the base flows through the overlay that includes it
    write_files(
        dir.path(),
        &[(
            "apps/base/configmap.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api-config\ndata:\n  greeting: bonjour\n".into(),
        )],
    );
    commit_all(dir.path(), "greet in french");
    let second = read(dir.path(), &opts, &mut cache);
    assert_ne!(first.commit.id, second.commit.id);
    assert_eq!(
        find(&second, "ConfigMap", "prod-api-config")
            .manifest
            .tree()["data"]["greeting"],
        "bonjour"
    );
    assert_eq!(
        cache.len(),
        (1, 2),
        "only what the latest commit uses is kept"
    );
    // untouched: the chart's render and the plain file come from the cache (the very same objects);
    // the overlay, whose base changed, was rendered again
    let same = |kind: &str, name: &str| {
        kdrift_engine::manifest::Manifest::same(
            &find(&first, kind, name).manifest,
            &find(&second, kind, name).manifest,
        )
    };
    assert!(
        same("Deployment", "web"),
        "the chart was not rendered again"
    );
    assert!(
        same("Namespace", "shop"),
        "the plain file was not parsed again"
    );
    assert!(
        !same("Deployment", "prod-api"),
        "the overlay was rendered again"
    );
    // the same answer as a read without any cache
    let fresh = read(dir.path(), &opts, &mut ReadCache::default());
    assert_eq!(keys(&fresh), keys(&second));
    for (a, b) in fresh.desired.iter().zip(&second.desired) {
        assert_eq!(a.manifest, b.manifest, "{}", a.key);
    }
}

#[test]
fn history_of_a_rendered_object_follows_its_inputs() {
    require_tools();
    let dir = layout_repo("shop");
    write_files(
        dir.path(),
        &[("charts/web/values-prod.yaml", "replicas: 5\n".into())],
    );
    commit_all(dir.path(), "web: 5 replicas in prod");
    write_files(
        dir.path(),
        &[(
            "plain/other.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n".into(),
        )],
    );
    commit_all(dir.path(), "unrelated");
    let opts = options(None, "shop");
    let key = ResourceKey::from(kdrift_engine::model::KeyParts {
        namespace: Some("shop".into()),
        kind: "Deployment".into(),
        name: "web".into(),
        group: "apps".into(),
        version: "v1".into(),
    });
    let history =
        kdrift_engine::repo::object_history(dir.path(), None, &key, "charts/web/Chart.yaml", &opts)
            .unwrap();
    let subjects: Vec<_> = history
        .iter()
        .map(|h| (h.commit.subject.as_str(), h.change))
        .collect();
    assert_eq!(
        subjects,
        [("web: 5 replicas in prod", "changed"), ("layout", "added")]
    );
    let text: Vec<_> = history[0].diff.iter().map(|l| l.text.as_str()).collect();
    assert!(text.iter().any(|l| l.contains("replicas: 5")), "{text:?}");
    let _ = git(dir.path(), &["log", "--oneline"]);
}
