//! `State`: the engine's inventory plus everything about the view, owned by the core task alone.

use super::diff_view::DiffView;
use super::filter::{Filtered, Visible};
use super::keymap::Keymap;
use super::mode::Mode;
use super::sort::{Sort, Sorted};
use kdrift_engine::cluster::LogLine;
use kdrift_engine::inventory::{Inventory, Row};
use kdrift_engine::jobs::Latest;
use kdrift_engine::model::{DriftReport, ResourceKey};
use kdrift_engine::repo::{CommitInfo, FileChange};
use kdrift_engine::sync::SyncPlan;
use std::collections::VecDeque;

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

/// What the lower right pane shows (the commits list, `c`, takes its place when open).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lower {
    #[default]
    Logs,
    Events,
    Traces,
    Metrics,
    Timeline,
    Alerts,
}

impl Lower {
    pub fn title(self) -> &'static str {
        match self {
            Lower::Logs => "logs",
            Lower::Events => "events",
            Lower::Traces => "traces",
            Lower::Metrics => "metrics",
            Lower::Timeline => "timeline",
            Lower::Alerts => "alerts",
        }
    }
}

/// The events pane: the selected object's Kubernetes events, while the pane is shown.
#[derive(Debug, Default)]
pub struct EventsView {
    pub target: Option<ResourceKey>,
    pub rows: Vec<kdrift_engine::cluster::EventRow>,
    pub status: String,
    /// Rows scrolled down from the top (newest).
    pub scroll: usize,
}

/// The metrics pane: the selected workload's charts, while the pane is shown.
#[derive(Debug, Default)]
pub struct MetricsView {
    pub target: Option<ResourceKey>,
    pub panels: Vec<kdrift_engine::metrics::PanelData>,
    /// The charts' window end, seconds since the epoch.
    pub end: f64,
    pub status: String,
    /// The chart width the feed was asked for (a much wider pane asks again).
    pub columns: u16,
    /// Panels scrolled past.
    pub scroll: usize,
}

/// The traces pane: whose traces, which trace, which span of it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TracesView {
    pub of: TracesOf,
    /// kdrift's own: the trace shown, by its root span (`None`: the newest, followed as new
    /// ones arrive). A sync pins its own trace.
    pub pinned: Option<u64>,
    /// From a trace backend: index from the newest trace (0 = the newest).
    pub trace: usize,
    /// The selected span, by position in the trace's tree order.
    pub span: usize,
}

/// Whose traces the pane shows; `t` again goes to the next (the last two need `--traces-url`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum TracesOf {
    /// kdrift's own spans in this process: repo reads, judgements, dry-runs, syncs.
    #[default]
    Kdrift,
    /// The selected workload's service, from the trace backend.
    Workload,
    /// kdrift's spans as the trace backend has them (every kdrift exporting to it with
    /// `--otlp-endpoint`, e.g. `kdrift watch` in the cluster).
    Exported,
}

/// Recent traces of one service from the trace backend, while the traces pane shows them.
#[derive(Debug, Default)]
pub struct WorkloadTraces {
    /// Whose: the service asked for (`None`: nothing is followed).
    pub service: Option<String>,
    pub traces: Vec<kdrift_engine::traces::Trace>,
    pub status: String,
}

/// Alerts kept for the alerts view (the oldest go first).
pub const ALERTS_KEPT: usize = 1_000;

/// Every diff and converged alert since kdrift started (and watch health, commits, syncs), as
/// `kdrift watch` tells them; the observer finds them in the inventory after each batch.
#[derive(Debug, Default)]
pub struct AlertsView {
    pub observer: kdrift_alerts::Observer,
    pub events: VecDeque<kdrift_alerts::Envelope>,
    pub scroll: usize,
}

/// The timeline pane: the selected object's drift history, or everything since kdrift started.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TimelineView {
    pub all: bool,
    pub scroll: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Drift,
    /// Two managers taking a field from each other.
    Fight,
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

/// A sync in flight: which objects are done, which failed, and the plan (a conflict or an
/// immutable field brings it back for a second confirmation).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SyncProgress {
    pub total: usize,
    pub done: usize,
    pub failed: Vec<(ResourceKey, String)>,
    /// The step running now ("wave 0").
    pub step: String,
    pub plan: SyncPlan,
    pub keys: Vec<ResourceKey>,
    pub started_ms: u64,
}

/// What a finished sync waits for: every object it applied in sync with git and healthy.
#[derive(Debug, Clone, PartialEq)]
pub struct Converging {
    pub keys: Vec<ResourceKey>,
    pub since_ms: u64,
    /// When waiting stops and the objects still not healthy are reported stuck.
    pub deadline_ms: u64,
    /// A degraded object was reported already (said once, not on every event).
    pub told_degraded: bool,
}

#[derive(Debug, Default)]
pub struct LogView {
    pub target: Option<ResourceKey>,
    pub lines: VecDeque<LogLine>,
    pub status: String,
    /// Lines scrolled up from the newest; 0 follows the tail.
    pub scroll: usize,
}

/// The files one commit changed, shown under the commits list.
#[derive(Debug, Clone, PartialEq)]
pub struct CommitFiles {
    pub commit: CommitInfo,
    pub files: Vec<FileChange>,
    pub cut: bool,
}

/// The newest request of each background job; replies to older ones are dropped.
#[derive(Debug, Default)]
pub struct Jobs {
    pub commit: Latest,
    pub files: Latest,
    pub history: Latest,
    pub diff: Latest,
}

#[derive(Debug, Default)]
pub struct State {
    /// Git, the cluster and the verdicts: the engine's, judged by its rules.
    pub inv: Inventory,
    pub now_ms: u64,
    pub context: String,
    pub read_only: bool,
    /// What the drawn colours show as (`--theme`), or none (`NO_COLOR`).
    pub palette: crate::ui::palette::Palette,
    /// The repo is a URL kdrift mirrors and fetches (so `f` means something).
    pub remote_repo: bool,
    pub mode: Mode,
    pub filter: String,
    /// The filter's matches, kept (see `filter.rs`).
    pub filtered: Filtered,
    /// The table's order (`o`, `O`), and the sorted positions kept (see `sort.rs`).
    pub sort: Sort,
    pub sorted: Sorted,
    pub selected: usize,
    pub focus: Pane,
    pub diff_scroll: usize,
    pub diff: DiffView,
    pub show_commits: bool,
    pub commit_selected: usize,
    /// Files changed by the commit last opened with Enter in the commits pane.
    pub commit_files: Option<CommitFiles>,
    pub logs: LogView,
    /// What the lower right pane shows.
    pub lower: Lower,
    pub events: EventsView,
    pub traces: TracesView,
    pub metrics: MetricsView,
    pub workload_traces: WorkloadTraces,
    /// Where the traces pane asks for the workload's traces (a Jaeger-compatible query API).
    pub traces_source: Option<kdrift_engine::backend::Backend>,
    /// Where the metrics pane asks (`--prometheus-url`, `--prometheus-service`), and what.
    pub metrics_source: Option<kdrift_engine::metrics::MetricsSource>,
    pub metric_queries: kdrift_engine::metrics::Queries,
    /// The lower pane's inner width at the last draw (charts are sized to it).
    pub lower_columns: u16,
    /// Where the traces pane reads kdrift's own spans (the process's store in the TUI).
    pub trace_store: Option<kdrift_engine::traces::TraceStore>,
    pub timeline: TimelineView,
    pub alerts: AlertsView,
    pub sync: Option<SyncProgress>,
    /// After a sync: its objects, until every one is in sync and healthy (or the time is up).
    pub converging: Option<Converging>,
    /// Rows marked with Space: `s` converges these together.
    pub marked: std::collections::BTreeSet<ResourceKey>,
    pub notices: Vec<Notice>,
    pub quit: bool,
    pub keymap: Keymap,
    pub jobs: Jobs,
    /// Rows visible in the resources pane at the last draw, for paging.
    pub page_rows: usize,
    /// The user's config file, where `i` writes ignore rules.
    pub config_file: Option<std::path::PathBuf>,
}

impl State {
    pub fn new(context: impl Into<String>, keymap: Keymap) -> Self {
        let context = context.into();
        Self {
            alerts: AlertsView {
                observer: kdrift_alerts::Observer::new(&context),
                ..AlertsView::default()
            },
            context,
            keymap,
            page_rows: 10,
            ..Self::default()
        }
    }

    /// What changed since the last look (drift, resolved, converged, …), kept for the alerts
    /// view and returned for the outputs.
    pub fn observe_alerts(&mut self, now_ms: u64) -> Vec<kdrift_alerts::Envelope> {
        let fresh = self.alerts.observer.observe(&self.inv, now_ms);
        self.keep_alerts(&fresh);
        fresh
    }

    /// Keeps `events` in the alerts view (bounded).
    pub fn keep_alerts(&mut self, events: &[kdrift_alerts::Envelope]) {
        for e in events {
            if self.alerts.events.len() == ALERTS_KEPT {
                self.alerts.events.pop_front();
            }
            self.alerts.events.push_back(e.clone());
        }
    }

    /// Rows after the filter, in display order (namespace, kind, name, or the sort's). With a
    /// filter or a sort, the positions are worked out once per filter text, sort and inventory
    /// change (`filter.rs`, `sort.rs`).
    pub fn visible(&self) -> Visible<'_> {
        Visible::new(&self.inv, self.order())
    }

    /// The visible rows as positions in `Inventory::rows()`, in display order; `None` when that
    /// is every row in the inventory's order.
    fn order(&self) -> Option<std::sync::Arc<[u32]>> {
        let only =
            (!self.filter.is_empty()).then(|| self.filtered.positions(&self.inv, &self.filter));
        self.sorted.positions(&self.inv, self.sort, only)
    }

    /// The visible index of the first row, in display order, that `pred` holds for. Sorted, the
    /// rows are tried in the inventory's order (one pass) rather than reached one by one.
    pub fn position_where(
        &self,
        mut pred: impl FnMut(Row<'_>, &DriftReport) -> bool,
    ) -> Option<usize> {
        if self.sort.is_natural() {
            return self.visible().position(|(row, report)| pred(row, report));
        }
        let order = self.order()?;
        let holds: Vec<bool> = self
            .inv
            .rows()
            .map(|(row, report)| pred(row, report))
            .collect();
        order.iter().position(|&p| holds[p as usize])
    }

    /// Sorts the table by `sort`, keeping the selection on the row it was on.
    pub fn set_sort(&mut self, sort: Sort) {
        let at = match self.order() {
            None => Some(self.selected),
            Some(order) => order.get(self.selected).map(|&p| p as usize),
        };
        self.sort = sort;
        let Some(at) = at else { return };
        self.selected = match self.order() {
            None => at,
            Some(order) => order.iter().position(|&p| p as usize == at).unwrap_or(0),
        };
    }

    pub fn visible_rows(&self) -> Vec<(Row<'_>, &DriftReport)> {
        self.visible().collect()
    }

    pub fn visible_count(&self) -> usize {
        if self.filter.is_empty() {
            self.inv.row_count()
        } else {
            self.filtered.positions(&self.inv, &self.filter).len()
        }
    }

    pub fn selected_row(&self) -> Option<Row<'_>> {
        self.visible().nth(self.selected).map(|(row, _)| row)
    }

    /// The selected row's object (`None` on a manifest row).
    pub fn selected_key(&self) -> Option<&ResourceKey> {
        self.selected_row().and_then(Row::object)
    }

    /// The core wants a clock tick only while something on screen depends on time passing.
    pub fn wants_tick(&self) -> bool {
        !self.notices.is_empty() || self.sync.is_some() || self.converging.is_some()
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
