//! `kdrift demo`: a sample GitOps repo with real history, an embedded simulated cluster seeded with
//! drift, and the TUI on top. No network, no cluster, no setup.

mod chaos;
mod repo_files;
mod seed;

pub use chaos::spawn_chaos;
pub use repo_files::{DEMO_ORIGIN, build_demo_repo};
pub use seed::{edit, seed_drift};

/// What `kdrift demo` calls its cluster in the header.
pub const DEMO_CONTEXT: &str = "kdrift-demo (simulated)";
