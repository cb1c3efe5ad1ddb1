//! The simple controllers: StatefulSets and Deployments become Running pods; they stop with the cluster.

use super::*;

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
