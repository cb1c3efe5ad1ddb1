//! Commits pane: the followed branch's history, live. `●` marks the commit being compared against,
//! `◆` the one the cluster was last synced from (kdrift's `kdrift.dev/commit` annotation).

use super::style::{dim, is_focused, pane};
use crate::app::{CommitFiles, Pane, State};
use kdrift_engine::clock::age;
use kdrift_engine::text::sanitize;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    // Enter on a commit lists its files under the history, taking at most half the pane.
    let area = match &state.commit_files {
        Some(files) if area.height >= 10 => {
            let want = files.files.len() as u16 + 2 + u16::from(files.cut);
            let [list, below] = Layout::vertical([
                Constraint::Min(5),
                Constraint::Length(want.min(area.height / 2)),
            ])
            .areas(area);
            draw_files(frame, below, files);
            list
        }
        _ => area,
    };
    let focused = is_focused(state.focus, Pane::Logs);
    let branch = state
        .inv
        .repo
        .as_ref()
        .and_then(|r| r.branch.as_deref())
        .unwrap_or("HEAD");
    let block = pane(
        Line::from(format!(
            " commits {} ({}) ",
            sanitize(branch),
            state.inv.log.len()
        )),
        focused,
    );
    let compared = state.inv.repo.as_ref().map(|r| r.commit.id.as_str());
    let synced = state.inv.synced_commit();
    let height = area.height.saturating_sub(2) as usize;
    let offset = state
        .commit_selected
        .saturating_sub(height.saturating_sub(1));
    let rows: Vec<Row> = state
        .inv
        .log
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, c)| {
            let mut marks = String::new();
            marks.push(if Some(c.id.as_str()) == compared {
                '●'
            } else {
                ' '
            });
            marks.push(if Some(c.id.as_str()) == synced {
                '◆'
            } else {
                ' '
            });
            let mut row = Row::new(vec![
                Cell::from(marks).style(Style::new().fg(Color::Cyan)),
                Cell::from(c.short.clone()).style(Style::new().fg(Color::Yellow)),
                Cell::from(age(state.now_ms, c.time)).style(dim()),
                Cell::from(sanitize(&c.author)).style(dim()),
                Cell::from(sanitize(&c.subject)),
            ]);
            if focused && i == state.commit_selected {
                row = row.style(
                    Style::new()
                        .bg(super::palette::SELECTION)
                        .add_modifier(Modifier::BOLD),
                );
            }
            row
        })
        .collect();
    let widths = [
        Constraint::Length(2),
        Constraint::Length(7),
        Constraint::Length(4),
        Constraint::Length(12),
        Constraint::Fill(1),
    ];
    frame.render_widget(Table::new(rows, widths).block(block), area);
}

fn draw_files(frame: &mut Frame, area: Rect, files: &CommitFiles) {
    let title = format!(
        " files changed in {} ({}{}) ",
        files.commit.short,
        files.files.len(),
        if files.cut { "+" } else { "" }
    );
    let height = area.height.saturating_sub(2) as usize;
    let mut lines: Vec<Line> = files
        .files
        .iter()
        .take(height)
        .map(|f| {
            let color = match f.status {
                'A' => Color::Green,
                'D' => Color::LightRed,
                _ => Color::Yellow,
            };
            Line::from(vec![
                Span::styled(format!("{} ", f.status), Style::new().fg(color)),
                Span::raw(sanitize(&f.path)),
            ])
        })
        .collect();
    if files.files.is_empty() {
        lines.push(Line::styled(
            "no files changed (an empty or merge commit)",
            dim(),
        ));
    }
    frame.render_widget(
        Paragraph::new(lines).block(pane(Line::from(title), false)),
        area,
    );
}
