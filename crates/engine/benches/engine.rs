//! Criterion benchmarks for the engine's hot paths named in shared/guide/performance.md: reading
//! manifests from git, a new commit folded into 10k rows, judging one object, its text diff.
//! Run: `cargo bench -p kdrift-engine --bench engine`. Numbers go to docs/performance.md.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use kdrift_engine::cluster::KubeEvent;
use kdrift_engine::drift::{assess, diff_text, object_diff};
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
        .map(|d| live_of(&d.manifest, 3))
        .collect();
    inventory.on_repo(RepoEvent::Snapshot(Box::new(snaps[0].clone())));
    inventory.on_kube(KubeEvent::Listed {
        gvk: snaps[0].desired[0].key.gvk(),
        namespace: None,
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
    // what the diff pane's job computes: both context sizes from one diff
    c.bench_function("object_diff drifted (both contexts)", |b| {
        b.iter(|| {
            black_box(
                object_diff(Some(&d), Some(&drifted), &report.changes)
                    .wide
                    .len(),
            )
        })
    });
}

criterion_group!(benches, manifests, new_commit, one_object);
criterion_main!(benches);
