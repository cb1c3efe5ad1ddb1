//! What the repo's sources (the follower and a URL repo's fetcher) report.

use super::error::RepoError;
use super::read::{ReadPart, Snapshot};

#[derive(Debug)]
pub enum RepoEvent {
    /// The followed revision (HEAD of the branch), new or changed.
    Snapshot(Box<Snapshot>),
    /// Part of the first read, while the rest is read: its `Snapshot` follows (or `Failed`).
    Reading(Box<ReadPart>),
    /// Reading the followed revision failed; whoever shows it keeps the last good state.
    Failed(RepoError),
    /// A URL repo's mirror was fetched (new commits arrive as a `Snapshot` from the follower).
    /// `manual`: the user asked for it.
    Fetched { manual: bool, changed: bool },
    /// Fetching a URL repo failed: what is shown comes from the mirror of the last good fetch.
    FetchFailed(RepoError),
}
