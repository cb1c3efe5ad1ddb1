//! The write operations (create, update, patch, delete) shared by the HTTP
//! layer and the controllers. Each runs entirely under the store lock, so a
//! read-modify-write can never interleave with another writer.

use std::sync::Arc;

use serde_json::{Value, json};

use super::Shared;
use super::apply::server_side_apply;
use super::fields::{SYSTEM_META, Scope};
use super::managed::{Writer, record_update};
use super::patch::{json_patch, merge_patch, strategic_merge_patch};
use super::resources::{ResId, by_kind, def};
use super::status::{ApiError, ApiResult};
use super::store::{ObjKey, Store};
use super::util::{new_uid, now_rfc3339, rand_suffix};
use super::validate::{normalize, validate};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatchKind {
    Merge,
    Json,
    Strategic,
    Apply,
}

/// Per-request write options.
#[derive(Clone, Debug)]
pub struct WriteOpts {
    pub manager: String,
    pub dry_run: bool,
    /// Writing the `status` subresource rather than the main resource.
    pub status: bool,
    pub force: bool,
}

impl WriteOpts {
    pub fn new(manager: &str) -> Self {
        WriteOpts {
            manager: manager.to_string(),
            dry_run: false,
            status: false,
            force: false,
        }
    }

    fn scope(&self, res: ResId) -> Scope {
        if self.status {
            Scope::Status
        } else {
            Scope::Main {
                has_status: def(res).has_status,
            }
        }
    }
}

/// Options of DELETE (from query and DeleteOptions body).
#[derive(Clone, Debug, Default)]
pub struct DeleteOpts {
    pub dry_run: bool,
    pub orphan: bool,
    pub precondition_uid: Option<String>,
    pub precondition_rv: Option<String>,
}

/// apiVersion/kind in a body must name the URL's resource (absent is fine).
pub fn check_types(res: ResId, body: &Value) -> ApiResult<()> {
    let d = def(res);
    if let Some(av) = body.get("apiVersion").and_then(Value::as_str)
        && av != d.api_version()
    {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({av}) does not match the expected API version ({})",
            d.api_version()
        )));
    }
    if let Some(kind) = body.get("kind").and_then(Value::as_str)
        && kind != d.kind
    {
        return Err(ApiError::bad_request(format!(
            "the kind in the data ({kind}) does not match the expected kind ({})",
            d.kind
        )));
    }
    if !body.is_object() {
        return Err(ApiError::bad_request("the body must be a JSON object"));
    }
    Ok(())
}

fn check_identity(res: ResId, ns: &str, name: Option<&str>, body: &Value) -> ApiResult<()> {
    check_types(res, body)?;
    if let Some(name) = name {
        let body_name = body.pointer("/metadata/name").and_then(Value::as_str);
        if body_name.is_some_and(|b| b != name) {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({}) does not match the name on the URL ({name})",
                body_name.unwrap_or_default()
            )));
        }
    }
    let body_ns = body.pointer("/metadata/namespace").and_then(Value::as_str);
    if def(res).namespaced && body_ns.is_some_and(|b| !b.is_empty() && b != ns) {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    Ok(())
}

fn ensure_namespace(store: &Store, res: ResId, ns: &str) -> ApiResult<()> {
    if def(res).namespaced
        && store
            .get(&ObjKey::new(by_kind("Namespace"), "", ns))
            .is_none()
    {
        return Err(ApiError::namespace_not_found(ns));
    }
    Ok(())
}

/// Server-owned identity for a brand-new object.
fn stamp_new(res: ResId, ns: &str, name: &str, obj: &mut Value) {
    let d = def(res);
    obj["apiVersion"] = json!(d.api_version());
    obj["kind"] = json!(d.kind);
    let meta = &mut obj["metadata"];
    for k in SYSTEM_META {
        if let Some(m) = meta.as_object_mut() {
            m.remove(*k);
        }
    }
    meta["name"] = json!(name);
    if d.namespaced {
        meta["namespace"] = json!(ns);
    }
    meta["uid"] = json!(new_uid());
    meta["creationTimestamp"] = json!(now_rfc3339());
    meta["generation"] = json!(1);
}

/// Copies server-owned identity from the live object onto a rewritten one.
fn keep_identity(live: &Value, obj: &mut Value) {
    obj["apiVersion"] = live["apiVersion"].clone();
    obj["kind"] = live["kind"].clone();
    for k in [
        "name",
        "namespace",
        "uid",
        "creationTimestamp",
        "generation",
        "resourceVersion",
    ] {
        match live["metadata"].get(k) {
            Some(v) => obj["metadata"][k] = v.clone(),
            None => {
                if let Some(m) = obj["metadata"].as_object_mut() {
                    m.remove(k);
                }
            }
        }
    }
}

/// Keeps the parts of `live` a request may not touch: status for main-resource
/// writes to kinds with a status subresource, everything else for status writes.
fn fence(scope: Scope, live: &Value, new: &mut Value) {
    match scope {
        Scope::Main { has_status: true } => match live.get("status") {
            Some(s) => new["status"] = s.clone(),
            None => {
                if let Some(m) = new.as_object_mut() {
                    m.remove("status");
                }
            }
        },
        Scope::Main { has_status: false } => {}
        Scope::Status => {
            let status = new.get("status").cloned();
            *new = live.clone();
            match status {
                Some(s) => new["status"] = s,
                None => {
                    if let Some(m) = new.as_object_mut() {
                        m.remove("status");
                    }
                }
            }
        }
    }
}

/// Anything outside metadata and status changed: bump `generation`.
fn spec_changed(a: &Value, b: &Value) -> bool {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(m) = v.as_object_mut() {
            m.remove("metadata");
            m.remove("status");
        }
        v
    };
    strip(a) != strip(b)
}

/// Stores `new` as the successor of `live` unless nothing changed.
fn commit(store: &mut Store, key: ObjKey, live: &Value, mut new: Value, dry_run: bool) -> Value {
    let gen_ = live["metadata"]["generation"].as_i64().unwrap_or(1);
    let next = if spec_changed(live, &new) {
        gen_ + 1
    } else {
        gen_
    };
    new["metadata"]["generation"] = json!(next);
    if new == *live || dry_run {
        return new;
    }
    (*store.put(key, new)).clone()
}

impl Shared {
    pub fn get(&self, res: ResId, ns: &str, name: &str) -> Option<Arc<Value>> {
        self.store
            .lock()
            .expect("store lock")
            .get(&ObjKey::new(res, ns, name))
    }

    /// Objects plus the resourceVersion the list is consistent with.
    pub fn list(&self, res: ResId, ns: Option<&str>) -> (Vec<Arc<Value>>, u64) {
        let store = self.store.lock().expect("store lock");
        (store.list(res, ns), store.current_rv())
    }

    pub fn create(&self, res: ResId, ns: &str, body: Value, o: &WriteOpts) -> ApiResult<Value> {
        check_identity(res, ns, None, &body)?;
        let d = def(res);
        let mut obj = body;
        let mut name = obj["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if name.is_empty()
            && let Some(prefix) = obj["metadata"]["generateName"].as_str()
        {
            name = format!("{prefix}{}", rand_suffix(5));
        }
        stamp_new(res, ns, &name, &mut obj);
        if d.has_status
            && let Some(m) = obj.as_object_mut()
        {
            m.remove("status");
        }
        normalize(d, &mut obj, None);
        validate(d, &obj)?;
        let w = Writer {
            manager: &o.manager,
            api_version: &d.api_version(),
            scope: o.scope(res),
        };
        record_update(&Value::Null, &mut obj, &w);

        let mut store = self.store.lock().expect("store lock");
        ensure_namespace(&store, res, ns)?;
        let key = ObjKey::new(res, ns, &name);
        if store.get(&key).is_some() {
            return Err(ApiError::already_exists(d, &name));
        }
        if o.dry_run {
            return Ok(obj);
        }
        Ok((*store.put(key, obj)).clone())
    }

    /// PUT: full replacement with optimistic concurrency.
    pub fn update(
        &self,
        res: ResId,
        ns: &str,
        name: &str,
        body: Value,
        o: &WriteOpts,
    ) -> ApiResult<Value> {
        check_identity(res, ns, Some(name), &body)?;
        let d = def(res);
        let scope = o.scope(res);
        let mut store = self.store.lock().expect("store lock");
        let key = ObjKey::new(res, ns, name);
        let live = store
            .get(&key)
            .ok_or_else(|| ApiError::not_found(d, name))?;
        let body_rv = body["metadata"]["resourceVersion"]
            .as_str()
            .unwrap_or_default();
        if !body_rv.is_empty() && body_rv != live["metadata"]["resourceVersion"] {
            return Err(ApiError::modified_conflict(d, name));
        }
        // managedFields in the body replace the stored ones ([{}] clears them).
        let mut ownership_base = (*live).clone();
        if let Some(Value::Array(mf)) = body.pointer("/metadata/managedFields")
            && !mf.is_empty()
        {
            let keep: Vec<Value> = mf
                .iter()
                .filter(|e| e.get("manager").is_some())
                .cloned()
                .collect();
            ownership_base["metadata"]["managedFields"] = Value::Array(keep);
        }
        let mut new = body;
        keep_identity(&live, &mut new);
        fence(scope, &live, &mut new);
        normalize(d, &mut new, Some(&live));
        validate(d, &new)?;
        let w = Writer {
            manager: &o.manager,
            api_version: &d.api_version(),
            scope,
        };
        record_update(&ownership_base, &mut new, &w);
        Ok(commit(&mut store, key, &live, new, o.dry_run))
    }

    pub fn patch(
        &self,
        res: ResId,
        ns: &str,
        name: &str,
        kind: PatchKind,
        body: Value,
        o: &WriteOpts,
    ) -> ApiResult<Value> {
        let d = def(res);
        let scope = o.scope(res);
        let api_version = d.api_version();
        let w = Writer {
            manager: &o.manager,
            api_version: &api_version,
            scope,
        };
        if kind == PatchKind::Apply {
            check_identity(res, ns, Some(name), &body)?;
        }
        let mut store = self.store.lock().expect("store lock");
        let key = ObjKey::new(res, ns, name);
        let Some(live) = store.get(&key) else {
            if kind != PatchKind::Apply || o.status {
                return Err(ApiError::not_found(d, name));
            }
            ensure_namespace(&store, res, ns)?;
            return self.apply_create(&mut store, key, body, &w, o);
        };
        let body_rv = body
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str);
        if body_rv.is_some_and(|rv| !rv.is_empty() && rv != live["metadata"]["resourceVersion"]) {
            return Err(ApiError::modified_conflict(d, name));
        }
        let mut new = (*live).clone();
        match kind {
            PatchKind::Merge => merge_patch(&mut new, &body),
            PatchKind::Strategic => strategic_merge_patch(&mut new, &body, ""),
            PatchKind::Json => json_patch(&mut new, &body)?,
            PatchKind::Apply => new = server_side_apply(&live, &body, &w, o.force)?,
        }
        keep_identity(&live, &mut new);
        fence(scope, &live, &mut new);
        if kind != PatchKind::Apply {
            // Ownership is recomputed from the stored entries, never the patch.
            new["metadata"]["managedFields"] = live["metadata"]
                .get("managedFields")
                .cloned()
                .unwrap_or(Value::Null);
            if new["metadata"]["managedFields"].is_null()
                && let Some(m) = new["metadata"].as_object_mut()
            {
                m.remove("managedFields");
            }
        }
        normalize(d, &mut new, Some(&live));
        validate(d, &new)?;
        if kind != PatchKind::Apply {
            record_update(&live, &mut new, &w);
        }
        Ok(commit(&mut store, key, &live, new, o.dry_run))
    }

    /// Apply to an absent object creates it, owned entirely by the applier.
    fn apply_create(
        &self,
        store: &mut Store,
        key: ObjKey,
        body: Value,
        w: &Writer<'_>,
        o: &WriteOpts,
    ) -> ApiResult<Value> {
        let d = def(key.res);
        let mut skeleton = json!({"metadata": {}});
        stamp_new(key.res, &key.ns, &key.name, &mut skeleton);
        let mut obj = server_side_apply(&skeleton, &body, w, o.force)?;
        keep_identity(&skeleton, &mut obj);
        normalize(d, &mut obj, None);
        validate(d, &obj)?;
        if o.dry_run {
            return Ok(obj);
        }
        Ok((*store.put(key, obj)).clone())
    }

    /// Deletes the object and, unless orphaning, everything that names it
    /// as owner; deleting a namespace deletes its contents.
    pub fn delete(&self, res: ResId, ns: &str, name: &str, o: &DeleteOpts) -> ApiResult<Value> {
        let d = def(res);
        let removed_pods;
        let result;
        {
            let mut store = self.store.lock().expect("store lock");
            let key = ObjKey::new(res, ns, name);
            let live = store
                .get(&key)
                .ok_or_else(|| ApiError::not_found(d, name))?;
            let uid = live["metadata"]["uid"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if o.precondition_uid.as_ref().is_some_and(|u| *u != uid)
                || o.precondition_rv
                    .as_ref()
                    .is_some_and(|rv| *rv != live["metadata"]["resourceVersion"])
            {
                return Err(ApiError::modified_conflict(d, name).with_details(json!({
                    "name": name, "kind": d.plural
                })));
            }
            if o.dry_run {
                return Ok((*live).clone());
            }
            let mut pending = vec![key];
            let mut pods = Vec::new();
            let mut first = None;
            while let Some(k) = pending.pop() {
                let Some(gone) = store.remove(&k) else {
                    continue;
                };
                if def(k.res).kind == "Namespace" {
                    pending.extend(store.keys_in_namespace(&k.name));
                }
                if !o.orphan
                    && let Some(u) = gone["metadata"]["uid"].as_str()
                {
                    pending.extend(store.dependents_of(u));
                }
                if def(k.res).kind == "Pod" {
                    pods.push((k.ns.clone(), k.name.clone()));
                }
                first.get_or_insert(gone);
            }
            removed_pods = pods;
            result = first.map(|v| (*v).clone()).unwrap_or(Value::Null);
        }
        for (ns, name) in removed_pods {
            self.logs.remove_pod(&ns, &name);
        }
        Ok(result)
    }
}
