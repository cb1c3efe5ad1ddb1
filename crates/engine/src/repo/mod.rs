//! Git as the source of truth: reads the desired state at a commit without touching any worktree.

pub mod apps;
mod cache;
mod changes;
mod demo_repo;
mod error;
mod events;
mod fetcher;
mod follow;
mod history;
mod manifests;
mod read;
mod remote;
mod render;
mod repo_url;
mod tree_index;
mod trust;

pub use cache::{ReadCache, ReadOptions};
pub use changes::{FileChange, MAX_CHANGED_FILES, commit_files};
pub use demo_repo::{RepoFile, write_history};
pub use error::RepoError;
pub use events::RepoEvent;
pub use fetcher::{STALE, spawn_fetcher};
pub use follow::{FirstRead, RepoSpec, spawn_follower, spawn_follower_from};
pub use history::{HistoryEntry, object_history};
pub use manifests::{merge_parsed, parse_file, parse_manifests};
pub use read::{
    CONFIG_FILE, CommitInfo, LOG_LIMIT, ReadPart, Snapshot, read_snapshot, read_snapshot_streaming,
    read_snapshot_with, resolve_commit,
};
pub use remote::{FETCH_LIMIT, FetchOutcome, fetch_mirror, fetch_mirror_within};
pub use render::RenderOptions;
pub use repo_url::{cache_dir_for, default_cache_root, is_url, redact_url, scrub};
pub(crate) use tree_index::join_inside;
