//! Keeps a URL repo's mirror fresh: a fetch every interval and whenever the user asks. New
//! commits then reach the screen the same way local ones do: the fetch moves the mirror's refs
//! and the follower, watching those refs, reads the new commit.

use super::error::RepoError;
use super::events::RepoEvent;
use super::remote::fetch_mirror;
use super::repo_url::redact_url;
use crate::outbox::Outbox;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc::Receiver;
use tokio::task::JoinHandle;

/// How a failed fetch is described where the repo is named (header, notices).
pub const STALE: &str = "fetching failed, showing the mirror from the last successful fetch";

pub fn spawn_fetcher(
    url: String,
    mirror: PathBuf,
    every: Duration,
    mut now: Receiver<()>,
    out: Outbox<RepoEvent>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let manual = tokio::select! {
                () = tokio::time::sleep(every) => false,
                asked = now.recv() => match asked {
                    Some(()) => true,
                    None => return,
                },
            };
            let (u, m) = (url.clone(), mirror.clone());
            let result = tokio::task::spawn_blocking(move || fetch_mirror(&u, &m)).await;
            let event = match result {
                Ok(Ok(outcome)) => RepoEvent::Fetched {
                    manual,
                    changed: outcome.changed(),
                },
                // fetch_mirror's errors are already scrubbed of credentials (and name the URL)
                Ok(Err(e)) => RepoEvent::FetchFailed(e),
                Err(e) => {
                    RepoEvent::FetchFailed(RepoError::Fetch(format!("{}: {e}", redact_url(&url))))
                }
            };
            if !out.send(event).await {
                return;
            }
        }
    })
}
