//! `kdrift sync` and the TUI's converge on the real control plane: bootstrap order, conflicts
//! without force, waves that stop, prune safety, immutable fields.

use crate::common::testbed::{App, Engine, applied_app, commit, testbed, unique};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kdrift::app::{DialogStage, Msg};
use kdrift_engine::repo::{RepoFile, write_history};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn repo_of(dir: &Path, files: &[(&str, String)]) -> PathBuf {
    let repo = dir.join("repo");
    commit(&repo, "app", files);
    repo
}

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| {
                    x.as_str()
                        .or(x["object"].as_str())
                        .unwrap_or("")
                        .to_string()
                })
                .collect()
        })
        .unwrap_or_default()
}

fn configmap(ns: &str, name: &str, wave: Option<i32>) -> String {
    let annotations = wave
        .map(|w| format!("  annotations:\n    kdrift.dev/sync-wave: \"{w}\"\n"))
        .unwrap_or_default();
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {ns}\n{annotations}data:\n  k: v\n"
    )
}

#[test]
fn a_new_namespace_and_a_crd_with_its_resources_converge_in_one_sync() {
    let (tb, _shared) = testbed();
    let dir = tempfile::tempdir().unwrap();
    let ns = unique("t-boot");
    let group = format!("{ns}.example.com");
    let crd = format!(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.{group}\nspec:\n  group: {group}\n  scope: Namespaced\n  names:\n    plural: widgets\n    singular: widget\n    kind: Widget\n  versions:\n    - name: v1\n      served: true\n      storage: true\n      schema:\n        openAPIV3Schema:\n          type: object\n          properties:\n            spec:\n              type: object\n              properties:\n                size:\n                  type: integer\n"
    );
    let widget = format!(
        "apiVersion: {group}/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: {ns}\nspec:\n  size: 3\n"
    );
    let repo = repo_of(
        dir.path(),
        &[
            (
                "ns.yaml",
                format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"),
            ),
            ("cm.yaml", configmap(&ns, "cfg", None)),
            ("crd.yaml", crd),
            ("widget.yaml", widget),
        ],
    );

    // without --yes, and with --dry-run: the plan, and nothing changes
    let (code, json, stderr) = tb.sync(&repo, &[]);
    assert_eq!(code, 1, "{json:#}\n{stderr}");
    let ops: Vec<String> = json["plan"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["op"].as_str().unwrap(),
                e["object"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        ops,
        [
            format!("create Namespace/{ns}"),
            format!("create CustomResourceDefinition/widgets.{group}"),
            format!("create {ns}/ConfigMap/cfg"),
            format!("create {ns}/Widget/w"),
        ],
        "namespaces and CRDs first, custom resources last"
    );
    assert!(json["outcome"].is_null());
    let (code, json, stderr) = tb.sync(&repo, &["--dry-run"]);
    assert_eq!(code, 1, "{json:#}\n{stderr}");
    assert_eq!(
        names(&json["outcome"]["failed"]),
        Vec::<String>::new(),
        "{json:#}"
    );
    assert_eq!(names(&json["outcome"]["checked"]).len(), 2, "{json:#}");
    assert_eq!(names(&json["outcome"]["unchecked"]).len(), 2, "{json:#}");
    assert!(
        tb.get_name("default", &format!("namespace/{ns}"))
            .is_empty(),
        "dry-run created nothing"
    );

    let (code, json, stderr) = tb.sync(&repo, &["--yes"]);
    assert_eq!(code, 0, "{json:#}\n{stderr}");
    assert_eq!(json["converged"], true);
    assert_eq!(tb.field(&ns, "configmap/cfg", ".data.k"), "v");
    assert_eq!(
        tb.field(&ns, &format!("widget.{group}/w"), ".spec.size"),
        "3"
    );
    let (code, json, _) = tb.check(&repo, &tb.admin);
    assert_eq!(code, 0, "{json:#}");
    tb.kubectl(&["delete", "crd", &format!("widgets.{group}"), "--wait=false"]);
}

#[test]
fn s9_a_conflict_changes_nothing_until_force_conflicts_takes_it() {
    let (tb, _shared) = testbed();
    let App {
        dir: _dir,
        ns,
        repo,
    } = applied_app(&tb, "t-conflict");
    tb.kubectl(&["-n", &ns, "scale", "deployment/web", "--replicas=5"]);

    let (code, json, stderr) = tb.sync(&repo, &["--yes"]);
    assert_eq!(code, 1, "{json:#}\n{stderr}");
    let failed = &json["outcome"]["failed"][0];
    assert_eq!(failed["object"], format!("{ns}/Deployment/web"));
    let reason = failed["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("conflict: .spec.replicas owned by "),
        "{reason}"
    );
    assert_eq!(json["converged"], false);
    assert_eq!(tb.field(&ns, "deployment/web", ".spec.replicas"), "5");
    let managers = tb.field(&ns, "deployment/web", ".metadata.managedFields[*].manager");
    assert!(!managers.contains("kdrift"), "not even touched: {managers}");

    let (code, json, stderr) = tb.sync(&repo, &["--yes", "--force-conflicts"]);
    assert_eq!(code, 0, "{json:#}\n{stderr}");
    assert_eq!(tb.field(&ns, "deployment/web", ".spec.replicas"), "2");
}

#[test]
fn a_failing_wave_stops_the_later_waves_and_says_what_was_applied() {
    let (tb, _shared) = testbed();
    let dir = tempfile::tempdir().unwrap();
    let ns = unique("t-waves");
    tb.kubectl(&["create", "namespace", &ns]);
    // wave 1 is invalid: the server's dry-run refuses it
    let bad = format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: bad\n  namespace: {ns}\n  annotations:\n    kdrift.dev/sync-wave: \"1\"\nspec:\n  ports:\n    - port: 99999\n"
    );
    let repo = repo_of(
        dir.path(),
        &[
            ("first.yaml", configmap(&ns, "first", Some(0))),
            ("bad.yaml", bad),
            ("last.yaml", configmap(&ns, "last", Some(2))),
        ],
    );
    let (code, json, stderr) = tb.sync(&repo, &["--yes"]);
    assert_eq!(code, 1, "{json:#}\n{stderr}");
    let outcome = &json["outcome"];
    assert_eq!(
        names(&outcome["applied"]),
        [format!("{ns}/ConfigMap/first")]
    );
    assert_eq!(names(&outcome["failed"]), [format!("{ns}/Service/bad")]);
    assert_eq!(
        names(&outcome["not_applied"]),
        [format!("{ns}/ConfigMap/last")]
    );
    assert_eq!(outcome["stopped_at"], "wave 1");
    assert_eq!(json["converged"], false);
    assert!(
        tb.get_name(&ns, "configmap/last").is_empty(),
        "a later wave never ran"
    );
    assert!(!tb.get_name(&ns, "configmap/first").is_empty());
}

#[test]
fn s7_prune_is_opt_in_and_deletes_only_this_repos_unchanged_objects() {
    let (tb, _shared) = testbed();
    let dir = tempfile::tempdir().unwrap();
    let ns = unique("t-prune");
    let namespace = format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n");
    let repo = repo_of(
        dir.path(),
        &[
            ("ns.yaml", namespace.clone()),
            ("keep.yaml", configmap(&ns, "keep", None)),
            ("old.yaml", configmap(&ns, "old", None)),
        ],
    );
    let (code, json, stderr) = tb.sync(&repo, &["--yes"]);
    assert_eq!(code, 0, "{json:#}\n{stderr}");
    // strangers wearing kdrift's label: by hand, from another repo, under Flux
    let source = std::fs::canonicalize(&repo).unwrap().display().to_string();
    for (name, annotation, label) in [
        ("by-hand", None, None),
        (
            "other-repo",
            Some("https://git.example/other".to_string()),
            None,
        ),
        (
            "under-flux",
            Some(source.clone()),
            Some("kustomize.toolkit.fluxcd.io/name=apps"),
        ),
    ] {
        tb.kubectl(&["-n", &ns, "create", "configmap", name, "--from-literal=a=b"]);
        let target = format!("configmap/{name}");
        tb.kubectl(&[
            "-n",
            &ns,
            "label",
            &target,
            "app.kubernetes.io/managed-by=kdrift",
        ]);
        if let Some(label) = label {
            tb.kubectl(&["-n", &ns, "label", &target, label]);
        }
        if let Some(a) = annotation {
            tb.kubectl(&[
                "-n",
                &ns,
                "annotate",
                &target,
                &format!("kdrift.dev/source={a}"),
            ]);
        }
    }
    // git drops `old`
    write_history(
        &repo,
        &[(
            "rm old",
            vec![RepoFile {
                path: "old.yaml",
                contents: None,
            }],
        )],
    )
    .unwrap();

    let (code, json, stderr) = tb.sync(&repo, &["--yes"]);
    assert_eq!(
        code, 1,
        "prune is off: the orphan stays\n{json:#}\n{stderr}"
    );
    // `old`, and the one Flux manages (stamped from here, so ours, but never pruned)
    assert_eq!(json["orphans_left"], 2, "{json:#}");
    assert!(!tb.get_name(&ns, "configmap/old").is_empty());

    // a broken manifest withholds every prune
    commit(&repo, "broken", &[("broken.yaml", "kind: [".to_string())]);
    let (code, json, _) = tb.sync(&repo, &["--yes", "--prune"]);
    assert_eq!(code, 2, "{json:#}");
    assert!(
        !tb.get_name(&ns, "configmap/old").is_empty(),
        "not pruned on a broken commit"
    );
    write_history(
        &repo,
        &[(
            "fix",
            vec![RepoFile {
                path: "broken.yaml",
                contents: None,
            }],
        )],
    )
    .unwrap();

    let (code, json, stderr) = tb.sync(&repo, &["--yes", "--prune"]);
    assert_eq!(
        code, 1,
        "the Flux-managed orphan stays, so not converged\n{json:#}\n{stderr}"
    );
    assert_eq!(
        names(&json["outcome"]["applied"]),
        [format!("{ns}/ConfigMap/old")]
    );
    assert!(tb.get_name(&ns, "configmap/old").is_empty(), "pruned");
    for kept in ["keep", "by-hand", "other-repo", "under-flux"] {
        assert!(
            !tb.get_name(&ns, &format!("configmap/{kept}")).is_empty(),
            "{kept} deleted"
        );
    }
    let blocked = names(&json["blocked"]);
    assert_eq!(blocked, [format!("{ns}/ConfigMap/under-flux")], "{json:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_replaced_after_the_plan_is_not_deleted() {
    use kdrift_engine::cluster::{Resolver, connect};
    use kdrift_engine::headless::evaluate;
    use kdrift_engine::outbox::Outbox;
    use kdrift_engine::repo::read_snapshot;
    use kdrift_engine::sync::{SyncError, SyncEvent, run_sync};
    let (tb, _shared) = testbed();
    let dir = tempfile::tempdir().unwrap();
    let ns = unique("t-replace");
    let namespace = format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n");
    let repo = repo_of(
        dir.path(),
        &[
            ("ns.yaml", namespace),
            ("old.yaml", configmap(&ns, "old", None)),
        ],
    );
    let (code, ..) = tb.sync(&repo, &["--yes"]);
    assert_eq!(code, 0);
    write_history(
        &repo,
        &[(
            "drop",
            vec![RepoFile {
                path: "old.yaml",
                contents: None,
            }],
        )],
    )
    .unwrap();
    let (client, _) = connect(Some(&tb.admin), None).await.unwrap();
    let resolver = Resolver::new(client);
    let inv = evaluate(&resolver, read_snapshot(&repo, None, None, None).unwrap()).await;
    let plan = inv.plan_sync(&inv.drifted_keys(), true);
    assert_eq!(plan.items.len(), 1, "{plan:#?}");
    // someone recreates it between the plan and the confirmation
    let live = tb.kubectl(&["-n", &ns, "get", "configmap/old", "-o", "json"]);
    tb.kubectl(&["-n", &ns, "delete", "configmap/old"]);
    let file = dir.path().join("again.json");
    let mut again: Value = serde_json::from_str(&live).unwrap();
    for f in [
        "uid",
        "resourceVersion",
        "creationTimestamp",
        "managedFields",
    ] {
        again["metadata"].as_object_mut().unwrap().remove(f);
    }
    std::fs::write(&file, again.to_string()).unwrap();
    tb.kubectl(&["create", "-f", file.to_str().unwrap()]);

    let (tx, mut rx) = tokio::sync::mpsc::channel::<SyncEvent>(16);
    run_sync(resolver, plan, Outbox::new(tx)).await;
    let mut outcome = None;
    while let Ok(e) = rx.try_recv() {
        if let SyncEvent::Finished(o) = e {
            outcome = Some(o);
        }
    }
    let outcome = outcome.unwrap();
    assert_eq!(outcome.failed.len(), 1, "{outcome:#?}");
    assert_eq!(outcome.failed[0].1, SyncError::Changed);
    assert!(
        !tb.get_name(&ns, "configmap/old").is_empty(),
        "the new object stays"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s8_an_immutable_selector_is_named_and_recreated_after_typing_the_name() {
    let (tb, _shared) = testbed();
    let App {
        dir: _dir,
        ns,
        repo,
    } = applied_app(&tb, "t-immutable");
    let uid = tb.field(&ns, "deployment/web", ".metadata.uid");
    let web = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: {ns}\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: web2\n  template:\n    metadata:\n      labels:\n        app: web2\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n"
    );
    commit(&repo, "new selector", &[("web.yaml", web)]);
    let mut e = Engine::start(&tb.admin, &repo).await;
    let key = |c| Msg::Key(KeyEvent::new(c, KeyModifiers::NONE));
    let deployment = e
        .state()
        .inv
        .drifted_keys()
        .into_iter()
        .find(|k| k.kind == "Deployment")
        .expect("the selector change is drift");
    e.state_mut_select(&deployment);
    e.send(key(KeyCode::Char('s')));
    e.send(key(KeyCode::Char('y')));
    // kubectl's apply owns the selector: first the conflict, then (forced) the immutable field
    let stage = |s: &kdrift::app::State| s.mode.plan_dialog().map(|d| d.stage.clone());
    e.pump_until(Duration::from_secs(10), |s| {
        matches!(stage(s), Some(DialogStage::Force { .. }))
    })
    .await;
    e.send(key(KeyCode::Char('F')));
    e.pump_until(Duration::from_secs(10), |s| {
        matches!(stage(s), Some(DialogStage::Recreate { .. }))
    })
    .await;
    let Some(DialogStage::Recreate { fields, .. }) = e.state().mode.plan_dialog().map(|d| &d.stage)
    else {
        unreachable!()
    };
    assert_eq!(fields, &["spec.selector".to_string()]);
    assert_eq!(
        tb.field(&ns, "deployment/web", ".metadata.uid"),
        uid,
        "nothing yet"
    );
    for c in "web".chars() {
        e.send(key(KeyCode::Char(c)));
    }
    e.send(key(KeyCode::Enter));
    e.pump_until(Duration::from_secs(30), |s| {
        s.inv.drifted_keys().is_empty() && s.sync.is_none()
    })
    .await;
    assert_ne!(
        tb.field(&ns, "deployment/web", ".metadata.uid"),
        uid,
        "a new object"
    );
    assert_eq!(
        tb.field(&ns, "deployment/web", ".spec.selector.matchLabels.app"),
        "web2"
    );
}

fn deployment(ns: &str, name: &str, extra_spec: &str, pod_spec: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  replicas: 2\n{extra_spec}  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n{pod_spec}      containers:\n        - name: app\n          image: nginx:1.27\n"
    )
}

#[test]
fn converged_means_healthy_and_a_stuck_rollout_says_why() {
    let (tb, _shared) = testbed();
    let dir = tempfile::tempdir().unwrap();
    let ns = unique("t-health");
    let namespace = format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n");
    let repo = repo_of(
        dir.path(),
        &[
            ("ns.yaml", namespace),
            ("good.yaml", deployment(&ns, "good", "", "")),
        ],
    );
    // kwok runs the pods: the rollout completes, and only then is it converged
    let (code, json, stderr) = tb.sync(&repo, &["--yes", "--timeout", "60"]);
    assert_eq!(code, 0, "{json:#}\n{stderr}");
    assert_eq!(json["stuck"], serde_json::json!([]));
    assert_eq!(
        tb.field(&ns, "deployment/good", ".status.availableReplicas"),
        "2"
    );

    // no node matches: its pods never run, the rollout passes its deadline
    let stuck = deployment(
        &ns,
        "stuck",
        "  progressDeadlineSeconds: 2\n",
        "      nodeSelector:\n        kdrift.dev/no-such-node: \"true\"\n",
    );
    commit(&repo, "a stuck one", &[("stuck.yaml", stuck)]);
    let (code, json, stderr) = tb.sync(&repo, &["--yes", "--timeout", "10"]);
    assert_eq!(code, 1, "{json:#}\n{stderr}");
    assert_eq!(json["converged"], false);
    assert_eq!(
        names(&json["outcome"]["applied"]),
        [format!("{ns}/Deployment/stuck")]
    );
    let why = json["stuck"][0]["reason"].as_str().unwrap_or_default();
    assert_eq!(json["stuck"][0]["object"], format!("{ns}/Deployment/stuck"));
    assert!(
        why.contains("timed out progressing") || why.contains("0 of 2 replicas available"),
        "{why}"
    );
    // and which pod holds it, and why
    assert!(
        why.contains("pod stuck-") && why.contains("Unschedulable"),
        "{why}"
    );
}

#[test]
fn sync_without_yes_or_with_dry_run_changes_nothing() {
    let (tb, _shared) = testbed();
    let App {
        dir: _dir,
        ns,
        repo,
    } = applied_app(&tb, "t-dryrun");
    tb.merge_patch(&ns, "configmap/cfg", r#"{"data":{"k":"by-hand"}}"#);
    tb.kubectl(&["-n", &ns, "delete", "service/web"]);
    let before = tb.field(&ns, "configmap/cfg", ".metadata.resourceVersion");
    let (code, json, stderr) = tb.sync(&repo, &[]);
    assert_eq!(code, 1, "{json:#}\n{stderr}");
    assert_eq!(json["plan"].as_array().unwrap().len(), 2, "{json:#}");
    let (code, json, stderr) = tb.sync(&repo, &["--dry-run"]);
    assert_eq!(code, 1, "{json:#}\n{stderr}");
    // the server answered for both: the create would pass, the patch conflicts with kubectl
    assert_eq!(
        names(&json["outcome"]["checked"]),
        [format!("{ns}/Service/web")]
    );
    assert!(
        json["outcome"]["failed"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("conflict: .data.k owned by kubectl-patch"),
        "{json:#}"
    );
    assert_eq!(
        tb.field(&ns, "configmap/cfg", ".metadata.resourceVersion"),
        before,
        "nothing written"
    );
    assert!(
        tb.get_name(&ns, "service/web").is_empty(),
        "nothing created"
    );
}
