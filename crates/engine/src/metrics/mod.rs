//! The metrics pane's data: PromQL queries from a TOML table, asked of a Prometheus-compatible
//! API for the selected workload while the pane is shown.

mod feed;
mod prom;
mod queries;

pub use feed::{MetricsFeed, PanelData, REFRESH, WINDOW, follow_metrics};
pub use prom::{MAX_SERIES, MetricsSource, Series, parse_matrix, query_range};
pub use queries::{MetricsTarget, Panel, Queries, QueriesError, SeriesQuery};
