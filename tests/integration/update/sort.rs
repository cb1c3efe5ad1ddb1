//! Issue 15: `o` sorts the resources by status, kind, name, age and back to namespace; `O`
//! reverses; the selection stays on its row; a filter and `:` keep working in a sorted table.

use super::*;
use kdrift_engine::inventory::Row;

fn rows(state: &State) -> Vec<String> {
    state
        .visible_rows()
        .iter()
        .map(|(r, _)| r.to_string())
        .collect()
}

fn statuses(state: &State) -> Vec<DriftStatus> {
    state.visible_rows().iter().map(|(_, r)| r.status).collect()
}

/// The demo's rows as `(namespace, kind, name)` of each visible row.
fn parts(state: &State) -> Vec<(String, String, String)> {
    state
        .visible_rows()
        .iter()
        .map(|(row, _)| {
            let name = match row {
                Row::Object(k) => k.name.clone(),
                Row::Manifest(m) => m.source.clone(),
            };
            (
                row.namespace().unwrap_or("").to_string(),
                row.kind().to_string(),
                name,
            )
        })
        .collect()
}

/// The live object of `kind/name`, with its creationTimestamp set to `at`, as a watch brings it.
fn created_at(state: &State, kind: &str, name: &str, at: &str) -> Msg {
    let mut obj = state
        .inv
        .live()
        .iter()
        .find(|(k, _)| k.kind == kind && k.name == name)
        .map(|(_, l)| l.value())
        .unwrap();
    obj["metadata"]["creationTimestamp"] = at.into();
    Msg::Kube(KubeEvent::Applied(obj))
}

#[test]
fn o_cycles_the_sort_and_capital_o_reverses_it() {
    let mut state = demo_state();
    let natural = rows(&state);
    let mut sorted_natural = parts(&state);
    sorted_natural.sort();
    assert_eq!(
        parts(&state),
        sorted_natural,
        "namespace, kind, name at first"
    );

    // status: what needs a look first, the inventory's order within a status
    key(&mut state, 'o');
    let rank = |s: DriftStatus| match s {
        DriftStatus::Error => 0,
        DriftStatus::Modified => 1,
        DriftStatus::Missing => 2,
        DriftStatus::Orphan => 3,
        DriftStatus::Skipped => 4,
        DriftStatus::InSync => 5,
    };
    let got = statuses(&state);
    assert!(
        got.windows(2).all(|w| rank(w[0]) <= rank(w[1])),
        "by status: {got:?}"
    );
    assert_eq!(
        got.first(),
        Some(&DriftStatus::Modified),
        "{:?}",
        rows(&state)
    );
    assert_eq!(got.last(), Some(&DriftStatus::InSync));
    let mut same = rows(&state);
    same.sort();
    let mut all = natural.clone();
    all.sort();
    assert_eq!(same, all, "the same rows, only in another order");
    let in_sync: Vec<String> = state
        .visible_rows()
        .iter()
        .filter(|(_, r)| r.status == DriftStatus::InSync)
        .map(|(row, _)| row.to_string())
        .collect();
    let natural_in_sync: Vec<&String> = natural.iter().filter(|r| in_sync.contains(r)).collect();
    assert_eq!(
        in_sync.iter().collect::<Vec<_>>(),
        natural_in_sync,
        "ties keep the inventory's order"
    );

    // O: the same sort the other way round, ties still in the inventory's order
    key(&mut state, 'O');
    let got = statuses(&state);
    assert!(
        got.windows(2).all(|w| rank(w[0]) >= rank(w[1])),
        "by status, reversed: {got:?}"
    );
    assert_eq!(got.first(), Some(&DriftStatus::InSync));

    // kind, then name; O is forgotten by the next column
    key(&mut state, 'o');
    let by_kind = parts(&state);
    let mut want: Vec<_> = by_kind
        .iter()
        .map(|(ns, kind, name)| (kind.clone(), ns.clone(), name.clone()))
        .collect();
    want.sort();
    assert_eq!(
        by_kind
            .iter()
            .map(|(ns, kind, name)| (kind.clone(), ns.clone(), name.clone()))
            .collect::<Vec<_>>(),
        want,
        "by kind"
    );
    key(&mut state, 'o');
    let names: Vec<String> = parts(&state).into_iter().map(|(_, _, n)| n).collect();
    let mut want = names.clone();
    want.sort();
    assert_eq!(names, want, "by name");

    // age: newest live object first, rows with nothing live (missing, manifests) last
    key(&mut state, 'o');
    let title = screen(&state, 120, 30);
    assert!(title.contains("sort: age"), "{title}");
    let newest = created_at(&state, "Deployment", "frontend", "2099-01-01T00:00:00Z");
    press_msg(&mut state, newest);
    let oldest = created_at(
        &state,
        "ConfigMap",
        "frontend-config",
        "1999-01-01T00:00:00Z",
    );
    press_msg(&mut state, oldest);
    let got = rows(&state);
    assert_eq!(got[0], "shop/Deployment/frontend", "newest first: {got:?}");
    let missing = got.iter().position(|r| r == "shop/Service/api").unwrap();
    let oldest = got
        .iter()
        .position(|r| r == "shop/ConfigMap/frontend-config")
        .unwrap();
    assert_eq!(
        oldest + 1,
        missing,
        "the oldest live, then nothing live: {got:?}"
    );
    assert_eq!(missing, got.len() - 1, "{got:?}");

    // and back to the inventory's order
    key(&mut state, 'o');
    assert_eq!(rows(&state), natural);
    assert!(!screen(&state, 120, 30).contains("sort:"));
}

#[test]
fn the_selection_stays_on_its_row_and_keys_follow_the_sorted_order() {
    let mut state = demo_state();
    select(&mut state, "shop/Deployment/frontend");
    key(&mut state, 'o');
    assert_eq!(selected(&state), "shop/Deployment/frontend", "by status");
    key(&mut state, 'O');
    assert_eq!(selected(&state), "shop/Deployment/frontend", "reversed");
    // j and G walk the sorted order
    key(&mut state, 'g');
    let order = rows(&state);
    assert_eq!(selected(&state), order[0]);
    key(&mut state, 'j');
    assert_eq!(selected(&state), order[1]);
    key(&mut state, 'G');
    assert_eq!(selected(&state), *order.last().unwrap());
    // `:` goes to the first row of a kind in the sorted order
    key(&mut state, ':');
    for c in "deploy".chars() {
        key(&mut state, c);
    }
    press(&mut state, KeyCode::Enter);
    let first_deployment = order
        .iter()
        .find(|r| r.contains("/Deployment/"))
        .unwrap()
        .clone();
    assert_eq!(selected(&state), first_deployment);
}

#[test]
fn a_filter_is_sorted_too() {
    let mut state = demo_state();
    key(&mut state, '/');
    for c in "deployment".chars() {
        key(&mut state, c);
    }
    press(&mut state, KeyCode::Enter);
    let filtered = rows(&state);
    assert!(filtered.len() >= 3, "{filtered:?}");
    assert!(filtered.iter().all(|r| r.contains("/Deployment/")));
    key(&mut state, 'o'); // status
    let got = rows(&state);
    let mut a = got.clone();
    a.sort();
    let mut b = filtered.clone();
    b.sort();
    assert_eq!(a, b, "the same matches");
    assert_eq!(
        got.first().map(String::as_str),
        Some("shop/Deployment/legacy-worker"),
        "the orphan before the rows in sync: {got:?}"
    );
    // a narrower filter, still sorted
    key(&mut state, '/');
    for c in "/f".chars() {
        key(&mut state, c);
    }
    press(&mut state, KeyCode::Enter);
    assert_eq!(rows(&state), ["shop/Deployment/frontend"]);
}

/// Sorted by name, a status that changes alone does not sort again (by status it does).
#[test]
fn a_status_change_sorts_again_only_when_the_order_uses_it() {
    let drift = |state: &mut State| {
        let api = api_scaled_to_99(state);
        press_msg(state, Msg::Kube(KubeEvent::Applied(api)));
    };
    let order = |state: &State| {
        state
            .sorted
            .positions(&state.inv, state.sort, None)
            .unwrap()
    };
    // o: status, kind, name
    for (presses, sorts_again) in [(1, true), (3, false)] {
        let mut state = demo_state();
        for _ in 0..presses {
            key(&mut state, 'o');
        }
        let before = order(&state);
        drift(&mut state);
        let after = order(&state);
        assert_eq!(
            !std::sync::Arc::ptr_eq(&before, &after),
            sorts_again,
            "sort {:?}",
            state.sort
        );
        if sorts_again {
            assert_eq!(statuses(&state)[0], DriftStatus::Modified);
            assert!(
                rows(&state)
                    .iter()
                    .take(4)
                    .any(|r| r == "shop/Deployment/api")
            );
        }
    }
}
