//! The diff pane's own keys: next and previous change, side by side, all lines; and what a
//! person sees after each.

use super::*;
use kdrift::app::BodyLine;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// The demo with `frontend` drifted twice, far apart: replicas (by `kubectl-scale`) and the
/// image (by `kubectl-set`).
fn two_changes() -> State {
    let mut state = demo_state();
    let (_, frontend) = state
        .inv
        .live()
        .iter()
        .find(|(k, _)| k.name == "frontend" && k.kind == "Deployment")
        .unwrap();
    let mut frontend = frontend.value();
    frontend["spec"]["replicas"] = json!(5);
    frontend["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.26");
    press_msg(&mut state, Msg::Kube(KubeEvent::Applied(frontend)));
    select(&mut state, "shop/Deployment/frontend");
    state.diff.fit(30);
    state
}

fn pane_text(state: &State, width: u16, height: u16) -> Vec<String> {
    let mut t = Terminal::new(TestBackend::new(width, height)).unwrap();
    t.draw(|f| kdrift::ui::diff::draw(f, f.area(), state))
        .unwrap();
    let buffer = t.backend().buffer().clone();
    (0..height)
        .map(|y| (0..width).map(|x| buffer[(x, y)].symbol()).collect())
        .collect()
}

/// The pane line at the top, as drawn (the line after the border).
fn top_line(state: &State) -> String {
    pane_text(state, 80, 14)[1].clone()
}

#[test]
fn n_and_shift_n_walk_from_change_to_change() {
    let mut state = two_changes();
    assert_eq!(
        state
            .inv
            .report(state.selected_row().unwrap())
            .unwrap()
            .changes
            .len(),
        2
    );
    assert_eq!(state.diff_scroll, 0);
    key(&mut state, 'n');
    let first = state.diff_scroll;
    assert!(
        top_line(&state).contains("/spec/replicas"),
        "{}",
        top_line(&state)
    );
    key(&mut state, 'n');
    assert!(state.diff_scroll > first);
    let second = top_line(&state);
    assert!(
        second.contains("/spec/template/spec/containers[name=nginx]/image"),
        "{second}"
    );
    // no third change: stays
    let at = state.diff_scroll;
    key(&mut state, 'n');
    assert_eq!(state.diff_scroll, at);
    key(&mut state, 'N');
    assert_eq!(state.diff_scroll, first);
    key(&mut state, 'N');
    assert_eq!(state.diff_scroll, first, "nothing before the first change");
}

#[test]
fn side_by_side_pairs_old_and_new_on_one_line_and_keeps_the_change_in_view() {
    let mut state = two_changes();
    key(&mut state, 'n');
    key(&mut state, 'n');
    key(&mut state, 'v');
    assert!(state.diff.split);
    assert!(
        top_line(&state).contains("image"),
        "still at the second change"
    );
    let lines = pane_text(&state, 100, 30);
    let paired = lines
        .iter()
        .find(|l| l.contains("nginx:1.26"))
        .unwrap_or_else(|| panic!("{lines:#?}"));
    assert!(
        paired.contains("nginx:1.27"),
        "old and new on one line: {paired}"
    );
    let (left, right) = paired
        .split_once('│')
        .map(|(_, rest)| rest.split_once(" │ ").unwrap())
        .unwrap();
    assert!(
        left.contains("1.26") && right.contains("1.27"),
        "live left, git right: {paired}"
    );
    key(&mut state, 'v');
    assert!(!state.diff.split);
    assert!(
        state
            .diff
            .body()
            .iter()
            .all(|l| !matches!(l, BodyLine::Pair(..)))
    );
}

#[test]
fn x_shows_every_line_and_back() {
    let mut state = two_changes();
    let gaps = |s: &State| {
        s.diff
            .body()
            .iter()
            .filter(|l| matches!(l, BodyLine::Gap(_)))
            .count()
    };
    let hidden = |s: &State| {
        s.diff
            .body()
            .iter()
            .map(|l| match l {
                BodyLine::Gap(n) | BodyLine::Hunk { hidden: n, .. } => *n,
                _ => 0,
            })
            .sum::<usize>()
    };
    assert!(hidden(&state) > 0, "collapsed at first");
    let collapsed = state.diff.body().len();
    key(&mut state, 'x');
    assert_eq!((hidden(&state), gaps(&state)), (0, 0));
    let text = state.diff.text_for(state.selected_key().unwrap()).unwrap();
    let rows = state
        .diff
        .body()
        .iter()
        .filter(|l| matches!(l, BodyLine::Row(_)))
        .count();
    assert_eq!(rows, text.rows().len(), "every line");
    // both changes are still labelled and reachable, each label right above its lines
    assert_eq!(state.diff.changes_at().count(), 2);
    key(&mut state, 'n');
    let lines = pane_text(&state, 80, 14);
    assert!(lines[1].contains("── /spec/replicas"), "{lines:#?}");
    assert!(lines[2].starts_with("│-  replicas: 5"), "{lines:#?}");
    key(&mut state, 'x');
    assert_eq!(state.diff.body().len(), collapsed);
}

#[test]
fn changed_words_are_marked_within_the_line() {
    let state = two_changes();
    let mut t = Terminal::new(TestBackend::new(80, 30)).unwrap();
    t.draw(|f| kdrift::ui::diff::draw(f, f.area(), &state))
        .unwrap();
    let buffer = t.backend().buffer();
    let reversed: String = (0..30)
        .flat_map(|y| (0..80).map(move |x| (x, y)))
        .filter(|&p| {
            buffer[p]
                .modifier
                .contains(ratatui::style::Modifier::REVERSED)
        })
        .map(|p| buffer[p].symbol().to_string())
        .collect();
    // replicas 5 → 2, and 26 → 27 within the image
    assert_eq!(reversed, "522627");
}

/// A change whose manager left no time (as for a `scale` subresource) says how long kdrift has
/// seen it drifted instead.
#[test]
fn a_change_without_a_written_time_says_since_when_it_is_seen() {
    let mut state = demo_state();
    let (_, frontend) = state
        .inv
        .live()
        .iter()
        .find(|(k, _)| k.name == "frontend" && k.kind == "Deployment")
        .unwrap();
    let original = frontend.value();
    let mut frontend = original.clone();
    frontend["spec"]["replicas"] = json!(6);
    for entry in frontend["metadata"]["managedFields"]
        .as_array_mut()
        .unwrap()
    {
        entry.as_object_mut().unwrap().remove("time");
    }
    press_msg(&mut state, Msg::Kube(KubeEvent::Applied(frontend)));
    select(&mut state, "shop/Deployment/frontend");
    let three_minutes_on = state.now_ms + 3 * 60 * 1000 + 5_000;
    press_msg(&mut state, Msg::Tick(three_minutes_on));
    state.diff.fit(30);
    let text = pane_text(&state, 90, 30).join("\n");
    assert!(text.contains(", seen 3m ago"), "{text}");
    // and once it is back in line, the time is forgotten
    let key = state.selected_key().unwrap().clone();
    assert!(state.inv.first_seen(&key, "/spec/replicas").is_some());
    press_msg(&mut state, Msg::Kube(KubeEvent::Applied(original)));
    assert_eq!(state.inv.first_seen(&key, "/spec/replicas"), None);
}

/// Reliability L4: a key press onto a 1 MB ConfigMap asks for its diff (`Cmd::Diff`, worked out
/// by a job off the input path, bounded when it runs) instead of working it out itself; the
/// pane says it is on its way meanwhile. (How long the press takes is a benchmark:
/// `cargo bench --bench tui -- "1 MB"`.)
#[test]
fn l4_a_big_diff_is_asked_for_not_worked_out_on_the_key_press() {
    let mut state = demo_state();
    let mut big = state
        .inv
        .desired
        .values()
        .find(|d| d.key.name == "frontend-config")
        .unwrap()
        .manifest
        .tree();
    let data = big["data"].as_object_mut().unwrap();
    for i in 0..1_000 {
        data.insert(format!("k{i:04}"), json!("v".repeat(1_024)));
    }
    let mut live = big.clone();
    live["metadata"]["name"] = json!("big");
    big["metadata"]["name"] = json!("big");
    for v in live["data"].as_object_mut().unwrap().values_mut() {
        *v = json!("w".repeat(1_024));
    }
    assert!(live.to_string().len() > 1_000_000);
    let mut snap = crate::common::captured().snapshot.clone();
    let key = kdrift_engine::model::ResourceKey::from_object(&big).unwrap();
    snap.desired.push(kdrift_engine::model::Desired {
        key: key.clone(),
        manifest: big.into(),
        source: "shop/big.yaml".into(),
        app: None,
    });
    press_msg(&mut state, Msg::Repo(RepoEvent::Snapshot(Box::new(snap))));
    press_msg(&mut state, Msg::Kube(KubeEvent::Applied(live)));
    // the diff pane holds another row's text (redis), and the cursor sits just above the big
    // row (rows sort by namespace, kind, name: the cluster-scoped Namespace, then shop's
    // ConfigMaps, `big` first)
    select(&mut state, "shop/StatefulSet/redis");
    select(&mut state, "Namespace/shop");
    let above = state.selected;
    assert_eq!(
        state.visible_rows()[above + 1].0.object(),
        Some(&key),
        "big is the next row"
    );
    // straight through `update`, as the TUI does: no job runs here
    let cmds = kdrift::app::update(
        &mut state,
        Msg::Key(crossterm::event::KeyEvent::new(
            KeyCode::Char('j'),
            crossterm::event::KeyModifiers::NONE,
        )),
    );
    assert_eq!(state.selected_key(), Some(&key));
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Cmd::Diff { request, .. } if request.key == key)),
        "{cmds:?}"
    );
    assert!(state.diff.waiting(), "the pane waits for the job");
}
