//! Without kustomize, kubectl or helm anywhere, each render root is a clear error row naming its
//! file, and plain manifests still compare. The environment is the process's: the test runs
//! itself again as a child process with an empty PATH, so no other test sees that environment.

use super::error_for;
use kdrift_engine::repo::read_snapshot;
use kdrift_testkit::layouts::layout_repo;
use std::process::Command;

/// Set in the child: the repo to read (written by the parent, which still has git on PATH).
const CHILD: &str = "KDRIFT_TEST_NO_TOOLS_REPO";

#[test]
fn a_missing_tool_is_an_error_row_per_directory_not_a_crash() {
    if let Some(repo) = std::env::var_os(CHILD) {
        return without_tools(std::path::Path::new(&repo));
    }
    let dir = layout_repo("shop");
    let name = "missing_tool::a_missing_tool_is_an_error_row_per_directory_not_a_crash";
    let out = Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, dir.path())
        .env("PATH", "/nonexistent")
        .env_remove("KDRIFT_KUSTOMIZE")
        .env_remove("KDRIFT_KUBECTL")
        .env_remove("KDRIFT_HELM")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("1 passed"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs in the child, where no tool can be found.
fn without_tools(repo: &std::path::Path) {
    assert!(std::env::var_os("KDRIFT_HELM").is_none());
    let snap = read_snapshot(repo, None, None, Some("shop")).unwrap();
    let row = |file: &str| error_for(&snap, file);
    assert!(row("apps/overlays/prod/kustomization.yaml").contains("kustomize"));
    assert!(row("charts/web/Chart.yaml").contains("helm"));
    assert_eq!(snap.errors.len(), 2, "{:?}", snap.errors);
    let names: Vec<_> = snap.desired.iter().map(|d| d.key.name.as_str()).collect();
    assert_eq!(names, ["shop"], "the plain Namespace still compares");
}
