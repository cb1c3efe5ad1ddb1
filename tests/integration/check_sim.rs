//! `kdrift check`'s engine against the simulated cluster: the report, masking, exit codes, bad input.

use crate::common::demo;
use kdrift::demo::DEMO_ORIGIN;
use kdrift_engine::cluster::ApplyOptions;
use kdrift_engine::headless::{CheckReport, evaluate, render_text};
use kdrift_engine::model::DriftStatus;
use kdrift_engine::repo::{RepoFile, read_snapshot, write_history};
use kdrift_engine::sync::{Stamp, applied_manifest};

const CANARIES: &[&str] = &[
    "correct-horse-battery-staple",
    "hunter2-rotated-by-hand",
    "Y29ycmVjdC1ob3Jz",
    "aHVudGVyMi1yb3Rh",
];

#[tokio::test]
async fn demo_report_lists_each_drift_with_path_and_manager() {
    let demo = demo().await;
    let state = evaluate(&demo.resolver, demo.snapshot.clone()).await;
    let report = CheckReport::build(&state, "shop-gitops", "sim");
    assert_eq!(report.exit_code(), 1);
    let s = &report.summary;
    assert_eq!(
        (s.in_sync, s.modified, s.missing, s.orphan, s.error),
        (5, 3, 1, 1, 0)
    );
    assert_eq!(
        report.commit.as_deref(),
        Some(demo.snapshot.commit.id.as_str())
    );
    let json = serde_json::to_value(&report).unwrap();
    let redis = json["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "StatefulSet" && r["name"] == "redis")
        .unwrap();
    assert_eq!(redis["status"], "modified");
    assert_eq!(redis["apiVersion"], "apps/v1");
    assert_eq!(redis["source"], "shop/redis.yaml");
    let time = redis["changes"][0]["time"].clone();
    assert!(
        time.as_str()
            .and_then(kdrift_engine::clock::rfc3339_secs)
            .is_some(),
        "when the manager wrote it: {redis:#}"
    );
    assert_eq!(
        redis["changes"],
        serde_json::json!([{"path": "/spec/replicas", "desired": 4, "live": 3, "manager": "kubectl-scale", "time": time}])
    );
    let orphan = json["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "legacy-worker")
        .unwrap();
    assert_eq!(orphan["status"], "orphan");
    let text = json.to_string() + &render_text(&report);
    for canary in CANARIES {
        assert!(
            !text.contains(canary),
            "secret value {canary} in check output"
        );
    }
    assert!(
        text.contains("/data/DB_PASSWORD"),
        "the changed key is named"
    );
}

#[tokio::test]
async fn converged_cluster_checks_clean() {
    let demo = demo().await;
    let state = evaluate(&demo.resolver, demo.snapshot.clone()).await;
    for (key, report) in &state.verdicts {
        match report.status {
            DriftStatus::Modified | DriftStatus::Missing => {
                let m = applied_manifest(&state.desired[key].manifest.tree(), Stamp::default());
                let force = ApplyOptions {
                    force: true,
                    ..ApplyOptions::default()
                };
                kdrift_engine::cluster::apply_object(&demo.resolver, key, &m, force)
                    .await
                    .unwrap();
            }
            DriftStatus::Orphan => {
                kdrift_engine::cluster::delete_object(&demo.resolver, key, Default::default())
                    .await
                    .unwrap()
            }
            _ => {}
        }
    }
    let state = evaluate(&demo.resolver, demo.snapshot.clone()).await;
    let report = CheckReport::build(&state, "shop-gitops", "sim");
    assert_eq!(report.exit_code(), 0, "{}", render_text(&report));
    assert!(report.resources.iter().all(|r| r.changes.is_empty()));
    assert!(render_text(&report).starts_with("in sync:"));
}

#[tokio::test]
async fn b1_b2_bad_manifests_are_error_rows_naming_file_and_line_and_others_still_compare() {
    let demo = demo().await;
    let dir = tempfile::tempdir().unwrap();
    let good = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: frontend-config\n  namespace: shop\ndata:\n  CACHE_TTL_SECONDS: \"300\"\n";
    let no_name = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: shop\n";
    let broken = "apiVersion: v1\nkind: ConfigMap\nmetadata: [\n";
    let unknown =
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: shop\n";
    write_history(
        dir.path(),
        &[(
            "mixed",
            vec![
                RepoFile {
                    path: "good.yaml",
                    contents: Some(good),
                },
                RepoFile {
                    path: "nameless.yaml",
                    contents: Some(no_name),
                },
                RepoFile {
                    path: "broken.yaml",
                    contents: Some(broken),
                },
                RepoFile {
                    path: "widget.yaml",
                    contents: Some(unknown),
                },
            ],
        )],
    )
    .unwrap();
    let snap = read_snapshot(dir.path(), None, None, None).unwrap();
    let state = evaluate(&demo.resolver, snap).await;
    let report = CheckReport::build(&state, "x", "sim");
    assert_eq!(report.exit_code(), 2);
    let find = |name: &str| {
        report
            .resources
            .iter()
            .find(|r| r.name.starts_with(name))
            .unwrap_or_else(|| panic!("{name}: {:#?}", report.resources))
    };
    assert_eq!(find("nameless.yaml:1").status, DriftStatus::Error);
    assert!(
        find("nameless.yaml")
            .message
            .as_deref()
            .unwrap()
            .contains("metadata.name")
    );
    assert_eq!(find("broken.yaml").status, DriftStatus::Error);
    let widget = find("w");
    assert_eq!(widget.status, DriftStatus::Error);
    assert!(
        widget.message.as_deref().unwrap().contains("unknown kind"),
        "{:?}",
        widget.message
    );
    // The good file is still judged: the demo cluster's hand edit shows.
    let cm = find("frontend-config");
    assert_eq!(cm.status, DriftStatus::Modified);
    assert_eq!(cm.changes[0].manager.as_deref(), Some("kubectl-edit"));
}

#[tokio::test]
async fn orphans_are_found_in_kinds_git_no_longer_declares() {
    let demo = demo().await;
    let dir = tempfile::tempdir().unwrap();
    let only_cm =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: frontend-config\n  namespace: shop\n";
    write_history(
        dir.path(),
        &[(
            "only a configmap",
            vec![RepoFile {
                path: "cm.yaml",
                contents: Some(only_cm),
            }],
        )],
    )
    .unwrap();
    let later = async |dir: &std::path::Path| {
        let snap = read_snapshot(dir, None, None, None).unwrap();
        CheckReport::build(&evaluate(&demo.resolver, snap).await, "x", "sim")
    };
    // another repo: the demo's labelled objects are its, not orphans here
    let report = later(dir.path()).await;
    assert!(
        !report
            .resources
            .iter()
            .any(|r| r.status == DriftStatus::Orphan),
        "{:?}",
        report.resources
    );
    // the same repo (another clone, same origin), where git dropped the rest: orphans
    kdrift_testkit::git::git(dir.path(), &["remote", "add", "origin", DEMO_ORIGIN]);
    let report = later(dir.path()).await;
    let orphans: Vec<String> = report
        .resources
        .iter()
        .filter(|r| r.status == DriftStatus::Orphan)
        .map(|r| format!("{}/{}", r.kind, r.name))
        .collect();
    // Everything the demo seeded through kdrift carries its label; only the ConfigMap is still declared.
    for expected in [
        "Secret/api-credentials",
        "StatefulSet/redis",
        "Deployment/legacy-worker",
        "Service/frontend",
    ] {
        assert!(
            orphans.contains(&expected.to_string()),
            "{expected} not in {orphans:?}"
        );
    }
    assert!(
        !orphans.iter().any(|o| o.starts_with("ConfigMap/")),
        "{orphans:?}"
    );
}

/// A submodule is a "skipped" row: counted and named, but it neither fails the check nor blocks a
/// prune the way a bad manifest does.
#[tokio::test]
async fn a_submodule_is_skipped_and_the_check_still_passes() {
    use kdrift_testkit::git::{commit_all, git, write_files};
    let demo = demo().await;
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    write_files(&lib, &[("x.yaml", "a: b\n".to_string())]);
    commit_all(&lib, "lib");
    let app = dir.path().join("app");
    let ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n";
    write_files(&app, &[("ns.yaml", ns.to_string())]);
    commit_all(&app, "namespace");
    git(
        &app,
        &["submodule", "add", "-q", lib.to_str().unwrap(), "vendor"],
    );
    git(&app, &["commit", "-q", "-m", "vendor"]);
    let snap = read_snapshot(&app, None, None, None).unwrap();
    let state = evaluate(&demo.resolver, snap).await;
    let report = CheckReport::build(&state, "x", "sim");
    assert_eq!(report.summary.skipped, 1);
    assert_eq!(report.summary.error, 0);
    let row = report
        .resources
        .iter()
        .find(|r| r.status == DriftStatus::Skipped)
        .unwrap();
    assert_eq!(row.name, "vendor");
    assert!(row.message.as_deref().unwrap_or("").contains("submodule"));
    let text = render_text(&report);
    assert!(text.contains("1 skipped"), "{text}");
    // the demo's objects were applied from another repo: not orphans here, so in sync
    assert_eq!(report.exit_code(), 0, "{text}");
}

/// The repo's `.kdrift.toml`, read from the commit: what it ignores is listed, not counted; a
/// broken one is an error row naming its line.
#[tokio::test]
async fn the_repos_ignore_rules_set_fields_aside() {
    let demo = demo().await;
    let rules =
        "[[ignore]]\nkind = \"StatefulSet\"\nname = \"redis\"\npaths = [\"/spec/replicas\"]\n";
    write_history(
        &demo.repo,
        &[(
            "ignore redis replicas",
            vec![RepoFile {
                path: ".kdrift.toml",
                contents: Some(rules),
            }],
        )],
    )
    .unwrap();
    let snap = read_snapshot(&demo.repo, None, None, None).unwrap();
    let report = CheckReport::build(&evaluate(&demo.resolver, snap).await, "x", "sim");
    let redis = report
        .resources
        .iter()
        .find(|r| r.kind == "StatefulSet")
        .unwrap();
    assert_eq!(redis.status, DriftStatus::InSync, "{redis:?}");
    assert_eq!(redis.ignored[0].change.path, "/spec/replicas");
    assert_eq!(redis.ignored[0].rule, ".kdrift.toml rule 1");
    assert_eq!(report.summary.modified, 2, "the other drifts still count");

    write_history(
        &demo.repo,
        &[(
            "oops",
            vec![RepoFile {
                path: ".kdrift.toml",
                contents: Some("[[ignore]]\npaths = [\n"),
            }],
        )],
    )
    .unwrap();
    let snap = read_snapshot(&demo.repo, None, None, None).unwrap();
    let report = CheckReport::build(&evaluate(&demo.resolver, snap).await, "x", "sim");
    let row = report
        .resources
        .iter()
        .find(|r| r.name.starts_with(".kdrift.toml"))
        .unwrap();
    assert_eq!(row.status, DriftStatus::Error, "{row:?}");
    assert_eq!(report.exit_code(), 2);
}

/// `kdrift diff`'s text on the demo: each drift with its fields and manager, then the text diff
/// (the server's version against live), Secret values never shown, colour only when asked.
#[tokio::test]
async fn diff_shows_each_drift_with_its_text_diff() {
    let demo = demo().await;
    let inventory = evaluate(&demo.resolver, demo.snapshot.clone()).await;
    let text = kdrift::diff::render(&inventory, false);
    for want in [
        "modified shop/StatefulSet/redis  (shop/redis.yaml)  [server dry-run]",
        "  /spec/replicas: git 4 live 3  by kubectl-scale",
        "-  replicas: 3",
        "+  replicas: 4",
        "missing shop/Service/api",
        "orphan shop/Deployment/legacy-worker",
        "/data/DB_PASSWORD",
    ] {
        assert!(text.contains(want), "{want:?} not in:\n{text}");
    }
    assert!(
        !text.contains("in sync"),
        "only what is not in sync:\n{text}"
    );
    for canary in CANARIES {
        assert!(!text.contains(canary), "secret value {canary} in:\n{text}");
    }
    assert!(!text.contains('\u{1b}'), "plain without colour");
    assert!(
        kdrift::diff::render(&inventory, true)
            .contains("\u{1b}[32m+  replicas: \u{1b}[7m4\u{1b}[27m")
    );
}

/// Every sync is a trace in memory: the sync, its steps and objects, with fields and errors.
#[tokio::test]
async fn a_sync_is_kept_as_a_trace_of_steps_and_objects() {
    use kdrift_engine::outbox::Outbox;
    use kdrift_engine::sync::{SyncEvent, run_sync};
    use kdrift_engine::traces::TraceStore;
    use tracing_subscriber::layer::SubscriberExt;
    let store = TraceStore::default();
    let telemetry = kdrift_engine::traces::Telemetry::new(&store, None).unwrap();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(telemetry.layer()));
    let demo = demo().await;
    let inv = evaluate(&demo.resolver, demo.snapshot.clone()).await;
    let keys = inv.drifted_keys();
    // without force: the hand edits' fields stop the step at its dry-run
    let (tx, _rx) = tokio::sync::mpsc::channel::<SyncEvent>(64);
    run_sync(
        demo.resolver.clone(),
        inv.plan_sync(&keys, false),
        Outbox::new(tx),
    )
    .await;
    let mut forced = inv.plan_sync(&keys, true);
    forced.force = true;
    let (tx, _rx) = tokio::sync::mpsc::channel::<SyncEvent>(64);
    run_sync(demo.resolver.clone(), forced, Outbox::new(tx)).await;

    // the lists were judged as batches and traced too: the syncs are the ones named so
    let traces: Vec<_> = store
        .traces()
        .into_iter()
        .filter(|t| t.spans[0].name == "sync")
        .collect();
    assert_eq!(traces.len(), 2, "{traces:#?}");
    assert!(
        store.traces().iter().any(|t| t.spans[0].name == "judge"),
        "{:#?}",
        store.traces()
    );
    let refused = &traces[0].spans;
    assert_eq!(refused[0].name, "sync");
    let step = refused.iter().find(|s| s.name == "step").unwrap();
    assert!(
        step.error.as_deref().unwrap_or("").contains("conflict"),
        "the refusal is on its step: {step:?}"
    );
    let done = &traces[1].spans;
    let objects: Vec<_> = done.iter().filter(|s| s.name == "object").collect();
    assert_eq!(objects.len(), 5, "{done:#?}");
    assert!(
        objects
            .iter()
            .all(|o| o.fields.iter().any(|(k, _)| *k == "key"))
    );
    assert!(done.iter().all(|s| s.end_ms >= Some(s.start_ms)));
    assert!(
        done.iter()
            .any(|s| s.name == "step" && s.fields.iter().any(|(_, v)| v == "prune"))
    );
}
