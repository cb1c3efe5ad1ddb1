//! What the screen is doing, as one value: it decides which keys mean what, which overlay is
//! drawn and what the footer offers. Only one mode is ever active, so there is no precedence
//! between flags to get wrong.

use super::action::{Action, DIALOG_FOOTER, NORMAL_FOOTER, PLAN_FOOTER};
use kdrift_engine::cluster::Conflict;
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
    /// Typing where to jump (`:`): a namespace or a kind; Enter moves the selection there.
    Jump(Box<TextArea<'static>>),
    /// The key overlay (`?`); any key closes it.
    Help,
    /// The history of one resource (`h`).
    History(HistoryView),
    /// The sync plan, waiting for confirmation (or a second one: force, recreate).
    Dialog(PlanDialog),
    /// An ignore rule for one field, waiting to be written to the user's config.
    Ignore(IgnoreProposal),
}

/// The plan on screen and what it waits for.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanDialog {
    pub plan: SyncPlan,
    /// The rows it was made for, to plan them again when prune is switched.
    pub keys: Vec<ResourceKey>,
    pub scroll: usize,
    pub stage: DialogStage,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DialogStage {
    /// The plan, before anything changes: `y` applies it without force.
    Plan,
    /// The server refused fields other managers own and nothing of that step changed: only
    /// `F`, a second and different confirmation, applies again taking them.
    Force {
        conflicts: Vec<(ResourceKey, Conflict)>,
    },
    /// Fields that cannot change in place: typing the object's name deletes and recreates it.
    Recreate {
        key: ResourceKey,
        fields: Vec<String>,
        typed: String,
    },
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
            Mode::Jump(_) => {
                Hints::Text(" a namespace or kind (cm, deploy…) · Enter jump · Esc cancel")
            }
            Mode::Dialog(PlanDialog {
                stage: DialogStage::Force { .. },
                ..
            }) => Hints::Text(" F take the fields · Esc cancel"),
            Mode::Dialog(PlanDialog {
                stage: DialogStage::Recreate { .. },
                ..
            }) => Hints::Text(" type the name · Enter recreate · Esc cancel"),
            Mode::Dialog(_) => Hints::Keys {
                table: KeyTable::Dialog,
                actions: PLAN_FOOTER,
                extra: &[],
            },
            Mode::Ignore(_) => Hints::Keys {
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
        self.plan_dialog().map(|d| &d.plan)
    }

    pub fn plan_dialog(&self) -> Option<&PlanDialog> {
        match self {
            Mode::Dialog(dialog) => Some(dialog),
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

    /// The line being typed under the rows, with its prompt: `/` filter or `:` jump.
    pub fn prompt(&self) -> Option<(&'static str, &TextArea<'static>)> {
        match self {
            Mode::Filter(input) => Some(("/", input.as_ref())),
            Mode::Jump(input) => Some((":", input.as_ref())),
            _ => None,
        }
    }
}
