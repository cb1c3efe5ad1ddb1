//! The real `kdrift demo` binary in tmux, driven like a person: read the screen, press keys, watch it converge.
//! tmux is required (`.ci/run` installs it); without it this test fails rather than skips.

use kdrift_testkit::tmux::Tmux;
use std::time::{Duration, Instant};

const SECRET_VALUES: &[&str] = &[
    "correct-horse-battery-staple",
    "hunter2-rotated-by-hand",
    "Y29ycmVjdC1ob3Jz",
    "aHVudGVyMi1yb3Rh",
];

#[test]
fn demo_shows_drift_converges_on_keypress_and_restores_the_terminal() {
    let state_dir = tempfile::tempdir().unwrap();
    let tmux = Tmux::start(
        &format!("{} demo", env!("CARGO_BIN_EXE_kdrift")),
        state_dir.path(),
    );

    let first = tmux.wait_for(
        &[
            "kdrift-demo (simulated)",
            "watch: live",
            "modified 3",
            "missing 1",
            "orphan 1",
            "replicas 4≠3",
        ],
        Duration::from_secs(30),
    );
    assert!(
        first.contains("tune frontend config"),
        "HEAD subject in the header:\n{first}"
    );
    // the binary runs itself again once, so mimalloc gives freed memory back at once
    let pid = tmux.process("kdrift").expect("kdrift runs in the pane");
    let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
    assert!(
        environ
            .split(|b| *b == 0)
            .any(|v| v == format!("{}=0", kdrift::alloc::PURGE_DELAY).as_bytes()),
        "kdrift runs without {}=0",
        kdrift::alloc::PURGE_DELAY
    );

    // Go to redis (last row) and read its diff.
    tmux.keys("G");
    let redis = tmux.wait_for(
        &[
            "diff shop/StatefulSet/redis",
            "/spec/replicas git 4 live 3",
            "kubectl-scale",
            // the text diff is worked out off the input path: a frame or two later
            "-  replicas: 3",
            "+  replicas: 4",
        ],
        Duration::from_secs(5),
    );
    assert!(redis.contains("logs redis"), "{redis}");
    tmux.wait_for(&["logs redis following"], Duration::from_secs(10));

    // The lower pane: the events that explain the missing replica, then the drift's timeline;
    // back to the logs and the resources.
    tmux.keys("e");
    let mut events = tmux.wait_for(
        &["events redis live", "StatefulSet/redis"],
        Duration::from_secs(10),
    );
    // newest on top: when the pods' own events came after the delete, it is further down
    for _ in 0..20 {
        if events.contains("SuccessfulDelete") {
            break;
        }
        tmux.keys("j");
        std::thread::sleep(Duration::from_millis(100));
        events = tmux.screen();
    }
    assert!(events.contains("SuccessfulDelete"), "{events}");
    tmux.keys("w");
    let timeline = tmux.wait_for(
        &["timeline redis", "by kubectl-scale · drifting"],
        Duration::from_secs(5),
    );
    tmux.keys("m");
    let metrics = tmux.wait_for(
        &[
            "metrics redis live",
            "monitoring/prometheus:9090",
            "replicas",
            "ready 3",
        ],
        Duration::from_secs(10),
    );
    tmux.keys("l");
    tmux.keys("Tab");
    tmux.wait_for(&["logs redis following"], Duration::from_secs(5));

    // Side by side: live's line and git's on one screen line; then every line, then back.
    tmux.keys("v");
    let split = tmux.wait_for(&["v unified"], Duration::from_secs(5));
    assert!(
        split
            .lines()
            .any(|l| l.contains("replicas: 3") && l.contains("replicas: 4")),
        "{split}"
    );
    tmux.keys("x");
    let all = tmux.wait_for(&["x changes only"], Duration::from_secs(5));
    assert!(all.contains("apiVersion: apps/v1"), "{all}");
    tmux.keys("n");
    let at_change = tmux.wait_for(
        &["── /spec/replicas ← kubectl-scale"],
        Duration::from_secs(5),
    );
    tmux.keys("v");
    tmux.keys("x");
    tmux.wait_for(&["v side by side", "x all lines"], Duration::from_secs(5));

    // The Secret row says which key changed, never the value.
    tmux.keys("/");
    tmux.keys("api-cred");
    tmux.keys("Enter");
    let secret = tmux.wait_for(
        &["diff shop/Secret/api-credentials", "DB_PASSWORD"],
        Duration::from_secs(5),
    );
    tmux.keys("Escape");

    // Converge everything: the plan first (prune asked for with p), then apply; the hand
    // edits own their fields, so the server refuses until F takes them.
    tmux.keys("S");
    tmux.wait_for(
        &[
            "sync plan",
            "1 create, 3 patch, 0 prune",
            "prune off: 1 orphan",
        ],
        Duration::from_secs(5),
    );
    tmux.keys("p");
    let plan = tmux.wait_for(
        &[
            "sync plan",
            "1 create, 3 patch, 1 prune",
            "PRUNE",
            "will be DELETED",
        ],
        Duration::from_secs(5),
    );
    tmux.keys("y");
    let conflicts = tmux.wait_for(
        &["conflicts", "owned by kubectl-scale", "F: apply again"],
        Duration::from_secs(5),
    );
    tmux.keys("F");
    let start = Instant::now();
    let done = tmux.wait_for(
        &[
            "converged",
            "in sync 9",
            "modified 0",
            "missing 0",
            "orphan 0",
        ],
        Duration::from_secs(5),
    );
    eprintln!("converged on screen {:?} after confirming", start.elapsed());

    // the sync as a trace, and every drift of this run in the timeline, each ended by it
    tmux.keys("t");
    let trace = tmux.wait_for(
        &["traces kdrift · sync · ", "step wave", "█"],
        Duration::from_secs(5),
    );
    tmux.keys("w");
    tmux.keys("w");
    let history = tmux.wait_for(
        &["timeline all objects", "→ kdrift sync"],
        Duration::from_secs(5),
    );
    assert!(
        !history.contains("· drifting"),
        "every drift ended:\n{history}"
    );
    // the alerts since start: every diff alert, its end, and the converged one on top
    tmux.keys("a");
    let alerts = tmux.wait_for(
        &[
            "alerts ",
            "nothing drifting",
            "converged all 9 resources",
            "resolved  shop/",
        ],
        Duration::from_secs(5),
    );

    // redis's own service, as the (simulated) Jaeger has it: t twice on its row
    tmux.keys("/");
    tmux.keys("StatefulSet");
    tmux.keys("Enter");
    tmux.keys("t");
    tmux.keys("t");
    let service = tmux.wait_for(
        &["traces service redis · 1 of", "HGETALL cart"],
        Duration::from_secs(10),
    );
    tmux.keys("Escape");

    tmux.keys("q");
    let after = tmux.wait_for(&["KDRIFT_EXIT=0"], Duration::from_secs(5));
    assert!(
        !after.contains("resources ("),
        "the alternate screen is gone after quit:\n{after}"
    );

    let log =
        std::fs::read_to_string(state_dir.path().join("kdrift/kdrift.log")).unwrap_or_default();
    for screen in [
        &first, &redis, &split, &all, &at_change, &secret, &plan, &conflicts, &done, &log, &events,
        &timeline, &metrics, &trace, &history, &alerts, &service,
    ] {
        for value in SECRET_VALUES {
            assert!(
                !screen.contains(value),
                "secret value {value} leaked:\n{screen}"
            );
        }
    }
    assert!(
        log.contains("sync finished"),
        "the log file records the sync:\n{log}"
    );
}

/// A panic in any task (here one the demo is told to start) restores the terminal, says so in
/// one line naming the log file, and ends kdrift: no TUI drawing on over a cooked terminal.
#[test]
fn a_task_panic_restores_the_terminal_and_exits() {
    let state_dir = tempfile::tempdir().unwrap();
    let tmux = Tmux::start(
        &format!(
            "KDRIFT_FAULT=panic-task {} demo",
            env!("CARGO_BIN_EXE_kdrift")
        ),
        state_dir.path(),
    );
    tmux.wait_for(&["kdrift-demo (simulated)"], Duration::from_secs(30));
    let after = tmux.wait_for(
        &[
            "kdrift: internal error (a bug)",
            "injected fault",
            "kdrift.log",
            "KDRIFT_EXIT=70",
        ],
        Duration::from_secs(10),
    );
    assert!(
        !after.contains("resources ("),
        "the alternate screen is gone:\n{after}"
    );
}

/// `--bell`: the demo's drift, told when it settles, rings the terminal's bell.
#[test]
fn the_bell_rings_on_drift_with_bell_and_not_without() {
    for (flag, rings) in [("--bell", true), ("", false)] {
        let state_dir = tempfile::tempdir().unwrap();
        let tmux = Tmux::start(
            &format!("{} demo {flag}", env!("CARGO_BIN_EXE_kdrift")),
            state_dir.path(),
        );
        tmux.away();
        let start = Instant::now();
        // the demo settles in about a second: past 5 s without a bell there is none
        let wait = Duration::from_secs(if rings { 15 } else { 5 });
        while !tmux.rang() && start.elapsed() < wait {
            std::thread::sleep(Duration::from_millis(100));
        }
        assert_eq!(tmux.rang(), rings, "demo {flag}");
    }
}

/// Issue 15: `NO_COLOR` draws no colour at all (the selection stays visible in reverse video);
/// `--color always` overrides it; `--theme high-contrast` draws the bright colours and its own
/// selection bar.
#[test]
fn no_color_and_themes_are_what_the_terminal_is_asked_to_draw() {
    let run = |env: &str, flags: &str| {
        let state_dir = tempfile::tempdir().unwrap();
        let tmux = Tmux::start(
            &format!("{env} {} demo {flags}", env!("CARGO_BIN_EXE_kdrift")),
            state_dir.path(),
        );
        // the whole first frame: the footer is written last, the diff once its job answered
        tmux.wait_for(&["modified", "--- live", "q quit"], Duration::from_secs(20));
        let screen = tmux.screen_escaped();
        tmux.keys("q");
        colours(&screen)
    };
    let plain = run("NO_COLOR=1", "");
    assert!(plain.colours.is_empty(), "{plain:?}");
    assert!(plain.reverse, "the selection in reverse video");
    let forced = run("NO_COLOR=1", "--color always");
    assert!(!forced.colours.is_empty(), "--color always: {forced:?}");
    let normal = run("", "");
    let bright = run("", "--theme high-contrast");
    let green = ("fg", 2);
    let light_green = ("fg", 10);
    assert!(normal.has(green) && !normal.has(light_green), "{normal:?}");
    assert!(bright.has(light_green) && !bright.has(green), "{bright:?}");
    assert!(
        normal.sgr.iter().any(|p| p == "48;2;40;44;52"),
        "{normal:?}"
    );
    assert!(bright.has(("bg", 4)), "a blue selection bar: {bright:?}");
}

/// What a screen asks the terminal to draw: each `ESC [ … m`'s parameters, the 256-colour
/// indexes they set (fg or bg), and whether reverse video is used.
#[derive(Debug)]
struct Drawn {
    sgr: Vec<String>,
    colours: Vec<(&'static str, u16)>,
    reverse: bool,
}

impl Drawn {
    fn has(&self, colour: (&str, u16)) -> bool {
        self.colours
            .iter()
            .any(|(w, i)| *w == colour.0 && *i == colour.1)
    }
}

fn colours(screen: &str) -> Drawn {
    let mut drawn = Drawn {
        sgr: Vec::new(),
        colours: Vec::new(),
        reverse: false,
    };
    let mut rest = screen;
    while let Some(i) = rest.find("\u{1b}[") {
        rest = &rest[i + 2..];
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .unwrap_or(rest.len());
        if !rest[end..].starts_with('m') {
            continue;
        }
        let params: Vec<u16> = rest[..end]
            .split(';')
            .filter_map(|n| n.parse().ok())
            .collect();
        drawn.sgr.push(rest[..end].to_string());
        let mut it = params.iter().copied();
        while let Some(p) = it.next() {
            match p {
                7 => drawn.reverse = true,
                30..=37 => drawn.colours.push(("fg", p - 30)),
                40..=47 => drawn.colours.push(("bg", p - 40)),
                90..=97 => drawn.colours.push(("fg", p - 90 + 8)),
                100..=107 => drawn.colours.push(("bg", p - 100 + 8)),
                38 | 48 => {
                    let which = if p == 38 { "fg" } else { "bg" };
                    match it.next() {
                        Some(5) => drawn.colours.extend(it.next().map(|i| (which, i))),
                        // true colour: r;g;b, kept in `sgr`
                        Some(2) => {
                            drawn.colours.push((which, 256));
                            it.nth(2);
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
    }
    drawn
}
