//! Watches: resume from a resourceVersion, 410 when too old, kube-runtime watchers and reflectors.

use super::*;

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
