//! Repos that declare their apps for Argo CD and Flux, deployed on the real control plane the
//! way those tools deploy them (the definitions applied, `helm install RELEASE`, kustomize with
//! the definition's options, Flux's substitutions): `kdrift check` says every app is in sync,
//! names each object's app, `--app` narrows every answer to one app, and a hand edit is drift
//! under its app.

use crate::common::testbed::{Testbed, resource, testbed, unique};
use crate::owners::install_crds;
use kdrift_testkit::gitops::{ARGO_REPO_URL, FLUX_REPO_URL, argo_files, flux_files, gitops_repo};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn helm_install(tb: &Testbed, home: &Path, release: &str, chart: &Path, ns: &str, extra: &[&str]) {
    let helm = std::env::var("KDRIFT_HELM").expect("KDRIFT_HELM from the testbed env");
    let out = Command::new(helm)
        .args(["install", release])
        .arg(chart)
        .args(["--namespace", ns])
        .args(extra)
        .arg("--kubeconfig")
        .arg(&tb.admin)
        .env("HELM_CONFIG_HOME", home.join("helm/config"))
        .env("HELM_CACHE_HOME", home.join("helm/cache"))
        .env("HELM_DATA_HOME", home.join("helm/data"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "helm install {release}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The apps of a check report: name → (rendered, its summary).
fn apps(json: &Value) -> Vec<(String, bool, Value)> {
    json["apps"]
        .as_array()
        .unwrap_or_else(|| panic!("no apps in {json:#}"))
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_string(),
                a["path"].is_string(),
                a["summary"].clone(),
            )
        })
        .collect()
}

fn assert_all_in_sync(json: &Value) {
    for (name, rendered, summary) in apps(json) {
        if !rendered {
            continue;
        }
        assert!(
            summary["in_sync"].as_u64().unwrap() > 0,
            "{name}: {summary}"
        );
        for s in ["modified", "missing", "orphan", "error"] {
            assert_eq!(summary[s], 0, "{name}: {summary}\n{json:#}");
        }
    }
}

#[test]
fn argo_cd_apps_are_in_sync_after_deploying_them_as_argo_cd_does() {
    let (tb, _shared) = testbed();
    install_crds(&tb);
    let p = format!("{}-", unique("argo"));
    let repo = gitops_repo(&argo_files(&p), ARGO_REPO_URL);
    let r = repo.path();
    for ns in ["argocd", "guestbook", "shop", "web"] {
        tb.kubectl(&["create", "namespace", &format!("{p}{ns}")]);
    }
    // the root Application, and what Argo CD's sync of it applies: the child Applications
    tb.kubectl(&["apply", "-f", path(&r.join("argocd/root.yaml"))]);
    tb.kubectl(&["apply", "-f", path(&r.join("argocd/apps"))]);
    // guestbook: the directory's own files (Argo CD does not recurse unless told to)
    let guestbook = format!("{p}guestbook");
    for f in ["deployment.yaml", "service.yaml"] {
        let file = r.join("apps/guestbook").join(f);
        tb.kubectl(&["apply", "-n", &guestbook, "-f", path(&file)]);
    }
    // shop: the overlay with the Application's kustomize options, built by kustomize itself
    // (a kustomization over the overlay, outside the commit)
    let wrapper = r.join(".argo-shop");
    std::fs::create_dir_all(&wrapper).unwrap();
    std::fs::write(
        wrapper.join("kustomization.yaml"),
        "resources:\n  - ../apps/shop/overlays/prod\ncommonLabels:\n  team: shop\nimages:\n  - name: registry.example/api\n    newTag: \"1.1\"\n",
    )
    .unwrap();
    tb.kubectl(&["apply", "-n", &format!("{p}shop"), "-k", path(&wrapper)]);
    // web: `helm install` under the release name, the values file, then the inline values
    let web = format!("{p}web");
    let values = r.join("charts/web/values-prod.yaml");
    let home = tempfile::tempdir().unwrap();
    helm_install(
        &tb,
        home.path(),
        "web-prod",
        &r.join("charts/web"),
        &web,
        &["--values", path(&values), "--set", "greeting=hi"],
    );

    let (code, json, stderr) = tb.check(r, &tb.admin);
    assert_eq!(code, 0, "{json:#}\n{stderr}");
    let names: Vec<(String, bool)> = apps(&json).into_iter().map(|(n, r, _)| (n, r)).collect();
    assert_eq!(
        names,
        [
            ("root".to_string(), true),
            ("cert-manager".to_string(), false),
            ("guestbook".to_string(), true),
            ("shop".to_string(), true),
            ("web".to_string(), true)
        ]
    );
    assert_all_in_sync(&json);
    assert_eq!(resource(&json, "Deployment", "web-prod")["app"], "web");
    assert_eq!(resource(&json, "Deployment", "api")["app"], "shop");
    assert_eq!(
        resource(&json, "Service", "guestbook-ui")["app"],
        "guestbook"
    );
    assert_eq!(resource(&json, "Application", "shop")["app"], "root");
    let skipped = resource(&json, "Manifest", "argocd/apps/cert-manager.yaml");
    assert_eq!(skipped["status"], "skipped", "{skipped:#}");
    assert_eq!(skipped["app"], "cert-manager");

    // `--app` narrows the answer to one app
    let (code, json, stderr) = tb.check_with(r, &tb.admin, &["--app", "web"]);
    assert_eq!(code, 0, "{json:#}\n{stderr}");
    let resources = json["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 2, "{json:#}");
    assert!(resources.iter().all(|o| o["app"] == "web"), "{json:#}");
    assert_eq!(apps(&json).len(), 1);

    // a hand edit is drift of its app, in JSON and in text
    tb.kubectl(&["-n", &web, "scale", "deployment/web-prod", "--replicas=5"]);
    let (code, json, _) = tb.check(r, &tb.admin);
    assert_eq!(code, 1, "{json:#}");
    let drifted = resource(&json, "Deployment", "web-prod");
    assert_eq!(drifted["status"], "modified");
    assert_eq!(drifted["app"], "web");
    let web_app = apps(&json).into_iter().find(|a| a.0 == "web").unwrap();
    assert_eq!(web_app.2["modified"], 1);
    let text = Command::new(env!("CARGO_BIN_EXE_kdrift"))
        .args(["check", "--repo"])
        .arg(r)
        .arg("--kubeconfig")
        .arg(&tb.admin)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Deployment/web-prod  [web]"), "{text}");
    assert!(
        text.contains("app web (Argo CD Application): 1 in sync, 1 modified"),
        "{text}"
    );
    for ns in ["argocd", "guestbook", "shop", "web"] {
        tb.kubectl(&["delete", "namespace", &format!("{p}{ns}"), "--wait=false"]);
    }
}

#[test]
fn flux_apps_are_in_sync_after_deploying_them_as_flux_does() {
    let (tb, _shared) = testbed();
    install_crds(&tb);
    let p = format!("{}-", unique("flux"));
    let repo = gitops_repo(&flux_files(&p), FLUX_REPO_URL);
    let r = repo.path();
    for ns in ["flux-system", "podinfo", "cache"] {
        tb.kubectl(&["create", "namespace", &format!("{p}{ns}")]);
    }
    // flux-system: `clusters/prod`, its kustomization and the definitions beside it
    tb.kubectl(&["apply", "-k", path(&r.join("clusters/prod/flux-system"))]);
    for f in ["apps.yaml", "redis.yaml", "ingress.yaml"] {
        tb.kubectl(&["apply", "-f", path(&r.join("clusters/prod").join(f))]);
    }
    // apps: what kustomize-controller applies — a kustomization listing the directory's
    // manifests with the target namespace and the patch (written beside them, outside the
    // commit), built by kustomize, then the substitutions
    std::fs::write(
        r.join("apps/prod/kustomization.yaml"),
        format!("namespace: {p}podinfo\nresources:\n  - deployment.yaml\n  - script.yaml\n  - settings.yaml\npatches:\n  - patch: |\n      - op: add\n        path: /metadata/annotations/owner\n        value: platform\n    target:\n      kind: ConfigMap\n      name: podinfo-settings\n"),
    )
    .unwrap();
    let built = tb.kubectl(&["kustomize", path(&r.join("apps/prod"))]);
    let substituted = built
        .replace("${replicas:=1}", "2")
        .replace("${cluster_name}", "prod")
        .replace("${region:=eu-west-1}", "eu-west-1")
        .replace("$${HOME}", "${HOME}");
    let rendered = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(rendered.path(), substituted).unwrap();
    tb.kubectl(&["apply", "-f", path(rendered.path())]);
    std::fs::remove_file(r.join("apps/prod/kustomization.yaml")).unwrap();
    // redis: helm-controller's release `[targetNamespace-]name`, values file, inline values
    let cache = format!("{p}cache");
    let home = tempfile::tempdir().unwrap();
    helm_install(
        &tb,
        home.path(),
        &format!("{cache}-redis"),
        &r.join("charts/redis"),
        &cache,
        &[
            "--values",
            path(&r.join("charts/redis/values-prod.yaml")),
            "--set",
            "maxmemory=64mb",
        ],
    );

    let (code, json, stderr) = tb.check(r, &tb.admin);
    assert_eq!(code, 0, "{json:#}\n{stderr}");
    let names: Vec<(String, bool)> = apps(&json).into_iter().map(|(n, r, _)| (n, r)).collect();
    assert_eq!(
        names,
        [
            ("apps".to_string(), true),
            ("ingress-nginx".to_string(), false),
            ("redis".to_string(), true),
            ("flux-system".to_string(), true)
        ]
    );
    assert_all_in_sync(&json);
    assert_eq!(resource(&json, "Deployment", "podinfo")["app"], "apps");
    assert_eq!(
        resource(&json, "ConfigMap", "podinfo-script")["app"],
        "apps"
    );
    assert_eq!(
        resource(&json, "Deployment", &format!("{cache}-redis"))["app"],
        "redis"
    );
    assert_eq!(
        resource(&json, "GitRepository", "flux-system")["app"],
        "flux-system"
    );

    // a substituted field edited by hand is drift of its app
    let podinfo = format!("{p}podinfo");
    tb.merge_patch(
        &podinfo,
        "configmap/podinfo-settings",
        r#"{"data":{"cluster":"staging"}}"#,
    );
    let (code, json, _) = tb.check_with(r, &tb.admin, &["--app", &format!("{p}flux-system/apps")]);
    assert_eq!(code, 1, "{json:#}");
    let settings = resource(&json, "ConfigMap", "podinfo-settings");
    assert_eq!(settings["status"], "modified", "{settings:#}");
    assert_eq!(settings["app"], "apps");
    assert!(
        json["resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["app"] == "apps")
    );
    for ns in ["flux-system", "podinfo", "cache"] {
        tb.kubectl(&["delete", "namespace", &format!("{p}{ns}"), "--wait=false"]);
    }
}
