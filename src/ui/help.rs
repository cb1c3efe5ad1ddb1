//! `?` overlay: every binding, generated from the keymap table.

use super::style::{bold, centered, dim, pane};
use crate::app::{Action, State, display_key};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use std::collections::BTreeMap;

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let mut by_action: BTreeMap<Action, Vec<String>> = BTreeMap::new();
    for (key, action) in &state.keymap.normal {
        by_action.entry(*action).or_default().push(display_key(key));
    }
    let entries: Vec<Line> = by_action
        .iter()
        .map(|(action, keys)| {
            Line::from(vec![
                Span::styled(
                    format!("{:<12}", keys.join(" ")),
                    Style::new().fg(Color::Cyan),
                ),
                Span::raw(action.describe()),
            ])
        })
        .collect();
    // two columns when the terminal is wide enough, so every binding fits a 32-row screen
    let columns: usize = if area.width >= 100 { 2 } else { 1 };
    let per_column = entries.len().div_ceil(columns);
    let head = vec![
        Line::styled("keys (edit ~/.config/kdrift/keymap.toml)", dim()),
        Line::raw(""),
    ];
    let foot = vec![
        Line::raw(""),
        Line::styled(
            "sync dialog: y apply · p prune · F force after a conflict",
            dim(),
        ),
        Line::styled("press any key to close", bold()),
    ];
    let width = if columns == 2 { 112 } else { 58 }.min(area.width);
    let height = ((head.len() + per_column + foot.len()) as u16 + 2).min(area.height);
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block = pane(" help ", true);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let [top, body, bottom] = Layout::vertical([
        Constraint::Length(head.len() as u16),
        Constraint::Min(1),
        Constraint::Length(foot.len() as u16),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(head), top);
    frame.render_widget(Paragraph::new(foot), bottom);
    let cols = Layout::horizontal(vec![Constraint::Ratio(1, columns as u32); columns]).split(body);
    for (i, col) in cols.iter().enumerate() {
        let part: Vec<Line> = entries
            .iter()
            .skip(i * per_column)
            .take(per_column)
            .cloned()
            .collect();
        frame.render_widget(Paragraph::new(part), *col);
    }
}
