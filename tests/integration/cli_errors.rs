//! Errors before the TUI starts are one clear line on stderr and exit code 2.

use std::process::Command;

fn kdrift(args: &[&str], home: &std::path::Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kdrift"))
        .args(args)
        .env("HOME", home)
        .env_remove("KUBECONFIG")
        .env_remove("XDG_CACHE_HOME")
        .env("XDG_STATE_HOME", home.join("state"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn repo(dir: &std::path::Path) -> String {
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n";
    kdrift_engine::repo::write_history(
        dir,
        &[(
            "one",
            vec![kdrift_engine::repo::RepoFile {
                path: "c.yaml",
                contents: Some(cm),
            }],
        )],
    )
    .unwrap();
    dir.display().to_string()
}

fn kubeconfig(dir: &std::path::Path, server: &str) -> String {
    let path = dir.join("kubeconfig");
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {server}\n    insecure-skip-tls-verify: true\ncontexts:\n- name: only\n  context:\n    cluster: c\n    user: u\ncurrent-context: only\nusers:\n- name: u\n  user:\n    token: not-a-real-token\n"
    );
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn one_line_exit_2((code, _out, err): (i32, String, String), needle: &str) {
    assert_eq!(code, 2, "stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(needle), "{needle:?} not in {err:?}");
    assert!(
        !err.contains("not-a-real-token"),
        "credentials printed: {err}"
    );
}

#[test]
fn bad_repo() {
    let home = tempfile::tempdir().unwrap();
    one_line_exit_2(
        kdrift(&["check", "--repo", "/nonexistent/repo"], home.path()),
        "/nonexistent/repo",
    );
    one_line_exit_2(
        kdrift(&["--repo", "/nonexistent/repo"], home.path()),
        "not a git repository",
    );
}

#[test]
fn bad_revision() {
    let home = tempfile::tempdir().unwrap();
    let r = repo(&home.path().join("r"));
    one_line_exit_2(
        kdrift(
            &["check", "--repo", &r, "--rev", "no-such-branch"],
            home.path(),
        ),
        "no-such-branch",
    );
}

#[test]
fn no_kubeconfig() {
    let home = tempfile::tempdir().unwrap();
    let r = repo(&home.path().join("r"));
    one_line_exit_2(kdrift(&["check", "--repo", &r], home.path()), "kubeconfig");
    one_line_exit_2(
        kdrift(
            &["check", "--repo", &r, "--kubeconfig", "/no/such/file"],
            home.path(),
        ),
        "/no/such/file",
    );
}

#[test]
fn unknown_context() {
    let home = tempfile::tempdir().unwrap();
    let r = repo(&home.path().join("r"));
    let kc = kubeconfig(home.path(), "https://127.0.0.1:1");
    one_line_exit_2(
        kdrift(
            &[
                "check",
                "--repo",
                &r,
                "--kubeconfig",
                &kc,
                "--context",
                "nope",
            ],
            home.path(),
        ),
        "nope",
    );
}

#[test]
fn unreachable_server() {
    let home = tempfile::tempdir().unwrap();
    let r = repo(&home.path().join("r"));
    let kc = kubeconfig(home.path(), "https://127.0.0.1:1");
    one_line_exit_2(
        kdrift(&["--repo", &r, "--kubeconfig", &kc], home.path()),
        "cannot reach",
    );
}

#[test]
fn a_url_repo_that_cannot_be_fetched_names_the_url_without_its_credentials() {
    let home = tempfile::tempdir().unwrap();
    // nothing listens on port 1: the fetch fails after the URL (with its token) was handed to gix
    let url = "https://alice:s3cr3t-token@127.0.0.1:1/team/gitops.git";
    let result = kdrift(&["check", "--repo", url], home.path());
    assert!(!result.2.contains("s3cr3t"), "token printed: {}", result.2);
    assert!(!result.2.contains("alice"), "user printed: {}", result.2);
    one_line_exit_2(result, "https://127.0.0.1:1/team/gitops.git");
    let log = std::fs::read_to_string(home.path().join("state/kdrift/kdrift.log")).unwrap();
    assert!(log.contains("127.0.0.1:1"), "{log}");
    assert!(!log.contains("s3cr3t") && !log.contains("alice"), "{log}");
    // the mirror lives in the cache, named without the credentials
    let cache = home.path().join(".cache/kdrift/repos");
    for entry in std::fs::read_dir(&cache).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            !name.contains("s3cr3t") && !name.contains("alice"),
            "{name}"
        );
    }
}

/// A user config that does not parse stops kdrift before anything runs, naming file and line.
#[test]
fn a_bad_user_config_names_its_file_and_line() {
    let home = tempfile::tempdir().unwrap();
    let r = repo(&home.path().join("r"));
    let config = home.path().join(".config/kdrift/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(&config, "[[ignore]]\nkind = \"Deployment\"\npaths = 7\n").unwrap();
    let want = format!("{}:3", config.display());
    one_line_exit_2(kdrift(&["check", "--repo", &r], home.path()), &want);
    one_line_exit_2(kdrift(&["--repo", &r], home.path()), &want);
    // an unknown key is named with its line
    std::fs::write(&config, "theme = \"high-contrast\"\ncolour = \"red\"\n").unwrap();
    let (code, _, stderr) = kdrift(&["check", "--repo", &r], home.path());
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!("{}:2", config.display()))
            && stderr.contains("unknown field `colour`"),
        "{stderr}"
    );
}

/// A server that accepts connections and never says a word (a half-open stall).
fn stalled_server() -> (std::net::TcpListener, u16) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accept = listener.try_clone().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in accept.incoming().flatten() {
            held.push(conn); // kept open, never answered
        }
    });
    (listener, port)
}

#[test]
fn an_api_server_that_never_answers_is_an_error_within_the_request_timeout() {
    let home = tempfile::tempdir().unwrap();
    let repo = repo(&home.path().join("repo"));
    let (_server, port) = stalled_server();
    let config = kubeconfig(home.path(), &format!("https://127.0.0.1:{port}"));
    let started = std::time::Instant::now();
    let (code, _, stderr) = kdrift(
        &[
            "check",
            "--repo",
            &repo,
            "--kubeconfig",
            &config,
            "--request-timeout",
            "2",
        ],
        home.path(),
    );
    let took = started.elapsed();
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no answer in 2s"), "{stderr}");
    assert!(took < std::time::Duration::from_secs(10), "took {took:?}");
}

#[test]
fn a_git_server_that_never_answers_is_an_error_within_the_git_timeout() {
    let home = tempfile::tempdir().unwrap();
    let (_server, port) = stalled_server();
    for url in [
        format!("http://127.0.0.1:{port}/shop.git"),
        format!("git://127.0.0.1:{port}/shop.git"),
    ] {
        let started = std::time::Instant::now();
        let (code, _, stderr) = kdrift(
            &["check", "--repo", &url, "--git-timeout", "2"],
            home.path(),
        );
        let took = started.elapsed();
        assert_eq!(code, 2, "{url}: {stderr}");
        assert!(stderr.contains("no answer in 2s"), "{url}: {stderr}");
        assert!(
            took < std::time::Duration::from_secs(10),
            "{url} took {took:?}"
        );
    }
}

#[test]
fn sync_refuses_to_apply_when_read_only() {
    let home = tempfile::tempdir().unwrap();
    let repo = repo(&home.path().join("repo"));
    let (code, _, stderr) = kdrift(
        &["sync", "--repo", &repo, "--read-only", "--yes"],
        home.path(),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("--read-only: converging is disabled"),
        "{stderr}"
    );
}

#[test]
fn bad_otlp_endpoint_is_named_before_anything_connects() {
    let home = tempfile::tempdir().unwrap();
    let repo = repo(&home.path().join("repo"));
    for args in [
        vec![
            "check",
            "--repo",
            &repo,
            "--otlp-endpoint",
            "ftp://collector",
        ],
        vec!["demo", "--otlp-endpoint", "collector:4318"],
    ] {
        let (code, out, err) = kdrift(&args, home.path());
        assert!(out.is_empty(), "{out}");
        one_line_exit_2((code, out, err), "--otlp-endpoint");
    }
}

/// The user's config is found by the XDG base directories: `$XDG_CONFIG_HOME/kdrift`, and
/// `~/.config/kdrift` when that is unset or relative (the spec says to ignore a relative one).
#[test]
fn the_config_dir_follows_xdg_config_home_unless_it_is_relative() {
    let home = tempfile::tempdir().unwrap();
    let r = repo(&home.path().join("r"));
    let bad = |dir: &std::path::Path| {
        let file = dir.join("kdrift/config.toml");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, "thme = \"x\"\n").unwrap();
        file
    };
    let xdg = bad(&home.path().join("xdg"));
    let dot = bad(&home.path().join(".config"));
    let run = |config_home: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_kdrift"))
            .args(["check", "--repo", &r])
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", config_home)
            .env("XDG_STATE_HOME", home.path().join("state"))
            .env_remove("KUBECONFIG")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let stderr = run(home.path().join("xdg").to_str().unwrap());
    assert!(stderr.contains(&format!("{}:1", xdg.display())), "{stderr}");
    let stderr = run("relative/dir");
    assert!(stderr.contains(&format!("{}:1", dot.display())), "{stderr}");
}
