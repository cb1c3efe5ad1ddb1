//! Criterion benchmarks for the hot paths named in shared/guide/performance.md: reading manifests
//! from git, judging one object, its text diff, and drawing a frame over many rows.
//! Run: `cargo bench --bench engine`. Numbers go to docs/performance.md.

use criterion::{Criterion, criterion_group, criterion_main};
use kdrift::app::{Keymap, KubeMsg, Msg, RepoMsg, State, update};
use kdrift::drift::{assess, diff_text};
use kdrift::model::{Desired, ResourceKey};
use kdrift::repo::{RepoFile, read_snapshot, write_history};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};
use std::hint::black_box;

/// A Deployment of about 1.5 KB, with `i` in names and values.
fn deployment(i: usize) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n  namespace: ns-{ns}\n  labels:\n    app: app-{i}\n    team: team-{t}\nspec:\n  replicas: {r}\n  selector:\n    matchLabels:\n      app: app-{i}\n  template:\n    metadata:\n      labels:\n        app: app-{i}\n    spec:\n      containers:\n        - name: main\n          image: registry.example.com/app-{i}:1.{i}\n          ports:\n            - name: http\n              containerPort: 8080\n          env:\n            - name: MODE\n              value: production\n            - name: INDEX\n              value: \"{i}\"\n          resources:\n            requests:\n              cpu: 100m\n              memory: 128Mi\n            limits:\n              cpu: 500m\n              memory: 256Mi\n          readinessProbe:\n            httpGet:\n              path: /healthz\n              port: 8080\n        - name: sidecar\n          image: registry.example.com/proxy:2.0\n          args: [\"--upstream=127.0.0.1:8080\", \"--port=9090\"]\n",
        ns = i % 50,
        t = i % 7,
        r = 1 + i % 5
    )
}

fn repo_with(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let texts: Vec<(String, String)> = (0..n)
        .map(|i| (format!("apps/app-{i}.yaml"), deployment(i)))
        .collect();
    let files = texts
        .iter()
        .map(|(p, c)| RepoFile {
            path: p,
            contents: Some(c),
        })
        .collect();
    write_history(dir.path(), &[("many apps", files)]).unwrap();
    dir
}

fn manifests(c: &mut Criterion) {
    let mut g = c.benchmark_group("read_snapshot");
    g.sample_size(10);
    for n in [1_000, 10_000] {
        let dir = repo_with(n);
        g.bench_function(format!("{n} manifests"), |b| {
            b.iter(|| {
                black_box(
                    read_snapshot(dir.path(), None, None, None)
                        .unwrap()
                        .desired
                        .len(),
                )
            })
        });
    }
    g.finish();
}

fn live_of(desired: &Value, replicas: i64) -> Value {
    let mut live = desired.clone();
    live["spec"]["replicas"] = json!(replicas);
    live["metadata"]["uid"] = json!("00000000-0000-0000-0000-000000000000");
    live["spec"]["revisionHistoryLimit"] = json!(10);
    live["status"] = json!({"replicas": replicas, "readyReplicas": replicas});
    live
}

fn one_object(c: &mut Criterion) {
    let manifest: Value = serde_saphyr::from_str(&deployment(7)).unwrap();
    let d = Desired {
        key: ResourceKey::from_object(&manifest).unwrap(),
        manifest: manifest.clone(),
        source: "a.yaml".into(),
    };
    let equal = live_of(&manifest, manifest["spec"]["replicas"].as_i64().unwrap());
    let drifted = live_of(&manifest, 9);
    c.bench_function("assess equal", |b| {
        b.iter(|| black_box(assess(Some(&d), Some(&equal))))
    });
    c.bench_function("assess drifted", |b| {
        b.iter(|| black_box(assess(Some(&d), Some(&drifted))))
    });
    let report = assess(Some(&d), Some(&drifted)).unwrap();
    c.bench_function("diff_text drifted", |b| {
        b.iter(|| black_box(diff_text(Some(&d), Some(&drifted), &report.changes, 3).len()))
    });
}

fn frame(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let _guard = rt.enter();
    let dir = repo_with(10_000);
    let snap = read_snapshot(dir.path(), None, None, None).unwrap();
    let mut state = State::new("bench", Keymap::defaults());
    let gvk = snap.desired[0].key.gvk();
    let live: Vec<Value> = snap
        .desired
        .iter()
        .map(|d| live_of(&d.manifest, 3))
        .collect();
    update(&mut state, Msg::Repo(RepoMsg::Snapshot(Box::new(snap))));
    update(
        &mut state,
        Msg::Kube(KubeMsg::Listed {
            gvk,
            namespace: None,
            objects: live,
        }),
    );
    state.selected = 5_000;
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

criterion_group!(benches, manifests, one_object, frame);
criterion_main!(benches);
