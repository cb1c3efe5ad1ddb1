//! Snapshots of every pane and of the whole screen at 80×24 and 120×40, drawn from the demo's data.

use crate::common::{NOW_MS, demo_state, feed_logs, key, press_msg, select};
use kdrift::app::{Msg, State};
use kdrift_engine::cluster::KubeEvent;
use kdrift_engine::model::{Gvk, WatchState};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;

/// The whole screen, the state told its size first as the terminal loop does.
fn screen(state: &mut State, width: u16, height: u16) -> Terminal<TestBackend> {
    kdrift::ui::fit(state, Rect::new(0, 0, width, height));
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| kdrift::ui::draw(f, state)).unwrap();
    terminal
}

/// The diff pane alone, its context sized to it.
fn diff_pane(state: &mut State, width: u16, height: u16) -> Terminal<TestBackend> {
    state.diff.fit(height);
    pane(width, height, |f, a| kdrift::ui::diff::draw(f, a, state))
}

fn pane(
    width: u16,
    height: u16,
    draw: impl FnOnce(&mut ratatui::Frame, Rect),
) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| draw(f, f.area())).unwrap();
    terminal
}

#[test]
fn full_screen_80x24() {
    let mut state = demo_state();
    select(&mut state, "shop/StatefulSet/redis");
    feed_logs(&mut state);
    insta::assert_snapshot!(screen(&mut state, 80, 24).backend());
}

#[test]
fn full_screen_120x40() {
    let mut state = demo_state();
    select(&mut state, "shop/StatefulSet/redis");
    feed_logs(&mut state);
    insta::assert_snapshot!(screen(&mut state, 120, 40).backend());
}

#[test]
fn header_pane() {
    let state = demo_state();
    insta::assert_snapshot!(pane(120, 2, |f, a| kdrift::ui::header::draw(f, a, &state)).backend());
}

#[test]
fn resources_pane() {
    let mut state = demo_state();
    select(&mut state, "shop/ConfigMap/frontend-config");
    insta::assert_snapshot!(
        pane(70, 14, |f, a| kdrift::ui::resources::draw(f, a, &state)).backend()
    );
}

#[test]
fn resources_pane_while_filtering() {
    let mut state = demo_state();
    key(&mut state, '/');
    for c in "front".chars() {
        key(&mut state, c);
    }
    insta::assert_snapshot!(
        pane(70, 8, |f, a| kdrift::ui::resources::draw(f, a, &state)).backend()
    );
}

#[test]
fn diff_pane_replicas() {
    let mut state = demo_state();
    select(&mut state, "shop/StatefulSet/redis");
    insta::assert_snapshot!(diff_pane(&mut state, 80, 12).backend());
}

#[test]
fn diff_pane_configmap_with_manager() {
    let mut state = demo_state();
    select(&mut state, "shop/ConfigMap/frontend-config");
    insta::assert_snapshot!(diff_pane(&mut state, 80, 16).backend());
}

#[test]
fn diff_pane_secret_hides_values() {
    let mut state = demo_state();
    select(&mut state, "shop/Secret/api-credentials");
    let term = diff_pane(&mut state, 90, 16);
    let text = term.backend().to_string();
    for secret in [
        "correct-horse",
        "Y29ycmVjdC1ob3JzZ",
        "hunter2",
        "aHVudGVyMi",
    ] {
        assert!(
            !text.contains(secret),
            "secret value on screen: {secret}\n{text}"
        );
    }
    assert!(text.contains("DB_PASSWORD"), "{text}");
    insta::assert_snapshot!(term.backend());
}

#[test]
fn diff_pane_missing_and_orphan() {
    let mut state = demo_state();
    select(&mut state, "shop/Service/api");
    insta::assert_snapshot!("missing", diff_pane(&mut state, 80, 22).backend());
    select(&mut state, "shop/Deployment/legacy-worker");
    insta::assert_snapshot!("orphan", diff_pane(&mut state, 80, 30).backend());
}

#[test]
fn logs_pane() {
    let mut state = demo_state();
    select(&mut state, "shop/StatefulSet/redis");
    feed_logs(&mut state);
    insta::assert_snapshot!(pane(100, 6, |f, a| kdrift::ui::logs::draw(f, a, &state)).backend());
}

#[test]
fn footer_pane() {
    let state = demo_state();
    insta::assert_snapshot!(pane(100, 2, |f, a| kdrift::ui::footer::draw(f, a, &state)).backend());
}

#[test]
fn sync_dialog() {
    let mut state = demo_state();
    key(&mut state, 'S');
    insta::assert_snapshot!(screen(&mut state, 100, 30).backend());
}

#[test]
fn help_overlay() {
    let mut state = demo_state();
    key(&mut state, '?');
    insta::assert_snapshot!(screen(&mut state, 100, 32).backend());
}

#[test]
fn reconnecting_watch_marks_rows_stale_and_header_says_so() {
    let mut state = demo_state();
    let gvk = Gvk {
        group: "apps".into(),
        version: "v1".into(),
        kind: "StatefulSet".into(),
    };
    let since_ms = NOW_MS - 7_000;
    press_msg(
        &mut state,
        Msg::Kube(KubeEvent::Watch {
            gvk: gvk.clone(),
            state: WatchState::Reconnecting {
                since_ms,
                why: None,
            },
        }),
    );
    let text = screen(&mut state, 120, 40).backend().to_string();
    assert!(text.contains("StatefulSet.apps reconnecting 7s"), "{text}");
    let row = text
        .lines()
        .find(|l| l.contains("StatefulSet redis"))
        .unwrap();
    assert!(row.contains("stale ·"), "{text}");
    let other = text
        .lines()
        .find(|l| l.contains("Secret      api-credentials"))
        .unwrap();
    assert!(
        !other.contains("stale"),
        "only the reconnecting kind is stale: {text}"
    );
    // what the server said, when it says why (an expired token is not fixed by waiting)
    press_msg(
        &mut state,
        Msg::Kube(KubeEvent::Watch {
            gvk: gvk.clone(),
            state: WatchState::Reconnecting {
                since_ms,
                why: Some("credentials rejected (401)".into()),
            },
        }),
    );
    let text = screen(&mut state, 160, 40).backend().to_string();
    assert!(
        text.contains("StatefulSet.apps reconnecting 7s: credentials rejected (401)"),
        "{text}"
    );
    press_msg(
        &mut state,
        Msg::Kube(KubeEvent::Watch {
            gvk,
            state: WatchState::Live,
        }),
    );
    let text = screen(&mut state, 120, 40).backend().to_string();
    assert!(!text.contains("stale"), "{text}");
    assert!(text.contains("watch: live"), "{text}");
}
