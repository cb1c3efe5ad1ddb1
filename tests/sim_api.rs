//! The simulated cluster, exercised only through a real `kube::Client`.

use std::time::Duration;

use futures::{AsyncBufReadExt, StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod};
use kdrift::sim::SimCluster;
use kube::api::{
    Api, DeleteParams, DynamicObject, ListParams, LogParams, Patch, PatchParams, PostParams,
    WatchEvent, WatchParams,
};
use kube::core::{ApiResource, GroupVersionKind, PartialObjectMeta};
use kube::discovery::{self, Discovery, Scope};
use kube::runtime::{WatchStreamExt, reflector, wait::await_condition, watcher};
use kube::{Client, ResourceExt};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(10);

fn api_err(e: kube::Error) -> Box<kube::core::Status> {
    match e {
        kube::Error::Api(s) => s,
        other => panic!("expected an API error, got {other:?}"),
    }
}

fn cm(name: &str, labels: Value, data: Value) -> ConfigMap {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "labels": labels},
        "data": data,
    }))
    .unwrap()
}

fn dyn_api(client: &Client, gvk: (&str, &str, &str), plural: &str, ns: &str) -> Api<DynamicObject> {
    let ar = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(gvk.0, gvk.1, gvk.2), plural);
    Api::namespaced_with(client.clone(), ns, &ar)
}

/// The next watch event, failing the test after `WAIT` or on a stream error or end.
async fn next_event<S, T, E>(stream: &mut S) -> T
where
    S: futures::Stream<Item = Result<T, E>> + Unpin,
    E: std::fmt::Debug,
{
    tokio::time::timeout(WAIT, stream.try_next())
        .await
        .expect("a watch event within WAIT")
        .expect("the watch stream works")
        .expect("the watch stream has not ended")
}

fn rv_of<K: ResourceExt>(k: &K) -> u64 {
    k.resource_version().unwrap().parse().unwrap()
}

/// managedFields entry of `manager` as JSON (None if absent).
fn managed_entry<K: ResourceExt>(k: &K, manager: &str, op: &str) -> Option<Value> {
    k.managed_fields()
        .iter()
        .find(|e| e.manager.as_deref() == Some(manager) && e.operation.as_deref() == Some(op))
        .map(|e| serde_json::to_value(e).unwrap())
}

#[tokio::test]
async fn discovery_run_and_pinned_kind() {
    let sim = SimCluster::new();
    let client = sim.client();

    let d = Discovery::new(client.clone()).run().await.unwrap();
    let (ar, caps) = d
        .resolve_gvk(&GroupVersionKind::gvk("apps", "v1", "Deployment"))
        .unwrap();
    assert_eq!(ar.plural, "deployments");
    assert_eq!(caps.scope, Scope::Namespaced);
    assert!(caps.subresources.iter().any(|(s, _)| s.plural == "status"));
    let (ns, caps) = d
        .resolve_gvk(&GroupVersionKind::gvk("", "v1", "Namespace"))
        .unwrap();
    assert_eq!(ns.plural, "namespaces");
    assert_eq!(caps.scope, Scope::Cluster);
    let (_, pod_caps) = d
        .resolve_gvk(&GroupVersionKind::gvk("", "v1", "Pod"))
        .unwrap();
    assert!(pod_caps.subresources.iter().any(|(s, _)| s.plural == "log"));
    assert!(pod_caps.supports_operation(kube::discovery::verbs::WATCH));
    assert!(
        d.resolve_gvk(&GroupVersionKind::gvk("batch", "v1", "Job"))
            .is_none()
    );

    let agg = Discovery::new(client.clone())
        .run_aggregated()
        .await
        .unwrap();
    assert!(
        agg.resolve_gvk(&GroupVersionKind::gvk("apps", "v1", "StatefulSet"))
            .is_some()
    );
    assert!(
        agg.resolve_gvk(&GroupVersionKind::gvk("", "v1", "Secret"))
            .is_some()
    );

    let (ar, caps) =
        discovery::pinned_kind(&client, &GroupVersionKind::gvk("apps", "v1", "StatefulSet"))
            .await
            .unwrap();
    assert_eq!(ar.plural, "statefulsets");
    assert_eq!(caps.scope, Scope::Namespaced);
    let missing =
        discovery::pinned_kind(&client, &GroupVersionKind::gvk("batch", "v1", "Job")).await;
    assert_eq!(api_err(missing.unwrap_err()).code, 404);

    let version = client.apiserver_version().await.unwrap();
    assert_eq!(version.major, "1");
    assert!(
        sim.request_count() >= 8,
        "requests: {}",
        sim.request_count()
    );
}

#[tokio::test]
async fn list_with_resource_version_and_selectors() {
    let sim = SimCluster::new();
    let client = sim.client();
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let pp = PostParams::default();
    cms.create(
        &pp,
        &cm("web-a", json!({"app": "web", "tier": "fe"}), json!({})),
    )
    .await
    .unwrap();
    cms.create(&pp, &cm("web-b", json!({"app": "web"}), json!({})))
        .await
        .unwrap();
    let last = cms
        .create(&pp, &cm("db", json!({"app": "db"}), json!({})))
        .await
        .unwrap();

    let all = cms.list(&ListParams::default()).await.unwrap();
    assert_eq!(all.items.len(), 3);
    assert_eq!(
        all.metadata.resource_version.as_deref(),
        last.resource_version().as_deref()
    );

    let names = |l: kube::core::ObjectList<ConfigMap>| {
        l.items.iter().map(|c| c.name_any()).collect::<Vec<_>>()
    };
    let lp = ListParams::default;
    let selections = [
        (lp().labels("app=web"), vec!["web-a", "web-b"]),
        (lp().labels("app!=web"), vec!["db"]),
        (lp().labels("app=web,tier"), vec!["web-a"]),
        (lp().labels("app in (db,cache)"), vec!["db"]),
        (lp().fields("metadata.name=web-b"), vec!["web-b"]),
    ];
    for (params, want) in selections {
        let got = cms.list(&params).await.unwrap();
        assert_eq!(names(got), want, "{params:?}");
    }

    // Pagination: limit + continue returns everything exactly once.
    let page1 = cms.list(&ListParams::default().limit(2)).await.unwrap();
    assert_eq!(page1.items.len(), 2);
    let token = page1.metadata.continue_.clone().expect("continue token");
    let page2 = cms
        .list(&ListParams::default().limit(2).continue_token(&token))
        .await
        .unwrap();
    assert_eq!(names(page2), ["web-b"]);

    // Cluster-wide list and the metadata-only API.
    let everywhere: Api<ConfigMap> = Api::all(client.clone());
    assert_eq!(
        everywhere
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .len(),
        3
    );
    let meta = cms
        .list_metadata(&ListParams::default().labels("app=db"))
        .await
        .unwrap();
    assert_eq!(meta.items.len(), 1);
    assert_eq!(meta.items[0].metadata.name.as_deref(), Some("db"));

    let bad = cms
        .list(&ListParams::default().labels("app in web"))
        .await
        .unwrap_err();
    assert_eq!(api_err(bad).code, 400);
}

#[tokio::test]
async fn get_missing_and_unknown_paths_are_not_found() {
    let sim = SimCluster::new();
    let client = sim.client();
    let cms = dyn_api(&client, ("", "v1", "ConfigMap"), "configmaps", "default");
    let err = api_err(cms.get("nope").await.unwrap_err());
    assert_eq!((err.code, err.reason.as_str()), (404, "NotFound"));
    assert!(
        err.message.contains("configmaps \"nope\" not found"),
        "{}",
        err.message
    );

    let before = sim.request_count();
    assert!(cms.get("nope").await.is_err());
    assert_eq!(sim.request_count(), before + 1);

    let jobs = dyn_api(&client, ("batch", "v1", "Job"), "jobs", "default");
    let err = api_err(jobs.list(&ListParams::default()).await.unwrap_err());
    assert_eq!((err.code, err.reason.as_str()), (404, "NotFound"));

    let deploys: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let err = api_err(deploys.get("nope").await.unwrap_err());
    assert!(
        err.message.contains("deployments.apps \"nope\""),
        "{}",
        err.message
    );

    let nss: Api<Namespace> = Api::all(client);
    assert!(nss.get("kube-system").await.is_ok());
}

#[tokio::test]
async fn create_conflicts_and_validation() {
    let sim = SimCluster::new();
    let client = sim.client();
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let pp = PostParams::default();
    let created = cms
        .create(&pp, &cm("c", json!({}), json!({"k": "v"})))
        .await
        .unwrap();
    assert!(created.metadata.uid.is_some());
    assert!(created.metadata.creation_timestamp.is_some());
    assert_eq!(created.metadata.namespace.as_deref(), Some("default"));
    assert!(managed_entry(&created, "unknown", "Update").is_some());

    let err = api_err(
        cms.create(&pp, &cm("c", json!({}), json!({})))
            .await
            .unwrap_err(),
    );
    assert_eq!((err.code, err.reason.as_str()), (409, "AlreadyExists"));

    let nowhere: Api<ConfigMap> = Api::namespaced(client.clone(), "missing");
    let err = api_err(
        nowhere
            .create(&pp, &cm("c", json!({}), json!({})))
            .await
            .unwrap_err(),
    );
    assert_eq!((err.code, err.reason.as_str()), (404, "NotFound"));

    let unnamed: ConfigMap = serde_json::from_value(json!({"metadata": {}})).unwrap();
    let err = api_err(cms.create(&pp, &unnamed).await.unwrap_err());
    assert_eq!((err.code, err.reason.as_str()), (422, "Invalid"));

    // Optimistic concurrency on PUT.
    let mut stale = created.clone();
    let mut fresh = created.clone();
    fresh.data = Some([("k".to_string(), "v2".to_string())].into());
    let updated = cms.replace("c", &pp, &fresh).await.unwrap();
    assert!(rv_of(&updated) > rv_of(&created));
    stale.data = Some([("k".to_string(), "v3".to_string())].into());
    let err = api_err(cms.replace("c", &pp, &stale).await.unwrap_err());
    assert_eq!((err.code, err.reason.as_str()), (409, "Conflict"));

    // Name in the body must match the URL.
    let err = api_err(cms.replace("other", &pp, &fresh).await.unwrap_err());
    assert_eq!(err.code, 400);
}

#[tokio::test]
async fn delete_cascades_to_dependents_and_namespace_contents() {
    let sim = SimCluster::new();
    let client = sim.client();
    let nss: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": "team"}})).unwrap();
    nss.create(&PostParams::default(), &ns).await.unwrap();
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "team");
    let owner = cms
        .create(&PostParams::default(), &cm("owner", json!({}), json!({})))
        .await
        .unwrap();
    let mut child = cm("child", json!({}), json!({}));
    child.metadata.owner_references =
        Some(vec![serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner.uid().unwrap()
    })).unwrap()]);
    cms.create(&PostParams::default(), &child).await.unwrap();
    cms.create(&PostParams::default(), &cm("other", json!({}), json!({})))
        .await
        .unwrap();

    let gone = cms.delete("owner", &DeleteParams::default()).await.unwrap();
    assert_eq!(gone.left().unwrap().name_any(), "owner");
    assert_eq!(api_err(cms.get("child").await.unwrap_err()).code, 404);
    assert!(cms.get("other").await.is_ok());

    nss.delete("team", &DeleteParams::default()).await.unwrap();
    assert_eq!(api_err(cms.get("other").await.unwrap_err()).code, 404);
    assert_eq!(api_err(nss.get("team").await.unwrap_err()).code, 404);
}

#[tokio::test]
async fn watch_from_resource_version_sees_later_changes_in_order() {
    let sim = SimCluster::new();
    let client = sim.client();
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let pp = PostParams::default();
    let a = cms
        .create(&pp, &cm("a", json!({}), json!({})))
        .await
        .unwrap();
    let start = a.resource_version().unwrap();

    cms.create(&pp, &cm("b", json!({}), json!({})))
        .await
        .unwrap();
    let patch = json!({"data": {"x": "1"}});
    cms.patch("a", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
    cms.delete("b", &DeleteParams::default()).await.unwrap();
    // A final marker proves nothing else was slipped in between.
    cms.create(&pp, &cm("marker", json!({}), json!({})))
        .await
        .unwrap();

    let stream = cms
        .watch(&WatchParams::default().timeout(5), &start)
        .await
        .unwrap();
    let events: Vec<_> = tokio::time::timeout(WAIT, stream.take(4).try_collect::<Vec<_>>())
        .await
        .expect("four events")
        .unwrap();
    let summary: Vec<(String, String)> = events
        .iter()
        .map(|e| match e {
            WatchEvent::Added(o) => ("ADDED".into(), o.name_any()),
            WatchEvent::Modified(o) => ("MODIFIED".into(), o.name_any()),
            WatchEvent::Deleted(o) => ("DELETED".into(), o.name_any()),
            other => (format!("{other:?}"), String::new()),
        })
        .collect();
    let expected = [
        ("ADDED", "b"),
        ("MODIFIED", "a"),
        ("DELETED", "b"),
        ("ADDED", "marker"),
    ]
    .map(|(t, n)| (t.to_string(), n.to_string()));
    assert_eq!(summary, expected);
    // resourceVersions strictly increase along the stream.
    let rvs: Vec<u64> = events
        .iter()
        .map(|e| match e {
            WatchEvent::Added(o) | WatchEvent::Modified(o) | WatchEvent::Deleted(o) => rv_of(o),
            _ => 0,
        })
        .collect();
    assert!(rvs.windows(2).all(|w| w[0] < w[1]), "{rvs:?}");
    assert!(rvs[0] > start.parse::<u64>().unwrap());

    // A label-selected watch sees an object that stops matching as DELETED.
    let now = cms.get("a").await.unwrap().resource_version().unwrap();
    let mut sel = cms
        .watch(&WatchParams::default().labels("team=x").timeout(5), &now)
        .await
        .unwrap()
        .boxed();
    let label = |v: &str| json!({"metadata": {"labels": {"team": v}}});
    cms.patch("a", &PatchParams::default(), &Patch::Merge(&label("x")))
        .await
        .unwrap();
    cms.patch("a", &PatchParams::default(), &Patch::Merge(&label("y")))
        .await
        .unwrap();
    let first = next_event(&mut sel).await;
    assert!(matches!(first, WatchEvent::Added(_)), "{first:?}");
    let second = next_event(&mut sel).await;
    assert!(matches!(second, WatchEvent::Deleted(_)), "{second:?}");
}

#[tokio::test]
async fn watch_with_expired_resource_version_gets_410() {
    let sim = SimCluster::new();
    let client = sim.client();
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let first = cms
        .create(&PostParams::default(), &cm("churn", json!({}), json!({})))
        .await
        .unwrap();
    // Push the first write out of the (10 000 event) history.
    for i in 0..10_001 {
        let p = json!({"data": {"n": i.to_string()}});
        cms.patch("churn", &PatchParams::default(), &Patch::Merge(&p))
            .await
            .unwrap();
    }
    let mut stream = cms
        .watch(
            &WatchParams::default().timeout(5),
            &first.resource_version().unwrap(),
        )
        .await
        .unwrap()
        .boxed();
    let ev = next_event(&mut stream).await;
    match ev {
        WatchEvent::Error(status) => {
            assert_eq!(status.code, 410);
            assert_eq!(status.reason, "Expired");
        }
        other => panic!("expected 410 Expired, got {other:?}"),
    }
    // A recent resourceVersion still resumes fine.
    let latest = cms.get("churn").await.unwrap().resource_version().unwrap();
    let mut ok = cms
        .watch(&WatchParams::default().timeout(5), &latest)
        .await
        .unwrap()
        .boxed();
    cms.patch(
        "churn",
        &PatchParams::default(),
        &Patch::Merge(&json!({"data": {"n": "x"}})),
    )
    .await
    .unwrap();
    let ev = next_event(&mut ok).await;
    assert!(matches!(ev, WatchEvent::Modified(_)), "{ev:?}");
}

#[tokio::test]
async fn runtime_watcher_and_reflector_see_apply_and_delete() {
    let sim = SimCluster::new();
    let client = sim.client();
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    cms.create(&PostParams::default(), &cm("pre", json!({}), json!({})))
        .await
        .unwrap();

    let (reader, writer) = reflector::store::<ConfigMap>();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let stream = reflector(
        writer,
        watcher(cms.clone(), watcher::Config::default()).default_backoff(),
    );
    let task = tokio::spawn(async move {
        let mut stream = std::pin::pin!(stream);
        while let Some(ev) = stream.next().await {
            if let Ok(ev) = ev {
                let _ = tx.send(ev);
            }
        }
    });
    reader.wait_until_ready().await.unwrap();
    assert!(
        reader
            .get(&reflector::ObjectRef::new("pre").within("default"))
            .is_some()
    );

    let applied = cm("via-apply", json!({"app": "x"}), json!({"k": "v"}));
    cms.patch(
        "via-apply",
        &PatchParams::apply("kdrift"),
        &Patch::Apply(&applied),
    )
    .await
    .unwrap();
    cms.delete("pre", &DeleteParams::default()).await.unwrap();

    let mut seen_apply = false;
    let mut seen_delete = false;
    tokio::time::timeout(WAIT, async {
        while !(seen_apply && seen_delete) {
            match rx.recv().await.unwrap() {
                watcher::Event::Apply(o) if o.name_any() == "via-apply" => seen_apply = true,
                watcher::Event::Delete(o) if o.name_any() == "pre" => seen_delete = true,
                _ => {}
            }
        }
    })
    .await
    .expect("apply and delete events");
    let cached = reader
        .get(&reflector::ObjectRef::new("via-apply").within("default"))
        .unwrap();
    assert_eq!(cached.data.as_ref().unwrap()["k"], "v");
    assert!(
        reader
            .get(&reflector::ObjectRef::new("pre").within("default"))
            .is_none()
    );
    task.abort();
}

fn deployment_config(replicas: i64, env: Value) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web", "owner": "kdrift"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "redis", "image": "redis:7", "env": env}]}
            }
        }
    })
}

#[tokio::test]
async fn server_side_apply_ownership_conflicts_and_dry_run() {
    let sim = SimCluster::new();
    let client = sim.client();
    let deploys: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let env = json!([{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]);
    let kdrift = PatchParams::apply("kdrift");

    // Create via apply.
    let created = deploys
        .patch(
            "web",
            &kdrift,
            &Patch::Apply(deployment_config(2, env.clone())),
        )
        .await
        .unwrap();
    assert_eq!(created.spec.replicas, Some(2));
    let entry = managed_entry(&created, "kdrift", "Apply").expect("kdrift owns fields");
    let f = &entry["fieldsV1"];
    assert_eq!(f["f:spec"]["f:replicas"], json!({}));
    assert_eq!(f["f:metadata"]["f:labels"]["f:owner"], json!({}));
    let redis = &f["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"redis\"}"];
    assert_eq!(redis["f:image"], json!({}));
    assert_eq!(redis["."], json!({}));
    assert_eq!(entry["fieldsType"], "FieldsV1");
    assert!(entry["time"].as_str().unwrap().ends_with('Z'));

    // Re-applying the same config is a no-op: no new resourceVersion.
    let again = deploys
        .patch(
            "web",
            &kdrift,
            &Patch::Apply(deployment_config(2, env.clone())),
        )
        .await
        .unwrap();
    assert_eq!(again.resource_version(), created.resource_version());

    // Someone scales by hand with a merge patch.
    let edit = PatchParams {
        field_manager: Some("kubectl-edit".into()),
        ..Default::default()
    };
    let edited = deploys
        .patch(
            "web",
            &edit,
            &Patch::Merge(json!({"spec": {"replicas": 5}})),
        )
        .await
        .unwrap();
    let entry = managed_entry(&edited, "kubectl-edit", "Update").expect("kubectl-edit recorded");
    assert_eq!(entry["fieldsV1"], json!({"f:spec": {"f:replicas": {}}}));
    let kd = managed_entry(&edited, "kdrift", "Apply").unwrap();
    assert!(kd["fieldsV1"]["f:spec"].get("f:replicas").is_none());

    // Re-applying without force conflicts on exactly that field.
    let err = deploys
        .patch(
            "web",
            &kdrift,
            &Patch::Apply(deployment_config(2, env.clone())),
        )
        .await
        .unwrap_err();
    let err = api_err(err);
    assert_eq!((err.code, err.reason.as_str()), (409, "Conflict"));
    assert!(
        err.message
            .starts_with("Apply failed with 1 conflict: conflict with \"kubectl-edit\""),
        "{}",
        err.message
    );
    assert!(err.message.contains(".spec.replicas"), "{}", err.message);
    let causes = err.details.as_ref().unwrap().causes.clone();
    assert_eq!(causes.len(), 1);
    assert_eq!(causes[0].reason, "FieldManagerConflict");
    assert_eq!(causes[0].field, ".spec.replicas");

    // Applying the live value shares ownership instead of conflicting.
    let shared = deploys
        .patch(
            "web",
            &kdrift,
            &Patch::Apply(deployment_config(5, env.clone())),
        )
        .await
        .unwrap();
    assert!(managed_entry(&shared, "kubectl-edit", "Update").is_some());
    assert_eq!(
        managed_entry(&shared, "kdrift", "Apply").unwrap()["fieldsV1"]["f:spec"]["f:replicas"],
        json!({})
    );

    // Dry run computes the forced result but stores nothing.
    let before = deploys.get("web").await.unwrap();
    let dry = PatchParams::apply("kdrift").force().dry_run();
    let preview = deploys
        .patch(
            "web",
            &dry,
            &Patch::Apply(deployment_config(3, env.clone())),
        )
        .await
        .unwrap();
    assert_eq!(preview.spec.replicas, Some(3));
    let after = deploys.get("web").await.unwrap();
    assert_eq!(after.spec.replicas, Some(5));
    assert_eq!(after.resource_version(), before.resource_version());
    // Dry run reports conflicts too.
    let dry_conflict = PatchParams::apply("kdrift").dry_run();
    let err = deploys
        .patch(
            "web",
            &dry_conflict,
            &Patch::Apply(deployment_config(3, env.clone())),
        )
        .await
        .unwrap_err();
    assert_eq!(api_err(err).code, 409);

    // Force takes the field over.
    let forced = deploys
        .patch(
            "web",
            &PatchParams::apply("kdrift").force(),
            &Patch::Apply(deployment_config(3, env.clone())),
        )
        .await
        .unwrap();
    assert_eq!(forced.spec.replicas, Some(3));
    assert!(managed_entry(&forced, "kubectl-edit", "Update").is_none());
    assert!(rv_of(&forced) > rv_of(&after));

    // Dropping fields from the applied config deletes them.
    let mut slim = deployment_config(3, json!([{"name": "A", "value": "1"}]));
    slim["metadata"]["labels"]
        .as_object_mut()
        .unwrap()
        .remove("owner");
    let pruned = deploys
        .patch("web", &kdrift, &Patch::Apply(slim))
        .await
        .unwrap();
    let labels = pruned.metadata.labels.clone().unwrap();
    assert!(
        !labels.contains_key("owner") && labels.contains_key("app"),
        "{labels:?}"
    );
    let container = &pruned.spec.template.spec.as_ref().unwrap().containers[0];
    let env_names: Vec<_> = container
        .env
        .as_ref()
        .unwrap()
        .iter()
        .map(|e| e.name.clone())
        .collect();
    assert_eq!(env_names, ["A"]);

    // Apply requires a field manager; YAML bodies are accepted too.
    let no_manager = PatchParams::default();
    let err = deploys
        .patch("web", &no_manager, &Patch::Apply(deployment_config(3, env)))
        .await
        .unwrap_err();
    assert_eq!(api_err(err).code, 422);
}

#[tokio::test]
async fn apply_accepts_yaml_bodies_and_validates_kind() {
    let sim = SimCluster::new();
    let client = sim.client();
    let yaml =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  greeting: hello\n";
    let req =
        http::Request::patch("/api/v1/namespaces/default/configmaps/from-yaml?fieldManager=kdrift")
            .header("content-type", "application/apply-patch+yaml")
            .body(yaml.as_bytes().to_vec())
            .unwrap();
    let obj: Value = client.request(req).await.unwrap();
    assert_eq!(obj["data"]["greeting"], "hello");

    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let wrong =
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "from-yaml"}});
    let err = cms
        .patch(
            "from-yaml",
            &PatchParams::apply("kdrift"),
            &Patch::Apply(wrong),
        )
        .await
        .unwrap_err();
    assert_eq!(api_err(err).code, 400);
}

fn statefulset(replicas: i32) -> StatefulSet {
    serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "cache"},
        "spec": {
            "replicas": replicas,
            "serviceName": "cache",
            "selector": {"matchLabels": {"app": "cache"}},
            "template": {
                "metadata": {"labels": {"app": "cache"}},
                "spec": {"containers": [{"name": "redis", "image": "redis:7.2"}]}
            }
        }
    }))
    .unwrap()
}

fn ready_replicas(n: i32) -> impl Fn(Option<&StatefulSet>) -> bool {
    move |s: Option<&StatefulSet>| {
        s.and_then(|s| s.status.as_ref())
            .is_some_and(|st| st.ready_replicas == Some(n) && st.replicas == n)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statefulset_controller_creates_scales_and_deletes_pods() {
    let sim = SimCluster::new();
    let _controllers = sim.spawn_controllers();
    let client = sim.client();
    let sts: Api<StatefulSet> = Api::namespaced(client.clone(), "default");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let created = sts
        .create(&PostParams::default(), &statefulset(3))
        .await
        .unwrap();

    tokio::time::timeout(
        WAIT,
        await_condition(sts.clone(), "cache", ready_replicas(3)),
    )
    .await
    .expect("3 ready replicas in time")
    .unwrap();
    let list = pods
        .list(&ListParams::default().labels("app=cache"))
        .await
        .unwrap();
    let mut names: Vec<_> = list.items.iter().map(|p| p.name_any()).collect();
    names.sort();
    assert_eq!(names, ["cache-0", "cache-1", "cache-2"]);
    for p in &list.items {
        assert_eq!(p.status.as_ref().unwrap().phase.as_deref(), Some("Running"));
        assert_eq!(p.owner_references()[0].uid, created.uid().unwrap());
        let ready = p.status.as_ref().unwrap().conditions.as_ref().unwrap();
        assert!(
            ready
                .iter()
                .any(|c| c.type_ == "Ready" && c.status == "True")
        );
    }

    // Status is written by the controller on the status subresource only.
    let live = sts.get("cache").await.unwrap();
    let kcm = managed_entry(&live, "kube-controller-manager", "Update").expect("status manager");
    assert_eq!(kcm["subresource"], "status");
    assert!(kcm["fieldsV1"].get("f:spec").is_none());
    assert!(kcm["fieldsV1"]["f:status"].get("f:readyReplicas").is_some());

    sts.patch(
        "cache",
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"replicas": 4}})),
    )
    .await
    .unwrap();
    tokio::time::timeout(
        WAIT,
        await_condition(sts.clone(), "cache", ready_replicas(4)),
    )
    .await
    .expect("scaled to 4 in time")
    .unwrap();
    assert!(pods.get("cache-3").await.is_ok());

    sts.delete("cache", &DeleteParams::default()).await.unwrap();
    let left = pods
        .list(&ListParams::default().labels("app=cache"))
        .await
        .unwrap();
    assert!(
        left.items.is_empty(),
        "{:?}",
        left.items.iter().map(|p| p.name_any()).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployment_rolls_pods_on_template_change() {
    let sim = SimCluster::new();
    let _controllers = sim.spawn_controllers();
    let client = sim.client();
    let deploys: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let cfg = deployment_config(2, json!([]));
    deploys
        .patch("web", &PatchParams::apply("kdrift"), &Patch::Apply(&cfg))
        .await
        .unwrap();
    let ready = |generation: i64| {
        move |d: Option<&Deployment>| {
            d.and_then(|d| d.status.as_ref()).is_some_and(|s| {
                s.ready_replicas == Some(2)
                    && s.replicas == Some(2)
                    && s.observed_generation == Some(generation)
            })
        }
    };
    tokio::time::timeout(WAIT, await_condition(deploys.clone(), "web", ready(1)))
        .await
        .unwrap()
        .unwrap();
    let before: Vec<_> = pods
        .list(&ListParams::default().labels("app=web"))
        .await
        .unwrap()
        .items;
    assert_eq!(before.len(), 2);
    assert!(before.iter().all(
        |p| p.name_any().starts_with("web-") && p.name_any().len() == "web-".len() + 10 + 1 + 5
    ));

    let mut cfg2 = cfg.clone();
    cfg2["spec"]["template"]["spec"]["containers"][0]["image"] = json!("redis:8");
    deploys
        .patch("web", &PatchParams::apply("kdrift"), &Patch::Apply(&cfg2))
        .await
        .unwrap();
    tokio::time::timeout(WAIT, await_condition(deploys.clone(), "web", ready(2)))
        .await
        .unwrap()
        .unwrap();
    let after = pods
        .list(&ListParams::default().labels("app=web"))
        .await
        .unwrap()
        .items;
    assert_eq!(after.len(), 2);
    for p in &after {
        assert_eq!(
            p.spec.as_ref().unwrap().containers[0].image.as_deref(),
            Some("redis:8")
        );
        assert!(before.iter().all(|b| b.uid() != p.uid()));
    }
}

fn pod(name: &str, containers: Value) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": containers}
    }))
    .unwrap()
}

/// Creates the pod and waits until the simulated kubelet runs it.
async fn start_pod(pods: &Api<Pod>, name: &str, containers: Value) {
    pods.create(&PostParams::default(), &pod(name, containers))
        .await
        .unwrap();
    let running = |p: Option<&Pod>| {
        p.and_then(|p| p.status.as_ref())
            .and_then(|s| s.phase.as_deref())
            == Some("Running")
    };
    tokio::time::timeout(WAIT, await_condition(pods.clone(), name, running))
        .await
        .expect("the pod runs within WAIT")
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_logs_tail_and_follow() {
    let sim = SimCluster::new();
    let _controllers = sim.spawn_controllers();
    let client = sim.client();
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    start_pod(
        &pods,
        "redis",
        json!([{"name": "redis", "image": "redis:7"}]),
    )
    .await;

    let all = pods.logs("redis", &LogParams::default()).await.unwrap();
    assert!(all.contains("Ready to accept connections"), "{all}");
    let tail = pods
        .logs(
            "redis",
            &LogParams {
                tail_lines: Some(2),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let tail_lines: Vec<_> = tail.lines().collect();
    assert_eq!(tail_lines.len(), 2, "{tail}");
    // The tail starts within the last two lines of the earlier full read
    // (one new line may have been written in between).
    let all_lines: Vec<_> = all.lines().collect();
    let pos = all_lines.iter().position(|l| *l == tail_lines[0]);
    assert!(
        pos.is_some_and(|p| p + 2 >= all_lines.len()),
        "tail {tail_lines:?} vs full {all_lines:?}"
    );
    assert!(all_lines.len() > 2);

    let stamped = pods
        .logs(
            "redis",
            &LogParams {
                tail_lines: Some(1),
                timestamps: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let ts = stamped.split(' ').next().unwrap();
    assert!(ts.len() == 30 && ts.ends_with('Z'), "{stamped}");

    // Follow with no backlog: whatever arrives was written after opening.
    let before_open = pods.logs("redis", &LogParams::default()).await.unwrap();
    let follow = LogParams {
        follow: true,
        tail_lines: Some(0),
        ..Default::default()
    };
    let mut lines = pods.log_stream("redis", &follow).await.unwrap().lines();
    let line = tokio::time::timeout(WAIT, lines.next())
        .await
        .expect("a new line")
        .unwrap()
        .unwrap();
    assert!(line.contains(":M ") || line.contains(":C "), "{line}");
    // Not part of what existed before the stream was opened (tailLines=0).
    assert!(!before_open.lines().any(|l| l == line), "{line} is old");
    let full = pods.logs("redis", &LogParams::default()).await.unwrap();
    assert!(full.lines().any(|l| l == line));

    // Deleting the pod ends the follow stream.
    pods.delete("redis", &DeleteParams::default())
        .await
        .unwrap();
    let end = tokio::time::timeout(WAIT, async {
        while let Some(Ok(_)) = lines.next().await {}
    })
    .await;
    assert!(end.is_ok(), "follow stream did not end after pod deletion");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_container_logs_need_a_container_name() {
    let sim = SimCluster::new();
    let _controllers = sim.spawn_controllers();
    let client = sim.client();
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let containers = json!([{"name": "app", "image": "example/shop-api:1.0"}, {"name": "proxy", "image": "nginx:1.27"}]);
    start_pod(&pods, "shop", containers).await;

    let err = api_err(pods.logs("shop", &LogParams::default()).await.unwrap_err());
    assert_eq!(err.code, 400);
    assert!(err.message.contains("app proxy"), "{}", err.message);
    let app = pods
        .logs(
            "shop",
            &LogParams {
                container: Some("app".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let first: Value = serde_json::from_str(app.lines().next().unwrap()).expect("JSON app logs");
    assert_eq!(first["level"], "info");
    let proxy = pods
        .logs(
            "shop",
            &LogParams {
                container: Some("proxy".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(proxy.contains("nginx"), "{proxy}");
    let err = api_err(
        pods.logs(
            "shop",
            &LogParams {
                container: Some("nope".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(err.code, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controllers_stop_when_the_cluster_is_dropped() {
    let sim = SimCluster::new();
    let handle = sim.spawn_controllers();
    let client = sim.client();
    // The controller creates per-namespace defaults, so it is alive.
    let sas: Api<DynamicObject> = dyn_api(
        &client,
        ("", "v1", "ServiceAccount"),
        "serviceaccounts",
        "default",
    );
    let sa = tokio::time::timeout(WAIT, async {
        loop {
            if let Ok(sa) = sas.get("default").await {
                return sa;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("default service account");
    assert_eq!(sa.name_any(), "default");
    // A second spawn while one runs is a no-op that ends at once.
    tokio::time::timeout(WAIT, sim.spawn_controllers())
        .await
        .expect("second spawn returns")
        .unwrap();
    assert!(!handle.is_finished());
    drop(sim);
    tokio::time::timeout(WAIT, handle)
        .await
        .expect("controllers stopped")
        .unwrap();
}

#[tokio::test]
async fn streaming_list_watcher_and_metadata_watcher() {
    let sim = SimCluster::new();
    let client = sim.client();
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    cms.create(
        &PostParams::default(),
        &cm("one", json!({"app": "x"}), json!({})),
    )
    .await
    .unwrap();
    let cfg = watcher::Config::default().streaming_lists().labels("app=x");
    let mut events = watcher(cms.clone(), cfg).boxed();
    let mut init = Vec::new();
    tokio::time::timeout(WAIT, async {
        loop {
            match events.try_next().await.unwrap().unwrap() {
                watcher::Event::InitApply(o) => init.push(o.name_any()),
                watcher::Event::InitDone => break,
                _ => {}
            }
        }
    })
    .await
    .expect("initial events end");
    assert_eq!(init, ["one"]);

    let metas: Api<PartialObjectMeta<ConfigMap>> = Api::namespaced(client.clone(), "default");
    let mut meta = watcher(metas, watcher::Config::default())
        .applied_objects()
        .boxed();
    cms.create(
        &PostParams::default(),
        &cm("two", json!({"app": "x"}), json!({})),
    )
    .await
    .unwrap();
    let names = tokio::time::timeout(WAIT, async {
        let mut names = Vec::new();
        while names.len() < 2 {
            names.push(meta.try_next().await.unwrap().unwrap().name_any());
        }
        names
    })
    .await
    .expect("metadata events");
    assert!(names.contains(&"two".to_string()), "{names:?}");
    let next = next_event(&mut events).await;
    assert!(matches!(next, watcher::Event::Apply(ref o) if o.name_any() == "two"));
}

#[tokio::test]
async fn generation_and_no_op_writes() {
    let sim = SimCluster::new();
    let client = sim.client();
    let deploys: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let created = deploys
        .patch(
            "web",
            &PatchParams::apply("kdrift"),
            &Patch::Apply(deployment_config(1, json!([]))),
        )
        .await
        .unwrap();
    assert_eq!(created.metadata.generation, Some(1));
    let pp = PatchParams::default();

    // Metadata-only change: new resourceVersion, same generation.
    let labelled = deploys
        .patch(
            "web",
            &pp,
            &Patch::Merge(json!({"metadata": {"labels": {"x": "1"}}})),
        )
        .await
        .unwrap();
    assert!(rv_of(&labelled) > rv_of(&created));
    assert_eq!(labelled.metadata.generation, Some(1));

    // Spec change bumps generation.
    let scaled = deploys
        .patch("web", &pp, &Patch::Merge(json!({"spec": {"replicas": 3}})))
        .await
        .unwrap();
    assert_eq!(scaled.metadata.generation, Some(2));

    // Patches that change nothing store nothing and emit no event.
    let stream = deploys
        .watch(
            &WatchParams::default().timeout(5),
            &scaled.resource_version().unwrap(),
        )
        .await
        .unwrap();
    let same = deploys
        .patch("web", &pp, &Patch::Merge(json!({"spec": {"replicas": 3}})))
        .await
        .unwrap();
    assert_eq!(same.resource_version(), scaled.resource_version());
    // JSON patch (RFC 6902), sent raw: kube's typed helper needs a feature.
    let req = http::Request::patch("/apis/apps/v1/namespaces/default/deployments/web")
        .header("content-type", "application/json-patch+json")
        .body(br#"[{"op": "replace", "path": "/spec/replicas", "value": 4}]"#.to_vec())
        .unwrap();
    let patched: Deployment = client.request(req).await.unwrap();
    assert_eq!(patched.spec.replicas, Some(4));
    let first = tokio::time::timeout(WAIT, stream.boxed().try_next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    match first {
        WatchEvent::Modified(d) => assert_eq!(d.spec.replicas, Some(4)),
        other => panic!("expected the JSON patch's MODIFIED first, got {other:?}"),
    }
}
