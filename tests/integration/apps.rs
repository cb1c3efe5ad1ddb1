//! A repo of Argo CD Applications in the TUI: read and rendered as kdrift reads it (helm and
//! kustomize from the test tools), the live side as the cluster would list it. The header counts
//! the apps, the resources table has an APP column, `/` finds an app's rows by its name and `:`
//! jumps to an app's first row.

use crate::common::{key, press, press_msg, screen};
use crossterm::event::KeyCode;
use kdrift::app::{Keymap, Msg, State};
use kdrift_engine::cluster::{KubeEvent, Scope};
use kdrift_engine::repo::{RepoEvent, read_snapshot};
use kdrift_testkit::gitops::{ARGO_REPO_URL, argo_files, gitops_repo};
use std::collections::BTreeMap;

fn tools() {
    for var in ["KDRIFT_KUBECTL", "KDRIFT_HELM"] {
        let path = std::env::var(var).unwrap_or_else(|_| {
            panic!("{var} is not set: source the testbed env (scripts/test.sh does)")
        });
        assert!(std::path::Path::new(&path).is_file(), "{var}={path}");
    }
}

fn app_state() -> State {
    tools();
    let repo = gitops_repo(&argo_files(""), ARGO_REPO_URL);
    let snap = read_snapshot(repo.path(), None, None, None).unwrap();
    assert!(snap.errors.is_empty(), "{:?}", snap.errors);
    let mut by_kind: BTreeMap<_, Vec<serde_json::Value>> = BTreeMap::new();
    for d in &snap.desired {
        by_kind
            .entry(d.key.gvk())
            .or_default()
            .push(d.manifest.tree());
    }
    let mut state = State::new("apps", Keymap::defaults());
    press_msg(&mut state, Msg::Tick(1_000));
    press_msg(&mut state, Msg::Repo(RepoEvent::Snapshot(Box::new(snap))));
    for (gvk, objects) in by_kind {
        press_msg(
            &mut state,
            Msg::Kube(KubeEvent::Listed {
                gvk,
                scope: Scope::All,
                objects,
            }),
        );
    }
    state
}

fn selected_app(state: &State) -> Option<String> {
    let row = state.selected_row()?;
    state.inv.app_of(row).map(str::to_string)
}

#[test]
fn apps_have_a_column_a_header_count_a_filter_and_a_jump() {
    let mut state = app_state();
    let text = screen(&state, 160, 30);
    assert!(text.contains("5 apps"), "{text}");
    let header = text.lines().find(|l| l.contains("STATUS")).unwrap();
    assert!(
        header.contains("NAME") && header.contains("APP"),
        "{header}"
    );
    let web = text
        .lines()
        .find(|l| l.contains("web-prod-settings"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(web.contains(" web "), "the row names its app: {web}");
    // the note for the chart kdrift cannot render is a row of its app
    assert!(text.contains("cert-manager"), "{text}");

    // `/shop` keeps the shop app's rows (and rows named shop)
    key(&mut state, '/');
    for c in "shop".chars() {
        key(&mut state, c);
    }
    press(&mut state, KeyCode::Enter);
    let rows: Vec<(String, Option<String>)> = state
        .visible()
        .map(|(row, _)| (row.to_string(), state.inv.app_of(row).map(str::to_string)))
        .collect();
    assert!(
        rows.iter()
            .filter(|(_, app)| app.as_deref() == Some("shop"))
            .count()
            == 2,
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .all(|(name, app)| app.as_deref() == Some("shop") || name.contains("shop")),
        "{rows:?}"
    );
    press(&mut state, KeyCode::Esc);

    // `:web` jumps to the web app's first row
    for c in ":web".chars() {
        key(&mut state, c);
    }
    press(&mut state, KeyCode::Enter);
    assert_eq!(selected_app(&state).as_deref(), Some("web"));
}

#[test]
fn a_drift_alert_names_its_app() {
    let mut state = app_state();
    let _ = state.alerts.observer.observe(&state.inv, 2_000);
    let key = state
        .inv
        .desired
        .keys()
        .find(|k| k.name == "web-prod-settings")
        .cloned()
        .unwrap();
    let mut live = state.inv.desired[&key].manifest.tree();
    live["data"]["greeting"] = "edited".into();
    press_msg(
        &mut state,
        Msg::Kube(KubeEvent::Listed {
            gvk: key.gvk(),
            scope: Scope::All,
            objects: vec![live],
        }),
    );
    let events = state.alerts.observer.observe(&state.inv, 3_000);
    let lines: Vec<String> = events.iter().map(|e| e.json()).collect();
    let drift = lines
        .iter()
        .find(|l| l.contains(r#""event":"drift""#) && l.contains("web-prod-settings"))
        .unwrap_or_else(|| panic!("{lines:?}"));
    assert!(drift.contains(r#""app":"web""#), "{drift}");
}
