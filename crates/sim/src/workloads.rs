//! Deployment and StatefulSet reconciliation: pods from the template,
//! scaling, rolling on template change (delete and recreate), and status.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::Shared;
use super::controllers::MANAGER;
use super::kubelet::{NODE_NAME, is_ready};
use super::ops::{DeleteOpts, WriteOpts};
use super::recorder::record;
use super::resources::{ResId, by_kind, def};
use super::util::{fnv1a, now_rfc3339, rand_suffix};

/// Stable 10-hex-digit hash of the pod template (pod-template-hash).
fn template_hash(template: &Value) -> String {
    format!(
        "{:010x}",
        fnv1a(template.to_string().as_bytes()) & 0xff_ffff_ffff
    )
}

fn meta_str<'a>(v: &'a Value, key: &str) -> &'a str {
    v["metadata"][key].as_str().unwrap_or_default()
}

fn owned_pods(shared: &Shared, ns: &str, uid: &str) -> Vec<Value> {
    shared
        .list(by_kind("Pod"), Some(ns))
        .0
        .iter()
        .filter(|p| {
            p["metadata"]["ownerReferences"]
                .as_array()
                .is_some_and(|rs| rs.iter().any(|r| r["uid"] == uid))
        })
        .map(|p| (**p).clone())
        .collect()
}

fn ordinal(pod: &Value, set: &str) -> Option<usize> {
    meta_str(pod, "name")
        .strip_prefix(set)?
        .strip_prefix('-')?
        .parse()
        .ok()
}

pub fn reconcile_workload(shared: &Shared, res: ResId, ns: &str, name: &str) {
    let Some(w) = shared.get(res, ns, name) else {
        return;
    };
    let sts = def(res).kind == "StatefulSet";
    let uid = meta_str(&w, "uid").to_string();
    let replicas = w["spec"]["replicas"].as_i64().unwrap_or(1).max(0) as usize;
    let hash = template_hash(&w["spec"]["template"]);
    let (hash_label, want) = if sts {
        ("controller-revision-hash", format!("{name}-{hash}"))
    } else {
        ("pod-template-hash", hash.clone())
    };
    let pods_res = by_kind("Pod");
    let kind = def(res).kind;
    let component = if sts {
        "statefulset-controller"
    } else {
        "deployment-controller"
    };
    let delete = |pod: &Value| {
        let pod_name = meta_str(pod, "name");
        if shared
            .delete(pods_res, ns, pod_name, &DeleteOpts::default())
            .is_ok()
            && sts
        {
            let message = format!("delete Pod {pod_name} in {kind} {name} successful");
            record(shared, &w, false, "SuccessfulDelete", &message, component);
        }
    };

    // Template changed: replace outdated pods.
    let mut pods = owned_pods(shared, ns, &uid);
    pods.retain(|p| {
        let current = p["metadata"]["labels"][hash_label] == want.as_str();
        if !current {
            delete(p);
        }
        current
    });

    if sts {
        let mut have = BTreeSet::new();
        let mut extra: Vec<(usize, &Value)> = Vec::new();
        for p in &pods {
            match ordinal(p, name) {
                Some(i) if i < replicas => {
                    have.insert(i);
                }
                Some(i) => extra.push((i, p)),
                None => extra.push((usize::MAX, p)),
            }
        }
        extra.sort_by_key(|e| std::cmp::Reverse(e.0));
        for (_, p) in extra {
            delete(p);
        }
        for i in (0..replicas).filter(|i| !have.contains(i)) {
            let pod_name = format!("{name}-{i}");
            if create_pod(shared, &w, &pod_name, hash_label, &want, Some(i)) {
                let message = format!("create Pod {pod_name} in {kind} {name} successful");
                record(shared, &w, false, "SuccessfulCreate", &message, component);
            }
        }
    } else if pods.len() != replicas {
        let message = format!(
            "Scaled {} replica set {name}-{hash} from {} to {replicas}",
            if pods.len() > replicas { "down" } else { "up" },
            pods.len()
        );
        record(shared, &w, false, "ScalingReplicaSet", &message, component);
    }
    if !sts && pods.len() > replicas {
        // Scale down removes the newest pods first.
        pods.sort_by(|a, b| {
            (meta_str(b, "creationTimestamp"), meta_str(b, "name"))
                .cmp(&(meta_str(a, "creationTimestamp"), meta_str(a, "name")))
        });
        for p in &pods[..pods.len() - replicas] {
            delete(p);
        }
    } else if !sts {
        for _ in pods.len()..replicas {
            let pod_name = format!("{name}-{hash}-{}", rand_suffix(5));
            create_pod(shared, &w, &pod_name, hash_label, &want, None);
        }
    }

    let pods = owned_pods(shared, ns, &uid);
    let status = if sts {
        sts_status(&w, &pods, &want)
    } else {
        deployment_status(&w, &pods, replicas, &format!("{name}-{hash}"))
    };
    let ready = status["readyReplicas"].as_f64().unwrap_or(0.0);
    shared.history.record(super::prom::Sample {
        t: super::prom::now(),
        ns: ns.to_string(),
        kind: kind.to_string(),
        name: name.to_string(),
        labels: w["metadata"]["labels"].clone(),
        ready,
        desired: replicas as f64,
    });
    if w.get("status") != Some(&status) {
        let mut body = (*w).clone();
        body["status"] = status;
        let mut opts = WriteOpts::new(MANAGER);
        opts.status = true;
        // A 409 means the workload just changed; its event re-runs us.
        let _ = shared.update(res, ns, name, body, &opts);
    }
}

fn create_pod(
    shared: &Shared,
    w: &Value,
    pod_name: &str,
    hash_label: &str,
    hash: &str,
    ordinal: Option<usize>,
) -> bool {
    let template = &w["spec"]["template"];
    let mut labels = template["metadata"]["labels"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    labels.insert(hash_label.into(), json!(hash));
    let mut spec = template["spec"].clone();
    spec["nodeName"] = json!(NODE_NAME);
    if let Some(i) = ordinal {
        labels.insert("statefulset.kubernetes.io/pod-name".into(), json!(pod_name));
        labels.insert("apps.kubernetes.io/pod-index".into(), json!(i.to_string()));
        spec["hostname"] = json!(pod_name);
        if let Some(svc) = w["spec"]["serviceName"].as_str() {
            spec["subdomain"] = json!(svc);
        }
    }
    let mut metadata = json!({
        "name": pod_name,
        "labels": labels,
        "ownerReferences": [{
            "apiVersion": w["apiVersion"], "kind": w["kind"], "name": w["metadata"]["name"],
            "uid": w["metadata"]["uid"], "controller": true, "blockOwnerDeletion": true,
        }],
    });
    if let Some(a) = template["metadata"]["annotations"].as_object() {
        metadata["annotations"] = Value::Object(a.clone());
    }
    let body = json!({"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec});
    let ns = meta_str(w, "namespace");
    match shared.create(by_kind("Pod"), ns, body, &WriteOpts::new(MANAGER)) {
        Ok(pod) => {
            let message = format!("Successfully assigned {ns}/{pod_name} to {NODE_NAME}");
            record(
                shared,
                &pod,
                false,
                "Scheduled",
                &message,
                "default-scheduler",
            );
            true
        }
        Err(e) => {
            tracing::debug!(pod = pod_name, error = %e.message, "sim: pod creation failed");
            false
        }
    }
}

/// Drops zero counters, as the apiserver's omitempty does.
fn counters(pairs: &[(&str, usize)]) -> Map<String, Value> {
    pairs
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| ((*k).to_string(), json!(n)))
        .collect()
}

fn sts_status(w: &Value, pods: &[Value], revision: &str) -> Value {
    let ready = pods.iter().filter(|p| is_ready(p)).count();
    let mut s = counters(&[
        ("readyReplicas", ready),
        ("currentReplicas", pods.len()),
        ("updatedReplicas", pods.len()),
        ("availableReplicas", ready),
    ]);
    s.insert("replicas".into(), json!(pods.len()));
    s.insert(
        "observedGeneration".into(),
        w["metadata"]["generation"].clone(),
    );
    s.insert("currentRevision".into(), json!(revision));
    s.insert("updateRevision".into(), json!(revision));
    s.insert("collisionCount".into(), json!(0));
    Value::Object(s)
}

/// A condition that keeps its timestamps while its status/reason hold.
fn condition(old: &Value, kind: &str, status: &str, reason: &str, message: String) -> Value {
    let prev = old["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == kind));
    let now = json!(now_rfc3339());
    let transition = prev
        .filter(|p| p["status"] == status)
        .map(|p| p["lastTransitionTime"].clone())
        .unwrap_or_else(|| now.clone());
    let update = prev
        .filter(|p| p["status"] == status && p["reason"] == reason)
        .map(|p| p["lastUpdateTime"].clone())
        .unwrap_or(now);
    json!({
        "type": kind, "status": status, "lastUpdateTime": update,
        "lastTransitionTime": transition, "reason": reason, "message": message,
    })
}

fn deployment_status(w: &Value, pods: &[Value], replicas: usize, rs_name: &str) -> Value {
    let ready = pods.iter().filter(|p| is_ready(p)).count();
    let old = &w["status"];
    let mut s = counters(&[
        ("replicas", pods.len()),
        ("updatedReplicas", pods.len()),
        ("readyReplicas", ready),
        ("availableReplicas", ready),
        ("unavailableReplicas", replicas.saturating_sub(ready)),
    ]);
    s.insert(
        "observedGeneration".into(),
        w["metadata"]["generation"].clone(),
    );
    let available = ready >= replicas;
    let done = available && pods.len() == replicas;
    s.insert(
        "conditions".into(),
        json!([
            if available {
                condition(
                    old,
                    "Available",
                    "True",
                    "MinimumReplicasAvailable",
                    "Deployment has minimum availability.".into(),
                )
            } else {
                condition(
                    old,
                    "Available",
                    "False",
                    "MinimumReplicasUnavailable",
                    "Deployment does not have minimum availability.".into(),
                )
            },
            if done {
                condition(
                    old,
                    "Progressing",
                    "True",
                    "NewReplicaSetAvailable",
                    format!("ReplicaSet \"{rs_name}\" has successfully progressed."),
                )
            } else {
                condition(
                    old,
                    "Progressing",
                    "True",
                    "ReplicaSetUpdated",
                    format!("ReplicaSet \"{rs_name}\" is progressing."),
                )
            },
        ]),
    );
    Value::Object(s)
}
