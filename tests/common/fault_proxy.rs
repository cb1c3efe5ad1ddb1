//! `tests/testbed/fault-proxy.py` as a test helper: a proxy in front of the real API server that
//! answers chosen requests with 410 / 429 / 500, resets or stalls them, or cuts every stream.

use super::testbed::Testbed;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub struct FaultProxy {
    pub port: u16,
    /// A kubeconfig that reaches the API server only through the proxy.
    pub kubeconfig: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

impl FaultProxy {
    pub fn start(tb: &Testbed) -> Self {
        Self::launch(tb, None)
    }

    /// A proxy that sends the client's own credentials on (`user` is the kubeconfig's user
    /// entry, as YAML under `user:`), instead of the admin's certificate.
    pub fn passing_auth(tb: &Testbed, user: &str) -> Self {
        Self::launch(tb, Some(user))
    }

    fn launch(tb: &Testbed, user: Option<&str>) -> Self {
        let server = std::env::var("KDRIFT_TESTBED_SERVER").expect("KDRIFT_TESTBED_SERVER");
        let pki = tb.dir.join("pki");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/testbed/fault-proxy.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg("0")
            .arg(&server)
            .arg(pki.join("ca.crt"))
            .arg(pki.join("admin.crt"))
            .arg(pki.join("admin.key"))
            .args(user.map(|_| "pass-auth"))
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the fault proxy");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port: u16 = line
            .strip_prefix("ready ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("fault proxy did not start: {line:?}"));
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        std::fs::write(
            &kubeconfig,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: proxied\n  cluster:\n    server: http://127.0.0.1:{port}\ncontexts:\n- name: proxied\n  context:\n    cluster: proxied\n    user: nobody\ncurrent-context: proxied\nusers:\n- name: nobody\n  user: {}\n",
                user.unwrap_or("{}")
            ),
        )
        .unwrap();
        FaultProxy {
            port,
            kubeconfig,
            child,
            _dir: dir,
        }
    }

    fn call(&self, method: &str, path: &str, body: &str) -> Value {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        let json = text.split("\r\n\r\n").nth(1).unwrap_or("{}");
        serde_json::from_str(json).unwrap_or(Value::Null)
    }

    /// Adds a rule (see the script's header), or `{"action": "cut"}` ends every open stream.
    pub fn fault(&self, rule: Value) -> Value {
        self.call("POST", "/__fault", &rule.to_string())
    }

    pub fn hits(&self) -> Value {
        self.call("GET", "/__hits", "")
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
