//! Word emphasis: within a changed line and its counterpart, which words changed. Lines that
//! have little in common are left whole, since marking all of a line tells nothing.

use super::{DiffText, RowKind};
use similar::{Algorithm, DiffOp, capture_diff_slices_deadline};
use std::ops::Range;
use std::time::Instant;

/// Pairs of lines compared at most, from the top (several screenfuls).
const MAX_PAIRS: usize = 200;
/// Lines longer than this are not split into words.
const MAX_LINE: usize = 1_000;
/// Below this share of unchanged text, a line is shown as changed whole.
const MIN_COMMON: f32 = 0.4;

/// Byte ranges within one line.
type Spans = Vec<Range<u32>>;

/// Pairs the i-th removed line of each change block with its i-th added line and records the
/// changed words of both, until `deadline` or `MAX_PAIRS`.
pub(super) fn emphasize(text: &mut DiffText, deadline: Instant) {
    let mut found = Vec::new();
    let mut pairs = 0;
    let blocks: Vec<_> = text.blocks().collect();
    'blocks: for block in blocks {
        let removed: Vec<usize> = block
            .clone()
            .filter(|&i| text.rows[i].kind == RowKind::Removed)
            .collect();
        let added: Vec<usize> = block
            .filter(|&i| text.rows[i].kind == RowKind::Added)
            .collect();
        for (&r, &a) in removed.iter().zip(&added) {
            if pairs >= MAX_PAIRS || Instant::now() > deadline {
                break 'blocks;
            }
            pairs += 1;
            if let Some((old, new)) = changed_words(text.text(r), text.text(a), deadline) {
                found.push((r as u32, old));
                found.push((a as u32, new));
            }
        }
    }
    found.sort_by_key(|(row, _)| *row);
    text.emphasis = found;
}

/// The changed byte ranges of `old` and of `new`, or `None` when the two are mostly different.
fn changed_words(old: &str, new: &str, deadline: Instant) -> Option<(Spans, Spans)> {
    if old.len() > MAX_LINE || new.len() > MAX_LINE {
        return None;
    }
    let (a, b) = (tokens(old), tokens(new));
    let ops = capture_diff_slices_deadline(
        Algorithm::Myers,
        &words(old, &a),
        &words(new, &b),
        Some(deadline),
    );
    let (mut on_old, mut on_new, mut common) = (Vec::new(), Vec::new(), 0);
    let span = |t: &[Range<usize>], at: usize, len: usize| {
        (t[at].start as u32)..(t[at + len - 1].end as u32)
    };
    for op in &ops {
        match *op {
            DiffOp::Equal { old_index, len, .. } => {
                common += a[old_index..old_index + len]
                    .iter()
                    .filter(|r| !old[(*r).clone()].trim().is_empty())
                    .map(|r| r.len())
                    .sum::<usize>();
            }
            DiffOp::Delete {
                old_index, old_len, ..
            } => push(&mut on_old, span(&a, old_index, old_len)),
            DiffOp::Insert {
                new_index, new_len, ..
            } => push(&mut on_new, span(&b, new_index, new_len)),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                push(&mut on_old, span(&a, old_index, old_len));
                push(&mut on_new, span(&b, new_index, new_len));
            }
        }
    }
    let longest = old.trim().len().max(new.trim().len()).max(1);
    (common as f32 / longest as f32 >= MIN_COMMON).then_some((on_old, on_new))
}

/// Adjacent ranges read as one.
fn push(out: &mut Vec<Range<u32>>, r: Range<u32>) {
    match out.last_mut() {
        Some(last) if last.end == r.start => last.end = r.end,
        _ => out.push(r),
    }
}

fn words<'t>(text: &'t str, tokens: &[Range<usize>]) -> Vec<&'t str> {
    tokens.iter().map(|r| &text[r.clone()]).collect()
}

/// Runs of letters and digits, runs of spaces, and every other character on its own.
fn tokens(text: &str) -> Vec<Range<usize>> {
    #[derive(PartialEq, Clone, Copy)]
    enum Class {
        Word,
        Space,
        Other,
    }
    let class = |c: char| {
        if c.is_alphanumeric() || c == '_' {
            Class::Word
        } else if c.is_whitespace() {
            Class::Space
        } else {
            Class::Other
        }
    };
    let mut out: Vec<Range<usize>> = Vec::new();
    let mut last = None;
    for (i, c) in text.char_indices() {
        let k = class(c);
        match out.last_mut() {
            Some(r) if last == Some(k) && k != Class::Other => r.end = i + c.len_utf8(),
            _ => out.push(i..i + c.len_utf8()),
        }
        last = Some(k);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn marked(text: &str, ranges: &[Range<u32>]) -> Vec<String> {
        ranges
            .iter()
            .map(|r| text[r.start as usize..r.end as usize].to_string())
            .collect()
    }

    #[test]
    fn the_changed_words_and_nothing_else() {
        let soon = Instant::now() + Duration::from_secs(1);
        let old = "        image: registry.example/api:1.27";
        let new = "        image: registry.example/api:1.28";
        let (o, n) = changed_words(old, new, soon).unwrap();
        assert_eq!(
            (marked(old, &o), marked(new, &n)),
            (vec!["27".to_string()], vec!["28".to_string()])
        );
        // two lines with nothing in common but their indentation: whole lines, no emphasis
        assert_eq!(changed_words("  a: 1", "  zzz: qqq", soon), None);
    }
}
