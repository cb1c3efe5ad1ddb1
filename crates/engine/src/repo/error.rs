//! What can go wrong reading git: typed, so callers can tell a bad revision from a failed fetch,
//! with the cause kept as the error's source (shown as `what: cause` by `crate::error::chain`).

pub use crate::error::Cause;
use std::error::Error as StdError;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// The path holds no git repository (or it cannot be opened).
    #[error("{} is not a git repository", path.display())]
    NotARepo {
        path: PathBuf,
        #[source]
        source: Cause,
    },
    /// A branch, tag or commit id that does not resolve.
    #[error("{}: cannot resolve revision {rev:?}: {detail}", path.display())]
    Revision {
        path: PathBuf,
        rev: String,
        detail: String,
    },
    /// Reading or writing git's objects failed: what kdrift was doing, and the cause.
    #[error("{what}")]
    Git {
        what: String,
        #[source]
        source: Cause,
    },
    /// Fetching a URL repo failed. The text names the URL without credentials and is already
    /// scrubbed of anything the URL carried.
    #[error("{0}")]
    Fetch(String),
    /// A URL repo's mirror directory exists in a state kdrift cannot use.
    #[error("{0}")]
    Mirror(String),
    /// The thread reading git stopped before it answered.
    #[error("the git reader stopped: {0}")]
    Task(String),
}

pub type Result<T, E = RepoError> = std::result::Result<T, E>;

/// Adds what kdrift was doing to any error gix or the OS returns.
pub(crate) trait GitContext<T> {
    fn git(self, what: &str) -> Result<T>;
    fn git_with(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: StdError + Send + Sync + 'static> GitContext<T> for std::result::Result<T, E> {
    fn git(self, what: &str) -> Result<T> {
        self.map_err(|e| RepoError::Git {
            what: what.to_string(),
            source: Box::new(e),
        })
    }

    fn git_with(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| RepoError::Git {
            what: what(),
            source: Box::new(e),
        })
    }
}
