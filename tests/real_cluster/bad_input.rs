//! B3/B4 on the real control plane: objects git cannot describe (no apiVersion, kind or name),
//! kinds the server does not know, and an object declared twice are reported by file and kept
//! out of the sync, while the rest of the repo still converges.

use crate::common::testbed::{commit, testbed, unique};
use serde_json::Value;

fn blocked_reasons(json: &Value) -> Vec<(String, String)> {
    json["blocked"]
        .as_array()
        .unwrap_or_else(|| panic!("no blocked list: {json:#}"))
        .iter()
        .map(|b| {
            (
                b["object"].as_str().unwrap_or("").to_string(),
                b["reason"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn b3_b4_undescribed_unknown_and_twice_declared_objects_are_reported_and_never_applied() {
    let (tb, _shared) = testbed();
    let dir = tempfile::tempdir().unwrap();
    let ns = unique("t-bad");
    let cm = |name: &str, value: &str| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {ns}\ndata:\n  k: {value}\n"
        )
    };
    let repo = dir.path().join("repo");
    commit(
        &repo,
        "a repo with every kind of bad object",
        &[
            (
                "ns.yaml",
                format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"),
            ),
            ("good.yaml", cm("good", "v")),
            (
                "no-api-version.yaml",
                format!("kind: ConfigMap\nmetadata:\n  name: a\n  namespace: {ns}\n"),
            ),
            (
                "no-kind.yaml",
                format!("apiVersion: v1\nmetadata:\n  name: b\n  namespace: {ns}\n"),
            ),
            (
                "no-name.yaml",
                format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: {ns}\n"),
            ),
            (
                "widget.yaml",
                format!(
                    "apiVersion: nowhere.example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: {ns}\n"
                ),
            ),
            ("twice-a.yaml", cm("twice", "first")),
            ("twice-b.yaml", cm("twice", "second")),
        ],
    );

    let (code, json, stderr) = tb.sync(&repo, &["--yes"]);
    assert_eq!(
        code, 2,
        "bad input is exit 2 even when the rest converged: {json:#}\n{stderr}"
    );
    let plan: Vec<&str> = json["plan"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["object"].as_str().unwrap())
        .collect();
    assert_eq!(
        plan,
        [format!("Namespace/{ns}"), format!("{ns}/ConfigMap/good")],
        "only the objects git describes once are planned: {json:#}"
    );
    let blocked = blocked_reasons(&json);
    let reason_of = |needle: &str| {
        blocked
            .iter()
            .find(|(object, reason)| object.contains(needle) || reason.contains(needle))
            .unwrap_or_else(|| panic!("nothing blocked for {needle}: {blocked:#?}"))
            .1
            .clone()
    };
    assert!(
        reason_of("no-api-version.yaml").contains("apiVersion"),
        "{blocked:#?}"
    );
    assert!(reason_of("no-kind.yaml").contains("kind"), "{blocked:#?}");
    assert!(
        reason_of("no-name.yaml").contains("metadata.name"),
        "{blocked:#?}"
    );
    assert!(
        reason_of("Widget/w").contains("unknown kind"),
        "{blocked:#?}"
    );
    let twice = reason_of("ConfigMap/twice");
    assert!(
        twice.contains("twice-a.yaml") && twice.contains("twice-b.yaml"),
        "a duplicate names both files: {twice}"
    );

    // the rest converged; nothing git could not describe reached the server
    assert_eq!(tb.field(&ns, "configmap/good", ".data.k"), "v");
    let names = tb.kubectl(&["-n", &ns, "get", "configmaps", "-o", "name"]);
    for absent in ["configmap/twice", "configmap/a", "configmap/b"] {
        assert!(
            !names.lines().any(|l| l == absent),
            "{absent} applied:\n{names}"
        );
    }
    tb.kubectl(&["delete", "namespace", &ns, "--wait=false"]);
}
