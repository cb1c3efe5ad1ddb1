//! Secret masking: values never leave this module, only which keys differ.

use base64::Engine;
use serde_json::{Map, Value};

pub const MASK: &str = "*** (hidden)";

/// Replaces every value under `data` and `stringData` with a per-key marker, and drops the
/// last-applied annotation, which would otherwise carry the values in clear (kubectl#1453).
pub fn mask_secret(obj: &Value) -> Value {
    let mut out = obj.clone();
    if let Some(map) = out.as_object_mut() {
        for field in ["data", "stringData"] {
            match map.get_mut(field) {
                Some(Value::Object(values)) => {
                    let masked: Map<String, Value> = values
                        .keys()
                        .map(|k| (k.clone(), Value::String(MASK.to_string())))
                        .collect();
                    *values = masked;
                }
                // not a map (an invalid Secret): whatever it holds is a value
                Some(other) if !other.is_null() => *other = Value::String(MASK.to_string()),
                _ => {}
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

/// The values a Secret object carries, in every spelling a message could quote them: each
/// `data` value as stored (base64) and decoded, each `stringData` value and its base64; also
/// whatever an invalid Secret holds there. Short values are left out (they would mask words).
pub fn secret_values(obj: &Value) -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = Vec::new();
    let mut strings = |v: &Value, encoded: bool| {
        let mut push = |s: String| {
            if s.len() >= 4 {
                out.push(s);
            }
        };
        match v {
            Value::String(s) => {
                push(s.clone());
                if encoded {
                    if let Some(plain) = b64.decode(s).ok().and_then(|b| String::from_utf8(b).ok())
                    {
                        push(plain);
                    }
                } else {
                    push(b64.encode(s));
                }
            }
            Value::Null | Value::Bool(_) => {}
            other => push(other.to_string()),
        }
    };
    for (field, encoded) in [("data", true), ("stringData", false)] {
        match obj.get(field) {
            Some(Value::Object(values)) => values.values().for_each(|v| strings(v, encoded)),
            Some(Value::Array(items)) => items.iter().for_each(|v| strings(v, encoded)),
            Some(other) => strings(other, encoded),
            None => {}
        }
    }
    out.sort();
    out.dedup();
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out
}

/// `text` with every one of `values` replaced by the mask (longest first, so a value inside
/// another is not left half shown).
pub fn scrub_values(text: &str, values: &[String]) -> String {
    let mut out = text.to_string();
    for v in values {
        if out.contains(v.as_str()) {
            out = out.replace(v.as_str(), MASK);
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

    #[test]
    fn an_invalid_secret_is_masked_whatever_its_shape() {
        for data in [
            json!("canary-string"),
            json!(["canary-list"]),
            json!(42_424_242),
        ] {
            let s = json!({"kind": "Secret", "data": data.clone(), "stringData": data});
            let text = mask_secret(&s).to_string();
            assert!(!text.contains("canary") && !text.contains("4242"), "{text}");
        }
    }

    #[test]
    fn messages_lose_every_spelling_of_the_values() {
        let s = json!({"kind": "Secret", "data": {"p": "Y2FuYXJ5LXZhbHVl"}, "stringData": {"q": "plain-canary"}});
        let values = secret_values(&s);
        let message = "Secret \"s\" is invalid: data[p]: Invalid value: \"canary-value\" (Y2FuYXJ5LXZhbHVl), q=plain-canary cGxhaW4tY2FuYXJ5";
        let clean = scrub_values(message, &values);
        assert!(
            !clean.contains("canary") && !clean.contains("Y2FuYXJ5") && !clean.contains("cGxhaW4"),
            "{clean}"
        );
        assert!(
            clean.starts_with("Secret \"s\" is invalid: data[p]"),
            "{clean}"
        );
    }
}
