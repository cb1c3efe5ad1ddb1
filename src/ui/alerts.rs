//! Alerts pane: every alert since kdrift started, newest first, as `kdrift watch` and the
//! webhooks tell them: diff alerts (drift), their end (resolved), converged, syncs kdrift ran,
//! owners asked, watch health and commits. One line each, coloured by what it says.

use super::style::{dim, is_focused, pane};
use crate::app::{Pane, State};
use kdrift_alerts::{Envelope, Event};
use kdrift_engine::clock::age;
use kdrift_engine::text::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let view = &state.alerts;
    let drifting = view.observer.open().len();
    let detail = format!(
        "{} since start · {}",
        view.events.len(),
        if drifting == 0 {
            "nothing drifting".to_string()
        } else {
            format!("{drifting} drifting")
        }
    );
    let block = pane(
        super::lower::title(state, detail),
        is_focused(state.focus, Pane::Logs),
    );
    let height = area.height.saturating_sub(2) as usize;
    // only the rows on screen are built
    let lines: Vec<Line> = view
        .events
        .iter()
        .rev()
        .skip(view.scroll)
        .take(height)
        .map(|e| line(e, state.now_ms))
        .collect();
    let lines = if lines.is_empty() {
        vec![Line::styled(
            "no alerts yet: drift, its end and convergence appear here as they happen",
            dim(),
        )]
    } else {
        lines
    };
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn line(e: &Envelope, now_ms: u64) -> Line<'static> {
    let when = kdrift_engine::clock::rfc3339_secs(&e.time)
        .map(|t| age(now_ms, t))
        .unwrap_or_default();
    let (tag, color) = match &e.event {
        Event::Drift { .. } => ("drift", Color::Yellow),
        Event::Resolved { .. } => ("resolved", Color::Green),
        Event::Converged { .. } => ("converged", Color::Green),
        Event::Sync {
            converged: true, ..
        } => ("sync", Color::Green),
        Event::Sync { .. } => ("sync", Color::Red),
        Event::Watch { state, .. } if state == "live" => ("watch", Color::Green),
        Event::Watch { .. } | Event::RepoFailed { .. } => ("watch", Color::Red),
        Event::Owner { .. } => ("owner", Color::Cyan),
        Event::Commit { .. } | Event::Settled { .. } => ("info", Color::Blue),
    };
    // the text without its leading time (the line starts with how long ago) and without the
    // word the tag already says
    let text = e.text();
    let what = text.split_once(' ').map_or(text.as_str(), |(_, w)| w);
    let what = match what.split_once(' ') {
        Some((first, rest)) if first.trim_end_matches(':') == tag => rest,
        _ => what,
    };
    Line::from(vec![
        Span::styled(format!("{when:>4} "), dim()),
        Span::styled(
            format!("{tag:<9} "),
            Style::new().fg(color).add_modifier(Modifier::BOLD),
        ),
        Span::raw(sanitize(what)),
    ])
}
