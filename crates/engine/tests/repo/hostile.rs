//! Repos crafted to reach outside themselves (reliability S2): tree entries git would never
//! check out, and kustomizations naming files and bases beyond the repo. Nothing outside the
//! repo may be read, nothing outside the export written.

use kdrift_engine::repo::{ReadCache, ReadOptions, read_snapshot, read_snapshot_with};
use kdrift_testkit::git::{commit_all, git, write_files};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// `git <args>` with `input` on stdin (for `mktree`), its stdout.
fn git_in(dir: &Path, args: &[&str], input: &[u8]) -> String {
    let mut child = Command::new("git")
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "git {args:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn mktree(dir: &Path, entries: &[(&str, &str, &str)]) -> String {
    let text: String = entries
        .iter()
        .map(|(mode, oid, name)| {
            let kind = if *mode == "040000" { "tree" } else { "blob" };
            format!("{mode} {kind} {oid}\t{name}\n")
        })
        .collect();
    git_in(dir, &["mktree"], text.as_bytes())
}

/// A raw tree object (for names `mktree` itself refuses, like one with a `/`).
fn raw_tree(dir: &Path, entries: &[(&str, &str, &[u8])]) -> String {
    let mut bytes = Vec::new();
    for (mode, oid, name) in entries {
        bytes.extend_from_slice(format!("{mode} ").as_bytes());
        bytes.extend_from_slice(name);
        bytes.push(0);
        let raw: Vec<u8> = (0..oid.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&oid[i..i + 2], 16).unwrap())
            .collect();
        bytes.extend_from_slice(&raw);
    }
    git_in(
        dir,
        &["hash-object", "-t", "tree", "-w", "--literally", "--stdin"],
        &bytes,
    )
}

fn blob(dir: &Path, text: &str) -> String {
    git_in(dir, &["hash-object", "-w", "--stdin"], text.as_bytes())
}

fn commit_tree(dir: &Path, tree: &str) {
    let commit = git(dir, &["commit-tree", tree, "-m", "crafted"]);
    git(dir, &["update-ref", "refs/heads/main", &commit]);
    git(dir, &["symbolic-ref", "HEAD", "refs/heads/main"]);
}

/// Every file named `name` below `root`, a few levels deep.
fn find_named(root: &Path, name: &str, depth: usize) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(root) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.file_name().is_some_and(|n| n == name) {
            out.push(p.clone());
        }
        if depth > 0 && p.is_dir() && !p.is_symlink() {
            out.extend(find_named(&p, name, depth - 1));
        }
    }
    out
}

#[test]
fn s2_tree_entries_that_climb_out_are_refused_and_nothing_is_written_outside() {
    // the kustomization is rendered from an export: that export is what must not escape
    crate::render::require_tools();
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    let marker = format!("kdrift-escape-{}.yaml", std::process::id());
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: escaped\n";
    let leaf = mktree(&repo, &[("100644", &blob(&repo, cm), &marker)]);
    // app/../../<marker>, app/.GIT/<marker>, and a name holding a slash
    let up = mktree(&repo, &[("040000", &leaf, "..")]);
    let kustomization = blob(&repo, "resources:\n  - cm.yaml\n");
    let ok = blob(
        &repo,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n",
    );
    let app = raw_tree(
        &repo,
        &[
            ("40000", &up, b".."),
            ("40000", &leaf, b".GIT"),
            ("100644", &ok, b"cm.yaml"),
            ("100644", &kustomization, b"kustomization.yaml"),
            ("100644", &ok, b"x/../../y.yaml"),
        ],
    );
    let top = mktree(&repo, &[("040000", &app, "app")]);
    commit_tree(&repo, &top);

    let snap = read_snapshot(&repo, None, None, None).unwrap();
    let refused: Vec<_> = snap
        .errors
        .iter()
        .filter(|e| e.message.starts_with("tree entry refused"))
        .map(|e| (e.source.as_str(), e.message.as_str()))
        .collect();
    assert_eq!(refused.len(), 3, "{:?}", snap.errors);
    assert!(
        refused
            .iter()
            .any(|(s, m)| *s == "app/.." && m.contains("points at a directory"))
    );
    assert!(
        refused
            .iter()
            .any(|(s, m)| *s == "app/.GIT" && m.contains("`.git`"))
    );
    assert!(
        refused.iter().any(|(s, _)| s.starts_with("app/x/")),
        "{refused:?}"
    );
    assert!(
        snap.desired.iter().all(|d| d.key.name != "escaped"),
        "nothing below a refused entry is read"
    );
    // the kustomization still renders from what is left (so the export ran), and no export
    // wrote the marker anywhere
    assert!(
        snap.desired.iter().any(|d| d.key.name == "ok"),
        "{:?} {:?}",
        snap.desired,
        snap.errors
    );
    let tmp = std::env::temp_dir();
    let found = find_named(&tmp, &marker, 3);
    assert!(found.is_empty(), "written outside the export: {found:?}");
    assert!(find_named(dir.path(), &marker, 6).is_empty());
}

#[test]
fn s2_a_kustomization_naming_anything_outside_the_repo_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // a directory beside the repo that kustomize would happily read
    let outside = dir.path().join("outside");
    write_files(
        &outside,
        &[
            (
                "kustomization.yaml",
                "resources:\n  - cm.yaml\n".to_string(),
            ),
            (
                "cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-outside\n".to_string(),
            ),
            ("secret.txt", "s3cr3t-from-outside".to_string()),
        ],
    );
    let repo = dir.path().join("repo");
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: inside\n".to_string();
    write_files(
        &repo,
        &[
            ("dir/kustomization.yaml", "resources:\n  - ../../outside\n".to_string()),
            (
                "gen/kustomization.yaml",
                "configMapGenerator:\n  - name: g\n    files:\n      - key=../../outside/secret.txt\n".to_string(),
            ),
            (
                "remote/kustomization.yaml",
                "resources:\n  - github.com/example/app//deploy?ref=v1\n".to_string(),
            ),
            (
                "charts/kustomization.yaml",
                "helmCharts:\n  - name: x\n    repo: https://charts.example\n".to_string(),
            ),
            ("abs/kustomization.yaml", "resources:\n  - /etc/kdrift\n".to_string()),
            ("plain/cm.yaml", cm),
        ],
    );
    commit_all(&repo, "reaching out");
    let snap = read_snapshot(&repo, None, None, None).unwrap();
    let why = |file: &str| crate::error_for(&snap, file);
    assert!(why("dir/kustomization.yaml").contains("outside the repository"));
    assert!(why("gen/kustomization.yaml").contains("outside the repository"));
    assert!(why("remote/kustomization.yaml").contains("--allow-remote-bases"));
    assert!(why("charts/kustomization.yaml").contains("helmCharts"));
    assert!(why("abs/kustomization.yaml").contains("outside the repository"));
    let names: Vec<_> = snap.desired.iter().map(|d| d.key.name.as_str()).collect();
    assert_eq!(names, ["inside"], "only what the repo holds");
    let text = format!("{snap:?}");
    assert!(!text.contains("s3cr3t-from-outside"));
    // opting in lets a remote base through to kustomize (which then fetches it)
    let opts = ReadOptions {
        subdir: Some("remote".into()),
        render: kdrift_engine::repo::RenderOptions {
            allow_remote: true,
            ..Default::default()
        },
        ..ReadOptions::default()
    };
    let snap = read_snapshot_with(&repo, None, &opts, &mut ReadCache::default()).unwrap();
    assert!(
        snap.errors
            .iter()
            .all(|e| !e.message.contains("--allow-remote-bases")),
        "{:?}",
        snap.errors
    );
}
