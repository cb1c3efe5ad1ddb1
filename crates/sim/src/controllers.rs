//! The controller loop: Deployment and StatefulSet controllers, the
//! kubelet's pod start timers, and per-namespace defaults. Driven by store
//! events; timers exist only while pods are starting, so an idle cluster
//! sleeps.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::{Value, json};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::Shared;
use super::kubelet::{PodRun, is_pending, start_delay, start_pod, write_logs};
use super::ops::WriteOpts;
use super::resources::{ResId, by_kind, def};
use super::store::{Event, EventType};
use super::workloads::reconcile_workload;

pub const MANAGER: &str = "kube-controller-manager";

/// A pod waiting for the kubelet to start it: (namespace, name, uid).
type StartTimer = (String, String, String);

struct Loop {
    shared: Arc<Shared>,
    shutdown: watch::Receiver<()>,
    timers: BTreeMap<(Instant, u64), StartTimer>,
    seq: u64,
    writers: JoinSet<()>,
}

/// Clears the "running" flag however the loop ends (including abort).
struct RunningGuard(Arc<Shared>);

impl Drop for RunningGuard {
    fn drop(&mut self) {
        self.0.controllers_running.store(false, Ordering::SeqCst);
    }
}

pub async fn run(shared: Arc<Shared>, shutdown: watch::Receiver<()>) {
    if shared.controllers_running.swap(true, Ordering::SeqCst) {
        tracing::warn!("sim: controllers already running; ignoring second spawn");
        return;
    }
    let _guard = RunningGuard(shared.clone());
    let mut events = shared.store.lock().expect("store lock").subscribe();
    let mut l = Loop {
        shared,
        shutdown,
        timers: BTreeMap::new(),
        seq: 0,
        writers: JoinSet::new(),
    };
    l.resync();
    loop {
        let next = l.timers.first_key_value().map(|(k, _)| k.0);
        let mut shutdown = l.shutdown.clone();
        tokio::select! {
            // The sender lives in the SimCluster handles: Err = all dropped.
            _ = shutdown.changed() => break,
            ev = events.recv() => match ev {
                Ok(ev) => l.on_event(&ev),
                Err(broadcast::error::RecvError::Lagged(_)) => l.resync(),
                Err(broadcast::error::RecvError::Closed) => break,
            },
            _ = tokio::time::sleep_until(next.unwrap_or_else(Instant::now)), if next.is_some() => l.fire_timers(),
            Some(_) = l.writers.join_next(), if !l.writers.is_empty() => {}
        }
    }
    l.writers.abort_all();
}

impl Loop {
    /// Full pass: used at start and whenever events were missed.
    fn resync(&mut self) {
        let namespaces = self.shared.list(by_kind("Namespace"), None).0;
        for ns in namespaces {
            self.namespace_defaults(ns["metadata"]["name"].as_str().unwrap_or_default());
        }
        for kind in ["Deployment", "StatefulSet"] {
            let res = by_kind(kind);
            for w in self.shared.list(res, None).0 {
                self.reconcile(res, &w);
            }
        }
        for pod in self.shared.list(by_kind("Pod"), None).0 {
            if is_pending(&pod) {
                self.schedule_start(&pod);
            } else if !self.shared.logs.has_pod(
                pod["metadata"]["namespace"].as_str().unwrap_or_default(),
                pod["metadata"]["name"].as_str().unwrap_or_default(),
                pod["metadata"]["uid"].as_str().unwrap_or_default(),
            ) {
                self.spawn_writer(PodRun::of(&pod));
            }
        }
    }

    fn on_event(&mut self, ev: &Event) {
        let kind = def(ev.res).kind;
        match (kind, ev.etype) {
            ("Namespace", EventType::Added) => {
                self.namespace_defaults(ev.object["metadata"]["name"].as_str().unwrap_or_default());
            }
            ("Deployment" | "StatefulSet", EventType::Added | EventType::Modified) => {
                self.reconcile(ev.res, &ev.object);
            }
            ("Pod", etype) => {
                if etype == EventType::Added && is_pending(&ev.object) {
                    self.schedule_start(&ev.object);
                }
                self.reconcile_owner(&ev.object);
            }
            _ => {}
        }
    }

    fn reconcile(&mut self, res: ResId, w: &Value) {
        let ns = w["metadata"]["namespace"].as_str().unwrap_or_default();
        let name = w["metadata"]["name"].as_str().unwrap_or_default();
        reconcile_workload(&self.shared, res, ns, name);
    }

    /// A pod changed: its workload's status (and replica count) may too.
    fn reconcile_owner(&mut self, pod: &Value) {
        let Some(refs) = pod["metadata"]["ownerReferences"].as_array() else {
            return;
        };
        let ns = pod["metadata"]["namespace"].as_str().unwrap_or_default();
        for r in refs {
            let kind = r["kind"].as_str().unwrap_or_default();
            if matches!(kind, "Deployment" | "StatefulSet") {
                reconcile_workload(
                    &self.shared,
                    by_kind(kind),
                    ns,
                    r["name"].as_str().unwrap_or_default(),
                );
            }
        }
    }

    fn schedule_start(&mut self, pod: &Value) {
        let s = |k: &str| pod["metadata"][k].as_str().unwrap_or_default().to_string();
        self.seq += 1;
        self.timers.insert(
            (Instant::now() + start_delay(), self.seq),
            (s("namespace"), s("name"), s("uid")),
        );
    }

    fn fire_timers(&mut self) {
        let now = Instant::now();
        while let Some(entry) = self.timers.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let (ns, name, uid) = entry.remove();
            if let Some(run) = start_pod(&self.shared, &ns, &name, &uid) {
                self.spawn_writer(run);
            }
        }
    }

    fn spawn_writer(&mut self, run: PodRun) {
        self.writers
            .spawn(write_logs(self.shared.clone(), run, self.shutdown.clone()));
    }

    /// Every namespace gets a `default` ServiceAccount and the
    /// `kube-root-ca.crt` ConfigMap, as in a real cluster.
    fn namespace_defaults(&self, ns: &str) {
        let opts = WriteOpts::new(MANAGER);
        let sa = by_kind("ServiceAccount");
        if self.shared.get(sa, ns, "default").is_none() {
            let body = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}});
            let _ = self.shared.create(sa, ns, body, &opts);
        }
        let cm = by_kind("ConfigMap");
        if self.shared.get(cm, ns, "kube-root-ca.crt").is_none() {
            let body = json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "kube-root-ca.crt", "annotations": {"kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."}},
                "data": {"ca.crt": "-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIBADAKBggqhkjOPQQDAjAjMSEwHwYDVQQDDBhrM3Mtc2Vy\ndmVyLWNhQGtkcmlmdC1zaW0wHhcNMjUwMTAxMDAwMDAwWhcNMzUwMTAxMDAwMDAw\nWjAjMSEwHwYDVQQDDBhrM3Mtc2VydmVyLWNhQGtkcmlmdC1zaW0wWTATBgcqhkjO\n-----END CERTIFICATE-----\n"},
            });
            let _ = self.shared.create(cm, ns, body, &opts);
        }
    }
}
