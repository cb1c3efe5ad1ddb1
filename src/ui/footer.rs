//! Footer: the newest notice (drift detected, converged, errors) above key hints from the keymap.

use super::style::dim;
use crate::app::{Hints, NoticeKind, State};
use kdrift_engine::text::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let notice = state.notices.last().map(|n| {
        let (fg, bg) = match n.kind {
            NoticeKind::Drift => (Color::Black, Color::Yellow),
            NoticeKind::Fight => (Color::White, Color::Magenta),
            NoticeKind::Converged => (Color::Black, Color::Green),
            NoticeKind::Info => (Color::Black, Color::Cyan),
            NoticeKind::Error => (Color::White, Color::Red),
        };
        Line::from(Span::styled(
            format!(" {} ", sanitize(&n.text)),
            Style::new().fg(fg).bg(bg),
        ))
    });
    let notice = notice.unwrap_or_else(|| match &state.sync {
        Some(p) => Line::styled(
            match p.step.as_str() {
                "" => format!(" syncing {}/{}…", p.done, p.total),
                step => format!(" syncing {}/{} · {step}…", p.done, p.total),
            },
            Style::new().fg(Color::Cyan),
        ),
        None => Line::raw(""),
    });
    let mut hints = Vec::new();
    match state.mode.hints(state.inv.traveling()) {
        Hints::Text(text) => hints.push(Span::styled(text, dim())),
        Hints::Keys {
            table,
            actions,
            extra,
        } => {
            for action in actions.iter().chain(extra) {
                if let Some(key) = state.keymap.key_for(table, *action) {
                    hints.push(Span::styled(
                        format!(" {key}"),
                        Style::new().fg(Color::Cyan),
                    ));
                    hints.push(Span::styled(format!(" {} ", action.hint()), dim()));
                }
            }
        }
    }
    frame.render_widget(Paragraph::new(vec![notice, Line::from(hints)]), area);
}
