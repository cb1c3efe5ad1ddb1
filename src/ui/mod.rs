//! `draw(&State)`: pure rendering, one file per pane. Only visible rows are built.

pub mod alerts;
pub mod commits;
pub mod dialog;
pub mod diff;
pub mod events;
pub mod footer;
pub mod header;
pub mod help;
pub mod history;
pub mod ignore;
pub mod logs;
pub mod lower;
pub mod metrics;
pub mod palette;
pub mod resources;
mod style;
pub mod timeline;
pub mod traces;

use crate::app::{Mode, State};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

/// Where each pane goes for a given terminal size.
pub struct Areas {
    pub header: Rect,
    pub resources: Rect,
    pub diff: Rect,
    pub logs: Rect,
    pub footer: Rect,
}

/// Wide terminals put resources beside diff and logs; narrow ones stack all three.
pub fn layout(area: Rect) -> Areas {
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(6),
        Constraint::Length(2),
    ])
    .areas(area);
    // wide: resources left, diff over logs right; narrow: the three stacked
    let (resources, diff, logs) = if area.width >= 110 {
        let [resources, right] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(body);
        let [diff, logs] =
            Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(right);
        (resources, diff, logs)
    } else {
        let [resources, diff, logs] = Layout::vertical([
            Constraint::Percentage(35),
            Constraint::Percentage(40),
            Constraint::Percentage(25),
        ])
        .areas(body);
        (resources, diff, logs)
    };
    Areas {
        header,
        resources,
        diff,
        logs,
        footer,
    }
}

/// Tells the state how big its panes are before a frame: page size, diff context.
pub fn fit(state: &mut State, area: Rect) {
    let areas = layout(area);
    state.page_rows = areas.resources.height.saturating_sub(3) as usize;
    state.diff.fit(areas.diff.height);
    state.lower_columns = areas.logs.width.saturating_sub(2);
}

pub fn draw(frame: &mut Frame, state: &State) {
    let areas = layout(frame.area());
    header::draw(frame, areas.header, state);
    resources::draw(frame, areas.resources, state);
    diff::draw(frame, areas.diff, state);
    if state.show_commits {
        commits::draw(frame, areas.logs, state);
    } else {
        lower::draw(frame, areas.logs, state);
    }
    footer::draw(frame, areas.footer, state);
    // the mode's overlay, over everything else
    match &state.mode {
        Mode::Dialog(dialog) => dialog::draw(frame, frame.area(), dialog, state.inv.head.as_ref()),
        Mode::History(view) => history::draw(frame, frame.area(), view),
        Mode::Help => help::draw(frame, frame.area(), state),
        Mode::Ignore(proposal) => ignore::draw(frame, frame.area(), proposal, state),
        Mode::Normal | Mode::Filter(_) | Mode::Jump(_) => {}
    }
}
