//! The ignore proposal: the rule `i` would write, in full, before anything is written.

use super::style::{bold, centered, dim, pane};
use crate::app::{IgnoreProposal, State};
use kdrift_engine::text::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Wrap};

pub fn draw(frame: &mut Frame, area: Rect, proposal: &IgnoreProposal, state: &State) {
    let file = state
        .config_file
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "(no config dir)".into());
    let mut lines = vec![
        Line::from(vec![
            ratatui::text::Span::styled("Ignore ", bold()),
            ratatui::text::Span::raw(sanitize(&proposal.path)),
            ratatui::text::Span::styled(" of ", bold()),
            ratatui::text::Span::raw(sanitize(&proposal.key.to_string())),
        ]),
        Line::styled(format!("this rule goes into {}:", sanitize(&file)), dim()),
        Line::raw(""),
    ];
    lines.extend(
        proposal
            .rule
            .to_toml()
            .lines()
            .map(|l| Line::raw(sanitize(l))),
    );
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "ignored fields stay visible, dimmed; share it with your team in .kdrift.toml",
        dim(),
    ));
    lines.push(Line::styled(
        "y / Enter: write it     n / Esc: cancel",
        bold(),
    ));
    let width = 76.min(area.width);
    let inner = usize::from(width.saturating_sub(2)).max(1);
    let wrapped: usize = lines.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
    let rect = centered(area, width, (wrapped as u16 + 2).min(area.height));
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(pane(" ignore a field ", true)),
        rect,
    );
}
