//! Discovery, list, get, create and delete through a real `kube::Client`.

use super::*;

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
    assert!(pod_caps.supports_operation(discovery::verbs::WATCH));
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
