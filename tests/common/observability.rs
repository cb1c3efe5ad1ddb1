//! Real Prometheus and Alertmanager processes (built from their Go modules by
//! `tests/testbed/observability.sh`) on loopback ports of their own, each in a temp dir.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free loopback port (the kernel's choice, released at once).
fn port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn ready(port: u16, path: &str) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok_and(|mut s| {
        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
        let _ = write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        );
        let mut text = String::new();
        let _ = s.read_to_string(&mut text);
        text.starts_with("HTTP/1.1 200")
    })
}

/// Starts `bin` with `args`, logging to `log`, and waits for `port`'s `path` to answer 200.
fn start(bin: &str, args: &[String], port: u16, path: &str, log: &Path) -> Child {
    let child = Command::new(bin)
        .args(args)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("{bin} starts: {e}"));
    let started = Instant::now();
    while !ready(port, path) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{bin} not ready: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    child
}

fn bin(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: source the test control plane's env (bash scripts/test.sh does)")
    })
}

pub struct Prometheus {
    child: Child,
    pub url: String,
    pub dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    /// With `config` as prometheus.yml and `rules` (file name, text) beside it.
    pub fn start(config: &str, rules: &[(&str, String)]) -> Prometheus {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("prometheus.yml");
        std::fs::write(&file, config).unwrap();
        for (name, text) in rules {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let port = port();
        let args = vec![
            format!("--config.file={}", file.display()),
            format!("--storage.tsdb.path={}", dir.path().join("data").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
        ];
        let child = start(
            &bin("KDRIFT_PROMETHEUS"),
            &args,
            port,
            "/-/ready",
            &dir.path().join("prometheus.log"),
        );
        Prometheus {
            child,
            url: format!("http://127.0.0.1:{port}"),
            dir,
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("prometheus.log")).unwrap_or_default()
    }
}

pub struct Alertmanager {
    child: Child,
    pub url: String,
    pub dir: tempfile::TempDir,
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Alertmanager {
    /// With `config` as alertmanager.yml; clustering off (one instance, no gossip port).
    pub fn start(config: &str) -> Alertmanager {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("alertmanager.yml");
        std::fs::write(&file, config).unwrap();
        let port = port();
        let args = vec![
            format!("--config.file={}", file.display()),
            format!("--storage.path={}", dir.path().join("data").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
            "--cluster.listen-address=".to_string(),
        ];
        let child = start(
            &bin("KDRIFT_ALERTMANAGER"),
            &args,
            port,
            "/-/ready",
            &dir.path().join("alertmanager.log"),
        );
        Alertmanager {
            child,
            url: format!("http://127.0.0.1:{port}"),
            dir,
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("alertmanager.log")).unwrap_or_default()
    }
}
