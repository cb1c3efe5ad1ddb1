//! A Prometheus-compatible query API (`/api/v1/query_range`) over a `Backend`: the answer's
//! series, bounded, or the API's error in its words.

use crate::backend::Backend;
use serde_json::Value;

/// Series kept of one query's answer (a query that forgot its `sum` can return hundreds).
pub const MAX_SERIES: usize = 8;

/// Where the metrics pane asks: a Prometheus-compatible API (`--prometheus-url`, or
/// `--prometheus-service` through the API server's service proxy).
pub type MetricsSource = Backend;

/// One series of an answer: its labels (as `a=b,c=d`) and its points (seconds, value).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: String,
    pub points: Vec<(f64, f64)>,
}

/// `query` over `[start, end]` (seconds) every `step` seconds, from `/api/v1/query_range`.
pub async fn query_range(
    source: &Backend,
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
    let (status, body) = source.get("/api/v1/query_range", &params).await?;
    parse_matrix(status, &body)
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
    fn a_backend_is_an_http_url_or_a_service() {
        let Err(e) = Backend::http("--prometheus-url", "ftp://x") else {
            panic!()
        };
        assert!(e.contains("not an http(s) URL"));
        let s = Backend::http("--prometheus-url", "http://alice:pw@prom.example:9090/").unwrap();
        assert_eq!(s.describe(), "http://prom.example:9090");
    }
}
