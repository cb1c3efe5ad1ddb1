//! Diff pane: what drifted, who wrote it, and the unified diff of live (−) against git (+).

use super::style::{bold, dim, is_focused, pane, status_style};
use crate::app::{Pane, State, shows_diff};
use kdrift_engine::clock::{age, rfc3339_secs};
use kdrift_engine::drift::DiffLineKind;
use kdrift_engine::inventory::Row;
use kdrift_engine::model::{DriftReport, DriftStatus, Stage};
use kdrift_engine::text::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let focused = is_focused(state.focus, Pane::Diff);
    let Some(row) = state.selected_row() else {
        frame.render_widget(Paragraph::new("").block(pane(" diff ", focused)), area);
        return;
    };
    let Some(report) = state.inv.report(row) else {
        return;
    };
    let key = row.object();
    let desired = key.and_then(|k| state.inv.desired.get(k));
    let source = match row {
        Row::Manifest(m) => m.source.as_str(),
        Row::Object(_) => desired.map(|d| d.source.as_str()).unwrap_or("not in git"),
    };
    let title = Line::from(vec![
        Span::raw(" diff "),
        Span::styled(sanitize(&row.to_string()), bold()),
        Span::raw(" "),
        Span::styled(report.status.label(), status_style(report.status)),
        Span::styled(format!(" {} ", sanitize(source)), dim()),
    ]);
    let mut lines: Vec<Line> = Vec::new();
    if let Some(stage) = stage_line(report) {
        lines.push(Line::styled(stage, dim()));
    }
    if let Some(msg) = &report.message {
        lines.push(Line::styled(sanitize(msg), Style::new().fg(Color::Red)));
    }
    for change in &report.changes {
        let show = |v: &Option<serde_json::Value>| {
            v.as_ref()
                .map(|v| v.to_string())
                .unwrap_or_else(|| "(unset)".into())
        };
        let mut spans = vec![
            Span::styled(
                format!("{} ", sanitize(&change.path)),
                Style::new().fg(Color::Yellow),
            ),
            Span::raw(format!("git {} ", sanitize(&show(&change.desired)))),
            Span::raw(format!("live {}", sanitize(&show(&change.live)))),
        ];
        if let Some(m) = &change.manager {
            // who wrote the live value, and when
            let when = change
                .time
                .as_deref()
                .and_then(rfc3339_secs)
                .map(|t| match age(state.now_ms, t) {
                    now if now == "now" => " just now".to_string(),
                    ago => format!(" {ago} ago"),
                })
                .unwrap_or_default();
            spans.push(Span::styled(
                format!("  ← {}{when}", sanitize(m)),
                Style::new().fg(Color::Magenta),
            ));
        }
        lines.push(Line::from(spans));
    }
    for ignored in &report.ignored {
        let c = &ignored.change;
        let show = |v: &Option<serde_json::Value>| {
            v.as_ref()
                .map(|v| v.to_string())
                .unwrap_or_else(|| "(unset)".into())
        };
        let text = format!(
            "ignored ({}): {} git {} live {}",
            ignored.rule,
            c.path,
            show(&c.desired),
            show(&c.live)
        );
        lines.push(Line::styled(sanitize(&text), dim()));
    }
    if !report.extras.is_empty() {
        lines.push(Line::styled("not in git (not drift):", dim()));
        for extra in &report.extras {
            lines.push(Line::from(vec![
                Span::styled(format!("+ {} ", sanitize(&extra.path)), dim()),
                Span::styled(
                    format!("← {}", sanitize(&extra.manager)),
                    Style::new().fg(Color::Magenta),
                ),
            ]));
        }
    }
    let text = key.and_then(|k| state.diff.text_for(k));
    if let Some(text) = text.filter(|_| shows_diff(report.status)) {
        // Short panes get less context so the changed lines stay in view.
        let diff = if area.height < 14 {
            &text.tight
        } else {
            &text.wide
        };
        for l in diff {
            let style = match l.kind {
                DiffLineKind::Header => Style::new().fg(Color::Cyan),
                DiffLineKind::Added => Style::new().fg(Color::Green),
                DiffLineKind::Removed => Style::new().fg(Color::Red),
                DiffLineKind::Context => Style::new(),
            };
            lines.push(Line::styled(sanitize(&l.text), style));
        }
    } else if report.status == DriftStatus::InSync {
        lines.push(Line::styled("live matches every field git declares", dim()));
    }
    let height = area.height.saturating_sub(2) as usize;
    let scroll = state
        .diff_scroll
        .min(lines.len().saturating_sub(height.max(1)));
    let visible: Vec<Line> = lines.into_iter().skip(scroll).take(height).collect();
    frame.render_widget(Paragraph::new(visible).block(pane(title, focused)), area);
}

/// Which comparison the verdict rests on, for drift the server was (or is being) asked about.
fn stage_line(report: &DriftReport) -> Option<&'static str> {
    match (report.stage, report.pending, report.status) {
        (Stage::Server, _, DriftStatus::Modified) => Some("confirmed by a server-side dry-run"),
        (Stage::Local, true, _) => Some("local compare; the server's dry-run is on its way…"),
        _ => None,
    }
}
