//! L3 on the real control plane: 100 watch events a second (for two minutes by default;
//! `KDRIFT_L3_SECONDS` shortens a local run) while a person presses keys. The TUI's own frame
//! loop runs on a test buffer; keys go through the same channel as the terminal's. Asserted: every
//! key is on screen within 50 ms (p99; the worst is reported), frames stay capped, memory stays
//! flat, and when the load stops the rows show the last value written (nothing dropped or stale).

use crate::common::testbed::{Engine, apply_files, commit, testbed, unique};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kdrift::app::Msg;
use kdrift_engine::model::DriftStatus;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const OBJECTS: usize = 200;
const EVENTS_PER_SECOND: u64 = 100;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn l3_a_hundred_events_a_second_never_hold_a_key_press_back() {
    let seconds: u64 = std::env::var("KDRIFT_L3_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(120);
    let (tb, _shared) = testbed();
    let dir = tempfile::tempdir().unwrap();
    let ns = unique("t-load");
    let files: Vec<(String, String)> = std::iter::once((
        "ns.yaml".to_string(),
        format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"),
    ))
    .chain((0..OBJECTS).map(|i| {
        (
            format!("cm-{i:03}.yaml"),
            format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i:03}\n  namespace: {ns}\ndata:\n  count: \"0\"\n"
            ),
        )
    }))
    .collect();
    let repo = dir.path().join("repo");
    let refs: Vec<(&str, String)> = files.iter().map(|(p, c)| (p.as_str(), c.clone())).collect();
    commit(&repo, "many configmaps", &refs);
    apply_files(&tb, &dir.path().join("files"), &files);

    let mut e = Engine::start(&tb.admin, &repo).await;
    e.pump_until(Duration::from_secs(30), |s| {
        s.inv.count(DriftStatus::InSync) == OBJECTS + 1
    })
    .await;

    // the load: merge patches at a steady rate, each one a watch event and a new drift
    let (client, _) = kdrift_engine::cluster::connect(Some(&tb.admin), None)
        .await
        .unwrap();
    let api: kube::Api<k8s_openapi::api::core::v1::ConfigMap> = kube::Api::namespaced(client, &ns);
    let stop_at = Instant::now() + Duration::from_secs(seconds);
    let load = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / EVENTS_PER_SECOND));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut written = 0u64;
        let mut last = vec![0u64; OBJECTS];
        // patches in flight together, so a slow answer under a busy machine does not lower the
        // rate (an object is patched again only every OBJECTS / rate = 2 s: never two at once)
        let mut in_flight = tokio::task::JoinSet::new();
        while Instant::now() < stop_at {
            tick.tick().await;
            let i = (written as usize) % OBJECTS;
            written += 1;
            last[i] = written;
            let patch = serde_json::json!({"data": {"count": written.to_string()}});
            let api = api.clone();
            in_flight.spawn(async move {
                api.patch(
                    &format!("cm-{i:03}"),
                    &kube::api::PatchParams::default(),
                    &kube::api::Patch::Merge(&patch),
                )
                .await
                .map(|_| ())
            });
            while in_flight.len() > 32 {
                in_flight.join_next().await.unwrap().unwrap().unwrap();
            }
        }
        while let Some(done) = in_flight.join_next().await {
            done.unwrap().unwrap();
        }
        (written, last)
    });

    // a person pressing j and k five times a second, through the input channel
    let sent: Arc<Mutex<Option<(Instant, usize)>>> = Arc::new(Mutex::new(None));
    let keys = e.driver.sender();
    let pending = sent.clone();
    let presser = tokio::spawn(async move {
        let mut down = true;
        let mut pressed = 0usize;
        while Instant::now() < stop_at {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let (code, want) = if down { ('j', 1) } else { ('k', 0) };
            *pending.lock().unwrap() = Some((Instant::now(), want));
            let key = KeyEvent::new(KeyCode::Char(code), KeyModifiers::NONE);
            if keys.send(Msg::Key(key)).await.is_err() {
                return pressed;
            }
            pressed += 1;
            down = !down;
        }
        keys.send(Msg::Key(KeyEvent::new(
            KeyCode::Char('q'),
            KeyModifiers::NONE,
        )))
        .await
        .ok();
        pressed
    });

    let warm_rss = Arc::new(Mutex::new(None));
    let mut latencies = Vec::new();
    let mut frames = 0u64;
    let started = Instant::now();
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    {
        let warm = warm_rss.clone();
        let latencies = &mut latencies;
        let frames = &mut frames;
        kdrift::tui::frame_loop(&mut e.driver, &mut terminal, |state| {
            *frames += 1;
            let mut pending = sent.lock().unwrap();
            if let Some((at, want)) = *pending
                && state.selected == want
            {
                latencies.push(at.elapsed());
                *pending = None;
            }
            // memory once the load has run a quarter of its time
            if started.elapsed() > Duration::from_secs(seconds / 4) {
                warm.lock().unwrap().get_or_insert_with(rss_kib);
            }
        })
        .await
        .unwrap();
    }
    let took = started.elapsed();
    let end_rss = rss_kib();
    let keys_pressed = presser.await.unwrap();
    let (written, last) = load.await.unwrap();

    latencies.sort();
    // a key not seen before the next one was pressed took over 200 ms: counted as lost
    assert!(
        latencies.len() + 1 >= keys_pressed,
        "keys lost: {} of {keys_pressed} reached the screen",
        latencies.len()
    );
    let p50 = percentile(&latencies, 0.5);
    let p99 = percentile(&latencies, 0.99);
    let worst = *latencies.last().unwrap();
    let warm = warm_rss.lock().unwrap().expect("a frame after the warm-up");
    let fps = frames as f64 / took.as_secs_f64();
    println!(
        "L3: {written} events in {:.0}s ({:.0}/s); key to screen p50 {p50:?} p99 {p99:?} max {worst:?} over {} keys; {fps:.0} frames/s; RSS {warm} KiB after a quarter, {end_rss} KiB at the end",
        took.as_secs_f64(),
        written as f64 / took.as_secs_f64(),
        latencies.len()
    );
    assert!(
        written as f64 >= 0.9 * (EVENTS_PER_SECOND * seconds) as f64,
        "the load fell short: {written}"
    );
    assert!(
        p99 <= Duration::from_millis(50),
        "p99 {p99:?} (p50 {p50:?}, max {worst:?})"
    );
    assert!(fps <= 62.0, "frames are capped at 60/s: {fps:.1}");
    assert!(
        end_rss <= warm + warm / 5 + 8 * 1024,
        "memory grew under steady load: {warm} KiB -> {end_rss} KiB"
    );

    // the load stopped: every row shows the last value written to it, judged as drift
    let expect: Vec<String> = last.iter().map(|n| n.to_string()).collect();
    e.pump_until(Duration::from_secs(15), |s| {
        (0..OBJECTS).all(|i| {
            s.inv.live().iter().any(|(k, v)| {
                k.kind == "ConfigMap"
                    && k.name == format!("cm-{i:03}")
                    && (last[i] == 0 || v.value()["data"]["count"] == expect[i].as_str())
            })
        })
    })
    .await;
    let modified = e.state().inv.count(DriftStatus::Modified);
    let touched = last.iter().filter(|n| **n > 0).count();
    assert_eq!(modified, touched, "every patched ConfigMap is drift");
    tb.kubectl(&["delete", "namespace", &ns, "--wait=false"]);
}
