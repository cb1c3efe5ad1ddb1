//! A URL repo as a new user would point kdrift at one: served by `git daemon` on loopback, opened
//! in the TUI against the real control plane. A commit pushed to the remote shows up on screen
//! by itself (fetch every second here), `f` fetches at once, and the header names the URL.

use crate::common::testbed::{Testbed, testbed, unique};
use kdrift_testkit::git::git;
use kdrift_testkit::upstream::{Daemon, Upstream};
use std::time::Duration;

fn config(ns: &str, mode: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\n  namespace: {ns}\ndata:\n  mode: {mode}\n"
    )
}

/// A remote whose `main` holds `app.yaml` (mode a), applied to the cluster with kubectl.
fn applied_upstream(tb: &Testbed, ns: &str) -> Upstream {
    let up = Upstream::new("main");
    git(&up.work(), &["rm", "-q", "c.yaml"]);
    std::fs::write(up.work().join("app.yaml"), config(ns, "a")).unwrap();
    git(&up.work(), &["add", "app.yaml"]);
    git(&up.work(), &["commit", "-q", "-m", "web config, mode a"]);
    up.push("main");
    tb.kubectl(&["apply", "-f", up.work().join("app.yaml").to_str().unwrap()]);
    up
}

#[test]
fn a_commit_pushed_to_the_remote_reaches_the_screen_and_f_fetches_now() {
    let (tb, _shared) = testbed();
    let ns = unique("t-remote");
    let up = applied_upstream(&tb, &ns);

    let daemon = Daemon::start(up.root());
    let url = format!("git://127.0.0.1:{}/repo.git", daemon.port);
    let state = tempfile::tempdir().unwrap();
    let cmd = format!(
        "XDG_CACHE_HOME={} {} --repo {url} --fetch-interval 1 --kubeconfig {}",
        state.path().join("cache").display(),
        env!("CARGO_BIN_EXE_kdrift"),
        tb.admin.display()
    );
    let tmux = kdrift_testkit::tmux::Tmux::start(&cmd, state.path());
    tmux.wait_for(
        &[
            &format!("127.0.0.1:{}/repo.git@main", daemon.port),
            "web config, mode a",
            "in sync 2",
            "watch: live",
        ],
        Duration::from_secs(20),
    );

    std::fs::write(up.work().join("app.yaml"), config(&ns, "b")).unwrap();
    git(&up.work(), &["commit", "-q", "-am", "switch web to mode b"]);
    up.push("main");
    tmux.wait_for(
        &["switch web to mode b", "modified 1", "mode b≠a"],
        Duration::from_secs(5),
    );

    tmux.keys("f");
    tmux.wait_for(&["fetched: up to date"], Duration::from_secs(5));
    let screen = tmux.screen();
    assert!(
        !screen.contains("kdrift/repos"),
        "the cache path is not the repo's name:\n{screen}"
    );
    tmux.keys("q");
    tmux.wait_for(&["KDRIFT_EXIT=0"], Duration::from_secs(5));

    // the remote goes away: the next start shows the mirror from the last fetch, and says so
    drop(daemon);
    let tmux = kdrift_testkit::tmux::Tmux::start(&cmd, state.path());
    tmux.wait_for(
        &[
            "switch web to mode b",
            "modified 1",
            "showing the mirror from the last successful fetch",
        ],
        Duration::from_secs(20),
    );
    tmux.keys("q");
    tmux.wait_for(&["KDRIFT_EXIT=0"], Duration::from_secs(5));
    tb.kubectl(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn check_on_a_file_url_reads_the_remote_and_names_it() {
    let (tb, _shared) = testbed();
    let ns = unique("t-fileurl");
    let up = applied_upstream(&tb, &ns);

    let url = up.file_url();
    let (code, json, stderr) = tb.check_with(std::path::Path::new(&url), &tb.admin, &[]);
    assert_eq!(code, 0, "{json:#}\n{stderr}");
    assert_eq!(json["repo"], url.as_str());
    assert_eq!(json["summary"]["in_sync"], 2, "{json:#}");

    // a commit on the remote is what the next check compares against
    std::fs::write(up.work().join("app.yaml"), config(&ns, "b")).unwrap();
    git(&up.work(), &["commit", "-q", "-am", "mode b"]);
    up.push("main");
    let (code, json, _) = tb.check_with(std::path::Path::new(&url), &tb.admin, &[]);
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(json["summary"]["modified"], 1, "{json:#}");
    tb.kubectl(&["delete", "namespace", &ns, "--wait=false"]);
}
