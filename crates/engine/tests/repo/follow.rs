//! The repo follower on real temp repos: new commits arrive (inotify, no polling), a pinned revision
//! stays put, and a followed ref that breaks reports an error instead of replacing the desired state.

use kdrift_engine::Outbox;
use kdrift_engine::repo::{
    FirstRead, ReadCache, RepoEvent, RepoFile, RepoSpec, spawn_follower, spawn_follower_from,
    write_history,
};
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

fn commit(dir: &Path, subject: &str, value: &str) -> String {
    let cm =
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  v: \"{value}\"\n");
    write_history(
        dir,
        &[(
            subject,
            vec![RepoFile {
                path: "c.yaml",
                contents: Some(&cm),
            }],
        )],
    )
    .unwrap()
    .remove(0)
}

async fn next(rx: &mut mpsc::Receiver<RepoEvent>, within: Duration) -> Option<RepoEvent> {
    match tokio::time::timeout(within, rx.recv()).await {
        Ok(Some(e)) => Some(e),
        Ok(None) => panic!("the follower stopped"),
        Err(_) => None,
    }
}

fn spec(dir: &Path, rev: Option<&str>) -> RepoSpec {
    RepoSpec {
        path: dir.to_path_buf(),
        rev: rev.map(str::to_string),
        ..Default::default()
    }
}

/// A running follower, its messages, and the first snapshot it sent.
async fn follow(
    spec: RepoSpec,
) -> (
    tokio::task::JoinHandle<()>,
    mpsc::Receiver<RepoEvent>,
    Box<kdrift_engine::repo::Snapshot>,
) {
    let (tx, mut rx) = mpsc::channel(16);
    let task = spawn_follower(spec, Outbox::new(tx));
    loop {
        match next(&mut rx, Duration::from_secs(5)).await {
            Some(RepoEvent::Snapshot(s)) => return (task, rx, s),
            // the first read's parts come first
            Some(RepoEvent::Reading(_)) => continue,
            other => panic!("expected a first snapshot, got {other:?}"),
        }
    }
}

/// The first read comes in parts as the files are parsed, each part the objects of files not
/// handed on before, adding up to the snapshot that ends the read; a later commit comes whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_read_comes_in_parts_then_whole() {
    let dir = tempfile::tempdir().unwrap();
    let padding = "x".repeat(2000);
    let files: Vec<(String, String)> = (0..300)
        .map(|i| {
            let doc = format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\ndata:\n  v: \"{padding}\"\n"
            );
            (format!("m/c{i:03}.yaml"), doc)
        })
        .collect();
    let entries: Vec<RepoFile<'_>> = files
        .iter()
        .map(|(path, doc)| RepoFile {
            path,
            contents: Some(doc),
        })
        .collect();
    write_history(dir.path(), &[("many", entries)]).unwrap();
    let (tx, mut rx) = mpsc::channel(16);
    let task = spawn_follower(spec(dir.path(), None), Outbox::new(tx));
    let mut parts = Vec::new();
    let snap = loop {
        match next(&mut rx, Duration::from_secs(10)).await {
            Some(RepoEvent::Reading(p)) => parts.push(p),
            Some(RepoEvent::Snapshot(s)) => break s,
            other => panic!("expected parts then a snapshot, got {other:?}"),
        }
    };
    assert!(parts.len() >= 3, "{} parts for 600 KB", parts.len());
    let read: Vec<usize> = parts.iter().map(|p| p.files_read).collect();
    assert!(read.windows(2).all(|w| w[0] < w[1]), "{read:?}");
    assert_eq!(parts.last().unwrap().files_read, 300);
    assert!(
        parts
            .iter()
            .all(|p| p.files == 300 && p.commit == snap.commit)
    );
    let mut from_parts: Vec<String> = parts
        .iter()
        .flat_map(|p| p.desired.iter().map(|d| d.key.to_string()))
        .collect();
    let mut whole: Vec<String> = snap.desired.iter().map(|d| d.key.to_string()).collect();
    from_parts.sort();
    whole.sort();
    assert_eq!(
        from_parts, whole,
        "the parts add up to the snapshot, none twice"
    );
    assert!(parts[0].desired.len() < 100, "the first part is small");

    // a later commit: read whole, no parts
    commit(dir.path(), "one more", "1");
    match next(&mut rx, Duration::from_secs(5)).await {
        Some(RepoEvent::Snapshot(s)) => assert_eq!(s.desired.len(), 301),
        other => panic!("expected the new commit whole, got {other:?}"),
    }
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_new_commits_on_the_branch() {
    let dir = tempfile::tempdir().unwrap();
    let first = commit(dir.path(), "one", "1");
    let (task, mut rx, s) = follow(spec(dir.path(), None)).await;
    assert_eq!(s.commit.id, first);
    for (i, value) in ["2", "3"].iter().enumerate() {
        let start = Instant::now();
        let id = commit(dir.path(), &format!("change {i}"), value);
        let Some(RepoEvent::Snapshot(s)) = next(&mut rx, Duration::from_secs(2)).await else {
            panic!("commit {id} not seen within 2 s")
        };
        assert_eq!(s.commit.id, id);
        assert_eq!(s.desired[0].manifest.tree()["data"]["v"], *value);
        eprintln!("commit seen after {:?}", start.elapsed());
    }
    assert!(
        next(&mut rx, Duration::from_millis(500)).await.is_none(),
        "no snapshot without a change"
    );
    task.abort();
}

/// Started from the read the binary made at start (to check the repo), the follower sends that
/// snapshot as it is, does not read the same commit again, and reads a new commit with the
/// cache that read filled: a file the commit left alone is the very same object.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_given_the_first_read_sends_it_and_reads_only_new_commits() {
    let dir = tempfile::tempdir().unwrap();
    let other = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\ndata:\n  v: \"x\"\n";
    write_history(
        dir.path(),
        &[(
            "other",
            vec![RepoFile {
                path: "other.yaml",
                contents: Some(other),
            }],
        )],
    )
    .unwrap();
    let first = commit(dir.path(), "one", "1");
    let spec = spec(dir.path(), None);
    let mut cache = ReadCache::default();
    let mut snapshot = spec.read(None, &mut cache).unwrap();
    // a mark no read would put there: the snapshot sent must be this one
    snapshot.repo = "read before the follower".into();
    let unchanged = |s: &kdrift_engine::repo::Snapshot| {
        s.desired
            .iter()
            .find(|d| d.key.name == "other")
            .unwrap()
            .manifest
            .clone()
    };
    let other_before = unchanged(&snapshot);
    let (tx, mut rx) = mpsc::channel(16);
    let task = spawn_follower_from(spec, Some(FirstRead { snapshot, cache }), Outbox::new(tx));
    let s = loop {
        match next(&mut rx, Duration::from_secs(5)).await {
            Some(RepoEvent::Snapshot(s)) => break s,
            Some(RepoEvent::Reading(_)) => continue,
            other => panic!("no first snapshot: {other:?}"),
        }
    };
    assert_eq!(s.repo, "read before the follower", "sent as it was read");
    assert_eq!(s.commit.id, first);
    assert!(
        next(&mut rx, Duration::from_millis(500)).await.is_none(),
        "the same commit is not read again"
    );
    let id = commit(dir.path(), "two", "2");
    let Some(RepoEvent::Snapshot(s)) = next(&mut rx, Duration::from_secs(2)).await else {
        panic!("commit {id} not seen within 2 s")
    };
    assert_eq!(s.commit.id, id);
    assert_ne!(s.repo, "read before the follower");
    let changed = s.desired.iter().find(|d| d.key.name == "c").unwrap();
    assert_eq!(changed.manifest.tree()["data"]["v"], "2");
    assert!(
        kdrift_engine::manifest::Manifest::same(&unchanged(&s), &other_before),
        "the untouched file came from the first read's cache"
    );
    task.abort();
}

/// Idle means idle: once the follower has read the commit, it does not touch the repo again until
/// a ref moves. (Its own reads used to wake it: inotify reports opens, and it read again, for ever.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_follower_does_not_read_the_repo() {
    use notify::Watcher;
    let dir = tempfile::tempdir().unwrap();
    commit(dir.path(), "one", "1");
    let (task, mut rx, _) = follow(spec(dir.path(), None)).await;
    tokio::time::sleep(Duration::from_millis(300)).await; // the first read's own events pass
    let opened = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = opened.clone();
    let mut spy = notify::recommended_watcher(move |e: notify::Result<notify::Event>| {
        if e.is_ok_and(|e| matches!(e.kind, notify::EventKind::Access(_))) {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    })
    .unwrap();
    spy.watch(&dir.path().join(".git"), notify::RecursiveMode::Recursive)
        .unwrap();
    // setting the spy up opens the directories it watches: not the follower's doing
    tokio::time::sleep(Duration::from_millis(200)).await;
    opened.store(0, std::sync::atomic::Ordering::SeqCst);
    assert!(next(&mut rx, Duration::from_secs(1)).await.is_none());
    let n = opened.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        n, 0,
        "the follower read the repo {n} times with nothing changed"
    );
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pinned_revision_does_not_move() {
    let dir = tempfile::tempdir().unwrap();
    let first = commit(dir.path(), "one", "1");
    let (task, mut rx, _) = follow(spec(dir.path(), Some(&first))).await;
    commit(dir.path(), "two", "2");
    assert!(
        next(&mut rx, Duration::from_secs(1)).await.is_none(),
        "a commit id is not followed"
    );
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_followed_ref_that_disappears_is_an_error_not_an_empty_state() {
    let dir = tempfile::tempdir().unwrap();
    let first = commit(dir.path(), "one", "1");
    let repo = gix::open(dir.path()).unwrap();
    repo.reference(
        "refs/heads/feature",
        gix::ObjectId::from_hex(first.as_bytes()).unwrap(),
        gix::refs::transaction::PreviousValue::Any,
        "test",
    )
    .unwrap();
    let (task, mut rx, _) = follow(spec(dir.path(), Some("feature"))).await;
    repo.find_reference("refs/heads/feature")
        .unwrap()
        .delete()
        .unwrap();
    match next(&mut rx, Duration::from_secs(2)).await {
        Some(RepoEvent::Failed(e)) => {
            let text = kdrift_engine::error::chain(&e);
            assert!(text.contains("feature"), "{text}")
        }
        other => panic!("expected an error, got {other:?}"),
    }
    task.abort();
}

/// A URL repo force-pushed twice while kdrift follows it: first to an unrelated history whose
/// manifest is broken (the good file still compares, the broken one is an error row, the old
/// history is gone from the log), then to a good commit again (errors clear).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_force_pushed_url_repo_is_followed_and_a_broken_push_keeps_what_still_parses() {
    use kdrift_testkit::git::git;
    use kdrift_testkit::upstream::Upstream;
    let up = Upstream::new("main");
    std::fs::write(up.work().join("other.yaml"), OTHER).unwrap();
    git(&up.work(), &["add", "other.yaml"]);
    git(&up.work(), &["commit", "-q", "-m", "other"]);
    let before = up.commit("before the force-push", "2");
    up.push("main");

    let cache = tempfile::tempdir().unwrap();
    let url = up.file_url();
    let mirror = kdrift_engine::repo::cache_dir_for(cache.path(), &url);
    kdrift_engine::repo::fetch_mirror(&url, &mirror).unwrap();
    let (tx, mut rx) = mpsc::channel(16);
    let (now_tx, now_rx) = mpsc::channel(1);
    let spec = RepoSpec {
        path: mirror.clone(),
        url: Some(url.clone()),
        ..Default::default()
    };
    let follower = spawn_follower(spec, Outbox::new(tx.clone()));
    let every = Duration::from_secs(3600);
    let fetcher = kdrift_engine::repo::spawn_fetcher(
        url,
        mirror,
        every,
        kdrift_engine::repo::FETCH_LIMIT,
        now_rx,
        Outbox::new(tx),
    );
    let s = loop {
        match next(&mut rx, Duration::from_secs(5)).await {
            Some(RepoEvent::Snapshot(s)) => break s,
            Some(RepoEvent::Reading(_)) => continue,
            other => panic!("no first snapshot: {other:?}"),
        }
    };
    assert_eq!(s.commit.id, before);

    // an unrelated history, with c.yaml broken
    git(&up.work(), &["checkout", "-q", "--orphan", "rewrite"]);
    std::fs::write(
        up.work().join("c.yaml"),
        "apiVersion: v1\nkind: [unclosed\n",
    )
    .unwrap();
    git(&up.work(), &["add", "-A"]);
    git(&up.work(), &["commit", "-q", "-m", "rewritten history"]);
    up.push("rewrite:main");
    now_tx.send(()).await.unwrap();
    let snap = loop {
        match next(&mut rx, Duration::from_secs(5)).await {
            Some(RepoEvent::Snapshot(s)) => break s,
            Some(RepoEvent::Fetched { .. }) => continue,
            other => panic!("expected the force-pushed commit, got {other:?}"),
        }
    };
    assert_eq!(snap.commit.subject, "rewritten history");
    assert_eq!(snap.log.len(), 1, "the old history is gone from the log");
    assert_eq!(snap.errors.len(), 1, "{:?}", snap.errors);
    assert_eq!(snap.errors[0].source, "c.yaml");
    let names: Vec<_> = snap.desired.iter().map(|d| d.key.name.as_str()).collect();
    assert_eq!(
        names,
        ["other"],
        "the file that still parses still compares"
    );

    // and back to a good commit
    std::fs::write(
        up.work().join("c.yaml"),
        kdrift_testkit::upstream::configmap("3"),
    )
    .unwrap();
    git(&up.work(), &["commit", "-q", "-am", "fixed"]);
    up.push("rewrite:main");
    now_tx.send(()).await.unwrap();
    let snap = loop {
        match next(&mut rx, Duration::from_secs(5)).await {
            Some(RepoEvent::Snapshot(s)) => break s,
            Some(RepoEvent::Fetched { .. }) => continue,
            other => panic!("expected the fixed commit, got {other:?}"),
        }
    };
    assert!(snap.errors.is_empty(), "{:?}", snap.errors);
    assert_eq!(snap.desired.len(), 2);
    follower.abort();
    fetcher.abort();
}

const OTHER: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n  namespace: x\n";

/// A git server that accepts and never answers; counts the connections it has taken.
fn stalled_git_server() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let taken = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = taken.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            held.push(conn);
        }
    });
    (port, taken)
}

async fn until_connections(
    taken: &std::sync::atomic::AtomicUsize,
    n: usize,
    within: Duration,
) -> bool {
    let start = Instant::now();
    while start.elapsed() < within {
        if taken.load(std::sync::atomic::Ordering::SeqCst) >= n {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

/// `f` while a fetch hangs on a stalled server cancels that fetch and starts a new one at once
/// (it does not queue behind the hung one until its deadline); only the fetch that ran to its
/// deadline is reported. (The test also ends only because the cancelled fetch's socket times
/// out: the runtime waits for its blocking thread when the test returns.)
#[tokio::test]
async fn a_new_fetch_cancels_the_one_that_hangs() {
    let (port, taken) = stalled_git_server();
    let cache = tempfile::tempdir().unwrap();
    let url = format!("git://127.0.0.1:{port}/shop.git");
    let (tx, mut rx) = mpsc::channel(16);
    let (now_tx, now_rx) = mpsc::channel(1);
    let limit = Duration::from_secs(3);
    let fetcher = kdrift_engine::repo::spawn_fetcher(
        url,
        cache.path().join("mirror"),
        Duration::from_secs(3600),
        limit,
        now_rx,
        Outbox::new(tx),
    );
    now_tx.send(()).await.unwrap();
    assert!(until_connections(&taken, 1, Duration::from_secs(5)).await);
    let asked_again = Instant::now();
    now_tx.send(()).await.unwrap();
    assert!(
        until_connections(&taken, 2, Duration::from_secs(2)).await,
        "the second ask waited behind the hung fetch"
    );
    match next(&mut rx, Duration::from_secs(10)).await {
        Some(RepoEvent::FetchFailed(e)) => {
            assert!(e.to_string().contains("no answer in 3s"), "{e}");
            assert!(
                asked_again.elapsed() >= limit,
                "the second fetch had its own deadline"
            );
        }
        other => panic!("expected the second fetch to time out, got {other:?}"),
    }
    assert!(
        next(&mut rx, Duration::from_millis(500)).await.is_none(),
        "the cancelled fetch was reported too"
    );
    fetcher.abort();
}
