//! Opens a repo with the trust it deserves: full when the current user owns it, gix's reduced
//! trust otherwise (git config that could run programs or redirect paths is then ignored).
//! Neither reads the user's global config: what kdrift shows must not depend on it.

use super::error::{RepoError, Result};
use std::path::Path;

/// gix decides the trust from the directory's owner (see the test below); `isolated` keeps the
/// user's and the system's git config out.
pub fn open(path: &Path) -> Result<gix::Repository> {
    let options = gix::open::Options::isolated();
    let mut repo = gix::open_opts(path, options).map_err(|e| RepoError::NotARepo {
        path: path.to_path_buf(),
        source: Box::new(e),
    })?;
    set_delta_base_cache(&mut repo);
    Ok(repo)
}

/// git's default `core.deltaBaseCacheLimit`.
const DELTA_BASE_CACHE_BYTES: usize = 96 * 1024 * 1024;

/// The most a repo's own setting may ask for: memory is kdrift's to bound, not the repo's.
const MAX_DELTA_BASE_CACHE_BYTES: usize = 256 * 1024 * 1024;

/// In a packed repo most trees and blobs are deltas against others; keeping recently decoded
/// bases saves inflating the same chains again for every file of a commit. A repo the user owns
/// may set its own `core.deltaBaseCacheLimit` (up to 256 MiB); one they do not own cannot.
fn set_delta_base_cache(repo: &mut gix::Repository) {
    let configured = repo.config_snapshot().integer("core.deltaBaseCacheLimit");
    let bytes = delta_cache_bytes(repo.git_dir_trust(), configured);
    if bytes == 0 {
        return;
    }
    repo.objects.set_pack_cache(move || {
        Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(bytes))
    });
}

/// The cache a repo gets: its own setting if trusted, bounded; the default otherwise.
fn delta_cache_bytes(trust: gix::sec::Trust, configured: Option<i64>) -> usize {
    let own = (trust == gix::sec::Trust::Full)
        .then_some(configured)
        .flatten()
        .and_then(|n| usize::try_from(n).ok());
    own.unwrap_or(DELTA_BASE_CACHE_BYTES)
        .min(MAX_DELTA_BASE_CACHE_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::{RepoFile, write_history};

    #[test]
    fn an_untrusted_repo_cannot_lift_the_cache_bound() {
        use gix::sec::Trust;
        let huge = Some(i64::MAX);
        assert_eq!(
            delta_cache_bytes(Trust::Reduced, huge),
            DELTA_BASE_CACHE_BYTES
        );
        assert_eq!(
            delta_cache_bytes(Trust::Full, huge),
            MAX_DELTA_BASE_CACHE_BYTES
        );
        assert_eq!(delta_cache_bytes(Trust::Full, Some(1 << 20)), 1 << 20);
        assert_eq!(
            delta_cache_bytes(Trust::Full, Some(-5)),
            DELTA_BASE_CACHE_BYTES
        );
        assert_eq!(
            delta_cache_bytes(Trust::Reduced, None),
            DELTA_BASE_CACHE_BYTES
        );
    }

    /// What `open` hands to every reader carries the trust the owner deserves.
    #[test]
    fn opened_repos_carry_the_owners_trust() {
        let dir = tempfile::tempdir().unwrap();
        let file = RepoFile {
            path: "a.yaml",
            contents: Some("a: b\n"),
        };
        write_history(dir.path(), &[("one", vec![file])]).unwrap();
        assert_eq!(
            open(dir.path()).unwrap().git_dir_trust(),
            gix::sec::Trust::Full
        );
        // CI runs as root: hand the repo to `nobody`, as a shared checkout would be
        let chowned = std::process::Command::new("chown")
            .args(["-R", "65534:65534"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if chowned {
            let repo = open(dir.path()).unwrap();
            assert_eq!(repo.git_dir_trust(), gix::sec::Trust::Reduced);
        }
    }
}
