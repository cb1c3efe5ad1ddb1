//! Pod logs: tail, follow, container names.

use super::*;

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
