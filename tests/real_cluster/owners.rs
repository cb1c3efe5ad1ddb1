//! Objects Flux and Argo CD reconcile, with the tools' real CRDs installed (no controllers: the
//! tests answer as the controller would): the owner is named on the row and in JSON, prune never
//! touches them, and `o` in the plan asks the owner to reconcile and follows its answer.

use crate::common::testbed::{App, Engine, Testbed, applied_app, resource, testbed};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kdrift::app::{Msg, NoticeKind};
use std::time::Duration;

/// The CRDs from `tests/testbed/gitops-crds.sh` (a testbed without them is a broken testbed).
pub(crate) fn install_crds(tb: &Testbed) {
    let dir = std::env::var("KDRIFT_GITOPS_CRDS").expect(
        "KDRIFT_GITOPS_CRDS: the testbed env names the GitOps CRDs (tests/testbed/gitops-crds.sh)",
    );
    for f in [
        "kustomizations.yaml",
        "helmreleases.yaml",
        "gitrepositories.yaml",
        "applications.yaml",
    ] {
        let path = std::path::Path::new(&dir).join(f);
        assert!(path.is_file(), "{} is missing", path.display());
        tb.kubectl(&[
            "apply",
            "--server-side",
            "--force-conflicts",
            "-f",
            path.to_str().unwrap(),
        ]);
    }
    for crd in [
        "kustomizations.kustomize.toolkit.fluxcd.io",
        "helmreleases.helm.toolkit.fluxcd.io",
        "gitrepositories.source.toolkit.fluxcd.io",
        "applications.argoproj.io",
    ] {
        tb.kubectl(&[
            "wait",
            "--for",
            "condition=established",
            "--timeout=30s",
            &format!("crd/{crd}"),
        ]);
    }
}

fn apply_stdin(tb: &Testbed, dir: &std::path::Path, name: &str, yaml: &str) {
    let file = dir.join(name);
    std::fs::write(&file, yaml).unwrap();
    tb.kubectl(&["apply", "-f", file.to_str().unwrap()]);
}

/// A Flux Kustomization `apps` in `ns`, and its labels on the app's ConfigMap `cfg`.
pub(crate) fn flux_owns_cfg(tb: &Testbed, dir: &std::path::Path, ns: &str) {
    apply_stdin(
        tb,
        dir,
        "ks.yaml",
        &format!(
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: {ns}\nspec:\n  interval: 10m\n  path: ./\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: repo\n"
        ),
    );
    tb.kubectl(&[
        "-n",
        ns,
        "label",
        "configmap/cfg",
        "kustomize.toolkit.fluxcd.io/name=apps",
        &format!("kustomize.toolkit.fluxcd.io/namespace={ns}"),
    ]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_are_named_and_asked_to_reconcile_instead_of_overwritten() {
    let (tb, _shared) = testbed();
    install_crds(&tb);
    let App { dir, ns, repo } = applied_app(&tb, "t-owners");
    flux_owns_cfg(&tb, dir.path(), &ns);
    apply_stdin(
        &tb,
        dir.path(),
        "app.yaml",
        &format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: shop\n  namespace: {ns}\nspec:\n  project: default\n  source:\n    repoURL: https://git.example/shop\n    path: .\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: {ns}\n"
        ),
    );
    // Argo CD's tracking annotation on the Service (Flux's labels are on the ConfigMap); both drift
    tb.merge_patch(&ns, "configmap/cfg", r#"{"data":{"k":"by-hand"}}"#);
    tb.kubectl(&[
        "-n",
        &ns,
        "annotate",
        "service/web",
        &format!("argocd.argoproj.io/tracking-id={ns}_shop:/Service:{ns}/web"),
    ]);
    tb.merge_patch(
        &ns,
        "service/web",
        r#"{"spec":{"ports":[{"name":"http","port":80,"targetPort":8080}]}}"#,
    );

    let (code, json, stderr) = tb.check(&repo, &tb.admin);
    assert_eq!(code, 1, "{json:#}\n{stderr}");
    assert_eq!(
        resource(&json, "ConfigMap", "cfg")["owner"],
        format!("Flux Kustomization {ns}/apps")
    );
    assert_eq!(
        resource(&json, "Service", "web")["owner"],
        format!("Argo CD Application {ns}/shop")
    );

    // the plan warns and offers the owners; `o` asks them instead of applying
    let mut e = Engine::start(&tb.admin, &repo).await;
    let key = |c| Msg::Key(KeyEvent::new(c, KeyModifiers::NONE));
    e.send(key(KeyCode::Char('S')));
    let plan = e.state().mode.dialog().cloned().expect("plan");
    let cfg = plan.items.iter().find(|i| i.key.name == "cfg").unwrap();
    assert!(
        cfg.warnings[0].contains("managed by Flux Kustomization"),
        "{:?}",
        cfg.warnings
    );
    assert_eq!(plan.owners().len(), 2, "{:?}", plan.owners());
    e.send(key(KeyCode::Char('o')));
    e.pump_until(Duration::from_secs(10), |s| {
        s.notices
            .iter()
            .any(|n| n.text.starts_with("asked Flux Kustomization"))
    })
    .await;
    let requested = tb.field(
        &ns,
        "kustomization.kustomize.toolkit.fluxcd.io/apps",
        ".metadata.annotations.reconcile\\.fluxcd\\.io/requestedAt",
    );
    assert!(!requested.is_empty(), "Flux was asked");
    assert_eq!(
        tb.field(
            &ns,
            "application.argoproj.io/shop",
            ".operation.initiatedBy.username"
        ),
        "kdrift",
        "Argo CD was asked for a sync"
    );
    assert_eq!(
        tb.field(&ns, "configmap/cfg", ".data.k"),
        "by-hand",
        "nothing applied over them"
    );

    // Flux answers (as its controller would, on the status subresource)
    let status = format!(
        r#"{{"status":{{"lastHandledReconcileAt":"{requested}","conditions":[{{"type":"Ready","status":"True","reason":"ReconciliationSucceeded","message":"Applied revision: main@sha1:abc","lastTransitionTime":"2026-01-01T00:00:00Z"}}]}}}}"#
    );
    tb.kubectl(&[
        "-n",
        &ns,
        "patch",
        "kustomization.kustomize.toolkit.fluxcd.io/apps",
        "--subresource=status",
        "--type=merge",
        "-p",
        &status,
    ]);
    e.pump_until(Duration::from_secs(10), |s| {
        s.notices.iter().any(|n| {
            n.kind == NoticeKind::Converged && n.text.contains("reconciled: Applied revision")
        })
    })
    .await;
}
