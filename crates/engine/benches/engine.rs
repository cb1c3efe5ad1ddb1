//! Criterion benchmarks for the engine's hot paths named in shared/guide/performance.md: reading
//! manifests from git, a new commit folded into 10k rows, judging one object, its text diff.
//! Run: `cargo bench -p kdrift-engine --bench engine`. Numbers go to docs/performance.md.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use kdrift_engine::cluster::{KubeEvent, Scope};
use kdrift_engine::drift::{assess, object_diff};
use kdrift_engine::inventory::Inventory;
use kdrift_engine::model::{Desired, ResourceKey};
use kdrift_engine::repo::{ReadCache, ReadOptions, RepoEvent, read_snapshot, read_snapshot_with};
use kdrift_testkit::layouts::{apps_repo, deployment};
use serde_json::{Value, json};
use std::hint::black_box;

/// A commit that touches three of 10k files, read with the cache the follower keeps: only those
/// three are parsed again. Alternating between the two commits makes every read a "new" one.
fn new_commit(c: &mut Criterion) {
    let (dir, ids) = apps_repo(10_000);
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
    // The rest of the way to an updated drift table: fold the snapshot into an inventory that
    // holds 10k live objects (only the changed rows are judged again).
    let snaps: Vec<_> = ids
        .iter()
        .map(|id| read_snapshot_with(dir.path(), Some(id), &options, &mut cache).unwrap())
        .collect();
    let mut inventory = Inventory::default();
    let live: Vec<Value> = snaps[0]
        .desired
        .iter()
        .map(|d| live_of(&d.manifest.tree(), 3))
        .collect();
    inventory.on_repo(RepoEvent::Snapshot(Box::new(snaps[0].clone())));
    inventory.on_kube(KubeEvent::Listed {
        gvk: snaps[0].desired[0].key.gvk(),
        scope: Scope::All,
        objects: live,
    });
    g.bench_function("update drift table, 10k rows", |b| {
        // the clone is setup, not measured: the follower hands its snapshot over by value
        b.iter_batched(
            || {
                flip = 1 - flip;
                Box::new(snaps[flip].clone())
            },
            |snap| {
                inventory.on_repo(RepoEvent::Snapshot(snap));
                black_box(inventory.row_count())
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
        let (dir, _) = apps_repo(n);
        g.bench_function(format!("{n} manifests"), |b| {
            b.iter(|| black_box(read(dir.path())))
        });
    }
    // The same 10k after `git gc`, as a cloned or long-lived repo is: one pack of deltas.
    let (dir, _) = apps_repo(10_000);
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
        app: None,
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
    // what the diff pane's job computes: both sides, their alignment and word emphasis
    c.bench_function("object_diff drifted", |b| {
        b.iter(|| {
            black_box(
                object_diff(Some(&d), Some(&drifted), &report.changes)
                    .rows()
                    .len(),
            )
        })
    });
}

/// The corpus's kitchen-sink Deployment (probes, resources, env, volumes, affinity: ~8 KB of
/// YAML), as git declares it and as the server stores it.
fn big_deployment() -> (Desired, Value) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/corpus/plain/deployment-web.yaml"
    );
    let text = std::fs::read_to_string(path)
        .unwrap()
        .replace("__NS__", "bench");
    let (mut parsed, errors) =
        kdrift_engine::repo::parse_file("web.yaml", text.as_bytes(), "bench");
    assert!(errors.is_empty(), "{errors:?}");
    let desired = parsed.remove(0);
    let mut live = desired.manifest.tree();
    live["metadata"]["uid"] = json!("00000000-0000-0000-0000-000000000000");
    live["metadata"]["resourceVersion"] = json!("12345");
    live["spec"]["template"]["spec"]["containers"][0]["terminationMessagePath"] =
        json!("/dev/termination-log");
    live["status"] = json!({"replicas": 3, "readyReplicas": 3, "observedGeneration": 1});
    (desired, live)
}

/// Stage 1 on an ~8 KB object, equal and with one change (shared/guide/performance.md: ≤ 1 µs
/// when equal), and the text diffs the issue bounds: 500 lines with one change (≤ 1 ms) and
/// 5 000 lines all changed (bounded by the 5 ms deadline).
fn drift_stage_one(c: &mut Criterion) {
    let (desired, equal) = big_deployment();
    let mut changed = equal.clone();
    changed["spec"]["replicas"] = json!(9);
    c.bench_function("assess equal, 8 KB Deployment", |b| {
        b.iter(|| black_box(assess(Some(&desired), Some(&equal))))
    });
    c.bench_function("assess one change, 8 KB Deployment", |b| {
        b.iter(|| black_box(assess(Some(&desired), Some(&changed))))
    });
    // its parts: the compare of what git declares, and the walk for other managers' extras
    let tree = desired.manifest.tree();
    let want = kdrift_engine::drift::normalized_desired(&tree).into_owned();
    c.bench_function("compare equal, 8 KB Deployment", |b| {
        b.iter(|| black_box(kdrift_engine::drift::compare(&want, &equal, false)))
    });
    c.bench_function("extras equal, 8 KB Deployment", |b| {
        b.iter(|| black_box(kdrift_engine::drift::extras(&tree, &equal)))
    });
    let configmap = |n: usize, value: &dyn Fn(usize) -> String| {
        let data: serde_json::Map<String, Value> = (0..n)
            .map(|i| (format!("key-{i:05}"), json!(value(i))))
            .collect();
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big", "namespace": "a"}, "data": data})
    };
    let as_desired = |v: Value| Desired {
        key: ResourceKey::from_object(&v).unwrap(),
        manifest: v.into(),
        source: "big.yaml".into(),
        app: None,
    };
    let five_hundred = as_desired(configmap(500, &|i| format!("value {i}")));
    let mut one_off = five_hundred.manifest.tree();
    one_off["data"]["key-00250"] = json!("changed");
    let report = assess(Some(&five_hundred), Some(&one_off)).unwrap();
    c.bench_function("object_diff, 500 lines, one change", |b| {
        b.iter(|| {
            black_box(
                object_diff(Some(&five_hundred), Some(&one_off), &report.changes)
                    .rows()
                    .len(),
            )
        })
    });
    let five_thousand = as_desired(configmap(5_000, &|i| format!("git {i}")));
    let all_changed = configmap(5_000, &|i| format!("live {i}"));
    let report = assess(Some(&five_thousand), Some(&all_changed)).unwrap();
    let mut g = c.benchmark_group("bounded");
    g.sample_size(10);
    g.bench_function("object_diff, 5000 lines, all changed", |b| {
        b.iter(|| {
            black_box(
                object_diff(Some(&five_thousand), Some(&all_changed), &report.changes)
                    .rows()
                    .len(),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, manifests, new_commit, one_object, drift_stage_one);
criterion_main!(benches);
