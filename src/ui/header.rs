//! Header: cluster context, repo/branch/commit, counts per status, watch health.

use super::style::{bold, dim, status_style};
use crate::app::State;
use kdrift_engine::model::{DriftStatus, WatchState};
use kdrift_engine::text::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let mut first = vec![
        Span::styled(" kdrift ", Style::new().fg(Color::Black).bg(Color::Cyan)),
        Span::raw(" ⎈ "),
        Span::styled(sanitize(&state.context), bold()),
    ];
    match (&state.inv.repo, &state.inv.repo_error) {
        (Some(repo), _) => {
            push_commit(
                &mut first,
                &repo.name,
                repo.branch.as_deref(),
                &repo.commit.short,
            );
            first.push(Span::raw(sanitize(&repo.commit.subject)));
            match repo.apps.as_slice() {
                [] => {}
                [one] => first.push(Span::styled(
                    sanitize(&format!("  app {} ({})", one.name, one.tool)),
                    Style::new().fg(Color::Cyan),
                )),
                many => first.push(Span::styled(
                    format!("  {} apps", many.len()),
                    Style::new().fg(Color::Cyan),
                )),
            }
        }
        (None, Some(e)) => first.push(Span::styled(
            format!("  repo error: {}", sanitize(&e.to_string())),
            Style::new().fg(Color::Red),
        )),
        (None, None) => match &state.inv.reading {
            // the first read, as far as its parts have come
            Some(r) => {
                push_commit(&mut first, &r.repo, r.branch.as_deref(), &r.commit.short);
                first.push(Span::styled(
                    format!(
                        "  reading repo… {} objects, {}/{} files",
                        r.objects, r.files_read, r.files
                    ),
                    Style::new().fg(Color::Yellow),
                ));
            }
            None => first.push(Span::styled("  reading repo…", dim())),
        },
    }
    if state.inv.traveling() {
        let head = state
            .inv
            .head
            .as_ref()
            .map(|h| h.short.as_str())
            .unwrap_or("?");
        first.push(Span::styled(
            format!("  TIME TRAVEL (HEAD is {head}, H returns)"),
            Style::new().fg(Color::Black).bg(Color::Magenta),
        ));
    }
    if state.read_only {
        first.push(Span::styled(
            "  [read-only]",
            Style::new().fg(Color::Magenta),
        ));
    }

    let mut second = vec![Span::raw(" ")];
    // rows of kinds still listing are not missing yet: said apart
    let listing = state.inv.listing();
    for status in DriftStatus::ALL {
        let mut n = state.inv.count(status);
        if status == DriftStatus::Missing {
            n -= listing.min(n);
        }
        if n == 0 && status == DriftStatus::Skipped {
            continue; // a note, not a verdict: only worth space when there is one
        }
        let style = if n == 0 { dim() } else { status_style(status) };
        second.push(Span::styled(format!("{} {n}", status.label()), style));
        second.push(Span::styled("  ", dim()));
    }
    if listing > 0 {
        second.push(Span::styled(
            format!("listing {listing}"),
            Style::new().fg(Color::Yellow),
        ));
        second.push(Span::styled("  ", dim()));
    }
    second.push(watch_summary(state));
    frame.render_widget(
        Paragraph::new(vec![Line::from(first), Line::from(second)]),
        area,
    );
}

/// `repo@branch commit`, as the header names what is compared against.
fn push_commit(line: &mut Vec<Span<'static>>, repo: &str, branch: Option<&str>, short: &str) {
    line.push(Span::styled("  ", dim()));
    line.push(Span::raw(format!(
        "{}@{}",
        short_repo(repo),
        sanitize(branch.unwrap_or("(detached)"))
    )));
    line.push(Span::styled(
        format!(" {} ", sanitize(short)),
        Style::new().fg(Color::Yellow),
    ));
}

fn watch_summary(state: &State) -> Span<'static> {
    let watches = &state.inv.watches;
    let total = watches.len();
    let live = watches.values().filter(|w| **w == WatchState::Live).count();
    let troubled: Vec<String> = watches
        .iter()
        .filter(|(_, w)| matches!(w, WatchState::Reconnecting { .. } | WatchState::Failed(_)))
        .map(|(g, w)| match w {
            WatchState::Reconnecting { since_ms, why } => {
                let secs = state.now_ms.saturating_sub(*since_ms) / 1000;
                match why {
                    Some(why) => format!("{g} reconnecting {secs}s: {why}"),
                    None => format!("{g} reconnecting {secs}s"),
                }
            }
            _ => format!("{g} failed"),
        })
        .collect();
    if !troubled.is_empty() {
        Span::styled(
            format!("watch: {}", troubled.join(", ")),
            Style::new().fg(Color::Red),
        )
    } else if total > 0 && live == total {
        Span::styled(
            format!("watch: live ({total} kinds)"),
            Style::new().fg(Color::Green),
        )
    } else {
        Span::styled(
            format!("watch: connecting {live}/{total}"),
            Style::new().fg(Color::Yellow),
        )
    }
}

/// Temp-dir paths are long and meaningless: show the last component.
/// A local repo by its directory name; a URL repo by host and path (the name is already free of
/// credentials: see `RepoSpec::display`).
fn short_repo(name: &str) -> String {
    let trimmed = name.trim_end_matches('/');
    if let Some((_, rest)) = trimmed.split_once("://") {
        return sanitize(rest);
    }
    sanitize(trimmed.rsplit('/').next().unwrap_or(trimmed))
}
