//! Opens a repo with the trust it deserves: full when the current user owns it, gix's reduced
//! trust otherwise (git config that could run programs or redirect paths is then ignored).
//! Neither reads the user's global config: what kdrift shows must not depend on it.

use anyhow::{Context, Result};
use std::path::Path;

pub fn open(path: &Path) -> Result<gix::Repository> {
    let options = gix::open::Options::isolated().with(trust_of(path));
    let mut repo = gix::open_opts(path, options)
        .with_context(|| format!("{} is not a git repository", path.display()))?;
    set_delta_base_cache(&mut repo);
    Ok(repo)
}

/// git's default `core.deltaBaseCacheLimit`.
const DELTA_BASE_CACHE_BYTES: usize = 96 * 1024 * 1024;

/// In a packed repo most trees and blobs are deltas against others; keeping recently decoded
/// bases saves inflating the same chains again for every file of a commit. The repo's own
/// `core.deltaBaseCacheLimit` wins when it sets one.
fn set_delta_base_cache(repo: &mut gix::Repository) {
    let bytes = repo
        .config_snapshot()
        .integer("core.deltaBaseCacheLimit")
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(DELTA_BASE_CACHE_BYTES);
    if bytes == 0 {
        return;
    }
    repo.objects.set_pack_cache(move || {
        Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(bytes))
    });
}

/// Owned by the current user → full trust; anyone else's (or unknown) → reduced.
pub fn trust_of(path: &Path) -> gix::sec::Trust {
    gix::sec::Trust::from_path_ownership(path).unwrap_or(gix::sec::Trust::Reduced)
}
