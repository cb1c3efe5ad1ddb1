//! Export over OTLP/HTTP (protobuf), the way collectors and Jaeger take it, through the engine's
//! own reqwest (rustls with kube's provider) rather than a second HTTP stack. The SDK's batch
//! processor exports on its own thread, so a blocking client there never holds up the engine.

use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use std::sync::OnceLock;
use std::time::Duration;

/// How long one export may take (connect, send, answer).
pub const EXPORT_LIMIT: Duration = Duration::from_secs(5);
/// Bytes read of a collector's answer.
const MAX_ANSWER: usize = 64 << 10;

/// Where spans go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OtlpTarget {
    /// `--otlp-endpoint URL`: the collector's base (`http://collector:4318`) or the full
    /// `…/v1/traces` URL.
    Url(String),
    /// No flag, but `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set:
    /// the SDK reads them as the OTLP specification says.
    FromEnv,
}

impl OtlpTarget {
    /// The flag's value, or the standard environment variables when it is absent.
    pub fn choose(flag: Option<&str>) -> Option<Self> {
        match flag {
            Some(url) => Some(OtlpTarget::Url(url.to_string())),
            None => [
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "OTEL_EXPORTER_OTLP_ENDPOINT",
            ]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
            .then_some(OtlpTarget::FromEnv),
        }
    }

    /// The URL spans are posted to, checked: http(s), no trailing junk.
    fn traces_url(url: &str) -> Result<String, String> {
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("--otlp-endpoint {url}: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!("--otlp-endpoint {url}: not an http(s) URL"));
        }
        let base = url.trim_end_matches('/');
        Ok(if base.ends_with("/v1/traces") {
            base.to_string()
        } else {
            format!("{base}/v1/traces")
        })
    }
}

/// The blocking client, made on the exporting thread the first time it is needed (reqwest's
/// blocking client runs its own runtime, which may not be made or dropped inside tokio's).
#[derive(Debug, Default)]
struct ReqwestBlocking(OnceLock<Result<reqwest::blocking::Client, String>>);

#[async_trait::async_trait]
impl HttpClient for ReqwestBlocking {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let client = self
            .0
            .get_or_init(|| {
                let _ = rustls::crypto::ring::default_provider().install_default();
                reqwest::blocking::Client::builder()
                    .timeout(EXPORT_LIMIT)
                    .connect_timeout(EXPORT_LIMIT)
                    .build()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| HttpError::from(e.clone()))?;
        let (parts, body) = request.into_parts();
        let mut req = client
            .request(parts.method, parts.uri.to_string())
            .body(body.to_vec());
        for (name, value) in &parts.headers {
            req = req.header(name, value);
        }
        let answer = req.send()?;
        let status = answer.status();
        let mut bytes = Vec::new();
        use std::io::Read;
        answer
            .take(MAX_ANSWER as u64)
            .read_to_end(&mut bytes)
            .map_err(HttpError::from)?;
        Ok(Response::builder()
            .status(status)
            .body(Bytes::from(bytes))?)
    }
}

/// The OTLP/HTTP span exporter for `target`; a bad URL is an error naming the flag.
pub fn otlp_exporter(target: &OtlpTarget) -> Result<opentelemetry_otlp::SpanExporter, String> {
    let builder = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_timeout(EXPORT_LIMIT)
        .with_http_client(ReqwestBlocking::default());
    let builder = match target {
        OtlpTarget::Url(url) => builder.with_endpoint(OtlpTarget::traces_url(url)?),
        OtlpTarget::FromEnv => builder,
    };
    builder.build().map_err(|e| format!("OTLP exporter: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_traces_path_is_added_to_a_base_url_once() {
        let url = |u| OtlpTarget::traces_url(u);
        assert_eq!(url("http://c:4318").unwrap(), "http://c:4318/v1/traces");
        assert_eq!(url("http://c:4318/").unwrap(), "http://c:4318/v1/traces");
        assert_eq!(
            url("https://c/otlp/v1/traces").unwrap(),
            "https://c/otlp/v1/traces"
        );
        assert!(url("c:4318").unwrap_err().contains("--otlp-endpoint"));
        assert!(url("ftp://c").unwrap_err().contains("not an http(s) URL"));
    }
}
