use super::*;
use crate::model::{FieldChange, OWNER_LABEL, OWNER_VALUE, SOURCE_ANNOTATION};
use serde_json::json;

const SOURCE: &str = "https://git.example/shop";

fn key(kind: &str, name: &str) -> ResourceKey {
    ResourceKey::from(crate::model::KeyParts {
        namespace: (kind != "Namespace").then(|| "shop".into()),
        kind: kind.into(),
        name: name.into(),
        group: String::new(),
        version: "v1".into(),
    })
}

struct World {
    reports: BTreeMap<ResourceKey, DriftReport>,
    desired: BTreeMap<ResourceKey, Desired>,
    live: BTreeMap<ResourceKey, Arc<Value>>,
}

impl World {
    fn new() -> Self {
        World {
            reports: BTreeMap::new(),
            desired: BTreeMap::new(),
            live: BTreeMap::new(),
        }
    }

    fn declare(&mut self, k: &ResourceKey, status: DriftStatus, annotations: Value) {
        let mut r = DriftReport::new(status);
        if status == DriftStatus::Modified {
            r.changes.push(FieldChange {
                path: "/data/a".into(),
                desired: None,
                live: None,
                manager: Some("kubectl-edit".into()),
                time: None,
            });
        }
        self.reports.insert(k.clone(), r);
        let manifest = json!({"apiVersion": "v1", "kind": k.kind,
            "metadata": {"name": k.name, "annotations": annotations}});
        self.desired.insert(
            k.clone(),
            Desired {
                key: k.clone(),
                manifest: manifest.into(),
                source: "f.yaml".into(),
                app: None,
            },
        );
    }

    fn orphan(&mut self, k: &ResourceKey, meta: Value) {
        self.reports
            .insert(k.clone(), DriftReport::new(DriftStatus::Orphan));
        let mut live = json!({"apiVersion": "v1", "kind": k.kind, "metadata": meta});
        live["metadata"]["name"] = json!(k.name);
        live["metadata"]["uid"] = json!(format!("uid-{}", k.name));
        live["metadata"]["resourceVersion"] = json!("42");
        self.live.insert(k.clone(), Arc::new(live));
    }

    fn plan(&self, prune: bool) -> SyncPlan {
        let keys: Vec<_> = self.reports.keys().cloned().collect();
        plan_sync(
            &keys,
            &PlanInput {
                reports: &self.reports,
                desired: &self.desired,
                live: &self.live,
                commit: Some("abc"),
                source: Some(SOURCE),
                prune,
            },
        )
    }
}

fn ours() -> Value {
    json!({"labels": {OWNER_LABEL: OWNER_VALUE}, "annotations": {SOURCE_ANNOTATION: SOURCE}})
}

#[test]
fn order_is_wave_then_bootstrap_then_kind_and_prunes_last_in_reverse() {
    let mut w = World::new();
    w.declare(&key("Service", "api"), DriftStatus::Missing, json!({}));
    w.declare(&key("Namespace", "shop"), DriftStatus::Missing, json!({}));
    w.declare(&key("ConfigMap", "cfg"), DriftStatus::Modified, json!({}));
    w.declare(&key("ConfigMap", "ok"), DriftStatus::InSync, json!({}));
    w.declare(
        &key("ConfigMap", "late"),
        DriftStatus::Missing,
        json!({"argocd.argoproj.io/sync-wave": "2"}),
    );
    w.declare(
        &key("Namespace", "late-ns"),
        DriftStatus::Missing,
        json!({"kdrift.dev/sync-wave": "2"}),
    );
    w.orphan(&key("ConfigMap", "old"), ours());
    w.orphan(&key("Service", "old"), ours());
    let plan = w.plan(true);
    let order: Vec<_> = plan
        .items
        .iter()
        .map(|i| format!("{} {} {}/{}", i.op.verb(), i.wave, i.key.kind, i.key.name))
        .collect();
    assert_eq!(
        order,
        [
            "create 0 Namespace/shop",
            "patch 0 ConfigMap/cfg",
            "create 0 Service/api",
            "create 2 Namespace/late-ns",
            "create 2 ConfigMap/late",
            "prune 0 Service/old",
            "prune 0 ConfigMap/old",
        ]
    );
    assert_eq!(
        plan.items[1].op,
        PlanOp::Patch {
            fields: 1,
            take_over: vec!["kubectl-edit".into()]
        }
    );
    assert_eq!(plan.take_over(), ["kubectl-edit"]);
    let m = plan.items[0].manifest.as_ref().unwrap();
    assert_eq!(m["metadata"]["labels"][OWNER_LABEL], OWNER_VALUE);
    assert_eq!(m["metadata"]["annotations"][SOURCE_ANNOTATION], SOURCE);
    let prune = &plan.items[6];
    assert!(prune.manifest.is_none());
    assert_eq!(
        prune.precondition,
        Some(Precondition {
            uid: "uid-old".into(),
            resource_version: "42".into()
        })
    );
}

#[test]
fn prune_is_off_unless_asked_and_never_touches_what_is_not_ours() {
    let mut w = World::new();
    w.orphan(&key("ConfigMap", "ours"), ours());
    w.orphan(
        &key("ConfigMap", "label-only"),
        json!({"labels": {OWNER_LABEL: OWNER_VALUE}}),
    );
    w.orphan(
        &key("ConfigMap", "other-repo"),
        json!({"labels": {OWNER_LABEL: OWNER_VALUE},
            "annotations": {SOURCE_ANNOTATION: "https://git.example/other"}}),
    );
    let mut flux = ours();
    flux["labels"]["kustomize.toolkit.fluxcd.io/name"] = json!("apps");
    w.orphan(&key("ConfigMap", "flux"), flux);
    let mut argo = ours();
    argo["annotations"]["argocd.argoproj.io/tracking-id"] = json!("shop:/ConfigMap:shop/argo");
    w.orphan(&key("ConfigMap", "argo"), argo);

    let off = w.plan(false);
    assert!(off.items.is_empty() && off.blocked.is_empty(), "{off:?}");
    assert_eq!(off.orphans, 5);

    let on = w.plan(true);
    let pruned: Vec<_> = on.items.iter().map(|i| i.key.name.as_str()).collect();
    assert_eq!(pruned, ["ours"]);
    let blocked: BTreeMap<_, _> = on
        .blocked
        .iter()
        .map(|(k, why)| (k.name.as_str(), why.as_str()))
        .collect();
    assert!(blocked["label-only"].contains("not applied from this repo"));
    assert!(blocked["other-repo"].contains("not applied from this repo"));
    assert!(
        blocked["flux"].contains("Flux Kustomization"),
        "{blocked:?}"
    );
    assert!(
        blocked["argo"].contains("Argo CD Application shop"),
        "{blocked:?}"
    );
}

#[test]
fn recreate_is_refused_for_what_holds_data() {
    let mut w = World::new();
    w.declare(&key("ConfigMap", "cfg"), DriftStatus::Modified, json!({}));
    w.declare(&key("Namespace", "shop"), DriftStatus::Modified, json!({}));
    let mut plan = w.plan(false);
    plan.recreate(&key("ConfigMap", "cfg"), vec!["spec.selector".into()])
        .unwrap();
    assert!(plan.items.iter().any(|i| i.op
        == PlanOp::Recreate {
            fields: vec!["spec.selector".into()]
        }));
    let err = plan
        .recreate(&key("Namespace", "shop"), vec![])
        .unwrap_err();
    assert!(err.contains("never deleted"), "{err}");
}

#[test]
fn objects_another_tool_manages_are_warned_about() {
    let mut w = World::new();
    let k = key("ConfigMap", "cfg");
    w.declare(&k, DriftStatus::Modified, json!({}));
    w.live.insert(
        k.clone(),
        Arc::new(
            json!({"metadata": {"labels": {"helm.toolkit.fluxcd.io/name": "web",
            "helm.toolkit.fluxcd.io/namespace": "apps"}}}),
        ),
    );
    let plan = w.plan(false);
    assert!(
        plan.items[0].warnings[0].contains("managed by Flux HelmRelease apps/web"),
        "{:?}",
        plan.items[0].warnings
    );
}
