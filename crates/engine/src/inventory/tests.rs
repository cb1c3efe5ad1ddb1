//! The drift rules as a specification: event sequences over a few small objects, and the rows
//! and facts they must leave. No cluster, no repo: the inventory is pure.

use super::*;
use crate::cluster::KubeEvent;
use crate::model::{OWNER_LABEL, OWNER_VALUE};
use crate::repo::{RepoError, RepoEvent, Snapshot};
use serde_json::json;

fn commit(id: &str) -> CommitInfo {
    CommitInfo {
        id: id.repeat(40),
        short: id.repeat(7),
        subject: format!("commit {id}"),
        author: "t".into(),
        time: 0,
    }
}

fn configmap(ns: &str, name: &str, v: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": name, "namespace": ns}, "data": {"v": v}})
}

fn owned(mut obj: Value) -> Value {
    obj["metadata"]["labels"] = json!({ OWNER_LABEL: OWNER_VALUE });
    obj
}

fn snapshot(id: &str, objects: &[Value]) -> Snapshot {
    let desired = objects
        .iter()
        .map(|o| Desired {
            key: ResourceKey::from_object(o).unwrap(),
            manifest: Arc::new(o.clone()),
            source: format!("{}.yaml", o["metadata"]["name"].as_str().unwrap()),
        })
        .collect();
    Snapshot {
        repo: "r".into(),
        branch: Some("main".into()),
        commit: commit(id),
        desired,
        errors: vec![],
        notes: vec![],
        log: vec![commit(id)],
    }
}

fn gvk() -> Gvk {
    Gvk {
        group: String::new(),
        version: "v1".into(),
        kind: "ConfigMap".into(),
    }
}

fn listed(objects: &[Value]) -> KubeEvent {
    KubeEvent::Listed {
        gvk: gvk(),
        namespace: None,
        objects: objects.to_vec(),
    }
}

/// Git declares `a/one` (v=1) and `a/two`; the cluster has `a/one` at `live_one`, an owned
/// leftover `a/old`, an owned object elsewhere `b/far`, and an unrelated `a/stranger`.
fn settled(live_one: &str) -> (Inventory, Vec<Fact>) {
    let mut inv = Inventory::default();
    let git = [configmap("a", "one", "1"), configmap("a", "two", "2")];
    let mut facts = inv.on_repo(RepoEvent::Snapshot(Box::new(snapshot("a", &git))));
    let live = [
        configmap("a", "one", live_one),
        owned(configmap("a", "old", "x")),
        owned(configmap("b", "far", "x")),
        configmap("a", "stranger", "x"),
    ];
    facts.extend(inv.on_kube(listed(&live)));
    (inv, facts)
}

fn verdict(inv: &Inventory, ns: &str, name: &str) -> Option<DriftStatus> {
    inv.verdicts
        .iter()
        .find(|(k, _)| k.namespace.as_deref() == Some(ns) && k.name == name)
        .map(|(_, r)| r.status)
}

#[test]
fn first_list_judges_every_row_and_settles() {
    let (inv, facts) = settled("9");
    // row → verdict
    let table = [
        ("a", "one", Some(DriftStatus::Modified)),
        ("a", "two", Some(DriftStatus::Missing)),
        ("a", "old", Some(DriftStatus::Orphan)),
        // kdrift's label outside the namespaces this repo declares: another repo's, not ours
        ("b", "far", None),
        // neither declared nor owned: not kept at all
        ("a", "stranger", None),
    ];
    for (ns, name, want) in table {
        assert_eq!(verdict(&inv, ns, name), want, "{ns}/{name}");
    }
    assert!(!inv.live.keys().any(|k| k.name == "stranger"), "not cached");
    assert!(inv.settled);
    assert!(facts.contains(&Fact::Settled));
    assert!(
        !facts
            .iter()
            .any(|f| matches!(f, Fact::DriftDetected { .. })),
        "what is there at start is not news: {facts:?}"
    );
    let watched: Vec<_> = facts
        .iter()
        .find_map(|f| match f {
            Fact::Watch(reqs) => Some(reqs.iter().map(|r| r.gvk.kind.clone()).collect()),
            _ => None,
        })
        .unwrap_or_else(Vec::new);
    assert!(watched.contains(&"ConfigMap".to_string()), "{watched:?}");
    assert!(
        watched.contains(&"Deployment".to_string()),
        "orphan kinds too: {watched:?}"
    );
}

#[test]
fn changes_after_settling_are_facts() {
    // a live event on a settled inventory → the facts it raises
    type Case = (&'static str, &'static str, KubeEvent, fn(&[Fact]) -> bool);
    let cases: Vec<Case> = vec![
        (
            "an in-sync object edited by hand: drift detected, naming the field",
            "1",
            KubeEvent::Applied(configmap("a", "one", "7")),
            |f| matches!(f, [Fact::DriftDetected { status: DriftStatus::Modified, change: Some(c), .. }] if c.path == "/data/v"),
        ),
        (
            "an edit of an already drifted object: no new fact",
            "9",
            KubeEvent::Applied(configmap("a", "one", "8")),
            |f| f.is_empty(),
        ),
        (
            "an object nobody declares or owns: nothing",
            "1",
            KubeEvent::Applied(configmap("a", "new-stranger", "x")),
            |f| f.is_empty(),
        ),
    ];
    for (name, live_one, event, want) in cases {
        let (mut inv, _) = settled(live_one);
        let facts = inv.on_kube(event);
        assert!(want(&facts), "{name}: {facts:?}");
    }
}

#[test]
fn the_last_drift_going_away_is_converged() {
    let (mut inv, _) = settled("9");
    let mut facts = inv.on_kube(KubeEvent::Applied(configmap("a", "one", "1")));
    facts.extend(inv.on_kube(KubeEvent::Applied(configmap("a", "two", "2"))));
    assert!(
        !facts.iter().any(|f| matches!(f, Fact::Converged { .. })),
        "an orphan is left"
    );
    let gone = owned(configmap("a", "old", "x"));
    let facts = inv.on_kube(KubeEvent::Deleted(gone));
    assert_eq!(facts, [Fact::Converged { resources: 2 }]);
}

#[test]
fn a_relist_replaces_the_scope_at_once() {
    let (mut inv, _) = settled("9");
    // one was deleted while the watch was away; only objects of the listed scope are replaced
    inv.on_kube(listed(&[owned(configmap("a", "old", "x"))]));
    assert_eq!(verdict(&inv, "a", "one"), Some(DriftStatus::Missing));
    assert_eq!(verdict(&inv, "a", "old"), Some(DriftStatus::Orphan));
    let scoped = KubeEvent::Listed {
        gvk: gvk(),
        namespace: Some("elsewhere".into()),
        objects: vec![],
    };
    inv.on_kube(scoped);
    assert_eq!(
        verdict(&inv, "a", "old"),
        Some(DriftStatus::Orphan),
        "other scopes untouched"
    );
}

#[test]
fn unreadable_kinds_are_error_rows_that_block_sync() {
    let failed = KubeEvent::Watch {
        gvk: gvk(),
        state: WatchState::Failed("unknown kind".into()),
    };
    let forbidden = KubeEvent::Forbidden {
        gvk: gvk(),
        namespace: Some("a".into()),
    };
    for (event, message) in [(failed, "unknown kind"), (forbidden, "forbidden")] {
        let (mut inv, _) = settled("9");
        inv.on_kube(event);
        let (_, report) = inv.verdicts.iter().find(|(k, _)| k.name == "one").unwrap();
        assert_eq!(report.status, DriftStatus::Error);
        assert!(report.message.as_deref().unwrap().contains(message));
        let plan = inv.plan_sync(&inv.verdicts.keys().cloned().collect::<Vec<_>>());
        assert!(
            plan.blocked.iter().any(|(k, _)| k.name == "one"),
            "{plan:?}"
        );
    }
}

#[test]
fn prunes_are_withheld_when_git_may_be_incomplete() {
    let (mut inv, _) = settled("9");
    let all = |inv: &Inventory| inv.verdicts.keys().cloned().collect::<Vec<_>>();
    let prunes = |plan: &SyncPlan| plan.count(|o| *o == crate::sync::PlanOp::Prune);
    assert_eq!(prunes(&inv.plan_sync(&all(&inv))), 1, "the orphan");
    let mut broken = snapshot(
        "b",
        &[configmap("a", "one", "1"), configmap("a", "two", "2")],
    );
    broken.errors.push(ManifestError {
        source: "bad.yaml".into(),
        line: Some(3),
        message: "invalid YAML".into(),
    });
    inv.on_repo(RepoEvent::Snapshot(Box::new(broken)));
    let plan = inv.plan_sync(&all(&inv));
    assert_eq!(prunes(&plan), 0);
    assert!(
        plan.blocked
            .iter()
            .any(|(_, why)| why.contains("failed to parse"))
    );
    // the bad file is a row of its own, named by file and line
    let rows: Vec<String> = inv.rows().map(|(r, _)| r.to_string()).collect();
    assert!(
        rows.contains(&"Manifest/bad.yaml:3".to_string()),
        "{rows:?}"
    );
    assert_eq!(inv.count(DriftStatus::Error), 1);
}

#[test]
fn a_new_commit_while_traveling_is_remembered_not_applied() {
    let (mut inv, _) = settled("1");
    let old = snapshot(
        "c",
        &[configmap("a", "one", "0"), configmap("a", "two", "2")],
    );
    let facts = inv.travel(old);
    assert!(facts.contains(&Fact::Traveled {
        commit: commit("c"),
        at_head: false
    }));
    assert!(inv.traveling());
    assert_eq!(
        verdict(&inv, "a", "one"),
        Some(DriftStatus::Modified),
        "against the old commit"
    );
    let next = snapshot(
        "d",
        &[configmap("a", "one", "1"), configmap("a", "two", "2")],
    );
    let facts = inv.on_repo(RepoEvent::Snapshot(Box::new(next)));
    assert!(facts.contains(&Fact::NewCommit {
        commit: commit("d"),
        applied: false
    }));
    assert_eq!(inv.head, Some(commit("d")));
    assert_eq!(
        inv.repo.as_ref().unwrap().commit,
        commit("c"),
        "still compared against c"
    );
}

#[test]
fn repo_trouble_keeps_the_last_good_state() {
    let (mut inv, _) = settled("9");
    let before = inv.verdicts.clone();
    let fetch = RepoEvent::FetchFailed(RepoError::Fetch("git://h/r refused".into()));
    let facts = inv.on_repo(fetch);
    let trouble = RepoTrouble::Fetch("git://h/r refused".into());
    assert_eq!(facts, [Fact::RepoFailed(trouble.clone())]);
    assert!(trouble.to_string().starts_with(STALE));
    assert_eq!(inv.verdicts, before);
    let fetched = RepoEvent::Fetched {
        manual: false,
        changed: false,
    };
    inv.on_repo(fetched);
    assert_eq!(
        inv.repo_error, None,
        "a fetch that works clears a fetch error"
    );
}

#[test]
fn the_synced_commit_follows_the_live_objects() {
    let (mut inv, _) = settled("9");
    assert_eq!(inv.synced_commit(), None);
    let stamped = |name: &str, c: &str| {
        let mut o = configmap("a", name, "1");
        o["metadata"]["annotations"] = json!({"kdrift.dev/commit": c});
        o
    };
    inv.on_kube(KubeEvent::Applied(stamped("one", "x")));
    inv.on_kube(KubeEvent::Applied(stamped("two", "y")));
    inv.on_kube(KubeEvent::Applied(stamped("two", "x")));
    assert_eq!(inv.synced_commit(), Some("x"), "two moved from y to x");
    inv.on_kube(KubeEvent::Deleted(stamped("one", "x")));
    inv.on_kube(KubeEvent::Deleted(stamped("two", "x")));
    assert_eq!(
        inv.synced_commit(),
        None,
        "nothing live was applied by kdrift"
    );
}
