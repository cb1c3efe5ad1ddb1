//! `State`: everything the screen shows, owned by the core task alone.

use super::keymap::Keymap;
use super::msg::LogLine;
use crate::model::{
    Desired, DriftReport, DriftStatus, Gvk, ManifestError, ResourceKey, WatchState,
};
use crate::repo::{CommitInfo, HistoryEntry};
use crate::sync::SyncPlan;
use ratatui_textarea::TextArea;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Most log lines kept for the logs pane; older ones are dropped (k9s#1188 grew without bound).
pub const LOG_CAPACITY: usize = 2_000;
/// How long a notice stays on screen.
pub const NOTICE_MS: u64 = 6_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    #[default]
    Resources,
    Diff,
    Logs,
}

impl Pane {
    pub fn next(self) -> Self {
        match self {
            Pane::Resources => Pane::Diff,
            Pane::Diff => Pane::Logs,
            Pane::Logs => Pane::Resources,
        }
    }

    pub fn prev(self) -> Self {
        self.next().next()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Drift,
    Converged,
    Info,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    pub text: String,
    pub until_ms: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RepoView {
    pub name: String,
    pub branch: Option<String>,
    pub commit: CommitInfo,
}

/// A sync in flight: which objects are done, which failed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SyncProgress {
    pub total: usize,
    pub done: usize,
    pub failed: Vec<(ResourceKey, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryView {
    pub key: ResourceKey,
    /// `None` while it is being read.
    pub entries: Option<Vec<HistoryEntry>>,
    pub scroll: usize,
}

#[derive(Debug, Default)]
pub struct LogView {
    pub target: Option<ResourceKey>,
    pub lines: VecDeque<LogLine>,
    pub status: String,
    /// Lines scrolled up from the newest; 0 follows the tail.
    pub scroll: usize,
}

#[derive(Debug, Default)]
pub struct State {
    pub now_ms: u64,
    pub context: String,
    pub read_only: bool,
    /// The repo is a URL kdrift mirrors and fetches (so `f` means something).
    pub remote_repo: bool,
    /// Files changed by the commit last opened with Enter in the commits pane.
    pub commit_files: Option<CommitFiles>,
    /// The commit being compared against (HEAD, or an older one while time traveling).
    pub repo: Option<RepoView>,
    /// The followed revision's newest commit, and its history for the commits pane.
    pub head: Option<CommitInfo>,
    pub log: Vec<CommitInfo>,
    pub show_commits: bool,
    /// The per-resource history overlay, while open.
    pub history: Option<HistoryView>,
    pub commit_selected: usize,
    pub repo_error: Option<String>,
    pub desired: BTreeMap<ResourceKey, Desired>,
    pub manifest_errors: Vec<ManifestError>,
    /// Parts of the repo skipped on purpose (submodules): rows that block nothing.
    pub manifest_notes: Vec<ManifestError>,
    pub live: BTreeMap<ResourceKey, Value>,
    /// One verdict per row; rows are exactly these keys.
    pub reports: BTreeMap<ResourceKey, DriftReport>,
    pub watches: BTreeMap<Gvk, WatchState>,
    /// Scopes (kind, namespace or `None` for everywhere) the user may not list/watch.
    pub forbidden: BTreeSet<(Gvk, Option<String>)>,
    /// Kinds git does not declare, watched only for objects carrying kdrift's label.
    pub orphan_kinds: BTreeSet<Gvk>,
    /// True once every watched kind has listed: only then are changes "drift detected".
    pub settled: bool,
    pub filter: String,
    pub filter_input: Option<TextArea<'static>>,
    pub selected: usize,
    pub focus: Pane,
    pub diff_scroll: usize,
    pub logs: LogView,
    pub dialog: Option<SyncPlan>,
    pub sync: Option<SyncProgress>,
    pub notices: Vec<Notice>,
    pub help: bool,
    pub quit: bool,
    pub keymap: Keymap,
    /// Rows visible in the resources pane at the last draw, for paging.
    pub page_rows: usize,
}

impl State {
    pub fn new(context: impl Into<String>, keymap: Keymap) -> Self {
        Self {
            context: context.into(),
            keymap,
            page_rows: 10,
            ..Self::default()
        }
    }

    /// Row keys after the filter, in display order (namespace, kind, name).
    pub fn visible_rows(&self) -> Vec<&ResourceKey> {
        let needle = self.filter.to_lowercase();
        self.reports
            .iter()
            .filter(|(k, r)| needle.is_empty() || row_matches(k, r, &needle))
            .map(|(k, _)| k)
            .collect()
    }

    pub fn selected_key(&self) -> Option<&ResourceKey> {
        self.visible_rows().get(self.selected).copied()
    }

    pub fn count(&self, status: DriftStatus) -> usize {
        self.reports.values().filter(|r| r.status == status).count()
    }

    pub fn drifted_keys(&self) -> Vec<ResourceKey> {
        self.reports
            .iter()
            .filter(|(_, r)| r.status.is_drift())
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Comparing against a commit other than the followed HEAD.
    pub fn traveling(&self) -> bool {
        match (&self.repo, &self.head) {
            (Some(r), Some(h)) => r.commit.id != h.id,
            _ => false,
        }
    }

    /// The core wants a clock tick only while something on screen depends on time passing.
    pub fn wants_tick(&self) -> bool {
        !self.notices.is_empty() || self.sync.is_some()
    }

    pub fn notify(&mut self, kind: NoticeKind, text: impl Into<String>) {
        let text = text.into();
        tracing::info!(notice = %text);
        self.notices.retain(|n| n.kind != kind);
        self.notices.push(Notice {
            kind,
            text,
            until_ms: self.now_ms + NOTICE_MS,
        });
    }
}

fn row_matches(key: &ResourceKey, report: &DriftReport, needle: &str) -> bool {
    key.to_string().to_lowercase().contains(needle) || report.status.label().contains(needle)
}

/// The files one commit changed, shown under the commits list.
#[derive(Debug, Clone, PartialEq)]
pub struct CommitFiles {
    pub commit: crate::repo::CommitInfo,
    pub files: Vec<crate::repo::FileChange>,
    pub cut: bool,
}
