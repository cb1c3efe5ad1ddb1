//! Finds kustomize, kubectl and helm, and runs them with a time limit and an output bound.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A render that takes longer than this is killed and reported.
const TIMEOUT: Duration = Duration::from_secs(60);
/// Rendered output larger than this is refused (the same spirit as the per-file bound).
pub const MAX_OUTPUT_BYTES: usize = 64 * 1024 * 1024;

/// The commands that render, found once per read: `KDRIFT_KUSTOMIZE`, `KDRIFT_HELM` and
/// `KDRIFT_KUBECTL` name them explicitly, otherwise they are looked up on PATH.
#[derive(Debug, Clone, Default)]
pub struct Tools {
    /// The program and leading arguments: `kustomize build` or `kubectl kustomize`.
    pub kustomize: Option<(PathBuf, Vec<&'static str>)>,
    pub helm: Option<PathBuf>,
}

impl Tools {
    pub fn detect() -> Self {
        let kustomize = find("KDRIFT_KUSTOMIZE", "kustomize")
            .map(|p| (p, vec!["build"]))
            .or_else(|| find("KDRIFT_KUBECTL", "kubectl").map(|p| (p, vec!["kustomize"])));
        Self {
            kustomize,
            helm: find("KDRIFT_HELM", "helm"),
        }
    }
}

fn find(var: &str, name: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(var).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `helm template RELEASE CHART --namespace NS` without tests and hooks, then `extra`, run in
/// `root` (an export); helm keeps no state from the user's home: nothing read, nothing left.
pub(crate) fn helm_template(
    tools: &Tools,
    root: &Path,
    release: &str,
    chart: &Path,
    namespace: &str,
    extra: Vec<OsString>,
) -> Result<Vec<u8>, String> {
    let Some(helm) = &tools.helm else {
        return Err("cannot render: `helm` is not on PATH (or set KDRIFT_HELM)".into());
    };
    let home = root.join(".kdrift-helm");
    let env = [
        ("HELM_CACHE_HOME", home.join("cache").into_os_string()),
        ("HELM_CONFIG_HOME", home.join("config").into_os_string()),
        ("HELM_DATA_HOME", home.join("data").into_os_string()),
    ];
    let mut args: Vec<OsString> = vec![
        "template".into(),
        release.into(),
        chart.into(),
        "--namespace".into(),
        namespace.into(),
        "--skip-tests".into(),
        "--no-hooks".into(),
    ];
    args.extend(extra);
    run("helm template", helm, &args, root, &env)
}

/// Runs `program args` in `cwd` with `env`, returning stdout, or a one-line reason.
pub(crate) fn run(
    label: &str,
    program: &Path,
    args: &[OsString],
    cwd: &Path,
    env: &[(&str, OsString)],
) -> Result<Vec<u8>, String> {
    let name = label;
    let mut child = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {name}: {e}"))?;
    let stdout = child.stdout.take().map(|out| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let read = out.take(MAX_OUTPUT_BYTES as u64 + 1).read_to_end(&mut buf);
            read.map(|_| buf)
        })
    });
    let stderr = child.stderr.take().map(|err| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = err.take(64 * 1024).read_to_end(&mut buf);
            buf
        })
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{name} took longer than {}s; killed",
                    TIMEOUT.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("waiting for {name}: {e}")),
        }
    };
    let out = stdout
        .and_then(|h| h.join().ok())
        .transpose()
        .map_err(|e| format!("reading {name}'s output: {e}"))?
        .unwrap_or_default();
    let err = stderr.and_then(|h| h.join().ok()).unwrap_or_default();
    if !status.success() {
        return Err(format!("{name} failed: {}", first_error_line(&err)));
    }
    if out.len() > MAX_OUTPUT_BYTES {
        return Err(format!(
            "{name} printed more than {MAX_OUTPUT_BYTES} bytes; refused"
        ));
    }
    Ok(out)
}

/// The most telling line of a tool's stderr, bounded (it is shown in a table row).
fn first_error_line(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no error output");
    line.chars().take(300).collect()
}
