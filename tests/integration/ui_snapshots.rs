//! Snapshots of every pane and of the whole screen at 80×24 and 120×40, drawn from the demo's data.

use crate::common::{NOW_MS, demo_state, feed_logs, key, press_msg, select};
use kdrift::app::{Msg, State};
use kdrift_engine::cluster::{KubeEvent, Scope};
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

/// Events as the simulated controllers write them for redis: the replica scaled away, the pods'
/// start, and a warning, at fixed ages.
fn redis_events(state: &mut State) {
    use kdrift_engine::cluster::{EventFeed, EventRow};
    let target = state
        .events
        .target
        .clone()
        .expect("the events pane follows redis");
    let row = |warning: bool, reason: &str, object: &str, message: &str, count: u32, ago_s: u64| {
        EventRow {
            warning,
            reason: reason.into(),
            object: object.into(),
            message: message.into(),
            count,
            last_ms: NOW_MS - ago_s * 1000,
            seq: 0,
        }
    };
    let rows = vec![
        row(
            true,
            "Unhealthy",
            "Pod/redis-2",
            "Readiness probe failed: connection refused",
            4,
            20,
        ),
        row(
            false,
            "SuccessfulDelete",
            "StatefulSet/redis",
            "delete Pod redis-3 in StatefulSet redis successful",
            1,
            180,
        ),
        row(
            false,
            "Started",
            "Pod/redis-2",
            "Started container redis",
            1,
            190,
        ),
        row(
            false,
            "Pulled",
            "Pod/redis-2",
            "Container image \"redis:7.4-alpine\" already present on machine",
            1,
            191,
        ),
        row(
            false,
            "Scheduled",
            "Pod/redis-2",
            "Successfully assigned shop/redis-2 to sim-node-1",
            1,
            192,
        ),
    ];
    press_msg(state, Msg::Events(EventFeed::Rows { target, rows }));
}

#[test]
fn events_pane_80x24_and_120x40() {
    let mut state = demo_state();
    select(&mut state, "shop/StatefulSet/redis");
    key(&mut state, 'e');
    redis_events(&mut state);
    insta::assert_snapshot!("events_80x24", screen(&mut state, 80, 24).backend());
    insta::assert_snapshot!("events_120x40", screen(&mut state, 120, 40).backend());
}

#[test]
fn timeline_pane_80x24_and_120x40() {
    let mut state = demo_state();
    select(&mut state, "shop/StatefulSet/redis");
    key(&mut state, 'w');
    insta::assert_snapshot!("timeline_one_120x40", screen(&mut state, 120, 40).backend());
    key(&mut state, 'w');
    assert!(state.timeline.all);
    insta::assert_snapshot!("timeline_all_80x24", screen(&mut state, 80, 24).backend());
    insta::assert_snapshot!("timeline_all_120x40", screen(&mut state, 120, 40).backend());
}

/// Before a kind has listed, its rows are not "missing": they say their kind is still listing,
/// and the header counts them apart (k9s says "No resources found" there).
#[test]
fn rows_of_kinds_still_listing_say_so() {
    let captured = crate::common::captured();
    let mut state = State::new("demo", kdrift::app::Keymap::defaults());
    press_msg(&mut state, Msg::Tick(NOW_MS));
    let snapshot = Box::new(captured.snapshot.clone());
    press_msg(
        &mut state,
        Msg::Repo(kdrift_engine::repo::RepoEvent::Snapshot(snapshot)),
    );
    // every kind lists but Services, which have not yet
    for event in &captured.events {
        if let KubeEvent::Listed { gvk, .. } = event
            && gvk.kind == "Service"
        {
            continue;
        }
        press_msg(&mut state, Msg::Kube(event.clone()));
    }
    let text = screen(&mut state, 120, 40).backend().to_string();
    let listing = state.inv.listing();
    assert!(listing > 0, "{text}");
    assert!(text.contains(&format!("listing {listing}")), "{text}");
    assert!(
        text.contains("… listing") && text.contains("not listed yet"),
        "{text}"
    );
    assert_eq!(listing, 3, "the three Services: {text}");
    assert!(
        text.contains("missing 0"),
        "the missing Service api is listing:\n{text}"
    );
    select(&mut state, "shop/Service/api");
    let text = screen(&mut state, 120, 40).backend().to_string();
    assert!(text.contains("its kind has not listed yet"), "{text}");
    // once every kind has listed, nothing says listing any more
    let state = demo_state();
    assert_eq!(state.inv.listing(), 0);
    let mut state = state;
    let text = screen(&mut state, 120, 40).backend().to_string();
    assert!(!text.contains("listing"), "{text}");
}

#[test]
fn alerts_pane_80x24_and_120x40() {
    let mut state = demo_state();
    // what `kdrift watch` would tell of the demo: settled, then a diff alert per drifted object
    let fresh = state.observe_alerts(NOW_MS);
    let kinds: Vec<&str> = fresh.iter().map(|e| e.kind()).collect();
    assert_eq!(kinds.first(), Some(&"settled"), "{kinds:?}");
    assert!(
        kinds.iter().filter(|k| **k == "drift").count() >= 4,
        "{kinds:?}"
    );
    key(&mut state, 'a');
    insta::assert_snapshot!("alerts_80x24", screen(&mut state, 80, 24).backend());
    insta::assert_snapshot!("alerts_120x40", screen(&mut state, 120, 40).backend());
}

/// A sync of two steps as the trace layer records one: the namespace first, then redis and a
/// ConfigMap, the ConfigMap refused.
fn sync_trace() -> kdrift_engine::traces::TraceStore {
    use kdrift_engine::traces::{SpanRecord, Trace, TraceStore};
    let t0 = NOW_MS - 5_000;
    let span = |id: u64,
                parent: Option<u64>,
                name: &'static str,
                fields: &[(&'static str, &str)],
                from: u64,
                to: u64,
                error: Option<&str>| SpanRecord {
        id,
        parent,
        name: name.to_string(),
        fields: fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        start_ms: t0 + from,
        end_ms: Some(t0 + to),
        error: error.map(str::to_string),
    };
    let store = TraceStore::default();
    store.insert(Trace {
        root: 1,
        trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
        spans: vec![
            span(
                1,
                None,
                "sync",
                &[("objects", "3"), ("commit", "bbd4997")],
                0,
                420,
                None,
            ),
            span(
                2,
                Some(1),
                "step",
                &[("name", "wave 0 · namespaces and CRDs"), ("objects", "1")],
                2,
                60,
                None,
            ),
            span(
                3,
                Some(2),
                "object",
                &[("key", "Namespace/shop"), ("op", "patch")],
                5,
                58,
                None,
            ),
            span(
                4,
                Some(1),
                "step",
                &[("name", "wave 0"), ("objects", "2")],
                62,
                418,
                None,
            ),
            span(
                5,
                Some(4),
                "object",
                &[("key", "shop/StatefulSet/redis"), ("op", "patch")],
                70,
                240,
                None,
            ),
            span(
                6,
                Some(4),
                "object",
                &[("key", "shop/ConfigMap/frontend-config"), ("op", "patch")],
                242,
                415,
                Some("conflict with \"kubectl-edit\": .data.CACHE_TTL_SECONDS"),
            ),
        ],
        dropped: 0,
    });
    store
}

#[test]
fn traces_pane_80x24_and_120x40() {
    let mut state = demo_state();
    state.trace_store = Some(sync_trace());
    key(&mut state, 't');
    insta::assert_snapshot!("traces_80x24", screen(&mut state, 80, 24).backend());
    for _ in 0..5 {
        key(&mut state, 'j');
    }
    insta::assert_snapshot!(
        "traces_120x40_error_selected",
        screen(&mut state, 120, 40).backend()
    );
    // with no store (or no trace yet) the pane says how one comes
    state.trace_store = None;
    let text = screen(&mut state, 120, 40).backend().to_string();
    assert!(text.contains("no traces yet"), "{text}");
}

/// Charts of redis as the simulated Prometheus answers them: 3 ready of 3 wanted for ten
/// minutes, then 4 of 4 after the sync; CPU and memory following the pods; no restarts.
fn redis_metrics(state: &mut State) {
    use kdrift_engine::metrics::{MetricsFeed, PanelData, Series};
    let target = state
        .metrics
        .target
        .clone()
        .expect("the metrics pane follows redis");
    let end = (NOW_MS / 1000) as f64;
    let series = |f: &dyn Fn(f64) -> f64| {
        Ok(vec![Series {
            labels: String::new(),
            points: (0..=60)
                .map(|i| {
                    let t = end - 900.0 + f64::from(i) * 15.0;
                    (t, f(end - t))
                })
                .collect(),
        }])
    };
    let pods = |ago: f64| if ago > 300.0 { 3.0 } else { 4.0 };
    let panels = vec![
        PanelData {
            name: "replicas".into(),
            unit: String::new(),
            series: vec![
                ("ready".into(), series(&pods)),
                ("desired".into(), series(&pods)),
            ],
        },
        PanelData {
            name: "restarts (5m)".into(),
            unit: String::new(),
            series: vec![("restarts".into(), series(&|_| 0.0))],
        },
        PanelData {
            name: "cpu".into(),
            unit: "cores".into(),
            series: vec![(
                "used".into(),
                series(&|a| pods(a) * (0.04 + 0.015 * (a / 90.0).sin())),
            )],
        },
        PanelData {
            name: "requests".into(),
            unit: "req/s".into(),
            series: vec![(
                "all".into(),
                Err("bad_data: 1:14: parse error: unexpected identifier".into()),
            )],
        },
    ];
    press_msg(
        state,
        Msg::Metrics(MetricsFeed::Panels {
            target,
            end,
            panels,
        }),
    );
}

#[test]
fn metrics_pane_80x24_and_120x40() {
    let mut state = demo_state();
    select(&mut state, "shop/StatefulSet/redis");
    key(&mut state, 'm');
    let text = screen(&mut state, 120, 40).backend().to_string();
    assert!(
        text.contains("no metrics source: --prometheus-url"),
        "{text}"
    );
    state.metrics_source = Some(
        kdrift_engine::metrics::MetricsSource::http(
            "--prometheus-url",
            "http://prometheus.example:9090",
        )
        .unwrap(),
    );
    key(&mut state, 'j');
    key(&mut state, 'k');
    assert!(
        state.metrics.target.is_some(),
        "followed once a source is there"
    );
    redis_metrics(&mut state);
    insta::assert_snapshot!("metrics_80x24", screen(&mut state, 80, 24).backend());
    insta::assert_snapshot!("metrics_120x40", screen(&mut state, 120, 40).backend());
    insta::assert_snapshot!("metrics_160x48", screen(&mut state, 160, 48).backend());
}

/// Issue 15: columns sized to their content and the width (k9s-like): a long namespace and kind
/// are shown whole when there is room, and give way (name first) only when there is not.
#[test]
fn layout_fits_the_terminal_at_80_120_and_200_columns() {
    use kdrift_engine::model::{Desired, ResourceKey};
    use kdrift_engine::repo::{CommitInfo, RepoEvent, Snapshot};
    use serde_json::json;
    let ns = "payments-production-eu-west-1";
    let objects = [
        json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
               "metadata": {"name": "checkout-api-autoscaler", "namespace": ns},
               "spec": {"minReplicas": 2}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "checkout-api-settings-v2", "namespace": ns},
               "data": {"mode": "fast"}}),
    ];
    let commit = CommitInfo {
        id: "b".repeat(40),
        short: "b".repeat(7),
        subject: "layout".into(),
        author: "test".into(),
        time: 0,
    };
    let snap = Snapshot {
        repo: "layout".into(),
        source: "layout".into(),
        branch: Some("main".into()),
        commit: commit.clone(),
        desired: objects
            .iter()
            .map(|o| Desired {
                key: ResourceKey::from_object(o).unwrap(),
                manifest: o.into(),
                source: "app.yaml".into(),
                app: None,
            })
            .collect(),
        errors: vec![],
        notes: vec![],
        log: vec![commit],
        ignore: Default::default(),
        apps: vec![],
    };
    let mut state = State::new("layout", kdrift::app::Keymap::defaults());
    press_msg(&mut state, Msg::Tick(NOW_MS));
    press_msg(&mut state, Msg::Repo(RepoEvent::Snapshot(Box::new(snap))));
    for o in &objects {
        let key = ResourceKey::from_object(o).unwrap();
        let mut live = o.clone();
        if key.kind == "ConfigMap" {
            live["data"]["mode"] = json!("slow");
        }
        press_msg(
            &mut state,
            Msg::Kube(KubeEvent::Listed {
                gvk: key.gvk(),
                scope: Scope::Namespace(ns.into()),
                objects: vec![live],
            }),
        );
    }
    for (w, h) in [(80, 24), (120, 30), (200, 30)] {
        let text = screen(&mut state, w, h).backend().to_string();
        if w >= 200 {
            assert!(text.contains(ns), "the namespace whole at {w}:\n{text}");
            assert!(text.contains("HorizontalPodAutoscaler"), "{text}");
            assert!(text.contains("checkout-api-autoscaler"), "{text}");
        }
        insta::assert_snapshot!(format!("layout_{w}x{h}"), text);
    }
}

/// The first read shown as it comes: the rows of the files parsed so far, judged against the
/// lists, with the read's progress in the header and no orphan guessed from half a repo; the
/// read's snapshot then leaves the very rows a whole read does.
#[test]
fn the_first_read_in_parts_shows_its_rows_then_the_whole_repo() {
    let captured = crate::common::captured();
    let mut state = State::new("demo", kdrift::app::Keymap::defaults());
    press_msg(&mut state, Msg::Tick(NOW_MS));
    let snap = captured.snapshot.clone();
    let half = snap.desired.len() / 2;
    let part = kdrift_engine::repo::ReadPart {
        repo: snap.repo.clone(),
        branch: snap.branch.clone(),
        commit: snap.commit.clone(),
        desired: snap.desired[..half].to_vec(),
        ignore: snap.ignore.clone(),
        files_read: 3,
        files: 7,
    };
    press_msg(
        &mut state,
        Msg::Repo(kdrift_engine::repo::RepoEvent::Reading(Box::new(part))),
    );
    for event in &captured.events {
        press_msg(&mut state, Msg::Kube(event.clone()));
    }
    let text = screen(&mut state, 120, 40).backend().to_string();
    assert!(
        text.contains(&format!("reading repo… {half} objects, 3/7 files")),
        "{text}"
    );
    assert_eq!(state.inv.row_count(), half, "{text}");
    assert!(text.contains("orphan 0"), "{text}");
    // converging waits for the whole repo: what it applied would carry no commit or source
    key(&mut state, 'S');
    assert!(
        !matches!(state.mode, kdrift::app::Mode::Dialog(_)),
        "no plan while reading"
    );
    let said = state
        .notices
        .last()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    assert!(said.contains("still being read"), "{said}");

    press_msg(
        &mut state,
        Msg::Repo(kdrift_engine::repo::RepoEvent::Snapshot(Box::new(snap))),
    );
    let text = screen(&mut state, 120, 40).backend().to_string();
    assert!(!text.contains("reading repo"), "{text}");
    let whole = demo_state();
    let rows = |s: &State| -> Vec<(String, String)> {
        s.inv
            .verdicts
            .iter()
            .map(|(k, r)| (k.to_string(), format!("{:?}", r.status)))
            .collect()
    };
    assert_eq!(rows(&state), rows(&whole));
    assert!(state.inv.settled);
}
