//! `kdrift sync`: the TUI's converge without a terminal. The plan is printed first and nothing
//! changes without `--yes` (or with `--dry-run`, which only asks the server); after applying it
//! waits for the cluster to show every planned object in sync. Exit 0 converged, 1 not
//! converged (a conflict left, a step refused, orphans kept), 2 error.

use crate::check::Output;
use crate::cli::SyncArgs;
use kdrift_engine::cluster::{Resolver, pod_trouble};
use kdrift_engine::drift::IgnoreRules;
use kdrift_engine::headless::evaluate_with;
use kdrift_engine::inventory::Inventory;
use kdrift_engine::model::{DriftStatus, ResourceKey};
use kdrift_engine::outbox::Outbox;
use kdrift_engine::repo::Snapshot;
use kdrift_engine::sync::{PlanOp, SyncEvent, SyncOutcome, SyncPlan, run_sync};
use kdrift_engine::text::sanitize;
use serde::Serialize;
use std::time::{Duration, Instant};

#[derive(Debug, Serialize)]
struct Report {
    repo: String,
    commit: Option<String>,
    context: String,
    dry_run: bool,
    applied: bool,
    plan: Vec<PlanEntry>,
    blocked: Vec<Blocked>,
    /// Orphans left in the cluster because prune was not asked for.
    orphans_left: usize,
    outcome: Option<Outcome>,
    /// Applied objects not in sync and healthy when the wait ended, and why.
    stuck: Vec<Blocked>,
    converged: bool,
}

#[derive(Debug, Serialize)]
struct PlanEntry {
    op: &'static str,
    object: String,
    /// The app of the repo's Argo CD or Flux definitions that renders it.
    #[serde(skip_serializing_if = "Option::is_none")]
    app: Option<String>,
    wave: i32,
    fields: Vec<String>,
    take_over: Vec<String>,
    warnings: Vec<String>,
}

#[derive(Debug, Serialize)]
struct Blocked {
    object: String,
    reason: String,
}

#[derive(Debug, Serialize)]
struct Outcome {
    applied: Vec<String>,
    failed: Vec<Blocked>,
    not_applied: Vec<String>,
    stopped_at: Option<String>,
    checked: Vec<String>,
    unchecked: Vec<Blocked>,
}

impl From<&SyncOutcome> for Outcome {
    fn from(o: &SyncOutcome) -> Self {
        let names = |keys: &[ResourceKey]| keys.iter().map(|k| k.to_string()).collect();
        Outcome {
            applied: names(&o.applied),
            failed: o
                .failed
                .iter()
                .map(|(k, e)| Blocked {
                    object: k.to_string(),
                    reason: e.to_string(),
                })
                .collect(),
            not_applied: names(&o.not_applied),
            stopped_at: o.stopped_at.clone(),
            checked: names(&o.checked),
            unchecked: o
                .unchecked
                .iter()
                .map(|(k, why)| Blocked {
                    object: k.to_string(),
                    reason: why.clone(),
                })
                .collect(),
        }
    }
}

pub async fn run_sync_command(
    resolver: &Resolver,
    snapshot: Snapshot,
    context: &str,
    rules: IgnoreRules,
    args: &SyncArgs,
) -> u8 {
    let mut report = Report {
        repo: snapshot.repo.clone(),
        commit: Some(snapshot.commit.id.clone()),
        context: context.to_string(),
        dry_run: args.dry_run,
        applied: false,
        plan: Vec::new(),
        blocked: Vec::new(),
        orphans_left: 0,
        outcome: None,
        stuck: Vec::new(),
        converged: false,
    };
    let inventory = evaluate_with(resolver, snapshot.clone(), rules.clone()).await;
    let errors = inventory
        .rows()
        .any(|(_, r)| r.status == DriftStatus::Error);
    let mut plan = inventory.plan_sync(&inventory.sync_keys(), args.prune);
    plan.force = args.force_conflicts;
    plan.dry_run = args.dry_run;
    describe(&plan, &inventory, &mut report);
    let nothing_to_do = plan.is_empty();
    let mut code = if nothing_to_do && !plan.holds_back() && plan.orphans == 0 {
        report.converged = true;
        0
    } else {
        1
    };
    if args.output == Output::Text {
        print_text(&render_plan(&report));
    }
    if !nothing_to_do && (args.yes || args.dry_run) {
        let outcome = execute(resolver, plan.clone(), args.output).await;
        report.applied = !args.dry_run;
        if !args.dry_run && outcome.ok() {
            let deadline = Instant::now() + Duration::from_secs(args.timeout);
            let keys: Vec<ResourceKey> = plan.items.iter().map(|i| i.key.clone()).collect();
            // one trace for the whole wait, its re-judgements inside it
            let wait = tracing::info_span!("sync.wait", objects = keys.len());
            report.stuck = tracing::Instrument::instrument(
                wait_converged(resolver, &snapshot, &rules, &keys, deadline),
                wait,
            )
            .await;
            report.converged = report.stuck.is_empty() && !plan.holds_back() && plan.orphans == 0;
            code = if report.converged { 0 } else { 1 };
        }
        report.outcome = Some(Outcome::from(&outcome));
    }
    if errors {
        code = 2;
    }
    print(&report, args.output);
    code
}

fn describe(plan: &SyncPlan, inventory: &Inventory, report: &mut Report) {
    report.plan = plan
        .items
        .iter()
        .map(|i| PlanEntry {
            op: i.op.verb(),
            object: i.key.to_string(),
            app: inventory
                .desired
                .get(&i.key)
                .and_then(|d| d.app.as_deref())
                .map(str::to_string),
            wave: i.wave,
            fields: i.fields.clone(),
            take_over: match &i.op {
                PlanOp::Patch { take_over, .. } => take_over.clone(),
                _ => Vec::new(),
            },
            warnings: i.warnings.clone(),
        })
        .collect();
    report.blocked = plan
        .blocked
        .iter()
        .map(|(k, why)| Blocked {
            object: k.to_string(),
            reason: why.clone(),
        })
        .chain(plan.unreadable.iter().map(|(at, why)| Blocked {
            object: at.clone(),
            reason: why.clone(),
        }))
        .collect();
    report.orphans_left = plan.orphans;
}

/// Runs the plan, printing each object as it is done (text output), and returns the outcome.
async fn execute(resolver: &Resolver, plan: SyncPlan, output: Output) -> SyncOutcome {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<SyncEvent>(64);
    let task = tokio::spawn(run_sync(resolver.clone(), plan, Outbox::new(tx)));
    let mut outcome = SyncOutcome::default();
    while let Some(event) = rx.recv().await {
        match event {
            SyncEvent::Step { name, objects } if output == Output::Text => {
                eprintln!("{}", sanitize(&format!("{name}: {objects} object(s)")));
            }
            SyncEvent::ItemDone { key, result } if output == Output::Text => {
                let line = match result {
                    Ok(()) => format!("  done   {key}"),
                    Err(e) => format!("  FAILED {key}: {e}"),
                };
                eprintln!("{}", sanitize(&line));
            }
            SyncEvent::Finished(o) => outcome = o,
            _ => {}
        }
    }
    let _ = task.await;
    outcome
}

/// Reads the cluster again until every one of `keys` is in sync and healthy, or `deadline`
/// passes; what is not, and why, is returned.
async fn wait_converged(
    resolver: &Resolver,
    snapshot: &Snapshot,
    rules: &IgnoreRules,
    keys: &[ResourceKey],
    deadline: Instant,
) -> Vec<Blocked> {
    loop {
        let inventory = evaluate_with(resolver, snapshot.clone(), rules.clone()).await;
        let mut stuck = not_converged(&inventory, keys);
        if stuck.is_empty() || Instant::now() >= deadline {
            // what holds a workload is usually one of its pods: say which, and why
            for s in &mut stuck {
                let key = keys.iter().find(|k| k.to_string() == s.object);
                let live = key.and_then(|k| inventory.live_object(k).map(|l| (k, l)));
                if let Some((key, live)) = live
                    && let Some(trouble) = pod_trouble(resolver, key, &live).await
                {
                    s.reason = format!("{}; {trouble}", s.reason);
                }
            }
            return stuck;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

fn not_converged(inventory: &Inventory, keys: &[ResourceKey]) -> Vec<Blocked> {
    keys.iter()
        .filter_map(|k| {
            let reason = match inventory.verdicts.get(k) {
                Some(r) if r.status.is_drift() || r.status == DriftStatus::Error => {
                    format!("{} after the sync", r.status.label())
                }
                _ => inventory
                    .health(k)
                    .and_then(|h| h.reason().map(str::to_string))?,
            };
            Some(Blocked {
                object: k.to_string(),
                reason,
            })
        })
        .collect()
}

/// The outcome (text), or the whole report (JSON: one document at the end).
fn print(report: &Report, output: Output) {
    match output {
        Output::Json => match serde_json::to_string_pretty(report) {
            Ok(text) => println!("{text}"),
            Err(e) => eprintln!("kdrift: cannot render JSON: {e}"),
        },
        Output::Text => print_text(&render_outcome(report)),
    }
}

/// Text goes to a terminal: nothing from the cluster may steer it.
fn print_text(text: &str) {
    for line in text.lines() {
        println!("{}", sanitize(line));
    }
}

fn render_plan(r: &Report) -> String {
    let mut out = String::new();
    let commit = r
        .commit
        .as_deref()
        .map(|c| &c[..7.min(c.len())])
        .unwrap_or("?");
    if r.plan.is_empty() && r.blocked.is_empty() && r.orphans_left == 0 {
        out.push_str(&format!("in sync with git {commit}: nothing to do\n"));
        return out;
    }
    out.push_str(&format!("plan to converge to git {commit}:\n"));
    for e in &r.plan {
        let mut note = String::new();
        if !e.fields.is_empty() {
            note.push_str(&format!("  {}", e.fields.join(", ")));
        }
        if !e.take_over.is_empty() {
            note.push_str(&format!("  (owned by {})", e.take_over.join(", ")));
        }
        out.push_str(&format!(
            "  wave {:>2}  {:<8} {}{note}\n",
            e.wave, e.op, e.object
        ));
        for w in &e.warnings {
            out.push_str(&format!("            ⚠ {w}\n"));
        }
    }
    for b in &r.blocked {
        out.push_str(&format!("  skip     {}: {}\n", b.object, b.reason));
    }
    if r.orphans_left > 0 {
        out.push_str(&format!(
            "  {} orphan(s) left in the cluster (--prune deletes them)\n",
            r.orphans_left
        ));
    }
    out
}

fn render_outcome(r: &Report) -> String {
    let mut out = String::new();
    match &r.outcome {
        None if !r.plan.is_empty() => {
            out.push_str("nothing changed: run with --yes to apply (--dry-run asks the server)\n")
        }
        None => {}
        Some(o) if r.dry_run => {
            out.push_str(&format!(
                "dry-run: {} accepted, {} refused, {} not checked; nothing changed\n",
                o.checked.len(),
                o.failed.len(),
                o.unchecked.len()
            ));
            for f in &o.failed {
                out.push_str(&format!("  refused {}: {}\n", f.object, f.reason));
            }
            for u in &o.unchecked {
                out.push_str(&format!("  not checked {}: {}\n", u.object, u.reason));
            }
        }
        Some(o) => {
            for f in &o.failed {
                out.push_str(&format!("  FAILED {}: {}\n", f.object, f.reason));
            }
            let at = o
                .stopped_at
                .as_deref()
                .map(|s| format!(" (stopped at {s})"))
                .unwrap_or_default();
            out.push_str(&format!(
                "{} applied, {} failed, {} not applied{at}\n",
                o.applied.len(),
                o.failed.len(),
                o.not_applied.len()
            ));
            if o.failed.iter().any(|f| f.reason.starts_with("conflict")) {
                out.push_str(
                    "fields other managers own were not taken: --force-conflicts takes them\n",
                );
            }
            for s in &r.stuck {
                out.push_str(&format!("  stuck  {}: {}\n", s.object, s.reason));
            }
            out.push_str(if r.converged {
                "converged: in sync and healthy\n"
            } else {
                "not converged\n"
            });
        }
    }
    out
}
