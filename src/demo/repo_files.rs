//! The demo repo's history, written from `assets/demo/` with gix.

use kdrift_engine::repo::{RepoError, RepoFile, write_history};
use std::path::Path;

const README: &str = "# shop-gitops\n\nDesired state of the shop namespace, applied by kdrift.\n";

/// Where the demo repo says it comes from: every demo repo is then the same source (what kdrift
/// writes on the objects it applies), wherever its directory is. Never fetched.
pub const DEMO_ORIGIN: &str = "https://git.kdrift.invalid/demo/shop-gitops.git";

/// Three commits: the app as first written, redis scaled up, and the frontend config tuned.
pub fn build_demo_repo(dir: &Path) -> Result<Vec<String>, RepoError> {
    let ids = write_demo_history(dir)?;
    let config = dir.join(".git/config");
    let text = std::fs::read_to_string(&config).unwrap_or_default();
    if !text.contains("[remote \"origin\"]") {
        let remote = format!("{text}[remote \"origin\"]\n\turl = {DEMO_ORIGIN}\n");
        std::fs::write(&config, remote).map_err(|e| RepoError::Git {
            what: format!("writing {}", config.display()),
            source: Box::new(e),
        })?;
    }
    Ok(ids)
}

fn write_demo_history(dir: &Path) -> Result<Vec<String>, RepoError> {
    let file = |path, contents: &'static str| RepoFile {
        path,
        contents: Some(contents),
    };
    write_history(
        dir,
        &[
            (
                "initial shop app",
                vec![
                    file("README.md", README),
                    file(
                        "shop/namespace.yaml",
                        include_str!("../../assets/demo/namespace.yaml"),
                    ),
                    file(
                        "shop/redis.yaml",
                        include_str!("../../assets/demo/v1/redis.yaml"),
                    ),
                    file(
                        "shop/frontend.yaml",
                        include_str!("../../assets/demo/frontend.yaml"),
                    ),
                    file(
                        "shop/frontend-config.yaml",
                        include_str!("../../assets/demo/v1/frontend-config.yaml"),
                    ),
                    file("shop/api.yaml", include_str!("../../assets/demo/api.yaml")),
                    file(
                        "shop/api-credentials.yaml",
                        include_str!("../../assets/demo/api-credentials.yaml"),
                    ),
                ],
            ),
            (
                "scale redis to 4 replicas",
                vec![file(
                    "shop/redis.yaml",
                    include_str!("../../assets/demo/redis.yaml"),
                )],
            ),
            (
                "tune frontend config",
                vec![file(
                    "shop/frontend-config.yaml",
                    include_str!("../../assets/demo/frontend-config.yaml"),
                )],
            ),
        ],
    )
}

/// The Deployment that exists only in the cluster: kdrift applied it once, git dropped it since.
pub const ORPHAN_MANIFEST: &str = include_str!("../../assets/demo/cluster-only.yaml");
