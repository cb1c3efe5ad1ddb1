//! Moving about the diff pane: scrolling within its lines, jumping from change to change, and
//! switching layouts without losing the change in view.

use super::diff_view::preamble;
use super::state::State;

/// How many lines the diff pane holds for the selected row (its preamble, then the body).
fn lines(state: &State) -> usize {
    let preamble = state
        .selected_row()
        .and_then(|row| state.inv.report(row))
        .map_or(0, |r| preamble(r).len());
    preamble + state.diff.body().len().max(1)
}

/// Where each change's label sits among the pane's lines.
fn changes_at(state: &State) -> Vec<usize> {
    let offset = state
        .selected_row()
        .and_then(|row| state.inv.report(row))
        .map_or(0, |r| preamble(r).len());
    state.diff.changes_at().map(|at| at + offset).collect()
}

/// Scrolls by `delta` lines, never past the last line.
pub(super) fn scroll(state: &mut State, delta: isize) {
    let last = lines(state).saturating_sub(1) as isize;
    state.diff_scroll = (state.diff_scroll as isize)
        .saturating_add(delta)
        .clamp(0, last) as usize;
}

/// The next (or previous) change to the top of the pane; stays put when there is none.
pub(super) fn jump(state: &mut State, forward: bool) {
    let at = changes_at(state);
    let target = if forward {
        at.into_iter().find(|&a| a > state.diff_scroll)
    } else {
        at.into_iter().rev().find(|&a| a < state.diff_scroll)
    };
    if let Some(t) = target {
        state.diff_scroll = t;
    }
}

/// Switches layout (side by side, or all context), keeping the change that was at the top.
pub(super) fn relayout(state: &mut State, switch: impl FnOnce(&mut State)) {
    let before = changes_at(state);
    let nth = before.iter().rposition(|&a| a <= state.diff_scroll);
    switch(state);
    let after = changes_at(state);
    state.diff_scroll = match nth {
        Some(n) => after.get(n).copied().unwrap_or(0),
        None => state.diff_scroll.min(lines(state).saturating_sub(1)),
    };
}
