//! Events pane: the selected object's Kubernetes events and those of what it owns, warnings
//! first, newest on top, each with its age, reason, object and count.

use super::style::{dim, is_focused, pane};
use crate::app::{Pane, State};
use kdrift_engine::clock::age;
use kdrift_engine::text::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let events = &state.events;
    let detail = match &events.target {
        Some(k) => format!("{} {}", sanitize(&k.name), sanitize(&events.status)),
        None => String::new(),
    };
    let block = pane(
        super::lower::title(state, detail),
        is_focused(state.focus, Pane::Logs),
    );
    let height = area.height.saturating_sub(2) as usize;
    let lines: Vec<Line> = if events.target.is_none() {
        vec![Line::styled("select an object to see its events", dim())]
    } else if events.rows.is_empty() {
        vec![Line::styled(
            "no events (the server keeps them for an hour)",
            dim(),
        )]
    } else {
        // only the rows in view are built
        events
            .rows
            .iter()
            .skip(events.scroll)
            .take(height)
            .map(|e| {
                let when = if e.last_ms == 0 {
                    "?".to_string()
                } else {
                    age(state.now_ms, (e.last_ms / 1000) as i64)
                };
                let (mark, style) = if e.warning {
                    ("⚠ ", Style::new().fg(Color::Red))
                } else {
                    ("  ", Style::new().fg(Color::Green))
                };
                let count = if e.count > 1 {
                    format!(" ×{}", e.count)
                } else {
                    String::new()
                };
                Line::from(vec![
                    Span::styled(format!("{when:>4} "), dim()),
                    Span::styled(format!("{mark}{} ", e.reason), style),
                    Span::styled(format!("{} ", e.object), Style::new().fg(Color::Cyan)),
                    Span::raw(e.message.clone()),
                    Span::styled(count, dim()),
                ])
            })
            .collect()
    };
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
