//! Handlers for get, list, create, update, patch and delete requests.

use std::sync::Arc;

use http::{Response, StatusCode};
use serde_json::{Value, json};

use super::Shared;
use super::http::{Ctx, SimBody, Target, json_response};
use super::ops::{DeleteOpts, PatchKind, WriteOpts};
use super::resources::def;
use super::selectors::{Filter, Selector};
use super::status::{ApiError, ApiResult};

/// The object as the client asked for it (whole, or metadata only).
pub fn render(ctx: &Ctx, obj: &Value) -> Value {
    if ctx.wants_metadata() {
        json!({
            "apiVersion": "meta.k8s.io/v1",
            "kind": "PartialObjectMetadata",
            "metadata": obj["metadata"],
        })
    } else {
        obj.clone()
    }
}

pub fn filter_from(ctx: &Ctx) -> ApiResult<Filter> {
    Ok(Filter {
        labels: match ctx.q("labelSelector") {
            Some(s) => Selector::parse_labels(s)?,
            None => Selector::default(),
        },
        fields: match ctx.q("fieldSelector") {
            Some(s) => Selector::parse_fields(s)?,
            None => Selector::default(),
        },
    })
}

fn ns_of(t: &Target) -> &str {
    t.ns.as_deref().unwrap_or("")
}

fn name_of(t: &Target) -> &str {
    t.name.as_deref().unwrap_or("")
}

pub fn get(shared: &Arc<Shared>, ctx: &Ctx, t: &Target) -> ApiResult<Response<SimBody>> {
    let obj = shared
        .get(t.res, ns_of(t), name_of(t))
        .ok_or_else(|| ApiError::not_found(def(t.res), name_of(t)))?;
    Ok(json_response(StatusCode::OK, &render(ctx, &obj)))
}

fn list_doc(
    ctx: &Ctx,
    t: &Target,
    items: Vec<Value>,
    rv: u64,
    cont: Option<(String, usize)>,
) -> Value {
    let d = def(t.res);
    let items: Vec<Value> = items
        .into_iter()
        .map(|o| {
            let mut o = render(ctx, &o);
            // Like the apiserver, typed list items carry no apiVersion/kind.
            if !ctx.wants_metadata()
                && let Some(m) = o.as_object_mut()
            {
                m.remove("apiVersion");
                m.remove("kind");
            }
            o
        })
        .collect();
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if let Some((token, remaining)) = cont {
        meta["continue"] = json!(token);
        meta["remainingItemCount"] = json!(remaining);
    }
    let (api_version, kind) = if ctx.wants_metadata() {
        (
            "meta.k8s.io/v1".to_string(),
            "PartialObjectMetadataList".to_string(),
        )
    } else {
        (d.api_version(), format!("{}List", d.kind))
    };
    json!({"apiVersion": api_version, "kind": kind, "metadata": meta, "items": items})
}

pub fn list(shared: &Arc<Shared>, ctx: &Ctx, t: &Target) -> ApiResult<Response<SimBody>> {
    let filter = filter_from(ctx)?;
    let (objects, rv) = shared.list(t.res, t.ns.as_deref());
    let key = |o: &Value| {
        (
            o["metadata"]["namespace"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            o["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        )
    };
    // Continue tokens are simply the last returned "namespace/name"; the
    // store is ordered by (namespace, name), so resume strictly after it.
    let after = ctx.q("continue").map(|c| {
        let (ns, name) = c.split_once('/').unwrap_or(("", c));
        (ns.to_string(), name.to_string())
    });
    let mut matching: Vec<Value> = objects
        .iter()
        .filter(|o| filter.matches(o))
        .filter(|o| after.as_ref().is_none_or(|a| key(o) > *a))
        .map(|o| (**o).clone())
        .collect();
    let limit = ctx
        .q("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0);
    let mut cont = None;
    if let Some(limit) = limit
        && matching.len() > limit
    {
        let remaining = matching.len() - limit;
        matching.truncate(limit);
        let (ns, name) = key(&matching[limit - 1]);
        cont = Some((format!("{ns}/{name}"), remaining));
    }
    Ok(json_response(
        StatusCode::OK,
        &list_doc(ctx, t, matching, rv, cont),
    ))
}

fn write_opts(ctx: &Ctx, t: &Target) -> ApiResult<WriteOpts> {
    let mut o = WriteOpts::new(&ctx.manager_or_default());
    o.dry_run = ctx.dry_run()?;
    o.status = t.sub.as_deref() == Some("status");
    Ok(o)
}

pub fn create(shared: &Arc<Shared>, ctx: &Ctx, t: &Target) -> ApiResult<Response<SimBody>> {
    if def(t.res).namespaced && t.ns.is_none() {
        return Err(ApiError::method_not_allowed());
    }
    let body = ctx.json_body()?;
    let obj = shared.create(t.res, ns_of(t), body, &write_opts(ctx, t)?)?;
    Ok(json_response(StatusCode::CREATED, &render(ctx, &obj)))
}

pub fn update(shared: &Arc<Shared>, ctx: &Ctx, t: &Target) -> ApiResult<Response<SimBody>> {
    let body = ctx.json_body()?;
    let obj = shared.update(t.res, ns_of(t), name_of(t), body, &write_opts(ctx, t)?)?;
    Ok(json_response(StatusCode::OK, &render(ctx, &obj)))
}

pub fn patch(shared: &Arc<Shared>, ctx: &Ctx, t: &Target) -> ApiResult<Response<SimBody>> {
    let mime = ctx
        .content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim();
    let kind = match mime {
        "application/merge-patch+json" => PatchKind::Merge,
        "application/json-patch+json" => PatchKind::Json,
        "application/strategic-merge-patch+json" => PatchKind::Strategic,
        "application/apply-patch+yaml" => PatchKind::Apply,
        other => return Err(ApiError::unsupported_media_type(other)),
    };
    let mut o = write_opts(ctx, t)?;
    o.force = ctx.flag("force");
    let options_invalid = |field: &str, msg: &str| {
        ApiError::new(
            422,
            "Invalid",
            format!("PatchOptions.meta.k8s.io \"\" is invalid: {field}: {msg}"),
        )
        .with_details(json!({"group": "meta.k8s.io", "kind": "PatchOptions",
            "causes": [{"reason": "FieldValueRequired", "message": msg, "field": field}]}))
    };
    let body = if kind == PatchKind::Apply {
        if ctx.q("fieldManager").is_none() {
            return Err(options_invalid(
                "fieldManager",
                "Required value: is required for apply patch",
            ));
        }
        parse_apply_body(&ctx.body)?
    } else {
        if o.force {
            return Err(options_invalid(
                "force",
                "Forbidden: may not be specified for non-apply patch",
            ));
        }
        ctx.json_body()?
    };
    let existed = shared.get(t.res, ns_of(t), name_of(t)).is_some();
    let obj = shared.patch(t.res, ns_of(t), name_of(t), kind, body, &o)?;
    let code = if existed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok(json_response(code, &render(ctx, &obj)))
}

/// Apply bodies are YAML; kube-rs sends JSON, which is YAML too.
fn parse_apply_body(body: &[u8]) -> ApiResult<Value> {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        return Ok(v);
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_request("apply patch body is not UTF-8"))?;
    serde_saphyr::from_str::<Value>(text)
        .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))
}

fn delete_opts(ctx: &Ctx) -> ApiResult<DeleteOpts> {
    let body: Value = if ctx.body.is_empty() {
        Value::Null
    } else {
        ctx.json_body()?
    };
    let body_dry = body["dryRun"]
        .as_array()
        .is_some_and(|a| a.iter().any(|v| v == "All"));
    Ok(DeleteOpts {
        dry_run: ctx.dry_run()? || body_dry,
        orphan: body["propagationPolicy"] == "Orphan" || body["orphanDependents"] == true,
        precondition_uid: body["preconditions"]["uid"].as_str().map(str::to_string),
        precondition_rv: body["preconditions"]["resourceVersion"]
            .as_str()
            .map(str::to_string),
    })
}

pub fn delete(shared: &Arc<Shared>, ctx: &Ctx, t: &Target) -> ApiResult<Response<SimBody>> {
    let opts = delete_opts(ctx)?;
    let obj = shared.delete(t.res, ns_of(t), name_of(t), &opts)?;
    Ok(json_response(StatusCode::OK, &render(ctx, &obj)))
}

pub fn delete_collection(
    shared: &Arc<Shared>,
    ctx: &Ctx,
    t: &Target,
) -> ApiResult<Response<SimBody>> {
    let opts = delete_opts(ctx)?;
    let filter = filter_from(ctx)?;
    let (objects, _) = shared.list(t.res, t.ns.as_deref());
    let mut deleted = Vec::new();
    for o in objects.iter().filter(|o| filter.matches(o)) {
        let ns = o["metadata"]["namespace"].as_str().unwrap_or_default();
        let name = o["metadata"]["name"].as_str().unwrap_or_default();
        match shared.delete(t.res, ns, name, &opts) {
            Ok(v) => deleted.push(v),
            Err(e) if e.code == 404 => {}
            Err(e) => return Err(e),
        }
    }
    let rv = shared.list(t.res, None).1;
    Ok(json_response(
        StatusCode::OK,
        &list_doc(ctx, t, deleted, rv, None),
    ))
}
