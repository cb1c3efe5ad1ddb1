//! The commits pane and time travel: pick an older commit, see the cluster's drift against it,
//! come back to HEAD; the branch moving meanwhile does not pull the view back.

mod common;

use common::{NOW_MS, demo, demo_state, status};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kdrift::app::{Cmd, Keymap, Msg, RepoMsg, State, update};
use kdrift::model::DriftStatus;
use kdrift::repo::read_snapshot;
use kdrift::tui::{CHANNEL_CAPACITY, Executor};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::Duration;
use tokio::sync::mpsc;

fn key(state: &mut State, code: KeyCode) -> Vec<Cmd> {
    update(state, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn screen(state: &State, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| kdrift::ui::draw(f, state)).unwrap();
    t.backend().to_string()
}

#[tokio::test]
async fn commits_pane_lists_the_branch_and_enter_asks_for_the_commit() {
    let (mut state, _demo) = demo_state().await;
    assert_eq!(state.log.len(), 3);
    assert_eq!(state.log[0].subject, "tune frontend config");
    key(&mut state, KeyCode::Char('c'));
    assert!(state.show_commits);
    let text = screen(&state, 120, 40);
    assert!(
        text.contains("commits main (3)") && text.contains("scale redis"),
        "{text}"
    );
    // Enter on HEAD is not time travel.
    assert!(key(&mut state, KeyCode::Enter).contains(&Cmd::ReadCommit(None)));
    key(&mut state, KeyCode::Char('j'));
    key(&mut state, KeyCode::Char('j'));
    let cmds = key(&mut state, KeyCode::Enter);
    assert_eq!(
        cmds,
        vec![
            Cmd::ReadCommit(Some(state.log[2].id.clone())),
            Cmd::ReadCommitFiles(state.log[2].clone()),
        ]
    );
    key(&mut state, KeyCode::Char('c'));
    assert!(!state.show_commits);
}

fn redis_key(state: &State) -> kdrift::model::ResourceKey {
    let key = state.reports.keys().find(|k| k.kind == "StatefulSet");
    key.expect("a redis row").clone()
}

#[tokio::test]
async fn traveling_compares_against_the_old_commit_until_head_is_asked_for() {
    let (mut state, demo) = demo_state().await;
    let first = demo.snapshot.log[2].id.clone(); // "initial shop app": redis at 2 replicas
    let old = read_snapshot(&demo.repo, Some(&first), None, None).unwrap();
    update(&mut state, Msg::Repo(RepoMsg::Travel(Box::new(old))));
    assert!(state.traveling());
    let redis = &state.reports[&redis_key(&state)];
    assert_eq!(
        redis.changes[0].desired,
        Some(serde_json::json!(2)),
        "compared against the first commit"
    );
    let text = screen(&state, 120, 40);
    assert!(
        text.contains("TIME TRAVEL (HEAD is bbd4997, H returns)"),
        "{text}"
    );
    assert!(text.contains(&first[..7]), "{text}");

    // The branch moving on does not pull the view back to HEAD.
    let head_again = read_snapshot(&demo.repo, None, None, None).unwrap();
    update(
        &mut state,
        Msg::Repo(RepoMsg::Snapshot(Box::new(head_again.clone()))),
    );
    assert!(state.traveling());

    // Syncing from the past names the commit and warns that it is not HEAD.
    key(&mut state, KeyCode::Char('S'));
    let dialog = screen(&state, 120, 40);
    assert!(
        dialog.contains(&format!("{} is NOT the branch HEAD", &first[..7])),
        "{dialog}"
    );
    key(&mut state, KeyCode::Esc);

    assert_eq!(
        key(&mut state, KeyCode::Char('H')),
        vec![Cmd::ReadCommit(None)]
    );
    update(&mut state, Msg::Repo(RepoMsg::Travel(Box::new(head_again))));
    assert!(!state.traveling());
    assert_eq!(
        status(&state, "StatefulSet", "redis"),
        Some(DriftStatus::Modified)
    );
    let redis = &state.reports[&redis_key(&state)];
    assert_eq!(redis.changes[0].desired, Some(serde_json::json!(4)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_executor_reads_the_chosen_commit() {
    let demo = demo().await;
    let (tx, mut rx) = mpsc::channel(CHANNEL_CAPACITY);
    let spec = demo.repo_spec();
    let mut executor = Executor::new(demo.resolver.clone(), tx).with_repo(spec);
    let mut state = State::new("t", Keymap::defaults());
    update(&mut state, Msg::Tick(NOW_MS));
    update(
        &mut state,
        Msg::Repo(RepoMsg::Snapshot(Box::new(demo.snapshot.clone()))),
    );
    executor.run(Cmd::ReadCommit(Some(demo.snapshot.log[1].id.clone())));
    let msg = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    let Msg::Repo(RepoMsg::Travel(snap)) = msg else {
        panic!("{msg:?}")
    };
    assert_eq!(snap.commit.subject, "scale redis to 4 replicas");
    update(&mut state, Msg::Repo(RepoMsg::Travel(snap)));
    assert!(state.traveling());
    executor.shutdown();
}

/// Enter on a commit lists the files it changed under the history (read by the executor from git).
#[tokio::test]
async fn enter_on_a_commit_shows_the_files_it_changed() {
    let (mut state, demo) = demo_state().await;
    let (tx, mut rx) = mpsc::channel(CHANNEL_CAPACITY);
    let mut executor = Executor::new(demo.resolver.clone(), tx).with_repo(demo.repo_spec());
    key(&mut state, KeyCode::Char('c'));
    key(&mut state, KeyCode::Char('j'));
    for cmd in key(&mut state, KeyCode::Enter) {
        executor.run(cmd);
    }
    for _ in 0..2 {
        let msg = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .unwrap()
            .unwrap();
        update(&mut state, msg);
    }
    let files = state.commit_files.as_ref().expect("files arrived");
    assert_eq!(files.commit.subject, "scale redis to 4 replicas");
    let mut t = Terminal::new(TestBackend::new(90, 12)).unwrap();
    t.draw(|f| kdrift::ui::commits::draw(f, f.area(), &state))
        .unwrap();
    insta::assert_snapshot!(t.backend());
    key(&mut state, KeyCode::Char('c'));
    assert_eq!(
        state.commit_files, None,
        "closing the pane forgets the list"
    );
    executor.shutdown();
}

#[tokio::test]
async fn commits_pane_snapshot() {
    let (mut state, _demo) = demo_state().await;
    key(&mut state, KeyCode::Char('c'));
    key(&mut state, KeyCode::Char('j'));
    let mut t = Terminal::new(TestBackend::new(90, 7)).unwrap();
    t.draw(|f| kdrift::ui::commits::draw(f, f.area(), &state))
        .unwrap();
    insta::assert_snapshot!(t.backend());
}

fn select(state: &mut State, want: &str) {
    key(state, KeyCode::Char('g'));
    while state.selected_key().map(|k| k.to_string()).as_deref() != Some(want) {
        let before = state.selected;
        key(state, KeyCode::Char('j'));
        assert_ne!(before, state.selected, "{want} not found");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_shows_the_commits_that_changed_a_resource_with_its_diff() {
    let (mut state, demo) = demo_state().await;
    let (tx, mut rx) = mpsc::channel(CHANNEL_CAPACITY);
    let spec = demo.repo_spec();
    let mut executor = Executor::new(demo.resolver.clone(), tx).with_repo(spec);
    select(&mut state, "shop/StatefulSet/redis");
    let cmds = key(&mut state, KeyCode::Char('h'));
    assert!(
        matches!(&cmds[..], [Cmd::ReadHistory { source, .. }] if source == "shop/redis.yaml"),
        "{cmds:?}"
    );
    assert!(screen(&state, 120, 40).contains("reading git history"));
    for cmd in cmds {
        executor.run(cmd);
    }
    let msg = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    update(&mut state, msg);
    let entries = state
        .history
        .as_ref()
        .unwrap()
        .entries
        .clone()
        .expect("history read");
    let subjects: Vec<_> = entries
        .iter()
        .map(|e| (e.commit.subject.as_str(), e.change))
        .collect();
    assert_eq!(
        subjects,
        [
            ("scale redis to 4 replicas", "changed"),
            ("initial shop app", "added")
        ]
    );
    let diff: Vec<_> = entries[0].diff.iter().map(|l| l.text.as_str()).collect();
    assert!(
        diff.contains(&"-  replicas: 2") && diff.contains(&"+  replicas: 4"),
        "{diff:?}"
    );
    let mut t = Terminal::new(TestBackend::new(100, 30)).unwrap();
    t.draw(|f| kdrift::ui::draw(f, &state)).unwrap();
    insta::assert_snapshot!(t.backend());
    key(&mut state, KeyCode::Char('j'));
    assert_eq!(state.history.as_ref().unwrap().scroll, 1);
    assert!(
        !key(&mut state, KeyCode::Char('q')).contains(&Cmd::Quit),
        "q closes the overlay, not kdrift"
    );
    assert!(state.history.is_none() && !state.quit);
    executor.shutdown();
}

#[tokio::test]
async fn secret_history_names_changed_keys_without_values() {
    let (mut state, demo) = demo_state().await;
    select(&mut state, "shop/Secret/api-credentials");
    let key_ = state.selected_key().cloned().unwrap();
    let entries = kdrift::repo::object_history(
        &demo.repo,
        None,
        &key_,
        "shop/api-credentials.yaml",
        &Default::default(),
    )
    .unwrap();
    let text: String = entries
        .iter()
        .flat_map(|e| e.diff.iter().map(|l| l.text.clone() + "\n"))
        .collect();
    assert!(text.contains("DB_PASSWORD"), "{text}");
    assert!(
        !text.contains("correct-horse") && !text.contains("Y29ycmVjdC1ob3Jz"),
        "{text}"
    );
}
