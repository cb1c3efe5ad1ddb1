//! Resources pane: one row per object, grouped by namespace and kind, with a drift badge.

use super::style::{badge, dim, is_focused, pane, status_style};
use crate::app::{Pane, State};
use kdrift_engine::drift::MASK;
use kdrift_engine::health::Health;
use kdrift_engine::inventory::Row as RowKey;
use kdrift_engine::model::{DriftReport, DriftStatus, WatchState};
use kdrift_engine::text::sanitize;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Row, Table};

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let count = state.visible_count();
    let mut title = if state.filter.is_empty() {
        format!(" resources ({count}) ")
    } else {
        format!(
            " resources ({count}/{}) filter: {} ",
            state.inv.row_count(),
            sanitize(&state.filter)
        )
    };
    if let Some(sort) = state.sort.title() {
        title.push_str(&sort);
        title.push(' ');
    }
    let block = pane(Line::from(title), is_focused(state.focus, Pane::Resources));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let (table_area, input_area) = if state.mode.prompt().is_some() {
        let [t, i] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
        (t, Some(i))
    } else {
        (inner, None)
    };

    let height = table_area.height.saturating_sub(1) as usize;
    // Keep the selection on screen; only the rows in this window are built.
    let offset = state.selected.saturating_sub(height.saturating_sub(1));
    // the row above the window too: it decides whether the first one repeats namespace and kind
    let above = offset.saturating_sub(1);
    let mut window = state.visible().skip(above).take(height + offset - above);
    let mut prev: Option<RowKey> = if offset > 0 {
        window.next().map(|(r, _)| r)
    } else {
        None
    };
    let mut built = Vec::with_capacity(height);
    // an APP column only for repos that declare apps (Argo CD, Flux)
    let apps = state.inv.has_apps();
    // columns sized to what the window shows (k9s-like), each within its share of the width
    let mut widest = [
        NS_HEADER.len(),
        KIND_HEADER.len(),
        NAME_MIN,
        if apps { APP_HEADER.len() } else { 0 },
    ];
    for (i, (key, report)) in window.enumerate() {
        let same_ns = prev.is_some_and(|p| p.namespace() == key.namespace());
        let same_kind = same_ns && prev.is_some_and(|p| p.kind() == key.kind());
        let ns = if same_ns {
            String::new()
        } else {
            key.namespace().unwrap_or("(cluster)").to_string()
        };
        let kind = if same_kind {
            String::new()
        } else {
            key.kind().to_string()
        };
        let marked = key.object().is_some_and(|k| state.marked.contains(k));
        let shown_name = sanitize(&key.name());
        let app = if apps {
            sanitize(state.inv.app_of(key).unwrap_or("-"))
        } else {
            String::new()
        };
        for (w, text) in widest.iter_mut().zip([&ns, &kind, &shown_name, &app]) {
            *w = (*w).max(text_width(text));
        }
        if marked {
            widest[2] = widest[2].max(text_width(&shown_name) + 2);
        }
        let stale = key
            .object()
            .and_then(|k| state.inv.watches.get(&k.gvk()))
            .is_some_and(|w| matches!(w, WatchState::Reconnecting { .. }));
        let listing = key.object().is_some_and(|k| state.inv.is_listing(k));
        let mut cells = vec![
            if listing {
                // nothing seen of its kind yet: not missing, just not known
                Cell::from("… listing").style(dim())
            } else {
                Cell::from(badge(report.status)).style(status_style(report.status))
            },
            Cell::from(sanitize(&ns)).style(dim()),
            Cell::from(sanitize(&kind)),
            if marked {
                // marked for `s`: converged together
                Cell::from(format!("● {shown_name}")).style(Style::new().fg(Color::Magenta))
            } else {
                Cell::from(shown_name)
            },
        ];
        if apps {
            cells.push(Cell::from(app).style(Style::new().fg(Color::Cyan)));
        }
        cells.push(if listing {
            Cell::from("not listed yet").style(dim())
        } else if stale {
            // Never present stale state as current: say the row is from before the connection broke.
            Cell::from(format!("stale · {}", summary(report))).style(Style::new().fg(Color::Red))
        } else {
            match key.object().and_then(|k| state.inv.health(k)) {
                // in sync with git, but not there yet (or not getting there): live progress
                Some(Health::Progressing(why)) if report.status == DriftStatus::InSync => {
                    Cell::from(sanitize(&format!("⟳ {why}"))).style(Style::new().fg(Color::Yellow))
                }
                Some(Health::Degraded(why)) if !report.status.is_drift() => {
                    Cell::from(sanitize(&format!("✗ {why}"))).style(Style::new().fg(Color::Red))
                }
                _ => Cell::from(summary(report)).style(dim()),
            }
        });
        let mut row = Row::new(cells);
        if offset + i == state.selected {
            row = row.style(
                Style::new()
                    .bg(super::palette::SELECTION)
                    .add_modifier(Modifier::BOLD),
            );
        }
        built.push(row);
        prev = Some(key);
    }
    let mut header = vec!["STATUS", NS_HEADER, KIND_HEADER, "NAME"];
    if apps {
        header.push(APP_HEADER);
    }
    header.push("DRIFT");
    let table =
        Table::new(built, columns(table_area.width, widest)).header(Row::new(header).style(dim()));
    frame.render_widget(table, table_area);
    if count == 0 {
        let text = if state.inv.row_count() == 0 {
            "waiting for git and the cluster…"
        } else {
            "no rows match the filter"
        };
        let [_, msg] =
            Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(table_area);
        frame.render_widget(Line::styled(text, dim()), msg);
    }
    if let (Some((prompt, input)), Some(area)) = (state.mode.prompt(), input_area) {
        let [label, field] =
            Layout::horizontal([Constraint::Length(2), Constraint::Min(1)]).areas(area);
        frame.render_widget(Line::styled(prompt, Style::new().fg(Color::Cyan)), label);
        frame.render_widget(input, field);
    }
}

const NS_HEADER: &str = "NAMESPACE";
const APP_HEADER: &str = "APP";
const APP_MIN: usize = 12;
const KIND_HEADER: &str = "KIND";
const NAME_MIN: usize = 16;

/// Display width of a cell's text.
fn text_width(text: &str) -> usize {
    ratatui::text::Span::raw(text).width()
}

/// Widths of the status, namespace, kind, name and (when `want[3]` is not 0) app columns for what
/// the window holds. When they do not all fit beside a drift column of `DRIFT_MIN`, the app
/// gives way first (to `NAME_MIN`), then the name (to `NAME_MIN`), then the app again (to
/// `APP_MIN`), then the namespace, then the kind (to their headers' widths); the drift column
/// takes what is left.
fn columns(width: u16, want: [usize; 4]) -> Vec<Constraint> {
    const STATUS: usize = 10;
    const DRIFT_MIN: usize = 12;
    let app = want[3] > 0;
    // the table's one-cell gaps between the columns
    let gaps = if app { 5 } else { 4 };
    let room = usize::from(width).saturating_sub(STATUS + DRIFT_MIN + gaps);
    let mut got = want;
    // (column, the width it gives way to), in turn
    let steps = [
        (3, want[3].min(NAME_MIN)),
        (2, NAME_MIN),
        (3, want[3].min(APP_MIN)),
        (0, NS_HEADER.len()),
        (1, KIND_HEADER.len()),
    ];
    for (i, floor) in steps {
        let over = got.iter().sum::<usize>().saturating_sub(room);
        got[i] -= over.min(got[i].saturating_sub(floor));
    }
    let [ns, kind, name, app_width] = got.map(|w| w as u16);
    let mut out = vec![
        Constraint::Length(STATUS as u16),
        Constraint::Length(ns),
        Constraint::Length(kind),
        Constraint::Length(name),
    ];
    if app {
        out.push(Constraint::Length(app_width));
    }
    out.push(Constraint::Fill(1));
    out
}

/// A few words on why the row is what it is: a fight over a field first (converging it will
/// not stick), else the first drifted field, or the error.
fn summary(report: &DriftReport) -> String {
    if let Some(fight) = report.fights.first() {
        let field = fight.path.rsplit('/').next().unwrap_or(&fight.path);
        let [a, b] = &fight.managers;
        return sanitize(&format!("fight: {field} {a} ⇄ {b}"));
    }
    match report.status {
        DriftStatus::Modified => {
            let first = &report.changes[0];
            let field = first.path.rsplit('/').next().unwrap_or(&first.path);
            let more = report.changes.len() - 1;
            let value = |v: &Option<serde_json::Value>| {
                v.as_ref().map(compact).unwrap_or_else(|| "∅".into())
            };
            let hidden = first.desired.as_ref().and_then(|v| v.as_str()) == Some(MASK);
            let mut s = if hidden {
                format!("{field} changed")
            } else {
                format!("{field} {}≠{}", value(&first.desired), value(&first.live))
            };
            if more > 0 {
                s.push_str(&format!(" +{more}"));
            }
            if report.pending {
                // the local compare's word; the server's dry-run has not answered yet
                s.insert_str(0, "checking · ");
            }
            sanitize(&s)
        }
        DriftStatus::Missing => "not in cluster".into(),
        DriftStatus::Orphan => "not in git".into(),
        DriftStatus::Error | DriftStatus::Skipped => {
            sanitize(report.message.as_deref().unwrap_or("error"))
        }
        // not drift, but not nothing either: someone added what git does not declare
        DriftStatus::InSync => match report.extras.as_slice() {
            [] => String::new(),
            [one] => sanitize(&format!("+1 extra by {}", one.manager)),
            many => format!("+{} extra", many.len()),
        },
    }
}

fn compact(v: &serde_json::Value) -> String {
    let s = match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.chars().count() > 16 {
        format!("{}…", s.chars().take(15).collect::<String>())
    } else {
        s
    }
}
