//! Timeline pane: when each drift started, which manager caused it, when it converged and how,
//! newest first; the selected object's, or (`w` again) everything's since kdrift started.

use super::style::{badge, dim, is_focused, pane, status_style};
use crate::app::{Pane, State};
use kdrift_engine::clock::age;
use kdrift_engine::inventory::{Converged, TimelineEntry};
use kdrift_engine::text::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let view = &state.timeline;
    let timeline = state.inv.timeline();
    let selected = state.selected_key();
    let detail = match (view.all, selected) {
        (true, _) => format!("all objects ({})", timeline.len()),
        (false, Some(k)) => sanitize(&k.name),
        (false, None) => String::new(),
    };
    let block = pane(
        super::lower::title(state, detail),
        is_focused(state.focus, Pane::Logs),
    );
    let height = area.height.saturating_sub(2) as usize;
    let entries: Box<dyn Iterator<Item = &TimelineEntry>> = match (view.all, selected) {
        (true, _) => Box::new(timeline.entries().rev()),
        (false, Some(key)) => Box::new(timeline.entries().rev().filter(move |e| &e.key == key)),
        (false, None) => Box::new(std::iter::empty()),
    };
    let lines: Vec<Line> = entries
        .skip(view.scroll)
        .take(height)
        .map(|e| line(e, view.all, state.now_ms))
        .collect();
    let lines = if lines.is_empty() {
        let text = if view.all || selected.is_some() {
            "no drift since kdrift started"
        } else {
            "select an object (w again: every object)"
        };
        vec![Line::styled(text, dim())]
    } else {
        lines
    };
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn line(e: &TimelineEntry, with_object: bool, now_ms: u64) -> Line<'static> {
    let ago = |ms: u64| age(now_ms, (ms / 1000) as i64);
    let mut spans = vec![
        Span::styled(format!("{:>4} ", ago(e.started_ms)), dim()),
        // the badge's symbol only: the line is about when, who and how
        Span::styled(
            format!("{} ", badge(e.status).split(' ').next().unwrap_or("")),
            status_style(e.status),
        ),
    ];
    if with_object {
        spans.push(Span::styled(
            format!("{}/{} ", e.key.kind, sanitize(&e.key.name)),
            Style::new().fg(Color::Cyan),
        ));
    }
    // everything's view names the object instead of its fields (the line stays short)
    let fields = if with_object {
        String::new()
    } else {
        e.fields.join(", ")
    };
    let by = e
        .manager
        .as_deref()
        .map(|m| format!("by {}", sanitize(m)))
        .unwrap_or_default();
    let what = [fields, by]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    spans.push(Span::raw(what));
    match &e.ended {
        None => spans.push(Span::styled(" · drifting", Style::new().fg(Color::Yellow))),
        Some((at, how)) => {
            let how = match how {
                Converged::Sync => "kdrift sync".to_string(),
                Converged::Manager(m) => sanitize(m),
                Converged::Commit(c) => format!("commit {}", &c[..7.min(c.len())]),
                Converged::Gone => "deleted".to_string(),
            };
            let lasted = age(*at, (e.started_ms / 1000) as i64);
            spans.push(Span::styled(
                format!(" → {how} {} ago, after {lasted}", ago(*at)),
                Style::new().fg(Color::Green),
            ));
        }
    }
    Line::from(spans)
}
