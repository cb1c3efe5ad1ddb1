//! Everything that runs without the real control plane, in one test binary: `update` tables,
//! pane snapshots, time travel, the driver against the simulated cluster, `check`'s report,
//! CLI errors, and the real binary in tmux.

#[path = "../common/mod.rs"]
mod common;

mod apps;
mod check_sim;
mod cli_errors;
mod converge_engine;
mod e2e_tmux;
mod panes;
mod shell;
mod time_travel;
mod ui_snapshots;
mod update;
