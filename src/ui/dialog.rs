//! Sync confirmation: the complete plan before anything changes, in the order it runs. The
//! totals, every PRUNE and the keys stay on screen however long the plan is; the rest scrolls.
//! After a conflict or an immutable field, the same box asks for the second confirmation.

use super::style::{bold, centered, dim, pane};
use crate::app::{DialogStage, PlanDialog};
use kdrift_engine::repo::CommitInfo;
use kdrift_engine::sync::{PlanItem, PlanOp, SyncPlan};
use kdrift_engine::text::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

pub fn draw(frame: &mut Frame, area: Rect, dialog: &PlanDialog, head: Option<&CommitInfo>) {
    let (title, top, body, bottom) = match &dialog.stage {
        DialogStage::Plan => {
            let (top, body, bottom) = plan_lines(&dialog.plan, head);
            (" sync plan ", top, body, bottom)
        }
        DialogStage::Force { conflicts } => {
            let top = vec![
                Line::styled("The server refused fields other managers own.", bold()),
                Line::styled(
                    "Nothing of that step changed. Forcing takes these fields from them:",
                    dim(),
                ),
                Line::raw(""),
            ];
            let body = conflicts
                .iter()
                .map(|(key, c)| {
                    Line::from(vec![
                        Span::raw(format!("  {}  ", sanitize(&key.to_string()))),
                        Span::styled(sanitize(&c.field), Style::new().fg(Color::Yellow)),
                        Span::styled(format!("  owned by {}", sanitize(&c.manager)), dim()),
                    ])
                })
                .collect();
            let bottom = vec![
                Line::raw(""),
                Line::styled("F: apply again, taking them     Esc: cancel", bold()),
            ];
            (" conflicts ", top, body, bottom)
        }
        DialogStage::Recreate { key, fields, typed } => {
            let top = vec![
                Line::from(vec![
                    Span::styled(sanitize(&key.to_string()), bold()),
                    Span::raw(" cannot change in place:"),
                ]),
                Line::styled(
                    format!("  {}", sanitize(&fields.join(", "))),
                    Style::new().fg(Color::Yellow),
                ),
                Line::raw(""),
                Line::raw("Recreating deletes it and creates it from git (its pods restart)."),
            ];
            let bottom = vec![
                Line::raw(""),
                Line::from(vec![
                    Span::raw("Type its name to confirm: "),
                    Span::styled(
                        format!("{}▏", sanitize(typed)),
                        Style::new().add_modifier(Modifier::BOLD),
                    ),
                ]),
                Line::styled("Enter: recreate     Esc: cancel", bold()),
            ];
            (" recreate ", top, Vec::new(), bottom)
        }
    };
    let width = 84.min(area.width);
    let inner_width = usize::from(width.saturating_sub(2)).max(1);
    let tall = |lines: &[Line]| -> usize {
        lines
            .iter()
            .map(|l| l.width().div_ceil(inner_width).max(1))
            .sum()
    };
    let fixed = tall(&top) + tall(&bottom);
    let wanted = (fixed + tall(&body) + 2) as u16;
    let height = wanted.min(area.height);
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    frame.render_widget(pane(title, true), rect);
    let inner = Rect {
        x: rect.x + 1,
        y: rect.y + 1,
        width: rect.width.saturating_sub(2),
        height: rect.height.saturating_sub(2),
    };
    // the fixed parts first: if the screen is too short for even those, the keys win
    let bottom_h = (tall(&bottom) as u16).min(inner.height);
    let top_h = (tall(&top) as u16).min(inner.height - bottom_h);
    let body_h = inner.height - bottom_h - top_h;
    let para = |lines: Vec<Line<'static>>| Paragraph::new(lines).wrap(Wrap { trim: false });
    frame.render_widget(
        para(top),
        Rect {
            height: top_h,
            ..inner
        },
    );
    let body_len = tall(&body);
    let max_scroll = body_len.saturating_sub(usize::from(body_h));
    let scroll = dialog.scroll.min(max_scroll);
    let body_area = Rect {
        y: inner.y + top_h,
        height: body_h,
        ..inner
    };
    frame.render_widget(para(body).scroll((scroll as u16, 0)), body_area);
    if max_scroll > 0 && body_h > 0 {
        let more = format!(
            " {}/{} ↓j ↑k ",
            (scroll + usize::from(body_h)).min(body_len),
            body_len
        );
        let at = Rect {
            x: rect.x + rect.width.saturating_sub(more.chars().count() as u16 + 1),
            y: rect.y + rect.height - 1,
            width: more.chars().count() as u16,
            height: 1,
        };
        frame.render_widget(Paragraph::new(Span::styled(more, dim())), at);
    }
    frame.render_widget(
        para(bottom),
        Rect {
            y: inner.y + top_h + body_h,
            height: bottom_h,
            ..inner
        },
    );
}

type Lines = Vec<Line<'static>>;

/// The plan as (always shown, scrolled, always shown).
fn plan_lines(plan: &SyncPlan, head: Option<&CommitInfo>) -> (Lines, Lines, Lines) {
    let count = |want: fn(&PlanOp) -> bool| plan.count(want);
    let creates = count(|o| *o == PlanOp::Create);
    let patches = count(|o| matches!(o, PlanOp::Patch { .. }));
    let prunes = count(|o| *o == PlanOp::Prune);
    let recreates = count(|o| matches!(o, PlanOp::Recreate { .. }));
    let commit = plan
        .commit
        .as_deref()
        .map(|c| &c[..7.min(c.len())])
        .unwrap_or("?");
    let mut totals = format!("{creates} create, {patches} patch, {prunes} prune");
    if recreates > 0 {
        totals.push_str(&format!(", {recreates} recreate"));
    }
    let mut top = vec![Line::from(vec![
        Span::styled(format!("Converge to git {commit}: "), bold()),
        Span::raw(totals),
    ])];
    top.push(Line::styled(
        "server-side apply as \"kdrift\", without force: fields another manager owns stop it",
        dim(),
    ));
    if let (Some(head), Some(commit)) = (head, plan.commit.as_deref())
        && head.id != commit
    {
        let warning = format!(
            "⚠ {commit:.7} is NOT the branch HEAD ({}): this applies an older state",
            head.short
        );
        top.push(Line::styled(
            warning,
            Style::new().fg(Color::Black).bg(Color::Yellow),
        ));
    }
    if plan.prune {
        top.push(Line::styled(
            format!("prune on: {prunes} object(s) will be DELETED (p: off)"),
            Style::new().fg(Color::Red),
        ));
        for item in plan.items.iter().filter(|i| i.op == PlanOp::Prune) {
            top.push(item_line(item));
            top.extend(warning_lines(item));
        }
    } else if plan.orphans > 0 {
        top.push(Line::styled(
            format!(
                "prune off: {} orphan(s) left in the cluster (p: prune them)",
                plan.orphans
            ),
            dim(),
        ));
    }
    top.push(Line::raw(""));

    let mut body = Vec::new();
    let mut step = None;
    for item in plan.items.iter().filter(|i| i.op != PlanOp::Prune) {
        let this = item.step();
        if step != Some(this) {
            step = Some(this);
            let what = if this.bootstrap {
                " · namespaces and CRDs first"
            } else {
                ""
            };
            body.push(Line::styled(format!("wave {}{what}", this.wave), dim()));
        }
        body.push(item_line(item));
        body.extend(warning_lines(item));
    }
    let blocked = plan.blocked.iter().map(|(key, why)| (key.to_string(), why));
    let unreadable = plan.unreadable.iter().map(|(at, why)| (at.clone(), why));
    for (what, why) in blocked.chain(unreadable) {
        body.push(Line::from(vec![
            Span::styled("  skip     ", Style::new().fg(Color::Red)),
            Span::raw(sanitize(&what)),
            Span::styled(format!("  {}", sanitize(why)), dim()),
        ]));
    }

    let mut bottom = vec![Line::raw("")];
    if plan.items.is_empty() {
        bottom.push(Line::styled(
            "nothing can be applied: p prune · Esc close",
            bold(),
        ));
    } else {
        bottom.push(Line::styled(
            "y / Enter: apply     p: prune on/off     n / Esc: cancel",
            bold(),
        ));
    }
    let owners = plan.owners();
    if !owners.is_empty() {
        let names: Vec<String> = owners.iter().map(|o| o.to_string()).collect();
        bottom.push(Line::styled(
            sanitize(&format!("o: ask {} to reconcile instead", names.join(", "))),
            Style::new().fg(Color::Magenta),
        ));
    }
    (top, body, bottom)
}

fn item_line(item: &PlanItem) -> Line<'static> {
    let (verb, color, note) = match &item.op {
        PlanOp::Create => ("create  ", Color::Green, String::new()),
        PlanOp::Patch { fields, take_over } => {
            let mut note = format!("{fields} field(s)");
            if !item.fields.is_empty() {
                note.push_str(&format!(": {}", item.fields.join(", ")));
                if *fields > item.fields.len() {
                    note.push_str(", …");
                }
            }
            if !take_over.is_empty() {
                note.push_str(&format!(" · owned by {}", take_over.join(", ")));
            }
            ("patch   ", Color::Yellow, note)
        }
        PlanOp::Prune => (
            "PRUNE   ",
            Color::Red,
            "delete: in cluster, not in git".into(),
        ),
        PlanOp::Recreate { fields } => (
            "RECREATE",
            Color::Red,
            format!("delete and create: {} cannot change", fields.join(", ")),
        ),
    };
    Line::from(vec![
        Span::styled(format!("  {verb} "), Style::new().fg(color)),
        Span::raw(sanitize(&item.key.to_string())),
        Span::styled(format!("  {}", sanitize(&note)), dim()),
    ])
}

fn warning_lines(item: &PlanItem) -> impl Iterator<Item = Line<'static>> + '_ {
    item.warnings.iter().map(|w| {
        Line::styled(
            format!("           ⚠ {}", sanitize(w)),
            Style::new().fg(Color::Yellow),
        )
    })
}
