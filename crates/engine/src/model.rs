//! Pure domain types shared by every layer: no I/O, no UI.

use serde::Serialize;
use serde_json::Value;
use std::fmt;

/// Label kdrift puts on everything it applies; only objects carrying it may be pruned.
pub const OWNER_LABEL: &str = "app.kubernetes.io/managed-by";
pub const OWNER_VALUE: &str = "kdrift";
/// Annotation naming the repo and path an object was applied from (`Snapshot::source`): with the
/// label, what makes an object this repo's to prune; the label alone is shared by every repo.
pub const SOURCE_ANNOTATION: &str = "kdrift.dev/source";
/// Field manager used for every server-side apply.
pub const FIELD_MANAGER: &str = "kdrift";

/// Kinds watched for orphans (by kdrift's label) even when git no longer declares any object of them.
pub const ORPHAN_KINDS: &[(&str, &str, &str)] = &[
    ("", "v1", "ConfigMap"),
    ("", "v1", "Secret"),
    ("", "v1", "Service"),
    ("", "v1", "ServiceAccount"),
    ("", "v1", "PersistentVolumeClaim"),
    ("apps", "v1", "Deployment"),
    ("apps", "v1", "StatefulSet"),
    ("apps", "v1", "DaemonSet"),
    ("batch", "v1", "Job"),
    ("batch", "v1", "CronJob"),
    ("networking.k8s.io", "v1", "Ingress"),
    ("rbac.authorization.k8s.io", "v1", "Role"),
    ("rbac.authorization.k8s.io", "v1", "RoleBinding"),
];

pub use crate::resource_key::{KeyParts, ResourceKey};

impl ResourceKey {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Builds a key from an object's apiVersion/kind/metadata. `None` when any part is missing.
    pub fn from_object(obj: &Value) -> Option<Self> {
        let api_version = obj.get("apiVersion")?.as_str()?;
        let kind = obj.get("kind")?.as_str()?.to_string();
        let meta = obj.get("metadata")?;
        let name = meta.get("name")?.as_str()?.to_string();
        let namespace = meta
            .get("namespace")
            .and_then(Value::as_str)
            .map(str::to_string);
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (String::new(), api_version.to_string()),
        };
        Some(
            KeyParts {
                namespace,
                kind,
                name,
                group,
                version,
            }
            .into(),
        )
    }

    pub fn is_secret(&self) -> bool {
        self.group.is_empty() && self.kind == "Secret"
    }

    pub fn is_workload(&self) -> bool {
        self.group == "apps"
            && matches!(
                self.kind.as_str(),
                "Deployment" | "StatefulSet" | "DaemonSet"
            )
    }
}

impl fmt::Display for ResourceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{}/{}/{}", ns, self.kind, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}

/// An object as git declares it, with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    pub key: ResourceKey,
    /// Shared, as compact text: a commit that leaves a file alone hands the same parsed object
    /// on (parse cache, snapshot, state), so nothing is deep-copied and "unchanged" is a pointer
    /// comparison.
    pub manifest: crate::manifest::Manifest,
    /// Path of the file inside the repo that declared it.
    pub source: String,
    /// The app (an Argo CD Application, a Flux Kustomization or HelmRelease, or one of
    /// `.kdrift.toml`'s) that renders it; `None` for what the path itself holds.
    pub app: Option<std::sync::Arc<str>>,
}

/// A manifest that could not be turned into a desired object.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ManifestError {
    pub source: String,
    pub line: Option<usize>,
    pub message: String,
    /// The object it is about, when there is one (declared twice): that object is blocked too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<ResourceKey>,
    /// The app whose render or definition it is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
}

/// A GitOps controller that reconciles an object (by its labels, annotations or field managers):
/// applying over it directly starts a tug of war, pruning it is never kdrift's call.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct GitOpsOwner {
    /// "Flux" or "Argo CD".
    pub tool: &'static str,
    /// `Kustomization`, `HelmRelease` or `Application`.
    pub kind: &'static str,
    pub namespace: Option<String>,
    /// None when only a field manager gave the tool away.
    pub name: Option<String>,
}

impl fmt::Display for GitOpsOwner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.tool, self.kind)?;
        match (&self.namespace, &self.name) {
            (Some(ns), Some(name)) => write!(f, " {ns}/{name}"),
            (None, Some(name)) => write!(f, " {name}"),
            _ => Ok(()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftStatus {
    InSync,
    Modified,
    Missing,
    Orphan,
    Error,
    /// Left out on purpose (a submodule): shown so nothing is silently missing, blocks nothing.
    Skipped,
}

impl DriftStatus {
    /// Its position in `ALL`.
    pub fn index(self) -> usize {
        self as usize
    }

    pub const ALL: [DriftStatus; 6] = [
        DriftStatus::InSync,
        DriftStatus::Modified,
        DriftStatus::Missing,
        DriftStatus::Orphan,
        DriftStatus::Error,
        DriftStatus::Skipped,
    ];

    pub fn label(self) -> &'static str {
        match self {
            DriftStatus::InSync => "in sync",
            DriftStatus::Modified => "modified",
            DriftStatus::Missing => "missing",
            DriftStatus::Orphan => "orphan",
            DriftStatus::Error => "error",
            DriftStatus::Skipped => "skipped",
        }
    }

    pub fn is_drift(self) -> bool {
        matches!(
            self,
            DriftStatus::Modified | DriftStatus::Missing | DriftStatus::Orphan
        )
    }
}

/// One field that differs between git and the cluster. Secret values are already masked here.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    /// JSON-pointer style path, e.g. `/spec/replicas`.
    pub path: String,
    pub desired: Option<Value>,
    pub live: Option<Value>,
    /// Field manager that last wrote the live value, from managedFields.
    pub manager: Option<String>,
    /// When that manager last wrote the object (its managedFields entry's time, RFC 3339).
    pub time: Option<String>,
}

/// A field live has and git does not declare, written by another manager than the one applying
/// git (a hand edit, an autoscaler): shown, not counted as drift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Extra {
    pub path: String,
    pub manager: String,
    pub time: Option<String>,
}

/// A difference an ignore rule (or an object's own annotation) says is not drift: still shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ignored {
    #[serde(flatten)]
    pub change: FieldChange,
    /// Which rule: `.kdrift.toml rule 2`, `your config rule 1`, `kustomize.toolkit.fluxcd.io/ssa: Ignore`.
    pub rule: String,
}

/// A field whose writer keeps flipping between two managers while kdrift watches (an
/// autoscaler and an applier both setting replicas): converging it will not stick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fight {
    pub path: String,
    /// The field's writer now, then the one it keeps taking it from.
    pub managers: [String; 2],
}

/// Which comparison decided a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// kdrift's own structural compare of what git declares with what the cluster has.
    #[default]
    Local,
    /// The API server's answer: a server-side apply dry-run of git's object, compared with live
    /// (defaults, canonical quantities and mutating webhooks are the server's own).
    Server,
}

/// The verdict for one object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftReport {
    pub status: DriftStatus,
    pub changes: Vec<FieldChange>,
    pub message: Option<String>,
    pub stage: Stage,
    /// The local compare found drift and the server's dry-run has not answered yet.
    pub pending: bool,
    /// Fields only live has, written by someone else: not drift.
    pub extras: Vec<Extra>,
    /// Differences ignore rules set aside: shown, not counted.
    pub ignored: Vec<Ignored>,
    /// Fields two managers keep taking from each other, seen while watching.
    pub fights: Vec<Fight>,
    /// The Flux or Argo CD object that reconciles the live object, if one does.
    pub owner: Option<GitOpsOwner>,
}

impl DriftReport {
    pub fn new(status: DriftStatus) -> Self {
        Self {
            status,
            changes: Vec::new(),
            message: None,
            stage: Stage::Local,
            pending: false,
            extras: Vec::new(),
            ignored: Vec::new(),
            fights: Vec::new(),
            owner: None,
        }
    }

    /// Drift that is not waiting for the server to confirm it.
    pub fn is_settled_drift(&self) -> bool {
        self.status.is_drift() && !self.pending
    }
}

/// A kind as discovery names it; one watcher runs per kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Gvk {
    pub group: String,
    pub version: String,
    pub kind: String,
}

impl fmt::Display for Gvk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.group.is_empty() {
            write!(f, "{}", self.kind)
        } else {
            write!(f, "{}.{}", self.kind, self.group)
        }
    }
}

impl ResourceKey {
    pub fn gvk(&self) -> Gvk {
        Gvk {
            group: self.group.clone(),
            version: self.version.clone(),
            kind: self.kind.clone(),
        }
    }
}

/// Health of the watch on one kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum WatchState {
    Connecting,
    Live,
    /// The stream failed; the watcher is backing off and will re-list. Millis since epoch.
    Reconnecting {
        since_ms: u64,
        /// What the server said, when that tells a person something (credentials rejected,
        /// throttled, a server error); `None` for a dropped connection.
        why: Option<String>,
    },
    /// The kind cannot be watched at all (unknown kind, forbidden).
    Failed(String),
}
