//! `kdrift watch` as a process the tests read line by line, and a loopback HTTP receiver that
//! records what is posted to it (a webhook, Alertmanager's webhook receiver).

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A port nothing listens on now (from below the kernel's ephemeral range, like the testbed's).
pub fn free_port() -> u16 {
    for _ in 0..200 {
        let port = 20_000 + (std::process::id() as u16 % 500) * 13 + fastrand_u16() % 5_000;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port");
}

fn fastrand_u16() -> u16 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| (d.subsec_nanos() / 7) as u16)
        .unwrap_or(0)
}

pub struct Watch {
    child: Child,
    lines: Receiver<String>,
    /// Every line so far.
    pub seen: Vec<Value>,
    stderr: Arc<Mutex<String>>,
}

impl Watch {
    /// `kdrift watch --repo REPO --kubeconfig KC` with `extra` flags; JSON lines.
    pub fn start(repo: &Path, kubeconfig: &Path, state: &Path, extra: &[&str]) -> Watch {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kdrift"))
            .args(["watch", "--output", "json", "--repo"])
            .arg(repo)
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .args(extra)
            .env("XDG_STATE_HOME", state.join("state"))
            .env("XDG_CACHE_HOME", state.join("cache"))
            .env("XDG_CONFIG_HOME", state.join("config"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kdrift watch starts");
        let (tx, lines) = channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err = child.stderr.take().unwrap();
        let keep = stderr.clone();
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text);
            keep.lock().unwrap().push_str(&text);
        });
        Watch {
            child,
            lines,
            seen: Vec::new(),
            stderr,
        }
    }

    /// The next line satisfying `want`, within `limit` (each line is also kept in `seen`).
    pub fn wait_for(&mut self, limit: Duration, want: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        if let Some(v) = self.seen.iter().find(|v| want(v)) {
            return v.clone();
        }
        loop {
            let left = limit.checked_sub(start.elapsed()).unwrap_or_else(|| {
                panic!(
                    "no such event within {limit:?}; seen: {:#?}\nstderr: {}",
                    self.seen,
                    self.stderr.lock().unwrap()
                )
            });
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let v: Value = serde_json::from_str(&line)
                        .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
                    self.seen.push(v.clone());
                    if want(&v) {
                        return v;
                    }
                }
                Err(_) => continue,
            }
        }
    }

    /// SIGTERM; the exit code, within `limit`.
    pub fn terminate(&mut self, limit: Duration) -> i32 {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(
                start.elapsed() < limit,
                "kdrift watch still running {limit:?} after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Is `v` the event `event` about the object named `name`?
pub fn about(v: &Value, event: &str, name: &str) -> bool {
    v["event"] == event && v["object"]["name"] == name
}

/// GET on loopback; the status code and body.
pub fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    let code = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((code, body.to_string()))
}

/// `/metrics` read by a Prometheus text-format parser: the samples' values by name and labels.
pub fn scrape(port: u16) -> Option<prometheus_parse::Scrape> {
    let (code, body) = get(port, "/metrics")?;
    if code != 200 {
        return None;
    }
    prometheus_parse::Scrape::parse(body.lines().map(|l| Ok(l.to_string()))).ok()
}

/// The value of the sample `name` whose labels include `labels`.
pub fn sample(
    scrape: &prometheus_parse::Scrape,
    name: &str,
    labels: &[(&str, &str)],
) -> Option<f64> {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name)
        .find(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .and_then(|s| match s.value {
            prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Untyped(v) => Some(v),
            _ => None,
        })
}

/// One request a receiver took: its headers (lower-case names) and body.
#[derive(Debug, Clone)]
pub struct Posted {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Posted {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTP/1.1 receiver on loopback answering 200 to every POST, keeping each.
pub struct HttpReceiver {
    pub port: u16,
    pub posted: Arc<Mutex<Vec<Posted>>>,
}

impl HttpReceiver {
    /// Listens on `port` (0: any).
    pub fn start(port: u16) -> HttpReceiver {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("the receiver binds");
        let port = listener.local_addr().unwrap().port();
        let posted: Arc<Mutex<Vec<Posted>>> = Arc::default();
        let keep = posted.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let keep = keep.clone();
                std::thread::spawn(move || serve(stream, keep));
            }
        });
        HttpReceiver { port, posted }
    }

    pub fn bodies(&self) -> Vec<Value> {
        self.posted
            .lock()
            .unwrap()
            .iter()
            .filter_map(|p| serde_json::from_str(&p.body).ok())
            .collect()
    }
}

fn serve(stream: TcpStream, keep: Arc<Mutex<Vec<Posted>>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        let mut first = String::new();
        if reader.read_line(&mut first).unwrap_or(0) == 0 {
            return;
        }
        let path = first.split_whitespace().nth(1).unwrap_or("").to_string();
        let mut headers = Vec::new();
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_string());
                if k == "content-length" {
                    length = v.parse().unwrap_or(0);
                }
                headers.push((k, v));
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        keep.lock().unwrap().push(Posted {
            path,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        if out
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            .is_err()
        {
            return;
        }
    }
}
