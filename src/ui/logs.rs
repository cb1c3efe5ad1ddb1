//! Logs pane: the selected workload's pods, interleaved, each line prefixed by its pod.

use super::style::{dim, is_focused, pane};
use crate::app::{Pane, State};
use kdrift_engine::text::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

const POD_COLORS: [Color; 6] = [
    Color::Cyan,
    Color::Magenta,
    Color::Yellow,
    Color::Blue,
    Color::Green,
    Color::LightRed,
];

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let focused = is_focused(state.focus, Pane::Logs);
    let logs = &state.logs;
    let detail = match &logs.target {
        Some(k) => format!("{} {}", sanitize(&k.name), sanitize(&logs.status)),
        None => String::new(),
    };
    let block = pane(super::lower::title(state, detail), focused);
    let height = area.height.saturating_sub(2) as usize;
    let lines: Vec<Line> = if logs.target.is_none() {
        vec![Line::styled(
            "select a Deployment or StatefulSet to follow its pods",
            dim(),
        )]
    } else if logs.lines.is_empty() {
        vec![Line::styled("no log lines yet", dim())]
    } else {
        // Only the lines in view are built: the tail, or further up when scrolled.
        let end = logs.lines.len().saturating_sub(logs.scroll);
        let start = end.saturating_sub(height);
        logs.lines
            .range(start..end)
            .map(|l| {
                let color =
                    POD_COLORS[l.pod.bytes().map(usize::from).sum::<usize>() % POD_COLORS.len()];
                Line::from(vec![
                    Span::styled(format!("{} ", sanitize(&l.pod)), Style::new().fg(color)),
                    Span::raw(l.text.clone()),
                ])
            })
            .collect()
    };
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
