//! The lower right pane: a tab line naming what it can show (logs, events, traces, timeline, with
//! their keys), and the view chosen. Only the shown view is drawn.

use super::style::bold;
use crate::app::{Action, KeyTable, Lower, State};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    match state.lower {
        Lower::Logs => super::logs::draw(frame, area, state),
        Lower::Events => super::events::draw(frame, area, state),
        Lower::Traces => super::traces::draw(frame, area, state),
        Lower::Metrics => super::metrics::draw(frame, area, state),
        Lower::Timeline => super::timeline::draw(frame, area, state),
        Lower::Alerts => super::alerts::draw(frame, area, state),
    }
}

/// " logs redis following · e events  t traces  w timeline ": the shown view and its detail
/// first (a narrow pane cuts the title from the right), then the others with their keys.
pub fn title(state: &State, detail: String) -> Line<'static> {
    let tabs = [
        (Lower::Logs, Action::ShowLogs),
        (Lower::Events, Action::ShowEvents),
        (Lower::Traces, Action::ShowTraces),
        (Lower::Metrics, Action::ShowMetrics),
        (Lower::Timeline, Action::ShowTimeline),
        (Lower::Alerts, Action::ShowAlerts),
    ];
    let mut spans = vec![
        Span::raw(" "),
        Span::styled(state.lower.title().to_string(), bold()),
    ];
    if !detail.is_empty() {
        spans.push(Span::raw(format!(" {detail}")));
    }
    spans.push(Span::styled(" ·", Style::new().fg(Color::DarkGray)));
    for (lower, action) in tabs {
        if lower == state.lower {
            continue;
        }
        let key = state
            .keymap
            .key_for(KeyTable::Normal, action)
            .unwrap_or_default();
        spans.push(Span::styled(
            format!(" {key} {}", lower.title()),
            Style::new().fg(Color::DarkGray),
        ));
    }
    spans.push(Span::raw(" "));
    Line::from(spans)
}
