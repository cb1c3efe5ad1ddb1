//! Reliability S1: Secret values — in `data`, `stringData`, the last-applied annotation, an
//! invalid Secret and the server's error messages — never reach the screen, JSON, text output,
//! stderr or the log file, in any spelling (plain or base64).

use crate::common::testbed::{Engine, commit, testbed, unique};
use base64::Engine as _;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kdrift::app::Msg;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::process::Command;

const CANARIES: &[&str] = &[
    "canary-live-data-4f1e",
    "canary-last-applied-8c2d",
    "canary-git-stringdata-77ab",
    "canary-invalid-secret-19fe",
];

fn spellings() -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    CANARIES
        .iter()
        .flat_map(|c| [c.to_string(), b64.encode(c)])
        .collect()
}

fn assert_clean(what: &str, text: &str) {
    for s in spellings() {
        assert!(!text.contains(&s), "{what} shows {s}:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s1_secret_values_never_leave_in_any_spelling() {
    let (tb, _shared) = testbed();
    let dir = tempfile::tempdir().unwrap();
    let ns = unique("t-s1");
    tb.kubectl(&["create", "namespace", &ns]);
    // live: applied with kubectl (so the last-applied annotation holds a value), then edited
    let applied = dir.path().join("applied.yaml");
    std::fs::write(
        &applied,
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: {ns}\nstringData:\n  password: {}\n",
            CANARIES[1]
        ),
    )
    .unwrap();
    tb.kubectl(&["apply", "-f", applied.to_str().unwrap()]);
    let b64 = base64::engine::general_purpose::STANDARD;
    let patch = format!(r#"{{"data":{{"password":"{}"}}}}"#, b64.encode(CANARIES[0]));
    tb.merge_patch(&ns, "secret/creds", &patch);

    // git: a different value, and an invalid Secret whose `data` is a string
    let repo = dir.path().join("repo");
    commit(
        &repo,
        "secrets",
        &[
            (
                "creds.yaml",
                format!(
                    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: {ns}\nstringData:\n  password: {}\n",
                    CANARIES[2]
                ),
            ),
            (
                "bad.yaml",
                format!(
                    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: bad\n  namespace: {ns}\ndata: {}\n",
                    CANARIES[3]
                ),
            ),
        ],
    );

    // headless: check (json, text), diff, sync's plan, dry-run and a real attempt
    let (code, json, stderr) = tb.check(&repo, &tb.admin);
    assert_eq!(code, 1, "{json:#}\n{stderr}");
    assert!(json.to_string().contains("/data/password") || json.to_string().contains("password"));
    assert_clean("check --output json", &format!("{json}{stderr}"));
    for (args, what) in [
        (vec!["check", "--output", "text"], "check"),
        (vec!["diff", "--color", "always"], "diff"),
        (vec!["sync", "--output", "text"], "sync"),
        (
            vec!["sync", "--dry-run", "--output", "json"],
            "sync --dry-run",
        ),
        (
            vec![
                "sync",
                "--yes",
                "--force-conflicts",
                "--timeout",
                "5",
                "--output",
                "json",
            ],
            "sync --yes",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_kdrift"))
            .args(&args)
            .arg("--repo")
            .arg(&repo)
            .arg("--kubeconfig")
            .arg(&tb.admin)
            .env("XDG_STATE_HOME", tb.dir.join("kdrift-state"))
            .env("XDG_CACHE_HOME", tb.dir.join("kdrift-cache"))
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_clean(what, &text);
    }

    // the TUI: every row's screen, and the plan
    let mut e = Engine::start(&tb.admin, &repo).await;
    let rows = e.state().visible_count();
    let mut screens = String::new();
    let draw = |e: &Engine| {
        let mut t = Terminal::new(TestBackend::new(160, 50)).unwrap();
        t.draw(|f| kdrift::ui::draw(f, e.state())).unwrap();
        t.backend().to_string()
    };
    for i in 0..rows {
        e.driver.state.selected = i;
        e.send(Msg::Tick(kdrift_engine::clock::now_ms()));
        e.pump_until(std::time::Duration::from_secs(5), |s| !s.diff.waiting())
            .await;
        screens.push_str(&draw(&e));
    }
    e.send(Msg::Key(KeyEvent::new(
        KeyCode::Char('S'),
        KeyModifiers::NONE,
    )));
    screens.push_str(&draw(&e));
    assert_clean("the TUI", &screens);
    drop(e);

    let log =
        std::fs::read_to_string(tb.dir.join("kdrift-state/kdrift/kdrift.log")).unwrap_or_default();
    assert_clean("the log file", &log);
}
