//! Keeps a URL repo's mirror fresh: a fetch every interval and whenever the user asks. New
//! commits then reach the screen the same way local ones do: the fetch moves the mirror's refs
//! and the follower, watching those refs, reads the new commit.

use super::events::RepoEvent;
use super::remote::fetch_mirror_within;
use crate::outbox::Outbox;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc::Receiver;
use tokio::task::JoinHandle;

/// How a failed fetch is described where the repo is named (header, notices).
pub const STALE: &str = "fetching failed, showing the mirror from the last successful fetch";

/// Fetches `url` into `mirror` every `every` and when `now` asks, each fetch within `limit`.
pub fn spawn_fetcher(
    url: String,
    mirror: PathBuf,
    every: Duration,
    limit: Duration,
    mut now: Receiver<()>,
    out: Outbox<RepoEvent>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut manual = tokio::select! {
            () = tokio::time::sleep(every) => false,
            asked = now.recv() => match asked {
                Some(()) => true,
                None => return,
            },
        };
        loop {
            let result = tokio::select! {
                result = fetch_mirror_within(&url, &mirror, limit) => result,
                // A new ask while a fetch runs (a stalled server, say) cancels that fetch and
                // starts again at once, rather than queueing behind it until its deadline.
                asked = now.recv() => match asked {
                    Some(()) => {
                        manual = true;
                        continue;
                    }
                    None => return,
                },
            };
            let event = match result {
                Ok(outcome) => RepoEvent::Fetched {
                    manual,
                    changed: outcome.changed(),
                },
                // the fetch's errors are already scrubbed of credentials (and name the URL)
                Err(e) => RepoEvent::FetchFailed(e),
            };
            if !out.send(event).await {
                return;
            }
            manual = tokio::select! {
                () = tokio::time::sleep(every) => false,
                asked = now.recv() => match asked {
                    Some(()) => true,
                    None => return,
                },
            };
        }
    })
}
