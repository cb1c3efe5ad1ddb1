//! What the screen is doing, as one value: it decides which keys mean what, which overlay is
//! drawn and what the footer offers. Only one mode is ever active, so there is no precedence
//! between flags to get wrong.

use super::action::{Action, DIALOG_FOOTER, NORMAL_FOOTER};
use kdrift_engine::drift::IgnoreRule;
use kdrift_engine::model::ResourceKey;
use kdrift_engine::repo::HistoryEntry;
use kdrift_engine::sync::SyncPlan;
use ratatui_textarea::TextArea;

#[derive(Debug, Default)]
pub enum Mode {
    #[default]
    Normal,
    /// Typing a filter (`/`): keys go into the editor; the filter itself lives in `State::filter`.
    Filter(Box<TextArea<'static>>),
    /// The key overlay (`?`); any key closes it.
    Help,
    /// The history of one resource (`h`).
    History(HistoryView),
    /// The sync plan, waiting for confirmation.
    Dialog(SyncPlan),
    /// An ignore rule for one field, waiting to be written to the user's config.
    Ignore(IgnoreProposal),
}

#[derive(Debug, Clone, PartialEq)]
pub struct IgnoreProposal {
    pub key: ResourceKey,
    pub path: String,
    pub rule: IgnoreRule,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryView {
    pub key: ResourceKey,
    /// `None` while it is being read.
    pub entries: Option<Vec<HistoryEntry>>,
    pub scroll: usize,
}

/// Which key table a mode reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyTable {
    Normal,
    Dialog,
}

/// What the footer offers in a mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hints {
    Text(&'static str),
    Keys {
        table: KeyTable,
        actions: &'static [Action],
        /// Offered only now (`H` while time traveling).
        extra: &'static [Action],
    },
}

impl Mode {
    /// `traveling`: comparing against a commit other than HEAD (so `H` means something).
    pub fn hints(&self, traveling: bool) -> Hints {
        match self {
            Mode::Filter(_) => Hints::Text(" type to filter · Enter keep · Esc clear"),
            Mode::Dialog(_) | Mode::Ignore(_) => Hints::Keys {
                table: KeyTable::Dialog,
                actions: DIALOG_FOOTER,
                extra: &[],
            },
            Mode::Normal | Mode::Help | Mode::History(_) => Hints::Keys {
                table: KeyTable::Normal,
                actions: NORMAL_FOOTER,
                extra: if traveling { &[Action::Head] } else { &[] },
            },
        }
    }

    pub fn dialog(&self) -> Option<&SyncPlan> {
        match self {
            Mode::Dialog(plan) => Some(plan),
            _ => None,
        }
    }

    pub fn history(&self) -> Option<&HistoryView> {
        match self {
            Mode::History(view) => Some(view),
            _ => None,
        }
    }

    pub fn filter_input(&self) -> Option<&TextArea<'static>> {
        match self {
            Mode::Filter(input) => Some(input.as_ref()),
            _ => None,
        }
    }
}
