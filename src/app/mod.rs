//! The pure core: `State`, messages, actions, keymap and `update`.

mod action;
mod keymap;
mod msg;
mod state;
mod update;
mod update_data;
mod update_sync;

pub use action::{Action, DIALOG_FOOTER, NORMAL_FOOTER};
pub use keymap::{KeySpec, Keymap, display_key, parse_key};
pub use msg::{Cmd, KubeMsg, LogLine, LogMsg, LogTarget, Msg, RepoMsg, SyncMsg, WatchRequest};
pub use state::{
    CommitFiles, HistoryView, LOG_CAPACITY, LogView, Notice, NoticeKind, Pane, RepoView, State,
    SyncProgress,
};
pub use update::update;
