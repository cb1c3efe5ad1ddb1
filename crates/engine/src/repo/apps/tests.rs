//! Definitions read from the objects as Argo CD and Flux read them.

use super::*;
use crate::model::ResourceKey;
use serde_json::json;

fn index(dirs: &[&str], files: &[&str]) -> TreeIndex {
    TreeIndex::for_tests(dirs, files)
}

fn desired(v: Value) -> Desired {
    Desired {
        key: ResourceKey::from_object(&v).unwrap(),
        manifest: v.into(),
        source: "defs.yaml".into(),
        app: None,
    }
}

fn one(objects: &[Value], ix: &TreeIndex, remotes: &Remotes) -> AppDef {
    let objects: Vec<Desired> = objects.iter().cloned().map(desired).collect();
    let mut cx = Context {
        index: ix,
        remotes,
        git_repositories: Default::default(),
        default_namespace: "default",
        read: &|_| None,
    };
    cx.learn_sources(&objects);
    let mut defs = definitions(&objects, &cx);
    assert_eq!(defs.len(), 1, "{defs:?}");
    defs.remove(0)
}

fn argo(name: &str, source: Value) -> Value {
    json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": name, "namespace": "argocd"},
        "spec": {"source": source, "destination": {"server": "https://kubernetes.default.svc", "namespace": "web"}}})
}

#[test]
fn argo_cd_helm_app_takes_its_release_name_values_and_destination() {
    let ix = index(
        &["charts", "charts/web"],
        &["charts/web/Chart.yaml", "charts/web/values-prod.yaml"],
    );
    let remotes = Remotes::from_urls(&["git@github.com:example/platform.git".into()]);
    let def = one(
        &[argo(
            "web",
            json!({"repoURL": "https://github.com/example/platform", "path": "charts/web",
            "helm": {"releaseName": "web-prod", "valueFiles": ["values-prod.yaml"], "values": "replicas: 2\n",
                     "parameters": [{"name": "image.tag", "value": "1.2"}]}}),
        )],
        &ix,
        &remotes,
    );
    let b = def.build.unwrap();
    assert_eq!(b.dir, "charts/web");
    assert_eq!(b.namespace, "web");
    let How::Helm(h) = b.how else {
        panic!("{:?}", b.how)
    };
    assert_eq!(h.release, "web-prod");
    assert_eq!(h.value_files, ["charts/web/values-prod.yaml"]);
    assert_eq!(h.values, [json!({"replicas": 2})]);
    assert_eq!(h.set, [("image.tag".to_string(), "1.2".to_string(), false)]);
    assert!(h.include_crds);
}

#[test]
fn argo_cd_apps_kdrift_cannot_render_say_why() {
    let ix = index(&["apps"], &["apps/a.yaml"]);
    let remotes = Remotes::from_urls(&["https://github.com/example/platform".into()]);
    let why = |source: Value| one(&[argo("x", source)], &ix, &remotes).build.unwrap_err();
    assert!(
        why(json!({"repoURL": "https://charts.jetstack.io", "chart": "cert-manager"}))
            .contains("cert-manager")
    );
    assert!(
        why(json!({"repoURL": "https://github.com/example/other", "path": "apps"}))
            .contains("another repository")
    );
    assert!(
        why(json!({"repoURL": "https://github.com/example/platform", "path": "nowhere"}))
            .contains("does not exist")
    );
    assert!(
        why(json!({"repoURL": "https://github.com/example/platform", "path": "../up"}))
            .contains("outside")
    );
    // a plain directory is read on its own level unless Argo CD is told to recurse
    let def = one(
        &[argo(
            "x",
            json!({"repoURL": "https://github.com/example/platform", "path": "apps"}),
        )],
        &ix,
        &remotes,
    );
    assert_eq!(def.build.unwrap().how, How::Directory { recurse: false });
}

#[test]
fn flux_kustomization_reads_target_namespace_patches_and_substitutions() {
    let ix = index(&["apps", "apps/prod"], &["apps/prod/deploy.yaml"]);
    let remotes = Remotes::from_urls(&["ssh://git@github.com/example/fleet".into()]);
    let ks = json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
        "metadata": {"name": "apps", "namespace": "flux-system"},
        "spec": {"path": "./apps/prod", "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
                 "targetNamespace": "podinfo", "patches": [{"patch": "x", "target": {"kind": "Deployment"}}],
                 "postBuild": {"substitute": {"cluster": "prod", "replicas": 2}}}});
    let repo = json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
        "metadata": {"name": "flux-system", "namespace": "flux-system"},
        "spec": {"url": "https://github.com/example/fleet.git"}});
    let def = one(&[ks.clone(), repo], &ix, &remotes);
    let b = def.build.unwrap();
    assert_eq!(
        (b.dir.as_str(), b.namespace.as_str()),
        ("apps/prod", "podinfo")
    );
    let How::Kustomize { edits, generate } = b.how else {
        panic!()
    };
    assert!(generate, "no kustomization.yaml: Flux writes one");
    assert_eq!(edits.namespace.as_deref(), Some("podinfo"));
    assert_eq!(edits.patches.len(), 1);
    let vars = b.substitute.unwrap();
    assert_eq!(vars["replicas"], "2");
    // the same Kustomization from another repository's GitRepository is not this repo's app
    let other = json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
        "metadata": {"name": "flux-system", "namespace": "flux-system"},
        "spec": {"url": "https://github.com/example/elsewhere"}});
    let why = one(&[ks, other], &ix, &remotes).build.unwrap_err();
    assert!(why.contains("elsewhere"), "{why}");
}

#[test]
fn flux_helm_release_defaults_its_release_name_to_target_namespace_and_name() {
    let ix = index(
        &["charts", "charts/redis"],
        &["charts/redis/Chart.yaml", "values/prod.yaml"],
    );
    let remotes = Remotes::default();
    let hr = |chart: Value| {
        json!({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
        "metadata": {"name": "redis", "namespace": "flux-system"},
        "spec": {"targetNamespace": "cache", "chart": {"spec": chart}, "values": {"replicas": 2}}})
    };
    let def = one(
        &[hr(
            json!({"chart": "./charts/redis", "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
            "valuesFiles": ["values/prod.yaml"]}),
        )],
        &ix,
        &remotes,
    );
    let b = def.build.unwrap();
    assert_eq!(b.namespace, "cache");
    let How::Helm(h) = b.how else { panic!() };
    assert_eq!(h.release, "cache-redis");
    assert_eq!(h.value_files, ["values/prod.yaml"]);
    assert_eq!(h.values, [json!({"replicas": 2})]);
    let why = one(
        &[hr(
            json!({"chart": "redis", "sourceRef": {"kind": "HelmRepository", "name": "bitnami"}}),
        )],
        &ix,
        &remotes,
    )
    .build
    .unwrap_err();
    assert!(why.contains("HelmRepository"), "{why}");
}

#[test]
fn jsonnet_and_unvendored_chart_dependencies_are_not_guessed() {
    let remotes = Remotes::default();
    let ix = index(&["dash"], &["dash/board.jsonnet"]);
    let why = one(
        &[argo("d", json!({"repoURL": "https://x/y", "path": "dash"}))],
        &ix,
        &remotes,
    )
    .build
    .unwrap_err();
    assert!(why.contains("jsonnet"), "{why}");
    let ix = index(
        &["wp", "wp/charts"],
        &["wp/Chart.yaml", "wp/charts/mariadb-11.0.0.tgz"],
    );
    let chart = "apiVersion: v2\nname: wp\nversion: 1.0.0\ndependencies:\n  - name: mariadb\n    repository: https://charts.example\n  - name: memcached\n    repository: https://charts.example\n";
    let read = |p: &str| (p == "wp/Chart.yaml").then(|| chart.as_bytes().to_vec());
    let objects = [desired(argo(
        "wp",
        json!({"repoURL": "https://x/y", "path": "wp"}),
    ))];
    let cx = Context {
        index: &ix,
        remotes: &remotes,
        git_repositories: Default::default(),
        default_namespace: "default",
        read: &read,
    };
    let why = definitions(&objects, &cx).remove(0).build.unwrap_err();
    assert!(
        why.contains("memcached") && !why.contains("mariadb"),
        "{why}"
    );
}
