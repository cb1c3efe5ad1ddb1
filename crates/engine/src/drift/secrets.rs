//! Secret masking: values never leave this module, only which keys differ.

use serde_json::{Map, Value};

pub const MASK: &str = "*** (hidden)";

/// Replaces every value under `data` and `stringData` with a per-key marker, and drops the
/// last-applied annotation, which would otherwise carry the values in clear (kubectl#1453).
pub fn mask_secret(obj: &Value) -> Value {
    let mut out = obj.clone();
    if let Some(map) = out.as_object_mut() {
        for field in ["data", "stringData"] {
            if let Some(Value::Object(values)) = map.get_mut(field) {
                let masked: Map<String, Value> = values
                    .keys()
                    .map(|k| (k.clone(), Value::String(MASK.to_string())))
                    .collect();
                *values = masked;
            }
        }
        if let Some(ann) = map
            .get_mut("metadata")
            .and_then(|m| m.get_mut("annotations"))
            .and_then(Value::as_object_mut)
        {
            ann.remove("kubectl.kubernetes.io/last-applied-configuration");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_every_value_and_annotation() {
        let s = json!({"kind":"Secret","metadata":{"annotations":{
            "kubectl.kubernetes.io/last-applied-configuration":"{\"data\":{\"p\":\"Y2FuYXJ5\"}}"}},
            "data":{"p":"Y2FuYXJ5"},"stringData":{"q":"canary"}});
        let text = mask_secret(&s).to_string();
        assert!(
            !text.contains("canary") && !text.contains("Y2FuYXJ5"),
            "{text}"
        );
        assert!(text.contains("\"p\"") && text.contains("\"q\""));
    }
}
