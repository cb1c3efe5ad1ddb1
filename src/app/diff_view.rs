//! The diff pane's text, worked out off the input path when the selection or either side of the
//! selected object changes, and kept here so drawing a frame never diffs anything.

use super::msg::Cmd;
use super::state::State;
use kdrift_engine::drift::{DiffText, object_diff, server_diff};
use kdrift_engine::model::{Desired, DriftStatus, FieldChange, ResourceKey};
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
}

impl DiffRequest {
    /// Bounded in size and time (5 000 lines, a 5 ms deadline).
    pub fn compute(&self) -> DiffText {
        match (&self.server, &self.live) {
            (Some(server), Some(live)) => server_diff(server, live, &self.changes),
            _ => object_diff(self.desired.as_ref(), self.live.as_deref(), &self.changes),
        }
    }
}

/// The two sides a text was asked for. A new commit or watch event brings a new `Arc`, so
/// "changed" is a pointer comparison; holding them keeps an address from being reused.
#[derive(Debug, Clone)]
struct Sides {
    key: ResourceKey,
    desired: Option<Arc<Value>>,
    live: Option<Arc<Value>>,
    server: Option<Arc<Value>>,
}

impl Sides {
    fn same(&self, other: &Sides) -> bool {
        fn ptr(a: &Option<Arc<Value>>, b: &Option<Arc<Value>>) -> bool {
            match (a, b) {
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                (None, None) => true,
                _ => false,
            }
        }
        self.key == other.key
            && ptr(&self.desired, &other.desired)
            && ptr(&self.live, &other.live)
            && ptr(&self.server, &other.server)
    }
}

#[derive(Debug, Default)]
pub struct DiffView {
    asked: Option<Sides>,
    /// The newest text that arrived, and the object it is of. While a newer version of the same
    /// object is being diffed, the older text stays on screen rather than flashing empty.
    text: Option<(ResourceKey, DiffText)>,
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

    pub(super) fn arrived(&mut self, text: DiffText) {
        if let Some(asked) = &self.asked {
            self.text = Some((asked.key.clone(), text));
        }
    }
}

/// Asks for the selected row's diff text when it is not the one already asked for.
pub(super) fn refresh(state: &mut State, cmds: &mut Vec<Cmd>) {
    let Some(sides) = wanted(state) else {
        if state.diff.asked.take().is_some() {
            state.jobs.diff.cancel();
            // an older version's text must not come back if the object drifts again
            state.diff.text = None;
        }
        return;
    };
    if state.diff.asked.as_ref().is_some_and(|a| a.same(&sides)) {
        return;
    }
    let request = DiffRequest {
        key: sides.key.clone(),
        desired: state.inv.desired.get(&sides.key).cloned(),
        live: sides.live.clone(),
        changes: state.inv.verdicts[&sides.key].changes.clone(),
        server: sides.server.clone(),
    };
    state.diff.asked = Some(sides);
    let ticket = state.jobs.diff.issue();
    cmds.push(Cmd::Diff { ticket, request });
}

/// Only rows whose pane shows a diff need one: not in-sync rows, not errors.
fn wanted(state: &State) -> Option<Sides> {
    let key = state.selected_key()?;
    let report = state.inv.verdicts.get(key)?;
    if !shows_diff(report.status) {
        return None;
    }
    Some(Sides {
        key: key.clone(),
        desired: state.inv.desired.get(key).map(|d| d.manifest.clone()),
        live: state.inv.live().get(key).cloned(),
        server: state.inv.server_object(key).cloned(),
    })
}
