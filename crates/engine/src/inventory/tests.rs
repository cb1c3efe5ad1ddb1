//! The drift rules as a specification: event sequences over a few small objects, and the rows
//! and facts they must leave. No cluster, no repo: the inventory is pure.

use super::*;
use crate::cluster::{KubeEvent, Scope};
use crate::drift::IgnoreRules;
use crate::model::{Fight, OWNER_LABEL, OWNER_VALUE, SOURCE_ANNOTATION};
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

pub(super) fn configmap(ns: &str, name: &str, v: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": name, "namespace": ns}, "data": {"v": v}})
}

/// Applied by kdrift from this repo (`snapshot`'s source).
pub(super) fn owned(mut obj: Value) -> Value {
    obj["metadata"]["labels"] = json!({ OWNER_LABEL: OWNER_VALUE });
    obj["metadata"]["annotations"] = json!({ SOURCE_ANNOTATION: "r" });
    obj
}

/// kdrift's label, but applied from another repo.
fn owned_elsewhere(mut obj: Value) -> Value {
    obj["metadata"]["labels"] = json!({ OWNER_LABEL: OWNER_VALUE });
    obj["metadata"]["annotations"] = json!({ SOURCE_ANNOTATION: "another" });
    obj
}

pub(super) fn snapshot(id: &str, objects: &[Value]) -> Snapshot {
    let desired = objects
        .iter()
        .map(|o| Desired {
            key: ResourceKey::from_object(o).unwrap(),
            manifest: o.into(),
            source: format!("{}.yaml", o["metadata"]["name"].as_str().unwrap()),
            app: None,
        })
        .collect();
    Snapshot {
        repo: "r".into(),
        source: "r".into(),
        branch: Some("main".into()),
        commit: commit(id),
        desired,
        errors: vec![],
        notes: vec![],
        log: vec![commit(id)],
        ignore: IgnoreRules::default(),
        apps: vec![],
    }
}

pub(super) fn gvk() -> Gvk {
    Gvk {
        group: String::new(),
        version: "v1".into(),
        kind: "ConfigMap".into(),
    }
}

pub(super) fn listed(objects: &[Value]) -> KubeEvent {
    KubeEvent::Listed {
        gvk: gvk(),
        scope: Scope::All,
        objects: objects.to_vec(),
    }
}

/// Git declares `a/one` (v=1) and `a/two`; the cluster has `a/one` at `live_one`, an owned
/// leftover `a/old`, one applied from this repo in a namespace git no longer uses `b/far`,
/// another repo's `a/theirs`, and an unrelated `a/stranger`.
fn settled(live_one: &str) -> (Inventory, Vec<Fact>) {
    let mut inv = Inventory::default();
    let git = [configmap("a", "one", "1"), configmap("a", "two", "2")];
    let mut facts = inv.on_repo(RepoEvent::Snapshot(Box::new(snapshot("a", &git))));
    let live = [
        configmap("a", "one", live_one),
        owned(configmap("a", "old", "x")),
        owned(configmap("b", "far", "x")),
        owned_elsewhere(configmap("a", "theirs", "x")),
        configmap("a", "stranger", "x"),
    ];
    facts.extend(inv.on_kube(listed(&live)));
    (inv, facts)
}

pub(super) fn verdict(inv: &Inventory, ns: &str, name: &str) -> Option<DriftStatus> {
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
        // this repo's source: an orphan wherever it is
        ("b", "far", Some(DriftStatus::Orphan)),
        // kdrift's label with another repo's source: not ours
        ("a", "theirs", None),
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

/// The count of confirmed drift kept as verdicts change (never a pass over the rows per event).
fn assert_settled_drift_counted(inv: &Inventory) {
    let counted = inv
        .verdicts
        .values()
        .filter(|r| r.is_settled_drift())
        .count();
    assert_eq!(inv.settled_drift, counted);
}

#[test]
fn the_last_drift_going_away_is_converged() {
    let (mut inv, _) = settled("9");
    assert_settled_drift_counted(&inv);
    assert!(inv.settled_drift > 0);
    let mut facts = inv.on_kube(KubeEvent::Applied(configmap("a", "one", "1")));
    assert_settled_drift_counted(&inv);
    facts.extend(inv.on_kube(KubeEvent::Applied(configmap("a", "two", "2"))));
    assert_settled_drift_counted(&inv);
    assert!(
        !facts.iter().any(|f| matches!(f, Fact::Converged { .. })),
        "an orphan is left"
    );
    inv.on_kube(KubeEvent::Deleted(owned(configmap("b", "far", "x"))));
    assert_settled_drift_counted(&inv);
    let gone = owned(configmap("a", "old", "x"));
    let facts = inv.on_kube(KubeEvent::Deleted(gone));
    assert_eq!(facts, [Fact::Converged { resources: 2 }]);
    assert_settled_drift_counted(&inv);
    assert_eq!(inv.settled_drift, 0);
    // drift again, then a new commit that judges everything again (rules changed)
    inv.on_kube(KubeEvent::Applied(configmap("a", "one", "7")));
    assert_eq!(inv.settled_drift, 1);
    let mut snap = snapshot(
        "b",
        &[configmap("a", "one", "1"), configmap("a", "two", "2")],
    );
    snap.source = "moved".into();
    inv.on_repo(RepoEvent::Snapshot(Box::new(snap)));
    assert_settled_drift_counted(&inv);
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
        scope: Scope::Namespace("elsewhere".into()),
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
        let plan = inv.plan_sync(&inv.verdicts.keys().cloned().collect::<Vec<_>>(), true);
        assert!(
            plan.blocked.iter().any(|(k, _)| k.name == "one"),
            "{plan:?}"
        );
    }
}

#[test]
fn an_object_declared_twice_is_an_error_row_and_never_applied() {
    let (mut inv, _) = settled("9");
    let mut twice = snapshot(
        "b",
        &[configmap("a", "one", "1"), configmap("a", "two", "2")],
    );
    let one = twice.desired[0].key.clone();
    twice.errors.push(ManifestError {
        source: "copy.yaml".into(),
        line: None,
        message: format!("{one} is declared twice: in one.yaml and in copy.yaml"),
        object: Some(one.clone()),
        app: None,
    });
    inv.on_repo(RepoEvent::Snapshot(Box::new(twice)));
    let report = &inv.verdicts[&one];
    assert_eq!(report.status, DriftStatus::Error);
    assert!(
        report
            .message
            .as_deref()
            .unwrap()
            .contains("declared twice")
    );
    let plan = inv.plan_sync(std::slice::from_ref(&one), false);
    assert!(plan.items.is_empty());
    assert!(plan.blocked[0].1.contains("declared twice"), "{plan:?}");
}

#[test]
fn prunes_are_withheld_when_git_may_be_incomplete() {
    let (mut inv, _) = settled("9");
    let all = |inv: &Inventory| inv.verdicts.keys().cloned().collect::<Vec<_>>();
    let prunes = |plan: &SyncPlan| plan.count(|o| *o == crate::sync::PlanOp::Prune);
    assert_eq!(prunes(&inv.plan_sync(&all(&inv), true)), 2, "the orphans");
    assert_eq!(
        prunes(&inv.plan_sync(&all(&inv), false)),
        0,
        "prune is asked for"
    );
    let mut broken = snapshot(
        "b",
        &[configmap("a", "one", "1"), configmap("a", "two", "2")],
    );
    broken.errors.push(ManifestError {
        source: "bad.yaml".into(),
        line: Some(3),
        message: "invalid YAML".into(),
        object: None,
        app: None,
    });
    inv.on_repo(RepoEvent::Snapshot(Box::new(broken)));
    let plan = inv.plan_sync(&all(&inv), true);
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

mod server_checks {
    //! Stage 2: what the local compare calls drift goes to the server; its answer decides.
    use super::*;
    use crate::cluster::{ClusterError, ConfirmRequest, Confirmation, Confirmed};
    use crate::model::Stage;

    /// Git declares `a/one` with `cpu: 1000m`; the cluster has it so at first, then (once
    /// settled) stores it canonically as `"1"`, which the local compare calls drift.
    fn suspicious() -> (Inventory, Vec<ConfirmRequest>) {
        let mut inv = Inventory::with_server_checks();
        let mut git = configmap("a", "one", "1");
        git["data"]["cpu"] = json!("1000m");
        inv.on_repo(RepoEvent::Snapshot(Box::new(snapshot("a", &[git.clone()]))));
        inv.on_kube(listed(&[git]));
        let mut live = configmap("a", "one", "1");
        live["data"]["cpu"] = json!("1");
        live["metadata"]["resourceVersion"] = json!("5");
        let facts = inv.on_kube(KubeEvent::Applied(live));
        let asked = facts
            .into_iter()
            .find_map(|f| match f {
                Fact::Confirm(r) => Some(r),
                _ => None,
            })
            .unwrap_or_default();
        (inv, asked)
    }

    fn answer(req: &ConfirmRequest, outcome: Confirmed) -> KubeEvent {
        KubeEvent::Confirmed(Box::new(Confirmation {
            key: req.key.clone(),
            desired: req.desired.clone(),
            live_version: Some("5".into()),
            live_fingerprint: crate::cluster::live_fingerprint(&req.live),
            outcome,
        }))
    }

    fn changes(list: Vec<FieldChange>) -> Confirmed {
        Confirmed::Changes {
            changes: list,
            server: Arc::new(json!({})),
        }
    }

    fn row(inv: &Inventory) -> &DriftReport {
        inv.verdicts.values().next().unwrap()
    }

    #[test]
    fn local_drift_waits_for_the_server_and_is_not_news_yet() {
        let (inv, asked) = suspicious();
        assert_eq!(asked.len(), 1, "one dry-run asked for");
        assert_eq!(
            asked[0].manifest["metadata"]["labels"][OWNER_LABEL], OWNER_VALUE,
            "as converging would apply it"
        );
        let r = row(&inv);
        assert_eq!(
            (r.status, r.pending, r.stage),
            (DriftStatus::Modified, true, Stage::Local)
        );
    }

    #[test]
    fn the_servers_answer_decides() {
        let change = FieldChange {
            path: "/data/v".into(),
            desired: Some(json!("1")),
            live: Some(json!("2")),
            manager: Some("kubectl-edit".into()),
            time: None,
        };
        let refused = ClusterError::Api {
            code: 403,
            reason: "Forbidden".into(),
            message: "no patch".into(),
        };
        // the server's answer → (status, stage, whether it is news, the message)
        let cases: Vec<(Confirmed, DriftStatus, Stage, bool, Option<&str>)> = vec![
            (
                changes(vec![]),
                DriftStatus::InSync,
                Stage::Server,
                false,
                None,
            ),
            (
                changes(vec![change]),
                DriftStatus::Modified,
                Stage::Server,
                true,
                None,
            ),
            (
                Confirmed::Failed(refused),
                DriftStatus::Modified,
                Stage::Local,
                true,
                Some("not confirmed by the server: no patch (Forbidden)"),
            ),
        ];
        for (outcome, status, stage, news, message) in cases {
            let (mut inv, asked) = suspicious();
            let facts = inv.on_kube(answer(&asked[0], outcome.clone()));
            let r = row(&inv);
            assert_eq!(
                (r.status, r.stage, r.pending),
                (status, stage, false),
                "{outcome:?}"
            );
            assert_eq!(r.message.as_deref(), message, "{outcome:?}");
            let raised = facts
                .iter()
                .any(|f| matches!(f, Fact::DriftDetected { .. }));
            assert_eq!(raised, news, "{outcome:?}: {facts:?}");
            assert!(
                !facts.iter().any(|f| matches!(f, Fact::Converged { .. })),
                "a suspicion the server clears is not a convergence"
            );
        }
    }

    /// What was drifted at start is not news when the server confirms it later.
    #[test]
    fn drift_found_at_start_is_not_news_when_confirmed() {
        let mut inv = Inventory::with_server_checks();
        let git = configmap("a", "one", "1");
        inv.on_repo(RepoEvent::Snapshot(Box::new(snapshot("a", &[git]))));
        let mut live = configmap("a", "one", "2");
        live["metadata"]["resourceVersion"] = json!("5");
        let facts = inv.on_kube(listed(&[live]));
        let asked = facts
            .into_iter()
            .find_map(|f| match f {
                Fact::Confirm(r) => Some(r),
                _ => None,
            })
            .unwrap();
        let change = FieldChange {
            path: "/data/v".into(),
            desired: Some(json!("1")),
            live: Some(json!("2")),
            manager: None,
            time: None,
        };
        let facts = inv.on_kube(answer(&asked[0], changes(vec![change])));
        assert_eq!(row(&inv).status, DriftStatus::Modified);
        assert!(
            !facts
                .iter()
                .any(|f| matches!(f, Fact::DriftDetected { .. })),
            "{facts:?}"
        );
    }

    #[test]
    fn an_answer_for_an_older_live_object_is_not_used() {
        let (mut inv, asked) = suspicious();
        let mut newer = configmap("a", "one", "3");
        newer["data"]["cpu"] = json!("1");
        newer["metadata"]["resourceVersion"] = json!("6");
        let facts = inv.on_kube(KubeEvent::Applied(newer));
        assert!(
            facts
                .iter()
                .any(|f| matches!(f, Fact::Confirm(r) if r.len() == 1)),
            "asked again for the new version: {facts:?}"
        );
        inv.on_kube(answer(&asked[0], changes(vec![])));
        assert!(row(&inv).pending, "the answer was for version 5");
        // a stale answer leaves the row pending, and does not ask by itself
        let facts = inv.on_kube(answer(&asked[0], Confirmed::Stale));
        assert!(row(&inv).pending && facts.is_empty(), "{facts:?}");
    }

    /// A commit drops a key live still has: the local compare (only what git declares) sees
    /// nothing, so the server is asked; its answer (applying would remove the key) is drift.
    #[test]
    fn what_a_commit_changed_goes_to_the_server_even_when_it_looks_in_sync() {
        let mut inv = Inventory::with_server_checks();
        let mut before = configmap("a", "one", "1");
        before["data"]["w"] = json!("2");
        inv.on_repo(RepoEvent::Snapshot(Box::new(snapshot(
            "a",
            &[before.clone()],
        ))));
        let mut live = before.clone();
        live["metadata"]["resourceVersion"] = json!("5");
        let facts = inv.on_kube(listed(&[live]));
        assert!(
            !facts.iter().any(|f| matches!(f, Fact::Confirm(_))),
            "nothing asked at start: {facts:?}"
        );
        let facts = inv.on_repo(RepoEvent::Snapshot(Box::new(snapshot(
            "b",
            &[configmap("a", "one", "1")],
        ))));
        let asked = facts
            .into_iter()
            .find_map(|f| match f {
                Fact::Confirm(r) => Some(r),
                _ => None,
            })
            .expect("the changed object is asked about");
        assert_eq!(asked.len(), 1);
        let r = row(&inv);
        assert_eq!(
            (r.status, r.pending),
            (DriftStatus::InSync, false),
            "in sync until the server says otherwise"
        );
        let removed = FieldChange {
            path: "/data/w".into(),
            desired: None,
            live: Some(json!("2")),
            manager: Some("kubectl".into()),
            time: None,
        };
        let facts = inv.on_kube(answer(&asked[0], changes(vec![removed])));
        let r = row(&inv);
        assert_eq!((r.status, r.stage), (DriftStatus::Modified, Stage::Server));
        assert!(
            !facts
                .iter()
                .any(|f| matches!(f, Fact::DriftDetected { .. })),
            "a commit's doing, not news: {facts:?}"
        );
    }

    /// Status updates bring new resourceVersions all the time; the answer still holds for them.
    #[test]
    fn an_answer_outlives_status_only_updates() {
        let (mut inv, asked) = suspicious();
        inv.on_kube(answer(&asked[0], changes(vec![])));
        assert_eq!(row(&inv).status, DriftStatus::InSync);
        let mut newer = configmap("a", "one", "1");
        newer["data"]["cpu"] = json!("1");
        newer["metadata"]["resourceVersion"] = json!("6");
        newer["status"] = json!({"observed": 2});
        let facts = inv.on_kube(KubeEvent::Applied(newer));
        let r = row(&inv);
        assert_eq!(
            (r.status, r.pending, r.stage),
            (DriftStatus::InSync, false, Stage::Server)
        );
        assert!(
            !facts.iter().any(|f| matches!(f, Fact::Confirm(_))),
            "not asked again: {facts:?}"
        );
    }

    #[test]
    fn the_same_question_is_asked_once() {
        let (mut inv, _) = suspicious();
        // a re-list brings the same version again: the row is judged again, not asked again
        let mut same = configmap("a", "one", "1");
        same["data"]["cpu"] = json!("1");
        same["metadata"]["resourceVersion"] = json!("5");
        let again = inv.on_kube(KubeEvent::Applied(same));
        assert!(row(&inv).pending);
        assert!(
            !again.iter().any(|f| matches!(f, Fact::Confirm(_))),
            "{again:?}"
        );
    }
}

mod ignore_rules {
    //! What ignore rules and other GitOps tools' annotations set aside is shown, not counted.
    use super::*;
    use crate::drift::RuleSource;

    fn rules(text: &str, source: RuleSource) -> IgnoreRules {
        IgnoreRules::parse(text, source).unwrap()
    }

    #[test]
    fn each_source_of_ignoring_sets_aside_exactly_its_field() {
        let user = "[[ignore]]\nname = \"one\"\npaths = [\"/data/v\"]\n";
        let repo = "[[ignore]]\nkind = \"ConfigMap\"\npaths = [\"/data/w\"]\n";
        // live differs from git in v and w: how each source leaves the row
        type Case<'a> = (
            &'a str,
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
            DriftStatus,
            usize,
        );
        let cases: Vec<Case> = vec![
            ("no rules", None, None, None, DriftStatus::Modified, 0),
            (
                "the user ignores v",
                Some(user),
                None,
                None,
                DriftStatus::Modified,
                1,
            ),
            (
                "the repo ignores w",
                None,
                Some(repo),
                None,
                DriftStatus::Modified,
                1,
            ),
            ("both", Some(user), Some(repo), None, DriftStatus::InSync, 2),
            (
                "Flux's ssa: Ignore",
                None,
                None,
                Some("kustomize.toolkit.fluxcd.io/ssa"),
                DriftStatus::InSync,
                2,
            ),
        ];
        for (name, user, repo, annotation, status, ignored) in cases {
            let mut inv = Inventory::default();
            if let Some(text) = user {
                inv.set_user_rules(rules(text, RuleSource::User));
            }
            let mut git = configmap("a", "one", "1");
            git["data"]["w"] = json!("1");
            if let Some(a) = annotation {
                git["metadata"]["annotations"] = json!({ a: "Ignore" });
            }
            let annotations = git["metadata"]["annotations"].clone();
            let mut snap = snapshot("a", &[git]);
            if let Some(text) = repo {
                snap.ignore = rules(text, RuleSource::Repo);
            }
            inv.on_repo(RepoEvent::Snapshot(Box::new(snap)));
            let mut live = configmap("a", "one", "2");
            live["data"]["w"] = json!("2");
            if !annotations.is_null() {
                live["metadata"]["annotations"] = annotations;
            }
            inv.on_kube(listed(&[live]));
            let r = inv.verdicts.values().next().unwrap();
            assert_eq!(
                (r.status, r.ignored.len()),
                (status, ignored),
                "{name}: {r:?}"
            );
            assert_eq!(
                r.changes.len() + r.ignored.len(),
                2,
                "{name}: nothing disappears"
            );
        }
    }

    #[test]
    fn new_user_rules_rejudge_the_table_without_raising_news() {
        let (mut inv, _) = settled("9");
        assert_eq!(verdict(&inv, "a", "one"), Some(DriftStatus::Modified));
        inv.set_user_rules(rules(
            "[[ignore]]\nmanagers = [\"*\"]\npaths = [\"/data/v\"]\n",
            RuleSource::User,
        ));
        assert_eq!(verdict(&inv, "a", "one"), Some(DriftStatus::InSync));
        let facts = inv.set_user_rules(IgnoreRules::default());
        assert_eq!(verdict(&inv, "a", "one"), Some(DriftStatus::Modified));
        assert!(
            !facts
                .iter()
                .any(|f| matches!(f, Fact::DriftDetected { .. }))
        );
    }

    #[test]
    fn an_orphan_argo_cd_ignores_is_skipped_not_offered_for_pruning() {
        let mut inv = Inventory::default();
        inv.on_repo(RepoEvent::Snapshot(Box::new(snapshot(
            "a",
            &[configmap("a", "one", "1")],
        ))));
        let mut old = owned(configmap("a", "old", "x"));
        old["metadata"]["annotations"]["argocd.argoproj.io/compare-options"] =
            json!("IgnoreExtraneous");
        inv.on_kube(listed(&[configmap("a", "one", "1"), old]));
        assert_eq!(verdict(&inv, "a", "old"), Some(DriftStatus::Skipped));
        let plan = inv.plan_sync(&inv.verdicts.keys().cloned().collect::<Vec<_>>(), true);
        assert!(plan.items.is_empty(), "{plan:?}");
    }
}

mod fights {
    //! A field two managers keep taking from each other is a fight; one writer after another
    //! is not.
    use super::*;

    /// `a/one` with `data.v` at `v`, written by `manager`.
    fn written(v: &str, manager: &str) -> KubeEvent {
        let mut live = configmap("a", "one", v);
        live["metadata"]["managedFields"] = json!([{
            "manager": manager, "operation": "Update", "time": "2026-01-01T00:00:00Z",
            "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:v": {}}},
        }]);
        KubeEvent::Applied(live)
    }

    fn fights_of(inv: &Inventory) -> Vec<Fight> {
        let (_, one) = inv.verdicts.iter().find(|(k, _)| k.name == "one").unwrap();
        one.fights.clone()
    }

    #[test]
    fn a_field_flipping_between_two_managers_is_a_fight() {
        let (mut inv, _) = settled("1");
        // (value, writer) in turn → whether a fight is flagged after it
        let turns = [
            ("3", "kubectl-edit", false),
            ("1", "argocd-controller", false),
            ("3", "kubectl-edit", true),
            ("1", "argocd-controller", true),
        ];
        let mut raised = 0;
        for (v, manager, fight) in turns {
            let facts = inv.on_kube(written(v, manager));
            let fights = fights_of(&inv);
            assert_eq!(!fights.is_empty(), fight, "after {manager}: {fights:?}");
            raised += facts
                .iter()
                .filter(|f| matches!(f, Fact::Fight { .. }))
                .count();
            if fight {
                assert_eq!(fights[0].path, "/data/v");
                assert_eq!(fights[0].managers[0], manager, "who has it now first");
            }
        }
        assert_eq!(raised, 1, "news once, not at every turn");
    }

    #[test]
    fn writers_taking_turns_without_coming_back_are_no_fight() {
        let (mut inv, _) = settled("1");
        for (v, manager) in [
            ("3", "kubectl-edit"),
            ("1", "argocd"),
            ("4", "helm"),
            ("1", "flux"),
        ] {
            inv.on_kube(written(v, manager));
            assert!(fights_of(&inv).is_empty(), "{manager}");
        }
        // the same writer again and again is one writer
        for v in ["5", "6", "7"] {
            inv.on_kube(written(v, "kubectl-edit"));
        }
        assert!(fights_of(&inv).is_empty());
    }
}

fn managed(mut obj: Value, manager: &str, time: &str) -> Value {
    obj["metadata"]["managedFields"] = json!([{
        "manager": manager, "operation": "Apply", "apiVersion": "v1", "time": time,
        "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:v": {}}},
    }]);
    obj
}

#[test]
fn the_timeline_dates_each_drift_and_says_how_it_ended() {
    let mut inv = Inventory::default();
    inv.set_clock(1_800_000_000_000);
    let one = configmap("a", "one", "1");
    inv.on_repo(RepoEvent::Snapshot(Box::new(snapshot(
        "a",
        std::slice::from_ref(&one),
    ))));
    inv.on_kube(listed(&[managed(
        one.clone(),
        "kdrift",
        "2027-01-15T08:00:00Z",
    )]));
    assert!(inv.timeline().is_empty(), "in sync: nothing to tell");

    // someone edits it: drift starts, by that manager
    inv.set_clock(1_800_000_060_000);
    let edited = managed(
        configmap("a", "one", "9"),
        "kubectl-edit",
        "2027-01-15T08:01:00Z",
    );
    inv.on_kube(KubeEvent::Applied(edited));
    let key = ResourceKey::from_object(&one).unwrap();
    let entries: Vec<_> = inv.timeline().of(&key).cloned().collect();
    assert_eq!(entries.len(), 1, "{entries:#?}");
    assert_eq!(entries[0].manager.as_deref(), Some("kubectl-edit"));
    assert_eq!(entries[0].fields, ["/data/v"]);
    assert_eq!(entries[0].ended, None);

    // kdrift's sync puts it back
    inv.set_clock(1_800_000_090_000);
    inv.on_kube(KubeEvent::Applied(managed(
        one.clone(),
        "kdrift",
        "2027-01-15T08:01:30Z",
    )));
    let entry = inv.timeline().of(&key).next().unwrap().clone();
    assert_eq!(entry.ended, Some((1_800_000_090_000, Converged::Sync)));

    // drift again, and this time a commit makes git agree with the cluster
    inv.on_kube(KubeEvent::Applied(managed(
        configmap("a", "one", "7"),
        "helm",
        "2027-01-15T08:02:00Z",
    )));
    inv.set_clock(1_800_000_200_000);
    inv.on_repo(RepoEvent::Snapshot(Box::new(snapshot(
        "b",
        &[configmap("a", "one", "7")],
    ))));
    let entries: Vec<_> = inv.timeline().of(&key).cloned().collect();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1].manager.as_deref(), Some("helm"));
    assert_eq!(
        entries[1].ended,
        Some((1_800_000_200_000, Converged::Commit("b".repeat(40))))
    );
}

/// The header's counts are kept as verdicts change; after lists, events, deletions and a new
/// commit they still equal a count of the rows.
#[test]
fn status_counts_are_kept_as_verdicts_change() {
    let counted = |inv: &Inventory| {
        DriftStatus::ALL
            .iter()
            .map(|s| inv.rows().filter(|(_, r)| r.status == *s).count())
            .collect::<Vec<_>>()
    };
    let kept = |inv: &Inventory| {
        DriftStatus::ALL
            .iter()
            .map(|s| inv.count(*s))
            .collect::<Vec<_>>()
    };
    let (mut inv, _) = settled("9");
    assert_eq!(kept(&inv), counted(&inv));
    assert_eq!(inv.count(DriftStatus::Orphan), 2);
    inv.on_kube(KubeEvent::Applied(configmap("a", "one", "1")));
    inv.on_kube(KubeEvent::Deleted(owned(configmap("b", "far", "x"))));
    assert_eq!(kept(&inv), counted(&inv));
    inv.on_repo(RepoEvent::Snapshot(Box::new(snapshot(
        "b",
        &[configmap("a", "one", "2"), configmap("a", "three", "3")],
    ))));
    assert_eq!(kept(&inv), counted(&inv));
    assert_eq!(inv.count(DriftStatus::Missing), 1, "three is not live");
    inv.on_kube(listed(&[]));
    assert_eq!(kept(&inv), counted(&inv));
}

fn page(objects: &[Value]) -> KubeEvent {
    KubeEvent::ListPage {
        gvk: gvk(),
        scope: Scope::All,
        objects: objects.to_vec(),
    }
}

fn started() -> KubeEvent {
    KubeEvent::ListStarted {
        gvk: gvk(),
        scope: Scope::All,
    }
}

#[test]
fn a_list_in_pages_fills_rows_as_they_come_and_removes_what_it_did_not_bring() {
    let mut inv = Inventory::default();
    let git = [configmap("a", "one", "1"), configmap("a", "two", "2")];
    inv.on_repo(RepoEvent::Snapshot(Box::new(snapshot("a", &git))));
    inv.on_kube(started());
    inv.on_kube(page(&[configmap("a", "one", "1")]));
    assert_eq!(
        verdict(&inv, "a", "one"),
        Some(DriftStatus::InSync),
        "judged from its page"
    );
    let two = ResourceKey::from_object(&git[1]).unwrap();
    assert!(
        inv.is_listing(&two),
        "not brought yet: listing, not missing"
    );
    assert!(!inv.settled, "a page is not the whole list");
    let facts = inv.on_kube(listed(&[configmap("a", "two", "2")]));
    assert!(facts.contains(&Fact::Settled), "{facts:?}");
    assert_eq!(verdict(&inv, "a", "two"), Some(DriftStatus::InSync));

    // a re-list in pages: nothing goes before it is done, then what it lacked goes
    inv.on_kube(started());
    inv.on_kube(page(&[configmap("a", "two", "2")]));
    assert_eq!(
        verdict(&inv, "a", "one"),
        Some(DriftStatus::InSync),
        "kept while listing"
    );
    inv.on_kube(listed(&[]));
    assert_eq!(
        verdict(&inv, "a", "one"),
        Some(DriftStatus::Missing),
        "the list lacked it"
    );
    assert_eq!(
        verdict(&inv, "a", "two"),
        Some(DriftStatus::InSync),
        "brought by a page"
    );
    assert_eq!(inv.count(DriftStatus::Missing), 1, "counted");
}

#[test]
fn a_list_started_again_forgets_what_the_broken_one_brought() {
    let (mut inv, _) = settled("1");
    assert_eq!(verdict(&inv, "a", "old"), Some(DriftStatus::Orphan));
    // a list broke after its first page; the next one starts over and lacks a/old and a/one
    inv.on_kube(started());
    inv.on_kube(page(&[owned(configmap("a", "old", "x"))]));
    inv.on_kube(started());
    inv.on_kube(page(&[owned(configmap("b", "far", "x"))]));
    inv.on_kube(listed(&[]));
    assert_eq!(
        verdict(&inv, "a", "old"),
        None,
        "gone: the finished list lacked it"
    );
    assert_eq!(verdict(&inv, "a", "one"), Some(DriftStatus::Missing));
    assert_eq!(verdict(&inv, "b", "far"), Some(DriftStatus::Orphan));
}

fn in_scope(scope: &Scope, kind: &str, objects: &[Value]) -> KubeEvent {
    let (gvk, scope, objects) = (gvk(), scope.clone(), objects.to_vec());
    match kind {
        "started" => KubeEvent::ListStarted { gvk, scope },
        "page" => KubeEvent::ListPage {
            gvk,
            scope,
            objects,
        },
        _ => KubeEvent::Listed {
            gvk,
            scope,
            objects,
        },
    }
}

#[test]
fn a_kind_watched_per_namespace_is_listing_until_every_namespace_has_listed() {
    let mut inv = Inventory::default();
    let git = [configmap("a", "one", "1"), configmap("b", "two", "2")];
    inv.on_repo(RepoEvent::Snapshot(Box::new(snapshot("a", &git))));
    let (a, b) = (Scope::Namespace("a".into()), Scope::Namespace("b".into()));
    // the watcher announces both before either lists
    inv.on_kube(in_scope(&a, "started", &[]));
    inv.on_kube(in_scope(&b, "started", &[]));
    let facts = inv.on_kube(in_scope(&a, "listed", &[configmap("a", "one", "1")]));
    assert!(!facts.contains(&Fact::Settled), "b is still listing");
    let two = ResourceKey::from_object(&git[1]).unwrap();
    assert!(inv.is_listing(&two), "listing, not missing");
    assert_eq!(verdict(&inv, "a", "one"), Some(DriftStatus::InSync));
    let facts = inv.on_kube(in_scope(&b, "listed", &[]));
    assert!(facts.contains(&Fact::Settled), "{facts:?}");
    assert_eq!(verdict(&inv, "b", "two"), Some(DriftStatus::Missing));
    // a re-list of one namespace leaves the other's rows alone
    inv.on_kube(in_scope(&b, "started", &[]));
    inv.on_kube(in_scope(&b, "listed", &[configmap("b", "two", "2")]));
    assert_eq!(verdict(&inv, "b", "two"), Some(DriftStatus::InSync));
    assert_eq!(verdict(&inv, "a", "one"), Some(DriftStatus::InSync));
}

#[test]
fn the_orphan_sweep_reads_only_outside_the_watched_namespaces_and_never_holds_the_kind() {
    let (mut inv, _) = settled("1");
    let covered: BTreeSet<String> = ["a".to_string()].into();
    let sweep = Scope::Outside(Arc::new(covered));
    assert!(sweep.holds(Some("b")) && !sweep.holds(Some("a")) && !sweep.holds(None));
    // the kind restarts per namespace (connecting again): `a` and the sweep announced, the
    // sweep lists first
    inv.watches.insert(gvk(), WatchState::Connecting);
    inv.on_kube(in_scope(&Scope::Namespace("a".into()), "started", &[]));
    inv.on_kube(in_scope(&sweep, "started", &[]));
    inv.on_kube(in_scope(&sweep, "listed", &[]));
    assert_eq!(
        inv.watches.get(&gvk()),
        Some(&WatchState::Connecting),
        "the sweep's list is not the kind's"
    );
    assert_eq!(
        verdict(&inv, "b", "far"),
        None,
        "the sweep lacked b/far: gone"
    );
    assert_eq!(
        verdict(&inv, "a", "old"),
        Some(DriftStatus::Orphan),
        "a is not the sweep's to empty"
    );
    inv.on_kube(in_scope(&sweep, "started", &[]));
    inv.on_kube(in_scope(
        &sweep,
        "page",
        &[owned(configmap("c", "new", "x"))],
    ));
    inv.on_kube(in_scope(&sweep, "listed", &[]));
    assert_eq!(verdict(&inv, "c", "new"), Some(DriftStatus::Orphan));
    inv.on_kube(in_scope(
        &Scope::Namespace("a".into()),
        "listed",
        &[configmap("a", "one", "1"), configmap("a", "two", "2")],
    ));
    assert_eq!(inv.watches.get(&gvk()), Some(&WatchState::Live));
    assert_eq!(verdict(&inv, "a", "old"), None, "a's own list lacked it");
    assert_eq!(verdict(&inv, "c", "new"), Some(DriftStatus::Orphan));
}

#[test]
fn the_rows_stamp_moves_only_when_a_row_comes_goes_or_changes_status() {
    let (mut inv, _) = settled("1");
    let before = inv.rows_stamp();
    // an annotation changes, the verdict stays in sync: what a filter matches on is the same
    let mut annotated = configmap("a", "one", "1");
    annotated["metadata"]["annotations"] = json!({"tick": "1"});
    inv.on_kube(KubeEvent::Applied(annotated));
    assert_eq!(inv.rows_stamp(), before, "no row changed status");
    inv.on_kube(KubeEvent::Applied(configmap("a", "one", "2")));
    assert_eq!(verdict(&inv, "a", "one"), Some(DriftStatus::Modified));
    let modified = inv.rows_stamp();
    assert_ne!(modified, before, "a status changed");
    inv.on_kube(KubeEvent::Applied(owned(configmap("a", "new", "x"))));
    assert_ne!(inv.rows_stamp(), modified, "a row came");
}
