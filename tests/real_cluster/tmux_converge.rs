//! The TUI on the real control plane in tmux, as a person uses it: see the drift, open the plan
//! with S, confirm, take kubectl's fields with F after the conflict, watch the rows turn in sync
//! and the converged notice (which waits for the rollout, run by kwok).

use crate::common::testbed::{App, Testbed, applied_app, testbed};
use kdrift_testkit::tmux::Tmux;
use std::path::Path;
use std::time::Duration;

/// `kdrift --repo REPO --kubeconfig ADMIN --namespace NS` in a tmux pane.
fn tui_in_tmux(tb: &Testbed, repo: &Path, ns: &str, state_dir: &Path) -> Tmux {
    let cmd = format!(
        "{} --repo {} --kubeconfig {} --namespace {ns}",
        env!("CARGO_BIN_EXE_kdrift"),
        repo.display(),
        tb.admin.display()
    );
    Tmux::start(&cmd, state_dir)
}

#[test]
fn drift_plan_confirm_force_and_converged_in_tmux() {
    let (tb, _shared) = testbed();
    let App { dir, ns, repo } = applied_app(&tb, "t-tmux");
    tb.kubectl(&["-n", &ns, "scale", "deployment/web", "--replicas=3"]);
    tb.merge_patch(&ns, "configmap/cfg", r#"{"data":{"mode":"slow"}}"#);
    tb.kubectl(&["-n", &ns, "delete", "service/web"]);

    let tmux = tui_in_tmux(&tb, &repo, &ns, dir.path());
    tmux.wait_for(
        &["kdrift-testbed", "modified 2", "missing 1", "replicas 2≠3"],
        Duration::from_secs(30),
    );
    tmux.keys("S");
    tmux.wait_for(
        &["sync plan", "1 create, 2 patch, 0 prune", "without force"],
        Duration::from_secs(5),
    );
    tmux.keys("y");
    tmux.wait_for(
        &["conflicts", ".spec.replicas", "F: apply again"],
        Duration::from_secs(10),
    );
    tmux.keys("F");
    let done = tmux.wait_for(
        &["converged in", "modified 0", "missing 0"],
        Duration::from_secs(60),
    );
    assert!(done.contains("in sync 4"), "{done}");
    assert_eq!(tb.field(&ns, "deployment/web", ".spec.replicas"), "2");
    assert_eq!(tb.field(&ns, "configmap/cfg", ".data.mode"), "fast");
    tmux.keys("q");
    tmux.wait_for(&["KDRIFT_EXIT=0"], Duration::from_secs(5));
}

/// Reliability S5: text from the cluster (a ConfigMap value, an annotation) cannot drive the
/// terminal: no title set, no blinking, no screen cleared. The promise holds by several layers
/// (`text::sanitize`, values quoted as JSON/YAML in diffs, ratatui's cells dropping control
/// characters), so this checks the promise end to end rather than any one of them.
#[test]
fn s5_escape_sequences_from_the_cluster_never_reach_the_terminal() {
    let (tb, _shared) = testbed();
    let App { dir, ns, repo } = applied_app(&tb, "t-s5");
    // OSC 0 (window title), SGR 5 (blink), CSI 2J (clear screen), BEL
    let hostile = "\\u001b]0;pwned-title\\u0007 \\u001b[5mblink\\u001b[0m \\u001b[2J";
    tb.merge_patch(
        &ns,
        "configmap/cfg",
        &format!(r#"{{"data":{{"mode":"{hostile}"}}}}"#),
    );
    tb.kubectl(&[
        "-n",
        &ns,
        "annotate",
        "deployment/web",
        "note=\u{1b}]0;pwned-title\u{7}",
    ]);
    tb.kubectl(&["-n", &ns, "scale", "deployment/web", "--replicas=3"]);
    let tmux = tui_in_tmux(&tb, &repo, &ns, dir.path());
    // the drifted ConfigMap's diff is on screen (the cursor starts on the first drift)
    tmux.wait_for(
        &["diff ", "ConfigMap/cfg", "blink"],
        Duration::from_secs(30),
    );
    tmux.keys("j");
    tmux.wait_for(&["Deployment/web"], Duration::from_secs(10));
    let raw = tmux.screen_escaped();
    for forbidden in ["\u{1b}[5m", "\u{1b}]0;", "\u{1b}[2J", "\u{7}"] {
        assert!(
            !raw.contains(forbidden),
            "{forbidden:?} reached the terminal:\n{raw}"
        );
    }
    assert_ne!(
        tmux.pane_title(),
        "pwned-title",
        "the cluster set the terminal's title"
    );
    tmux.keys("q");
    tmux.wait_for(&["KDRIFT_EXIT=0"], Duration::from_secs(5));
}
