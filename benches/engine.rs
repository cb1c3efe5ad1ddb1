//! Criterion benchmarks for the hot paths named in shared/guide/performance.md: reading manifests
//! from git, judging one object, its text diff, and drawing a frame over many rows.
//! Run: `cargo bench --bench engine`. Numbers go to docs/performance.md.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use kdrift::app::{Keymap, KubeMsg, Msg, RepoMsg, State, update};
use kdrift::drift::{assess, diff_text};
use kdrift::model::{Desired, ResourceKey};
use kdrift::repo::{
    ReadCache, ReadOptions, RepoFile, read_snapshot, read_snapshot_with, write_history,
};
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
    repo_with_history(n).0
}

/// `n` manifests in a first commit, and a second commit that changes three of them.
fn repo_with_history(n: usize) -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let texts: Vec<(String, String)> = (0..n)
        .map(|i| (format!("apps/app-{i}.yaml"), deployment(i)))
        .collect();
    let changed: Vec<(String, String)> = [1, n / 2, n - 1]
        .iter()
        .map(|&i| (texts[i].0.clone(), texts[i].1.replace("1.", "2.")))
        .collect();
    let ids = write_history(
        dir.path(),
        &[
            ("many apps", files(&texts)),
            ("bump three", files(&changed)),
        ],
    )
    .unwrap();
    (dir, ids)
}

fn files(list: &[(String, String)]) -> Vec<RepoFile<'_>> {
    list.iter()
        .map(|(p, c)| RepoFile {
            path: p,
            contents: Some(c),
        })
        .collect()
}

/// A commit that touches three of 10k files, read with the cache the follower keeps: only those
/// three are parsed again. Alternating between the two commits makes every read a "new" one.
fn new_commit(c: &mut Criterion) {
    let (dir, ids) = repo_with_history(10_000);
    let options = ReadOptions::default();
    let mut cache = ReadCache::default();
    read_snapshot_with(dir.path(), Some(&ids[0]), &options, &mut cache).unwrap();
    let mut flip = 0;
    let mut g = c.benchmark_group("new commit");
    g.sample_size(20);
    g.bench_function("read, 3 of 10k files changed", |b| {
        b.iter(|| {
            flip = 1 - flip;
            let snap = read_snapshot_with(dir.path(), Some(&ids[flip]), &options, &mut cache);
            black_box(snap.unwrap().desired.len())
        })
    });
    // The rest of the way to an updated drift table: fold the snapshot into a state that holds
    // 10k live objects (every row is judged again).
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let _guard = rt.enter();
    let snaps: Vec<_> = ids
        .iter()
        .map(|id| read_snapshot_with(dir.path(), Some(id), &options, &mut cache).unwrap())
        .collect();
    let mut state = State::new("bench", Keymap::defaults());
    let live: Vec<Value> = snaps[0]
        .desired
        .iter()
        .map(|d| live_of(&d.manifest, 3))
        .collect();
    update(
        &mut state,
        Msg::Repo(RepoMsg::Snapshot(Box::new(snaps[0].clone()))),
    );
    update(
        &mut state,
        Msg::Kube(KubeMsg::Listed {
            gvk: snaps[0].desired[0].key.gvk(),
            namespace: None,
            objects: live,
        }),
    );
    g.bench_function("update drift table, 10k rows", |b| {
        // the clone is setup, not measured: the follower hands its snapshot over by value
        b.iter_batched(
            || {
                flip = 1 - flip;
                Box::new(snaps[flip].clone())
            },
            |snap| {
                update(&mut state, Msg::Repo(RepoMsg::Snapshot(snap)));
                black_box(state.reports.len())
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn manifests(c: &mut Criterion) {
    let mut g = c.benchmark_group("read_snapshot");
    g.sample_size(10);
    let read = |dir: &std::path::Path| read_snapshot(dir, None, None, None).unwrap().desired.len();
    for n in [1_000, 10_000] {
        let dir = repo_with(n);
        g.bench_function(format!("{n} manifests"), |b| {
            b.iter(|| black_box(read(dir.path())))
        });
    }
    // The same 10k after `git gc`, as a cloned or long-lived repo is: one pack of deltas.
    let dir = repo_with(10_000);
    let gc = std::process::Command::new("git")
        .args(["gc", "-q", "--aggressive"])
        .current_dir(dir.path())
        .status();
    assert!(gc.is_ok_and(|s| s.success()), "git gc failed");
    g.bench_function("10000 manifests, packed", |b| {
        b.iter(|| black_box(read(dir.path())))
    });
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
        manifest: manifest.clone().into(),
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

criterion_group!(benches, manifests, new_commit, one_object, frame);
criterion_main!(benches);
