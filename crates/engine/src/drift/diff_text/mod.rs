//! The text diff shown in the diff pane and by `kdrift diff`: live (−) against git (+), only
//! the fields git declares (or, where the server decided, its dry-run against live), Secret
//! values masked, bounded in size and time so a huge object cannot stall the UI.
//!
//! A `DiffText` keeps both sides' lines once and the alignment of every line; hunks, context,
//! side-by-side pairs and labels are views of it, so expanding context or switching layout
//! never diffs again. Each line knows its field, so a hunk is labelled with the field's path
//! and who wrote it.

mod hunks;
mod words;
mod yaml;

pub use hunks::{Hunk, change_for};

use super::normalize::{normalize_desired, strip_server_fields};
use super::schema::Shape;
use super::secrets::mask_secret;
use crate::model::{Desired, FieldChange};
use serde_json::{Map, Value};
use similar::{Algorithm, DiffOp, capture_diff_slices_deadline};
use std::ops::Range;
use std::time::{Duration, Instant};
use yaml::Rendered;

/// Inputs longer than this are cut before diffing; the cut is announced in the output.
const MAX_LINES: usize = 5_000;
/// The whole text diff of one object (YAML, the line diff, word emphasis) stays within this:
/// the line diff gets what rendering left, past it `similar` falls back to a coarser diff, and
/// word emphasis is found for as many changed lines as the rest allows (from the top).
const BUDGET: Duration = Duration::from_millis(5);
/// Kept back from the line diff for building rows.
const ROWS_RESERVE: Duration = Duration::from_millis(1);
/// The least the line diff gets, however long the rendering took.
const MIN_DIFF: Duration = Duration::from_micros(500);

/// Context lines around a change when it is shown collapsed.
pub const CONTEXT: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffLineKind {
    Header,
    Context,
    Added,
    Removed,
}

/// One line of a unified diff, as text: for `kdrift diff` and the history pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    pub kind: DiffLineKind,
    pub text: String,
    /// Byte ranges of `text` that changed within the line (word emphasis).
    pub emphasis: Vec<Range<usize>>,
}

impl DiffLine {
    fn new(kind: DiffLineKind, text: impl Into<String>) -> Self {
        Self {
            kind,
            text: text.into(),
            emphasis: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    Equal,
    Removed,
    Added,
}

/// One line of the alignment: an unchanged line (both sides), or one side's changed line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiffRow {
    pub kind: RowKind,
    /// The line's index on the old (live) side, if it is there.
    pub old: Option<u32>,
    /// And on the new (git) side.
    pub new: Option<u32>,
}

/// One object's diff: both sides' lines, their alignment, emphasis within changed lines, and
/// notes (what was cut). About 20 bytes per line beyond the text itself.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DiffText {
    header: String,
    old: Rendered,
    new: Rendered,
    rows: Vec<DiffRow>,
    /// Changed byte ranges by row, sorted by row.
    emphasis: Vec<(u32, Vec<Range<u32>>)>,
    /// The runs of changed rows, each with the field all its lines are in.
    blocks: Vec<(Range<usize>, String)>,
    notes: Vec<String>,
}

impl DiffText {
    /// No diff, one line saying why.
    pub fn note(text: &str) -> Self {
        Self {
            header: text.to_string(),
            ..Self::default()
        }
    }

    /// What is compared with what (`--- live  +++ git`).
    pub fn header(&self) -> &str {
        &self.header
    }

    pub fn rows(&self) -> &[DiffRow] {
        &self.rows
    }

    /// What was left out (an object or a diff too long), one line each.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The text of row `i`: the new side's line where it has one, else the old side's.
    pub fn text(&self, i: usize) -> &str {
        let row = self.rows[i];
        match (row.kind, row.old, row.new) {
            (RowKind::Removed, Some(o), _) => self.old.line(o as usize),
            (_, _, Some(n)) => self.new.line(n as usize),
            (_, Some(o), None) => self.old.line(o as usize),
            (_, None, None) => "",
        }
    }

    /// The old side's line of row `i` (live), for the left half of a side-by-side view.
    pub fn old_text(&self, i: usize) -> Option<&str> {
        self.rows[i].old.map(|o| self.old.line(o as usize))
    }

    /// The new side's line of row `i` (git).
    pub fn new_text(&self, i: usize) -> Option<&str> {
        self.rows[i].new.map(|n| self.new.line(n as usize))
    }

    /// The field row `i` belongs to, as the drift report writes paths.
    pub fn path(&self, i: usize) -> String {
        let row = self.rows[i];
        match (row.kind, row.old, row.new) {
            (RowKind::Removed, Some(o), _) => self.old.path(o as usize),
            (_, _, Some(n)) => self.new.path(n as usize),
            (_, Some(o), None) => self.old.path(o as usize),
            (_, None, None) => String::new(),
        }
    }

    /// Byte ranges of row `i`'s text that changed within the line; empty when the line is new
    /// or unlike its counterpart, or when the time for finding them ran out.
    pub fn emphasis(&self, i: usize) -> impl Iterator<Item = Range<usize>> + '_ {
        let found = self
            .emphasis
            .binary_search_by_key(&(i as u32), |(row, _)| *row)
            .ok()
            .map(|at| self.emphasis[at].1.as_slice())
            .unwrap_or_default();
        found.iter().map(|r| r.start as usize..r.end as usize)
    }

    /// The runs of changed rows: each is one change to jump to and to label.
    pub fn blocks(&self) -> impl ExactSizeIterator<Item = Range<usize>> + '_ {
        self.blocks.iter().map(|(rows, _)| rows.clone())
    }

    /// The field every line of block `i` is in (empty when that is the whole object).
    pub fn block_path(&self, i: usize) -> &str {
        &self.blocks[i].1
    }

    /// The block row `row` is in, if it is a changed row.
    pub fn block_of(&self, row: usize) -> Option<usize> {
        let i = self.blocks.partition_point(|(rows, _)| rows.end <= row);
        self.blocks
            .get(i)
            .filter(|(rows, _)| rows.contains(&row))
            .map(|_| i)
    }

    /// The diff as unified text with `context` lines around each change; each hunk header names
    /// the field its first change is in and, from `changes`, who wrote it.
    pub fn unified(&self, context: usize, changes: &[FieldChange]) -> Vec<DiffLine> {
        let mut out = vec![DiffLine::new(DiffLineKind::Header, self.header.as_str())];
        for hunk in self.hunks(context) {
            // a side with no lines in the hunk names the line before it, as `diff -u` does
            let from = |start: usize, len: usize| start + usize::from(len > 0);
            let mut title = format!(
                "@@ -{},{} +{},{} @@",
                from(hunk.old_start, hunk.old_len),
                hunk.old_len,
                from(hunk.new_start, hunk.new_len),
                hunk.new_len
            );
            let first = hunk.rows.clone().find_map(|i| self.block_of(i));
            let path = first.map(|b| self.block_path(b)).unwrap_or_default();
            if !path.is_empty() {
                title.push(' ');
                title.push_str(path);
                if let Some(manager) = change_for(path, changes).and_then(|c| c.manager.as_ref()) {
                    title.push_str(" by ");
                    title.push_str(manager);
                }
            }
            out.push(DiffLine::new(DiffLineKind::Header, title));
            for i in hunk.rows {
                let (kind, sign) = match self.rows[i].kind {
                    RowKind::Equal => (DiffLineKind::Context, ' '),
                    RowKind::Removed => (DiffLineKind::Removed, '-'),
                    RowKind::Added => (DiffLineKind::Added, '+'),
                };
                let mut line = DiffLine::new(kind, format!("{sign}{}", self.text(i)));
                line.emphasis = self.emphasis(i).map(|r| r.start + 1..r.end + 1).collect();
                out.push(line);
            }
        }
        out.extend(
            self.notes
                .iter()
                .map(|n| DiffLine::new(DiffLineKind::Header, n.as_str())),
        );
        out
    }
}

/// The unified diff of live (−) against git (+) for one object. `changes` are the drift
/// report's changes (used to mark which Secret keys differ without revealing values).
pub fn object_diff(
    desired: Option<&Desired>,
    live: Option<&Value>,
    changes: &[FieldChange],
) -> DiffText {
    object_diff_shaped(desired, live, changes, None)
}

/// `object_diff` with list items named by the kind's API schema.
pub fn object_diff_shaped(
    desired: Option<&Desired>,
    live: Option<&Value>,
    changes: &[FieldChange],
    shape: Option<&Shape>,
) -> DiffText {
    let start = Instant::now();
    let want = desired.map(|d| normalize_desired(&d.manifest.tree()));
    let have = match (&want, live) {
        (Some(w), Some(l)) => Some(project(l, w)),
        (None, Some(l)) => Some(super::server::identity_first(strip_server_fields(l))),
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
    build(start, have.as_ref(), want.as_ref(), header, shape)
}

/// The diff of what converging would make of the object (the server's dry-run, +) against live
/// (−): whole objects without what the server maintains, so it shows exactly the fields that
/// would change and nothing of the local compare's guesses. Secret values are masked.
pub fn server_diff(
    server: &Value,
    live: &Value,
    changes: &[FieldChange],
    shape: Option<&Shape>,
) -> DiffText {
    let start = Instant::now();
    let have = super::server::comparable(live);
    let want = ordered_like(super::server::comparable(server), &have);
    let secret = live.get("kind").and_then(Value::as_str) == Some("Secret");
    let (want, have) = if secret {
        mask_pair(Some(want), Some(have), changes)
    } else {
        (Some(want), Some(have))
    };
    let header = "--- live  +++ git, as the server would apply it";
    build(start, have.as_ref(), want.as_ref(), header, shape)
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
    build(
        start,
        old.as_ref(),
        new.as_ref(),
        "--- before  +++ after",
        None,
    )
    .unified(context, &[])
}

/// Renders both sides, aligns their lines, then finds word emphasis, within the budget.
fn build(
    start: Instant,
    old: Option<&Value>,
    new: Option<&Value>,
    header: &str,
    shape: Option<&Shape>,
) -> DiffText {
    let render = |v: Option<&Value>| {
        v.map(|v| yaml::render(v, MAX_LINES, shape))
            .unwrap_or_default()
    };
    let (old, new) = (render(old), render(new));
    let mut notes = Vec::new();
    if old.cut || new.cut {
        notes.push(format!("… object longer than {MAX_LINES} lines: diff cut"));
    }
    let deadline = Instant::now()
        + BUDGET
            .saturating_sub(start.elapsed() + ROWS_RESERVE)
            .max(MIN_DIFF);
    let rows = {
        let (a, b) = (old.lines(), new.lines());
        let ops = capture_diff_slices_deadline(Algorithm::Myers, &a, &b, Some(deadline));
        rows_of(&ops)
    };
    let mut text = DiffText {
        header: header.to_string(),
        old,
        new,
        rows,
        emphasis: Vec::new(),
        blocks: Vec::new(),
        notes,
    };
    text.blocks = blocks_of(&text);
    words::emphasize(&mut text, start + BUDGET);
    text
}

/// The runs of changed rows, each with the innermost field that holds all of its lines: the
/// common ancestor of its old lines' fields and of its new lines', then what the two paths share.
fn blocks_of(text: &DiffText) -> Vec<(Range<usize>, String)> {
    let mut runs: Vec<Range<usize>> = Vec::new();
    for (i, row) in text.rows.iter().enumerate() {
        if row.kind == RowKind::Equal {
            continue;
        }
        match runs.last_mut() {
            Some(last) if last.end == i => last.end = i + 1,
            _ => runs.push(i..i + 1),
        }
    }
    runs.into_iter()
        .map(|rows| {
            let block = &text.rows[rows.clone()];
            let old = text.old.common_path(block.iter().filter_map(|r| r.old));
            let new = text.new.common_path(block.iter().filter_map(|r| r.new));
            let path = match (old, new) {
                (Some(a), Some(b)) => hunks::shared_path(&a, &b).to_string(),
                (Some(a), None) | (None, Some(a)) => a,
                (None, None) => String::new(),
            };
            (rows, path)
        })
        .collect()
}

fn rows_of(ops: &[DiffOp]) -> Vec<DiffRow> {
    let mut rows = Vec::new();
    let removed = |o: usize| DiffRow {
        kind: RowKind::Removed,
        old: Some(o as u32),
        new: None,
    };
    let added = |n: usize| DiffRow {
        kind: RowKind::Added,
        old: None,
        new: Some(n as u32),
    };
    for op in ops {
        match *op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => rows.extend((0..len).map(|k| DiffRow {
                kind: RowKind::Equal,
                old: Some((old_index + k) as u32),
                new: Some((new_index + k) as u32),
            })),
            DiffOp::Delete {
                old_index, old_len, ..
            } => rows.extend((old_index..old_index + old_len).map(removed)),
            DiffOp::Insert {
                new_index, new_len, ..
            } => rows.extend((new_index..new_index + new_len).map(added)),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                rows.extend((old_index..old_index + old_len).map(removed));
                rows.extend((new_index..new_index + new_len).map(added));
            }
        }
    }
    rows
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

/// `v` with its keys in the order `like` has them (keys `like` lacks after), at every level:
/// the server's answer and live are the same object written by different code paths, and a
/// line diff must not show a key moved as a change.
fn ordered_like(v: Value, like: &Value) -> Value {
    match (v, like) {
        (Value::Object(mut map), Value::Object(order)) => {
            let mut out = Map::with_capacity(map.len());
            for (k, lv) in order {
                if let Some(v) = map.remove(k) {
                    out.insert(k.clone(), ordered_like(v, lv));
                }
            }
            out.extend(map);
            Value::Object(out)
        }
        (Value::Array(items), Value::Array(order)) => {
            let name = |i: &Value| i.get("name").cloned();
            Value::Array(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let twin = match name(&item) {
                            Some(n) => order.iter().find(|o| name(o).as_ref() == Some(&n)),
                            None => order.get(i),
                        };
                        match twin {
                            Some(t) => ordered_like(item, t),
                            None => item,
                        }
                    })
                    .collect(),
            )
        }
        (v, _) => v,
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
            app: None,
        }
    }

    #[test]
    fn shows_replicas_change_only() {
        let d = desired(json!({"apiVersion":"apps/v1","kind":"StatefulSet",
            "metadata":{"name":"redis"},"spec":{"replicas":4}}));
        let live = json!({"apiVersion":"apps/v1","kind":"StatefulSet",
            "metadata":{"name":"redis","uid":"1"},"spec":{"replicas":3,"x":1},"status":{}});
        let lines = object_diff(Some(&d), Some(&live), &[]).unified(3, &[]);
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
        let text: String = object_diff(Some(&d), Some(&live), &report.changes)
            .unified(3, &report.changes)
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

    /// The server's answer writes keys in its own order; only real changes are lines.
    #[test]
    fn key_order_is_not_a_change() {
        let live = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": "a", "resourceVersion": "3"},
            "data": {"a": "1", "b": "2"}});
        let server = json!({"kind": "ConfigMap", "apiVersion": "v1",
            "metadata": {"namespace": "a", "name": "c", "resourceVersion": "3"},
            "data": {"b": "2", "a": "9"}});
        let lines = server_diff(&server, &live, &[], None).unified(3, &[]);
        let changed: Vec<&str> = lines
            .iter()
            .filter(|l| matches!(l.kind, DiffLineKind::Added | DiffLineKind::Removed))
            .map(|l| l.text.as_str())
            .collect();
        assert_eq!(changed, ["-  a: \"1\"", "+  a: \"9\""]);
    }

    #[test]
    fn huge_input_is_bounded() {
        let big: Map<String, Value> = (0..20_000).map(|i| (format!("k{i}"), json!(i))).collect();
        let d = desired(
            json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":big}),
        );
        let text = object_diff(Some(&d), None, &[]);
        assert_eq!(text.rows().len(), MAX_LINES, "the git side, cut");
        assert!(text.notes()[0].contains("diff cut"), "{:?}", text.notes());
        let lines = text.unified(3, &[]);
        assert!(lines.last().unwrap().text.contains("diff cut"));
    }

    /// Hunks say where they are and whose change they show; changed words are marked.
    #[test]
    fn hunks_are_labelled_and_changed_words_marked() {
        let containers = |image: &str, cpu: &str| {
            json!([{"name": "web", "image": image, "resources": {"limits": {"cpu": cpu}}},
                   {"name": "side", "image": "proxy:2"}])
        };
        let mut filler = Map::new();
        for i in 0..20 {
            filler.insert(format!("l{i:02}"), json!("x"));
        }
        let obj = |image: &str, cpu: &str| {
            json!({"apiVersion":"apps/v1","kind":"Deployment",
                "metadata":{"name":"web","labels": filler},
                "spec":{"replicas": 2, "template":{"spec":{"containers": containers(image, cpu)}}}})
        };
        let d = desired(obj("nginx:1.28", "2"));
        let live = obj("nginx:1.27", "2");
        let mut report = assess(Some(&d), Some(&live)).unwrap();
        report.changes[0].manager = Some("kubectl-set".into());
        let text = object_diff(Some(&d), Some(&live), &report.changes);
        let hunks = text.hunks(3);
        assert_eq!(hunks.len(), 1);
        let lines = text.unified(3, &report.changes);
        let title = &lines[1].text;
        assert_eq!(
            title,
            &format!(
                "@@ -{a},7 +{a},7 @@ /spec/template/spec/containers[name=web]/image by kubectl-set",
                a = hunks[0].old_start + 1
            )
        );
        let removed = lines
            .iter()
            .find(|l| l.kind == DiffLineKind::Removed)
            .unwrap();
        let marked: Vec<&str> = removed
            .emphasis
            .iter()
            .map(|r| &removed.text[r.clone()])
            .collect();
        assert_eq!(marked, ["27"], "{removed:?}");
        // the whole document is one hunk, every line in it
        let all = text.hunks(usize::MAX);
        assert_eq!((all.len(), all[0].rows.clone()), (1, 0..text.rows().len()));
        assert_eq!(text.unchanged() + 2, text.rows().len());
    }
}
