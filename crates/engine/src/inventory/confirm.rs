//! Stage 2 in the inventory: which local drift verdicts go to the server, and how its answer
//! replaces them. An answer counts only while the desired object and the live resourceVersion
//! it was computed for are still the current ones.

use super::{Inventory, LiveObject};
use crate::cluster::{ConfirmRequest, Confirmation, Confirmed};
use crate::drift::{scrub_values, secret_values};
use crate::manifest::Manifest;
use crate::model::{DriftReport, DriftStatus, ResourceKey, Stage};
use crate::sync::{Stamp, applied_manifest};
use std::sync::Arc;

impl Inventory {
    /// The verdict once the server has had its say: the server's changes when it answered for
    /// these two sides, the local verdict marked pending while it has not, or unconfirmed (with
    /// the reason) when the dry-run failed. Local drift is asked about, and objects a commit
    /// changed that the local compare calls in sync.
    pub(super) fn with_server_verdict(
        &mut self,
        key: &ResourceKey,
        local: DriftReport,
    ) -> DriftReport {
        let (Some(desired), Some(kept)) = (self.desired.get(key), self.live.get(key)) else {
            return local;
        };
        let drifted = local.status == DriftStatus::Modified;
        let recheck = local.status == DriftStatus::InSync
            && self
                .recheck
                .get(key)
                .is_some_and(|d| Manifest::same(d, &desired.manifest));
        if !self.server_checks || !(drifted || recheck) {
            return local;
        }
        let version = kept.resource_version().map(str::to_string);
        let answer = self
            .confirmations
            .get(key)
            .filter(|c| holds(c, &desired.manifest, kept));
        match answer.map(|c| &c.outcome) {
            Some(Confirmed::Changes { changes, .. }) => DriftReport {
                status: if changes.is_empty() {
                    DriftStatus::InSync
                } else {
                    DriftStatus::Modified
                },
                changes: changes.clone(),
                stage: Stage::Server,
                ignored: Vec::new(),
                ..local
            },
            Some(Confirmed::Failed(e)) => {
                let mut text = format!("not confirmed by the server: {e}");
                if key.is_secret() {
                    // the server's words can quote what it refused
                    let mut values = secret_values(&desired.manifest.tree());
                    if let Some(live) = self.live_object(key) {
                        values.extend(secret_values(&live));
                    }
                    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
                    text = scrub_values(&text, &values);
                }
                DriftReport {
                    message: Some(text),
                    ..local
                }
            }
            Some(Confirmed::Stale) | None => {
                let asked = (desired.manifest.clone(), version);
                let already = self
                    .asked
                    .get(key)
                    .is_some_and(|(d, v)| Manifest::same(d, &asked.0) && *v == asked.1);
                if !already && let Some(live) = self.live_object(key) {
                    self.to_confirm.push(ConfirmRequest {
                        key: key.clone(),
                        manifest: applied_manifest(&desired.manifest.tree(), Stamp::default()),
                        desired: desired.manifest.clone(),
                        live,
                        shape: self.shapes.get(&key.gvk()).cloned(),
                    });
                    self.asked.insert(key.clone(), asked);
                }
                // in sync by the local compare: so it stays until the server says otherwise
                DriftReport {
                    pending: drifted,
                    ..local
                }
            }
        }
    }

    /// The object the server would make of `key` (its dry-run), while that answer is current.
    pub fn server_object(&self, key: &ResourceKey) -> Option<&Arc<serde_json::Value>> {
        let (desired, live) = (self.desired.get(key)?, self.live.get(key)?);
        let c = self.confirmations.get(key)?;
        let current = holds(c, &desired.manifest, live);
        match &c.outcome {
            Confirmed::Changes { server, .. } if current => Some(server),
            _ => None,
        }
    }

    /// The server answered: kept, and the row judged again with it.
    pub(super) fn confirmed(&mut self, answer: Confirmation) {
        let key = answer.key.clone();
        let is_the_asked = self
            .asked
            .get(&key)
            .is_some_and(|(d, v)| Manifest::same(d, &answer.desired) && *v == answer.live_version);
        if is_the_asked {
            self.asked.remove(&key);
        }
        if answer.outcome == Confirmed::Stale {
            // the watch brings the newer object, and with it a new question
            return;
        }
        self.confirmations.insert(key.clone(), answer);
        self.recompute(&key);
    }

    /// An object that left drops what the server said about it.
    pub(super) fn forget_confirmation(&mut self, key: &ResourceKey) {
        self.confirmations.remove(key);
        self.asked.remove(key);
        self.recheck.remove(key);
    }
}

/// Whether an answer still speaks for these two sides: the same desired object, and the live
/// version it was computed against or one that differs only in status and bookkeeping (status
/// updates come often and must not send the same question again).
fn holds(c: &Confirmation, desired: &Manifest, live: &LiveObject) -> bool {
    Manifest::same(&c.desired, desired)
        && (c.live_version.as_deref() == live.resource_version()
            || c.live_fingerprint == live.fingerprint())
}
