//! Metrics pane: the selected workload's time series from a Prometheus-compatible API, one chart
//! per panel (ready against desired replicas, restarts, CPU, memory, request and error rates),
//! sized to the pane; a short pane gets one line per panel with the latest values and a
//! sparkline. A failing query is a line saying so; a series with no samples says "no data".

use super::style::{dim, is_focused, pane};
use crate::app::{Pane, State};
use kdrift_engine::metrics::{PanelData, WINDOW};
use kdrift_engine::text::sanitize;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph};

const COLORS: [Color; 4] = [Color::Cyan, Color::Yellow, Color::Magenta, Color::Green];
/// Rows a chart needs to say anything.
const CHART_ROWS: u16 = 7;

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let m = &state.metrics;
    let source = state.metrics_source.as_ref().map(|s| s.describe());
    let detail = match (&m.target, &source) {
        (Some(k), Some(s)) => format!("{} {} · {}", sanitize(&k.name), m.status, sanitize(s)),
        _ => String::new(),
    };
    let block = pane(
        super::lower::title(state, detail),
        is_focused(state.focus, Pane::Logs),
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let note = |frame: &mut Frame, text: &str| {
        frame.render_widget(Paragraph::new(Line::styled(text.to_string(), dim())), inner);
    };
    if source.is_none() {
        return note(
            frame,
            "no metrics source: --prometheus-url URL, or --prometheus-service namespace/name:port",
        );
    }
    if m.target.is_none() {
        return note(
            frame,
            "select a Deployment, StatefulSet or DaemonSet to chart it",
        );
    }
    if m.panels.is_empty() {
        return note(frame, "asking…");
    }
    let panels: Vec<&PanelData> = m.panels.iter().skip(m.scroll).collect();
    let fit = (inner.height / CHART_ROWS) as usize;
    if fit == 0 {
        let lines: Vec<Line> = panels
            .iter()
            .take(inner.height as usize)
            .map(|p| summary_line(p, inner.width as usize))
            .collect();
        frame.render_widget(Paragraph::new(lines), inner);
        return;
    }
    let shown: Vec<&PanelData> = panels.into_iter().take(fit).collect();
    let rows =
        Layout::vertical(vec![Constraint::Ratio(1, shown.len() as u32); shown.len()]).split(inner);
    for (panel, rect) in shown.iter().zip(rows.iter()) {
        chart(frame, *rect, panel, m.end);
    }
}

/// "replicas  ready 3 · desired 4  ▃▃▃▃▅▅" (the first series' sparkline), or its error.
fn summary_line(p: &PanelData, width: usize) -> Line<'static> {
    let mut spans = vec![Span::styled(
        format!("{:<14}", p.name),
        Style::new().fg(Color::Cyan),
    )];
    let mut first_points: Option<Vec<f64>> = None;
    for (i, (label, answer)) in p.series.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", dim()));
        }
        match answer {
            Err(e) => spans.push(Span::styled(
                format!("{label}: {}", sanitize(e)),
                Style::new().fg(Color::Red),
            )),
            Ok(series) => match series.first().and_then(|s| s.points.last()) {
                Some((_, v)) => {
                    spans.push(Span::raw(format!("{label} {}", value(*v, &p.unit))));
                    if first_points.is_none() {
                        first_points = series
                            .first()
                            .map(|s| s.points.iter().map(|p| p.1).collect());
                    }
                }
                None => spans.push(Span::styled(format!("{label} no data"), dim())),
            },
        }
    }
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    if let Some(points) = first_points {
        let room = width.saturating_sub(used + 2).min(40);
        if room >= 4 {
            spans.push(Span::raw("  "));
            spans.push(Span::styled(
                sparkline(&points, room),
                Style::new().fg(Color::Green),
            ));
        }
    }
    Line::from(spans)
}

fn chart(frame: &mut Frame, area: Rect, p: &PanelData, end: f64) {
    let window = WINDOW.as_secs_f64();
    let start = end - window;
    let mut data: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    let mut errors = Vec::new();
    for (label, answer) in &p.series {
        match answer {
            Ok(series) => {
                for s in series {
                    let name = if series.len() > 1 && !s.labels.is_empty() {
                        format!("{label} {}", s.labels)
                    } else {
                        label.clone()
                    };
                    let points = s.points.iter().map(|(t, v)| (t - start, *v)).collect();
                    data.push((name, points));
                }
                if series.iter().all(|s| s.points.is_empty()) {
                    errors.push(format!("{label}: no data"));
                }
            }
            Err(e) => errors.push(format!("{label}: {}", sanitize(e))),
        }
    }
    let max = data
        .iter()
        .flat_map(|(_, pts)| pts.iter().map(|p| p.1))
        .fold(0.0_f64, f64::max);
    let top = if max <= 0.0 { 1.0 } else { max * 1.15 };
    let datasets: Vec<Dataset> = data
        .iter()
        .enumerate()
        .map(|(i, (_, pts))| {
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::new().fg(COLORS[i % COLORS.len()]))
                .data(pts)
        })
        .collect();
    // the panel's name and each series' latest value, in its line's colour (a legend inside the
    // chart would hide what it labels in a small pane)
    let mut title = vec![Span::styled(
        format!("{}  ", p.name),
        Style::new().fg(Color::Cyan),
    )];
    for (i, (name, pts)) in data.iter().enumerate() {
        if let Some((_, v)) = pts.last() {
            title.push(Span::styled(
                format!("{name} {}  ", value(*v, &p.unit)),
                Style::new().fg(COLORS[i % COLORS.len()]),
            ));
        }
    }
    if !errors.is_empty() {
        title.push(Span::styled(
            errors.join(" · "),
            Style::new().fg(Color::Red),
        ));
    }
    let title = Line::from(title);
    let [head, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    frame.render_widget(Paragraph::new(title), head);
    let chart = Chart::new(datasets)
        .x_axis(Axis::default().bounds([0.0, window]).labels(vec![
            Span::styled("-15m", dim()),
            Span::styled("now", dim()),
        ]))
        .y_axis(Axis::default().bounds([0.0, top]).labels(vec![
            Span::styled("0", dim()),
            Span::styled(value(top, &p.unit), dim()),
        ]));
    frame.render_widget(chart, body);
}

/// A value in its panel's unit, short.
pub fn value(v: f64, unit: &str) -> String {
    match unit {
        "bytes" => {
            let units = ["B", "KiB", "MiB", "GiB", "TiB"];
            let mut x = v;
            let mut i = 0;
            while x >= 1024.0 && i < units.len() - 1 {
                x /= 1024.0;
                i += 1;
            }
            format!("{x:.0}{}", units[i])
        }
        "cores" => format!("{v:.2}"),
        "req/s" => format!("{v:.1}/s"),
        _ if v.fract() == 0.0 && v.abs() < 1e12 => format!("{v:.0}"),
        _ => format!("{v:.2}"),
    }
}

/// The values as `width` block characters, resampled, scaled to their own range.
pub fn sparkline(values: &[f64], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    if values.is_empty() || width == 0 {
        return String::new();
    }
    let (lo, hi) = values
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    let span = if hi > lo { hi - lo } else { 1.0 };
    (0..width.min(values.len()))
        .map(|i| {
            let at = i * values.len() / width.min(values.len());
            let level = ((values[at] - lo) / span * 7.0).round() as usize;
            BARS[level.min(7)]
        })
        .collect()
}
