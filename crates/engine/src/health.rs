//! Whether a live object is healthy, not only equal to git: a rollout complete, a Job done, a Pod
//! ready, a claim bound, a custom resource `Ready`. Read from `status` as the controllers write
//! it, so it is computed when an object arrives (the cache drops `status`).

use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "health", content = "reason", rename_all = "snake_case")]
pub enum Health {
    Healthy,
    /// On its way: a rollout in progress, pods starting, a claim pending.
    Progressing(String),
    /// It will not get there by itself: a rollout past its deadline, a failed Job, a crashing pod.
    Degraded(String),
}

impl Health {
    pub fn is_healthy(&self) -> bool {
        matches!(self, Health::Healthy)
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            Health::Healthy => None,
            Health::Progressing(r) | Health::Degraded(r) => Some(r),
        }
    }
}

fn int(obj: &Value, pointer: &str) -> Option<i64> {
    obj.pointer(pointer).and_then(Value::as_i64)
}

fn text<'v>(obj: &'v Value, pointer: &str) -> Option<&'v str> {
    obj.pointer(pointer).and_then(Value::as_str)
}

/// The condition of `type` (its status, reason and message).
fn condition<'v>(obj: &'v Value, kind: &str) -> Option<(&'v str, &'v str, &'v str)> {
    obj.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(kind))
        .map(|c| {
            let field = |f| c.get(f).and_then(Value::as_str).unwrap_or("");
            (field("status"), field("reason"), field("message"))
        })
}

/// The controller has not looked at the latest spec yet: nothing in `status` is about it.
fn unobserved(obj: &Value) -> bool {
    match (
        int(obj, "/metadata/generation"),
        int(obj, "/status/observedGeneration"),
    ) {
        (Some(generation), Some(observed)) => observed < generation,
        (Some(_), None) => true,
        _ => false,
    }
}

/// The health of `obj`, a `kind` of core group `group`.
pub fn health_of(group: &str, kind: &str, obj: &Value) -> Health {
    match (group, kind) {
        ("apps", "Deployment") => deployment(obj),
        ("apps", "StatefulSet") => statefulset(obj),
        ("apps", "DaemonSet") => daemonset(obj),
        ("batch", "Job") => job(obj),
        ("", "Pod") => pod(obj),
        ("", "PersistentVolumeClaim") => match text(obj, "/status/phase") {
            Some("Bound") => Health::Healthy,
            Some("Lost") => Health::Degraded("claim lost its volume".into()),
            other => Health::Progressing(format!(
                "claim {}",
                other.unwrap_or("pending").to_lowercase()
            )),
        },
        _ => generic(obj),
    }
}

fn progressing(msg: String) -> Health {
    Health::Progressing(msg)
}

fn deployment(obj: &Value) -> Health {
    if let Some(("False", "ProgressDeadlineExceeded", message)) = condition(obj, "Progressing") {
        return Health::Degraded(format!("rollout past its deadline: {message}"));
    }
    if unobserved(obj) {
        return progressing("rollout not started yet".into());
    }
    let want = int(obj, "/spec/replicas").unwrap_or(1);
    let updated = int(obj, "/status/updatedReplicas").unwrap_or(0);
    let total = int(obj, "/status/replicas").unwrap_or(0);
    let available = int(obj, "/status/availableReplicas").unwrap_or(0);
    if updated < want {
        progressing(format!("{updated} of {want} replicas updated"))
    } else if total > updated {
        progressing(format!("{} old replicas terminating", total - updated))
    } else if available < want {
        progressing(format!("{available} of {want} replicas available"))
    } else {
        Health::Healthy
    }
}

fn statefulset(obj: &Value) -> Health {
    if unobserved(obj) {
        return progressing("rollout not started yet".into());
    }
    let want = int(obj, "/spec/replicas").unwrap_or(1);
    let ready = int(obj, "/status/readyReplicas").unwrap_or(0);
    let rolling = text(obj, "/spec/updateStrategy/type") != Some("OnDelete");
    let updated = int(obj, "/status/updatedReplicas").unwrap_or(0);
    let revision_done = text(obj, "/status/currentRevision") == text(obj, "/status/updateRevision");
    if rolling && !revision_done && updated < want {
        progressing(format!("{updated} of {want} replicas updated"))
    } else if ready < want {
        progressing(format!("{ready} of {want} replicas ready"))
    } else {
        Health::Healthy
    }
}

fn daemonset(obj: &Value) -> Health {
    if unobserved(obj) {
        return progressing("rollout not started yet".into());
    }
    let want = int(obj, "/status/desiredNumberScheduled").unwrap_or(0);
    let updated = int(obj, "/status/updatedNumberScheduled").unwrap_or(0);
    let available = int(obj, "/status/numberAvailable").unwrap_or(0);
    if updated < want {
        progressing(format!("{updated} of {want} nodes updated"))
    } else if available < want {
        progressing(format!("{available} of {want} nodes available"))
    } else {
        Health::Healthy
    }
}

fn job(obj: &Value) -> Health {
    if let Some(("True", _, _)) = condition(obj, "Complete") {
        return Health::Healthy;
    }
    if let Some(("True", reason, message)) = condition(obj, "Failed") {
        return Health::Degraded(format!("job failed: {reason} {message}").trim().to_string());
    }
    progressing("job running".into())
}

fn pod(obj: &Value) -> Health {
    match text(obj, "/status/phase") {
        Some("Succeeded") => return Health::Healthy,
        Some("Failed") => {
            let why = text(obj, "/status/reason").unwrap_or("failed");
            return Health::Degraded(format!("pod {why}"));
        }
        _ => {}
    }
    if let Some(waiting) = waiting_reason(obj) {
        return waiting;
    }
    match condition(obj, "Ready") {
        Some(("True", _, _)) => Health::Healthy,
        _ => match condition(obj, "PodScheduled") {
            Some(("False", reason, message)) => progressing(format!("{reason}: {message}")),
            _ => progressing("pod not ready".into()),
        },
    }
}

/// Reasons a container waits that never clear by themselves.
const STUCK_WAITING: &[&str] = &[
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "CreateContainerConfigError",
    "InvalidImageName",
];

fn waiting_reason(obj: &Value) -> Option<Health> {
    let statuses = obj.pointer("/status/containerStatuses")?.as_array()?;
    statuses.iter().find_map(|c| {
        let waiting = c.pointer("/state/waiting")?;
        let reason = waiting.get("reason")?.as_str()?;
        let name = c.get("name").and_then(Value::as_str).unwrap_or("?");
        let message = waiting.get("message").and_then(Value::as_str).unwrap_or("");
        let text = format!("container {name}: {reason} {message}")
            .trim()
            .to_string();
        Some(if STUCK_WAITING.contains(&reason) {
            Health::Degraded(text)
        } else {
            Health::Progressing(text)
        })
    })
}

/// Any other kind: a `Ready` condition decides when there is one (custom resources, by the
/// convention most controllers follow), else a generation not yet observed; otherwise healthy.
fn generic(obj: &Value) -> Health {
    if let Some((status, reason, message)) = condition(obj, "Ready") {
        return match status {
            "True" => Health::Healthy,
            _ => progressing(format!("not Ready: {reason} {message}").trim().to_string()),
        };
    }
    match (
        int(obj, "/metadata/generation"),
        int(obj, "/status/observedGeneration"),
    ) {
        (Some(g), Some(o)) if o < g => progressing("not observed by its controller yet".into()),
        _ => Health::Healthy,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deploy(status: Value) -> Value {
        json!({"metadata": {"generation": 2}, "spec": {"replicas": 2}, "status": status})
    }

    #[test]
    fn deployments_are_healthy_when_every_replica_is_updated_and_available() {
        let cases = [
            (json!({}), "rollout not started yet"),
            (
                json!({"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}),
                "rollout not started yet",
            ),
            (
                json!({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 1, "availableReplicas": 2}),
                "1 of 2 replicas updated",
            ),
            (
                json!({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 2, "availableReplicas": 2}),
                "1 old replicas terminating",
            ),
            (
                json!({"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 1}),
                "1 of 2 replicas available",
            ),
        ];
        for (status, want) in cases {
            let h = health_of("apps", "Deployment", &deploy(status.clone()));
            assert_eq!(h, Health::Progressing(want.into()), "{status}");
        }
        let done = json!({"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2});
        assert_eq!(
            health_of("apps", "Deployment", &deploy(done)),
            Health::Healthy
        );
        let stuck = json!({"observedGeneration": 2, "conditions": [{"type": "Progressing",
            "status": "False", "reason": "ProgressDeadlineExceeded",
            "message": "ReplicaSet \"web-1\" has timed out progressing."}]});
        assert!(
            matches!(health_of("apps", "Deployment", &deploy(stuck)), Health::Degraded(m) if m.contains("timed out"))
        );
    }

    #[test]
    fn pods_jobs_claims_and_custom_resources() {
        let crash = json!({"status": {"phase": "Running", "containerStatuses": [{"name": "app",
            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 10s"}}}]}});
        assert_eq!(
            health_of("", "Pod", &crash),
            Health::Degraded("container app: CrashLoopBackOff back-off 10s".into())
        );
        let unscheduled = json!({"status": {"phase": "Pending", "conditions": [{"type": "PodScheduled",
            "status": "False", "reason": "Unschedulable", "message": "0/2 nodes are available"}]}});
        assert_eq!(
            health_of("", "Pod", &unscheduled),
            Health::Progressing("Unschedulable: 0/2 nodes are available".into())
        );
        let ready = json!({"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}});
        assert!(health_of("", "Pod", &ready).is_healthy());
        let failed = json!({"status": {"conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]}});
        assert!(matches!(
            health_of("batch", "Job", &failed),
            Health::Degraded(_)
        ));
        let complete = json!({"status": {"conditions": [{"type": "Complete", "status": "True"}]}});
        assert!(health_of("batch", "Job", &complete).is_healthy());
        assert!(
            health_of(
                "",
                "PersistentVolumeClaim",
                &json!({"status": {"phase": "Bound"}})
            )
            .is_healthy()
        );
        assert_eq!(
            health_of(
                "",
                "PersistentVolumeClaim",
                &json!({"status": {"phase": "Pending"}})
            ),
            Health::Progressing("claim pending".into())
        );
        let cr = json!({"status": {"conditions": [{"type": "Ready", "status": "False", "reason": "Waiting"}]}});
        assert_eq!(
            health_of("example.com", "Widget", &cr),
            Health::Progressing("not Ready: Waiting".into())
        );
        assert!(health_of("", "ConfigMap", &json!({"data": {}})).is_healthy());
    }

    #[test]
    fn statefulsets_and_daemonsets_count_ready_members() {
        let sts = json!({"metadata": {"generation": 1}, "spec": {"replicas": 3},
            "status": {"observedGeneration": 1, "replicas": 3, "readyReplicas": 2, "updatedReplicas": 3,
                "currentRevision": "a", "updateRevision": "a"}});
        assert_eq!(
            health_of("apps", "StatefulSet", &sts),
            Health::Progressing("2 of 3 replicas ready".into())
        );
        let ds = json!({"metadata": {"generation": 1}, "status": {"observedGeneration": 1,
            "desiredNumberScheduled": 2, "updatedNumberScheduled": 2, "numberAvailable": 2}});
        assert!(health_of("apps", "DaemonSet", &ds).is_healthy());
    }
}
