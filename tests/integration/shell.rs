//! Issue 15: completions and the man page, from the real binary as a user installs them, and
//! snapshots of `--help`, the scripts and the page (a flag added or renamed shows in review).

use clap::CommandFactory;
use kdrift::cli::Cli;
use std::process::Command;

fn kdrift(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_kdrift"))
        .args(args)
        .output()
        .expect("the kdrift binary runs");
    assert!(out.status.success(), "kdrift {args:?}: {out:?}");
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn help_snapshots() {
    let mut cli = Cli::command();
    insta::assert_snapshot!("help", cli.render_long_help().to_string());
    for sub in ["check", "diff", "sync", "watch", "demo"] {
        let help = cli
            .find_subcommand_mut(sub)
            .unwrap()
            .render_long_help()
            .to_string();
        insta::assert_snapshot!(format!("help_{sub}"), help);
    }
}

#[test]
fn completion_scripts_name_every_subcommand_and_bash_loads_one() {
    for shell in ["bash", "zsh", "fish"] {
        let script = kdrift(&["completions", shell]);
        let flag = |name: &str| match shell {
            "fish" => format!("-l {name}"),
            _ => format!("--{name}"),
        };
        let words = ["check", "diff", "sync", "watch", "demo"].map(String::from);
        for word in words.into_iter().chain([flag("repo"), flag("namespace")]) {
            assert!(script.contains(&word), "{shell} completes {word}");
        }
        insta::assert_snapshot!(format!("completions_{shell}"), script);
    }
    // sourced by bash as ~/.local/share/bash-completion/completions/kdrift would be, it
    // completes `kdrift ch` to `check`
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kdrift.bash");
    std::fs::write(&file, kdrift(&["completions", "bash"])).unwrap();
    let probe = format!(
        "source {}; COMP_WORDS=(kdrift ch); COMP_CWORD=1; _kdrift kdrift ch kdrift; echo \"${{COMPREPLY[@]}}\"",
        file.display()
    );
    let out = Command::new("bash").args(["-c", &probe]).output().unwrap();
    let words = String::from_utf8_lossy(&out.stdout);
    assert_eq!(words.trim(), "check", "{out:?}");
}

#[test]
fn the_man_page_documents_the_commands_and_their_flags() {
    let page = kdrift(&["man"]);
    assert!(
        page.starts_with(".ie") || page.contains(".TH kdrift 1"),
        "{page}"
    );
    for word in [
        ".TH kdrift 1",
        "kdrift\\-check",
        "\\-\\-repo",
        "\\-\\-kubeconfig",
    ] {
        assert!(page.contains(word), "the page names {word}");
    }
    // the version changes the header line: the snapshot keeps the rest
    let body: String = page
        .lines()
        .filter(|l| !l.starts_with(".TH"))
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!("man_page", body);
}
