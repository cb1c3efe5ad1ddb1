//! The events pane on the real control plane: a Deployment whose pods cannot be scheduled shows
//! the scheduler's warning about its pod, first, beside the controllers' events about its
//! ReplicaSet and itself.

use crate::common::testbed::{Engine, commit, deployment_key, testbed, unique};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kdrift::app::Msg;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_whose_pods_cannot_start_shows_why_in_the_events_pane() {
    let (tb, _shared) = testbed();
    let dir = tempfile::tempdir().unwrap();
    let ns = unique("t-events");
    let deployment = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: stuck\n  namespace: {ns}\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: stuck\n  template:\n    metadata:\n      labels:\n        app: stuck\n    spec:\n      nodeSelector:\n        kdrift.dev/nowhere: \"true\"\n      containers:\n        - name: app\n          image: registry.example/app:1\n"
    );
    let repo = dir.path().join("repo");
    commit(
        &repo,
        "a deployment nothing can run",
        &[
            (
                "ns.yaml",
                format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"),
            ),
            ("deploy.yaml", deployment.clone()),
        ],
    );
    let on_disk = dir.path().join("deploy.yaml");
    std::fs::write(&on_disk, &deployment).unwrap();
    tb.kubectl(&["create", "namespace", &ns]);
    tb.kubectl(&["apply", "-f", &on_disk.display().to_string()]);

    let mut e = Engine::start(&tb.admin, &repo).await;
    let key = deployment_key(&ns, "stuck");
    e.state_mut_select(&key);
    e.send(Msg::Key(KeyEvent::new(
        KeyCode::Char('e'),
        KeyModifiers::NONE,
    )));
    e.pump_until(Duration::from_secs(30), |s| {
        let rows = &s.events.rows;
        rows.first().is_some_and(|r| {
            r.warning && r.reason == "FailedScheduling" && r.object.starts_with("Pod/stuck-")
        }) && rows
            .iter()
            .any(|r| r.reason == "ScalingReplicaSet" && r.object == "Deployment/stuck")
            && rows.iter().any(|r| {
                r.reason == "SuccessfulCreate" && r.object.starts_with("ReplicaSet/stuck-")
            })
    })
    .await;
    let warning = &e.state().events.rows[0];
    assert!(
        warning.message.contains("node affinity/selector")
            || warning.message.contains("nodes are available"),
        "{warning:?}"
    );
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48)).unwrap();
    t.draw(|f| kdrift::ui::draw(f, e.state())).unwrap();
    let screen = t.backend().to_string();
    assert!(screen.contains("⚠ FailedScheduling Pod/stuck-"), "{screen}");
    tb.kubectl(&["delete", "namespace", &ns, "--wait=false"]);
}
