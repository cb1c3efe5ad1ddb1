//! Stage 2 as a task: server-side apply dry-runs of the objects the local compare calls drifted,
//! a few at a time, newest request per object first, each answered with what converging would
//! change. The inventory decides what to ask; this only asks the server.

use super::apply::dry_run_apply;
use super::events::KubeEvent;
use super::resolve::Resolver;
use crate::drift::{Shape, server_changes};
use crate::model::{FieldChange, ResourceKey};
use crate::outbox::Outbox;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;

/// Dry-runs in flight at once: enough to clear a start-up backlog quickly, few enough that the
/// API server (and its rate limits) hardly notice.
const IN_FLIGHT: usize = 4;

/// One object to confirm: what converging would apply, and the two sides it was judged on.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfirmRequest {
    pub key: ResourceKey,
    /// The object as converging would apply it.
    pub manifest: Value,
    /// The desired object the request is for (its identity decides whether an answer still fits).
    pub desired: crate::manifest::Manifest,
    pub live: Arc<Value>,
    /// The kind's API schema, for comparing the answer with live as the server merges lists.
    pub shape: Option<Arc<Shape>>,
}

/// The server's answer for one object.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirmation {
    pub key: ResourceKey,
    pub desired: crate::manifest::Manifest,
    /// The live resourceVersion the answer was computed against.
    pub live_version: Option<String>,
    /// What of that live object converging could change (`live_fingerprint`): an answer still
    /// holds for a newer version that differs only in status or bookkeeping.
    pub live_fingerprint: u64,
    pub outcome: Confirmed,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Confirmed {
    /// What converging would change (empty: in sync), and the object the server would make.
    Changes {
        changes: Vec<FieldChange>,
        server: Arc<Value>,
    },
    /// The dry-run was refused (forbidden, invalid, unreachable): the local verdict stands,
    /// unconfirmed.
    Failed(super::ClusterError),
    /// The server's object has moved past the live copy the request was judged on; the watch
    /// brings the newer one, and with it a new request.
    Stale,
}

/// A hash of what converging could change in `live` (status, resourceVersion and managedFields
/// left out): two versions with the same fingerprint get the same answer from a dry-run.
pub fn live_fingerprint(live: &Value) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    crate::drift::comparable(live).to_string().hash(&mut hasher);
    hasher.finish()
}

pub fn resource_version(obj: &Value) -> Option<&str> {
    obj.pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
}

/// The confirmer's front door: requests go in, `KubeEvent::Confirmed` comes out.
#[derive(Clone)]
pub struct Confirmer {
    tx: mpsc::UnboundedSender<ConfirmRequest>,
}

impl Confirmer {
    pub fn request(&self, req: ConfirmRequest) {
        let _ = self.tx.send(req);
    }
}

/// Requests taken as one batch at most: what arrived together (a list, a commit) is traced as
/// one `dry_run.batch`.
const BATCH: usize = 512;

/// Runs until every `Confirmer` is dropped or the task is aborted.
pub fn spawn_confirmer(resolver: Resolver, out: Outbox<KubeEvent>) -> (Confirmer, JoinHandle<()>) {
    let (tx, mut rx) = mpsc::unbounded_channel::<ConfirmRequest>();
    let task = tokio::spawn(async move {
        let slots = Arc::new(Semaphore::new(IN_FLIGHT));
        // the newest request per object: an older one still queued is skipped when its turn comes
        let newest: Arc<Mutex<HashMap<ResourceKey, u64>>> = Arc::default();
        let mut n = 0u64;
        while let Some(first) = rx.recv().await {
            let mut batch = vec![first];
            while batch.len() < BATCH
                && let Ok(req) = rx.try_recv()
            {
                batch.push(req);
            }
            let numbered: Vec<(u64, ConfirmRequest)> = {
                let mut newest = newest.lock().unwrap_or_else(|p| p.into_inner());
                batch
                    .into_iter()
                    .map(|req| {
                        n += 1;
                        newest.insert(req.key.clone(), n);
                        (n, req)
                    })
                    .collect()
            };
            let span = tracing::info_span!("dry_run.batch", objects = numbered.len());
            let (slots, resolver, out, newest) =
                (slots.clone(), resolver.clone(), out.clone(), newest.clone());
            let batch = async move {
                let mut asked = tokio::task::JoinSet::new();
                for (n, req) in numbered {
                    let Ok(permit) = slots.clone().acquire_owned().await else {
                        return;
                    };
                    let (resolver, out, newest) = (resolver.clone(), out.clone(), newest.clone());
                    let one = tracing::info_span!(
                        "dry_run",
                        key = %req.key,
                        outcome = tracing::field::Empty
                    );
                    let ask = async move {
                        let _permit = permit;
                        let current = newest
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .get(&req.key)
                            == Some(&n);
                        if !current {
                            tracing::Span::current().record("outcome", "superseded");
                            return;
                        }
                        let secret = req.key.is_secret();
                        let answer = confirm(&resolver, req).await;
                        let outcome = match &answer.outcome {
                            Confirmed::Changes { changes, .. } if changes.is_empty() => {
                                "in sync".to_string()
                            }
                            Confirmed::Changes { changes, .. } => {
                                format!("{} changes", changes.len())
                            }
                            Confirmed::Stale => "stale".into(),
                            // a refusal can quote what was sent: a Secret's never reaches a trace
                            Confirmed::Failed(_) if secret => {
                                tracing::warn!(
                                    "dry-run refused (a Secret: its answer is not kept)"
                                );
                                "failed".into()
                            }
                            Confirmed::Failed(e) => {
                                tracing::warn!(error = %e, "dry-run refused");
                                "failed".into()
                            }
                        };
                        tracing::Span::current().record("outcome", outcome.as_str());
                        out.send(KubeEvent::Confirmed(Box::new(answer))).await;
                    };
                    asked.spawn(tracing::Instrument::instrument(ask, one));
                }
                while asked.join_next().await.is_some() {}
            };
            tokio::spawn(tracing::Instrument::instrument(batch, span));
        }
    });
    (Confirmer { tx }, task)
}

/// One dry-run, compared with the live copy it was asked about.
pub async fn confirm(resolver: &Resolver, req: ConfirmRequest) -> Confirmation {
    let live_version = resource_version(&req.live).map(str::to_string);
    let live_fingerprint = live_fingerprint(&req.live);
    let outcome = match dry_run_apply(resolver, &req.key, &req.manifest).await {
        Err(e) => Confirmed::Failed(e),
        Ok(server) if resource_version(&server) != live_version.as_deref() => Confirmed::Stale,
        Ok(server) => Confirmed::Changes {
            changes: server_changes(
                &server,
                &req.live,
                req.key.is_secret(),
                req.shape.as_deref(),
            ),
            server: Arc::new(server),
        },
    };
    Confirmation {
        key: req.key,
        desired: req.desired,
        live_version,
        live_fingerprint,
        outcome,
    }
}
