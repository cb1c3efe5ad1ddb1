//! A remote to fetch from: a bare repo fed by pushes from a worktree, served over `file://` or by
//! `git daemon` on loopback (nothing touches the internet).

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::git::git;

/// A ConfigMap `x/c` whose `v` is `value`.
pub fn configmap(value: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: x\ndata:\n  v: \"{value}\"\n"
    )
}

/// A bare repo `<root>/repo.git` (the remote) fed from a worktree `<root>/work` by pushing.
pub struct Upstream {
    pub dir: tempfile::TempDir,
}

impl Upstream {
    /// The remote's default branch is `branch` (deliberately not `main` in most tests).
    pub fn new(branch: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q", "-b", branch, "work"]);
        let up = Upstream { dir };
        up.commit("first", "1");
        git(
            up.dir.path(),
            &["clone", "-q", "--bare", "work", "repo.git"],
        );
        git(&up.work(), &["remote", "add", "origin", "../repo.git"]);
        up
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn work(&self) -> PathBuf {
        self.root().join("work")
    }

    pub fn bare(&self) -> PathBuf {
        self.root().join("repo.git")
    }

    pub fn file_url(&self) -> String {
        format!("file://{}", self.bare().display())
    }

    /// Commits `c.yaml` with `value` in the worktree (not pushed); returns the commit id.
    pub fn commit(&self, subject: &str, value: &str) -> String {
        std::fs::write(self.work().join("c.yaml"), configmap(value)).unwrap();
        git(&self.work(), &["add", "c.yaml"]);
        git(&self.work(), &["commit", "-q", "-m", subject]);
        git(&self.work(), &["rev-parse", "HEAD"])
    }

    pub fn push(&self, refspec: &str) {
        git(&self.work(), &["push", "-q", "--force", "origin", refspec]);
    }
}

/// `git daemon` serving `base` on a free loopback port; killed (and reaped) on drop.
pub struct Daemon {
    child: Child,
    pub port: u16,
}

impl Daemon {
    pub fn start(base: &Path) -> Daemon {
        let port = {
            let probe = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
            probe.local_addr().unwrap().port()
        };
        // The daemon binary itself: `git daemon` would run it as a grandchild that outlives a kill.
        let exec_path = PathBuf::from(git(base, &["--exec-path"]));
        let child = Command::new(exec_path.join("git-daemon"))
            .arg("--reuseaddr")
            .arg("--export-all")
            .arg(format!("--base-path={}", base.display()))
            .arg("--listen=127.0.0.1")
            .arg(format!("--port={port}"))
            .arg(base)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("git daemon starts");
        let mut daemon = Daemon { child, port };
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return daemon;
            }
            if let Some(status) = daemon.child.try_wait().unwrap() {
                panic!("git daemon exited before accepting connections on port {port}: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "git daemon did not accept connections on 127.0.0.1:{port} within 10 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
