//! Criterion benchmarks for the front end's hot paths (shared/guide/performance.md): drawing a
//! frame over 10k rows (only visible rows are built), and a key press on 10k rows through
//! `update` (the filtered row list, the selection, the diff request).
//! Run: `cargo bench --bench tui`. Numbers go to docs/performance.md.

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kdrift::app::{Keymap, Msg, State, update};
use kdrift_engine::cluster::{KubeEvent, Scope};
use kdrift_engine::repo::{RepoEvent, read_snapshot};
use kdrift_testkit::layouts::apps_repo;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};
use std::hint::black_box;

/// The state after git's `snap` and one list of its objects as `drift` changes them live.
fn judged(snap: kdrift_engine::repo::Snapshot, drift: impl Fn(&mut Value)) -> State {
    let mut state = State::new("bench", Keymap::defaults());
    let gvk = snap.desired[0].key.gvk();
    let live: Vec<Value> = snap
        .desired
        .iter()
        .map(|d| {
            let mut live = d.manifest.tree();
            drift(&mut live);
            live
        })
        .collect();
    update(&mut state, Msg::Repo(RepoEvent::Snapshot(Box::new(snap))));
    let listed = KubeEvent::Listed {
        gvk,
        scope: Scope::All,
        objects: live,
    };
    update(&mut state, Msg::Kube(listed));
    state
}

/// A state with 10k rows, every one drifted (replicas differ), cursor in the middle.
fn ten_thousand_rows() -> State {
    let (dir, _) = apps_repo(10_000);
    let snap = read_snapshot(dir.path(), None, None, None).unwrap();
    let mut state = judged(snap, |live| live["spec"]["replicas"] = json!(9));
    state.selected = 5_000;
    state
}

fn frame(c: &mut Criterion) {
    let state = ten_thousand_rows();
    let mut terminal = Terminal::new(TestBackend::new(160, 50)).unwrap();
    c.bench_function("draw frame, 10k rows", |b| {
        b.iter(|| {
            terminal
                .draw(|f| kdrift::ui::draw(f, &state))
                .unwrap()
                .area
                .width
        })
    });
}

fn key_press(c: &mut Criterion) {
    let mut state = ten_thousand_rows();
    let mut down = true;
    c.bench_function("update: j/k on 10k rows", |b| {
        b.iter(|| {
            down = !down;
            let code = if down { 'j' } else { 'k' };
            let key = KeyEvent::new(KeyCode::Char(code), KeyModifiers::NONE);
            black_box(update(&mut state, Msg::Key(key)).len())
        })
    });
}

/// Two ConfigMaps, one of them 1 MB (1,000 keys of 1 KiB) with every value changed live.
fn one_megabyte_configmap() -> (State, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut big = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\n  namespace: a\ndata:\n",
    );
    for i in 0..1_000 {
        big.push_str(&format!("  k{i:04}: {}\n", "v".repeat(1_024)));
    }
    let small = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: small\n  namespace: a\ndata:\n  k: v\n";
    kdrift_engine::repo::write_history(
        dir.path(),
        &[(
            "big",
            vec![
                kdrift_engine::repo::RepoFile {
                    path: "big.yaml",
                    contents: Some(&big),
                },
                kdrift_engine::repo::RepoFile {
                    path: "small.yaml",
                    contents: Some(small),
                },
            ],
        )],
    )
    .unwrap();
    let snap = read_snapshot(dir.path(), None, None, None).unwrap();
    let state = judged(snap, |live| {
        if let Some(data) = live["data"].as_object_mut() {
            for v in data.values_mut() {
                *v = json!("w".repeat(1_024));
            }
        }
    });
    (state, dir)
}

/// L4: moving onto a 1 MB ConfigMap and off it again costs a key press, not a diff: the diff is
/// asked for (`Cmd::Diff`) and worked out off the input path.
fn key_press_beside_a_big_diff(c: &mut Criterion) {
    let (mut state, _dir) = one_megabyte_configmap();
    let mut down = true;
    c.bench_function("update: j/k onto a 1 MB ConfigMap", |b| {
        b.iter(|| {
            down = !down;
            let code = if down { 'j' } else { 'k' };
            let key = KeyEvent::new(KeyCode::Char(code), KeyModifiers::NONE);
            black_box(update(&mut state, Msg::Key(key)).len())
        })
    });
}

/// 100k ConfigMaps in one namespace, all in sync (the scale), built without a repo.
fn hundred_thousand_rows() -> State {
    use kdrift_engine::model::{Desired, ResourceKey};
    use kdrift_engine::repo::{CommitInfo, Snapshot};
    let objects: Vec<Value> = (0..100_000)
        .map(|i| {
            json!({"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": format!("cm-{i:06}"), "namespace": "scale"},
                   "data": {"k": i.to_string()}})
        })
        .collect();
    let commit = CommitInfo {
        id: "a".repeat(40),
        short: "a".repeat(7),
        subject: "scale".into(),
        author: "bench".into(),
        time: 0,
    };
    let snap = Snapshot {
        repo: "scale".into(),
        source: "scale".into(),
        branch: Some("main".into()),
        commit: commit.clone(),
        desired: objects
            .iter()
            .map(|o| Desired {
                key: ResourceKey::from_object(o).unwrap(),
                manifest: o.into(),
                source: "cm.yaml".into(),
                app: None,
            })
            .collect(),
        errors: vec![],
        notes: vec![],
        log: vec![commit],
        ignore: Default::default(),
        apps: vec![],
    };
    judged(snap, |_| {})
}

/// Typing into the filter over 100k rows: a character typed and erased, each with its frame
/// (the erase is the worst case: a shorter text matches every row again).
fn filter_keys(c: &mut Criterion) {
    let mut state = hundred_thousand_rows();
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).unwrap();
    let key = |code| Msg::Key(KeyEvent::new(code, KeyModifiers::NONE));
    update(&mut state, key(KeyCode::Char('/')));
    for ch in "cm-01".chars() {
        update(&mut state, key(KeyCode::Char(ch)));
    }
    c.bench_function(
        "filter: type and erase a character, with frames, 100k rows",
        |b| {
            b.iter(|| {
                for code in [KeyCode::Char('2'), KeyCode::Backspace] {
                    update(&mut state, key(code));
                    terminal.draw(|f| kdrift::ui::draw(f, &state)).unwrap();
                }
                black_box(state.visible_count())
            })
        },
    );
}

/// A watch event that changes no status (an annotation), folded with the follow-ups `update`
/// runs after every message, while the selected row is far down 100k rows and a filter is on:
/// the cost must not grow with the rows (it stepped over 90k rows per event before the marks).
fn event_far_down(c: &mut Criterion) {
    let mut state = hundred_thousand_rows();
    let key = |code| Msg::Key(KeyEvent::new(code, KeyModifiers::NONE));
    update(&mut state, key(KeyCode::Char('/')));
    for ch in "cm-09".chars() {
        update(&mut state, key(KeyCode::Char(ch)));
    }
    update(&mut state, key(KeyCode::Enter));
    state.selected = state.visible_count() - 1;
    let mut tick = 0u64;
    c.bench_function(
        "event: an annotation change folded, selection at the end of 100k rows, filtered",
        |b| {
            b.iter(|| {
                tick += 1;
                let obj = json!({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "cm-000001", "namespace": "scale",
                                 "annotations": {"tick": tick.to_string()}},
                    "data": {"k": "1"}});
                black_box(update(&mut state, Msg::Kube(KubeEvent::Applied(obj))).len())
            })
        },
    );
}

criterion_group!(
    benches,
    frame,
    key_press,
    key_press_beside_a_big_diff,
    filter_keys,
    event_far_down
);
criterion_main!(benches);
