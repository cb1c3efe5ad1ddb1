//! kdrift's two config files, typed, validated and described by a JSON schema generated from
//! these types (`docs/schema/`): `.kdrift.toml` at the repo's top (read from the commit, like the
//! manifests: ignore rules and apps by hand) and the user's `~/.config/kdrift/config.toml`
//! (ignore rules, the theme and keys). An unknown key, a wrong type or a bad value is an error naming
//! the line and the key.
//!
//! ```toml
//! [[app]]                      # .kdrift.toml: an app for a repo without Argo CD or Flux definitions
//! name = "web"
//! path = "charts/web"          # from the repo's top
//! renderer = "helm"            # directory | kustomize | helm (default: what the directory holds)
//! release = "web-prod"         # helm: the release name (default: the app's name)
//! namespace = "web"            # for objects that name none
//! values = ["values-prod.yaml"]  # helm: values files, relative to the chart
//! ```

use crate::drift::{IgnoreRule, IgnoreRules, RuleSource};
use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::DeserializeOwned;

pub use crate::drift::ConfigError;

/// `.kdrift.toml`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = ".kdrift.toml",
    description = "kdrift's config in a GitOps repo"
)]
pub struct RepoConfig {
    /// Differences that are not drift (like Argo CD's ignoreDifferences).
    #[serde(default)]
    pub ignore: Vec<IgnoreRule>,
    /// Apps by hand, for repos without Argo CD or Flux definitions.
    #[serde(default)]
    pub app: Vec<AppConfig>,
}

/// `~/.config/kdrift/config.toml`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "kdrift config.toml", description = "the user's kdrift config")]
pub struct UserConfig {
    /// Differences that are not drift, in every repo.
    #[serde(default)]
    pub ignore: Vec<IgnoreRule>,
    /// The colour theme when `--theme` is not given: `default`, `high-contrast` or a file.
    #[serde(default)]
    pub theme: Option<String>,
    /// Keys over the defaults (and over `keymap.toml`), as in kdrift's `assets/keymap.toml`.
    #[serde(default)]
    pub keys: KeysConfig,
}

/// `[keys.normal]` and `[keys.dialog]`: a key (`"x"`, `"ctrl-d"`, `"pagedown"`) to an action name
/// (`"sort"`, `"sync_one"`, …). The front end checks the names, with their line.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeysConfig {
    /// Keys of the table and its panes.
    #[serde(default)]
    pub normal: std::collections::BTreeMap<String, String>,
    /// Keys of the plan and other dialogs.
    #[serde(default)]
    pub dialog: std::collections::BTreeMap<String, String>,
}

/// One app of `.kdrift.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// What rows, JSON and `--app` call it.
    pub name: String,
    /// Its directory, from the repo's top.
    pub path: String,
    /// How it renders (default: helm for a Chart.yaml, kustomize for a kustomization, else
    /// the directory's manifests).
    #[serde(default)]
    pub renderer: Option<AppRenderer>,
    /// Helm: the release name (default: the app's name).
    #[serde(default)]
    pub release: Option<String>,
    /// Namespace for objects that name none (default: `--namespace`, else `default`).
    #[serde(default)]
    pub namespace: Option<String>,
    /// Helm: values files, relative to the chart, applied in order.
    #[serde(default)]
    pub values: Vec<String>,
    /// Directory: read the directories below it too (default: true).
    #[serde(default = "yes")]
    pub recurse: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AppRenderer {
    Directory,
    Kustomize,
    Helm,
}

/// TOML into `T`, with the line of the first error (also the front end's keymap files).
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, ConfigError> {
    toml::from_str(text).map_err(|e| ConfigError {
        line: e.span().map(|s| text[..s.start].matches('\n').count() + 1),
        message: e.message().trim().to_string(),
    })
}

/// The 1-based line of the `n`th `[[table]]` header, for errors about one entry.
fn entry_line(text: &str, table: &str, n: usize) -> Option<usize> {
    let header = format!("[[{table}]]");
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim() == header)
        .nth(n)
        .map(|(i, _)| i + 1)
}

fn check_rules(text: &str, rules: &[IgnoreRule]) -> Result<(), ConfigError> {
    for (i, rule) in rules.iter().enumerate() {
        if rule.paths.is_empty() && rule.managers.is_empty() {
            return Err(ConfigError {
                line: entry_line(text, "ignore", i),
                message: format!("ignore rule {} names neither paths nor managers", i + 1),
            });
        }
    }
    Ok(())
}

impl RepoConfig {
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let config: Self = parse(text)?;
        check_rules(text, &config.ignore)?;
        for (i, app) in config.app.iter().enumerate() {
            let bad = |message: String| ConfigError {
                line: entry_line(text, "app", i),
                message,
            };
            if app.name.trim().is_empty() {
                return Err(bad(format!("app {}: `name` is empty", i + 1)));
            }
            if config.app[..i].iter().any(|a| a.name == app.name) {
                return Err(bad(format!("app {:?} is given twice", app.name)));
            }
            if crate::repo::join_inside("", &app.path).is_none() {
                return Err(bad(format!(
                    "app {:?}: `path` {:?} is outside the repository",
                    app.name, app.path
                )));
            }
        }
        Ok(config)
    }

    pub fn rules(&self) -> IgnoreRules {
        IgnoreRules::from_rules(self.ignore.clone(), RuleSource::Repo)
    }
}

impl UserConfig {
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let config: Self = parse(text)?;
        check_rules(text, &config.ignore)?;
        Ok(config)
    }

    pub fn rules(&self) -> IgnoreRules {
        IgnoreRules::from_rules(self.ignore.clone(), RuleSource::User)
    }
}

/// The JSON schema of `.kdrift.toml` (for editors: taplo, Even Better TOML).
pub fn repo_schema() -> String {
    pretty(schemars::schema_for!(RepoConfig))
}

/// The JSON schema of the user's config.toml.
pub fn user_schema() -> String {
    pretty(schemars::schema_for!(UserConfig))
}

fn pretty(schema: schemars::Schema) -> String {
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apps_and_rules_read_and_bad_files_name_line_and_key() {
        let ok = "[[ignore]]\nkind = \"Deployment\"\npaths = [\"/spec/replicas\"]\n\n[[app]]\nname = \"web\"\npath = \"charts/web\"\nrenderer = \"helm\"\nrelease = \"web-prod\"\nvalues = [\"values-prod.yaml\"]\n";
        let c = RepoConfig::parse(ok).unwrap();
        assert_eq!(c.app[0].renderer, Some(AppRenderer::Helm));
        assert!(c.app[0].recurse);
        assert!(!c.rules().is_empty());
        let err = |text: &str| RepoConfig::parse(text).unwrap_err();
        let e = err("[[app]]\nname = \"web\"\npath = \"x\"\nchart = \"y\"\n");
        assert_eq!(e.line, Some(4), "{e:?}");
        assert!(e.message.contains("unknown field `chart`"), "{}", e.message);
        let e = err("[[app]]\nname = \"web\"\npath = 3\n");
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("invalid type"), "{}", e.message);
        let e = err("[[app]]\nname = \"web\"\npath = \"x\"\nrenderer = \"jsonnet\"\n");
        assert!(
            e.message.contains("unknown variant `jsonnet`"),
            "{}",
            e.message
        );
        let e = err(
            "[[app]]\nname = \"a\"\npath = \"x\"\n\n[[app]]\nname = \"b\"\npath = \"../../etc\"\n",
        );
        assert_eq!(e.line, Some(5));
        assert!(
            e.message.contains("outside the repository"),
            "{}",
            e.message
        );
        let e = err("[[app]]\nname = \"a\"\npath = \"x\"\n[[app]]\nname = \"a\"\npath = \"y\"\n");
        assert!(e.message.contains("given twice"), "{}", e.message);
        let e = UserConfig::parse("theme = \"high-contrast\"\ncolour = 1\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(
            e.message.contains("unknown field `colour`"),
            "{}",
            e.message
        );
        // [keys]: tables of strings; the action names are the front end's to check
        let e = UserConfig::parse("theme = \"high-contrast\"\nkeys = 1\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("invalid type"), "{}", e.message);
        let e = UserConfig::parse("[keys.normal]\nx = \"sort\"\n[keys.modal]\n").unwrap_err();
        assert_eq!(e.line, Some(3), "{e:?}");
        let keys = UserConfig::parse("[keys.normal]\nx = \"sort\"\n")
            .unwrap()
            .keys;
        assert_eq!(keys.normal.get("x").map(String::as_str), Some("sort"));
        assert_eq!(
            UserConfig::parse("theme = \"high-contrast\"\n")
                .unwrap()
                .theme
                .as_deref(),
            Some("high-contrast")
        );
    }

    /// The checked-in schemas are the types' (`KDRIFT_WRITE_SCHEMA=1` writes them anew).
    #[test]
    fn the_checked_in_json_schemas_are_the_types() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/schema");
        for (file, schema) in [
            ("kdrift.toml.schema.json", repo_schema()),
            ("config.toml.schema.json", user_schema()),
        ] {
            let path = dir.join(file);
            if std::env::var_os("KDRIFT_WRITE_SCHEMA").is_some() {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &schema).unwrap();
            }
            let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                checked_in == schema,
                "{} is not the schema of the config types: run KDRIFT_WRITE_SCHEMA=1 cargo test -p kdrift-engine --lib config",
                path.display()
            );
        }
    }
}
