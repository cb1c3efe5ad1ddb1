//! Server-side apply: managers, conflicts, force, dry-run, YAML bodies, generation.

use super::*;

#[tokio::test]
async fn server_side_apply_ownership_conflicts_and_dry_run() {
    let sim = SimCluster::new();
    let client = sim.client();
    let deploys: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let env = json!([{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]);
    let kdrift = PatchParams::apply("kdrift");

    // Create via apply.
    let created = deploys
        .patch(
            "web",
            &kdrift,
            &Patch::Apply(deployment_config(2, env.clone())),
        )
        .await
        .unwrap();
    assert_eq!(created.spec.replicas, Some(2));
    let entry = managed_entry(&created, "kdrift", "Apply").expect("kdrift owns fields");
    let f = &entry["fieldsV1"];
    assert_eq!(f["f:spec"]["f:replicas"], json!({}));
    assert_eq!(f["f:metadata"]["f:labels"]["f:owner"], json!({}));
    let redis = &f["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"redis\"}"];
    assert_eq!(redis["f:image"], json!({}));
    assert_eq!(redis["."], json!({}));
    assert_eq!(entry["fieldsType"], "FieldsV1");
    assert!(entry["time"].as_str().unwrap().ends_with('Z'));

    // Re-applying the same config is a no-op: no new resourceVersion.
    let again = deploys
        .patch(
            "web",
            &kdrift,
            &Patch::Apply(deployment_config(2, env.clone())),
        )
        .await
        .unwrap();
    assert_eq!(again.resource_version(), created.resource_version());

    // Someone scales by hand with a merge patch.
    let edit = PatchParams {
        field_manager: Some("kubectl-edit".into()),
        ..Default::default()
    };
    let edited = deploys
        .patch(
            "web",
            &edit,
            &Patch::Merge(json!({"spec": {"replicas": 5}})),
        )
        .await
        .unwrap();
    let entry = managed_entry(&edited, "kubectl-edit", "Update").expect("kubectl-edit recorded");
    assert_eq!(entry["fieldsV1"], json!({"f:spec": {"f:replicas": {}}}));
    let kd = managed_entry(&edited, "kdrift", "Apply").unwrap();
    assert!(kd["fieldsV1"]["f:spec"].get("f:replicas").is_none());

    // Re-applying without force conflicts on exactly that field.
    let err = deploys
        .patch(
            "web",
            &kdrift,
            &Patch::Apply(deployment_config(2, env.clone())),
        )
        .await
        .unwrap_err();
    let err = api_err(err);
    assert_eq!((err.code, err.reason.as_str()), (409, "Conflict"));
    assert!(
        err.message
            .starts_with("Apply failed with 1 conflict: conflict with \"kubectl-edit\""),
        "{}",
        err.message
    );
    assert!(err.message.contains(".spec.replicas"), "{}", err.message);
    let causes = err.details.as_ref().unwrap().causes.clone();
    assert_eq!(causes.len(), 1);
    assert_eq!(causes[0].reason, "FieldManagerConflict");
    assert_eq!(causes[0].field, ".spec.replicas");

    // Applying the live value shares ownership instead of conflicting.
    let shared = deploys
        .patch(
            "web",
            &kdrift,
            &Patch::Apply(deployment_config(5, env.clone())),
        )
        .await
        .unwrap();
    assert!(managed_entry(&shared, "kubectl-edit", "Update").is_some());
    assert_eq!(
        managed_entry(&shared, "kdrift", "Apply").unwrap()["fieldsV1"]["f:spec"]["f:replicas"],
        json!({})
    );

    // Dry run computes the forced result but stores nothing.
    let before = deploys.get("web").await.unwrap();
    let dry = PatchParams::apply("kdrift").force().dry_run();
    let preview = deploys
        .patch(
            "web",
            &dry,
            &Patch::Apply(deployment_config(3, env.clone())),
        )
        .await
        .unwrap();
    assert_eq!(preview.spec.replicas, Some(3));
    let after = deploys.get("web").await.unwrap();
    assert_eq!(after.spec.replicas, Some(5));
    assert_eq!(after.resource_version(), before.resource_version());
    // Dry run reports conflicts too.
    let dry_conflict = PatchParams::apply("kdrift").dry_run();
    let err = deploys
        .patch(
            "web",
            &dry_conflict,
            &Patch::Apply(deployment_config(3, env.clone())),
        )
        .await
        .unwrap_err();
    assert_eq!(api_err(err).code, 409);

    // Force takes the field over.
    let forced = deploys
        .patch(
            "web",
            &PatchParams::apply("kdrift").force(),
            &Patch::Apply(deployment_config(3, env.clone())),
        )
        .await
        .unwrap();
    assert_eq!(forced.spec.replicas, Some(3));
    assert!(managed_entry(&forced, "kubectl-edit", "Update").is_none());
    assert!(rv_of(&forced) > rv_of(&after));

    // Dropping fields from the applied config deletes them.
    let mut slim = deployment_config(3, json!([{"name": "A", "value": "1"}]));
    slim["metadata"]["labels"]
        .as_object_mut()
        .unwrap()
        .remove("owner");
    let pruned = deploys
        .patch("web", &kdrift, &Patch::Apply(slim))
        .await
        .unwrap();
    let labels = pruned.metadata.labels.clone().unwrap();
    assert!(
        !labels.contains_key("owner") && labels.contains_key("app"),
        "{labels:?}"
    );
    let container = &pruned.spec.template.spec.as_ref().unwrap().containers[0];
    let env_names: Vec<_> = container
        .env
        .as_ref()
        .unwrap()
        .iter()
        .map(|e| e.name.clone())
        .collect();
    assert_eq!(env_names, ["A"]);

    // Apply requires a field manager; YAML bodies are accepted too.
    let no_manager = PatchParams::default();
    let err = deploys
        .patch("web", &no_manager, &Patch::Apply(deployment_config(3, env)))
        .await
        .unwrap_err();
    assert_eq!(api_err(err).code, 422);
}

#[tokio::test]
async fn apply_accepts_yaml_bodies_and_validates_kind() {
    let sim = SimCluster::new();
    let client = sim.client();
    let yaml =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  greeting: hello\n";
    let req =
        http::Request::patch("/api/v1/namespaces/default/configmaps/from-yaml?fieldManager=kdrift")
            .header("content-type", "application/apply-patch+yaml")
            .body(yaml.as_bytes().to_vec())
            .unwrap();
    let obj: Value = client.request(req).await.unwrap();
    assert_eq!(obj["data"]["greeting"], "hello");

    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let wrong =
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "from-yaml"}});
    let err = cms
        .patch(
            "from-yaml",
            &PatchParams::apply("kdrift"),
            &Patch::Apply(wrong),
        )
        .await
        .unwrap_err();
    assert_eq!(api_err(err).code, 400);
}

#[tokio::test]
async fn generation_and_no_op_writes() {
    let sim = SimCluster::new();
    let client = sim.client();
    let deploys: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let created = deploys
        .patch(
            "web",
            &PatchParams::apply("kdrift"),
            &Patch::Apply(deployment_config(1, json!([]))),
        )
        .await
        .unwrap();
    assert_eq!(created.metadata.generation, Some(1));
    let pp = PatchParams::default();

    // Metadata-only change: new resourceVersion, same generation.
    let labelled = deploys
        .patch(
            "web",
            &pp,
            &Patch::Merge(json!({"metadata": {"labels": {"x": "1"}}})),
        )
        .await
        .unwrap();
    assert!(rv_of(&labelled) > rv_of(&created));
    assert_eq!(labelled.metadata.generation, Some(1));

    // Spec change bumps generation.
    let scaled = deploys
        .patch("web", &pp, &Patch::Merge(json!({"spec": {"replicas": 3}})))
        .await
        .unwrap();
    assert_eq!(scaled.metadata.generation, Some(2));

    // Patches that change nothing store nothing and emit no event.
    let stream = deploys
        .watch(
            &WatchParams::default().timeout(5),
            &scaled.resource_version().unwrap(),
        )
        .await
        .unwrap();
    let same = deploys
        .patch("web", &pp, &Patch::Merge(json!({"spec": {"replicas": 3}})))
        .await
        .unwrap();
    assert_eq!(same.resource_version(), scaled.resource_version());
    // JSON patch (RFC 6902), sent raw: kube's typed helper needs a feature.
    let req = http::Request::patch("/apis/apps/v1/namespaces/default/deployments/web")
        .header("content-type", "application/json-patch+json")
        .body(br#"[{"op": "replace", "path": "/spec/replicas", "value": 4}]"#.to_vec())
        .unwrap();
    let patched: Deployment = client.request(req).await.unwrap();
    assert_eq!(patched.spec.replicas, Some(4));
    let first = tokio::time::timeout(WAIT, stream.boxed().try_next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    match first {
        WatchEvent::Modified(d) => assert_eq!(d.spec.replicas, Some(4)),
        other => panic!("expected the JSON patch's MODIFIED first, got {other:?}"),
    }
}
