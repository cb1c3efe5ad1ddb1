//! The commits pane and time travel: pick an older commit, see the cluster's drift against it,
//! come back to HEAD; the branch moving meanwhile does not pull the view back. Commit reads,
//! changed files and history go through the real driver and its newest-wins jobs.

use crate::common::{
    NOW_MS, captured, demo, demo_state, key, press, press_msg, screen, select, status,
};
use crossterm::event::KeyCode;
use kdrift::app::{Cmd, JobReply, Mode, Msg, State};
use kdrift::runtime::Driver;
use kdrift_engine::cluster::Resolver;
use kdrift_engine::model::{DriftStatus, WatchState};
use kdrift_engine::repo::{RepoEvent, read_snapshot};
use kdrift_sim::SimCluster;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::Duration;

/// The driver over `state`, reading commits of the captured demo repo (its cluster is not
/// needed: these jobs only read git).
fn driver(state: State) -> Driver {
    let resolver = Resolver::new(SimCluster::new().client());
    Driver::new(state, resolver).with_repo(captured().repo_spec())
}

fn reads(cmds: &[Cmd]) -> Vec<Option<String>> {
    cmds.iter()
        .filter_map(|c| match c {
            Cmd::ReadCommit { rev, .. } => Some(rev.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn commits_pane_lists_the_branch_and_enter_asks_for_the_commit() {
    let mut state = demo_state();
    assert_eq!(state.inv.log.len(), 3);
    assert_eq!(state.inv.log[0].subject, "tune frontend config");
    key(&mut state, 'c');
    assert!(state.show_commits);
    let text = screen(&state, 120, 40);
    assert!(
        text.contains("commits main (3)") && text.contains("scale redis"),
        "{text}"
    );
    assert_eq!(
        reads(&press(&mut state, KeyCode::Enter)),
        [None],
        "Enter on HEAD is not time travel"
    );
    key(&mut state, 'j');
    key(&mut state, 'j');
    let cmds = press(&mut state, KeyCode::Enter);
    assert_eq!(reads(&cmds), [Some(state.inv.log[2].id.clone())]);
    assert!(
        cmds.iter().any(
            |c| matches!(c, Cmd::ReadCommitFiles { commit, .. } if *commit == state.inv.log[2])
        ),
        "{cmds:?}"
    );
    key(&mut state, 'c');
    assert!(!state.show_commits);
}

fn travel(state: &mut State, rev: Option<&str>) {
    let snap = read_snapshot(&captured().repo, rev, None, None).unwrap();
    let ticket = state.jobs.commit.issue();
    let result = Ok(Box::new(snap));
    press_msg(state, Msg::Job(JobReply::Commit { ticket, result }));
}

fn redis_desired(state: &State) -> serde_json::Value {
    let (_, r) = state
        .inv
        .verdicts
        .iter()
        .find(|(k, _)| k.kind == "StatefulSet")
        .expect("a redis row");
    r.changes[0].desired.clone().unwrap()
}

#[test]
fn traveling_compares_against_the_old_commit_until_head_is_asked_for() {
    let mut state = demo_state();
    let first = captured().snapshot.log[2].id.clone(); // "initial shop app": redis at 2 replicas
    travel(&mut state, Some(&first));
    assert!(state.inv.traveling());
    assert_eq!(
        redis_desired(&state),
        2,
        "compared against the first commit"
    );
    let text = screen(&state, 120, 40);
    assert!(
        text.contains("TIME TRAVEL (HEAD is bbd4997, H returns)"),
        "{text}"
    );
    assert!(text.contains(&first[..7]), "{text}");

    // The branch moving on does not pull the view back to HEAD.
    let head_again = read_snapshot(&captured().repo, None, None, None).unwrap();
    press_msg(
        &mut state,
        Msg::Repo(RepoEvent::Snapshot(Box::new(head_again))),
    );
    assert!(state.inv.traveling());

    // Syncing from the past names the commit and warns that it is not HEAD.
    key(&mut state, 'S');
    let dialog = screen(&state, 120, 40);
    assert!(
        dialog.contains(&format!("{} is NOT the branch HEAD", &first[..7])),
        "{dialog}"
    );
    press(&mut state, KeyCode::Esc);

    assert_eq!(reads(&key(&mut state, 'H')), [None]);
    travel(&mut state, None);
    assert!(!state.inv.traveling());
    assert_eq!(
        status(&state, "StatefulSet", "redis"),
        Some(DriftStatus::Modified)
    );
    assert_eq!(redis_desired(&state), 4);
}

/// Two commits asked for in a row: only the newer one's reply is used, whichever lands last.
#[test]
fn a_late_reply_to_an_older_request_is_dropped() {
    let mut state = demo_state();
    let log = captured().snapshot.log.clone();
    let old = |rev: &str| {
        Ok(Box::new(
            read_snapshot(&captured().repo, Some(rev), None, None).unwrap(),
        ))
    };
    let first = state.jobs.commit.issue();
    let second = state.jobs.commit.issue();
    let reply = |ticket, rev: &str| {
        Msg::Job(JobReply::Commit {
            ticket,
            result: old(rev),
        })
    };
    press_msg(&mut state, reply(second, &log[1].id));
    press_msg(&mut state, reply(first, &log[2].id));
    let compared = state.inv.repo.as_ref().unwrap().commit.id.clone();
    assert_eq!(compared, log[1].id, "the newer request's commit stays");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_driver_reads_the_chosen_commit_and_its_files() {
    // The driver starts watchers for the kinds of the commit it travels to; they must list the
    // cluster the captured state came from (an empty one would take every live object away, and
    // with them the mark of the commit they were synced from), and are waited for.
    let demo = demo().await;
    let mut driver =
        Driver::new(demo_state(), demo.resolver.clone()).with_repo(captured().repo_spec());
    driver.handle(key_msg('c'));
    driver.handle(key_msg('j'));
    driver.handle(Msg::Key(crossterm::event::KeyEvent::new(
        KeyCode::Enter,
        crossterm::event::KeyModifiers::NONE,
    )));
    driver
        .run_until(Duration::from_secs(5), |s| {
            s.inv.traveling()
                && s.commit_files.is_some()
                && s.inv
                    .watches
                    .values()
                    .all(|w| !matches!(w, WatchState::Connecting))
        })
        .await
        .unwrap();
    // the driver told the core the real time; the snapshot wants the fixed one
    driver.handle(Msg::Tick(NOW_MS));
    let state = &driver.state;
    assert_eq!(
        state.inv.repo.as_ref().unwrap().commit.subject,
        "scale redis to 4 replicas"
    );
    let files = state.commit_files.as_ref().unwrap();
    assert_eq!(files.commit.subject, "scale redis to 4 replicas");
    let mut t = Terminal::new(TestBackend::new(90, 12)).unwrap();
    t.draw(|f| kdrift::ui::commits::draw(f, f.area(), state))
        .unwrap();
    insta::assert_snapshot!("enter_on_a_commit_shows_the_files_it_changed", t.backend());
    driver.handle(key_msg('c'));
    assert_eq!(
        driver.state.commit_files, None,
        "closing the pane forgets the list"
    );
}

fn key_msg(c: char) -> Msg {
    Msg::Key(crossterm::event::KeyEvent::new(
        KeyCode::Char(c),
        crossterm::event::KeyModifiers::NONE,
    ))
}

#[test]
fn commits_pane_snapshot() {
    let mut state = demo_state();
    key(&mut state, 'c');
    key(&mut state, 'j');
    let mut t = Terminal::new(TestBackend::new(90, 7)).unwrap();
    t.draw(|f| kdrift::ui::commits::draw(f, f.area(), &state))
        .unwrap();
    insta::assert_snapshot!(t.backend());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_shows_the_commits_that_changed_a_resource_with_its_diff() {
    let mut state = demo_state();
    select(&mut state, "shop/StatefulSet/redis");
    let cmds = key(&mut state, 'h');
    assert!(
        matches!(&cmds[..], [Cmd::ReadHistory { source, .. }] if source == "shop/redis.yaml"),
        "{cmds:?}"
    );
    assert!(screen(&state, 120, 40).contains("reading git history"));

    let mut state = demo_state();
    select(&mut state, "shop/StatefulSet/redis");
    let mut driver = driver(state);
    driver.handle(key_msg('h'));
    driver
        .run_until(Duration::from_secs(5), |s| {
            s.mode.history().is_some_and(|h| h.entries.is_some())
        })
        .await
        .unwrap();
    driver.handle(Msg::Tick(NOW_MS));
    let mut state = std::mem::take(&mut driver.state);
    let entries = state.mode.history().unwrap().entries.clone().unwrap();
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
    key(&mut state, 'j');
    assert_eq!(state.mode.history().unwrap().scroll, 1);
    assert!(
        !key(&mut state, 'q').contains(&Cmd::Quit),
        "q closes the overlay, not kdrift"
    );
    assert!(matches!(state.mode, Mode::Normal) && !state.quit);
}

#[test]
fn secret_history_names_changed_keys_without_values() {
    let mut state = demo_state();
    select(&mut state, "shop/Secret/api-credentials");
    let key_ = state.selected_key().cloned().unwrap();
    let entries = kdrift_engine::repo::object_history(
        &captured().repo,
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
