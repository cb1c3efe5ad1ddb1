//! `kdrift demo --chaos`: a simulated operator edits something every few seconds, so a person can
//! watch "drift detected" appear and then converge it.

use super::seed::edit;
use kdrift_engine::cluster::Resolver;
use serde_json::json;
use std::time::Duration;
use tokio::task::JoinHandle;

pub fn spawn_chaos(resolver: Resolver, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let edits = [
            (
                "apps",
                "Deployment",
                "frontend",
                "kubectl-scale",
                json!({"spec": {"replicas": 3}}),
            ),
            (
                "",
                "ConfigMap",
                "frontend-config",
                "kubectl-edit",
                json!({"data": {"FEATURE_NEW_CHECKOUT": "false"}}),
            ),
            (
                "apps",
                "Deployment",
                "api",
                "kubectl-scale",
                json!({"spec": {"replicas": 1}}),
            ),
            (
                "",
                "ConfigMap",
                "frontend-config",
                "kubectl-edit",
                json!({"data": {"CACHE_TTL_SECONDS": "5"}}),
            ),
        ];
        for (group, kind, name, manager, patch) in edits.iter().cycle() {
            tokio::time::sleep(every).await;
            if let Err(e) = edit(&resolver, group, kind, name, manager, patch.clone()).await {
                tracing::warn!(error = %e, "chaos edit failed");
            }
        }
    })
}
