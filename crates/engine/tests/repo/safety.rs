//! Reading a repo safely: symlinks are followed only inside the tree, submodules are skipped with a
//! note, a repo someone else owns is opened with reduced trust, and none of it touches a worktree.

use super::error_for;
use kdrift_engine::repo::read_snapshot;
use kdrift_testkit::git::{commit_all, git, write_files};
use std::os::unix::fs::symlink;

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: real\ndata:\n  k: v\n";

#[test]
fn s2_symlinks_inside_the_tree_are_read_and_ones_leaving_it_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_files(d, &[("manifests/real.yaml", CM.into())]);
    std::fs::create_dir_all(d.join("linked")).unwrap();
    symlink("../manifests/real.yaml", d.join("linked/inside.yaml")).unwrap();
    symlink("../../../etc/passwd", d.join("linked/escape.yaml")).unwrap();
    symlink("/etc/hostname", d.join("linked/absolute.yaml")).unwrap();
    symlink("../manifests", d.join("linked/dir.yaml")).unwrap();
    commit_all(d, "links");

    let snap = read_snapshot(d, None, Some("linked"), None).unwrap();
    assert_eq!(snap.desired.len(), 1, "{:?}", snap.desired);
    assert_eq!(snap.desired[0].key.name, "real");
    assert_eq!(snap.desired[0].source, "linked/inside.yaml");
    let message = |file: &str| error_for(&snap, file);
    assert!(message("linked/escape.yaml").contains("outside the repository"));
    assert!(message("linked/absolute.yaml").contains("outside the repository"));
    assert!(message("linked/dir.yaml").contains("directory"));
    assert_eq!(snap.errors.len(), 3, "{:?}", snap.errors);
}

#[test]
fn s2_submodules_are_skipped_with_a_note_that_blocks_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    write_files(&lib, &[("x.yaml", CM.replace("real", "from-lib"))]);
    commit_all(&lib, "lib");
    let app = dir.path().join("app");
    write_files(&app, &[("deploy/real.yaml", CM.into())]);
    commit_all(&app, "app");
    git(
        &app,
        &[
            "submodule",
            "add",
            "-q",
            lib.to_str().unwrap(),
            "deploy/vendor",
        ],
    );
    git(&app, &["commit", "-q", "-m", "vendor lib as a submodule"]);

    let snap = read_snapshot(&app, None, Some("deploy"), None).unwrap();
    assert!(snap.errors.is_empty(), "{:?}", snap.errors);
    let names: Vec<_> = snap.desired.iter().map(|d| d.key.name.as_str()).collect();
    assert_eq!(names, ["real"], "nothing is read from inside the submodule");
    assert_eq!(snap.notes.len(), 1, "{:?}", snap.notes);
    assert_eq!(snap.notes[0].source, "deploy/vendor");
    assert!(snap.notes[0].message.contains("submodule"));
}

/// Reduced trust (checked in `repo::trust`'s unit test) must not stop the read itself.
#[test]
fn s3_a_repo_owned_by_someone_else_is_read_with_reduced_trust() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("real.yaml", CM.into())]);
    commit_all(dir.path(), "one");
    // the tests run as root in CI: hand the repo to `nobody`, as a shared checkout would be
    let status = std::process::Command::new("chown")
        .args(["-R", "65534:65534"])
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success(), "chown needs root, as CI has");
    let snap = read_snapshot(dir.path(), None, None, None).unwrap();
    assert_eq!(snap.desired.len(), 1);
}
