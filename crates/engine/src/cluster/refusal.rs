//! Reading the API server's refusals that a person can act on: a server-side apply conflict
//! (which managers own which fields) and an immutable field (which path). kube-rs hands over
//! only the status message, so it is read as the API server writes it.

use super::error::ClusterError;

/// A field another manager owns, which applying without force would not take.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Conflict {
    pub manager: String,
    /// As the server names it: `.spec.replicas`, `.spec.ports[port=80,protocol="TCP"].targetPort`.
    pub field: String,
}

impl ClusterError {
    /// The conflicts of a refused apply (409, "Apply failed with N conflicts: …"), if this is one.
    pub fn conflicts(&self) -> Option<Vec<Conflict>> {
        match self {
            ClusterError::Api {
                code: 409, message, ..
            } if message.starts_with("Apply failed") => {
                let found = parse_conflicts(message);
                (!found.is_empty()).then_some(found)
            }
            _ => None,
        }
    }

    /// The paths of fields that cannot change in place (422 "field is immutable", a StatefulSet's
    /// "updates to statefulset spec … are forbidden"), if this error is about them.
    pub fn immutable_fields(&self) -> Option<Vec<String>> {
        match self {
            ClusterError::Api {
                code: 422, message, ..
            } => {
                let found = parse_immutable(message);
                (!found.is_empty()).then_some(found)
            }
            _ => None,
        }
    }
}

/// `conflict with "m" using v1: .a` (one), or per manager `conflicts with "m" using v1 at T:` and
/// then a `- .path` line per field.
fn parse_conflicts(message: &str) -> Vec<Conflict> {
    let mut out = Vec::new();
    let mut lines = message.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(at) = line
            .find("conflict with \"")
            .map(|i| i + 15)
            .or_else(|| line.find("conflicts with \"").map(|i| i + 16))
        else {
            continue;
        };
        let rest = &line[at..];
        let Some(end) = rest.find('"') else { continue };
        let manager = rest[..end].to_string();
        let after = &rest[end + 1..];
        if let Some((_, field)) = after.split_once(": ") {
            out.push(Conflict {
                manager,
                field: field.trim().to_string(),
            });
            continue;
        }
        while let Some(field) = lines.peek().and_then(|l| l.trim_start().strip_prefix("- ")) {
            out.push(Conflict {
                manager: manager.clone(),
                field: field.trim().to_string(),
            });
            lines.next();
        }
    }
    out
}

/// What introduces each error of a 422's list: `<path>: <type>: `.
const ERROR_TYPES: &[&str] = &[": Invalid value: ", ": Forbidden: "];

/// Each `<path>: Invalid value: …: field is immutable` of an "is invalid: [e1, e2]" message. The
/// value between them is Go syntax that may hold anything but a path followed by an error type,
/// so errors are found by that and the path read backwards from it.
fn parse_immutable(message: &str) -> Vec<String> {
    let mut starts: Vec<(usize, usize)> = Vec::new(); // (path start, type start)
    for ty in ERROR_TYPES {
        let mut from = 0;
        while let Some(i) = message[from..].find(ty).map(|i| i + from) {
            let path_start = message[..i]
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || "._[]-".contains(c)))
                .map_or(0, |p| p + 1);
            // a list of errors opens with `[`, which a path never starts with
            let path_start = path_start + message[path_start..i].len()
                - message[path_start..i].trim_start_matches('[').len();
            if path_start < i {
                starts.push((path_start, i));
            }
            from = i + ty.len();
        }
    }
    starts.sort();
    let mut out = Vec::new();
    for (n, (path_start, ty)) in starts.iter().enumerate() {
        let end = starts.get(n + 1).map_or(message.len(), |s| s.0);
        let text = &message[*ty..end];
        let immutable = text.contains("is immutable")
            || (text.starts_with(": Forbidden: updates to") && text.contains("are forbidden"));
        if immutable {
            out.push(message[*path_start..*ty].to_string());
        }
    }
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: u16, message: &str) -> ClusterError {
        ClusterError::Api {
            code,
            reason: String::new(),
            message: message.into(),
        }
    }

    #[test]
    fn one_conflict_names_manager_and_field() {
        let e = api(
            409,
            "Apply failed with 1 conflict: conflict with \"kubectl-scale\" using apps/v1 at 2026-12-01T10:00:00Z: .spec.replicas",
        );
        assert_eq!(
            e.conflicts().unwrap(),
            [Conflict {
                manager: "kubectl-scale".into(),
                field: ".spec.replicas".into()
            }]
        );
    }

    #[test]
    fn many_conflicts_are_listed_per_manager() {
        let e = api(
            409,
            "Apply failed with 3 conflicts: conflicts with \"kubectl-edit\" using v1:\n- .data.a\n- .data.b\nconflict with \"helm\": .metadata.labels.x",
        );
        let got: Vec<_> = e
            .conflicts()
            .unwrap()
            .into_iter()
            .map(|c| format!("{} {}", c.manager, c.field))
            .collect();
        assert_eq!(
            got,
            [
                "kubectl-edit .data.a",
                "kubectl-edit .data.b",
                "helm .metadata.labels.x"
            ]
        );
        assert_eq!(api(409, "Operation cannot be fulfilled").conflicts(), None);
    }

    #[test]
    fn immutable_fields_are_found_among_other_errors() {
        let e = api(
            422,
            "Deployment.apps \"web\" is invalid: [spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web2\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable, spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`]",
        );
        assert_eq!(e.immutable_fields().unwrap(), ["spec.selector"]);
        let sts = api(
            422,
            "StatefulSet.apps \"db\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        );
        assert_eq!(sts.immutable_fields().unwrap(), ["spec"]);
        let plain = api(
            422,
            "Deployment.apps \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0",
        );
        assert_eq!(plain.immutable_fields(), None);
    }
}
