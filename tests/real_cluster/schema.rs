//! Stage 1 compares list items by the keys the server's own API schema declares, read from its
//! OpenAPI v3 documents: here a custom resource whose list is keyed by `id`, which no built-in
//! rule could know.

use crate::common::testbed::{testbed, unique};
use kdrift_engine::cluster::{KubeEvent, Resolver, connect};
use kdrift_engine::headless::list_once;
use kdrift_engine::inventory::{Fact, Inventory};
use kdrift_engine::model::DriftStatus;
use kdrift_engine::repo::{RepoEvent, RepoFile, read_snapshot, write_history};

fn crd(group: &str) -> String {
    format!(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: routes.{group}\nspec:\n  group: {group}\n  scope: Namespaced\n  names: {{plural: routes, singular: route, kind: Route, listKind: RouteList}}\n  versions:\n    - name: v1\n      served: true\n      storage: true\n      schema:\n        openAPIV3Schema:\n          type: object\n          properties:\n            spec:\n              type: object\n              properties:\n                rules:\n                  type: array\n                  x-kubernetes-list-type: map\n                  x-kubernetes-list-map-keys: [id]\n                  items:\n                    type: object\n                    required: [id]\n                    properties:\n                      id: {{type: string}}\n                      weight: {{type: integer}}\n"
    )
}

/// Git's Route: two rules. Another manager adds a third by server-side apply, which the server
/// merges in by `id`: git's rules are all there, unchanged, so this is no drift.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_items_are_matched_by_the_keys_the_servers_schema_declares() {
    let (tb, _shared) = testbed();
    let ns = unique("t-schema");
    let group = format!("{ns}.kdrift.dev");
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    tb.kubectl(&["apply", "-f", &write("crd.yaml", &crd(&group))]);
    tb.kubectl(&[
        "wait",
        "--for=condition=established",
        &format!("crd/routes.{group}"),
    ]);
    // the server publishes a new CRD's schema a moment after it is established
    let published = std::time::Instant::now();
    while !tb
        .kubectl(&["get", "--raw", "/openapi/v3"])
        .contains(&format!("apis/{group}/v1"))
    {
        assert!(
            published.elapsed().as_secs() < 30,
            "the schema of {group} is never published"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    tb.kubectl(&["create", "namespace", &ns]);
    let route = format!(
        "apiVersion: {group}/v1\nkind: Route\nmetadata:\n  name: web\n  namespace: {ns}\nspec:\n  rules:\n    - id: a\n      weight: 1\n    - id: b\n      weight: 2\n"
    );
    tb.kubectl(&["apply", "--server-side", "-f", &write("route.yaml", &route)]);
    let canary = format!(
        "apiVersion: {group}/v1\nkind: Route\nmetadata:\n  name: web\n  namespace: {ns}\nspec:\n  rules:\n    - id: c\n      weight: 3\n"
    );
    tb.kubectl(&[
        "apply",
        "--server-side",
        "--field-manager=canary",
        "-f",
        &write("canary.yaml", &canary),
    ]);

    let repo = dir.path().join("repo");
    let file = RepoFile {
        path: "route.yaml",
        contents: Some(&route),
    };
    write_history(&repo, &[("route", vec![file])]).unwrap();
    let (client, _) = connect(Some(&tb.admin), None).await.unwrap();
    let resolver = Resolver::new(client);
    // what the watcher would bring: the schema, then the list
    let snapshot = read_snapshot(&repo, None, None, None).unwrap();
    let mut probe = Inventory::default();
    let requests: Vec<_> = probe
        .on_repo(RepoEvent::Snapshot(Box::new(snapshot.clone())))
        .into_iter()
        .filter_map(|f| match f {
            Fact::Watch(r) => Some(r),
            _ => None,
        })
        .flatten()
        .collect();
    let mut events = Vec::new();
    for req in &requests {
        events.extend(list_once(&resolver, req).await);
    }
    assert!(
        events
            .iter()
            .any(|e| matches!(e, KubeEvent::Shape { gvk, .. } if gvk.kind == "Route")),
        "the server's schema for Route was read"
    );
    let verdict = |with_schema: bool| {
        let mut inv = Inventory::default();
        inv.on_repo(RepoEvent::Snapshot(Box::new(snapshot.clone())));
        for e in &events {
            if with_schema || !matches!(e, KubeEvent::Shape { .. }) {
                inv.on_kube(e.clone());
            }
        }
        let (_, report) = inv
            .verdicts
            .iter()
            .find(|(k, _)| k.kind == "Route")
            .unwrap();
        report.clone()
    };
    let with = verdict(true);
    assert_eq!(with.status, DriftStatus::InSync, "{with:#?}");
    // without the schema the third rule makes the list look changed: the built-in rules
    // cannot know `id` is its key
    let without = verdict(false);
    assert_eq!(without.status, DriftStatus::Modified, "{without:#?}");

    // a real change to a git rule is still caught, named by its key
    let changed = route.replace("weight: 2", "weight: 5");
    tb.kubectl(&[
        "apply",
        "--server-side",
        "-f",
        &write("route.yaml", &changed),
    ]);
    let mut again = Vec::new();
    for req in &requests {
        again.extend(list_once(&resolver, req).await);
    }
    let mut inv = Inventory::default();
    inv.on_repo(RepoEvent::Snapshot(Box::new(snapshot)));
    for e in again {
        inv.on_kube(e);
    }
    let (_, report) = inv
        .verdicts
        .iter()
        .find(|(k, _)| k.kind == "Route")
        .unwrap();
    let paths: Vec<&str> = report.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(paths, ["/spec/rules[id=b]/weight"], "{report:#?}");
    assert_eq!(report.changes[0].manager.as_deref(), Some("kubectl"));

    tb.kubectl(&["delete", "namespace", &ns, "--wait=false"]);
    tb.kubectl(&["delete", "crd", &format!("routes.{group}"), "--wait=false"]);
}
