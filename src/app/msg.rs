//! Messages into the core and commands out of it. Sources' events arrive wrapped as they are
//! (the engine owns their types); job replies carry the ticket of the request they answer.

use crate::app::diff_view::DiffRequest;
use crossterm::event::KeyEvent;
use kdrift_engine::cluster::{
    ConfirmRequest, EventFeed, EventTarget, KubeEvent, LogEvent, LogTarget, WatchRequest,
};
use kdrift_engine::drift::{DiffText, IgnoreRule, IgnoreRules};
use kdrift_engine::jobs::{JobFailed, Ticket};
use kdrift_engine::model::{GitOpsOwner, ResourceKey};
use kdrift_engine::repo::{CommitInfo, FileChange, HistoryEntry, RepoError, RepoEvent, Snapshot};
use kdrift_engine::sync::{OwnerEvent, SyncEvent, SyncPlan};

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Resize,
    /// Wall clock in millis since the epoch; the only way time enters the core.
    Tick(u64),
    Repo(RepoEvent),
    Kube(KubeEvent),
    /// An event from one kind's watch, folded only while that watch is the kind's current one:
    /// a watch started again (wider namespaces, a new commit) may have sent events that are
    /// still queued when it is replaced, and an old list starting late would keep the kind
    /// "listing" for ever.
    Watched {
        current: std::sync::Arc<std::sync::atomic::AtomicBool>,
        event: KubeEvent,
    },
    Logs(LogEvent),
    /// The selected object's Kubernetes events (the events pane).
    Events(EventFeed),
    /// The selected workload's metrics (the metrics pane).
    Metrics(kdrift_engine::metrics::MetricsFeed),
    /// The selected workload's recent traces (the traces pane).
    Traces(kdrift_engine::workload_traces::TracesFeed),
    Sync(SyncEvent),
    Job(JobReply),
    /// The user's config was written: its rules now, or why it could not be.
    Rules(Result<IgnoreRules, String>),
    /// What a Flux or Argo CD object said when asked to reconcile (`Cmd::AskOwners`).
    Owner(OwnerEvent),
    /// What holds a stuck workload, from its pods (`Cmd::ExplainStuck`).
    Stuck {
        key: ResourceKey,
        why: Option<String>,
    },
}

impl From<RepoEvent> for Msg {
    fn from(e: RepoEvent) -> Self {
        Msg::Repo(e)
    }
}

impl From<OwnerEvent> for Msg {
    fn from(e: OwnerEvent) -> Self {
        Msg::Owner(e)
    }
}

impl From<KubeEvent> for Msg {
    fn from(e: KubeEvent) -> Self {
        Msg::Kube(e)
    }
}

impl From<kdrift_engine::metrics::MetricsFeed> for Msg {
    fn from(e: kdrift_engine::metrics::MetricsFeed) -> Self {
        Msg::Metrics(e)
    }
}

impl From<kdrift_engine::workload_traces::TracesFeed> for Msg {
    fn from(e: kdrift_engine::workload_traces::TracesFeed) -> Self {
        Msg::Traces(e)
    }
}

impl From<EventFeed> for Msg {
    fn from(e: EventFeed) -> Self {
        Msg::Events(e)
    }
}

impl From<LogEvent> for Msg {
    fn from(e: LogEvent) -> Self {
        Msg::Logs(e)
    }
}

impl From<SyncEvent> for Msg {
    fn from(e: SyncEvent) -> Self {
        Msg::Sync(e)
    }
}

impl From<JobReply> for Msg {
    fn from(r: JobReply) -> Self {
        Msg::Job(r)
    }
}

/// The answer to a background job, with the ticket of its request: only the newest is used.
#[derive(Debug)]
pub enum JobReply {
    /// The desired state at a commit (time travel, or HEAD again).
    Commit {
        ticket: Ticket,
        result: Result<Box<Snapshot>, RepoError>,
    },
    /// The commit, its files, and whether the list was cut at `MAX_CHANGED_FILES`.
    Files {
        ticket: Ticket,
        result: Result<(CommitInfo, Vec<FileChange>, bool), RepoError>,
    },
    History {
        ticket: Ticket,
        result: Result<(ResourceKey, Vec<HistoryEntry>), RepoError>,
    },
    Diff {
        ticket: Ticket,
        text: Result<DiffText, JobFailed>,
    },
}

/// What the metrics feed asks, and where.
#[derive(Debug, Clone)]
pub struct MetricsRequest {
    pub source: kdrift_engine::metrics::MetricsSource,
    pub target: kdrift_engine::metrics::MetricsTarget,
    pub panels: Vec<kdrift_engine::metrics::Panel>,
    pub columns: u16,
}

impl PartialEq for MetricsRequest {
    fn eq(&self, other: &Self) -> bool {
        self.target == other.target && self.panels == other.panels && self.columns == other.columns
    }
}

/// Whose traces the traces feed asks for, and where.
#[derive(Debug, Clone)]
pub struct TracesRequest {
    pub source: kdrift_engine::backend::Backend,
    pub service: String,
}

impl PartialEq for TracesRequest {
    fn eq(&self, other: &Self) -> bool {
        self.service == other.service
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cmd {
    Quit,
    /// Start watchers for these kinds (already-running ones are kept), each over the namespaces git uses.
    Watch(Vec<WatchRequest>),
    /// Have the server confirm these local drift verdicts (stage 2: dry-runs).
    Confirm(Vec<ConfirmRequest>),
    /// Follow logs of a workload's pods, replacing the current stream; `None` stops following.
    FollowLogs(Option<LogTarget>),
    /// Follow an object's Kubernetes events, replacing the current feed; `None` stops.
    FollowEvents(Option<EventTarget>),
    /// Ask these panels' queries for a workload, again every refresh, replacing the current
    /// feed; `None` stops.
    FollowMetrics(Option<MetricsRequest>),
    /// Ask for a workload's service's recent traces, again every refresh; `None` stops.
    FollowTraces(Option<TracesRequest>),
    Sync(SyncPlan),
    /// Fetch a URL repo now.
    Fetch,
    /// Read the desired state at this commit (`None` = the followed revision) for time travel.
    ReadCommit {
        ticket: Ticket,
        rev: Option<String>,
    },
    /// List the files this commit changed.
    ReadCommitFiles {
        ticket: Ticket,
        commit: CommitInfo,
    },
    /// Read the history of one resource from its source file, back from `commit`.
    ReadHistory {
        ticket: Ticket,
        key: ResourceKey,
        source: String,
        commit: String,
    },
    /// Append this rule to the user's config and read the config's rules again.
    SaveIgnoreRule(IgnoreRule),
    /// Ask these GitOps objects to reconcile (the request stamped `now`, RFC 3339), and follow them.
    AskOwners {
        owners: Vec<GitOpsOwner>,
        now: String,
    },
    /// Find which pod holds a workload that is not healthy, and why.
    ExplainStuck {
        key: ResourceKey,
        live: std::sync::Arc<serde_json::Value>,
    },
    /// Work out the diff text of the selected row.
    Diff {
        ticket: Ticket,
        request: DiffRequest,
    },
}

impl Cmd {
    /// Work only a screen needs (the selected object's logs, events, metrics, traces, diff):
    /// a front end without one (`kdrift watch`) leaves it undone.
    pub fn for_view(&self) -> bool {
        matches!(
            self,
            Cmd::FollowLogs(_)
                | Cmd::FollowEvents(_)
                | Cmd::FollowMetrics(_)
                | Cmd::FollowTraces(_)
                | Cmd::Diff { .. }
        )
    }
}
