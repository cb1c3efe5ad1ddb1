//! The `kdrift check` report: one JSON shape for machines, a short text for people.
//! Secret values are already masked by `drift`; nothing here reads live values except through changes.

use crate::inventory::Inventory;
use crate::model::{DriftStatus, Extra, FieldChange, Ignored, Stage};
use serde::Serialize;

#[derive(Debug, Serialize, PartialEq, Eq, Default)]
pub struct Summary {
    pub in_sync: usize,
    pub modified: usize,
    pub missing: usize,
    pub orphan: usize,
    pub error: usize,
    pub skipped: usize,
}

impl Summary {
    fn count(&mut self, status: DriftStatus) {
        match status {
            DriftStatus::InSync => self.in_sync += 1,
            DriftStatus::Modified => self.modified += 1,
            DriftStatus::Missing => self.missing += 1,
            DriftStatus::Orphan => self.orphan += 1,
            DriftStatus::Error => self.error += 1,
            DriftStatus::Skipped => self.skipped += 1,
        }
    }

    fn line(&self) -> String {
        let skipped = match self.skipped {
            0 => String::new(),
            n => format!(", {n} skipped"),
        };
        format!(
            "{} in sync, {} modified, {} missing, {} orphan, {} error{skipped}",
            self.in_sync, self.modified, self.missing, self.orphan, self.error
        )
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceEntry {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub status: DriftStatus,
    /// Which comparison decided: `server` (a server-side apply dry-run) or `local`.
    pub stage: Stage,
    pub source: Option<String>,
    pub changes: Vec<FieldChange>,
    /// Fields only live has, written by another manager: shown, not drift.
    pub extras: Vec<Extra>,
    /// Differences an ignore rule set aside, with the rule.
    pub ignored: Vec<Ignored>,
    pub message: Option<String>,
    /// The Flux or Argo CD object reconciling it (`"Flux Kustomization flux-system/apps"`).
    pub owner: Option<String>,
    /// The app of the repo's Argo CD or Flux definitions that renders it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
}

/// One app of the repo's definitions and how its objects stand.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppEntry {
    pub name: String,
    pub namespace: String,
    pub tool: &'static str,
    pub defined_in: String,
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_rendered: Option<String>,
    pub summary: Summary,
}

#[derive(Debug, Serialize)]
pub struct CheckReport {
    pub repo: String,
    pub commit: Option<String>,
    pub context: String,
    pub summary: Summary,
    /// The apps the repo's Argo CD and Flux definitions declare (absent without any).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub apps: Vec<AppEntry>,
    pub resources: Vec<ResourceEntry>,
}

impl CheckReport {
    /// 0 in sync, 1 drift found, 2 something could not be judged (bad manifest, forbidden, unknown kind).
    pub fn exit_code(&self) -> u8 {
        if self.summary.error > 0 {
            2
        } else if self.summary.modified + self.summary.missing + self.summary.orphan > 0 {
            1
        } else {
            0
        }
    }

    /// The report on `inventory`: every row, with its source file and changes.
    pub fn build(inventory: &Inventory, repo: &str, context: &str) -> Self {
        let mut summary = Summary::default();
        let mut resources = Vec::with_capacity(inventory.row_count());
        let declared = inventory
            .repo
            .as_ref()
            .map(|r| r.apps.as_slice())
            .unwrap_or_default();
        let mut apps: Vec<AppEntry> = declared
            .iter()
            .map(|a| AppEntry {
                name: a.name.clone(),
                namespace: a.namespace.clone(),
                tool: a.tool,
                defined_in: a.defined_in.clone(),
                path: a.path.clone(),
                not_rendered: a.not_rendered.clone(),
                summary: Summary::default(),
            })
            .collect();
        for (row, report) in inventory.rows() {
            summary.count(report.status);
            let (source, app) = inventory.origin(row);
            let (source, app) = (source.map(str::to_string), app.map(str::to_string));
            if let Some(entry) = app
                .as_deref()
                .and_then(|name| apps.iter_mut().find(|a| a.name == name))
            {
                entry.summary.count(report.status);
            }
            resources.push(ResourceEntry {
                api_version: row.api_version(),
                kind: row.kind().to_string(),
                namespace: row.namespace().map(str::to_string),
                name: row.name(),
                status: report.status,
                stage: report.stage,
                source,
                changes: report.changes.clone(),
                extras: report.extras.clone(),
                ignored: report.ignored.clone(),
                message: report.message.clone(),
                owner: report.owner.as_ref().map(|o| o.to_string()),
                app,
            });
        }
        CheckReport {
            repo: repo.to_string(),
            commit: inventory.repo.as_ref().map(|r| r.commit.id.clone()),
            context: context.to_string(),
            summary,
            apps,
            resources,
        }
    }
}

/// Drifted and failed objects, one line each, with their changes; then the summary.
pub fn render_text(report: &CheckReport) -> String {
    let mut out = String::new();
    for r in report
        .resources
        .iter()
        .filter(|r| r.status != DriftStatus::InSync)
    {
        let name = match &r.namespace {
            Some(ns) => format!("{ns}/{}/{}", r.kind, r.name),
            None => format!("{}/{}", r.kind, r.name),
        };
        out.push_str(&format!("{:<9} {name}", r.status.label()));
        if let Some(app) = &r.app {
            out.push_str(&format!("  [{app}]"));
        }
        if let Some(src) = &r.source {
            out.push_str(&format!("  ({src})"));
        }
        out.push('\n');
        if let Some(m) = &r.message {
            out.push_str(&format!("          {m}\n"));
        }
        for c in &r.changes {
            let show = |v: &Option<serde_json::Value>| {
                v.as_ref()
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "(unset)".into())
            };
            out.push_str(&format!(
                "          {}: git {} live {}",
                c.path,
                show(&c.desired),
                show(&c.live)
            ));
            if let Some(m) = &c.manager {
                out.push_str(&format!("  by {m}"));
                if let Some(t) = &c.time {
                    out.push_str(&format!(" at {t}"));
                }
            }
            out.push('\n');
        }
    }
    for a in &report.apps {
        let state = match &a.not_rendered {
            Some(why) => format!("not rendered: {why}"),
            None => a.summary.line(),
        };
        out.push_str(&format!("app {} ({}): {state}\n", a.name, a.tool));
    }
    let s = &report.summary;
    let commit = report
        .commit
        .as_deref()
        .map(|c| &c[..7.min(c.len())])
        .unwrap_or("?");
    out.push_str(&format!(
        "{}: {} (git {commit}, context {})\n",
        if report.exit_code() == 0 {
            "in sync"
        } else {
            "drift"
        },
        s.line(),
        report.context
    ));
    out
}
