//! The resources filter over any number of rows: which rows match is worked out once per filter
//! text and change of the rows (`Inventory::rows_stamp`: a row came or went, or a status
//! changed; only `row_set_stamp` when no status label holds the text) and kept as their positions, so a frame, a key press, a count or a watch event that
//! changes no status never matches every row again. Typing one more character only looks at
//! the rows the shorter text matched. Matching builds no string per row.

use kdrift_engine::inventory::{Inventory, Row, Rows};
use kdrift_engine::model::{DriftReport, DriftStatus};
use memchr::memmem::Finder;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

/// The last filter's matches: positions in `Inventory::rows()`.
#[derive(Debug, Default)]
pub struct Filtered(Mutex<Matches>);

#[derive(Debug, Default)]
struct Matches {
    /// Lower-cased filter text they are for.
    needle: String,
    stamp: u64,
    set_stamp: u64,
    rows: usize,
    positions: Arc<[u32]>,
}

impl Filtered {
    /// The positions of the rows `filter` matches, current for `inv`.
    pub fn positions(&self, inv: &Inventory, filter: &str) -> Arc<[u32]> {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let needle = filter.to_lowercase();
        let same_rows = m.set_stamp == inv.row_set_stamp() && m.rows == inv.row_count();
        // a status that changed alone changes no match when no status says the text (the probe
        // of a name under 100k rows whose status flips is not worked out again per flip)
        let by_status = DriftStatus::ALL.iter().any(|s| s.label().contains(&needle));
        let current = same_rows && (m.stamp == inv.rows_stamp() || !by_status);
        if current && m.needle == needle {
            m.stamp = inv.rows_stamp();
            return m.positions.clone();
        }
        let mut text = String::new();
        let finder = Finder::new(needle.as_bytes());
        // the app's name too, when the repo declares apps (a lookup per row, only then)
        let apps = inv.has_apps();
        let mut test = |row: Row<'_>, report: &DriftReport| {
            matches(row, report, &needle, &finder, &mut text)
                || (apps
                    && inv
                        .app_of(row)
                        .is_some_and(|a| a.to_lowercase().contains(&needle)))
        };
        // a longer text matches a subset of what the shorter one did: only those are tried
        let positions: Arc<[u32]> = if current && !m.needle.is_empty() && needle.contains(&m.needle)
        {
            let mut rows = inv.rows();
            let mut at = 0usize;
            let mut out = Vec::new();
            for &p in m.positions.iter() {
                let Some((row, report)) = rows.nth(p as usize - at) else {
                    break;
                };
                at = p as usize + 1;
                if test(row, report) {
                    out.push(p);
                }
            }
            out.into()
        } else {
            inv.rows()
                .enumerate()
                .filter(|(_, (row, report))| test(*row, report))
                .map(|(i, _)| i as u32)
                .collect()
        };
        *m = Matches {
            needle,
            stamp: inv.rows_stamp(),
            set_stamp: inv.row_set_stamp(),
            rows: inv.row_count(),
            positions: positions.clone(),
        };
        positions
    }
}

/// Whether `row` matches the lower-cased `needle` (`finder` searches for it): its
/// `namespace/Kind/name` or its status, compared without case (its app is tried by the caller).
/// `text` is a buffer reused across rows; an object's is put together without `fmt`, as this
/// runs for every row on the first key typed.
fn matches(
    row: Row<'_>,
    report: &DriftReport,
    needle: &str,
    finder: &Finder<'_>,
    text: &mut String,
) -> bool {
    if report.status.label().contains(needle) {
        return true;
    }
    text.clear();
    match row {
        Row::Object(k) => {
            if let Some(ns) = &k.namespace {
                text.push_str(ns);
                text.push('/');
            }
            text.push_str(&k.kind);
            text.push('/');
            text.push_str(&k.name);
        }
        Row::Manifest(_) => {
            let _ = write!(text, "{row}");
        }
    }
    if text.is_ascii() {
        text.make_ascii_lowercase();
        finder.find(text.as_bytes()).is_some()
    } else {
        text.to_lowercase().contains(needle)
    }
}

/// Rows in display order: all of them, or those at `positions` (ascending after a filter, in
/// any order after a sort). A jump ahead (`nth`, `skip`) or back
/// seeks (`Inventory::rows_from`) instead of stepping over the rows between, so the selected row
/// of 100k, or a window far down, is reached in a lookup and a few steps.
pub struct Visible<'a> {
    inv: &'a Inventory,
    /// The rows from position `at` on, once a row has been asked for.
    rows: Option<Rows<'a>>,
    at: usize,
    only: Option<(Arc<[u32]>, usize)>,
}

impl<'a> Visible<'a> {
    pub fn new(inv: &'a Inventory, only: Option<Arc<[u32]>>) -> Self {
        Self {
            inv,
            rows: None,
            at: 0,
            only: only.map(|p| (p, 0)),
        }
    }
}

/// Further than this ahead, a jump seeks rather than steps.
const STEP_AT_MOST: usize = 64;

impl<'a> Iterator for Visible<'a> {
    type Item = (Row<'a>, &'a DriftReport);

    fn next(&mut self) -> Option<Self::Item> {
        self.nth(0)
    }

    fn nth(&mut self, n: usize) -> Option<Self::Item> {
        // the position in all rows of the one wanted
        let want = match &mut self.only {
            None => self.at + n,
            Some((positions, k)) => {
                *k += n;
                let p = *positions.get(*k)? as usize;
                *k += 1;
                p
            }
        };
        // a sorted order goes back as well as forth: behind, it seeks too
        let ahead = want.checked_sub(self.at);
        let rows = match (&mut self.rows, ahead) {
            (Some(rows), Some(ahead)) if ahead <= STEP_AT_MOST => {
                self.at = want + 1;
                return rows.nth(ahead);
            }
            _ => self.rows.insert(self.inv.rows_from(want)),
        };
        self.at = want + 1;
        rows.next()
    }
}
