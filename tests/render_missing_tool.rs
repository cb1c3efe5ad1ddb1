//! Without kustomize, kubectl or helm anywhere, each render root is a clear error row naming its
//! file, and plain manifests still compare. (Its own test binary: it empties PATH for the process.)

mod common;

use common::render_repo::{error_for, layout_repo};
use kdrift::repo::read_snapshot;

#[test]
fn a_missing_tool_is_an_error_row_per_directory_not_a_crash() {
    let dir = layout_repo("shop");
    // SAFETY: this binary has one test, so nothing else reads the environment concurrently.
    unsafe {
        std::env::set_var("PATH", "/nonexistent");
        for var in ["KDRIFT_KUSTOMIZE", "KDRIFT_KUBECTL", "KDRIFT_HELM"] {
            std::env::remove_var(var);
        }
    }
    let snap = read_snapshot(dir.path(), None, None, Some("shop")).unwrap();
    let row = |file: &str| error_for(&snap, file);
    assert!(row("apps/overlays/prod/kustomization.yaml").contains("kustomize"));
    assert!(row("charts/web/Chart.yaml").contains("helm"));
    assert_eq!(snap.errors.len(), 2, "{:?}", snap.errors);
    let names: Vec<_> = snap.desired.iter().map(|d| d.key.name.as_str()).collect();
    assert_eq!(names, ["shop"], "the plain Namespace still compares");
}
