//! Opens a repo with the trust it deserves: full when the current user owns it, gix's reduced
//! trust otherwise (git config that could run programs or redirect paths is then ignored).
//! Neither reads the user's global config: what kdrift shows must not depend on it.

use anyhow::{Context, Result};
use std::path::Path;

pub fn open(path: &Path) -> Result<gix::Repository> {
    let options = gix::open::Options::isolated().with(trust_of(path));
    gix::open_opts(path, options)
        .with_context(|| format!("{} is not a git repository", path.display()))
}

/// Owned by the current user → full trust; anyone else's (or unknown) → reduced.
pub fn trust_of(path: &Path) -> gix::sec::Trust {
    gix::sec::Trust::from_path_ownership(path).unwrap_or(gix::sec::Trust::Reduced)
}
