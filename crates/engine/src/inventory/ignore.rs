//! Ignore rules in the inventory: the user's and the repo's `.kdrift.toml`, and the annotations
//! other GitOps tools put on objects to say "do not compare this" (Flux's
//! `kustomize.toolkit.fluxcd.io/ssa: Ignore`/`IfNotPresent`, Argo CD's `IgnoreExtraneous`).
//! Ignored differences move to the report's `ignored` list; a row left with none is in sync.

use super::Inventory;
use crate::drift::IgnoreRules;
use crate::model::{DriftReport, DriftStatus, Ignored, ResourceKey};
use serde_json::Value;

const FLUX_SSA: &str = "kustomize.toolkit.fluxcd.io/ssa";
const ARGO_COMPARE: &str = "argocd.argoproj.io/compare-options";

impl Inventory {
    /// The user's own rules (from their config): every row is judged again with them. A rule
    /// is not the cluster changing: what it uncovers or sets aside is not news.
    pub fn set_user_rules(&mut self, rules: IgnoreRules) -> Vec<super::Fact> {
        self.user_rules = rules;
        let settled = std::mem::replace(&mut self.settled, false);
        self.judge_everything_again();
        self.settled = settled;
        self.take_facts()
    }

    pub(super) fn rules(&self) -> IgnoreRules {
        self.repo_rules.clone().and(&self.user_rules)
    }

    /// Moves what the rules ignore out of `report`'s changes.
    pub(super) fn apply_ignores(&self, key: &ResourceKey, mut report: DriftReport) -> DriftReport {
        // only changes and orphans can be set aside: the rest is judged without reading either
        // object's annotations (most rows at start: missing while their kind lists, or in sync)
        if !matches!(report.status, DriftStatus::Orphan | DriftStatus::Modified) {
            return report;
        }
        let annotation = self.skip_annotation(key);
        if report.status == DriftStatus::Orphan
            && let Some(rule) = annotation.filter(|a| a.starts_with(ARGO_COMPARE))
        {
            report.status = DriftStatus::Skipped;
            report.message = Some(format!("not compared ({rule})"));
            return report;
        }
        if report.status != DriftStatus::Modified || (annotation.is_none() && self.rules_empty()) {
            return report;
        }
        let rules = self.rules();
        let (ignored, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut report.changes)
            .into_iter()
            .map(|c| {
                let rule = match annotation {
                    Some(a) if !a.starts_with(ARGO_COMPARE) => Some(a.to_string()),
                    _ => rules
                        .ignoring(key, &c)
                        .map(|(source, n)| format!("{source} rule {n}")),
                };
                (c, rule)
            })
            .partition(|(_, rule)| rule.is_some());
        report.changes = kept.into_iter().map(|(c, _)| c).collect();
        report
            .ignored
            .extend(ignored.into_iter().map(|(change, rule)| Ignored {
                change,
                rule: rule.unwrap_or_default(),
            }));
        if report.changes.is_empty() {
            report.status = DriftStatus::InSync;
            report.pending = false;
        }
        report
    }

    fn rules_empty(&self) -> bool {
        self.repo_rules.is_empty() && self.user_rules.is_empty()
    }

    /// An annotation on git's or live's object that says not to compare it.
    fn skip_annotation(&self, key: &ResourceKey) -> Option<&'static str> {
        let annotation = |obj: &Value, name: &str| {
            obj.pointer("/metadata/annotations")
                .and_then(|a| a.get(name))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let live = self.live_object(key);
        let desired = self.desired_object(key);
        let sides = [desired.as_deref(), live.as_deref()];
        for obj in sides.into_iter().flatten() {
            match annotation(obj, FLUX_SSA).as_deref() {
                Some("Ignore") | Some("ignore") => {
                    return Some("kustomize.toolkit.fluxcd.io/ssa: Ignore");
                }
                Some("IfNotPresent") => {
                    return Some("kustomize.toolkit.fluxcd.io/ssa: IfNotPresent");
                }
                _ => {}
            }
            if annotation(obj, ARGO_COMPARE).is_some_and(|v| v.contains("IgnoreExtraneous")) {
                return Some("argocd.argoproj.io/compare-options: IgnoreExtraneous");
            }
        }
        None
    }
}
