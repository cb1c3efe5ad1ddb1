//! The text diff shown in the diff pane: live (−) against git (+), only the fields git declares,
//! Secret values masked, and bounded in size and time so a huge object cannot stall the UI.

use super::normalize::{normalize_desired, strip_server_fields};
use super::secrets::mask_secret;
use crate::model::{Desired, FieldChange};
use serde_json::{Map, Value};
use similar::{ChangeTag, TextDiff};
use std::time::{Duration, Instant};

/// Inputs longer than this are cut before diffing; the cut is announced in the output.
const MAX_LINES: usize = 5_000;
/// At most this many lines of diff are kept per context size (a pane shows a screenful; the
/// rest would cost time and memory for nothing); the cut is announced.
const MAX_OUTPUT: usize = 2_000;
/// The whole text diff of one object (YAML rendering, the diff, its lines) stays within this:
/// the diff algorithm gets what the rendering left, and past it `similar` falls back to a
/// coarser diff.
const BUDGET: Duration = Duration::from_millis(5);
/// Kept back for turning the diff into lines.
const LINES_RESERVE: Duration = Duration::from_millis(1);
/// The least the diff algorithm gets, however long the rendering took.
const MIN_DIFF: Duration = Duration::from_micros(500);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffLineKind {
    Header,
    Context,
    Added,
    Removed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    pub kind: DiffLineKind,
    pub text: String,
}

impl DiffLine {
    fn new(kind: DiffLineKind, text: impl Into<String>) -> Self {
        Self {
            kind,
            text: text.into(),
        }
    }
}

/// One object's diff at the two context sizes a pane uses: the expensive part (normalising,
/// YAML, the diff itself) is done once, the grouping into hunks twice.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DiffText {
    /// One line of context around each change, for short panes.
    pub tight: Vec<DiffLine>,
    /// Three lines of context.
    pub wide: Vec<DiffLine>,
}

impl DiffText {
    /// No diff, one line saying why (the same at both context sizes).
    pub fn note(text: &str) -> Self {
        let line = DiffLine::new(DiffLineKind::Header, text);
        Self {
            tight: vec![line.clone()],
            wide: vec![line],
        }
    }
}

/// Context lines in `DiffText::tight` and `DiffText::wide`.
pub const TIGHT_CONTEXT: usize = 1;
pub const WIDE_CONTEXT: usize = 3;

/// The unified diff of live (−) against git (+) for one object. `changes` are the drift
/// report's changes (used to mark which Secret keys differ without revealing values).
pub fn object_diff(
    desired: Option<&Desired>,
    live: Option<&Value>,
    changes: &[FieldChange],
) -> DiffText {
    let [tight, wide] = object_diff_at(desired, live, changes, [TIGHT_CONTEXT, WIDE_CONTEXT]);
    DiffText { tight, wide }
}

/// The diff of what converging would make of the object (the server's dry-run, +) against live
/// (−): whole objects without what the server maintains, so it shows exactly the fields that
/// would change and nothing of the local compare's guesses. Secret values are masked.
pub fn server_diff(server: &Value, live: &Value, changes: &[FieldChange]) -> DiffText {
    let start = Instant::now();
    let want = super::server::comparable(server);
    let have = super::server::comparable(live);
    let secret = live.get("kind").and_then(Value::as_str) == Some("Secret");
    let (want, have) = if secret {
        mask_pair(Some(want), Some(have), changes)
    } else {
        (Some(want), Some(have))
    };
    let header = "--- live  +++ git, as the server would apply it";
    let [tight, wide] = unified(
        start,
        have.as_ref(),
        want.as_ref(),
        header,
        [TIGHT_CONTEXT, WIDE_CONTEXT],
    );
    DiffText { tight, wide }
}

/// The same diff with one context size.
pub fn diff_text(
    desired: Option<&Desired>,
    live: Option<&Value>,
    changes: &[FieldChange],
    context: usize,
) -> Vec<DiffLine> {
    let [lines] = object_diff_at(desired, live, changes, [context]);
    lines
}

fn object_diff_at<const N: usize>(
    desired: Option<&Desired>,
    live: Option<&Value>,
    changes: &[FieldChange],
    contexts: [usize; N],
) -> [Vec<DiffLine>; N] {
    let start = Instant::now();
    let want = desired.map(|d| normalize_desired(&d.manifest));
    let have = match (&want, live) {
        (Some(w), Some(l)) => Some(project(l, w)),
        (None, Some(l)) => Some(strip_server_fields(l)),
        (_, None) => None,
    };
    let secret = desired.is_some_and(|d| d.key.is_secret())
        || live.and_then(|l| l.get("kind")).and_then(Value::as_str) == Some("Secret");
    let (want, have) = if secret {
        mask_pair(want, have, changes)
    } else {
        (want, have)
    };
    let header = match (live.is_some(), desired.is_some()) {
        (true, true) => "--- live  +++ git",
        (false, _) => "--- live (absent)  +++ git",
        (true, false) => "--- live  +++ git (not declared)",
    };
    unified(start, have.as_ref(), want.as_ref(), header, contexts)
}

/// Diff of two versions of one object as git declared them (per-resource history): old (−) → new (+).
/// Secret values are masked, with distinct markers where a key's value changed.
pub fn version_diff(
    old: Option<&Value>,
    new: Option<&Value>,
    secret: bool,
    context: usize,
) -> Vec<DiffLine> {
    let start = Instant::now();
    let old = old.map(normalize_desired);
    let new = new.map(normalize_desired);
    let (new, old) = if secret {
        let changes = match (&new, &old) {
            (Some(n), Some(o)) => super::compare::compare(n, o, true),
            _ => Vec::new(),
        };
        mask_pair(new, old, &changes)
    } else {
        (new, old)
    };
    let [lines] = unified(
        start,
        old.as_ref(),
        new.as_ref(),
        "--- before  +++ after",
        [context],
    );
    lines
}

/// Bounded unified diff of two objects rendered as YAML, grouped once per context size.
fn unified<const N: usize>(
    start: Instant,
    old: Option<&Value>,
    new: Option<&Value>,
    header: &str,
    contexts: [usize; N],
) -> [Vec<DiffLine>; N] {
    let old = old.map(to_yaml).unwrap_or_default();
    let new = new.map(to_yaml).unwrap_or_default();
    let deadline = BUDGET
        .saturating_sub(start.elapsed() + LINES_RESERVE)
        .max(MIN_DIFF);
    let (old, cut_old) = bound(&old);
    let (new, cut_new) = bound(&new);
    let diff = TextDiff::configure().timeout(deadline).diff_lines(old, new);
    contexts.map(|context| {
        let mut out = vec![DiffLine::new(DiffLineKind::Header, header)];
        let mut cut = false;
        'groups: for group in diff.grouped_ops(context) {
            if let (Some(first), Some(last)) = (group.first(), group.last()) {
                let o = first.old_range().start..last.old_range().end;
                let n = first.new_range().start..last.new_range().end;
                out.push(DiffLine::new(
                    DiffLineKind::Header,
                    format!(
                        "@@ -{},{} +{},{} @@",
                        o.start + 1,
                        o.len(),
                        n.start + 1,
                        n.len()
                    ),
                ));
            }
            for op in &group {
                for change in diff.iter_changes(op) {
                    if out.len() >= MAX_OUTPUT {
                        cut = true;
                        break 'groups;
                    }
                    let text = change.value().trim_end_matches('\n');
                    let (kind, sign) = match change.tag() {
                        ChangeTag::Equal => (DiffLineKind::Context, ' '),
                        ChangeTag::Delete => (DiffLineKind::Removed, '-'),
                        ChangeTag::Insert => (DiffLineKind::Added, '+'),
                    };
                    out.push(DiffLine::new(kind, format!("{sign}{text}")));
                }
            }
        }
        if cut_old || cut_new {
            out.push(DiffLine::new(
                DiffLineKind::Header,
                format!("… object longer than {MAX_LINES} lines: diff cut"),
            ));
        }
        if cut {
            out.push(DiffLine::new(
                DiffLineKind::Header,
                format!("… more than {MAX_OUTPUT} lines of diff: the rest is not shown"),
            ));
        }
        out
    })
}

fn to_yaml(v: &Value) -> String {
    serde_saphyr::to_string(v).unwrap_or_else(|e| format!("# cannot render: {e}\n"))
}

fn bound(text: &str) -> (&str, bool) {
    match text.match_indices('\n').nth(MAX_LINES - 1) {
        Some((i, _)) => (&text[..=i], true),
        None => (text, false),
    }
}

/// The live object cut down to the fields the desired object declares, in the desired order.
fn project(live: &Value, desired: &Value) -> Value {
    match (live, desired) {
        (Value::Object(l), Value::Object(d)) => {
            let mut out = Map::new();
            for (k, dv) in d {
                if let Some(lv) = l.get(k) {
                    out.insert(k.clone(), project(lv, dv));
                }
            }
            Value::Object(out)
        }
        (Value::Array(l), Value::Array(d)) => {
            let named = |v: &Value| v.get("name").and_then(Value::as_str).map(str::to_string);
            let by_name =
                d.iter().all(|i| named(i).is_some()) && l.iter().all(|i| named(i).is_some());
            if by_name && !d.is_empty() {
                let mut out: Vec<Value> = d
                    .iter()
                    .filter_map(|di| {
                        l.iter()
                            .find(|li| named(li) == named(di))
                            .map(|li| project(li, di))
                    })
                    .collect();
                // Live items git does not declare stay visible as extra lines.
                out.extend(
                    l.iter()
                        .filter(|li| !d.iter().any(|di| named(di) == named(li)))
                        .cloned(),
                );
                Value::Array(out)
            } else if l.len() == d.len() {
                Value::Array(l.iter().zip(d).map(|(li, di)| project(li, di)).collect())
            } else {
                live.clone()
            }
        }
        _ => live.clone(),
    }
}

/// Masks both sides; keys that differ get distinct markers so the diff shows *which* keys changed.
fn mask_pair(
    want: Option<Value>,
    have: Option<Value>,
    changes: &[FieldChange],
) -> (Option<Value>, Option<Value>) {
    let mut want = want.map(|w| mask_secret(&w));
    let mut have = have.map(|h| mask_secret(&h));
    for change in changes {
        let Some(key) = change.path.strip_prefix("/data/") else {
            continue;
        };
        if let Some(slot) = want
            .as_mut()
            .and_then(|w| w.pointer_mut(&format!("/data/{key}")))
        {
            *slot = Value::String("*** (git value hidden)".into());
        }
        if let Some(slot) = have
            .as_mut()
            .and_then(|h| h.pointer_mut(&format!("/data/{key}")))
        {
            *slot = Value::String("*** (live value hidden)".into());
        }
    }
    (want, have)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::assess;
    use crate::model::ResourceKey;
    use serde_json::json;

    fn desired(v: Value) -> Desired {
        Desired {
            key: ResourceKey::from_object(&v).unwrap(),
            manifest: v.into(),
            source: "x.yaml".into(),
        }
    }

    #[test]
    fn shows_replicas_change_only() {
        let d = desired(json!({"apiVersion":"apps/v1","kind":"StatefulSet",
            "metadata":{"name":"redis"},"spec":{"replicas":4}}));
        let live = json!({"apiVersion":"apps/v1","kind":"StatefulSet",
            "metadata":{"name":"redis","uid":"1"},"spec":{"replicas":3,"x":1},"status":{}});
        let lines = diff_text(Some(&d), Some(&live), &[], 3);
        let changed: Vec<_> = lines
            .iter()
            .filter(|l| matches!(l.kind, DiffLineKind::Added | DiffLineKind::Removed))
            .map(|l| l.text.as_str())
            .collect();
        assert_eq!(changed, ["-  replicas: 3", "+  replicas: 4"]);
    }

    #[test]
    fn secret_diff_names_key_but_not_value() {
        let d = desired(
            json!({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},
            "stringData":{"password":"canary-new"}}),
        );
        let live = json!({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},
            "data":{"password":"Y2FuYXJ5LW9sZA=="}});
        let report = assess(Some(&d), Some(&live)).unwrap();
        let text: String = diff_text(Some(&d), Some(&live), &report.changes, 3)
            .iter()
            .map(|l| l.text.clone() + "\n")
            .collect();
        assert!(
            text.contains("password: '*** (live value hidden)'")
                || text.contains("password: \"*** (live value hidden)\"")
                || text.contains("password: *** (live value hidden)"),
            "{text}"
        );
        assert!(
            !text.contains("canary") && !text.contains("Y2FuYXJ5"),
            "{text}"
        );
    }

    #[test]
    fn huge_input_is_bounded() {
        let big: Map<String, Value> = (0..20_000).map(|i| (format!("k{i}"), json!(i))).collect();
        let d = desired(
            json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":big}),
        );
        let lines = diff_text(Some(&d), None, &[], 3);
        assert!(lines.len() <= MAX_OUTPUT + 3, "{}", lines.len());
        let notes: Vec<&str> = lines[lines.len() - 2..]
            .iter()
            .map(|l| l.text.as_str())
            .collect();
        assert!(
            notes[0].contains("diff cut"),
            "the input was cut: {notes:?}"
        );
        assert!(notes[1].contains("not shown"), "and the output: {notes:?}");
    }
}
