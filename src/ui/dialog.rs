//! Sync confirmation: the complete plan (create / patch / prune) before anything changes.

use super::style::{bold, centered, dim, pane};
use kdrift_engine::repo::CommitInfo;
use kdrift_engine::sync::{PlanOp, SyncPlan};
use kdrift_engine::text::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

pub fn draw(frame: &mut Frame, area: Rect, plan: &SyncPlan, head: Option<&CommitInfo>) {
    let creates = plan.count(|o| *o == PlanOp::Create);
    let patches = plan.count(|o| matches!(o, PlanOp::Patch { .. }));
    let prunes = plan.count(|o| *o == PlanOp::Prune);
    let commit = plan
        .commit
        .as_deref()
        .map(|c| &c[..7.min(c.len())])
        .unwrap_or("?");
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("Converge to git {commit}: "), bold()),
            Span::raw(format!("{creates} create, {patches} patch, {prunes} prune")),
        ]),
        Line::styled("server-side apply as field manager \"kdrift\"", dim()),
        Line::raw(""),
    ];
    if let (Some(head), Some(commit)) = (head, plan.commit.as_deref())
        && head.id != commit
    {
        let warning = format!(
            "⚠ {commit:.7} is NOT the branch HEAD ({}): this applies an older state",
            head.short
        );
        lines.insert(
            2,
            Line::styled(warning, Style::new().fg(Color::Black).bg(Color::Yellow)),
        );
    }
    for item in &plan.items {
        let (verb, color, note) = match &item.op {
            PlanOp::Create => ("create", Color::Green, String::new()),
            PlanOp::Patch { fields, take_over } => {
                let mut note = format!("{fields} field(s)");
                if !take_over.is_empty() {
                    note.push_str(&format!(", takes over from {}", take_over.join(", ")));
                }
                ("patch ", Color::Yellow, note)
            }
            PlanOp::Prune => (
                "PRUNE ",
                Color::Red,
                "delete: in cluster, not in git".into(),
            ),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("  {verb} "), Style::new().fg(color)),
            Span::raw(sanitize(&item.key.to_string())),
            Span::styled(format!("  {}", sanitize(&note)), dim()),
        ]));
    }
    for (key, why) in &plan.blocked {
        lines.push(Line::from(vec![
            Span::styled("  skip   ", Style::new().fg(Color::Red)),
            Span::raw(sanitize(&key.to_string())),
            Span::styled(format!("  {}", sanitize(why)), dim()),
        ]));
    }
    lines.push(Line::raw(""));
    if plan.items.is_empty() {
        lines.push(Line::styled("nothing can be applied: Esc to close", bold()));
    } else {
        lines.push(Line::styled("y / Enter: apply     n / Esc: cancel", bold()));
    }
    let width = 76.min(area.width);
    // Long lines wrap: size the box for the wrapped height so the confirm line is never cut off.
    let inner = usize::from(width.saturating_sub(2)).max(1);
    let wrapped: usize = lines.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
    let height = (wrapped as u16 + 2).min(area.height);
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block = pane(" sync plan ", true);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        rect,
    );
}
