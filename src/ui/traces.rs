//! Traces pane: kdrift's own work (each sync: its steps and objects) as a waterfall, like
//! otel-tui's: the span tree with durations on the left, bars on a time ruler on the right, and
//! the selected span's attributes and error below. `[` / `]` go to an older / newer trace.

use super::style::{bold, dim, is_focused, pane};
use crate::app::{Pane, State, TracesOf};
use kdrift_engine::text::sanitize;
use kdrift_engine::traces::{SpanRecord, Trace};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Lines under the waterfall for the selected span.
const DETAIL_LINES: usize = 2;

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    // kdrift's own work here; or (`t` again) a trace backend's: the selected workload's
    // service, then kdrift's as exported there
    let (trace, detail, empty) = if state.traces.of == TracesOf::Kdrift {
        let store = state.trace_store.as_ref();
        let count = store.map_or(0, |s| s.len());
        let index = state
            .traces
            .pinned
            .and_then(|root| store.and_then(|s| s.position(root)))
            .unwrap_or(0);
        let trace = store.and_then(|s| s.newest(index));
        let detail = match &trace {
            Some(t) => format!(
                "kdrift · {} · {} of {count}{}",
                t.spans.first().map_or("", |s| s.name.as_str()),
                index + 1,
                if state.traces.pinned.is_some() {
                    ""
                } else {
                    " (newest)"
                }
            ),
            None => String::new(),
        };
        let empty =
            "no traces yet: kdrift's repo reads, judgements, dry-runs and syncs appear here";
        (trace, detail, empty)
    } else {
        let w = &state.workload_traces;
        let count = w.traces.len();
        let index = state.traces.trace.min(count.saturating_sub(1));
        let source = state
            .traces_source
            .as_ref()
            .map(|s| s.describe())
            .unwrap_or_default();
        let service = sanitize(w.service.as_deref().unwrap_or(""));
        let detail = match &w.service {
            Some(_) if count > 0 => format!(
                "service {service} · {} of {count} · {}",
                index + 1,
                sanitize(&source)
            ),
            Some(_) => format!("service {service} {}", sanitize(&w.status)),
            None => String::new(),
        };
        let empty = match (&w.service, state.traces.of) {
            (Some(_), TracesOf::Exported) => {
                "no exported kdrift traces in the last hour (kdrift --otlp-endpoint sends them)"
            }
            (Some(_), _) => {
                "no traces of this service in the last hour (t again: kdrift's as exported)"
            }
            (None, _) => {
                "select a workload to see its service's traces (t again: kdrift's as exported)"
            }
        };
        (w.traces.get(index).cloned(), detail, empty)
    };
    let block = pane(
        super::lower::title(state, detail),
        is_focused(state.focus, Pane::Logs),
    );
    let inner = block.inner(area);
    let Some(trace) = trace else {
        frame.render_widget(
            Paragraph::new(Line::styled(empty, dim())).block(block),
            area,
        );
        return;
    };
    let rows = tree_order(&trace);
    let selected = state.traces.span.min(rows.len().saturating_sub(1));
    // a short pane keeps one line of detail (the error, if the span has one)
    let detail_lines = if inner.height >= 8 { DETAIL_LINES } else { 1 };
    let height = (inner.height as usize)
        .saturating_sub(detail_lines + 1)
        .max(1);
    // keep the selected span in view
    let first = selected.saturating_sub(height.saturating_sub(1));
    let (t0, t1) = bounds(&trace, state.now_ms);
    // the tree as wide as its widest row needs, up to half the pane
    let widest = rows
        .iter()
        .map(|(depth, span)| 2 * (*depth).min(6) + label(span).chars().count() + 8)
        .max()
        .unwrap_or(16);
    let left = widest.clamp(16, (inner.width as usize / 2).max(16));
    let bar_width = (inner.width as usize).saturating_sub(left + 1).max(4);
    let mut lines = vec![ruler(left, bar_width, t1 - t0)];
    for (i, (depth, span)) in rows.iter().enumerate().skip(first).take(height) {
        lines.push(row(
            *depth,
            span,
            i == selected,
            left,
            bar_width,
            t0,
            t1,
            state.now_ms,
        ));
    }
    if let Some((_, span)) = rows.get(selected) {
        let mut detail = details(span, &trace);
        if detail_lines == 1 && detail.len() > 1 {
            detail.remove(0);
        }
        lines.extend(detail.into_iter().take(detail_lines));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The spans depth-first from the root, each with its depth. A span id can be reused once its
/// span closed, so a parent is the latest span with that id that started before the child.
pub fn tree_order(trace: &Trace) -> Vec<(usize, &SpanRecord)> {
    let spans = &trace.spans;
    let parent_of = |i: usize| -> Option<usize> {
        let p = spans[i].parent?;
        (0..i).rev().find(|&j| spans[j].id == p)
    };
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); spans.len()];
    let mut roots = Vec::new();
    for i in 0..spans.len() {
        match parent_of(i) {
            Some(p) => children[p].push(i),
            None => roots.push(i),
        }
    }
    let mut out = Vec::with_capacity(spans.len());
    let mut stack: Vec<(usize, usize)> = roots.into_iter().rev().map(|r| (r, 0)).collect();
    while let Some((i, depth)) = stack.pop() {
        out.push((depth, &spans[i]));
        for &c in children[i].iter().rev() {
            stack.push((c, depth + 1));
        }
    }
    out
}

/// The trace's start and end (an open span ends now), never an empty range.
fn bounds(trace: &Trace, now_ms: u64) -> (u64, u64) {
    let start = trace.spans.iter().map(|s| s.start_ms).min().unwrap_or(0);
    let end = trace
        .spans
        .iter()
        .map(|s| s.end_ms.unwrap_or(now_ms.max(s.start_ms)))
        .max()
        .unwrap_or(start);
    (start, end.max(start + 1))
}

fn millis(ms: u64) -> String {
    if ms >= 10_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else {
        format!("{ms}ms")
    }
}

fn ruler(left: usize, width: usize, total: u64) -> Line<'static> {
    let end = millis(total);
    let gap = width.saturating_sub(end.len() + 1);
    Line::from(vec![
        Span::styled(format!("{:<left$} ", "span"), dim()),
        Span::styled(format!("0{}{end}", " ".repeat(gap)), dim()),
    ])
}

#[allow(clippy::too_many_arguments)]
fn row(
    depth: usize,
    span: &SpanRecord,
    selected: bool,
    left: usize,
    width: usize,
    t0: u64,
    t1: u64,
    now_ms: u64,
) -> Line<'static> {
    let end = span.end_ms.unwrap_or(now_ms.max(span.start_ms));
    let took = end.saturating_sub(span.start_ms);
    let label = label(span);
    let duration = if span.end_ms.is_some() {
        millis(took)
    } else {
        format!("{}…", millis(took))
    };
    let indent = "  ".repeat(depth.min(6));
    let room = left.saturating_sub(indent.chars().count() + duration.len() + 1);
    let name: String = label.chars().take(room).collect();
    let pad = left.saturating_sub(indent.chars().count() + name.chars().count() + duration.len());
    let total = (t1 - t0) as f64;
    let from = ((span.start_ms.saturating_sub(t0)) as f64 / total * width as f64) as usize;
    let to = ((end.saturating_sub(t0)) as f64 / total * width as f64).ceil() as usize;
    let from = from.min(width.saturating_sub(1));
    let len = to.saturating_sub(from).max(1).min(width - from);
    let color = if span.error.is_some() {
        Color::Red
    } else {
        Color::Cyan
    };
    let mut style = Style::new();
    if selected {
        style = style.add_modifier(Modifier::REVERSED);
    }
    Line::from(vec![
        Span::styled(
            format!("{indent}{name}{}{duration} ", " ".repeat(pad)),
            style,
        ),
        Span::raw(" ".repeat(from)),
        Span::styled("█".repeat(len), Style::new().fg(color)),
    ])
}

/// A span's name, with the fields that say what it worked on (an object's op and key, a step).
fn label(span: &SpanRecord) -> String {
    let field = |name: &str| {
        span.fields
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| sanitize(v.trim_matches('"')))
    };
    let mut label = span.name.to_string();
    for part in [field("op"), field("key").or_else(|| field("name"))]
        .into_iter()
        .flatten()
    {
        label.push(' ');
        label.push_str(&part);
    }
    label
}

fn details(span: &SpanRecord, trace: &Trace) -> Vec<Line<'static>> {
    let dropped = trace.dropped;
    let mut attrs = span
        .fields
        .iter()
        .map(|(k, v)| format!("{k}={}", sanitize(v.trim_matches('"'))))
        .collect::<Vec<_>>();
    // the root says which trace this is, to find it again in the backend it was exported to
    if span.parent.is_none() && !trace.trace_id.is_empty() {
        attrs.push(format!("trace={}", sanitize(&trace.trace_id)));
    }
    let attrs = attrs.join("  ");
    let mut out = vec![Line::from(vec![
        Span::styled(format!("{} ", span.name), bold()),
        Span::styled(attrs, dim()),
    ])];
    match (&span.error, dropped) {
        (Some(e), _) => out.push(Line::styled(
            format!("error: {}", sanitize(e)),
            Style::new().fg(Color::Red),
        )),
        (None, n) if n > 0 => out.push(Line::styled(
            format!("{n} more spans not kept (a trace keeps its first 5,000)"),
            dim(),
        )),
        _ => {}
    }
    out
}
