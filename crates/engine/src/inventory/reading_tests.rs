//! The first read folded in parts (`fold_read.rs`): rows and watches as parts come, nothing
//! dropped that a later part declares, no orphans or settling before the snapshot, and what
//! the snapshot decides at the end.

use super::tests::{configmap, gvk, listed, owned, snapshot, verdict};
use super::*;
use crate::cluster::{KubeEvent, WatchRequest};
use crate::repo::{ReadPart, RepoError, RepoEvent};

fn part(id: &str, objects: &[Value], files_read: usize) -> RepoEvent {
    let snap = snapshot(id, objects);
    RepoEvent::Reading(Box::new(ReadPart {
        repo: snap.repo,
        branch: snap.branch,
        commit: snap.commit,
        desired: snap.desired,
        ignore: snap.ignore,
        files_read,
        files: 4,
    }))
}

fn watches(facts: &[Fact]) -> Vec<WatchRequest> {
    facts
        .iter()
        .filter_map(|f| match f {
            Fact::Watch(r) => Some(r.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

#[test]
fn parts_become_rows_and_watches_before_the_read_ends() {
    let mut inv = Inventory::default();
    let facts = inv.on_repo(part("a", &[configmap("a", "one", "1")], 1));
    let asked = watches(&facts);
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(asked[0].gvk, gvk());
    assert_eq!(asked[0].namespaces, vec!["a".to_string()]);
    assert!(!asked[0].restart);
    assert!(inv.is_reading() && inv.repo.is_none());
    assert_eq!(inv.reading.as_ref().unwrap().objects, 1);
    // declared, its kind not listed yet: the row says listing
    assert_eq!(verdict(&inv, "a", "one"), Some(DriftStatus::Missing));
    assert_eq!(inv.listing(), 1);

    // the kind lists: `two` is not declared yet but kept (a later part declares it), the
    // kdrift-owned `old` is no orphan before git is whole, nothing settles
    let live = [
        configmap("a", "one", "1"),
        configmap("a", "two", "9"),
        owned(configmap("a", "old", "x")),
        configmap("a", "stranger", "x"),
    ];
    let facts = inv.on_kube(listed(&live));
    assert!(!inv.settled && !facts.contains(&Fact::Settled), "{facts:?}");
    assert_eq!(verdict(&inv, "a", "one"), Some(DriftStatus::InSync));
    assert_eq!(verdict(&inv, "a", "two"), None);
    assert_eq!(verdict(&inv, "a", "old"), None);
    assert_eq!(inv.live().len(), 4);

    // the next part declares `two`: judged against what was kept, the watch left running
    let facts = inv.on_repo(part("a", &[configmap("a", "two", "2")], 2));
    assert!(watches(&facts).is_empty(), "{facts:?}");
    assert_eq!(verdict(&inv, "a", "two"), Some(DriftStatus::Modified));
    // no drift is news while the desired state is incomplete
    assert!(
        !facts
            .iter()
            .any(|f| matches!(f, Fact::DriftDetected { .. })),
        "{facts:?}"
    );

    // the snapshot: the stranger is dropped, the owned leftover is an orphan, nothing restarts
    let git = [configmap("a", "one", "1"), configmap("a", "two", "2")];
    let facts = inv.on_repo(RepoEvent::Snapshot(Box::new(snapshot("a", &git))));
    assert!(!inv.is_reading());
    assert!(
        watches(&facts)
            .iter()
            .filter(|w| w.gvk == gvk())
            .all(|w| !w.restart),
        "{facts:?}"
    );
    assert_eq!(verdict(&inv, "a", "old"), Some(DriftStatus::Orphan));
    assert_eq!(verdict(&inv, "a", "stranger"), None);
    assert!(!inv.live().keys().any(|k| k.name == "stranger"));
    assert_eq!(verdict(&inv, "a", "two"), Some(DriftStatus::Modified));
    assert!(inv.settled, "every kind listed once git is whole");
}

#[test]
fn a_kind_seen_in_a_new_namespace_is_watched_again_over_all_of_them() {
    let mut inv = Inventory::default();
    inv.on_repo(part("a", &[configmap("a", "one", "1")], 1));
    inv.on_kube(listed(&[configmap("a", "one", "1")]));
    assert_eq!(inv.watches.get(&gvk()), Some(&WatchState::Live));
    // the same namespace again: the watch is left alone
    let facts = inv.on_repo(part("a", &[configmap("a", "two", "1")], 2));
    assert!(watches(&facts).is_empty());
    let facts = inv.on_repo(part("a", &[configmap("b", "three", "1")], 3));
    let asked = watches(&facts);
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(asked[0].restart);
    assert_eq!(asked[0].namespaces, vec!["a".to_string(), "b".to_string()]);
    assert_eq!(inv.watches.get(&gvk()), Some(&WatchState::Connecting));
    assert!(inv.is_listing(&ResourceKey::from_object(&configmap("b", "three", "1")).unwrap()));

    // the snapshot names the same namespaces: no second restart
    let git = [
        configmap("a", "one", "1"),
        configmap("a", "two", "1"),
        configmap("b", "three", "1"),
    ];
    let facts = inv.on_repo(RepoEvent::Snapshot(Box::new(snapshot("a", &git))));
    assert!(watches(&facts).iter().all(|w| !w.restart), "{facts:?}");
}

#[test]
fn a_read_that_fails_after_some_parts_leaves_no_half_desired_state() {
    let mut inv = Inventory::default();
    inv.on_repo(part("a", &[configmap("a", "one", "1")], 1));
    inv.on_kube(listed(&[
        configmap("a", "one", "1"),
        configmap("a", "two", "1"),
    ]));
    assert_eq!(inv.row_count(), 1);
    let facts = inv.on_repo(RepoEvent::Failed(RepoError::Task("boom".into())));
    assert!(
        matches!(facts.as_slice(), [Fact::RepoFailed(_)]),
        "{facts:?}"
    );
    assert!(!inv.is_reading());
    assert!(inv.desired.is_empty());
    assert_eq!(inv.row_count(), 0);
    assert!(inv.live().is_empty(), "nothing kept for a read that failed");
}

#[test]
fn parts_of_a_cluster_scoped_kind_lose_the_default_namespace_as_they_come() {
    let ns_kind = Gvk {
        group: String::new(),
        version: "v1".into(),
        kind: "Namespace".into(),
    };
    let namespace = |name: &str| {
        serde_json::json!({"apiVersion": "v1", "kind": "Namespace",
                           "metadata": {"name": name, "namespace": "default"}})
    };
    let mut inv = Inventory::default();
    inv.on_repo(part("a", &[namespace("one")], 1));
    inv.on_kube(KubeEvent::Resolved {
        gvk: ns_kind.clone(),
        namespaced: false,
    });
    inv.on_repo(part("a", &[namespace("two")], 2));
    let keys: Vec<String> = inv.desired.keys().map(|k| k.to_string()).collect();
    assert!(
        inv.desired.keys().all(|k| k.namespace.is_none()),
        "{keys:?}"
    );
    assert_eq!(inv.row_count(), 2, "{keys:?}");
    // the snapshot brings them with `default` again: taken off, the same rows
    let git = [namespace("one"), namespace("two")];
    inv.on_repo(RepoEvent::Snapshot(Box::new(snapshot("a", &git))));
    assert!(inv.desired.keys().all(|k| k.namespace.is_none()));
    assert_eq!(inv.row_count(), 2);
}

#[test]
fn the_repos_ignore_rules_judge_the_parts_already() {
    use crate::drift::{IgnoreRules, RuleSource};
    let rules = IgnoreRules::parse(
        "[[ignore]]\nkind = \"ConfigMap\"\npaths = [\"/data/v\"]\n",
        RuleSource::Repo,
    )
    .unwrap();
    let mut inv = Inventory::default();
    let RepoEvent::Reading(mut first) = part("a", &[configmap("a", "one", "1")], 1) else {
        unreachable!()
    };
    first.ignore = rules.clone();
    inv.on_repo(RepoEvent::Reading(first));
    inv.on_kube(listed(&[configmap("a", "one", "2")]));
    let row = inv.verdicts.values().next().unwrap();
    assert_eq!((row.status, row.ignored.len()), (DriftStatus::InSync, 1));
    // the snapshot brings the same rules: nothing to judge again, the same verdict
    let mut snap = snapshot("a", &[configmap("a", "one", "1")]);
    snap.ignore = rules;
    inv.on_repo(RepoEvent::Snapshot(Box::new(snap)));
    let row = inv.verdicts.values().next().unwrap();
    assert_eq!((row.status, row.ignored.len()), (DriftStatus::InSync, 1));
}

#[test]
fn a_kind_read_cluster_wide_is_not_watched_again_for_one_more_namespace() {
    let many = |n: usize| -> Vec<Value> {
        (0..n)
            .map(|i| configmap(&format!("ns{i:02}"), "c", "1"))
            .collect()
    };
    let mut inv = Inventory::default();
    // nine namespaces: more than NAMESPACE_WATCHES, so one cluster-wide read
    inv.on_repo(part("a", &many(9), 1));
    let nine = many(9);
    inv.on_kube(listed(&nine));
    let facts = inv.on_repo(part("a", &[configmap("ns09", "c", "1")], 2));
    assert!(watches(&facts).is_empty(), "{facts:?}");
    assert_eq!(inv.watches.get(&gvk()), Some(&WatchState::Live));
    // where cluster-wide reading is forbidden, each namespace is its own watch: again
    inv.on_kube(KubeEvent::Forbidden {
        gvk: gvk(),
        namespace: None,
    });
    let facts = inv.on_repo(part("a", &[configmap("ns10", "c", "1")], 3));
    let asked = watches(&facts);
    assert!(asked.len() == 1 && asked[0].restart, "{asked:?}");
    assert_eq!(asked[0].namespaces.len(), 11);
}
