//! kdrift: live GitOps drift inspection and convergence.

pub mod app;
pub mod cli;
pub mod cluster;
pub mod demo;
pub mod drift;
pub mod headless;
pub mod model;
pub mod repo;
pub mod sim;
pub mod sync;
pub mod text;
pub mod tui;
pub mod ui;
