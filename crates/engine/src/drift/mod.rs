//! Drift: the pure judgement of git (desired) against the cluster (live).
//!
//! `assess` classifies one object; `object_diff` and `server_diff` make the bounded, masked text diff shown in the diff pane.

mod compare;
mod diff_text;
mod extras;
mod ignore;
mod normalize;
mod provenance;
mod quantity;
mod schema;
mod secrets;
mod server;

pub use compare::{Segment, compare, compare_shaped, compare_whole, parse_path, render_path};
pub use diff_text::{
    CONTEXT, DiffLine, DiffLineKind, DiffRow, DiffText, Hunk, RowKind, change_for, object_diff,
    object_diff_shaped, server_diff, version_diff,
};
pub use extras::extras;
pub use ignore::{ConfigError, IgnoreRule, IgnoreRules, RuleSource};
pub use normalize::{normalize_desired, normalized_desired, strip_server_fields};
pub use provenance::{Owner, manager_for, manager_for_segments, owner_for_segments};
pub use schema::{ListType, Shape, shapes_from_openapi};
pub use secrets::{MASK, mask_secret, scrub_values, secret_values};
pub use server::{COMMIT_ANNOTATION, comparable, server_changes};

use crate::model::{Desired, DriftReport, DriftStatus, OWNER_LABEL, OWNER_VALUE, ResourceKey};
use serde_json::Value;

/// True when the live object carries kdrift's ownership label, i.e. kdrift may prune it.
pub fn is_owned_by_kdrift(live: &Value) -> bool {
    live.pointer("/metadata/labels")
        .and_then(|l| l.get(OWNER_LABEL))
        .and_then(Value::as_str)
        == Some(OWNER_VALUE)
}

/// Classifies one object. `None` when the pair is irrelevant (live object neither declared nor owned).
pub fn assess(desired: Option<&Desired>, live: Option<&Value>) -> Option<DriftReport> {
    assess_shaped(desired, live, None)
}

/// `assess`, comparing as the kind's API schema says where it is known.
pub fn assess_shaped(
    desired: Option<&Desired>,
    live: Option<&Value>,
    shape: Option<&Shape>,
) -> Option<DriftReport> {
    let tree = desired.map(|d| d.manifest.tree());
    assess_parsed(desired.map(|d| &d.key).zip(tree.as_ref()), live, shape)
}

/// `assess_shaped` with git's object already parsed (the inventory parses each once per
/// judgement): `desired` is its key and tree.
pub fn assess_parsed(
    desired: Option<(&ResourceKey, &Value)>,
    live: Option<&Value>,
    shape: Option<&Shape>,
) -> Option<DriftReport> {
    match (desired, live) {
        (None, None) => None,
        (Some(_), None) => Some(DriftReport::new(DriftStatus::Missing)),
        (None, Some(live)) => {
            is_owned_by_kdrift(live).then(|| DriftReport::new(DriftStatus::Orphan))
        }
        (Some((key, manifest)), Some(live)) => {
            let want = normalized_desired(manifest);
            let secret = key.is_secret();
            let changes = compare_shaped(&want, live, secret, shape);
            let extras = if secret {
                // the server stores `stringData` as `data`: either spelling is declared
                let mut declared = want.clone().into_owned();
                if let (Some(string_data), Some(map)) =
                    (manifest.get("stringData"), declared.as_object_mut())
                {
                    map.insert("stringData".into(), string_data.clone());
                }
                extras(&declared, live)
            } else {
                extras(manifest, live)
            };
            let status = if changes.is_empty() {
                DriftStatus::InSync
            } else {
                DriftStatus::Modified
            };
            Some(DriftReport {
                changes,
                extras,
                ..DriftReport::new(status)
            })
        }
    }
}
