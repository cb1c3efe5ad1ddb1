//! What the API schema says about an object's fields, as much as comparing needs: which lists
//! are maps keyed by which fields (`x-kubernetes-list-type: map` with its map keys, or the patch
//! merge key), which are sets, and which values are quantities. Read from the server's OpenAPI
//! v3 document of a group-version (built-in kinds and CRDs alike), so the compare matches items
//! the way the server merges them instead of by a table of guesses.
//!
//! A `Shape` keeps only those facts, and only the fields that lead to one: no descriptions, no
//! types, no plain fields (about 110 KiB for apps/v1's seven kinds, from a 0.7 MB document;
//! 180 KiB for core/v1's twenty, from 1.6 MB; built in about a millisecond). Shared schemas
//! (`$ref`) are built once and shared; recursive ones (JSONSchemaProps) are cut where they recur.

use crate::model::Gvk;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";
/// The pattern apiextensions gives quantity fields of custom resources.
const QUANTITY_PATTERN: &str = r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))";
/// Deeper than any real object; a guard for hostile or looping documents.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Shape {
    /// Named properties.
    pub fields: HashMap<String, Arc<Shape>>,
    /// What every value of a map is (`additionalProperties`).
    pub values: Option<Arc<Shape>>,
    /// What every item of a list is.
    pub items: Option<Arc<Shape>>,
    pub list: ListType,
    /// A Kubernetes quantity: `1000m` is `1`.
    pub quantity: bool,
    /// The server's default, where the schema gives one (a list map key left out takes it).
    pub default: Option<Value>,
}

/// How the server merges a list.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub enum ListType {
    /// Not said: kdrift's own rules apply.
    #[default]
    Unknown,
    /// Replaced whole: compared item by item in order.
    Atomic,
    /// Scalars merged as a set: order does not matter.
    Set,
    /// Items merged by these fields.
    Map(Vec<String>),
}

impl Shape {
    /// Says nothing the compare would use: left out of the tree, where kdrift's own rules apply
    /// just the same.
    fn is_plain(&self) -> bool {
        self.list == ListType::Unknown
            && !self.quantity
            && self.default.is_none()
            && self.fields.is_empty()
            && self.values.is_none()
            && self.items.is_none()
    }

    pub fn field(&self, name: &str) -> Option<&Shape> {
        self.fields.get(name).or(self.values.as_ref()).map(|s| &**s)
    }

    pub fn item(&self) -> Option<&Shape> {
        self.items.as_deref()
    }

    /// The default of an item's key field, for items that leave it out.
    pub fn key_default(&self, key: &str) -> Option<&Value> {
        self.items.as_ref()?.fields.get(key)?.default.as_ref()
    }
}

/// The shapes of every kind an OpenAPI v3 document of one group-version defines.
pub fn shapes_from_openapi(doc: &Value) -> Vec<(Gvk, Arc<Shape>)> {
    let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    let mut builder = Builder {
        schemas,
        done: HashMap::new(),
        building: Vec::new(),
    };
    let mut out = Vec::new();
    for (name, schema) in schemas {
        let kinds = schema
            .get("x-kubernetes-group-version-kind")
            .and_then(Value::as_array);
        for gvk in kinds.into_iter().flatten() {
            let field = |f: &str| gvk.get(f).and_then(Value::as_str).unwrap_or_default();
            let gvk = Gvk {
                group: field("group").to_string(),
                version: field("version").to_string(),
                kind: field("kind").to_string(),
            };
            // list kinds and the meta kinds every group repeats are of no use here
            if gvk.kind.ends_with("List") || gvk.kind.is_empty() || name.contains(".apimachinery.")
            {
                continue;
            }
            out.push((gvk, builder.named(name, 0)));
        }
    }
    out
}

struct Builder<'d> {
    schemas: &'d serde_json::Map<String, Value>,
    done: HashMap<String, Arc<Shape>>,
    /// Named schemas being built, for cutting recursion.
    building: Vec<String>,
}

impl Builder<'_> {
    fn named(&mut self, name: &str, depth: usize) -> Arc<Shape> {
        if let Some(done) = self.done.get(name) {
            return done.clone();
        }
        if name == QUANTITY {
            return Arc::new(Shape {
                quantity: true,
                ..Shape::default()
            });
        }
        if self.building.iter().any(|b| b == name) || depth > MAX_DEPTH {
            return Arc::default();
        }
        let Some(schema) = self.schemas.get(name) else {
            return Arc::default();
        };
        self.building.push(name.to_string());
        let shape = Arc::new(self.build(schema, depth + 1));
        self.building.pop();
        self.done.insert(name.to_string(), shape.clone());
        shape
    }

    /// One schema node: its own extensions, merged over what its `$ref` or `allOf` refers to.
    fn build(&mut self, schema: &Value, depth: usize) -> Shape {
        let mut shape = Shape::default();
        let referred = schema
            .get("$ref")
            .into_iter()
            .chain(
                schema
                    .get("allOf")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s.get("$ref")),
            )
            .filter_map(Value::as_str)
            .filter_map(|r| r.strip_prefix("#/components/schemas/"))
            .next();
        if let Some(name) = referred {
            shape = (*self.named(name, depth)).clone();
        }
        if depth > MAX_DEPTH {
            return shape;
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (k, v) in props {
                let child = Arc::new(self.build(v, depth + 1));
                shape.fields.insert(k.clone(), child);
            }
        }
        if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
            shape.values = Some(Arc::new(self.build(values, depth + 1)));
        }
        if let Some(items) = schema.get("items").filter(|v| v.is_object()) {
            shape.items = Some(Arc::new(self.build(items, depth + 1)));
        }
        if let Some(list) = list_type(schema) {
            shape.list = list;
        }
        let quantity_pattern = schema
            .get("pattern")
            .and_then(Value::as_str)
            .is_some_and(|p| p.starts_with(QUANTITY_PATTERN));
        if quantity_pattern && schema.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true))
        {
            shape.quantity = true;
        }
        if let Some(default) = schema
            .get("default")
            .filter(|d| d.is_string() || d.is_number())
        {
            shape.default = Some(default.clone());
        }
        // only what the compare uses is kept (a field's absence means the same as its plain
        // shape, unless a map's values would then stand in for it)
        if shape.values.is_none() {
            shape.fields.retain(|_, child| !child.is_plain());
        }
        if shape.values.as_ref().is_some_and(|v| v.is_plain()) {
            shape.values = None;
            shape.fields.retain(|_, child| !child.is_plain());
        }
        if shape.items.as_ref().is_some_and(|i| i.is_plain()) {
            shape.items = None;
        }
        shape.fields.shrink_to_fit();
        shape
    }
}

/// The list type a schema node declares: its list type and map keys, else a patch merge key.
fn list_type(schema: &Value) -> Option<ListType> {
    let keys = |v: Option<&Value>| -> Option<Vec<String>> {
        let keys: Vec<String> = v?
            .as_array()?
            .iter()
            .filter_map(|k| k.as_str().map(str::to_string))
            .collect();
        (!keys.is_empty()).then_some(keys)
    };
    match schema.get("x-kubernetes-list-type").and_then(Value::as_str) {
        Some("atomic") => return Some(ListType::Atomic),
        Some("set") => return Some(ListType::Set),
        Some("map") => {
            if let Some(keys) = keys(schema.get("x-kubernetes-list-map-keys")) {
                return Some(ListType::Map(keys));
            }
        }
        _ => {}
    }
    let merges = schema
        .get("x-kubernetes-patch-strategy")
        .and_then(Value::as_str)
        .is_some_and(|s| s.split(',').any(|s| s == "merge"));
    let key = schema
        .get("x-kubernetes-patch-merge-key")
        .and_then(Value::as_str);
    match (merges, key) {
        (true, Some(key)) => Some(ListType::Map(vec![key.to_string()])),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A fragment of a real document's layout: refs through `allOf`, list extensions on the
    /// property, a default on a key field, quantities by ref, a recursive schema.
    fn doc() -> Value {
        json!({"components": {"schemas": {
            "io.k8s.api.apps.v1.Deployment": {
                "x-kubernetes-group-version-kind": [{"group": "apps", "kind": "Deployment", "version": "v1"}],
                "properties": {"spec": {"allOf": [{"$ref": "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec"}]}}},
            "io.k8s.api.apps.v1.DeploymentList": {
                "x-kubernetes-group-version-kind": [{"group": "apps", "kind": "DeploymentList", "version": "v1"}]},
            "io.k8s.api.apps.v1.DeploymentSpec": {
                "properties": {"template": {"properties": {"spec": {"properties": {
                    "containers": {"type": "array",
                        "items": {"default": {}, "allOf": [{"$ref": "#/components/schemas/io.k8s.api.core.v1.Container"}]},
                        "x-kubernetes-list-map-keys": ["name"], "x-kubernetes-list-type": "map"},
                    "tolerations": {"type": "array", "x-kubernetes-list-type": "atomic"},
                    "finalizers": {"type": "array", "x-kubernetes-list-type": "set"}}}}}}},
            "io.k8s.api.core.v1.Container": {"properties": {
                "ports": {"type": "array",
                    "items": {"allOf": [{"$ref": "#/components/schemas/io.k8s.api.core.v1.ContainerPort"}]},
                    "x-kubernetes-list-map-keys": ["containerPort", "protocol"], "x-kubernetes-list-type": "map",
                    "x-kubernetes-patch-merge-key": "containerPort", "x-kubernetes-patch-strategy": "merge"},
                "volumeMounts": {"type": "array", "x-kubernetes-patch-merge-key": "mountPath",
                    "x-kubernetes-patch-strategy": "merge"},
                "resources": {"properties": {"limits": {"additionalProperties":
                    {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity"}}}},
                "schema": {"$ref": "#/components/schemas/io.k8s.Props"}}},
            "io.k8s.api.core.v1.ContainerPort": {"properties": {
                "containerPort": {"type": "integer"}, "protocol": {"type": "string", "default": "TCP"}}},
            "io.k8s.Props": {"properties": {"not": {"$ref": "#/components/schemas/io.k8s.Props"}}},
        }}})
    }

    #[test]
    fn the_document_says_how_lists_merge_and_what_is_a_quantity() {
        let shapes = shapes_from_openapi(&doc());
        assert_eq!(shapes.len(), 1, "list kinds left out");
        let (gvk, deployment) = &shapes[0];
        assert_eq!(gvk.kind, "Deployment");
        let pod = deployment
            .field("spec")
            .and_then(|s| s.field("template"))
            .and_then(|s| s.field("spec"))
            .unwrap();
        let containers = pod.field("containers").unwrap();
        assert_eq!(containers.list, ListType::Map(vec!["name".into()]));
        assert_eq!(pod.field("tolerations").unwrap().list, ListType::Atomic);
        assert_eq!(pod.field("finalizers").unwrap().list, ListType::Set);
        let container = containers.item().unwrap();
        let ports = container.field("ports").unwrap();
        assert_eq!(
            ports.list,
            ListType::Map(vec!["containerPort".into(), "protocol".into()]),
            "the list-map keys over the patch merge key"
        );
        assert_eq!(ports.key_default("protocol"), Some(&json!("TCP")));
        assert_eq!(
            container.field("volumeMounts").unwrap().list,
            ListType::Map(vec!["mountPath".into()])
        );
        let cpu = container
            .field("resources")
            .and_then(|r| r.field("limits"))
            .and_then(|l| l.field("cpu"))
            .unwrap();
        assert!(cpu.quantity);
        // the recursive schema is cut, not followed forever; what says nothing is not kept
        assert!(container.field("schema").is_none());
        assert!(container.field("image").is_none());
    }

    #[test]
    fn custom_resource_quantities_are_known_by_their_pattern() {
        let doc = json!({"components": {"schemas": {"dev.kdrift.v1.Cache": {
            "x-kubernetes-group-version-kind": [{"group": "kdrift.dev", "kind": "Cache", "version": "v1"}],
            "properties": {"spec": {"properties": {
                "memory": {"x-kubernetes-int-or-string": true,
                    "pattern": "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$"},
                "port": {"x-kubernetes-int-or-string": true}}}}}}}});
        let shapes = shapes_from_openapi(&doc);
        let spec = shapes[0].1.field("spec").unwrap();
        assert!(spec.field("memory").unwrap().quantity);
        assert!(
            spec.field("port").is_none(),
            "int-or-string alone is no quantity (and what says nothing is not kept)"
        );
    }
}
