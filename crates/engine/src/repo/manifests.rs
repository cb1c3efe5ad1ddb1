//! Turns manifest files into desired objects, reporting bad input by file and line.

use crate::model::{Desired, ManifestError, ResourceKey};
use serde_json::Value;
use std::collections::BTreeMap;

/// Files larger than this are refused before parsing (YAML bombs, generated blobs).
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

/// Kinds that live outside namespaces; everything else gets the default namespace, as kubectl does.
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "Node",
    "PersistentVolume",
    "StorageClass",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PriorityClass",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

pub fn is_manifest_path(path: &str) -> bool {
    [".yaml", ".yml", ".json"]
        .iter()
        .any(|ext| path.ends_with(ext))
}

/// Parses every file and rejects objects declared twice (naming both files).
pub fn parse_manifests(
    files: &[(String, Vec<u8>)],
    default_namespace: &str,
) -> (Vec<Desired>, Vec<ManifestError>) {
    merge_parsed(parse_all(files, default_namespace))
}

/// What one file parses into.
pub type Parsed = (Vec<Desired>, Vec<ManifestError>);

/// Joins per-file results in order, rejecting objects declared twice (naming both files).
pub fn merge_parsed(parsed: Vec<Parsed>) -> (Vec<Desired>, Vec<ManifestError>) {
    let mut errors = Vec::new();
    let mut seen: BTreeMap<ResourceKey, Desired> = BTreeMap::new();
    for (objs, errs) in parsed {
        errors.extend(errs);
        for d in objs {
            if let Some(first) = seen.get(&d.key) {
                errors.push(ManifestError {
                    source: d.source.clone(),
                    line: None,
                    message: format!(
                        "{} is declared twice: in {} and in {}",
                        d.key, first.source, d.source
                    ),
                    // which copy is meant is for a person to say: the object is not applied
                    object: Some(d.key.clone()),
                    app: None,
                });
            } else {
                seen.insert(d.key.clone(), d);
            }
        }
    }
    (seen.into_values().collect(), errors)
}

/// Parses files on every core, keeping the input order (so "declared twice" names files in order).
pub(crate) fn parse_all(files: &[(String, Vec<u8>)], default_namespace: &str) -> Vec<Parsed> {
    parse_all_with(files, default_namespace, parse_file)
}

/// `parse_all` with the parser given (so a test can make one fail, or an app skip hooks).
pub(crate) fn parse_all_with(
    files: &[(String, Vec<u8>)],
    default_namespace: &str,
    parse: fn(&str, &[u8], &str) -> Parsed,
) -> Vec<Parsed> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads < 2 || files.len() < 64 {
        return files
            .iter()
            .map(|(p, b)| parse(p, b, default_namespace))
            .collect();
    }
    let chunk = files.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(p, b)| parse(p, b, default_namespace))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        // a parser that panicked leaves an error row per file it had, never a silent gap
        // (files missing from git would look like orphans)
        handles
            .into_iter()
            .zip(files.chunks(chunk))
            .flat_map(|(h, part)| {
                h.join().unwrap_or_else(|_| {
                    part.iter()
                        .map(|(p, _)| (vec![], vec![crashed(p)]))
                        .collect()
                })
            })
            .collect()
    })
}

fn crashed(path: &str) -> ManifestError {
    ManifestError {
        source: path.to_string(),
        line: None,
        message: "the parser failed on this file (a bug in kdrift): nothing of it is used".into(),
        object: None,
        app: None,
    }
}

/// Parses one YAML or JSON file (multi-document).
/// Namespaced objects without a namespace get `default_namespace`, as `kubectl apply -n` would do.
pub fn parse_file(
    path: &str,
    bytes: &[u8],
    default_namespace: &str,
) -> (Vec<Desired>, Vec<ManifestError>) {
    parse_file_keeping(path, bytes, default_namespace, |_| true)
}

/// An Argo CD hook (or a Helm hook, which Argo CD runs as one): run around a sync and often
/// deleted after it, never a tracked object, so never desired state (it may well have only a
/// `generateName`).
pub(crate) fn is_argo_hook(doc: &Value) -> bool {
    doc.pointer("/metadata/annotations")
        .and_then(Value::as_object)
        .is_some_and(|a| {
            a.contains_key("argocd.argoproj.io/hook") || a.contains_key("helm.sh/hook")
        })
}

/// `parse_file` without the Argo CD hooks among the documents.
pub(crate) fn parse_file_without_hooks(
    path: &str,
    bytes: &[u8],
    default_namespace: &str,
) -> Parsed {
    parse_file_keeping(path, bytes, default_namespace, |doc| !is_argo_hook(doc))
}

/// `parse_file` keeping only the documents (and list items) `keep` accepts.
fn parse_file_keeping(
    path: &str,
    bytes: &[u8],
    default_namespace: &str,
    keep: fn(&Value) -> bool,
) -> (Vec<Desired>, Vec<ManifestError>) {
    let err = |line: Option<usize>, message: String| ManifestError {
        source: path.to_string(),
        line,
        message,
        object: None,
        app: None,
    };
    if bytes.len() > MAX_FILE_BYTES {
        return (
            vec![],
            vec![err(
                None,
                format!("file is larger than {MAX_FILE_BYTES} bytes"),
            )],
        );
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.strip_prefix('\u{feff}').unwrap_or(t),
        Err(e) => return (vec![], vec![err(None, format!("not UTF-8 text: {e}"))]),
    };
    let docs: Vec<Value> = match serde_saphyr::from_multiple_with_options(text, yaml_options()) {
        Ok(d) => d,
        Err(e) => {
            let msg = e.to_string();
            return (
                vec![],
                vec![err(
                    line_in(&msg),
                    format!("invalid YAML: {}", first_line(&msg)),
                )],
            );
        }
    };
    let starts = document_start_lines(text);
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, doc) in docs.into_iter().enumerate() {
        let line = starts.get(i).copied();
        match doc {
            Value::Null => continue,
            Value::Object(_) => {}
            _ => {
                errors.push(err(line, "document is not a mapping".into()));
                continue;
            }
        }
        if doc
            .get("kind")
            .and_then(Value::as_str)
            .is_some_and(|k| k.ends_with("List"))
            && let Some(items) = doc.get("items").and_then(Value::as_array)
        {
            for item in items.iter().filter(|i| keep(i)) {
                push_object(
                    path,
                    line,
                    item.clone(),
                    default_namespace,
                    &mut out,
                    &mut errors,
                );
            }
            continue;
        }
        if keep(&doc) {
            push_object(path, line, doc, default_namespace, &mut out, &mut errors);
        }
    }
    (out, errors)
}

fn push_object(
    path: &str,
    line: Option<usize>,
    mut doc: Value,
    default_namespace: &str,
    out: &mut Vec<Desired>,
    errors: &mut Vec<ManifestError>,
) {
    let missing: Vec<&str> = [
        ("apiVersion", "/apiVersion"),
        ("kind", "/kind"),
        ("metadata.name", "/metadata/name"),
    ]
    .into_iter()
    .filter(|(_, p)| {
        doc.pointer(p)
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
    })
    .map(|(n, _)| n)
    .collect();
    if !missing.is_empty() {
        errors.push(ManifestError {
            source: path.to_string(),
            line,
            message: format!("object lacks {}", missing.join(", ")),
            object: None,
            app: None,
        });
        return;
    }
    let kind = doc["kind"].as_str().unwrap_or_default().to_string();
    if !CLUSTER_SCOPED.contains(&kind.as_str())
        && doc.pointer("/metadata/namespace").is_none()
        && let Some(meta) = doc.get_mut("metadata").and_then(Value::as_object_mut)
    {
        meta.insert("namespace".into(), Value::String(default_namespace.into()));
    }
    if let Some(key) = ResourceKey::from_object(&doc) {
        out.push(Desired {
            key,
            manifest: doc.into(),
            source: path.to_string(),
            app: None,
        });
    }
}

/// The parser's budget, tightened to the per-file bound: anchors and aliases may not expand a
/// file past what its size would allow (YAML bombs), and error messages carry no snippet of the
/// input (it could hold a Secret's value).
fn yaml_options() -> serde_saphyr::Options {
    let budget = serde_saphyr::budget! {
        max_total_scalar_bytes: MAX_FILE_BYTES,
        max_recorded_anchor_bytes: MAX_FILE_BYTES,
    };
    serde_saphyr::options! {
        budget: budget,
        with_snippet: false,
        // as kubectl and helm read YAML (YAML 1.1 integers): `defaultMode: 0644` is 420
        legacy_octal_numbers: true,
    }
}

/// 1-based line where each document starts (after a `---` separator or at the top).
fn document_start_lines(text: &str) -> Vec<usize> {
    let mut starts = vec![1];
    for (i, line) in text.lines().enumerate() {
        if line.starts_with("---") && i > 0 {
            starts.push(i + 2);
        } else if line.starts_with("---") {
            starts[0] = 2;
        }
    }
    starts
}

fn first_line(msg: &str) -> &str {
    msg.lines().next().unwrap_or(msg)
}

/// Pulls "line N" out of the parser's message.
fn line_in(msg: &str) -> Option<usize> {
    let idx = msg.find("line ")?;
    msg[idx + 5..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_multi_document_yaml_and_defaults_namespace() {
        let y = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n";
        let (objs, errs) = parse_file("a.yaml", y, "default");
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(objs.len(), 2);
        assert_eq!(objs[0].key.namespace.as_deref(), Some("default"));
        assert_eq!(objs[1].key.namespace, None);
    }

    /// Numbers read as kubectl and helm read them, so what kdrift compares is what was applied.
    #[test]
    fn numbers_are_read_as_kubectl_reads_them() {
        let y = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nspec:\n  mode: 0644\n  ten: 10\n  half: 0.5\n  flag: true\n";
        let (objs, errs) = parse_file("a.yaml", y, "default");
        assert!(errs.is_empty(), "{errs:?}");
        let tree = objs[0].manifest.tree();
        let spec = &tree["spec"];
        assert_eq!(
            spec["mode"], 420,
            "YAML 1.1 octal, as `defaultMode: 0644` is meant"
        );
        assert_eq!(
            (spec["ten"].as_i64(), spec["half"].as_f64()),
            (Some(10), Some(0.5))
        );
        assert_eq!(spec["flag"], true);
    }

    #[test]
    fn reports_missing_fields_with_file_and_line() {
        let y = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {}\n";
        let (objs, errs) = parse_file("bad.yaml", y, "default");
        assert_eq!(objs.len(), 1);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].source, "bad.yaml");
        assert_eq!(errs[0].line, Some(6));
        assert!(errs[0].message.contains("metadata.name"));
    }

    #[test]
    fn reports_invalid_yaml_and_non_utf8() {
        let (_, errs) = parse_file("broken.yaml", b"a: [1, 2\nb: c\n", "default");
        assert!(errs[0].message.starts_with("invalid YAML"), "{errs:?}");
        let (_, errs) = parse_file("bin.yaml", &[0xff, 0xfe, 0x00], "default");
        assert!(errs[0].message.contains("UTF-8"));
    }

    #[test]
    fn yaml_bomb_is_refused_with_the_file_named() {
        let mut y = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        for (prev, name) in "abcdefgh".chars().zip("bcdefghi".chars()) {
            let refs = vec![format!("*{prev}"); 9].join(",");
            y.push_str(&format!("{name}: &{name} [{refs}]\n"));
        }
        y.push_str("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: boom\n");
        let (objs, errs) = parse_file("bomb.yaml", y.as_bytes(), "default");
        assert!(objs.is_empty());
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].source, "bomb.yaml");
        assert!(errs[0].message.starts_with("invalid YAML"), "{errs:?}");
        assert!(errs[0].message.contains("budget"), "{errs:?}");
    }

    /// 1 MiB read 20 times through aliases: small on disk, 20 MiB once expanded. The default
    /// parser budget (64 MiB) would let it through; the per-file bound must not be dodged this way.
    #[test]
    fn aliases_cannot_expand_a_file_past_the_file_bound() {
        let big = "x".repeat(1024 * 1024);
        let mut y = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: wide\ndata:\n  a0: &big {big}\n"
        );
        for i in 1..20 {
            y.push_str(&format!("  a{i}: *big\n"));
        }
        let (objs, errs) = parse_file("wide.yaml", y.as_bytes(), "default");
        assert!(objs.is_empty(), "{} objects", objs.len());
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].source, "wide.yaml");
        assert!(errs[0].message.contains("budget"), "{:?}", errs[0].message);
    }

    #[test]
    fn parse_errors_quote_no_input() {
        let secret = "s3cr3t-value-should-not-leak";
        let y = format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\nstringData:\n  p: {secret}: x: y\n"
        );
        let (_, errs) = parse_file("s.yaml", y.as_bytes(), "default");
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(!errs[0].message.contains(secret), "{errs:?}");
        assert_eq!(errs[0].source, "s.yaml");
    }

    #[test]
    fn a_parser_that_panics_leaves_an_error_per_file() {
        fn flaky(path: &str, bytes: &[u8], ns: &str) -> Parsed {
            assert!(!path.starts_with("bad"), "boom");
            parse_file(path, bytes, ns)
        }
        let cm = |n: usize| format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{n}\n");
        let files: Vec<(String, Vec<u8>)> = (0..128)
            .map(|n| {
                let name = if n == 100 {
                    "bad.yaml".to_string()
                } else {
                    format!("f{n}.yaml")
                };
                (name, cm(n).into_bytes())
            })
            .collect();
        let parsed = parse_all_with(&files, "default", flaky);
        assert_eq!(parsed.len(), files.len(), "one result per file");
        let (objs, errs) = merge_parsed(parsed);
        assert!(errs.iter().any(|e| e.source == "bad.yaml"), "{errs:?}");
        // the panicking thread's whole chunk is an error, none of it silently gone
        assert_eq!(objs.len() + errs.len(), files.len());
    }

    #[test]
    fn duplicates_name_both_files() {
        let y = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n".to_vec();
        let (objs, errs) = parse_manifests(
            &[("one.yaml".into(), y.clone()), ("two.yaml".into(), y)],
            "default",
        );
        assert_eq!(objs.len(), 1);
        assert!(errs[0].message.contains("one.yaml") && errs[0].message.contains("two.yaml"));
        assert_eq!(
            errs[0].object.as_ref(),
            Some(&objs[0].key),
            "the object is blocked too"
        );
    }
}
