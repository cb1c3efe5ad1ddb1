//! `kdrift check`: judge once, print, exit 0 in sync, 1 drift found, 2 error.

use kdrift_engine::cluster::Resolver;
use kdrift_engine::drift::IgnoreRules;
use kdrift_engine::headless::{CheckReport, evaluate_with, render_text};
use kdrift_engine::repo::Snapshot;
use kdrift_engine::text::sanitize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Text,
    Json,
}

/// Evaluates and prints; returns the exit code.
pub async fn run_check(
    resolver: &Resolver,
    snapshot: Snapshot,
    context: &str,
    rules: IgnoreRules,
    output: Output,
) -> u8 {
    let repo = snapshot.repo.clone();
    let inventory = evaluate_with(resolver, snapshot, rules).await;
    let report = CheckReport::build(&inventory, &repo, context);
    match output {
        Output::Json => match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("kdrift: cannot render JSON: {e}");
                return 2;
            }
        },
        // Text goes to a terminal: nothing from the cluster may steer it.
        Output::Text => print!("{}", sanitize_lines(&render_text(&report))),
    }
    report.exit_code()
}

fn sanitize_lines(text: &str) -> String {
    text.lines().map(|l| sanitize(l) + "\n").collect()
}
