//! The metrics pane's queries as data: a TOML table of panels (assets/metrics.toml), a user file
//! merged over it by panel name, and the templating that fills in the selected workload.

use crate::model::ResourceKey;
use serde::Deserialize;

const DEFAULT_QUERIES: &str = include_str!("../../../../assets/metrics.toml");

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Panel {
    pub name: String,
    /// "bytes", "cores", "req/s" or "" (a plain number).
    #[serde(default)]
    pub unit: String,
    pub series: Vec<SeriesQuery>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesQuery {
    pub label: String,
    pub query: String,
    /// Kinds it applies to; empty: all.
    #[serde(default)]
    pub kinds: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QueryFile {
    #[serde(default)]
    panel: Vec<Panel>,
}

/// A queries file that cannot be used, named by its file.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {detail}")]
pub struct QueriesError {
    pub file: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Queries {
    pub panels: Vec<Panel>,
}

impl Default for Queries {
    fn default() -> Self {
        Self::from_toml(None).expect("the embedded metrics queries are valid")
    }
}

impl Queries {
    /// The defaults, with `user` (file name, text) over them: a panel of the same name replaces
    /// the default one, a new name is added after them.
    pub fn from_toml(user: Option<(&str, &str)>) -> Result<Self, QueriesError> {
        let parse = |file: &str, text: &str| {
            toml::from_str::<QueryFile>(text).map_err(|e| QueriesError {
                file: file.to_string(),
                detail: e.to_string(),
            })
        };
        let mut panels = parse("the default metrics queries", DEFAULT_QUERIES)?.panel;
        if let Some((file, text)) = user {
            for panel in parse(file, text)?.panel {
                match panels.iter_mut().find(|p| p.name == panel.name) {
                    Some(slot) => *slot = panel,
                    None => panels.push(panel),
                }
            }
        }
        Ok(Self { panels })
    }

    /// The panels for `target`, each series' query filled in; panels with no series for its
    /// kind are left out.
    pub fn for_target(&self, target: &MetricsTarget) -> Vec<Panel> {
        self.panels
            .iter()
            .filter_map(|p| {
                let series: Vec<SeriesQuery> = p
                    .series
                    .iter()
                    .filter(|s| s.kinds.is_empty() || s.kinds.contains(&target.key.kind))
                    .map(|s| SeriesQuery {
                        query: target.fill(&s.query),
                        ..s.clone()
                    })
                    .collect();
                (!series.is_empty()).then(|| Panel {
                    series,
                    ..p.clone()
                })
            })
            .collect()
    }
}

/// The workload the metrics pane shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsTarget {
    pub key: ResourceKey,
    /// Its service name, from the usual labels.
    pub app: String,
}

impl MetricsTarget {
    /// `app` from the object's labels: `app.kubernetes.io/name`, else `app`, else its name.
    pub fn of(key: &ResourceKey, object: Option<&serde_json::Value>) -> Option<Self> {
        if !key.is_workload() {
            return None;
        }
        let labels = object.and_then(|o| o.pointer("/metadata/labels"));
        let label = |name: &str| {
            labels
                .and_then(|l| l.get(name))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let app = label("app.kubernetes.io/name")
            .or_else(|| label("app"))
            .unwrap_or_else(|| key.name.clone());
        Some(Self {
            key: key.clone(),
            app,
        })
    }

    /// A regex of the names its controller gives its pods.
    pub fn pods_regex(&self) -> String {
        let name = regex_escape(&self.key.name);
        match self.key.kind.as_str() {
            "StatefulSet" => format!("{name}-[0-9]+"),
            "Deployment" => format!("{name}-[a-z0-9]+-[a-z0-9]+"),
            _ => format!("{name}-[a-z0-9]+"),
        }
    }

    /// `query` with the variables filled in. Values are names Kubernetes allows (no quotes or
    /// backslashes), so they cannot break out of a PromQL string.
    pub fn fill(&self, query: &str) -> String {
        let clean = |s: &str| s.replace(['"', '\\', '\n'], "");
        query
            .replace(
                "$namespace",
                &clean(self.key.namespace.as_deref().unwrap_or("")),
            )
            .replace("$name", &clean(&self.key.name))
            .replace("$kind", &clean(&self.key.kind))
            .replace("$app", &clean(&self.app))
            .replace("$pods", &self.pods_regex())
    }
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let special = matches!(
                c,
                '.' | '+' | '*' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '|' | '^' | '$' | '\\'
            );
            special
                .then_some('\\')
                .into_iter()
                .chain(std::iter::once(c))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redis() -> MetricsTarget {
        let key = ResourceKey::from(crate::model::KeyParts {
            namespace: Some("shop".into()),
            kind: "StatefulSet".into(),
            name: "redis".into(),
            group: "apps".into(),
            version: "v1".into(),
        });
        let obj = serde_json::json!({"metadata": {"labels": {"app": "cache"}}});
        MetricsTarget::of(&key, Some(&obj)).unwrap()
    }

    #[test]
    fn the_defaults_fill_in_the_workload_and_pick_its_kinds_queries() {
        let panels = Queries::default().for_target(&redis());
        let replicas = &panels[0];
        assert_eq!(replicas.name, "replicas");
        assert_eq!(
            replicas
                .series
                .iter()
                .map(|s| s.label.as_str())
                .collect::<Vec<_>>(),
            ["ready", "desired"]
        );
        assert_eq!(
            replicas.series[0].query,
            r#"sum(kube_statefulset_status_replicas_ready{namespace="shop",statefulset="redis"})"#
        );
        let restarts = &panels[1].series[0].query;
        assert!(restarts.contains(r#"pod=~"redis-[0-9]+""#), "{restarts}");
        let requests = panels.iter().find(|p| p.name == "requests").unwrap();
        assert!(requests.series[0].query.contains(r#"app="cache""#));
    }

    #[test]
    fn a_user_panel_replaces_the_default_of_its_name_and_a_new_one_is_added() {
        let user = r#"
[[panel]]
name = "memory"
unit = "bytes"
series = [{ label = "rss", query = 'sum(my_rss{pod=~"$pods"})' }]

[[panel]]
name = "queue depth"
series = [{ label = "depth", query = 'max(queue_depth{app="$app"})' }]
"#;
        let q = Queries::from_toml(Some(("metrics.toml", user))).unwrap();
        let memory = q.panels.iter().find(|p| p.name == "memory").unwrap();
        assert_eq!(memory.series[0].label, "rss");
        assert_eq!(q.panels.last().unwrap().name, "queue depth");
        let err = Queries::from_toml(Some(("metrics.toml", "[[panel]]\nname = 1\n"))).unwrap_err();
        assert!(err.to_string().starts_with("metrics.toml: "), "{err}");
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    #[test]
    fn only_workloads_have_metrics() {
        let key = ResourceKey::from(crate::model::KeyParts {
            namespace: Some("shop".into()),
            kind: "ConfigMap".into(),
            name: "c".into(),
            group: String::new(),
            version: "v1".into(),
        });
        assert!(MetricsTarget::of(&key, None).is_none());
    }
}
