//! Git as the source of truth, on real repos in temp dirs: following a branch, rendering
//! kustomize and Helm, reading safely, and URL repos mirrored from `file://` and `git daemon`.

mod apps;
mod follow;
mod hostile;
mod missing_tool;
mod remote;
mod render;
mod safety;

use kdrift_engine::repo::Snapshot;

/// The message of the error row that names `file`; panics listing every error when there is none.
pub fn error_for(snap: &Snapshot, file: &str) -> String {
    snap.errors
        .iter()
        .find(|e| e.source == file)
        .unwrap_or_else(|| panic!("no error row for {file}: {:?}", snap.errors))
        .message
        .clone()
}
