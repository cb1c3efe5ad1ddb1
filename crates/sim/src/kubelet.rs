//! The simulated kubelet: turns Pending pods into Running ones and runs a
//! log writer per running pod.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::watch;

use super::Shared;
use super::loggen::{Flavor, flavor, next_line, startup_lines};
use super::ops::WriteOpts;
use super::recorder::record;
use super::resources::by_kind;
use super::util::{now_rfc3339, rand_below, rand_u64};

pub const NODE_NAME: &str = "sim-node-1";
const HOST_IP: &str = "10.0.0.10";

/// Delay between a pod's creation and it running, like image pull + start.
pub fn start_delay() -> Duration {
    Duration::from_millis(300 + rand_below(200))
}

pub fn is_pending(pod: &Value) -> bool {
    matches!(
        pod.pointer("/status/phase").and_then(Value::as_str),
        None | Some("Pending")
    )
}

pub fn is_ready(pod: &Value) -> bool {
    pod.pointer("/status/phase").and_then(Value::as_str) == Some("Running")
        && pod["status"]["conditions"].as_array().is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        })
}

fn hex(n: usize) -> String {
    (0..n.div_ceil(16))
        .map(|_| format!("{:016x}", rand_u64()))
        .collect::<String>()[..n]
        .to_string()
}

fn running_status(pod: &Value) -> Value {
    let now = now_rfc3339();
    let cond = |t: &str| json!({"type": t, "status": "True", "lastProbeTime": null, "lastTransitionTime": now});
    let statuses: Vec<Value> = pod["spec"]["containers"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .map(|c| {
                    let image = c["image"].as_str().unwrap_or_default();
                    let repo = image.split(':').next().unwrap_or(image);
                    let repo = if repo.contains('/') {
                        repo.to_string()
                    } else {
                        format!("docker.io/library/{repo}")
                    };
                    json!({
                        "name": c["name"],
                        "image": image,
                        "imageID": format!("{repo}@sha256:{}", hex(64)),
                        "containerID": format!("containerd://{}", hex(64)),
                        "ready": true,
                        "started": true,
                        "restartCount": 0,
                        "state": {"running": {"startedAt": now}},
                        "lastState": {},
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let pod_ip = format!("10.244.0.{}", 2 + rand_below(250));
    json!({
        "phase": "Running",
        "conditions": [
            cond("PodReadyToStartContainers"), cond("Initialized"), cond("Ready"),
            cond("ContainersReady"), cond("PodScheduled"),
        ],
        "hostIP": HOST_IP,
        "hostIPs": [{"ip": HOST_IP}],
        "podIP": pod_ip,
        "podIPs": [{"ip": pod_ip}],
        "startTime": pod["metadata"]["creationTimestamp"],
        "qosClass": "BestEffort",
        "containerStatuses": statuses,
    })
}

/// Marks the pod instance `uid` Running (if it is still there and pending)
/// and returns what its log writer needs.
pub fn start_pod(shared: &Shared, ns: &str, name: &str, uid: &str) -> Option<PodRun> {
    let pods = by_kind("Pod");
    let pod = shared.get(pods, ns, name)?;
    if pod["metadata"]["uid"] != uid || !is_pending(&pod) {
        return None;
    }
    let mut body = (*pod).clone();
    body["status"] = running_status(&pod);
    let mut opts = WriteOpts::new("kubelet");
    opts.status = true;
    shared.update(pods, ns, name, body, &opts).ok()?;
    let containers = pod["spec"]["containers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for c in containers {
        let (container, image) = (
            c["name"].as_str().unwrap_or_default(),
            c["image"].as_str().unwrap_or_default(),
        );
        let pulled = format!("Container image \"{image}\" already present on machine");
        record(shared, &pod, false, "Pulled", &pulled, "kubelet");
        let created = format!("Created container: {container}");
        record(shared, &pod, false, "Created", &created, "kubelet");
        let started = format!("Started container {container}");
        record(shared, &pod, false, "Started", &started, "kubelet");
    }
    Some(PodRun::of(&pod))
}

/// What a log writer needs to know about one running pod.
pub struct PodRun {
    pub ns: String,
    pub name: String,
    pub uid: String,
    pub containers: Vec<(String, Flavor)>,
}

impl PodRun {
    pub fn of(pod: &Value) -> Self {
        let s = |p: &str| {
            pod.pointer(p)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let containers = pod["spec"]["containers"]
            .as_array()
            .map(|cs| {
                cs.iter()
                    .map(|c| {
                        let name = c["name"].as_str().unwrap_or_default().to_string();
                        (name, flavor(c["image"].as_str().unwrap_or_default()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        PodRun {
            ns: s("/metadata/namespace"),
            name: s("/metadata/name"),
            uid: s("/metadata/uid"),
            containers,
        }
    }
}

/// Writes startup lines, then one line per container every 1-2 s, until
/// the pod's buffers disappear or the cluster shuts down.
pub async fn write_logs(shared: Arc<Shared>, run: PodRun, mut shutdown: watch::Receiver<()>) {
    let names: Vec<String> = run.containers.iter().map(|(n, _)| n.clone()).collect();
    shared.logs.start_pod(&run.ns, &run.name, &run.uid, &names);
    for (c, f) in &run.containers {
        for line in startup_lines(*f, &run.name, c) {
            shared.logs.append(&run.ns, &run.name, &run.uid, c, line);
        }
    }
    loop {
        let pause = Duration::from_millis(1000 + rand_below(1000));
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = tokio::time::sleep(pause) => {}
        }
        for (c, f) in &run.containers {
            if !shared
                .logs
                .append(&run.ns, &run.name, &run.uid, c, next_line(*f))
            {
                return;
            }
        }
    }
}
