//! kdrift: live GitOps drift inspection and convergence. This crate is the front end (the TUI,
//! the demo, `kdrift check`'s output); everything it shows comes from `kdrift_engine`.

pub mod alloc;
pub mod app;
pub mod check;
pub mod cli;
pub mod demo;
pub mod diff;
pub mod logging;
pub mod runtime;
pub mod shell;
pub mod sync;
pub mod tui;
pub mod ui;
pub mod watch;
