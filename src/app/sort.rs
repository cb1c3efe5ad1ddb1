//! The resources table's order: the inventory's own (namespace, kind, name) or sorted by status,
//! kind, name or age (`o` cycles, `O` reverses). A sorted order is worked out once per sort,
//! filter result and change of the rows (`Inventory::rows_stamp`; by kind or name only a row
//! coming or going, `row_set_stamp`) and kept as row positions, so frames, key presses and watch
//! events that change no status never sort again; the window on
//! screen then reaches each of its rows by position (`Inventory::rows_from`).

use kdrift_engine::inventory::{Inventory, Row};
use kdrift_engine::model::{DriftReport, DriftStatus};
use std::cmp::Ordering;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortBy {
    /// Namespace, kind, name: the inventory's order, grouped as the table shows it.
    #[default]
    Place,
    /// What needs a look first: errors, modified, missing, orphans, skipped, then in sync.
    Status,
    /// Kind, then namespace and name.
    Kind,
    /// Name, then namespace and kind.
    Name,
    /// Newest live object first (by `creationTimestamp`); rows with no live object last.
    Age,
}

impl SortBy {
    /// The next order `o` goes to.
    pub fn next(self) -> Self {
        match self {
            SortBy::Place => SortBy::Status,
            SortBy::Status => SortBy::Kind,
            SortBy::Kind => SortBy::Name,
            SortBy::Name => SortBy::Age,
            SortBy::Age => SortBy::Place,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortBy::Place => "namespace",
            SortBy::Status => "status",
            SortBy::Kind => "kind",
            SortBy::Name => "name",
            SortBy::Age => "age",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sort {
    pub by: SortBy,
    pub reverse: bool,
}

impl Sort {
    /// The inventory's own order: no permutation to keep.
    pub fn is_natural(self) -> bool {
        self == Sort::default()
    }

    /// How the title says it ("sort: status ↑"), `None` for the natural order.
    pub fn title(self) -> Option<String> {
        (!self.is_natural()).then(|| {
            let arrow = if self.reverse { "↑" } else { "↓" };
            format!("sort: {} {arrow}", self.by.label())
        })
    }
}

/// Status order for `SortBy::Status`: what needs a look first.
fn status_rank(status: DriftStatus) -> u8 {
    match status {
        DriftStatus::Error => 0,
        DriftStatus::Modified => 1,
        DriftStatus::Missing => 2,
        DriftStatus::Orphan => 3,
        DriftStatus::Skipped => 4,
        DriftStatus::InSync => 5,
    }
}

/// The last sorted order: positions in `Inventory::rows()`, in display order.
#[derive(Debug, Default)]
pub struct Sorted(Mutex<Kept>);

#[derive(Debug, Default)]
struct Kept {
    sort: Sort,
    stamp: u64,
    rows: usize,
    /// The filter's matches it was sorted from (`None`: every row), by identity.
    from: Option<Arc<[u32]>>,
    positions: Option<Arc<[u32]>>,
}

/// One row's sort key, borrowed from the inventory.
struct Key<'a> {
    position: u32,
    rank: u8,
    kind: &'a str,
    namespace: &'a str,
    name: &'a str,
    created: Option<i64>,
}

impl Sorted {
    /// The rows in `sort`'s order: `from` (the filter's matches, ascending) or every row, as
    /// positions; `None` when the order is the inventory's own and nothing is filtered.
    pub fn positions(
        &self,
        inv: &Inventory,
        sort: Sort,
        from: Option<Arc<[u32]>>,
    ) -> Option<Arc<[u32]>> {
        if sort.is_natural() {
            return from;
        }
        let mut kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let same_from = match (&kept.from, &from) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        // by kind or name, the order moves only when a row comes or goes (a status that flips
        // under load does not sort 100k rows again); by status or age, with any change of a row
        let stamp = match sort.by {
            SortBy::Kind | SortBy::Name => inv.row_set_stamp(),
            _ => inv.rows_stamp(),
        };
        if kept.positions.is_some()
            && same_from
            && kept.sort == sort
            && kept.stamp == stamp
            && kept.rows == inv.row_count()
        {
            return kept.positions.clone();
        }
        let positions = sorted(inv, sort, from.as_deref());
        *kept = Kept {
            sort,
            stamp,
            rows: inv.row_count(),
            from,
            positions: Some(positions.clone()),
        };
        Some(positions)
    }
}

fn sorted(inv: &Inventory, sort: Sort, from: Option<&[u32]>) -> Arc<[u32]> {
    let key =
        |position: usize, row, report: &DriftReport| sort_key(inv, sort.by, position, row, report);
    let mut keys: Vec<Key<'_>> = match from {
        None => inv
            .rows()
            .enumerate()
            .map(|(i, (row, report))| key(i, row, report))
            .collect(),
        Some(positions) => {
            // one pass over the rows, taking the matches as it meets them (positions ascend)
            let mut wanted = positions.iter().peekable();
            let mut out = Vec::with_capacity(positions.len());
            for (i, (row, report)) in inv.rows().enumerate() {
                let Some(&&p) = wanted.peek() else { break };
                if p as usize == i {
                    out.push(key(i, row, report));
                    wanted.next();
                }
            }
            out
        }
    };
    let order = |a: &Key<'_>, b: &Key<'_>| -> Ordering {
        let by = match sort.by {
            SortBy::Place => Ordering::Equal,
            SortBy::Status => a.rank.cmp(&b.rank),
            SortBy::Kind => (a.kind, a.namespace, a.name).cmp(&(b.kind, b.namespace, b.name)),
            SortBy::Name => (a.name, a.namespace, a.kind).cmp(&(b.name, b.namespace, b.kind)),
            // newest first; nothing live (missing, manifest rows) after everything live
            SortBy::Age => match (a.created, b.created) {
                (Some(x), Some(y)) => y.cmp(&x),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            },
        };
        // ties keep the inventory's order, whichever way the sort goes
        let by = if sort.reverse { by.reverse() } else { by };
        by.then(a.position.cmp(&b.position))
    };
    keys.sort_unstable_by(order);
    keys.into_iter().map(|k| k.position).collect()
}

/// A row's sort key (its live object's age looked up only when sorting by age).
fn sort_key<'a>(
    inv: &'a Inventory,
    by: SortBy,
    position: usize,
    row: Row<'a>,
    report: &DriftReport,
) -> Key<'a> {
    let (namespace, name) = match row {
        Row::Object(k) => (k.namespace.as_deref().unwrap_or(""), k.name.as_str()),
        Row::Manifest(m) => ("", m.source.as_str()),
    };
    Key {
        position: position as u32,
        rank: status_rank(report.status),
        kind: row.kind(),
        namespace,
        name,
        created: (by == SortBy::Age)
            .then(|| row.object())
            .flatten()
            .and_then(|k| inv.live().get(k))
            .and_then(|o| o.created()),
    }
}
