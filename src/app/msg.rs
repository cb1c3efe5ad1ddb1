//! Messages from tasks to the core, and commands from the core to the executor. All owned data.

use crate::model::{Gvk, ResourceKey, WatchState};
use crate::repo::{CommitInfo, FileChange, HistoryEntry, Snapshot};
use crate::sync::SyncPlan;
use crossterm::event::KeyEvent;
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Resize,
    /// Wall clock in millis since the epoch; the only way time enters the core.
    Tick(u64),
    Repo(RepoMsg),
    Kube(KubeMsg),
    Logs(LogMsg),
    Sync(SyncMsg),
}

#[derive(Debug)]
pub enum RepoMsg {
    /// The followed revision (HEAD of the branch), new or changed.
    Snapshot(Box<Snapshot>),
    /// A commit the user chose to compare against (time travel), or HEAD again.
    Travel(Box<Snapshot>),
    /// The commits that changed one resource, newest first.
    History {
        key: ResourceKey,
        entries: Vec<HistoryEntry>,
    },
    Failed(String),
    /// The files a commit changed (Enter on a commit).
    Files {
        commit: CommitInfo,
        files: Vec<FileChange>,
        /// More than `MAX_CHANGED_FILES` changed; the list is cut.
        cut: bool,
    },
    /// A URL repo's mirror was fetched (new commits arrive as a `Snapshot` from the follower).
    Fetched {
        manual: bool,
        changed: bool,
    },
}

#[derive(Debug)]
pub enum KubeMsg {
    /// Discovery answered: whether the kind lives in namespaces.
    Resolved {
        gvk: Gvk,
        namespaced: bool,
    },
    /// A full (re-)list of one kind in one scope (`None` = all namespaces): replaces every stored
    /// object of that kind in that scope at once.
    Listed {
        gvk: Gvk,
        namespace: Option<String>,
        objects: Vec<Value>,
    },
    /// The user may not list/watch this kind in this scope (`None` = anywhere).
    Forbidden {
        gvk: Gvk,
        namespace: Option<String>,
    },
    Applied(Value),
    Deleted(Value),
    Watch {
        gvk: Gvk,
        state: WatchState,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub pod: String,
    pub text: String,
}

#[derive(Debug)]
pub enum LogMsg {
    Lines {
        target: ResourceKey,
        lines: Vec<LogLine>,
    },
    Status {
        target: ResourceKey,
        text: String,
    },
}

#[derive(Debug)]
pub enum SyncMsg {
    /// The server's dry-run of the whole plan failed; nothing was applied.
    PreflightFailed(String),
    ItemDone {
        key: ResourceKey,
        result: Result<(), String>,
    },
    Finished {
        ok: usize,
        failed: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchRequest {
    pub gvk: Gvk,
    /// Label selector; set for kinds watched only to find orphans (objects with kdrift's label).
    pub selector: Option<String>,
    /// Replace a running watcher of this kind (its list must be taken again).
    pub restart: bool,
    /// Namespaces git declares objects of this kind in; used when cluster-wide watching is forbidden.
    pub namespaces: Vec<String>,
}

/// Where the logs pane should follow: the pods a workload selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogTarget {
    pub key: ResourceKey,
    pub namespace: String,
    pub selector: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cmd {
    Quit,
    /// Start watchers for these kinds (already-running ones are kept), each over the namespaces git uses.
    Watch(Vec<WatchRequest>),
    /// Follow logs of a workload's pods, replacing the current stream; `None` stops following.
    FollowLogs(Option<LogTarget>),
    Sync(SyncPlan),
    /// Fetch a URL repo now.
    Fetch,
    /// List the files this commit changed.
    ReadCommitFiles(CommitInfo),
    /// Read the desired state at this commit (`None` = the followed revision) for time travel.
    ReadCommit(Option<String>),
    /// Read the history of one resource from its source file, back from `commit`.
    ReadHistory {
        key: ResourceKey,
        source: String,
        commit: String,
    },
}
