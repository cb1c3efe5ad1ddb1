//! Against a real kube-apiserver + etcd (+ controller-manager, scheduler, kwok) started by
//! `tests/testbed/up.sh`. `scripts/test.sh` starts it and exports its env; without it these tests fail
//! (they never skip).

use crate::common::testbed::{App, Engine, applied_app, resource, testbed, testbed_alone};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kdrift::app::{DialogStage, Msg};
use kdrift_engine::model::DriftStatus;
use kdrift_engine::repo::{RepoFile, write_history};
use std::time::Duration;

#[test]
fn check_is_clean_after_kubectl_apply() {
    let (tb, _shared) = testbed();
    let App {
        dir: _dir,
        ns: _ns,
        repo,
    } = applied_app(&tb, "t-clean");
    let (code, json, stderr) = tb.check(&repo, &tb.admin);
    assert_eq!(code, 0, "{json:#}\n{stderr}");
    assert_eq!(
        json["summary"],
        serde_json::json!({"in_sync": 4, "modified": 0, "missing": 0, "orphan": 0, "error": 0, "skipped": 0})
    );
    assert!(
        json["resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["changes"].as_array().unwrap().is_empty())
    );
    assert_eq!(json["context"], "kdrift-testbed");
}

#[test]
fn check_reports_exactly_the_objects_changed_by_hand() {
    let (tb, _shared) = testbed();
    let App {
        dir: _dir,
        ns,
        repo,
    } = applied_app(&tb, "t-drift");
    tb.kubectl(&["-n", &ns, "scale", "deployment/web", "--replicas=5"]);
    tb.merge_patch(&ns, "configmap/cfg", r#"{"data":{"mode":"slow"}}"#);
    tb.kubectl(&["-n", &ns, "delete", "service/web"]);
    // applied by kdrift from this repo: an orphan; with only the label, or another repo's
    // source, it is someone else's and not reported
    let source = std::fs::canonicalize(&repo).unwrap().display().to_string();
    tb.owned_configmap(&ns, "stray", Some(&source));
    tb.owned_configmap(&ns, "label-only", None);
    tb.owned_configmap(&ns, "theirs", Some("https://git.example/other"));

    let (code, json, stderr) = tb.check(&repo, &tb.admin);
    assert_eq!(code, 1, "{json:#}\n{stderr}");
    assert_eq!(
        json["summary"],
        serde_json::json!({"in_sync": 1, "modified": 2, "missing": 1, "orphan": 1, "error": 0, "skipped": 0}),
        "{json:#}"
    );
    let web = resource(&json, "Deployment", "web");
    assert_eq!(web["status"], "modified");
    let change = &web["changes"][0];
    assert_eq!(
        (&change["path"], &change["desired"], &change["live"]),
        (&"/spec/replicas".into(), &2.into(), &5.into()),
        "{web:#}"
    );
    assert!(
        change["manager"].as_str().unwrap().starts_with("kubectl"),
        "{web:#}"
    );
    let cfg = resource(&json, "ConfigMap", "cfg");
    assert_eq!(cfg["changes"].as_array().unwrap().len(), 1, "{cfg:#}");
    assert_eq!(cfg["changes"][0]["path"], "/data/mode");
    assert_eq!(cfg["changes"][0]["manager"], "kubectl-patch");
    assert_eq!(resource(&json, "Service", "web")["status"], "missing");
    assert_eq!(resource(&json, "ConfigMap", "stray")["status"], "orphan");
    assert_eq!(
        resource(&json, "Namespace", ns.as_str())["status"],
        "in_sync"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_edit_shows_within_two_seconds_and_reverting_returns_to_in_sync() {
    let (tb, _shared) = testbed();
    let App {
        dir: _dir,
        ns,
        repo,
    } = applied_app(&tb, "t-watch");
    let mut e = Engine::start(&tb.admin, &repo).await;
    assert_eq!(e.status("Deployment", "web"), Some(DriftStatus::InSync));

    tb.kubectl(&["-n", &ns, "scale", "deployment/web", "--replicas=3"]);
    let took = e
        .pump_until(Duration::from_secs(2), |s| {
            s.inv.verdicts.iter().any(|(k, r)| {
                k.name == "web" && k.kind == "Deployment" && r.status == DriftStatus::Modified
            })
        })
        .await;
    eprintln!("edit seen after {took:?}");
    tb.kubectl(&["-n", &ns, "scale", "deployment/web", "--replicas=2"]);
    e.pump_until(Duration::from_secs(2), |s| {
        s.inv.verdicts.iter().any(|(k, r)| {
            k.name == "web" && k.kind == "Deployment" && r.status == DriftStatus::InSync
        })
    })
    .await;

    // Converging through kdrift on a real server: kubectl now owns the field, so the apply
    // without force is refused with the manager and field named, and nothing changes; F (the
    // second confirmation) takes it.
    tb.merge_patch(&ns, "configmap/cfg", r#"{"data":{"k":"by-hand"}}"#);
    e.pump_until(Duration::from_secs(2), |s| s.inv.drifted_keys().len() == 1)
        .await;
    let key = |c| Msg::Key(KeyEvent::new(c, KeyModifiers::NONE));
    e.send(key(KeyCode::Char('S')));
    e.send(key(KeyCode::Enter));
    e.pump_until(Duration::from_secs(5), |s| {
        matches!(
            s.mode.plan_dialog().map(|d| &d.stage),
            Some(DialogStage::Force { .. })
        )
    })
    .await;
    let Some(DialogStage::Force { conflicts }) = e.state().mode.plan_dialog().map(|d| &d.stage)
    else {
        unreachable!()
    };
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert_eq!(conflicts[0].1.field, ".data.k");
    assert_eq!(conflicts[0].1.manager, "kubectl-patch");
    let k = tb.field(&ns, "configmap/cfg", ".data.k");
    assert_eq!(k, "by-hand", "nothing applied without force");
    e.send(key(KeyCode::Char('F')));
    e.pump_until(Duration::from_secs(5), |s| {
        s.inv.drifted_keys().is_empty() && s.sync.is_none()
    })
    .await;
    let k = tb.field(&ns, "configmap/cfg", ".data.k");
    assert_eq!(k, "v");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s6_restricted_user_gets_forbidden_rows_not_a_crash_or_a_retry_loop() {
    // alone: the check below counts the API server's denials, which any other test's refused
    // request would add to
    let (tb, _alone) = testbed_alone();
    let dir = tempfile::tempdir().unwrap();
    // alice may get/list/watch ConfigMaps and Deployments in `default`, nothing else.
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: alice-cfg\n  namespace: default\ndata:\n  a: b\n";
    let secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: alice-secret\n  namespace: default\nstringData:\n  token: canary-value-never-shown\n";
    let deploy_elsewhere =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: far\n  namespace: kube-system\n";
    let repo = dir.path().join("repo");
    write_history(
        &repo,
        &[(
            "alice",
            vec![
                RepoFile {
                    path: "cm.yaml",
                    contents: Some(cm),
                },
                RepoFile {
                    path: "secret.yaml",
                    contents: Some(secret),
                },
                RepoFile {
                    path: "far.yaml",
                    contents: Some(deploy_elsewhere),
                },
            ],
        )],
    )
    .unwrap();

    let (code, json, stderr) = tb.check(&repo, &tb.alice);
    assert_eq!(code, 2, "{json:#}\n{stderr}");
    let secret_row = resource(&json, "Secret", "alice-secret");
    assert_eq!(secret_row["status"], "error");
    assert!(
        secret_row["message"]
            .as_str()
            .unwrap()
            .contains("forbidden"),
        "{secret_row:#}"
    );
    let far = resource(&json, "ConfigMap", "far");
    assert_eq!(far["status"], "error");
    assert!(
        far["message"]
            .as_str()
            .unwrap()
            .contains("namespace kube-system"),
        "{far:#}"
    );
    assert_eq!(
        resource(&json, "ConfigMap", "alice-cfg")["status"],
        "missing",
        "the allowed scope is still judged"
    );
    assert!(!json.to_string().contains("canary-value-never-shown"));

    // The TUI's engine settles with the same rows instead of retrying forever.
    let mut e = Engine::start(&tb.alice, &repo).await;
    e.messages_within(Duration::from_secs(2)).await;
    let denied = tb.denied_requests();
    let later = e.messages_within(Duration::from_secs(3)).await;
    assert_eq!(later, 0, "forbidden kinds must not be retried");
    assert_eq!(
        tb.denied_requests(),
        denied,
        "no refused request while idle: forbidden kinds are not retried"
    );
    assert_eq!(e.status("Secret", "alice-secret"), Some(DriftStatus::Error));
    assert_eq!(e.status("ConfigMap", "far"), Some(DriftStatus::Error));
    assert_eq!(
        e.status("ConfigMap", "alice-cfg"),
        Some(DriftStatus::Missing)
    );
}

#[test]
fn the_tui_opens_on_the_real_cluster_and_shows_live_drift() {
    let (tb, _shared) = testbed();
    let App { dir, ns, repo } = applied_app(&tb, "t-tui");
    let cmd = format!(
        "{} --repo {} --kubeconfig {}",
        env!("CARGO_BIN_EXE_kdrift"),
        repo.display(),
        tb.admin.display()
    );
    let tmux = kdrift_testkit::tmux::Tmux::start(&cmd, dir.path());
    tmux.wait_for(
        &["kdrift-testbed", "watch: live", "in sync 4"],
        Duration::from_secs(20),
    );
    tb.kubectl(&["-n", &ns, "scale", "deployment/web", "--replicas=4"]);
    tmux.wait_for(&["modified 1", "replicas 2≠4"], Duration::from_secs(5));
    tmux.keys("q");
    tmux.wait_for(&["KDRIFT_EXIT=0"], Duration::from_secs(5));
}

/// An autoscaler-like hand (`kubectl scale`) and a GitOps applier (server-side apply as
/// `flux`) setting replicas in turn: the row says it is a fight, and a notice says so once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_managers_taking_a_field_in_turn_is_flagged_as_a_fight() {
    let (tb, _shared) = testbed();
    let App { dir, ns, repo } = applied_app(&tb, "t-fight");
    let mut e = Engine::start(&tb.admin, &repo).await;
    let web = dir.path().join("plain/web.yaml");
    let web = web.to_str().unwrap();
    let replicas = |n: &'static str| {
        move |s: &kdrift::app::State| {
            s.inv.verdicts.iter().any(|(k, r)| {
                k.name == "web"
                    && k.kind == "Deployment"
                    && match n {
                        "git" => r.status == DriftStatus::InSync,
                        _ => r.changes.iter().any(|c| c.live == Some(n.parse().unwrap())),
                    }
            })
        }
    };
    let fights = |s: &kdrift::app::State| {
        s.inv
            .verdicts
            .iter()
            .find(|(k, _)| k.name == "web" && k.kind == "Deployment")
            .map(|(_, r)| r.fights.clone())
            .unwrap_or_default()
    };
    let scale = |n: &str| {
        tb.kubectl(&[
            "-n",
            &ns,
            "scale",
            "deployment/web",
            &format!("--replicas={n}"),
        ]);
    };
    let flux = || {
        tb.kubectl(&[
            "apply",
            "--server-side",
            "--force-conflicts",
            "--field-manager=flux",
            "-f",
            web,
        ]);
    };
    scale("3");
    e.pump_until(Duration::from_secs(5), replicas("3")).await;
    flux();
    e.pump_until(Duration::from_secs(5), replicas("git")).await;
    assert!(
        fights(e.state()).is_empty(),
        "one hand, then git's: no fight yet"
    );
    scale("4");
    e.pump_until(Duration::from_secs(5), replicas("4")).await;
    let found = fights(e.state());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].path, "/spec/replicas");
    assert_eq!(
        found[0].managers,
        ["kubectl".to_string(), "flux".to_string()]
    );
    let notices: Vec<&str> = e
        .state()
        .notices
        .iter()
        .map(|n| n.text.as_str())
        .filter(|t| t.starts_with("fight:"))
        .collect();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(
        notices[0].contains("/spec/replicas") && notices[0].contains("flux"),
        "{notices:?}"
    );
    tb.kubectl(&["delete", "namespace", &ns, "--wait=false"]);
}

/// kdrift applied `cfg` with `mode`; a commit drops `mode`. The local compare (only what git
/// declares) sees nothing, but converging would remove it: the server's dry-run, asked because
/// the commit changed the object, says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_a_commit_drops_is_drift_the_server_finds() {
    use kdrift_engine::model::Stage;
    use kdrift_testkit::git::{commit_all, write_files};
    let (tb, _shared) = testbed();
    let ns = crate::common::testbed::unique("t-drop");
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let cfg = |data: &str| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: {ns}\ndata:\n{data}"
        )
    };
    let namespace = format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n");
    write_files(
        &repo,
        &[
            ("ns.yaml", namespace),
            ("cfg.yaml", cfg("  k: v\n  mode: fast\n")),
        ],
    );
    commit_all(&repo, "app");
    tb.kubectl(&["create", "namespace", &ns]);
    // as kdrift's own converge would have applied it
    tb.kubectl(&[
        "apply",
        "--server-side",
        "--field-manager=kdrift",
        "-f",
        repo.join("cfg.yaml").to_str().unwrap(),
    ]);
    let mut e = Engine::start(&tb.admin, &repo).await;
    assert_eq!(e.status("ConfigMap", "cfg"), Some(DriftStatus::InSync));

    write_files(&repo, &[("cfg.yaml", cfg("  k: v\n"))]);
    commit_all(&repo, "drop mode");
    e.pump_until(Duration::from_secs(10), |s| {
        s.inv
            .repo
            .as_ref()
            .is_some_and(|r| r.commit.subject == "drop mode")
    })
    .await;
    e.pump_until(Duration::from_secs(10), |s| {
        s.inv.verdicts.iter().any(|(k, r)| {
            k.name == "cfg"
                && r.status == DriftStatus::Modified
                && r.stage == Stage::Server
                && r.changes
                    .iter()
                    .any(|c| c.path == "/data/mode" && c.desired.is_none())
        })
    })
    .await;
    tb.kubectl(&["delete", "namespace", &ns, "--wait=false"]);
}
