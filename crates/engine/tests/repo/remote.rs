//! URL repos: a bare mirror in a cache directory, fetched from `file://` and from a `git daemon` on
//! loopback (nothing here touches the internet), following new commits, force-pushes, deleted
//! branches and the remote's default branch; and credentials never reaching errors or the disk.

use kdrift_engine::repo::{
    cache_dir_for, fetch_mirror, read_snapshot, redact_url, resolve_commit, scrub,
};
use kdrift_testkit::git::git;
use kdrift_testkit::upstream::{Daemon, Upstream};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The value of `data.v` of the single ConfigMap at HEAD of the cache repo.
fn head_value(cache: &Path) -> (String, String) {
    let snap = read_snapshot(cache, None, None, None).expect("the cache reads at HEAD");
    assert_eq!(snap.desired.len(), 1, "{:?}", snap.errors);
    let value = snap.desired[0].manifest.tree()["data"]["v"]
        .as_str()
        .unwrap()
        .to_string();
    (snap.commit.id, value)
}

#[test]
fn file_url_mirror_follows_new_commits_and_the_default_branch() {
    let up = Upstream::new("trunk");
    let cache_root = tempfile::tempdir().unwrap();
    let url = up.file_url();
    let cache = cache_dir_for(cache_root.path(), &url);

    let first = fetch_mirror(&url, &cache).unwrap();
    assert!(first.created, "{first:?}");
    assert!(first.changed(), "{first:?}");
    assert!(
        first.updated.contains(&"refs/heads/trunk".to_string()),
        "{first:?}"
    );
    assert_eq!(first.remote_head.as_deref(), Some("refs/heads/trunk"));
    let snap = read_snapshot(&cache, None, None, None).unwrap();
    assert_eq!(
        snap.branch.as_deref(),
        Some("trunk"),
        "HEAD follows the remote's HEAD"
    );
    assert_eq!(snap.commit.id, git(&up.bare(), &["rev-parse", "trunk"]));
    assert_eq!(head_value(&cache).1, "1");

    let second = up.commit("second", "2");
    up.push("trunk");
    let outcome = fetch_mirror(&url, &cache).unwrap();
    assert!(!outcome.created);
    assert_eq!(outcome.updated, vec!["refs/heads/trunk".to_string()]);
    assert_eq!(head_value(&cache), (second.clone(), "2".to_string()));
    // Branch names resolve directly in the mirror.
    assert_eq!(resolve_commit(&cache, Some("trunk")).unwrap(), second);

    let again = fetch_mirror(&url, &cache).unwrap();
    assert!(!again.changed(), "nothing moved: {again:?}");
    assert_eq!(head_value(&cache).0, second);
}

#[test]
fn force_push_deleted_branch_and_new_default_branch_are_followed() {
    let up = Upstream::new("main");
    let base = git(&up.work(), &["rev-parse", "HEAD"]);
    let old = up.commit("old", "old");
    up.push("main");
    git(&up.work(), &["branch", "feature"]);
    up.push("feature");
    let url = up.file_url();
    let cache_root = tempfile::tempdir().unwrap();
    let cache = cache_dir_for(cache_root.path(), &url);
    fetch_mirror(&url, &cache).unwrap();
    assert_eq!(resolve_commit(&cache, Some("main")).unwrap(), old);
    assert_eq!(resolve_commit(&cache, Some("feature")).unwrap(), old);

    // Rewrite main: reset to before `old`, commit something else, force-push.
    git(&up.work(), &["reset", "-q", "--hard", &base]);
    let rewritten = up.commit("rewritten", "new");
    assert_ne!(rewritten, old);
    up.push("main");
    let outcome = fetch_mirror(&url, &cache).unwrap();
    assert_eq!(outcome.updated, vec!["refs/heads/main".to_string()]);
    assert_eq!(resolve_commit(&cache, Some("main")).unwrap(), rewritten);
    assert_eq!(head_value(&cache), (rewritten.clone(), "new".to_string()));

    // The remote's default branch moves to `feature` and `main` is deleted.
    git(&up.bare(), &["symbolic-ref", "HEAD", "refs/heads/feature"]);
    git(&up.bare(), &["update-ref", "-d", "refs/heads/main"]);
    let outcome = fetch_mirror(&url, &cache).unwrap();
    assert_eq!(
        outcome.updated,
        vec!["HEAD".to_string(), "refs/heads/main".to_string()],
        "HEAD changed and main was pruned"
    );
    assert_eq!(outcome.remote_head.as_deref(), Some("refs/heads/feature"));
    assert!(
        resolve_commit(&cache, Some("main")).is_err(),
        "main is gone"
    );
    let snap = read_snapshot(&cache, None, None, None).unwrap();
    assert_eq!(snap.branch.as_deref(), Some("feature"));
    assert_eq!(snap.commit.id, old);
}

#[test]
fn git_daemon_mirror_follows_new_commits() {
    let up = Upstream::new("trunk");
    let daemon = Daemon::start(up.root());
    let url = format!("git://127.0.0.1:{}/repo.git", daemon.port);
    let cache_root = tempfile::tempdir().unwrap();
    let cache = cache_dir_for(cache_root.path(), &url);

    let first = fetch_mirror(&url, &cache).unwrap();
    assert!(first.created && first.changed(), "{first:?}");
    assert_eq!(first.remote_head.as_deref(), Some("refs/heads/trunk"));
    let snap = read_snapshot(&cache, None, None, None).unwrap();
    assert_eq!(snap.branch.as_deref(), Some("trunk"));
    assert_eq!(head_value(&cache).1, "1");

    let second = up.commit("second", "2");
    up.push("trunk");
    let outcome = fetch_mirror(&url, &cache).unwrap();
    assert_eq!(outcome.updated, vec!["refs/heads/trunk".to_string()]);
    assert_eq!(head_value(&cache), (second, "2".to_string()));

    assert!(!fetch_mirror(&url, &cache).unwrap().changed());

    // The guard really stops the daemon.
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, daemon.port));
    drop(daemon);
    assert!(
        TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err(),
        "git daemon still listens after the guard dropped"
    );
}

#[test]
fn redaction_and_scrubbing() {
    let url = "https://user:tok3n@example.com/org/a.git";
    assert_eq!(redact_url(url), "https://example.com/org/a.git");
    assert_eq!(
        redact_url("https://tok3n@example.com/a.git"),
        "https://example.com/a.git"
    );
    assert_eq!(
        redact_url("ssh://git@example.com:2222/a.git"),
        "ssh://example.com:2222/a.git"
    );
    assert_eq!(
        redact_url("https://example.com/a@b.git"),
        "https://example.com/a@b.git"
    );
    // scp-like cannot carry a password; its user is the ssh login and stays.
    assert_eq!(
        redact_url("git@example.com:org/a.git"),
        "git@example.com:org/a.git"
    );
    assert_eq!(redact_url("/srv/repo"), "/srv/repo");

    assert_eq!(
        scrub(
            "cannot reach https://user:tok3n@example.com/org/a.git (as user, token tok3n)",
            url
        ),
        "cannot reach https://example.com/org/a.git (as ***, token ***)"
    );
    // Percent-encoded userinfo: the encoded and the decoded spellings both go.
    let encoded = "https://al%40corp:p%2Fss%20w@example.com/a.git";
    let message = format!("{encoded} failed for al@corp with p/ss w, raw al%40corp:p%2Fss%20w@x");
    let scrubbed = scrub(&message, encoded);
    for secret in ["al@corp", "al%40corp", "p/ss w", "p%2Fss%20w"] {
        assert!(!scrubbed.contains(secret), "{secret:?} in {scrubbed:?}");
    }
    assert!(
        scrubbed.starts_with("https://example.com/a.git failed"),
        "{scrubbed}"
    );
    // Nothing to scrub without userinfo.
    let plain = "git@example.com:org/a.git";
    assert_eq!(
        scrub("git@example.com said no", plain),
        "git@example.com said no"
    );
    assert_eq!(
        scrub("no secrets here", "https://example.com/a.git"),
        "no secrets here"
    );
}

#[test]
fn cache_dirs_are_stable_readable_and_free_of_credentials() {
    let root = Path::new("/cache");
    let a = cache_dir_for(root, "https://alice:s3cr3t@example.com/org/app.git");
    let b = cache_dir_for(root, "https://bob:other@example.com/org/app.git");
    let plain = cache_dir_for(root, "https://example.com/org/app.git");
    assert_eq!(a, b, "credentials do not pick the cache");
    assert_eq!(a, plain);
    assert_eq!(a.parent(), Some(root));
    let name = a.file_name().unwrap().to_str().unwrap();
    assert!(name.starts_with("example.com-org-app-"), "{name}");
    for secret in ["alice", "s3cr3t", "bob", "other"] {
        assert!(!name.contains(secret), "{name}");
    }
    assert_ne!(a, cache_dir_for(root, "https://example.com/org/other.git"));
    assert_ne!(a, cache_dir_for(root, "ssh://example.com/org/app.git"));
    assert_eq!(
        a,
        cache_dir_for(root, "https://example.com/org/app.git"),
        "stable"
    );
    let odd = cache_dir_for(root, "file:///../..");
    assert_eq!(
        odd.parent(),
        Some(root),
        "{odd:?} stays inside the cache root"
    );
}

/// A loopback port with nothing listening.
fn closed_port() -> u16 {
    let probe = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    probe.local_addr().unwrap().port()
}

#[test]
fn failed_fetches_do_not_leak_credentials() {
    let port = closed_port();
    let cache_root = tempfile::tempdir().unwrap();
    let cases = [
        (
            format!("https://alice:s3cr3t-token@127.0.0.1:{port}/x.git"),
            format!("https://127.0.0.1:{port}/x.git"),
        ),
        (
            format!("https://alice%40corp:s3cr3t%2Ftoken@127.0.0.1:{port}/x.git"),
            format!("https://127.0.0.1:{port}/x.git"),
        ),
        (
            format!("git://alice:s3cr3t@127.0.0.1:{port}/x.git"),
            format!("git://127.0.0.1:{port}/x.git"),
        ),
        // Unparsable: gix's own message quotes the input, userinfo included.
        (
            "https://alice:s3cr3t@/x.git".to_string(),
            "https:///x.git".to_string(),
        ),
    ];
    for (url, shown) in cases {
        let cache = cache_dir_for(cache_root.path(), &url);
        let err = fetch_mirror(&url, &cache).expect_err("nothing listens there");
        let text = format!("{err:#} / {err:?}");
        for secret in ["s3cr3t", "alice"] {
            assert!(!text.contains(secret), "{secret:?} leaked: {text}");
        }
        assert!(text.contains(&shown), "{text:?} names {shown}");
    }
}

/// Every file below `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn assert_no_secret_on_disk(cache: &Path, secrets: &[&str]) {
    let path = cache.display().to_string();
    let config = std::fs::read_to_string(cache.join("config")).expect("the cache repo exists");
    assert!(
        !config.contains("[remote"),
        "the remote is anonymous: {config}"
    );
    for secret in secrets {
        assert!(
            !path.contains(secret),
            "{secret:?} in the cache path {path}"
        );
        for file in files(cache) {
            let bytes = std::fs::read(&file).unwrap();
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret:?} in {}",
                file.display()
            );
        }
    }
}

#[test]
fn credentials_never_reach_the_disk() {
    let up = Upstream::new("main");
    let daemon = Daemon::start(up.root());
    let cache_root = tempfile::tempdir().unwrap();

    // gix refuses userinfo on git:// (the protocol has no use for it) — before connecting, and
    // without echoing it.
    let url = format!("git://alice:s3cr3t@127.0.0.1:{}/repo.git", daemon.port);
    let cache = cache_dir_for(cache_root.path(), &url);
    let err = fetch_mirror(&url, &cache).expect_err("gix rejects userinfo on git://");
    let text = format!("{err:#}");
    assert!(
        !text.contains("s3cr3t") && !text.contains("alice"),
        "{text}"
    );
    assert!(
        text.contains(&format!("git://127.0.0.1:{}/repo.git", daemon.port)),
        "{text}"
    );
    assert_no_secret_on_disk(&cache, &["s3cr3t", "alice"]);

    // An https fetch that fails after the cache repo was created leaves nothing behind either.
    let url = format!("https://alice:s3cr3t@127.0.0.1:{}/repo.git", closed_port());
    let cache = cache_dir_for(cache_root.path(), &url);
    fetch_mirror(&url, &cache).expect_err("nothing listens there");
    assert_no_secret_on_disk(&cache, &["s3cr3t", "alice"]);

    // And a successful fetch records no remote at all.
    let url = format!("git://127.0.0.1:{}/repo.git", daemon.port);
    let cache = cache_dir_for(cache_root.path(), &url);
    assert!(fetch_mirror(&url, &cache).unwrap().changed());
    assert_eq!(head_value(&cache).1, "1");
    let config = std::fs::read_to_string(cache.join("config")).unwrap();
    assert!(
        !config.contains("[remote") && !config.contains("127.0.0.1"),
        "{config}"
    );
}
