//! Ignore rules: differences a team has decided are not drift (an autoscaler's replicas, a field
//! a webhook owns), like Argo CD's `ignoreDifferences`. From `.kdrift.toml` in the repo (read
//! from the commit, like the manifests) and the user's `~/.config/kdrift/config.toml`. An ignored
//! field is still shown, dimmed, so nothing is silently hidden; it only stops counting.
//!
//! ```toml
//! [[ignore]]
//! kind = "Deployment"          # and/or group, namespace, name (`*` matches any run of characters)
//! paths = ["/spec/replicas"]   # JSON-pointer-like paths; `*` matches one segment, a trailing `/**` a subtree
//! managers = ["kube-controller-manager"]   # or: every field whose live value these managers wrote
//! ```

use crate::model::{FieldChange, ResourceKey};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One rule: which objects (each selector a glob; none given matches all) and which of their
/// fields (paths, or every field these managers wrote).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IgnoreRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub managers: Vec<String>,
}

/// Where a rule came from, for the screen ("ignored by .kdrift.toml rule 2").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleSource {
    Repo,
    User,
}

impl fmt::Display for RuleSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RuleSource::Repo => ".kdrift.toml",
            RuleSource::User => "your config",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IgnoreRules {
    rules: Vec<(RuleSource, IgnoreRule)>,
}

/// A config file kdrift cannot use, with the line the TOML parser names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    pub line: Option<usize>,
    pub message: String,
}

impl IgnoreRules {
    /// The `[[ignore]]` tables of a config file: `.kdrift.toml` for `Repo`, the user's config
    /// for `User` (each file's other keys checked too, `crate::config`).
    pub fn parse(text: &str, source: RuleSource) -> Result<Self, ConfigError> {
        match source {
            RuleSource::Repo => Ok(crate::config::RepoConfig::parse(text)?.rules()),
            RuleSource::User => Ok(crate::config::UserConfig::parse(text)?.rules()),
        }
    }

    pub fn from_rules(rules: Vec<IgnoreRule>, source: RuleSource) -> Self {
        Self {
            rules: rules.into_iter().map(|r| (source, r)).collect(),
        }
    }

    /// These rules and then `other`'s.
    pub fn and(mut self, other: &IgnoreRules) -> Self {
        self.rules.extend(other.rules.iter().cloned());
        self
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The first rule that ignores `change` of `key`: its source and 1-based number there.
    pub fn ignoring(&self, key: &ResourceKey, change: &FieldChange) -> Option<(RuleSource, usize)> {
        let mut numbers = [0usize; 2];
        for (source, rule) in &self.rules {
            let n = &mut numbers[*source as usize];
            *n += 1;
            if rule.selects(key) && rule.covers(change) {
                return Some((*source, *n));
            }
        }
        None
    }
}

impl IgnoreRule {
    fn selects(&self, key: &ResourceKey) -> bool {
        let matches =
            |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| glob(w, have));
        matches(&self.group, &key.group)
            && matches(&self.kind, &key.kind)
            && matches(&self.namespace, key.namespace.as_deref().unwrap_or(""))
            && matches(&self.name, &key.name)
    }

    fn covers(&self, change: &FieldChange) -> bool {
        self.paths.iter().any(|p| path_matches(p, &change.path))
            || change
                .manager
                .as_deref()
                .is_some_and(|m| self.managers.iter().any(|w| glob(w, m)))
    }

    /// The rule that ignores exactly this field of exactly this object.
    pub fn for_change(key: &ResourceKey, change: &FieldChange) -> Self {
        IgnoreRule {
            group: (!key.group.is_empty()).then(|| key.group.clone()),
            kind: Some(key.kind.clone()),
            namespace: key.namespace.clone(),
            name: Some(key.name.clone()),
            paths: vec![change.path.clone()],
            managers: Vec::new(),
        }
    }

    /// As it goes into a config file.
    pub fn to_toml(&self) -> String {
        #[derive(Serialize)]
        struct One<'a> {
            ignore: [&'a IgnoreRule; 1],
        }
        toml::to_string(&One { ignore: [self] }).unwrap_or_default()
    }
}

/// `*` matches any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    let Some((head, rest)) = pattern.split_once('*') else {
        return pattern == text;
    };
    let Some(mut text) = text.strip_prefix(head) else {
        return false;
    };
    let parts: Vec<&str> = rest.split('*').collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i == parts.len() - 1;
        if last {
            return text.ends_with(part);
        }
        match text.find(part) {
            Some(at) => text = &text[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// Path patterns by segment: `*` is any one segment, a trailing `**` any rest (or none).
fn path_matches(pattern: &str, path: &str) -> bool {
    let want = segments(pattern);
    let have = segments(path);
    for (i, w) in want.iter().enumerate() {
        if *w == "**" && i == want.len() - 1 {
            return true;
        }
        match have.get(i) {
            Some(h) if *w == "*" || glob(w, h) => {}
            _ => return false,
        }
    }
    want.len() == have.len()
}

/// `/a/b[name=x]/c` as `a`, `b`, `[name=x]`, `c`: a keyed list item is a segment of its own.
fn segments(path: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        match part.find('[') {
            Some(at) if at > 0 => {
                out.push(&part[..at]);
                out.push(&part[at..]);
            }
            _ => out.push(part),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kind: &str, ns: &str, name: &str) -> ResourceKey {
        ResourceKey::from(crate::model::KeyParts {
            namespace: Some(ns.into()),
            kind: kind.into(),
            name: name.into(),
            group: "apps".into(),
            version: "v1".into(),
        })
    }

    fn change(path: &str, manager: Option<&str>) -> FieldChange {
        FieldChange {
            path: path.into(),
            desired: None,
            live: None,
            manager: manager.map(str::to_string),
            time: None,
        }
    }

    #[test]
    fn each_rule_kind_ignores_exactly_what_it_names() {
        let rules = IgnoreRules::parse(
            r#"
            [[ignore]]
            kind = "Deployment"
            paths = ["/spec/replicas"]

            [[ignore]]
            namespace = "shop"
            name = "web-*"
            paths = ["/metadata/annotations/*", "/spec/template/spec/containers[name=web]/**"]

            [[ignore]]
            managers = ["hpa-*"]
            "#,
            RuleSource::Repo,
        )
        .unwrap();
        let web = key("Deployment", "shop", "web-1");
        let api = key("StatefulSet", "shop", "api");
        // (object, change) → the rule that ignores it
        let cases = [
            (&web, change("/spec/replicas", None), Some(1)),
            (&api, change("/spec/replicas", None), None),
            (&web, change("/metadata/annotations/owner", None), Some(2)),
            (&web, change("/metadata/annotations", None), None),
            (
                &web,
                change("/spec/template/spec/containers[name=web]/image", None),
                Some(2),
            ),
            (
                &web,
                change("/spec/template/spec/containers[name=sidecar]/image", None),
                None,
            ),
            (
                &api,
                change("/spec/paused", Some("hpa-controller")),
                Some(3),
            ),
            (&api, change("/spec/paused", Some("kubectl-edit")), None),
        ];
        for (object, c, want) in cases {
            let got = rules.ignoring(object, &c).map(|(_, n)| n);
            assert_eq!(got, want, "{object} {}", c.path);
        }
    }

    #[test]
    fn bad_files_name_their_line_and_rules_must_say_what() {
        let err = IgnoreRules::parse("[[ignore]]\nkind = \"X\"\npaths = 3\n", RuleSource::Repo)
            .unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        let err = IgnoreRules::parse("[[ignore]]\nkind = \"X\"\n", RuleSource::Repo).unwrap_err();
        assert!(err.message.contains("neither"), "{err}");
        let err = IgnoreRules::parse(
            "[[ignore]]\nkynd = \"X\"\npaths = [\"/a\"]\n",
            RuleSource::Repo,
        )
        .unwrap_err();
        assert!(err.message.contains("kynd"), "{err}");
    }

    #[test]
    fn a_proposed_rule_round_trips_and_ignores_its_field() {
        let web = key("Deployment", "shop", "web");
        let c = change("/spec/replicas", Some("kubectl"));
        let text = IgnoreRule::for_change(&web, &c).to_toml();
        let rules = IgnoreRules::parse(&text, RuleSource::User).unwrap();
        assert_eq!(
            rules.ignoring(&web, &c),
            Some((RuleSource::User, 1)),
            "{text}"
        );
        assert_eq!(rules.ignoring(&key("Deployment", "shop", "api"), &c), None);
    }
}
