//! What `kdrift watch` says, one JSON object per line (and the same object per webhook
//! delivery): drift detected and resolved per object, converged, the sync it ran, watch health,
//! commits seen. Paths and manager names only: no field value ever, so no Secret value either.

use kdrift_engine::model::{DriftStatus, ResourceKey};
use serde::Serialize;

/// Changed fields named in one event at most (the rest are counted).
pub const MAX_FIELDS: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    /// The app of the repo's Argo CD or Flux definitions that renders it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
}

impl From<&ResourceKey> for ObjectRef {
    fn from(key: &ResourceKey) -> Self {
        ObjectRef {
            api_version: key.api_version(),
            kind: key.kind.clone(),
            namespace: key.namespace.clone(),
            name: key.name.clone(),
            app: None,
        }
    }
}

impl ObjectRef {
    /// `namespace/Kind/name` (`Kind/name` for a cluster-scoped object).
    pub fn path(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}/{}/{}", self.kind, self.name),
            None => format!("{}/{}", self.kind, self.name),
        }
    }
}

/// One thing that happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Every watched kind has listed: how the cluster compares with git from here on.
    Settled {
        commit: Option<String>,
        in_sync: usize,
        drifted: usize,
        errors: usize,
    },
    /// An object left git's state (or was found away from it at start).
    Drift {
        object: ObjectRef,
        status: DriftStatus,
        /// The differing fields' paths (at most `MAX_FIELDS`) and how many more there are.
        fields: Vec<String>,
        more_fields: usize,
        /// Who last wrote those fields, from managedFields.
        managers: Vec<String>,
        /// When the drift started (RFC 3339; the manager's write time when managedFields says).
        since: String,
        commit: Option<String>,
    },
    /// An object is back in git's state: how (`kdrift sync`, `manager <name>`, `commit <id>`,
    /// `gone`) and how long it drifted.
    Resolved {
        object: ObjectRef,
        status: DriftStatus,
        how: String,
        since: String,
        drifted_seconds: f64,
        commit: Option<String>,
    },
    /// Nothing drifts any more: every object matches git.
    Converged { resources: usize },
    /// A kind's watch changed health.
    Watch {
        kind: String,
        state: String,
        why: Option<String>,
    },
    /// The followed branch has a new commit.
    Commit {
        commit: String,
        subject: String,
        author: String,
    },
    /// A sync kdrift ran on its own (`--converge-after`) or asked an owner for.
    Sync {
        trigger: String,
        objects: Vec<ObjectRef>,
        converged: bool,
        applied: usize,
        failed: Vec<String>,
        skipped: Vec<String>,
    },
    /// A Flux or Argo CD owner asked to reconcile its drifted objects instead of kdrift
    /// applying them (`--reconcile-owner`): `asked`, then `reconciled` or `failed`.
    Owner {
        owner: String,
        state: String,
        text: Option<String>,
    },
    /// The repo could not be read or fetched.
    RepoFailed { error: String },
}

/// An event with when and where: what is written and posted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Envelope {
    pub time: String,
    pub cluster: String,
    #[serde(flatten)]
    pub event: Event,
}

impl Envelope {
    /// One JSON line.
    pub fn json(&self) -> String {
        serde_json::to_string(self)
            .unwrap_or_else(|e| format!(r#"{{"event":"error","error":"{e}"}}"#))
    }

    /// One line for a person: the time, then what happened.
    pub fn text(&self) -> String {
        let what = match &self.event {
            Event::Settled {
                in_sync,
                drifted,
                errors,
                ..
            } => format!("settled: {in_sync} in sync, {drifted} drifted, {errors} errors"),
            Event::Drift {
                object,
                status,
                fields,
                more_fields,
                managers,
                ..
            } => {
                let mut line = format!("drift {} {}", object.path(), status.label());
                if !fields.is_empty() {
                    line.push_str(&format!(" {}", fields.join(", ")));
                }
                if *more_fields > 0 {
                    line.push_str(&format!(" (+{more_fields})"));
                }
                if !managers.is_empty() {
                    line.push_str(&format!(" by {}", managers.join(", ")));
                }
                line
            }
            Event::Resolved {
                object,
                how,
                drifted_seconds,
                ..
            } => format!(
                "resolved {} by {how} after {drifted_seconds:.0}s",
                object.path()
            ),
            Event::Converged { resources } => {
                format!("converged: all {resources} resources match git")
            }
            Event::Watch { kind, state, why } => match why {
                Some(why) => format!("watch {kind}: {state} ({why})"),
                None => format!("watch {kind}: {state}"),
            },
            Event::Commit {
                commit, subject, ..
            } => format!("commit {commit} {subject}"),
            Event::Sync {
                trigger,
                objects,
                converged,
                failed,
                ..
            } => format!(
                "sync ({trigger}) of {} objects: {}{}",
                objects.len(),
                if *converged {
                    "converged"
                } else {
                    "not converged"
                },
                if failed.is_empty() {
                    String::new()
                } else {
                    format!("; failed: {}", failed.join("; "))
                }
            ),
            Event::Owner { owner, state, text } => match text {
                Some(t) => format!("owner {owner}: {state} ({t})"),
                None => format!("owner {owner}: {state}"),
            },
            Event::RepoFailed { error } => format!("repo: {error}"),
        };
        // names come from the cluster and git: nothing in them may steer a terminal
        kdrift_engine::text::sanitize(&format!("{} {what}", self.time))
    }

    /// The `event` tag (`drift`, `resolved`, …).
    pub fn kind(&self) -> &'static str {
        match self.event {
            Event::Settled { .. } => "settled",
            Event::Drift { .. } => "drift",
            Event::Resolved { .. } => "resolved",
            Event::Converged { .. } => "converged",
            Event::Watch { .. } => "watch",
            Event::Commit { .. } => "commit",
            Event::Sync { .. } => "sync",
            Event::Owner { .. } => "owner",
            Event::RepoFailed { .. } => "repo_failed",
        }
    }
}
