//! Every user intent as a named action; the keymap, the footer and the help overlay all use this table.

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Quit,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Filter,
    ClearFilter,
    /// Jump to the first row of a namespace or kind (`:`, as in k9s).
    Jump,
    /// Sort the resources by the next column: status, kind, name, age, back to namespace.
    Sort,
    /// The sort the other way round.
    ReverseSort,
    FocusNext,
    FocusPrev,
    SyncOne,
    SyncAll,
    Help,
    Confirm,
    Cancel,
    /// Show the branch's commits in place of the logs (and back).
    Commits,
    /// On a commit: compare the cluster against it (time travel).
    Open,
    /// Back to comparing against the branch HEAD.
    Head,
    /// The commits that changed the selected resource's desired state.
    History,
    /// Fetch a URL repo now.
    Fetch,
    /// Propose an ignore rule for the selected row's first changed field.
    Ignore,
    /// The diff's next change to the top of its pane.
    NextChange,
    /// The diff's previous change.
    PrevChange,
    /// The diff side by side (old left, new right), or unified.
    SplitView,
    /// Every unchanged line of the diff, or only those around changes.
    ExpandContext,
    /// Mark the selected row for `s` (marks are converged together).
    Mark,
    /// In the plan: delete this repo's orphans too, or not (off by default).
    TogglePrune,
    /// After a conflict: apply again, taking the fields other managers own.
    Force,
    /// In the plan: ask the Flux / Argo CD objects that own planned objects to reconcile instead.
    AskOwners,
    /// The lower pane shows the selected workload's logs.
    ShowLogs,
    /// The lower pane shows the selected object's Kubernetes events.
    ShowEvents,
    /// The lower pane shows kdrift's own work as traces.
    ShowTraces,
    /// The lower pane shows the selected workload's metrics.
    ShowMetrics,
    /// The lower pane shows the drift timeline (again: every object's, or the selected one's).
    ShowTimeline,
    /// The lower pane lists every alert since kdrift started (drift, resolved, converged, …).
    ShowAlerts,
    /// Traces pane: the trace before the one shown.
    OlderTrace,
    /// Traces pane: the trace after the one shown.
    NewerTrace,
}

impl Action {
    /// Text for the help overlay and footer.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Up => "move up / scroll",
            Action::Down => "move down / scroll",
            Action::Top => "first row",
            Action::Bottom => "last row",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Filter => "filter rows",
            Action::ClearFilter => "clear filter",
            Action::Jump => "jump to an app, namespace or kind",
            Action::Sort => "sort by status, kind, name or age",
            Action::ReverseSort => "reverse the sort",
            Action::FocusNext => "next pane",
            Action::FocusPrev => "previous pane",
            Action::SyncOne => "converge selected",
            Action::SyncAll => "converge all drifted",
            Action::Help => "help",
            Action::Confirm => "confirm",
            Action::Cancel => "cancel",
            Action::Commits => "commits / logs",
            Action::Open => "compare against the selected commit; list its files",
            Action::Head => "back to the branch HEAD",
            Action::History => "history of the selected resource in git",
            Action::Fetch => "fetch the repo now (URL repos)",
            Action::Ignore => "propose an ignore rule for the field",
            Action::NextChange => "diff: next change",
            Action::PrevChange => "diff: previous change",
            Action::SplitView => "diff: side by side / unified",
            Action::ExpandContext => "diff: all lines / changes only",
            Action::Mark => "mark the row (s converges the marked rows)",
            Action::TogglePrune => "plan: prune orphans too / not",
            Action::Force => "take the conflicting fields (after a conflict)",
            Action::AskOwners => "plan: ask Flux / Argo CD to reconcile instead",
            Action::ShowLogs => "logs of the selected workload",
            Action::ShowEvents => "events of the selected object",
            Action::ShowTraces => "traces of kdrift's own work",
            Action::ShowMetrics => "metrics of the selected workload",
            Action::ShowTimeline => "drift timeline (again: all / one)",
            Action::ShowAlerts => "alerts since start (diff, converged, watch)",
            Action::OlderTrace => "traces: older trace",
            Action::NewerTrace => "traces: newer trace",
        }
    }

    /// Short footer label.
    pub fn hint(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Down | Action::Up => "move",
            Action::Filter => "filter",
            Action::FocusNext => "pane",
            Action::SyncOne => "sync",
            Action::SyncAll => "sync all",
            Action::Help => "help",
            Action::Confirm => "apply",
            Action::Commits => "commits",
            Action::Head => "HEAD",
            Action::Cancel => "cancel",
            Action::TogglePrune => "prune",
            Action::Mark => "mark",
            other => other.describe(),
        }
    }
}

/// Actions shown in the footer, in order, per mode.
pub const NORMAL_FOOTER: &[Action] = &[
    Action::Down,
    Action::Filter,
    Action::FocusNext,
    Action::SyncOne,
    Action::SyncAll,
    Action::Commits,
    Action::Help,
    Action::Quit,
];
pub const DIALOG_FOOTER: &[Action] = &[Action::Confirm, Action::Cancel];
pub const PLAN_FOOTER: &[Action] = &[
    Action::Confirm,
    Action::TogglePrune,
    Action::Down,
    Action::Cancel,
];
