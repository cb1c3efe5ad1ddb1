//! Server-side defaulting and the validation worth having in a simulator:
//! enough that obviously broken manifests fail like they would for real.

use serde_json::{Value, json};

use super::resources::ResourceDef;
use super::status::ApiError;
use super::util::{base64_encode, rand_below};

/// Defaults and conversions the apiserver applies on every write. `live` is
/// the stored object (for values that must stay stable, like clusterIP).
pub fn normalize(def: &ResourceDef, obj: &mut Value, live: Option<&Value>) {
    match def.kind {
        "Secret" => {
            if let Some(Value::Object(sd)) =
                obj.as_object_mut().and_then(|o| o.remove("stringData"))
            {
                for (k, v) in sd {
                    let raw = v.as_str().unwrap_or_default().as_bytes().to_vec();
                    obj["data"][k] = json!(base64_encode(&raw));
                }
            }
            if obj.get("type").is_none() {
                obj["type"] = json!("Opaque");
            }
        }
        "Namespace" => {
            let name = obj["metadata"]["name"].clone();
            obj["metadata"]["labels"]["kubernetes.io/metadata.name"] = name;
            if obj.pointer("/spec/finalizers").is_none() {
                obj["spec"]["finalizers"] = json!(["kubernetes"]);
            }
            if obj.pointer("/status/phase").is_none() {
                obj["status"] = json!({"phase": "Active"});
            }
        }
        "Service" => default_service(obj, live),
        "Deployment" | "StatefulSet"
            if obj.pointer("/spec/replicas").is_none() && obj.get("spec").is_some() =>
        {
            obj["spec"]["replicas"] = json!(1);
        }
        "Pod" if obj.pointer("/status/phase").is_none() => {
            obj["status"] = json!({"phase": "Pending", "qosClass": "BestEffort"});
        }
        _ => {}
    }
}

fn default_service(obj: &mut Value, live: Option<&Value>) {
    if obj.get("spec").is_none() {
        obj["spec"] = json!({});
    }
    let spec = &mut obj["spec"];
    if spec.get("type").is_none() {
        spec["type"] = json!("ClusterIP");
    }
    if spec["type"] != "ExternalName" {
        if spec.get("clusterIP").is_none() {
            let ip = live
                .and_then(|l| l.pointer("/spec/clusterIP"))
                .cloned()
                .unwrap_or_else(|| {
                    json!(format!("10.96.{}.{}", rand_below(255), 1 + rand_below(253)))
                });
            spec["clusterIP"] = ip;
        }
        if spec.get("clusterIPs").is_none() {
            spec["clusterIPs"] = json!([spec["clusterIP"].clone()]);
        }
        for (k, v) in [
            ("sessionAffinity", json!("None")),
            ("ipFamilies", json!(["IPv4"])),
            ("ipFamilyPolicy", json!("SingleStack")),
            ("internalTrafficPolicy", json!("Cluster")),
        ] {
            if spec.get(k).is_none() {
                spec[k] = v;
            }
        }
    }
    if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
        for p in ports {
            if p.get("protocol").is_none() {
                p["protocol"] = json!("TCP");
            }
            if p.get("targetPort").is_none() {
                p["targetPort"] = p["port"].clone();
            }
        }
    }
    if obj.get("status").is_none() {
        obj["status"] = json!({"loadBalancer": {}});
    }
}

type Cause = (String, &'static str, String);

fn required(field: &str, what: &str) -> Cause {
    (
        field.to_string(),
        "FieldValueRequired",
        format!("Required value{what}"),
    )
}

fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label)
}

/// Validates a fully prepared object; 422 Invalid listing every problem.
pub fn validate(def: &ResourceDef, obj: &Value) -> Result<(), ApiError> {
    let name = obj["metadata"]["name"].as_str().unwrap_or_default();
    let mut causes: Vec<Cause> = Vec::new();
    if name.is_empty() {
        causes.push(required(
            "metadata.name",
            ": name or generateName is required",
        ));
    } else {
        let label_only = matches!(def.kind, "Namespace" | "Service");
        let ok = if label_only {
            is_dns_label(name)
        } else {
            is_dns_subdomain(name)
        };
        if !ok {
            causes.push((
                "metadata.name".into(),
                "FieldValueInvalid",
                format!(
                    "Invalid value: {name:?}: a lowercase RFC 1123 {} must consist of lower case alphanumeric characters, '-' or '.'",
                    if label_only { "label" } else { "subdomain" }
                ),
            ));
        }
    }
    match def.kind {
        "Pod" => containers(&obj["spec"], "spec", &mut causes),
        "Deployment" | "StatefulSet" => workload(obj, &mut causes),
        "Service" => {
            if let Some(ports) = obj.pointer("/spec/ports").and_then(Value::as_array) {
                for (i, p) in ports.iter().enumerate() {
                    let port = p["port"].as_i64().unwrap_or(0);
                    if !(1..=65535).contains(&port) {
                        causes.push((
                            format!("spec.ports[{i}].port"),
                            "FieldValueInvalid",
                            format!(
                                "Invalid value: {port}: must be between 1 and 65535, inclusive"
                            ),
                        ));
                    }
                }
            }
        }
        _ => {}
    }
    if causes.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(def, name, &causes))
    }
}

fn containers(spec: &Value, at: &str, causes: &mut Vec<Cause>) {
    match spec.get("containers").and_then(Value::as_array) {
        Some(list) if !list.is_empty() => {
            for (i, c) in list.iter().enumerate() {
                if c["name"].as_str().is_none_or(str::is_empty) {
                    causes.push(required(&format!("{at}.containers[{i}].name"), ""));
                }
                if c["image"].as_str().is_none_or(str::is_empty) {
                    causes.push(required(&format!("{at}.containers[{i}].image"), ""));
                }
            }
        }
        _ => causes.push(required(&format!("{at}.containers"), "")),
    }
}

fn workload(obj: &Value, causes: &mut Vec<Cause>) {
    let selector = obj
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object);
    let labels = obj
        .pointer("/spec/template/metadata/labels")
        .and_then(Value::as_object);
    match selector {
        None if obj.pointer("/spec/selector").is_none() => {
            causes.push(required("spec.selector", ""));
        }
        Some(sel) => {
            let matches = sel
                .iter()
                .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v));
            if !matches {
                causes.push((
                    "spec.template.metadata.labels".into(),
                    "FieldValueInvalid",
                    "Invalid value: the template labels do not match the selector: `selector` does not match template `labels`".into(),
                ));
            }
        }
        None => {}
    }
    match obj.pointer("/spec/template/spec") {
        Some(spec) => containers(spec, "spec.template.spec", causes),
        None => causes.push(required("spec.template.spec.containers", "")),
    }
}
