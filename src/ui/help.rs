//! `?` overlay: every binding, generated from the keymap table.

use super::style::{bold, centered, dim, pane};
use crate::app::{Action, State, display_key};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use std::collections::BTreeMap;

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let mut by_action: BTreeMap<Action, Vec<String>> = BTreeMap::new();
    for (key, action) in &state.keymap.normal {
        by_action.entry(*action).or_default().push(display_key(key));
    }
    let mut lines = vec![
        Line::styled("keys (edit ~/.config/kdrift/keymap.toml)", dim()),
        Line::raw(""),
    ];
    for (action, keys) in &by_action {
        lines.push(Line::from(vec![
            Span::styled(
                format!("{:<14}", keys.join(" ")),
                Style::new().fg(Color::Cyan),
            ),
            Span::raw(action.describe()),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "sync dialog: y apply · p prune · F force after a conflict",
        dim(),
    ));
    lines.push(Line::styled("press any key to close", bold()));
    let height = (lines.len() as u16 + 2).min(area.height);
    let rect = centered(area, 56.min(area.width), height);
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).block(pane(" help ", true)), rect);
}
