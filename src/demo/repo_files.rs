//! The demo repo's history, written from `assets/demo/` with gix.

use kdrift_engine::repo::{RepoError, RepoFile, write_history};
use std::path::Path;

const README: &str = "# shop-gitops\n\nDesired state of the shop namespace, applied by kdrift.\n";

/// Three commits: the app as first written, redis scaled up, and the frontend config tuned.
pub fn build_demo_repo(dir: &Path) -> Result<Vec<String>, RepoError> {
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
