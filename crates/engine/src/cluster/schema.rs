//! The API schema of a kind, from the server's OpenAPI v3 documents: the index once, then one
//! document per group-version, each fetched once per run and kept only as the shapes of its
//! kinds (about a tenth of the document's size). A server without OpenAPI v3 (or a
//! user without access to it) gets no shapes, and the compare falls back to its own rules.

use super::resolve::Resolver;
use crate::drift::{Shape, shapes_from_openapi};
use crate::model::Gvk;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Each document request gets this long (core/v1 is a few megabytes).
const DEADLINE: Duration = Duration::from_secs(20);
/// A group-version the server did not publish (a CRD created a moment ago is published a
/// little later) is asked for again after this.
const RETRY_AFTER: Duration = Duration::from_secs(5);

/// The kinds of one group-version and their shapes.
type Kinds = Arc<HashMap<Gvk, Arc<Shape>>>;

/// The shapes of the kinds of each group-version fetched so far (`None`: it could not be had).
#[derive(Debug, Default)]
pub struct SchemaCache {
    /// `apis/apps/v1` (or `api/v1`) → the URL of its document, from the index, and when read.
    index: Option<(HashMap<String, String>, Instant)>,
    /// What each group-version gave, and when it was asked for.
    groups: HashMap<String, (Option<Kinds>, Instant)>,
}

impl Resolver {
    /// The API schema of `gvk`, fetched with its group-version's document the first time.
    pub async fn shape(&self, gvk: &Gvk) -> Option<Arc<Shape>> {
        let path = if gvk.group.is_empty() {
            format!("api/{}", gvk.version)
        } else {
            format!("apis/{}/{}", gvk.group, gvk.version)
        };
        // held across the fetch: kinds of one group-version asked at once share one download
        let mut cache = self.schemas().lock().await;
        match cache.groups.get(&path) {
            Some((Some(kinds), _)) => return kinds.get(gvk).cloned(),
            Some((None, asked)) if asked.elapsed() < RETRY_AFTER => return None,
            _ => {}
        }
        let listed = |c: &SchemaCache| c.index.as_ref().is_some_and(|(i, _)| i.contains_key(&path));
        let fresh = |c: &SchemaCache| {
            c.index
                .as_ref()
                .is_some_and(|(_, at)| at.elapsed() < RETRY_AFTER)
        };
        if !listed(&cache) && !fresh(&cache) {
            let index = match self.get_json("/openapi/v3").await {
                Ok(doc) => index_of(&doc),
                Err(e) => {
                    tracing::info!(error = %e, "no OpenAPI v3 from the server: comparing by kdrift's own list rules");
                    HashMap::new()
                }
            };
            cache.index = Some((index, Instant::now()));
        }
        let url = cache
            .index
            .as_ref()
            .and_then(|(i, _)| i.get(&path))
            .cloned();
        let kinds = match url {
            Some(url) => match self.get_json(&url).await {
                Ok(doc) => Some(Kinds::new(shapes_from_openapi(&doc).into_iter().collect())),
                Err(e) => {
                    tracing::info!(%path, error = %e, "cannot read the API schema");
                    None
                }
            },
            None => None,
        };
        let found = kinds.as_ref().and_then(|k| k.get(gvk).cloned());
        cache.groups.insert(path, (kinds, Instant::now()));
        found
    }

    async fn get_json(&self, url: &str) -> Result<Value, String> {
        let request = http::Request::get(url)
            .body(Vec::new())
            .map_err(|e| e.to_string())?;
        let text = tokio::time::timeout(DEADLINE, self.client().request_text(request))
            .await
            .map_err(|_| format!("no answer within {}s", DEADLINE.as_secs()))?
            .map_err(|e| e.to_string())?;
        serde_json::from_str(&text).map_err(|e| e.to_string())
    }
}

/// `paths` of the index: each group-version's document URL (with its content hash).
fn index_of(doc: &Value) -> HashMap<String, String> {
    doc.get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(path, entry)| {
            let url = entry.get("serverRelativeURL")?.as_str()?;
            // only the server's own paths: a document must not send kdrift elsewhere
            url.starts_with("/openapi/v3/")
                .then(|| (path.clone(), url.to_string()))
        })
        .collect()
}
