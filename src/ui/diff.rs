//! Diff pane: what drifted, who wrote it, and the diff of live (−) against git (+), unified or
//! side by side, each change labelled with its field and who wrote it, changed words marked.
//! Only the lines in view are styled.

use super::style::{bold, dim, is_focused, pane, status_style};
use crate::app::{Action, BodyLine, KeyTable, Pane, Preamble, State, preamble, shows_diff};
use kdrift_engine::clock::{age, rfc3339_secs};
use kdrift_engine::drift::{DiffText, RowKind, change_for};
use kdrift_engine::inventory::Row;
use kdrift_engine::model::{DriftStatus, FieldChange};
use kdrift_engine::text::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::ops::Range;

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
    if let Some(k) = key.filter(|k| state.inv.is_listing(k)) {
        // not missing: nothing of its kind has been seen yet
        let title = format!(" diff {} listing ", sanitize(&k.to_string()));
        let text = Line::styled(
            "its kind has not listed yet: compared as soon as the list arrives",
            dim(),
        );
        frame.render_widget(Paragraph::new(text).block(pane(title, focused)), area);
        return;
    }
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
    let head = preamble(report);
    let text = key
        .and_then(|k| state.diff.text_for(k))
        .filter(|_| shows_diff(report.status));
    let body: &[BodyLine] = if text.is_some() {
        state.diff.body()
    } else {
        &[]
    };
    let in_sync = text.is_none() && report.status == DriftStatus::InSync;
    let total = head.len() + body.len() + usize::from(in_sync);
    let height = area.height.saturating_sub(2) as usize;
    let scroll = state.diff_scroll.min(total.saturating_sub(1));
    let width = area.width.saturating_sub(2) as usize;
    let seen = |path: &str| key.and_then(|k| state.inv.first_seen(k, path));
    let who = Who {
        changes: &report.changes,
        seen: &seen,
        now_ms: state.now_ms,
    };
    let lines: Vec<Line> = (scroll..total.min(scroll + height))
        .map(|i| {
            if let Some(item) = head.get(i) {
                preamble_line(item, &who)
            } else if let (Some(text), Some(line)) = (text, body.get(i - head.len())) {
                body_line(text, *line, &who, width)
            } else {
                Line::styled("live matches every field git declares", dim())
            }
        })
        .collect();
    let mut block = pane(title, focused);
    if text.is_some_and(|t| t.blocks().len() > 0) {
        block = block.title_bottom(Line::styled(keys_hint(state), dim()).right_aligned());
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The pane's own keys, as the keymap binds them.
fn keys_hint(state: &State) -> String {
    let key = |a| {
        state
            .keymap
            .key_for(KeyTable::Normal, a)
            .unwrap_or_default()
    };
    let layout = if state.diff.split {
        "unified"
    } else {
        "side by side"
    };
    let context = if state.diff.expanded {
        "changes only"
    } else {
        "all lines"
    };
    format!(
        " {}/{} change · {} {layout} · {} {context} ",
        key(Action::NextChange),
        key(Action::PrevChange),
        key(Action::SplitView),
        key(Action::ExpandContext)
    )
}

fn show(v: &Option<serde_json::Value>) -> String {
    v.as_ref()
        .map(|v| v.to_string())
        .unwrap_or_else(|| "(unset)".into())
}

/// `← kubectl-edit 3m ago`: who wrote the live value, and when; where the manager left no
/// time, how long kdrift has seen it so (`← kubectl, seen 3m ago`).
fn provenance(change: &FieldChange, seen: Option<u64>, now_ms: u64) -> Option<String> {
    let ago = |secs: i64| match age(now_ms, secs) {
        now if now == "now" => "just now".to_string(),
        ago => format!("{ago} ago"),
    };
    let written = change.time.as_deref().and_then(rfc3339_secs);
    let seen = seen.map(|ms| (ms / 1000) as i64);
    match (&change.manager, written, seen) {
        (Some(m), Some(t), _) => Some(format!("← {} {}", sanitize(m), ago(t))),
        (Some(m), None, Some(t)) => Some(format!("← {}, seen {}", sanitize(m), ago(t))),
        (Some(m), None, None) => Some(format!("← {}", sanitize(m))),
        (None, _, Some(t)) => Some(format!("seen {}", ago(t))),
        (None, _, None) => None,
    }
}

/// What says who changed a field and when: the report's changes, when kdrift first saw each
/// drift (by path), and the time now.
struct Who<'a> {
    changes: &'a [FieldChange],
    seen: &'a dyn Fn(&str) -> Option<u64>,
    now_ms: u64,
}

impl Who<'_> {
    fn of(&self, change: &FieldChange) -> Option<String> {
        provenance(change, (self.seen)(&change.path), self.now_ms)
    }
}

fn preamble_line(item: &Preamble<'_>, who: &Who<'_>) -> Line<'static> {
    match item {
        Preamble::Stage(text) => Line::styled(*text, dim()),
        Preamble::Owner(owner) => Line::styled(
            sanitize(&format!(
                "⎈ managed by {owner}: a direct apply is undone by it (o in the plan asks it to reconcile)"
            )),
            Style::new().fg(Color::Magenta),
        ),
        Preamble::Fight(fight) => {
            let [a, b] = &fight.managers;
            let text = format!(
                "⚔ fight: {} is set by {a} and {b} in turn; converging will not stick",
                fight.path
            );
            Line::styled(sanitize(&text), Style::new().fg(Color::LightRed))
        }
        Preamble::Message(text) => Line::styled(sanitize(text), Style::new().fg(Color::Red)),
        Preamble::Change(change) => {
            let mut spans = vec![
                Span::styled(
                    format!("{} ", sanitize(&change.path)),
                    Style::new().fg(Color::Yellow),
                ),
                Span::raw(format!("git {} ", sanitize(&show(&change.desired)))),
                Span::raw(format!("live {}", sanitize(&show(&change.live)))),
            ];
            if let Some(who) = who.of(change) {
                spans.push(Span::styled(
                    format!("  {who}"),
                    Style::new().fg(Color::Magenta),
                ));
            }
            Line::from(spans)
        }
        Preamble::Ignored(ignored) => {
            let c = &ignored.change;
            let text = format!(
                "ignored ({}): {} git {} live {}",
                ignored.rule,
                c.path,
                show(&c.desired),
                show(&c.live)
            );
            Line::styled(sanitize(&text), dim())
        }
        Preamble::ExtrasTitle => Line::styled("not in git (not drift):", dim()),
        Preamble::Extra(extra) => Line::from(vec![
            Span::styled(format!("+ {} ", sanitize(&extra.path)), dim()),
            Span::styled(
                format!("← {}", sanitize(&extra.manager)),
                Style::new().fg(Color::Magenta),
            ),
        ]),
    }
}

fn body_line(text: &DiffText, line: BodyLine, who: &Who<'_>, width: usize) -> Line<'static> {
    match line {
        BodyLine::Header => Line::styled(sanitize(text.header()), Style::new().fg(Color::Cyan)),
        BodyLine::Hunk { block, hidden } => {
            let mut spans = Vec::new();
            if hidden > 0 {
                spans.push(Span::styled(format!("⋯ {hidden} unchanged "), dim()));
            }
            spans.extend(label(text, block, who));
            Line::from(spans)
        }
        BodyLine::Label(block) => Line::from(label(text, Some(block), who)),
        BodyLine::Gap(n) => Line::styled(format!("⋯ {n} unchanged"), dim()),
        BodyLine::Row(row) => {
            let kind = text.rows()[row].kind;
            let sign = match kind {
                RowKind::Equal => " ",
                RowKind::Removed => "-",
                RowKind::Added => "+",
            };
            let mut spans = vec![Span::styled(sign, kind_style(kind))];
            spans.extend(marked(text.text(row), text, row, kind, usize::MAX));
            Line::from(spans)
        }
        BodyLine::Pair(old, new) => {
            let half = width.saturating_sub(3) / 2;
            let side = |row: Option<usize>, removed: bool| -> Vec<Span<'static>> {
                let Some(row) = row else {
                    return vec![Span::raw(" ".repeat(half))];
                };
                let kind = text.rows()[row].kind;
                let line = if removed {
                    text.old_text(row)
                } else {
                    text.new_text(row)
                };
                let mut spans = marked(line.unwrap_or_default(), text, row, kind, half);
                let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
                spans.push(Span::raw(" ".repeat(half.saturating_sub(used))));
                spans
            };
            let mut spans = side(old, true);
            spans.push(Span::styled(" │ ", dim()));
            spans.extend(side(new, false));
            Line::from(spans)
        }
        BodyLine::Note(i) => Line::styled(sanitize(&text.notes()[i]), Style::new().fg(Color::Cyan)),
    }
}

/// `── /spec/replicas ← kubectl-scale 3m ago`: a change's field and who wrote it.
fn label(text: &DiffText, block: Option<usize>, who: &Who<'_>) -> Vec<Span<'static>> {
    let path = block.map(|b| text.block_path(b)).unwrap_or_default();
    let shown = if path.is_empty() {
        "(whole object)"
    } else {
        path
    };
    let mut spans = vec![Span::styled(
        format!("── {} ", sanitize(shown)),
        Style::new().fg(Color::Cyan),
    )];
    if let Some(who) = change_for(path, who.changes).and_then(|c| who.of(c)) {
        spans.push(Span::styled(who, Style::new().fg(Color::Magenta)));
    }
    spans
}

fn kind_style(kind: RowKind) -> Style {
    match kind {
        RowKind::Equal => Style::new(),
        RowKind::Removed => Style::new().fg(Color::Red),
        RowKind::Added => Style::new().fg(Color::Green),
    }
}

/// A row's text in its colour, changed words reversed, cut to `width` characters. Each piece
/// is sanitized on its own: cluster text never reaches the terminal raw.
fn marked(
    line: &str,
    text: &DiffText,
    row: usize,
    kind: RowKind,
    width: usize,
) -> Vec<Span<'static>> {
    let base = kind_style(kind);
    let mut pieces: Vec<(Range<usize>, bool)> = Vec::new();
    let mut at = 0;
    for r in text.emphasis(row) {
        let r = r.start.min(line.len())..r.end.min(line.len());
        if r.start > at {
            pieces.push((at..r.start, false));
        }
        pieces.push((r.clone(), true));
        at = r.end;
    }
    if at < line.len() || pieces.is_empty() {
        pieces.push((at..line.len(), false));
    }
    let mut left = width;
    let mut out = Vec::new();
    for (range, changed) in pieces {
        if left == 0 {
            break;
        }
        let piece: String = sanitize(line.get(range).unwrap_or_default())
            .chars()
            .take(left)
            .collect();
        left -= piece.chars().count();
        let style = if changed {
            base.add_modifier(Modifier::REVERSED)
        } else {
            base
        };
        out.push(Span::styled(piece, style));
    }
    out
}
