//! The two drift stages on a real API server: the local compare's noise (canonical quantities,
//! `false` and `[]` the server drops) is cleared by the server's dry-run; a real change is
//! confirmed with its manager; and a dry-run the user may not make leaves the local verdict
//! marked unconfirmed, never "in sync".

use crate::common::testbed::{resource, testbed, unique};
use kdrift_engine::repo::{RepoFile, write_history};

/// Written the way people write it: quantities in other units than the server stores,
/// defaults spelled out that the server leaves out.
fn deployment(name: &str, ns: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      hostNetwork: false\n      containers:\n        - name: web\n          image: nginx:1.27\n          args: []\n          resources:\n            limits: {{cpu: 1000m, memory: 1024Mi}}\n            requests: {{cpu: 0.5, memory: 1G}}\n          ports:\n            - containerPort: 80\n              protocol: TCP\n"
    )
}

#[test]
fn the_servers_dry_run_clears_local_noise_and_confirms_real_change() {
    let (tb, _shared) = testbed();
    // in `default`, where the restricted user may read deployments but not patch them
    let name = unique("t-stage");
    let text = deployment(&name, "default");
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let file = RepoFile {
        path: "web.yaml",
        contents: Some(&text),
    };
    write_history(&repo, &[("web", vec![file])]).unwrap();
    std::fs::write(dir.path().join("web.yaml"), &text).unwrap();
    tb.kubectl(&["apply", "-f", dir.path().join("web.yaml").to_str().unwrap()]);

    let (code, json, stderr) = tb.check(&repo, &tb.admin);
    let web = resource(&json, "Deployment", &name);
    assert_eq!(code, 0, "{json:#}\n{stderr}");
    assert_eq!(web["status"], "in_sync", "{web:#}");
    assert_eq!(web["stage"], "server", "the server decided: {web:#}");

    tb.kubectl(&[
        "-n",
        "default",
        "scale",
        &format!("deployment/{name}"),
        "--replicas=3",
    ]);
    let (code, json, _) = tb.check(&repo, &tb.admin);
    let web = resource(&json, "Deployment", &name);
    assert_eq!(code, 1);
    assert_eq!(web["stage"], "server");
    assert_eq!(
        web["changes"],
        serde_json::json!([{"path": "/spec/replicas", "desired": 2, "live": 3, "manager": "kubectl"}]),
        "exactly the scaled field, none of the noise: {web:#}"
    );

    // alice may read this Deployment, not patch it: the server cannot be asked, so the local
    // verdict stands, marked, and never turns into "in sync"
    let (code, json, _) = tb.check(&repo, &tb.alice);
    let web = resource(&json, "Deployment", &name);
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(web["status"], "modified");
    assert_eq!(web["stage"], "local");
    let message = web["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("not confirmed by the server"),
        "{web:#}"
    );
    tb.kubectl(&["-n", "default", "delete", &format!("deployment/{name}")]);
}
