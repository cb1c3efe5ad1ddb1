//! The diff pane's text, worked out off the input path when the selection or either side of the
//! selected object changes, and kept here so drawing a frame never diffs anything; and the
//! pane's layout of it (collapsed or expanded context, unified or side by side), laid out when
//! the text or the layout changes, so a frame only styles the lines it shows.

use super::msg::Cmd;
use super::state::State;
use kdrift_engine::drift::{CONTEXT, DiffText, RowKind, Shape, object_diff_shaped, server_diff};
use kdrift_engine::model::{
    Desired, DriftReport, DriftStatus, Extra, FieldChange, Fight, GitOpsOwner, Ignored, ResourceKey,
};
use serde_json::Value;
use std::sync::Arc;

/// What a diff text is made from, handed to the job that computes it.
#[derive(Debug, Clone, PartialEq)]
pub struct DiffRequest {
    pub key: ResourceKey,
    pub desired: Option<Desired>,
    pub live: Option<Arc<Value>>,
    pub changes: Vec<FieldChange>,
    /// What the server's dry-run would make of it, when the server decided the verdict.
    pub server: Option<Arc<Value>>,
    /// The kind's API schema: list items are named as the compare names them.
    pub shape: Option<Arc<Shape>>,
}

impl DiffRequest {
    /// Bounded in size and time (5 000 lines a side, a 5 ms budget).
    pub fn compute(&self) -> DiffText {
        let shape = self.shape.as_deref();
        match (&self.server, &self.live) {
            (Some(server), Some(live)) => server_diff(server, live, &self.changes, shape),
            _ => object_diff_shaped(
                self.desired.as_ref(),
                self.live.as_deref(),
                &self.changes,
                shape,
            ),
        }
    }
}

/// The two sides a text was asked for. A new commit or watch event brings a new `Arc`, so
/// "changed" is a pointer comparison; holding them keeps an address from being reused.
#[derive(Debug, Clone)]
struct Sides {
    key: ResourceKey,
    desired: Option<kdrift_engine::manifest::Manifest>,
    /// The live object as kept (parsed only when a text is asked for).
    live: Option<Arc<kdrift_engine::inventory::LiveObject>>,
    server: Option<Arc<Value>>,
}

impl Sides {
    fn same(&self, other: &Sides) -> bool {
        fn ptr<T>(a: &Option<Arc<T>>, b: &Option<Arc<T>>) -> bool {
            match (a, b) {
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                (None, None) => true,
                _ => false,
            }
        }
        let same_desired = match (&self.desired, &other.desired) {
            (Some(a), Some(b)) => kdrift_engine::manifest::Manifest::same(a, b),
            (None, None) => true,
            _ => false,
        };
        self.key == other.key
            && same_desired
            && ptr(&self.live, &other.live)
            && ptr(&self.server, &other.server)
    }
}

#[derive(Debug)]
pub struct DiffView {
    asked: Option<Sides>,
    /// The newest text that arrived, and the object it is of. While a newer version of the same
    /// object is being diffed, the older text stays on screen rather than flashing empty.
    text: Option<(ResourceKey, DiffText)>,
    /// Old and new side by side rather than one above the other.
    pub split: bool,
    /// Every unchanged line shown, not only those around a change.
    pub expanded: bool,
    /// Context lines around a change: fewer in a short pane, so the change stays in view.
    context: usize,
    /// The text laid out for the current layout.
    body: Vec<BodyLine>,
}

impl Default for DiffView {
    fn default() -> Self {
        Self {
            asked: None,
            text: None,
            split: false,
            expanded: false,
            context: CONTEXT,
            body: Vec::new(),
        }
    }
}

/// Panes shorter than this (borders included) show one line of context rather than three.
const SHORT_PANE: u16 = 14;

/// One line of the diff body, referring into the text rather than holding any of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyLine {
    /// What is compared with what.
    Header,
    /// A hunk opens: its first change's field and who wrote it (by index into the text's
    /// blocks), and how many unchanged lines above it are left out.
    Hunk { block: Option<usize>, hidden: usize },
    /// Before each further change in a hunk: its field, and who wrote it.
    Label(usize),
    /// Unchanged lines left out.
    Gap(usize),
    /// A row of the unified view.
    Row(usize),
    /// A side-by-side line: an old row on the left, a new one on the right (either may be
    /// absent, or both the same unchanged row).
    Pair(Option<usize>, Option<usize>),
    /// What was cut, by index into the text's notes.
    Note(usize),
}

/// Lays `text` out: hunks with `context` lines, each opened by a line naming its first change's
/// field (and how many unchanged lines it leaves out above), a label before each further change
/// in it; with `usize::MAX` every line, a label right before each change; in `split`, each change's removed and added rows
/// paired. A single unchanged line is shown rather than announced.
pub fn layout(text: &DiffText, context: usize, split: bool) -> Vec<BodyLine> {
    let mut out = vec![BodyLine::Header];
    let rows = text.rows();
    let row = |i: usize| {
        if split {
            BodyLine::Pair(Some(i), Some(i))
        } else {
            BodyLine::Row(i)
        }
    };
    let mut shown = 0;
    for hunk in text.hunks(context) {
        let start = if hunk.rows.start == shown + 1 {
            shown
        } else {
            hunk.rows.start
        };
        // all lines: one hunk, so every change is labelled where it is instead
        let all = context == usize::MAX;
        if !all {
            let mut blocks = (start..hunk.rows.end).filter_map(|i| text.block_of(i));
            out.push(BodyLine::Hunk {
                block: blocks.next(),
                hidden: start - shown,
            });
        }
        let mut i = start;
        let mut first = !all;
        while i < hunk.rows.end {
            if rows[i].kind == RowKind::Equal {
                out.push(row(i));
                i += 1;
                continue;
            }
            // one change: its removed rows, then its added rows
            if !first && let Some(block) = text.block_of(i) {
                out.push(BodyLine::Label(block));
            }
            first = false;
            let end = (i..hunk.rows.end)
                .find(|&j| rows[j].kind == RowKind::Equal)
                .unwrap_or(hunk.rows.end);
            if split {
                let removed: Vec<usize> = (i..end)
                    .filter(|&j| rows[j].kind == RowKind::Removed)
                    .collect();
                let added: Vec<usize> = (i..end)
                    .filter(|&j| rows[j].kind == RowKind::Added)
                    .collect();
                for k in 0..removed.len().max(added.len()) {
                    out.push(BodyLine::Pair(
                        removed.get(k).copied(),
                        added.get(k).copied(),
                    ));
                }
            } else {
                out.extend((i..end).map(BodyLine::Row));
            }
            i = end;
        }
        shown = hunk.rows.end;
    }
    match rows.len().saturating_sub(shown) {
        _ if shown == 0 => {}
        0 => {}
        1 => out.push(row(shown)),
        n => out.push(BodyLine::Gap(n)),
    }
    out.extend((0..text.notes().len()).map(BodyLine::Note));
    out
}

/// The pane's lines above the diff body, in order: which stage decided, why not confirmed, the
/// changed fields, the ignored ones, and what other managers added.
#[derive(Debug, Clone, Copy)]
pub enum Preamble<'r> {
    Stage(&'static str),
    /// A GitOps tool reconciles it: converging directly starts a tug of war.
    Owner(&'r GitOpsOwner),
    Fight(&'r Fight),
    Message(&'r str),
    Change(&'r FieldChange),
    Ignored(&'r Ignored),
    ExtrasTitle,
    Extra(&'r Extra),
}

pub fn preamble(report: &DriftReport) -> Vec<Preamble<'_>> {
    let mut out = Vec::new();
    let stage = match (report.stage, report.pending, report.status) {
        (kdrift_engine::model::Stage::Server, _, DriftStatus::Modified) => {
            Some("confirmed by a server-side dry-run")
        }
        (kdrift_engine::model::Stage::Local, true, _) => {
            Some("local compare; the server's dry-run is on its way…")
        }
        _ => None,
    };
    out.extend(stage.map(Preamble::Stage));
    out.extend(report.owner.as_ref().map(Preamble::Owner));
    out.extend(report.fights.iter().map(Preamble::Fight));
    out.extend(report.message.as_deref().map(Preamble::Message));
    out.extend(report.changes.iter().map(Preamble::Change));
    out.extend(report.ignored.iter().map(Preamble::Ignored));
    if !report.extras.is_empty() {
        out.push(Preamble::ExtrasTitle);
        out.extend(report.extras.iter().map(Preamble::Extra));
    }
    out
}

/// Whether a row of this status shows a diff text: in-sync rows and errors have none.
pub fn shows_diff(status: DriftStatus) -> bool {
    !matches!(status, DriftStatus::InSync | DriftStatus::Error)
}

impl DiffView {
    /// Asked for an object whose text has not arrived yet (nothing of it to show meanwhile).
    pub fn waiting(&self) -> bool {
        self.asked
            .as_ref()
            .is_some_and(|a| self.text_for(&a.key).is_none())
    }

    /// The text to show for `key`, if one has arrived.
    pub fn text_for(&self, key: &ResourceKey) -> Option<&DiffText> {
        self.text.as_ref().filter(|(k, _)| k == key).map(|(_, t)| t)
    }

    /// The body laid out for the text on screen (empty without one).
    pub fn body(&self) -> &[BodyLine] {
        &self.body
    }

    /// The text on screen, whichever object it is of.
    pub fn shown(&self) -> Option<&DiffText> {
        self.text.as_ref().map(|(_, t)| t)
    }

    pub(super) fn arrived(&mut self, text: DiffText) {
        if let Some(asked) = &self.asked {
            self.text = Some((asked.key.clone(), text));
            self.relayout();
        }
    }

    pub(super) fn toggle_split(&mut self) {
        self.split = !self.split;
        self.relayout();
    }

    pub(super) fn toggle_expanded(&mut self) {
        self.expanded = !self.expanded;
        self.relayout();
    }

    /// Sizes the context to the pane: `height` rows, borders included.
    pub fn fit(&mut self, height: u16) {
        let context = if height < SHORT_PANE { 1 } else { CONTEXT };
        if context != self.context {
            self.context = context;
            self.relayout();
        }
    }

    fn relayout(&mut self) {
        let context = if self.expanded {
            usize::MAX
        } else {
            self.context
        };
        self.body = match &self.text {
            Some((_, text)) => layout(text, context, self.split),
            None => Vec::new(),
        };
    }

    /// Where the body's changes start, counted from its first line.
    pub fn changes_at(&self) -> impl Iterator<Item = usize> + '_ {
        self.body
            .iter()
            .enumerate()
            .filter(|(_, l)| matches!(l, BodyLine::Hunk { .. } | BodyLine::Label(_)))
            .map(|(i, _)| i)
    }
}

/// Asks for the selected row's diff text when it is not the one already asked for.
pub(super) fn refresh(state: &mut State, cmds: &mut Vec<Cmd>) {
    let Some(sides) = wanted(state) else {
        if state.diff.asked.take().is_some() {
            state.jobs.diff.cancel();
            // an older version's text must not come back if the object drifts again
            state.diff.text = None;
            state.diff.relayout();
        }
        return;
    };
    if state.diff.asked.as_ref().is_some_and(|a| a.same(&sides)) {
        return;
    }
    let request = DiffRequest {
        key: sides.key.clone(),
        desired: state.inv.desired.get(&sides.key).cloned(),
        live: sides.live.as_ref().map(|l| Arc::new(l.value())),
        changes: state.inv.verdicts[&sides.key].changes.clone(),
        server: sides.server.clone(),
        shape: state.inv.shape(&sides.key.gvk()).cloned(),
    };
    state.diff.asked = Some(sides);
    let ticket = state.jobs.diff.issue();
    cmds.push(Cmd::Diff { ticket, request });
}

/// Only rows whose pane shows a diff need one: not in-sync rows, not errors.
fn wanted(state: &State) -> Option<Sides> {
    let key = state.selected_key()?;
    let report = state.inv.verdicts.get(key)?;
    if !shows_diff(report.status) || state.inv.is_listing(key) {
        return None;
    }
    Some(Sides {
        key: key.clone(),
        desired: state.inv.desired.get(key).map(|d| d.manifest.clone()),
        live: state.inv.live().get(key).cloned(),
        server: state.inv.server_object(key).cloned(),
    })
}
