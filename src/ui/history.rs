//! Per-resource history overlay: every commit that changed the selected object's desired state,
//! newest first, each with that object's diff.

use super::style::{bold, centered, dim, pane};
use crate::app::HistoryView;
use kdrift_engine::drift::DiffLineKind;
use kdrift_engine::text::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

pub fn draw(frame: &mut Frame, area: Rect, view: &HistoryView) {
    let width = area.width.saturating_sub(4).min(110);
    let height = area.height.saturating_sub(2);
    let rect = centered(area, width, height);
    let mut lines: Vec<Line> = Vec::new();
    let count = match &view.entries {
        None => {
            lines.push(Line::styled("reading git history…", dim()));
            String::new()
        }
        Some(entries) if entries.is_empty() => {
            lines.push(Line::styled(
                "no commit in reach changed this object",
                dim(),
            ));
            " (0)".into()
        }
        Some(entries) => {
            for e in entries {
                lines.push(Line::from(vec![
                    Span::styled(
                        format!("{} ", e.commit.short),
                        Style::new().fg(Color::Yellow),
                    ),
                    Span::styled(format!("{:<8}", e.change), bold()),
                    Span::raw(sanitize(&e.commit.subject)),
                    Span::styled(format!("  {}", sanitize(&e.commit.author)), dim()),
                ]));
                for l in &e.diff {
                    let style = match l.kind {
                        DiffLineKind::Header => Style::new().fg(Color::Cyan),
                        DiffLineKind::Added => Style::new().fg(Color::Green),
                        DiffLineKind::Removed => Style::new().fg(Color::Red),
                        DiffLineKind::Context => Style::new(),
                    };
                    lines.push(Line::styled(format!("  {}", sanitize(&l.text)), style));
                }
                lines.push(Line::raw(""));
            }
            format!(" ({})", entries.len())
        }
    };
    let title = format!(
        " history {}{count} · j/k scroll · any key closes ",
        sanitize(&view.key.to_string())
    );
    let inner_height = rect.height.saturating_sub(2) as usize;
    let scroll = view
        .scroll
        .min(lines.len().saturating_sub(inner_height.max(1)));
    let visible: Vec<Line> = lines.into_iter().skip(scroll).take(inner_height).collect();
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(visible).block(pane(Line::from(title), true)),
        rect,
    );
}
