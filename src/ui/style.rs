//! Colours and badges shared by the panes.

use crate::app::Pane;
use kdrift_engine::model::DriftStatus;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, BorderType};

pub fn status_style(status: DriftStatus) -> Style {
    let color = match status {
        DriftStatus::InSync => Color::Green,
        DriftStatus::Modified => Color::Yellow,
        DriftStatus::Missing => Color::LightRed,
        DriftStatus::Orphan => Color::Magenta,
        DriftStatus::Error => Color::Red,
        DriftStatus::Skipped => Color::DarkGray,
    };
    Style::new().fg(color)
}

pub fn badge(status: DriftStatus) -> &'static str {
    match status {
        DriftStatus::InSync => "✓ in sync",
        DriftStatus::Modified => "~ modified",
        DriftStatus::Missing => "+ missing",
        DriftStatus::Orphan => "- orphan",
        DriftStatus::Error => "! error",
        DriftStatus::Skipped => "· skipped",
    }
}

/// A bordered pane; the focused one gets a bright border.
pub fn pane<'a>(title: impl Into<ratatui::text::Line<'a>>, focused: bool) -> Block<'a> {
    let border = if focused {
        Style::new().fg(Color::Cyan)
    } else {
        Style::new().fg(Color::DarkGray)
    };
    Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(border)
        .title(title)
}

pub fn is_focused(current: Pane, pane: Pane) -> bool {
    current == pane
}

pub fn bold() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

pub fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

/// A `width` × `height` rectangle centred in `area` (clamped to it), for overlays.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [rect] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    rect
}
