//! `update` as a specification: tables of key presses and events over the captured demo data
//! (no repo or cluster built per case), and what the state and the commands must then be.

mod converge;
mod diff_pane;
mod events;
mod keys;
mod sort;

use crate::common::{
    ctrl, demo, demo_state, key, press, press_msg, screen, select, selected, status,
};
use crossterm::event::KeyCode;
use kdrift::app::DialogStage;
use kdrift::app::{Cmd, Mode, Msg, NoticeKind, Pane, State};
use kdrift_engine::cluster::Conflict;
use kdrift_engine::cluster::{KubeEvent, Scope};
use kdrift_engine::model::{DriftStatus, Gvk};
use kdrift_engine::repo::{RepoError, RepoEvent};
use kdrift_engine::sync::{PlanOp, SyncError, SyncEvent, SyncOutcome};
use serde_json::json;

/// A key as a test spells it: a character, or a named key.
#[derive(Clone, Copy)]
enum K {
    C(char),
    Code(KeyCode),
}

fn keys(state: &mut State, seq: &[K]) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    for k in seq {
        cmds.extend(match *k {
            C(c) => key(state, c),
            Code(code) => press(state, code),
        });
    }
    cmds
}

use K::{C, Code};

/// The demo's `shop/Deployment/api` as live has it, with `spec.replicas` set to 99 (drift).
fn api_scaled_to_99(state: &State) -> serde_json::Value {
    let mut api = state
        .inv
        .live()
        .iter()
        .find(|(k, _)| k.kind == "Deployment" && k.name == "api")
        .map(|(_, l)| l.value())
        .unwrap();
    api["spec"]["replicas"] = 99.into();
    api
}
