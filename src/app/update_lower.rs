//! The lower right pane: which view it shows (logs, events, traces, timeline), what each follows,
//! and how each scrolls. Events are followed only while their pane is shown.

use super::msg::{Cmd, MetricsRequest, TracesRequest};
use super::state::{EventsView, Lower, MetricsView, Pane, State, TracesOf, WorkloadTraces};
use kdrift_engine::cluster::{EventFeed, EventTarget};
use kdrift_engine::metrics::{MetricsFeed, MetricsTarget};
use kdrift_engine::workload_traces::TracesFeed;

/// `l`, `e`, `t`, `w`: show `lower` there (and focus it); `w` again switches the timeline
/// between the selected object's and everything's.
pub fn show(state: &mut State, lower: Lower, cmds: &mut Vec<Cmd>) {
    if lower == Lower::Timeline && state.lower == Lower::Timeline && !state.show_commits {
        state.timeline.all = !state.timeline.all;
        state.timeline.scroll = 0;
    }
    // `t` again: kdrift's own → the selected workload's → kdrift's as the backend has them
    // (the last two when a trace backend is configured)
    if lower == Lower::Traces && state.lower == Lower::Traces && !state.show_commits {
        state.traces.of = match (state.traces.of, state.traces_source.is_some()) {
            (_, false) | (TracesOf::Exported, _) => TracesOf::Kdrift,
            (TracesOf::Kdrift, true) => TracesOf::Workload,
            (TracesOf::Workload, true) => TracesOf::Exported,
        };
        state.traces.trace = 0;
        state.traces.span = 0;
    }
    state.lower = lower;
    state.show_commits = false;
    state.focus = Pane::Logs;
    follow_events(state, cmds);
    follow_metrics(state, cmds);
    follow_traces(state, cmds);
}

/// Emits `FollowTraces` when whose traces the pane should show changed: the selected workload's
/// service, or kdrift's own service, while the pane shows them; nothing otherwise.
pub fn follow_traces(state: &mut State, cmds: &mut Vec<Cmd>) {
    let shown = state.lower == Lower::Traces && !state.show_commits;
    let service = match (&state.traces_source, shown, state.traces.of) {
        (Some(_), true, TracesOf::Workload) => state
            .selected_key()
            .and_then(|k| MetricsTarget::of(k, state.inv.live_object(k).as_deref()))
            .map(|t| t.app),
        (Some(_), true, TracesOf::Exported) => Some(kdrift_engine::traces::service_name()),
        _ => None,
    };
    if service == state.workload_traces.service {
        return;
    }
    let request = service
        .clone()
        .zip(state.traces_source.clone())
        .map(|(service, source)| TracesRequest { source, service });
    state.workload_traces = WorkloadTraces {
        status: if service.is_some() {
            "asking…".into()
        } else {
            String::new()
        },
        service,
        ..WorkloadTraces::default()
    };
    state.traces.trace = 0;
    state.traces.span = 0;
    cmds.push(Cmd::FollowTraces(request));
}

pub fn on_traces(state: &mut State, feed: TracesFeed) {
    let TracesFeed::Traces { service, result } = feed;
    if state.workload_traces.service.as_ref() != Some(&service) {
        return;
    }
    match result {
        Ok(traces) => {
            state.workload_traces.status = format!("{} recent", traces.len());
            state.workload_traces.traces = traces;
        }
        Err(e) => state.workload_traces.status = e,
    }
}

/// Emits `FollowEvents` when what the events pane should follow changed: the selected object
/// while the pane is shown, nothing otherwise.
pub fn follow_events(state: &mut State, cmds: &mut Vec<Cmd>) {
    let shown = state.lower == Lower::Events && !state.show_commits;
    let target = shown
        .then(|| state.selected_key().and_then(EventTarget::of))
        .flatten();
    if target.as_ref().map(|t| &t.key) == state.events.target.as_ref() {
        return;
    }
    state.events = EventsView {
        target: target.as_ref().map(|t| t.key.clone()),
        status: if target.is_some() {
            "connecting…".into()
        } else {
            String::new()
        },
        ..EventsView::default()
    };
    cmds.push(Cmd::FollowEvents(target));
}

/// Emits `FollowMetrics` when what the metrics pane should ask for changed: the selected
/// workload while the pane is shown and a source is configured (again when the pane got much
/// wider, for more samples), nothing otherwise.
pub fn follow_metrics(state: &mut State, cmds: &mut Vec<Cmd>) {
    let shown = state.lower == Lower::Metrics && !state.show_commits;
    let target = if shown && state.metrics_source.is_some() {
        state
            .selected_key()
            .and_then(|k| MetricsTarget::of(k, state.inv.live_object(k).as_deref()))
    } else {
        None
    };
    let columns = state.lower_columns.max(20);
    let same_target = target.as_ref().map(|t| &t.key) == state.metrics.target.as_ref();
    let grown = target.is_some() && columns > state.metrics.columns.saturating_mul(3) / 2;
    if same_target && !grown {
        return;
    }
    let request = match (target, &state.metrics_source) {
        (Some(target), Some(source)) => Some(MetricsRequest {
            source: source.clone(),
            panels: state.metric_queries.for_target(&target),
            target,
            columns,
        }),
        _ => None,
    };
    state.metrics = MetricsView {
        target: request.as_ref().map(|r| r.target.key.clone()),
        status: if request.is_some() {
            "asking…".into()
        } else {
            String::new()
        },
        columns,
        ..MetricsView::default()
    };
    cmds.push(Cmd::FollowMetrics(request));
}

pub fn on_metrics(state: &mut State, feed: MetricsFeed) {
    let MetricsFeed::Panels {
        target,
        end,
        panels,
    } = feed;
    if state.metrics.target.as_ref() == Some(&target) {
        state.metrics.panels = panels;
        state.metrics.end = end;
        state.metrics.status = "live".into();
    }
}

pub fn on_events(state: &mut State, feed: EventFeed) {
    match feed {
        EventFeed::Rows { target, mut rows } if state.events.target.as_ref() == Some(&target) => {
            // an event can quote what a pod printed, or a Secret's value in a failed mount
            let values = state.inv.secret_values();
            if !values.is_empty() {
                for row in &mut rows {
                    row.message = kdrift_engine::drift::scrub_values(&row.message, &values);
                }
            }
            state.events.scroll = state.events.scroll.min(rows.len().saturating_sub(1));
            state.events.rows = rows;
            state.events.status = "live".into();
        }
        EventFeed::Status { target, text } if state.events.target.as_ref() == Some(&target) => {
            state.events.status = text;
        }
        _ => {}
    }
}

/// Up / down in the lower pane (not the commits list).
pub fn scroll(state: &mut State, delta: isize) {
    let step =
        |at: usize, max: usize| (at as isize).saturating_add(delta).clamp(0, max as isize) as usize;
    match state.lower {
        Lower::Logs => {
            // Down moves toward the newest line (scroll 0 follows the tail).
            let max = state.logs.lines.len() as isize;
            state.logs.scroll = (state.logs.scroll as isize)
                .saturating_sub(delta)
                .clamp(0, max) as usize;
        }
        Lower::Events => {
            let max = state.events.rows.len().saturating_sub(1);
            state.events.scroll = step(state.events.scroll, max);
        }
        Lower::Traces => {
            let max = usize::MAX / 2;
            state.traces.span = step(state.traces.span, max);
        }
        Lower::Metrics => {
            let max = state.metrics.panels.len().saturating_sub(1);
            state.metrics.scroll = step(state.metrics.scroll, max);
        }
        Lower::Timeline => {
            let max = state.inv.timeline().len();
            state.timeline.scroll = step(state.timeline.scroll, max);
        }
        Lower::Alerts => {
            let max = state.alerts.events.len().saturating_sub(1);
            state.alerts.scroll = step(state.alerts.scroll, max);
        }
    }
}

/// `[` and `]` in the traces pane: an older or a newer trace. kdrift's own are pinned by their
/// root, so the one shown stays while new ones arrive; `]` back to the newest follows again.
pub fn other_trace(state: &mut State, older: bool) {
    let step = |at: usize| {
        if older {
            at.saturating_add(1)
        } else {
            at.saturating_sub(1)
        }
    };
    match (state.traces.of, &state.trace_store) {
        (TracesOf::Kdrift, Some(store)) => {
            let at = state
                .traces
                .pinned
                .and_then(|root| store.position(root))
                .unwrap_or(0);
            let to = step(at).min(store.len().saturating_sub(1));
            state.traces.pinned = if to == 0 {
                None
            } else {
                store.newest(to).map(|t| t.root)
            };
        }
        _ => state.traces.trace = step(state.traces.trace),
    }
    state.traces.span = 0;
}
