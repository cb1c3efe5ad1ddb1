//! Follows the metrics of one workload while the metrics pane shows it: each panel's queries over
//! the last `WINDOW`, about two samples per column of the chart, again every `REFRESH`. Stops when
//! the pane is hidden (the task is aborted), so a hidden pane asks nothing.

use super::prom::{MetricsSource, Series, query_range};
use super::queries::{MetricsTarget, Panel};
use crate::model::ResourceKey;
use crate::outbox::Outbox;
use std::time::Duration;
use tokio::task::JoinHandle;

/// How far back the charts reach.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// How often the charts are asked for again (a convergence shows within seconds; a real
/// Prometheus scrapes every 15–30 s, so this asks little more than it has).
pub const REFRESH: Duration = Duration::from_secs(5);

/// One panel's answer: its series by label, or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub struct PanelData {
    pub name: String,
    pub unit: String,
    /// (series label, what the API returned for it); an empty answer is "no data".
    pub series: Vec<(String, Result<Vec<Series>, String>)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum MetricsFeed {
    Panels {
        target: ResourceKey,
        /// The window's end, seconds since the epoch (charts are drawn against it).
        end: f64,
        panels: Vec<PanelData>,
    },
}

/// Runs until aborted. `columns`: the chart's width, which sets the step.
pub fn follow_metrics(
    source: MetricsSource,
    target: MetricsTarget,
    panels: Vec<Panel>,
    columns: u16,
    out: Outbox<MetricsFeed>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        // whole seconds, and the window a whole number of steps ending now: the last sample is
        // the current value
        let window = WINDOW.as_secs_f64();
        let step = (window / (2.0 * f64::from(columns.max(10))))
            .ceil()
            .max(1.0);
        let steps = (window / step).floor();
        loop {
            let end = crate::clock::now_ms().div_ceil(1000) as f64;
            let start = end - steps * step;
            let mut answers = Vec::with_capacity(panels.len());
            for panel in &panels {
                let mut series = Vec::with_capacity(panel.series.len());
                for s in &panel.series {
                    let answer = query_range(&source, &s.query, start, end, step).await;
                    series.push((s.label.clone(), answer));
                }
                answers.push(PanelData {
                    name: panel.name.clone(),
                    unit: panel.unit.clone(),
                    series,
                });
            }
            let msg = MetricsFeed::Panels {
                target: target.key.clone(),
                end,
                panels: answers,
            };
            if !out.send(msg).await {
                return;
            }
            tokio::time::sleep(REFRESH).await;
        }
    })
}
