//! Footer: the newest notice (drift detected, converged, errors) above key hints from the keymap.

use super::style::dim;
use crate::app::{DIALOG_FOOTER, NORMAL_FOOTER, NoticeKind, State};
use crate::text::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let notice = state.notices.last().map(|n| {
        let (fg, bg) = match n.kind {
            NoticeKind::Drift => (Color::Black, Color::Yellow),
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
            format!(" syncing {}/{}…", p.done, p.total),
            Style::new().fg(Color::Cyan),
        ),
        None => Line::raw(""),
    });
    let (table, actions) = if state.dialog.is_some() {
        (&state.keymap.dialog, DIALOG_FOOTER)
    } else {
        (&state.keymap.normal, NORMAL_FOOTER)
    };
    let mut hints = Vec::new();
    if state.filter_input.is_some() {
        hints.push(Span::styled(
            " type to filter · Enter keep · Esc clear",
            dim(),
        ));
    } else {
        let travel = [crate::app::Action::Head];
        let extra: &[crate::app::Action] = if state.traveling() { &travel } else { &[] };
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
    frame.render_widget(Paragraph::new(vec![notice, Line::from(hints)]), area);
}
