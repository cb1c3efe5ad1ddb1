//! Silencing a noisy field with one key: `i` proposes the rule that ignores the selected row's
//! first changed field, shows it, and writes it to the user's config only when confirmed.

use super::mode::{IgnoreProposal, Mode};
use super::msg::Cmd;
use super::state::{NoticeKind, State};
use super::update_engine::on_facts;
use kdrift_engine::drift::{IgnoreRule, IgnoreRules};

pub fn propose(state: &mut State) {
    let Some(key) = state.selected_key().cloned() else {
        return;
    };
    let Some(change) = state.inv.verdicts.get(&key).and_then(|r| r.changes.first()) else {
        state.notify(
            NoticeKind::Info,
            format!("{key}: no drifted field to ignore"),
        );
        return;
    };
    let path = change.path.clone();
    let rule = IgnoreRule::for_change(&key, change);
    state.mode = Mode::Ignore(IgnoreProposal { key, path, rule });
}

pub fn confirm(state: &mut State, cmds: &mut Vec<Cmd>) {
    let Mode::Ignore(proposal) = std::mem::take(&mut state.mode) else {
        return;
    };
    if state.config_file.is_none() {
        state.notify(
            NoticeKind::Error,
            "no config dir ($XDG_CONFIG_HOME or $HOME): rule not written",
        );
        return;
    }
    state.notify(NoticeKind::Info, format!("ignoring {}…", proposal.path));
    cmds.push(Cmd::SaveIgnoreRule(proposal.rule));
}

pub fn on_rules(state: &mut State, result: Result<IgnoreRules, String>, cmds: &mut Vec<Cmd>) {
    match result {
        Ok(rules) => {
            let file = state
                .config_file
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            let facts = state.inv.set_user_rules(rules);
            on_facts(state, facts, cmds);
            state.notify(NoticeKind::Info, format!("ignore rule written to {file}"));
        }
        Err(e) => state.notify(NoticeKind::Error, format!("ignore rule not written: {e}")),
    }
}
