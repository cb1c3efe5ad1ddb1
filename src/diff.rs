//! `kdrift diff`: every drifted object as a diff, without a terminal UI: which fields changed,
//! who changed them and when, then the text diff (the server's version against live where the
//! server decided). Colour on a terminal, plain otherwise; exit codes as `check`'s.

use kdrift_engine::cluster::Resolver;
use kdrift_engine::drift::{
    CONTEXT, DiffLine, DiffLineKind, IgnoreRules, object_diff_shaped, server_diff,
};
use kdrift_engine::headless::{CheckReport, evaluate_with};
use kdrift_engine::inventory::{Inventory, Row};
use kdrift_engine::model::{DriftReport, DriftStatus, Stage};
use kdrift_engine::repo::Snapshot;
use kdrift_engine::text::sanitize;
use std::io::IsTerminal;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

impl Color {
    fn on(self) -> bool {
        match self {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
            }
        }
    }
}

/// Evaluates, prints every row that is not in sync, and returns `check`'s exit code.
pub async fn run_diff(
    resolver: &Resolver,
    snapshot: Snapshot,
    context: &str,
    rules: IgnoreRules,
    color: Color,
) -> u8 {
    let repo = snapshot.repo.clone();
    let inventory = evaluate_with(resolver, snapshot, rules).await;
    let report = CheckReport::build(&inventory, &repo, context);
    print!("{}", render(&inventory, color.on()));
    let summary = kdrift_engine::headless::render_text(&report);
    // the summary is the text report's last line
    if let Some(last) = summary.lines().last() {
        println!("{}", sanitize(last));
    }
    report.exit_code()
}

/// The diffs of every row that is not in sync, as text (ANSI colour when `color`).
pub fn render(inventory: &Inventory, color: bool) -> String {
    let paint = |code: &str, text: &str| {
        if color {
            format!("\u{1b}[{code}m{text}\u{1b}[0m")
        } else {
            text.to_string()
        }
    };
    let mut out = String::new();
    for (row, report) in inventory
        .rows()
        .filter(|(_, r)| r.status != DriftStatus::InSync)
    {
        out.push_str(&heading(inventory, row, report, &paint));
        for c in &report.changes {
            let show = |v: &Option<serde_json::Value>| {
                v.as_ref()
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "(unset)".into())
            };
            let mut line = format!(
                "  {}: git {} live {}",
                c.path,
                show(&c.desired),
                show(&c.live)
            );
            if let Some(m) = &c.manager {
                line.push_str(&format!("  by {m}"));
                if let Some(t) = &c.time {
                    line.push_str(&format!(" at {t}"));
                }
            }
            out.push_str(&paint("33", &sanitize(&line)));
            out.push('\n');
        }
        for ignored in &report.ignored {
            let line = format!("  ignored ({}): {}", ignored.rule, ignored.change.path);
            out.push_str(&paint("2", &sanitize(&line)));
            out.push('\n');
        }
        for line in text_of(inventory, row, report) {
            let code = match line.kind {
                DiffLineKind::Header => "36",
                DiffLineKind::Added => "32",
                DiffLineKind::Removed => "31",
                DiffLineKind::Context => "",
            };
            out.push_str(&painted(&line, code, color));
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

fn heading(
    inventory: &Inventory,
    row: Row<'_>,
    report: &DriftReport,
    paint: &dyn Fn(&str, &str) -> String,
) -> String {
    let code = match report.status {
        DriftStatus::Modified => "33",
        DriftStatus::Missing => "32",
        DriftStatus::Orphan | DriftStatus::Error => "31",
        _ => "2",
    };
    let (source, app) = inventory.origin(row);
    let mut text = format!("{} {row}", report.status.label());
    if let Some(app) = app {
        text.push_str(&format!("  [{app}]"));
    }
    if let Some(s) = source {
        text.push_str(&format!("  ({s})"));
    }
    if report.status == DriftStatus::Modified {
        text.push_str(match report.stage {
            Stage::Server => "  [server dry-run]",
            Stage::Local => "  [local compare]",
        });
    }
    let mut out = paint(&format!("1;{code}"), &sanitize(&text));
    out.push('\n');
    if let Some(m) = &report.message {
        out.push_str(&format!("  {}\n", sanitize(m)));
    }
    out
}

/// The text diff: the server's version against live where it decided, else git against live.
fn text_of(inventory: &Inventory, row: Row<'_>, report: &DriftReport) -> Vec<DiffLine> {
    let Row::Object(key) = row else {
        return Vec::new();
    };
    if matches!(report.status, DriftStatus::Error | DriftStatus::Skipped) {
        return Vec::new();
    }
    let live = inventory.live_object(key);
    let shape = inventory.shape(&key.gvk()).map(|s| &**s);
    match (inventory.server_object(key), &live) {
        (Some(server), Some(live)) => server_diff(server, live, &report.changes, shape),
        _ => object_diff_shaped(
            inventory.desired.get(key),
            live.as_deref(),
            &report.changes,
            shape,
        ),
    }
    .unified(CONTEXT, &report.changes)
}

/// One diff line in its colour, the words that changed within it reversed; each piece
/// sanitized, so nothing from the cluster reaches the terminal raw.
fn painted(line: &DiffLine, code: &str, color: bool) -> String {
    if !color {
        return sanitize(&line.text);
    }
    let mut out = String::new();
    let mut at = 0;
    let open = |out: &mut String| {
        if !code.is_empty() {
            out.push_str(&format!("\u{1b}[{code}m"));
        }
    };
    open(&mut out);
    for r in &line.emphasis {
        let (Some(before), Some(changed)) = (line.text.get(at..r.start), line.text.get(r.clone()))
        else {
            continue;
        };
        out.push_str(&sanitize(before));
        out.push_str("\u{1b}[7m");
        out.push_str(&sanitize(changed));
        out.push_str("\u{1b}[27m");
        at = r.end;
    }
    out.push_str(&sanitize(line.text.get(at..).unwrap_or_default()));
    if !code.is_empty() {
        out.push_str("\u{1b}[0m");
    }
    out
}
