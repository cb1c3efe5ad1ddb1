//! The pure core: `State` (the engine's inventory + view state), messages, modes, actions,
//! keymap and `update`.

mod action;
mod diff_view;
mod filter;
mod jump;
mod keymap;
mod mode;
mod msg;
mod sort;
mod state;
mod update;
mod update_diff;
mod update_engine;
mod update_ignore;
mod update_jobs;
mod update_lower;
mod update_sync;

pub use action::{Action, DIALOG_FOOTER, NORMAL_FOOTER, PLAN_FOOTER};
pub use diff_view::{BodyLine, DiffRequest, DiffView, Preamble, layout, preamble, shows_diff};
pub use keymap::{KeySpec, Keymap, KeymapError, display_key, parse_key};
pub use mode::{DialogStage, Hints, HistoryView, IgnoreProposal, KeyTable, Mode, PlanDialog};
pub use msg::{Cmd, JobReply, MetricsRequest, Msg, TracesRequest};
pub use sort::{Sort, SortBy};
pub use state::{
    AlertsView, CommitFiles, Converging, EventsView, Jobs, LOG_CAPACITY, LogView, Lower,
    MetricsView, Notice, NoticeKind, Pane, State, SyncProgress, TimelineView, TracesOf, TracesView,
    WorkloadTraces,
};
pub use update::update;
pub use update_sync::HEALTH_WAIT_MS;
