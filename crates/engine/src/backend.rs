//! An HTTP query API kdrift reads beside the cluster (Prometheus, Jaeger): reached directly
//! (`--prometheus-url`, `--traces-url`) or as a Service through the API server's service proxy
//! (`--prometheus-service`, `--traces-service`: `namespace/name:port`, no port-forward needed).
//! Every call has a deadline; answers are bounded.

use std::time::Duration;

/// How long one call may take.
pub const CALL_LIMIT: Duration = Duration::from_secs(5);
/// Bytes read of one answer.
pub const MAX_ANSWER: usize = 4 << 20;

#[derive(Clone)]
pub enum Backend {
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

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Backend {
    /// `flag URL`: the API's base (`http://prometheus:9090`, a path prefix allowed).
    pub fn http(flag: &str, base: &str) -> Result<Self, String> {
        let parsed = reqwest::Url::parse(base).map_err(|e| format!("{flag} {base}: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!("{flag} {base}: not an http(s) URL"));
        }
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(CALL_LIMIT)
            .connect_timeout(CALL_LIMIT)
            .build()
            .map_err(|e| format!("{flag}: {e}"))?;
        Ok(Self::Http {
            base: base.trim_end_matches('/').to_string(),
            client,
        })
    }

    /// `flag namespace/name:port`, through the cluster's API server.
    pub fn service(flag: &str, client: kube::Client, spec: &str) -> Result<Self, String> {
        let bad = || format!("{flag} {spec}: expected namespace/name:port");
        let (ns, rest) = spec.split_once('/').ok_or_else(bad)?;
        let (name, port) = rest.split_once(':').ok_or_else(bad)?;
        let dns = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        if !dns(ns) || !dns(name) || !dns(port) {
            return Err(bad());
        }
        Ok(Self::ServiceProxy {
            client,
            prefix: format!("/api/v1/namespaces/{ns}/services/{name}:{port}/proxy"),
        })
    }

    /// Where it is, for titles and errors (a URL's userinfo left out).
    pub fn describe(&self) -> String {
        match self {
            Backend::Http { base, .. } => match reqwest::Url::parse(base) {
                Ok(mut u) => {
                    let _ = u.set_username("");
                    let _ = u.set_password(None);
                    u.to_string().trim_end_matches('/').to_string()
                }
                Err(_) => "backend".into(),
            },
            Backend::ServiceProxy { prefix, .. } => prefix
                .strip_prefix("/api/v1/namespaces/")
                .and_then(|p| p.strip_suffix("/proxy"))
                .map(|p| p.replacen("/services/", "/", 1))
                .unwrap_or_else(|| prefix.clone()),
        }
    }

    /// GET `path` with `params` (URL-encoded here): the status and the body, within the deadline.
    pub async fn get(
        &self,
        path: &str,
        params: &[(&str, String)],
    ) -> Result<(u16, Vec<u8>), String> {
        let mut url = reqwest::Url::parse("http://q/").expect("a valid URL");
        url.query_pairs_mut().extend_pairs(params.iter());
        let query = url.query().unwrap_or_default().to_string();
        let call = async {
            match self {
                Backend::Http { base, client } => {
                    let answer = client
                        .get(format!("{base}{path}?{query}"))
                        .send()
                        .await
                        .map_err(|e| e.without_url().to_string())?;
                    let status = answer.status().as_u16();
                    let bytes = answer
                        .bytes()
                        .await
                        .map_err(|e| e.without_url().to_string())?;
                    Ok::<_, String>((status, bytes.to_vec()))
                }
                Backend::ServiceProxy { client, prefix } => {
                    let request = http::Request::get(format!("{prefix}{path}?{query}"))
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
        let (status, body) = tokio::time::timeout(CALL_LIMIT, call)
            .await
            .map_err(|_| format!("no answer in {}s", CALL_LIMIT.as_secs()))??;
        if body.len() > MAX_ANSWER {
            return Err(format!("answer over {} MiB", MAX_ANSWER >> 20));
        }
        Ok((status, body))
    }
}
