//! Apps from the repo's own Argo CD and Flux definitions, rendered as those tools render them:
//! release names, values, destination and target namespaces, kustomize options, patches and
//! substitutions, app of apps; what cannot be rendered from the repo is a note naming why.

use crate::render::require_tools;
use kdrift_engine::model::Desired;
use kdrift_engine::repo::{ReadCache, ReadOptions, Snapshot, read_snapshot_with};
use kdrift_testkit::git::{commit_all, write_files};
use kdrift_testkit::gitops::{ARGO_REPO_URL, FLUX_REPO_URL, argo_files, flux_files, gitops_repo};
use std::path::Path;

fn read(dir: &Path, app: Option<&str>) -> Snapshot {
    let options = ReadOptions {
        app: app.map(str::to_string),
        ..ReadOptions::default()
    };
    read_snapshot_with(dir, None, &options, &mut ReadCache::default()).unwrap()
}

fn object<'a>(snap: &'a Snapshot, kind: &str, ns: &str, name: &str) -> &'a Desired {
    snap.desired
        .iter()
        .find(|d| {
            d.key.kind == kind && d.key.name == name && d.key.namespace.as_deref() == Some(ns)
        })
        .unwrap_or_else(|| panic!("no {kind} {ns}/{name} in {:?}", listing(snap)))
}

fn listing(snap: &Snapshot) -> Vec<String> {
    snap.desired
        .iter()
        .map(|d| format!("{} ({})", d.key, d.app.as_deref().unwrap_or("-")))
        .collect()
}

fn app_of(d: &Desired) -> &str {
    d.app.as_deref().unwrap_or("-")
}

#[test]
fn argo_cd_applications_render_with_their_release_names_values_and_namespaces() {
    require_tools();
    let repo = gitops_repo(&argo_files(""), ARGO_REPO_URL);
    let snap = read(repo.path(), None);
    assert!(snap.errors.is_empty(), "{:?}", snap.errors);
    let names: Vec<(&str, bool)> = snap
        .apps
        .iter()
        .map(|a| (a.name.as_str(), a.path.is_some()))
        .collect();
    assert_eq!(
        names,
        [
            ("root", true),
            ("cert-manager", false),
            ("guestbook", true),
            ("shop", true),
            ("web", true)
        ]
    );
    // a plain directory, on its own level only (Argo CD does not recurse unless told to)
    let ui = object(&snap, "Deployment", "guestbook", "guestbook-ui");
    assert_eq!(app_of(ui), "guestbook");
    object(&snap, "Service", "guestbook", "guestbook-ui");
    assert!(
        !snap.desired.iter().any(|d| d.key.name == "smoke"),
        "apps/guestbook/tests is not part of the app: {:?}",
        listing(&snap)
    );
    // kustomize with the Application's options laid over the overlay
    let api = object(&snap, "Deployment", "shop", "api");
    assert_eq!(app_of(api), "shop");
    assert_eq!(api.manifest.tree()["spec"]["replicas"], 3);
    assert_eq!(api.manifest.tree()["metadata"]["labels"]["team"], "shop");
    assert_eq!(
        api.manifest.tree()["spec"]["template"]["spec"]["containers"][0]["image"],
        "registry.example/api:1.1"
    );
    // the chart under its release name, values file then inline values
    let web = object(&snap, "Deployment", "web", "web-prod");
    assert_eq!(app_of(web), "web");
    assert_eq!(web.manifest.tree()["spec"]["replicas"], 2);
    let settings = object(&snap, "ConfigMap", "web", "web-prod-settings");
    assert_eq!(settings.manifest.tree()["data"]["greeting"], "hi");
    // the child Applications belong to the app of apps; the root is the path's own
    assert_eq!(
        app_of(object(&snap, "Application", "argocd", "web")),
        "root"
    );
    assert_eq!(app_of(object(&snap, "Application", "argocd", "root")), "-");
    // a chart from a Helm repository is a note, never a guess
    let note = snap
        .notes
        .iter()
        .find(|n| n.app.as_deref() == Some("cert-manager"))
        .unwrap_or_else(|| panic!("{:?}", snap.notes));
    assert_eq!(note.source, "argocd/apps/cert-manager.yaml");
    assert!(
        note.message.contains("https://charts.jetstack.io"),
        "{}",
        note.message
    );
    assert_eq!(snap.desired.len(), 11, "{:?}", listing(&snap));
}

#[test]
fn flux_kustomizations_and_helm_releases_render_as_flux_would() {
    require_tools();
    let repo = gitops_repo(&flux_files(""), FLUX_REPO_URL);
    let snap = read(repo.path(), None);
    assert!(snap.errors.is_empty(), "{:?}", snap.errors);
    let names: Vec<&str> = snap.apps.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["apps", "ingress-nginx", "redis", "flux-system"]);
    // a generated kustomization, the target namespace, the patch and the substitutions
    let podinfo = object(&snap, "Deployment", "podinfo", "podinfo");
    assert_eq!(app_of(podinfo), "apps");
    assert_eq!(
        podinfo.manifest.tree()["spec"]["replicas"],
        2,
        "a number, as Flux's YAML gives"
    );
    assert_eq!(
        podinfo.manifest.tree()["metadata"]["labels"]["cluster"],
        "prod"
    );
    let settings = object(&snap, "ConfigMap", "podinfo", "podinfo-settings");
    assert_eq!(
        settings.manifest.tree()["metadata"]["annotations"]["owner"],
        "platform"
    );
    assert_eq!(settings.manifest.tree()["data"]["region"], "eu-west-1");
    assert_eq!(settings.manifest.tree()["data"]["motd"], "echo ${HOME}");
    let script = object(&snap, "ConfigMap", "podinfo", "podinfo-script");
    assert_eq!(
        script.manifest.tree()["data"]["run.sh"],
        "echo ${HOME}",
        "opted out"
    );
    // the chart as the release `[targetNamespace-]name`
    let redis = object(&snap, "Deployment", "cache", "cache-redis");
    assert_eq!(app_of(redis), "redis");
    assert_eq!(redis.manifest.tree()["spec"]["replicas"], 3);
    let config = object(&snap, "ConfigMap", "cache", "cache-redis-config");
    assert_eq!(config.manifest.tree()["data"]["maxmemory"], "64mb");
    // flux-system renders clusters/prod: the definitions themselves and the GitRepository
    assert_eq!(
        app_of(object(&snap, "GitRepository", "flux-system", "flux-system")),
        "flux-system"
    );
    assert_eq!(
        app_of(object(&snap, "HelmRelease", "flux-system", "redis")),
        "flux-system"
    );
    assert!(
        snap.notes
            .iter()
            .any(|n| n.app.as_deref() == Some("ingress-nginx")
                && n.message.contains("HelmRepository")),
        "{:?}",
        snap.notes
    );
    assert_eq!(snap.desired.len(), 10, "{:?}", listing(&snap));
}

#[test]
fn app_selects_one_app_and_an_unknown_name_lists_the_apps() {
    require_tools();
    let repo = gitops_repo(&argo_files(""), ARGO_REPO_URL);
    let snap = read(repo.path(), Some("web"));
    assert!(snap.errors.is_empty(), "{:?}", snap.errors);
    assert!(snap.notes.is_empty(), "{:?}", snap.notes);
    let keys: Vec<String> = snap.desired.iter().map(|d| d.key.to_string()).collect();
    assert_eq!(snap.desired.len(), 2, "{keys:?}");
    assert!(snap.desired.iter().all(|d| app_of(d) == "web"));
    let snap = read(repo.path(), Some("argocd/shop"));
    assert!(snap.desired.iter().all(|d| app_of(d) == "shop") && !snap.desired.is_empty());
    let snap = read(repo.path(), Some("nope"));
    assert!(snap.desired.is_empty());
    let e = &snap.errors[0];
    assert_eq!(e.source, "--app");
    assert!(
        e.message
            .contains("root, cert-manager, guestbook, shop, web"),
        "{}",
        e.message
    );
}

#[test]
fn a_definition_of_another_repository_is_a_note_and_its_files_stay_the_paths() {
    require_tools();
    let mut files = flux_files("");
    for (path, text) in &mut files {
        if *path == "clusters/prod/flux-system/gotk-sync.yaml" {
            *text = text.replace("example/fleet", "example/someone-else");
        }
    }
    let repo = gitops_repo(&files, FLUX_REPO_URL);
    let snap = read(repo.path(), None);
    assert!(
        snap.apps.iter().all(|a| a.path.is_none()),
        "{:?}",
        snap.apps
    );
    let note = &snap.notes[0];
    assert!(note.message.contains("someone-else"), "{}", note.message);
    // nothing rendered as an app: the path's files are read as they are
    assert!(snap.desired.iter().all(|d| d.app.is_none()));
    // a broken build names its app and file
    let mut files = argo_files("");
    files.push((
        "apps/shop/overlays/prod/kustomization.yaml",
        "resources:\n  - ../../missing\n".into(),
    ));
    let dir = gitops_repo(&argo_files(""), ARGO_REPO_URL);
    write_files(dir.path(), &files[files.len() - 1..]);
    commit_all(dir.path(), "a broken overlay");
    let snap = read(dir.path(), None);
    let e = snap
        .errors
        .iter()
        .find(|e| e.app.as_deref() == Some("shop"))
        .unwrap_or_else(|| panic!("{:?}", snap.errors));
    assert!(
        e.message.contains("Argo CD Application shop"),
        "{}",
        e.message
    );
    assert!(
        snap.desired.iter().any(|d| app_of(d) == "web"),
        "the other apps still render"
    );
}

#[test]
fn kdrift_toml_declares_apps_by_hand_and_a_bad_one_names_its_line_and_key() {
    require_tools();
    // the Argo CD layout's charts and directories, without its Applications
    let mut files: Vec<(&str, String)> = argo_files("")
        .into_iter()
        .filter(|(p, _)| !p.starts_with("argocd/"))
        .collect();
    files.push((
        ".kdrift.toml",
        "[[app]]\nname = \"web\"\npath = \"charts/web\"\nrelease = \"web-prod\"\nnamespace = \"web\"\nvalues = [\"values-prod.yaml\"]\n\n[[app]]\nname = \"guestbook\"\npath = \"apps/guestbook\"\nnamespace = \"guestbook\"\nrecurse = false\n".into(),
    ));
    let repo = gitops_repo(&files, ARGO_REPO_URL);
    let snap = read(repo.path(), None);
    assert!(snap.errors.is_empty(), "{:?}", snap.errors);
    let web = object(&snap, "Deployment", "web", "web-prod");
    assert_eq!(app_of(web), "web");
    assert_eq!(web.manifest.tree()["spec"]["replicas"], 2);
    assert_eq!(
        app_of(object(&snap, "Service", "guestbook", "guestbook-ui")),
        "guestbook"
    );
    assert!(!snap.desired.iter().any(|d| d.key.name == "smoke"));
    // what no app claims is read as before, in the default namespace
    assert_eq!(app_of(object(&snap, "Deployment", "default", "api")), "-");
    let tools: Vec<&str> = snap.apps.iter().map(|a| a.tool).collect();
    assert_eq!(tools, [".kdrift.toml app", ".kdrift.toml app"]);

    write_files(
        repo.path(),
        &[(
            ".kdrift.toml",
            "[[app]]\nname = \"web\"\npath = \"charts/web\"\nchart = \"web\"\n".into(),
        )],
    );
    commit_all(repo.path(), "a key kdrift does not know");
    let snap = read(repo.path(), None);
    let e = snap
        .errors
        .iter()
        .find(|e| e.source == ".kdrift.toml")
        .unwrap_or_else(|| panic!("{:?}", snap.errors));
    assert_eq!(e.line, Some(4));
    assert!(e.message.contains("unknown field `chart`"), "{}", e.message);
    assert!(snap.apps.is_empty(), "nothing of a bad file is used");
}
