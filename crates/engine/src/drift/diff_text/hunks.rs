//! Hunks: changed rows with context around them, and which drift change a line belongs to.

use super::{DiffText, RowKind};
use crate::model::FieldChange;
use std::ops::Range;

/// Changed rows with up to `context` unchanged rows on either side; hunks closer than twice
/// the context are one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    pub rows: Range<usize>,
    /// Where the hunk starts on each side (0-based line) and how many of its lines each has.
    pub old_start: usize,
    pub old_len: usize,
    pub new_start: usize,
    pub new_len: usize,
}

impl DiffText {
    /// The hunks at `context` lines (`usize::MAX` for the whole document as one hunk).
    pub fn hunks(&self, context: usize) -> Vec<Hunk> {
        let mut ranges: Vec<Range<usize>> = Vec::new();
        for (block, _) in &self.blocks {
            let start = block.start.saturating_sub(context);
            let end = block.end.saturating_add(context).min(self.rows.len());
            match ranges.last_mut() {
                Some(last) if last.end >= start => last.end = end,
                _ => ranges.push(start..end),
            }
        }
        // line numbers: how many lines of each side come before each hunk
        let (mut old, mut new, mut at) = (0, 0, 0);
        ranges
            .into_iter()
            .map(|rows| {
                for row in &self.rows[at..rows.start] {
                    old += usize::from(row.old.is_some());
                    new += usize::from(row.new.is_some());
                }
                let inside = &self.rows[rows.clone()];
                let old_len = inside.iter().filter(|r| r.old.is_some()).count();
                let new_len = inside.iter().filter(|r| r.new.is_some()).count();
                let hunk = Hunk {
                    old_start: old,
                    old_len,
                    new_start: new,
                    new_len,
                    rows: rows.clone(),
                };
                (old, new, at) = (old + old_len, new + new_len, rows.end);
                hunk
            })
            .collect()
    }

    /// How many rows are unchanged.
    pub fn unchanged(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.kind == RowKind::Equal)
            .count()
    }
}

/// The drift change a line of field `path` belongs to: the change at that field, else the
/// nearest one above it (a changed map or list the line is inside), else the first one below
/// it (a line that opens a changed field, like `resources:`).
pub fn change_for<'c>(path: &str, changes: &'c [FieldChange]) -> Option<&'c FieldChange> {
    let above = changes
        .iter()
        .filter(|c| within(path, &c.path))
        .max_by_key(|c| c.path.len());
    above.or_else(|| changes.iter().find(|c| within(&c.path, path)))
}

/// The longest path both `a` and `b` are within (`/a/b` and `/a/bc` share `/a`).
pub(super) fn shared_path<'p>(a: &'p str, b: &str) -> &'p str {
    let n = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    let boundary = |s: &str| s.len() == n || s[n..].starts_with(['/', '[']);
    if a.is_char_boundary(n) && boundary(a) && boundary(b) {
        return &a[..n];
    }
    let end = a[..n].rfind(['/', '[']).unwrap_or(0);
    &a[..end]
}

/// `path` is `outer` or a field inside it (`/a/b` is inside `/a`, not inside `/a/bc`).
fn within(path: &str, outer: &str) -> bool {
    path.strip_prefix(outer)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '[']))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(path: &str, manager: &str) -> FieldChange {
        FieldChange {
            path: path.into(),
            desired: None,
            live: None,
            manager: Some(manager.into()),
            time: None,
        }
    }

    #[test]
    fn shared_paths_end_at_a_field() {
        let cases = [
            ("/spec/replicas", "/spec/replicas", "/spec/replicas"),
            ("/spec/a", "/spec/b", "/spec"),
            ("/spec/ab", "/spec/a", "/spec"),
            ("/spec/a/x", "/spec/a", "/spec/a"),
            ("/spec/a", "/spec/a[name=x]/y", "/spec/a"),
            ("/apiVersion", "/kind", ""),
        ];
        for (a, b, want) in cases {
            assert_eq!(shared_path(a, b), want, "{a} {b}");
            assert_eq!(shared_path(b, a), want, "{b} {a}");
        }
    }

    #[test]
    fn a_line_belongs_to_its_field_or_the_nearest_around_it() {
        let changes = [
            change("/spec/replicas", "scale"),
            change("/spec/template/spec/containers[name=web]/env", "edit"),
            change(
                "/spec/template/spec/containers[name=web]/resources/limits/cpu",
                "ssa",
            ),
        ];
        let cases = [
            ("/spec/replicas", Some("scale")),
            ("/spec/replicasX", None),
            (
                "/spec/template/spec/containers[name=web]/env[name=A]/value",
                Some("edit"),
            ),
            (
                "/spec/template/spec/containers[name=web]/resources",
                Some("ssa"),
            ),
            ("/metadata/labels", None),
        ];
        for (path, want) in cases {
            let got = change_for(path, &changes).and_then(|c| c.manager.as_deref());
            assert_eq!(got, want, "{path}");
        }
    }
}
