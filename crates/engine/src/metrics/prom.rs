//! A Prometheus-compatible query API (`/api/v1/query_range`), reached directly over HTTP
//! (`--prometheus-url`) or as a Service through the API server's proxy (`--prometheus-service
//! namespace/name:port`, no port-forward needed). Every call has a deadline; answers are bounded.

use serde_json::Value;
use std::time::Duration;

/// How long one query may take.
pub const QUERY_LIMIT: Duration = Duration::from_secs(5);
/// Series kept of one query's answer (a query that forgot its `sum` can return hundreds).
pub const MAX_SERIES: usize = 8;
/// Bytes read of one answer.
const MAX_ANSWER: usize = 4 << 20;

#[derive(Clone)]
pub enum MetricsSource {
    Http {
        base: String,
        client: reqwest::Client,
    },
    ServiceProxy {
        client: kube::Client,
        /// `/api/v1/namespaces/NS/services/NAME:PORT/proxy`
        prefix: String,
    },
}

impl std::fmt::Debug for MetricsSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// One series of an answer: its labels (as `{a="b"}`) and its points (seconds, value).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: String,
    pub points: Vec<(f64, f64)>,
}

impl MetricsSource {
    /// `--prometheus-url`: the API's base (`http://prometheus:9090`, a path prefix allowed).
    pub fn http(base: &str) -> Result<Self, String> {
        let parsed =
            reqwest::Url::parse(base).map_err(|e| format!("--prometheus-url {base}: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!("--prometheus-url {base}: not an http(s) URL"));
        }
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(QUERY_LIMIT)
            .connect_timeout(QUERY_LIMIT)
            .build()
            .map_err(|e| format!("--prometheus-url: {e}"))?;
        Ok(Self::Http {
            base: base.trim_end_matches('/').to_string(),
            client,
        })
    }

    /// `--prometheus-service namespace/name:port`, through the cluster's API server.
    pub fn service(client: kube::Client, spec: &str) -> Result<Self, String> {
        let bad = || format!("--prometheus-service {spec}: expected namespace/name:port");
        let (ns, rest) = spec.split_once('/').ok_or_else(bad)?;
        let (name, port) = rest.split_once(':').ok_or_else(bad)?;
        let dns = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        if !dns(ns) || !dns(name) || !(dns(port)) {
            return Err(bad());
        }
        Ok(Self::ServiceProxy {
            client,
            prefix: format!("/api/v1/namespaces/{ns}/services/{name}:{port}/proxy"),
        })
    }

    /// Where it is, for titles and errors (never credentials: URLs with userinfo are redacted).
    pub fn describe(&self) -> String {
        match self {
            MetricsSource::Http { base, .. } => match reqwest::Url::parse(base) {
                Ok(mut u) => {
                    let _ = u.set_username("");
                    let _ = u.set_password(None);
                    u.to_string().trim_end_matches('/').to_string()
                }
                Err(_) => "prometheus".into(),
            },
            MetricsSource::ServiceProxy { prefix, .. } => prefix
                .strip_prefix("/api/v1/namespaces/")
                .and_then(|p| p.strip_suffix("/proxy"))
                .map(|p| p.replacen("/services/", "/", 1))
                .unwrap_or_else(|| prefix.clone()),
        }
    }

    /// `query` over `[start, end]` (seconds) every `step` seconds.
    pub async fn query_range(
        &self,
        query: &str,
        start: f64,
        end: f64,
        step: f64,
    ) -> Result<Vec<Series>, String> {
        let params = [
            ("query", query.to_string()),
            ("start", format!("{start:.3}")),
            ("end", format!("{end:.3}")),
            ("step", format!("{:.3}", step.max(1.0))),
        ];
        let mut url = reqwest::Url::parse("http://q/api/v1/query_range").expect("a valid URL");
        url.query_pairs_mut().extend_pairs(params.iter());
        let query_string = url.query().unwrap_or_default().to_string();
        let call = async {
            match self {
                MetricsSource::Http { base, client } => {
                    let full = format!("{base}/api/v1/query_range?{query_string}");
                    let answer = client
                        .get(&full)
                        .send()
                        .await
                        .map_err(|e| e.without_url().to_string())?;
                    let status = answer.status();
                    let bytes = answer
                        .bytes()
                        .await
                        .map_err(|e| e.without_url().to_string())?;
                    Ok::<_, String>((status.as_u16(), bytes.to_vec()))
                }
                MetricsSource::ServiceProxy { client, prefix } => {
                    let path = format!("{prefix}/api/v1/query_range?{query_string}");
                    let request = http::Request::get(path)
                        .body(Vec::new())
                        .map_err(|e| e.to_string())?;
                    let text = client
                        .request_text(request)
                        .await
                        .map_err(|e| e.to_string())?;
                    Ok((200, text.into_bytes()))
                }
            }
        };
        let (status, body) = tokio::time::timeout(QUERY_LIMIT, call)
            .await
            .map_err(|_| format!("no answer in {}s", QUERY_LIMIT.as_secs()))??;
        if body.len() > MAX_ANSWER {
            return Err(format!("answer over {} MiB", MAX_ANSWER >> 20));
        }
        parse_matrix(status, &body)
    }
}

/// A `query_range` answer: the series of a matrix, or the API's error in its words.
pub fn parse_matrix(status: u16, body: &[u8]) -> Result<Vec<Series>, String> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|_| format!("HTTP {status}: not a Prometheus API answer"))?;
    if v["status"] != "success" {
        let kind = v["errorType"].as_str().unwrap_or("error");
        let text = v["error"].as_str().unwrap_or("no reason given");
        return Err(crate::text::sanitize(&format!("{kind}: {text}")));
    }
    let result = v["data"]["result"].as_array().cloned().unwrap_or_default();
    Ok(result
        .iter()
        .take(MAX_SERIES)
        .map(|s| {
            let labels = s["metric"]
                .as_object()
                .map(|m| {
                    let inner: Vec<String> = m
                        .iter()
                        .filter(|(k, _)| *k != "__name__")
                        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                        .collect();
                    inner.join(",")
                })
                .unwrap_or_default();
            let points = s["values"]
                .as_array()
                .map(|vals| {
                    vals.iter()
                        .filter_map(|p| {
                            let t = p.get(0)?.as_f64()?;
                            let v: f64 = p.get(1)?.as_str()?.parse().ok()?;
                            v.is_finite().then_some((t, v))
                        })
                        .collect()
                })
                .unwrap_or_default();
            Series {
                labels: crate::text::sanitize(&labels),
                points,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_matrix_is_read_and_an_error_keeps_the_apis_words() {
        let ok = br#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"__name__":"up","job":"api"},"values":[[1700000000,"1"],[1700000015,"NaN"],[1700000030,"0"]]}]}}"#;
        let series = parse_matrix(200, ok).unwrap();
        assert_eq!(series.len(), 1);
        assert_eq!(series[0].labels, "job=api");
        assert_eq!(
            series[0].points,
            [(1_700_000_000.0, 1.0), (1_700_000_030.0, 0.0)]
        );
        let bad = br#"{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected \u001b[31m"}"#;
        let err = parse_matrix(400, bad).unwrap_err();
        assert!(err.starts_with("bad_data: 1:5: parse error"), "{err}");
        assert!(!err.contains('\u{1b}'), "sanitized: {err:?}");
        assert!(
            parse_matrix(502, b"<html>bad gateway</html>")
                .unwrap_err()
                .contains("HTTP 502")
        );
    }

    #[test]
    fn a_service_is_named_namespace_name_port() {
        let Err(e) = MetricsSource::http("ftp://x") else {
            panic!()
        };
        assert!(e.contains("not an http(s) URL"));
        let s = MetricsSource::http("http://alice:pw@prom.example:9090/").unwrap();
        assert_eq!(s.describe(), "http://prom.example:9090");
    }
}
