//! Memory per cached object, measured with a counting allocator: N ConfigMaps of about 1.2 KB
//! declared in git (parsed from YAML as the repo reader does) and the same N as the API server
//! lists them (metadata, managedFields, the kubectl last-applied annotation), folded into an
//! inventory in pages of 500, as the watcher hands them on. Prints the bytes the inventory holds
//! per object after the inputs are dropped, and the peak while listing and re-listing. Run: `cargo bench -p kdrift-engine --bench memory [-- N]`.

use kdrift_engine::cluster::{KubeEvent, Scope};
use kdrift_engine::inventory::Inventory;
use kdrift_engine::repo::{RepoEvent, read_snapshot};
use serde_json::{Value, json};
#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// Bytes allocated and not freed now.
fn now() -> isize {
    dhat::HeapStats::get().curr_bytes as isize
}

/// Twelve keys of about 100 bytes: ~1.2 KB of data, as the scale runs used.
fn data(i: usize) -> Vec<(String, String)> {
    (0..12)
        .map(|k| (format!("key-{k:02}"), format!("{i:06}-{}", "v".repeat(90))))
        .collect()
}

fn yaml(i: usize) -> String {
    let mut s = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i:06}\n  namespace: scale\n  labels:\n    app: scale\ndata:\n"
    );
    for (k, v) in data(i) {
        s.push_str(&format!("  {k}: \"{v}\"\n"));
    }
    s
}

/// The object as `kubectl apply` leaves it and the API server lists it.
fn live(i: usize) -> Value {
    let data: serde_json::Map<String, Value> =
        data(i).into_iter().map(|(k, v)| (k, json!(v))).collect();
    let fields: serde_json::Map<String, Value> =
        data.keys().map(|k| (format!("f:{k}"), json!({}))).collect();
    let declared = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": format!("cm-{i:06}"), "namespace": "scale", "labels": {"app": "scale"}},
        "data": data});
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": format!("cm-{i:06}"),
            "namespace": "scale",
            "uid": format!("6c1f4b0e-0000-4000-8000-{i:012}"),
            "resourceVersion": format!("{}", 100_000 + i),
            "creationTimestamp": "2026-11-30T10:00:00Z",
            "labels": {"app": "scale"},
            "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": declared.to_string()
            },
            "managedFields": [{
                "manager": "kubectl-client-side-apply",
                "operation": "Update",
                "apiVersion": "v1",
                "time": "2026-11-30T10:00:00Z",
                "fieldsType": "FieldsV1",
                "fieldsV1": {
                    "f:data": fields,
                    "f:metadata": {"f:annotations": {".": {}, "f:kubectl.kubernetes.io/last-applied-configuration": {}},
                                   "f:labels": {".": {}, "f:app": {}}}
                }
            }]
        },
        "data": declared["data"].clone(),
    })
}

fn main() {
    // dhat counts every allocation (testing mode: no profile file written)
    let _profiler = dhat::Profiler::builder().testing().build();
    let n: usize = std::env::args()
        .filter_map(|a| a.parse().ok())
        .next()
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<(String, String)> = (0..n)
        .map(|i| (format!("cm/cm-{i:06}.yaml"), yaml(i)))
        .collect();
    let entries: Vec<kdrift_engine::repo::RepoFile> = files
        .iter()
        .map(|(p, c)| kdrift_engine::repo::RepoFile {
            path: p,
            contents: Some(c),
        })
        .collect();
    kdrift_engine::repo::write_history(dir.path(), &[("scale", entries)]).unwrap();
    drop(files);

    let base = now();
    let snap = read_snapshot(dir.path(), None, None, None).unwrap();
    let snapshot_bytes = now() - base;
    let mut inv = Inventory::default();
    let gvk = snap.desired[0].key.gvk();
    inv.on_repo(RepoEvent::Snapshot(Box::new(snap)));
    let desired_bytes = now() - base;

    // listed as the watcher lists: pages of 500, each parsed as it arrives, so no whole list
    // is ever held (`cluster::watch`)
    const PAGE: usize = 500;
    let list = |inv: &mut Inventory| {
        let scope = Scope::All;
        inv.on_kube(KubeEvent::ListStarted {
            gvk: gvk.clone(),
            scope: scope.clone(),
        });
        for start in (0..n).step_by(PAGE) {
            let objects: Vec<Value> = (start..(start + PAGE).min(n)).map(live).collect();
            inv.on_kube(KubeEvent::ListPage {
                gvk: gvk.clone(),
                scope: scope.clone(),
                objects,
            });
        }
        inv.on_kube(KubeEvent::Listed {
            gvk: gvk.clone(),
            scope,
            objects: Vec::new(),
        });
    };
    let max = || dhat::HeapStats::get().max_bytes as isize;
    list(&mut inv);
    let held = now() - base;
    let first_peak = max() - base;
    // a re-list (a watch that expired, a reconnect): every object comes again
    list(&mut inv);
    let relisted = now() - base;
    let peak = max() - base;
    let per = |b: isize| b as f64 / n as f64;
    println!("objects: {n} ConfigMaps of ~1.2 KB data");
    println!(
        "snapshot as read (desired objects parsed from YAML): {:.0} B/object",
        per(snapshot_bytes)
    );
    println!(
        "inventory after the snapshot (desired only): {:.0} B/object",
        per(desired_bytes)
    );
    println!(
        "inventory after the list (desired + live + verdicts): {:.0} B/object ({:.1} MiB)",
        per(held),
        held as f64 / 1_048_576.0
    );
    println!(
        "  of which live and verdicts: {:.0} B/object",
        per(held - desired_bytes)
    );
    println!(
        "peak while listing in pages of {PAGE}: {:.0} B/object, {:.2}x steady",
        per(first_peak),
        first_peak as f64 / held as f64
    );
    println!(
        "after a re-list: {:.0} B/object; peak over both lists {:.2}x steady",
        per(relisted),
        peak as f64 / held as f64
    );
    // what one slimmed live object costs as a Value tree, and as the text kept
    let key = inv.live().keys().next().unwrap().clone();
    let kept = inv.live().get(&key).unwrap().clone();
    let before = now();
    let copy: Value = kept.value();
    let tree = now() - before;
    println!(
        "one slimmed live object: {tree} B as a Value tree, {} B kept as text",
        kept.bytes()
    );
    let manifest = inv.desired.values().next().unwrap().manifest.clone();
    let before = now();
    let desired_tree = manifest.tree();
    println!(
        "one desired object: {} B as a Value tree, {} B kept as text",
        now() - before,
        manifest.bytes()
    );
    drop(desired_tree);
    let before = now();
    let report = inv.verdicts.get(&key).cloned();
    println!("its verdict: {} B", now() - before);
    drop((copy, report));
    assert_eq!(inv.row_count(), n);
}
