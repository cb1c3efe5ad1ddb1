//! What someone adds that git does not declare (an env var, a container, a label, an
//! annotation) is shown on the right object and field with who added it, and is not drift:
//! applying git would keep it. Neither client- nor server-side apply's defaults are reported.

use crate::common::testbed::{resource, testbed, unique};
use kdrift_engine::repo::{RepoFile, write_history};

fn deployment(ns: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: {ns}\n  labels:\n    app: web\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {{app: web}}\n  template:\n    metadata:\n      labels: {{app: web}}\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n          env:\n            - name: MODE\n              value: fast\n"
    )
}

fn extras(json: &serde_json::Value) -> Vec<(String, String)> {
    let web = resource(json, "Deployment", "web");
    web["extras"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_string(),
                e["manager"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn hand_added_fields_are_extras_with_their_manager_not_drift() {
    let (tb, _shared) = testbed();
    for server_side in [true, false] {
        let ns = unique("t-extras");
        let dir = tempfile::tempdir().unwrap();
        let text = deployment(&ns);
        let repo = dir.path().join("repo");
        let file = RepoFile {
            path: "web.yaml",
            contents: Some(&text),
        };
        write_history(&repo, &[("web", vec![file])]).unwrap();
        std::fs::write(dir.path().join("web.yaml"), &text).unwrap();
        tb.kubectl(&["create", "namespace", &ns]);
        let file = dir.path().join("web.yaml");
        let ssa: &[&str] = if server_side { &["--server-side"] } else { &[] };
        tb.kubectl(&[&["apply"], ssa, &["-f", file.to_str().unwrap()]].concat());

        let (code, json, stderr) = tb.check(&repo, &tb.admin);
        assert_eq!(code, 0, "{json:#}\n{stderr}");
        assert_eq!(
            extras(&json),
            vec![],
            "an apply's defaults are not extras (server-side: {server_side})"
        );

        let n = |args: &[&str]| tb.kubectl(&[&["-n", ns.as_str()], args].concat());
        n(&["set", "env", "deployment/web", "FOO=bar"]);
        n(&["label", "deployment/web", "team=payments"]);
        n(&["annotate", "deployment/web", "owner=alice"]);
        n(&[
            "patch",
            "deployment/web",
            "--type=json",
            "-p",
            r#"[{"op":"add","path":"/spec/template/spec/containers/-","value":{"name":"sidecar","image":"busybox"}}]"#,
        ]);
        let (code, json, stderr) = tb.check(&repo, &tb.admin);
        assert_eq!(code, 0, "extras are not drift: {json:#}\n{stderr}");
        assert_eq!(resource(&json, "Deployment", "web")["status"], "in_sync");
        let want = [
            ("/metadata/annotations/owner", "kubectl-annotate"),
            ("/metadata/labels/team", "kubectl-label"),
            (
                "/spec/template/spec/containers[name=sidecar]",
                "kubectl-patch",
            ),
            (
                "/spec/template/spec/containers[name=web]/env[name=FOO]",
                "kubectl-set",
            ),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(p, m)| (p.to_string(), m.to_string()))
            .collect();
        assert_eq!(extras(&json), want, "server-side: {server_side}");
        tb.kubectl(&["delete", "namespace", &ns, "--wait=false"]);
    }
}
