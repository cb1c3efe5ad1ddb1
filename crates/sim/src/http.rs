//! The tower `Service` handed to `kube::Client::new`: parses the request,
//! routes it to discovery or a resource handler, and renders the answer.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::StreamExt;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, StreamBody, combinators::UnsyncBoxBody};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::Shared;
use super::resources::{self, ResId, def};
use super::status::{ApiError, ApiResult};
use super::{crud, logs};

pub type SimBody = UnsyncBoxBody<Bytes, Infallible>;

#[derive(Clone)]
pub struct SimService {
    shared: Arc<Shared>,
}

impl SimService {
    pub fn new(shared: Arc<Shared>) -> Self {
        SimService { shared }
    }
}

impl<B> tower::Service<Request<B>> for SimService
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
{
    type Response = Response<SimBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        self.shared.requests.fetch_add(1, Ordering::Relaxed);
        let shared = self.shared.clone();
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            let body = match body.collect().await {
                Ok(c) => c.to_bytes(),
                Err(_) => {
                    return Ok(error_response(&ApiError::bad_request(
                        "failed to read request body",
                    )));
                }
            };
            let ctx = Ctx::new(parts, body);
            tracing::trace!(method = %ctx.method, path = %ctx.path, "sim request");
            Ok(match route(&shared, &ctx) {
                Ok(resp) => resp,
                Err(e) => error_response(&e),
            })
        })
    }
}

/// What handlers need to know about a request.
pub struct Ctx {
    pub method: Method,
    pub path: String,
    pub query: HashMap<String, String>,
    pub accept: String,
    pub content_type: String,
    pub user_agent: String,
    pub body: Bytes,
}

impl Ctx {
    fn new(parts: http::request::Parts, body: Bytes) -> Self {
        let header = |name: header::HeaderName| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let query = parts
            .uri
            .query()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        Ctx {
            method: parts.method.clone(),
            path: parts.uri.path().to_string(),
            query,
            accept: header(header::ACCEPT),
            content_type: header(header::CONTENT_TYPE),
            user_agent: header(header::USER_AGENT),
            body,
        }
    }

    pub fn q(&self, key: &str) -> Option<&str> {
        self.query
            .get(key)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }

    pub fn flag(&self, key: &str) -> bool {
        matches!(self.q(key), Some("true" | "1"))
    }

    /// `dryRun=All` (the only value Kubernetes accepts).
    pub fn dry_run(&self) -> ApiResult<bool> {
        match self.q("dryRun") {
            None => Ok(false),
            Some("All") => Ok(true),
            Some(other) => Err(ApiError::bad_request(format!(
                "Invalid dry run value: {other}: valid values are \"All\""
            ))),
        }
    }

    /// Field manager of a non-apply write: the query parameter, else the
    /// user agent's product name as the apiserver does, else `unknown`.
    pub fn manager_or_default(&self) -> String {
        if let Some(m) = self.q("fieldManager") {
            return m.to_string();
        }
        let ua = self.user_agent.split('/').next().unwrap_or_default().trim();
        if ua.is_empty() {
            "unknown".into()
        } else {
            ua.into()
        }
    }

    /// Clients asking for `PartialObjectMetadata` (kube's metadata API).
    pub fn wants_metadata(&self) -> bool {
        self.accept.contains("as=PartialObjectMetadata")
    }

    pub fn json_body(&self) -> ApiResult<Value> {
        serde_json::from_slice(&self.body).map_err(|e| {
            ApiError::bad_request(format!("couldn't decode the request body as JSON: {e}"))
        })
    }
}

/// A request addressed to a resource: `/api/v1/namespaces/ns/pods/name/log`.
#[derive(Debug)]
pub struct Target {
    pub res: ResId,
    pub ns: Option<String>,
    pub name: Option<String>,
    pub sub: Option<String>,
}

fn route(shared: &Arc<Shared>, ctx: &Ctx) -> ApiResult<Response<SimBody>> {
    let segs: Vec<&str> = ctx.path.split('/').filter(|s| !s.is_empty()).collect();
    let discovery = |doc: Option<Value>| -> ApiResult<Response<SimBody>> {
        if ctx.method != Method::GET {
            return Err(ApiError::method_not_allowed());
        }
        doc.map(|d| json_response(StatusCode::OK, &d))
            .ok_or_else(ApiError::page_not_found)
    };
    let aggregated = ctx.accept.contains("as=APIGroupDiscoveryList");
    match segs.as_slice() {
        // the simulated Prometheus, as a Service behind the API server's service proxy
        [
            "api",
            "v1",
            "namespaces",
            "monitoring",
            "services",
            "prometheus:9090",
            "proxy",
            "api",
            "v1",
            "query_range",
        ] if ctx.method == Method::GET => Ok(super::prom::query_range(shared, ctx)),
        // the simulated Jaeger query API, the same way
        [
            "api",
            "v1",
            "namespaces",
            "monitoring",
            "services",
            "jaeger-query:16686",
            "proxy",
            "api",
            "traces",
        ] if ctx.method == Method::GET => Ok(super::jaeger::traces(shared, ctx)),
        ["version"] => discovery(Some(resources::version_info())),
        ["api"] if aggregated => discovery(Some(resources::aggregated(true)))
            .map(|r| with_content_type(r, AGGREGATED_CT)),
        ["api"] => discovery(Some(resources::core_versions())),
        ["api", v] => discovery(resources::resource_list("", v)),
        ["apis"] if aggregated => discovery(Some(resources::aggregated(false)))
            .map(|r| with_content_type(r, AGGREGATED_CT)),
        ["apis"] => discovery(Some(resources::group_list())),
        ["apis", g] => discovery(resources::group_doc(g)),
        ["apis", g, v] => discovery(resources::resource_list(g, v)),
        ["api", v, rest @ ..] => dispatch(shared, ctx, parse_target("", v, rest)?),
        ["apis", g, v, rest @ ..] => dispatch(shared, ctx, parse_target(g, v, rest)?),
        _ => Err(ApiError::page_not_found()),
    }
}

const AGGREGATED_CT: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

fn parse_target(group: &str, version: &str, rest: &[&str]) -> ApiResult<Target> {
    // `namespaces/{ns}/{plural}/...` is namespaced unless `{plural}` is not a
    // served resource (then it is a namespace's own subresource, e.g. status).
    let namespaced = match rest {
        ["namespaces", _, plural, ..] => resources::find(group, version, plural)
            .filter(|id| def(*id).namespaced)
            .map(|id| (id, rest[1], &rest[3..])),
        _ => None,
    };
    let (res, ns, tail) = match namespaced {
        Some((id, ns, tail)) => (id, Some(ns.to_string()), tail),
        None => {
            let plural = rest.first().ok_or_else(ApiError::page_not_found)?;
            let id =
                resources::find(group, version, plural).ok_or_else(ApiError::page_not_found)?;
            (id, None, &rest[1..])
        }
    };
    let d = def(res);
    let (name, sub) = match tail {
        [] => (None, None),
        [name] => (Some(name.to_string()), None),
        [name, sub] => (Some(name.to_string()), Some(sub.to_string())),
        _ => return Err(ApiError::page_not_found()),
    };
    // Namespaced kinds are addressable without a namespace only as collections.
    if (d.namespaced && ns.is_none() && name.is_some()) || (!d.namespaced && ns.is_some()) {
        return Err(ApiError::page_not_found());
    }
    if let Some(s) = &sub {
        let known = (s == "status" && d.has_status) || d.extra_subresources.contains(&s.as_str());
        if !known {
            return Err(ApiError::page_not_found());
        }
    }
    Ok(Target { res, ns, name, sub })
}

fn dispatch(shared: &Arc<Shared>, ctx: &Ctx, t: Target) -> ApiResult<Response<SimBody>> {
    let m = &ctx.method;
    match (t.name.is_some(), t.sub.as_deref()) {
        (true, Some("log")) if m == Method::GET => logs::handle_log(shared, ctx, &t),
        (true, Some("log")) => Err(ApiError::method_not_allowed()),
        (true, _) if m == Method::GET => crud::get(shared, ctx, &t),
        (true, _) if m == Method::PUT => crud::update(shared, ctx, &t),
        (true, _) if m == Method::PATCH => crud::patch(shared, ctx, &t),
        (true, None) if m == Method::DELETE => crud::delete(shared, ctx, &t),
        (false, _) if m == Method::GET && ctx.flag("watch") => {
            super::watch::handle_watch(shared, ctx, &t)
        }
        (false, _) if m == Method::GET => crud::list(shared, ctx, &t),
        (false, _) if m == Method::POST => crud::create(shared, ctx, &t),
        (false, _) if m == Method::DELETE => crud::delete_collection(shared, ctx, &t),
        _ => Err(ApiError::method_not_allowed()),
    }
}

fn full(bytes: impl Into<Bytes>) -> SimBody {
    Full::new(bytes.into()).boxed_unsync()
}

pub fn json_response(code: StatusCode, v: &Value) -> Response<SimBody> {
    let body = serde_json::to_vec(v).unwrap_or_default();
    Response::builder()
        .status(code)
        .header(header::CONTENT_TYPE, "application/json")
        .body(full(body))
        .expect("valid response")
}

fn with_content_type(mut r: Response<SimBody>, ct: &'static str) -> Response<SimBody> {
    r.headers_mut()
        .insert(header::CONTENT_TYPE, header::HeaderValue::from_static(ct));
    r
}

pub fn error_response(e: &ApiError) -> Response<SimBody> {
    let code = StatusCode::from_u16(e.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_response(code, &e.to_json())
}

pub fn text_response(text: String) -> Response<SimBody> {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/plain")
        .body(full(text))
        .expect("valid response")
}

/// A streaming body fed by a channel; the producer notices a gone client
/// when the channel closes.
pub fn stream_response(rx: mpsc::Receiver<Bytes>, content_type: &'static str) -> Response<SimBody> {
    let stream = ReceiverStream::new(rx).map(|b| Ok::<_, Infallible>(http_body::Frame::data(b)));
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .body(StreamBody::new(stream).boxed_unsync())
        .expect("valid response")
}
