//! An embedded, simulated Kubernetes cluster.
//!
//! [`SimCluster`] serves the Kubernetes HTTP API from a `tower::Service`
//! plugged straight into `kube::Client::new`, so code under test (and
//! `kdrift demo`) runs the real kube-rs client with no network. It keeps a
//! handful of core and apps kinds, supports watches, server-side apply with
//! managedFields, and runs small controllers that turn Deployments and
//! StatefulSets into Running pods that write logs.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::json;

mod apply;
mod controllers;
mod crud;
mod fields;
mod http;
mod jaeger;
mod kubelet;
mod loggen;
mod logs;
mod managed;
mod ops;
mod patch;
mod prom;
mod recorder;
mod resources;
mod selectors;
mod status;
mod store;
mod util;
mod validate;
mod watch;
mod workloads;

pub use jaeger::JAEGER_SERVICE;
pub use prom::PROMETHEUS_SERVICE;

/// State shared by the HTTP service, the controllers and every handle.
pub(crate) struct Shared {
    store: Mutex<store::Store>,
    logs: logs::LogStore,
    /// Replica counts of the workloads over time, for the simulated Prometheus.
    history: prom::History,
    requests: AtomicU64,
    /// Only one controller loop may run (two would race creating pods).
    controllers_running: AtomicBool,
}

/// A simulated cluster. Cheap to clone; all clones share one state.
#[derive(Clone)]
pub struct SimCluster {
    shared: Arc<Shared>,
    /// Dropped with the last handle; the controllers stop when it goes.
    alive: Arc<tokio::sync::watch::Sender<()>>,
}

impl SimCluster {
    /// An empty cluster with the `default` and `kube-system` namespaces.
    pub fn new() -> Self {
        let shared = Arc::new(Shared {
            store: Mutex::new(store::Store::new(store::HISTORY_LIMIT)),
            logs: logs::LogStore::default(),
            history: prom::History::default(),
            requests: AtomicU64::new(0),
            controllers_running: AtomicBool::new(false),
        });
        let ns = resources::by_kind("Namespace");
        for name in ["default", "kube-system"] {
            let body = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
            shared
                .create(ns, "", body, &ops::WriteOpts::new("kube-apiserver"))
                .expect("built-in namespace is valid");
        }
        let (alive, _) = tokio::sync::watch::channel(());
        SimCluster {
            shared,
            alive: Arc::new(alive),
        }
    }

    /// A kube client talking to this cluster (must be called inside a
    /// tokio runtime: the client spawns its request buffer there).
    pub fn client(&self) -> kube::Client {
        kube::Client::new(http::SimService::new(self.shared.clone()), "default")
    }

    /// Starts the workload controllers, the simulated kubelet and the log
    /// writers. They run until every `SimCluster` handle is dropped or the
    /// returned task is aborted. While one loop runs, further calls return
    /// a task that ends immediately.
    pub fn spawn_controllers(&self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(controllers::run(
            self.shared.clone(),
            self.alive.subscribe(),
        ))
    }

    /// Number of HTTP requests served so far.
    pub fn request_count(&self) -> u64 {
        self.shared.requests.load(Ordering::Relaxed)
    }
}

impl Default for SimCluster {
    fn default() -> Self {
        Self::new()
    }
}
