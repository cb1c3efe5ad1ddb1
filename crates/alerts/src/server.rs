//! `--metrics-addr ADDR`: `/metrics` (the exposition), `/healthz` (the process answers) and
//! `/readyz` (the first full comparison is done), over HTTP/1. Each connection has a deadline, so
//! a client that connects and says nothing holds nothing for long.

use crate::metrics::Metrics;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// How long one connection may stay open.
const CONNECTION_LIMIT: Duration = Duration::from_secs(30);

/// What the endpoints answer from.
#[derive(Debug, Clone)]
pub struct Served {
    pub metrics: Arc<Metrics>,
    pub ready: Arc<AtomicBool>,
}

fn answer(status: StatusCode, kind: &str, body: String) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("Content-Type", kind)
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_default()
}

fn route(served: &Served, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    const TEXT: &str = "text/plain; charset=utf-8";
    match req.uri().path() {
        "/metrics" => answer(
            StatusCode::OK,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            served.metrics.encode(),
        ),
        "/healthz" => answer(StatusCode::OK, TEXT, "ok\n".into()),
        "/readyz" if served.ready.load(Ordering::Relaxed) => {
            answer(StatusCode::OK, TEXT, "ready\n".into())
        }
        "/readyz" => answer(
            StatusCode::SERVICE_UNAVAILABLE,
            TEXT,
            "not ready: the first comparison with git is not done\n".into(),
        ),
        _ => answer(StatusCode::NOT_FOUND, TEXT, "not found\n".into()),
    }
}

/// Binds `addr` (an error names it) and serves until the task is aborted.
pub async fn serve(addr: &str, served: Served) -> Result<(SocketAddr, JoinHandle<()>), String> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| format!("--metrics-addr {addr}: {e}"))?;
    let bound = listener
        .local_addr()
        .map_err(|e| format!("--metrics-addr {addr}: {e}"))?;
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let served = served.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let response = route(&served, &req);
                    async move { Ok::<_, std::convert::Infallible>(response) }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(hyper_util::rt::TokioTimer::new())
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
                let _ = tokio::time::timeout(CONNECTION_LIMIT, conn).await;
            });
        }
    });
    Ok((bound, task))
}
