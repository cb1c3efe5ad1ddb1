//! The simulated cluster, exercised only through a real `kube::Client`.

mod apply;
mod controllers;
mod crud;
mod logs;
mod watch;

use std::time::Duration;

use futures::{AsyncBufReadExt, StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod};
use kdrift_sim::SimCluster;
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
