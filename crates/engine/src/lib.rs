//! kdrift's engine: the desired state from git, the live state from a cluster, the drift between
//! them, and converging. Every front end (the TUI, `kdrift check`, tests) stands on this crate;
//! it knows nothing of terminals, and the crate graph keeps it that way.
//!
//! Sources (`repo::spawn_follower`, `cluster::spawn_watch`, `cluster::follow_logs`,
//! `sync::run_sync`, …) run as tasks and report their own event types through an [`Outbox`];
//! the [`inventory::Inventory`] folds those events into desired, live and verdicts, and says what
//! happened as [`inventory::Fact`]s.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod backend;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod drift;
pub mod error;
pub mod headless;
pub mod health;
pub mod inventory;
pub mod jobs;
pub mod manifest;
pub mod metrics;
pub mod model;
pub mod outbox;
pub mod paths;
pub mod repo;
pub mod resource_key;
pub mod sync;
pub mod text;
pub mod traces;
pub mod workload_traces;

pub use outbox::Outbox;
