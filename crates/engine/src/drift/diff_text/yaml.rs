//! Objects as block YAML, one line at a time, each line knowing the field path it belongs to.
//! A YAML library renders text only; the diff view needs, for every changed line, the field it
//! is part of (to label hunks with path and manager), so the text is laid out here. List items
//! get the same keys as the structural compare (`containers[name=web]`), so the paths match the
//! drift report's. Strings are plain where that cannot be misread, JSON-quoted (valid YAML)
//! otherwise, and multi-line strings become literal blocks so a changed config line diffs as a
//! line.

use super::super::compare::{Segment, item_keys, render_path, schema_item_keys};
use super::super::schema::{ListType, Shape};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// A rendered object: its text, where each line starts, and each line's field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    text: String,
    /// Byte offset where each line starts; the line runs to the next start minus its newline.
    starts: Vec<u32>,
    /// The field of each line, as an index into `nodes`.
    fields: Vec<u32>,
    /// The field tree: parent and last segment. Node 0 is the object itself.
    nodes: Vec<(u32, Step)>,
    /// Rendering stopped at the line bound.
    pub cut: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Root,
    /// A key as written in the text (byte range), so rendering allocates nothing per key;
    /// JSON-quoted keys are decoded when a path is asked for.
    Key(u32, u32),
    Index(usize),
    Named(String),
}

impl Rendered {
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn line(&self, i: usize) -> &str {
        let start = self.starts[i] as usize;
        // every line ends in a newline, the last one too
        let end = self
            .starts
            .get(i + 1)
            .map_or(self.text.len(), |&next| next as usize)
            - 1;
        &self.text[start..end]
    }

    /// All lines, for the line diff.
    pub fn lines(&self) -> Vec<&str> {
        (0..self.len()).map(|i| self.line(i)).collect()
    }

    /// The path of the field line `i` belongs to, in the drift report's form.
    pub fn path(&self, i: usize) -> String {
        self.node_path(self.fields[i])
    }

    /// The innermost field holding every one of `lines` (`None` for no lines).
    pub fn common_path(&self, lines: impl Iterator<Item = u32>) -> Option<String> {
        let mut common: Option<Vec<u32>> = None;
        for line in lines {
            let chain = self.chain(self.fields[line as usize]);
            common = Some(match common {
                None => chain,
                Some(mut c) => {
                    let same = c.iter().zip(&chain).take_while(|(a, b)| a == b).count();
                    c.truncate(same);
                    c
                }
            });
            if common.as_ref().is_some_and(Vec::is_empty) {
                break;
            }
        }
        common.map(|c| c.last().map_or_else(String::new, |&n| self.node_path(n)))
    }

    /// The nodes from the top down to `node`, the root left out.
    fn chain(&self, mut node: u32) -> Vec<u32> {
        let mut out = Vec::new();
        while node != 0 {
            out.push(node);
            node = self.nodes[node as usize].0;
        }
        out.reverse();
        out
    }

    fn node_path(&self, mut node: u32) -> String {
        let mut steps = Vec::new();
        while node != 0 {
            let (parent, step) = &self.nodes[node as usize];
            steps.push(match step {
                Step::Key(from, to) => {
                    let written = &self.text[*from as usize..*to as usize];
                    match serde_json::from_str::<String>(written) {
                        Ok(decoded) if written.starts_with('"') => {
                            Segment::Key(Cow::Owned(decoded))
                        }
                        _ => Segment::Key(Cow::Borrowed(written)),
                    }
                }
                Step::Index(i) => Segment::Index(*i),
                Step::Named(n) => Segment::Named(Cow::Borrowed(n.as_str())),
                Step::Root => break,
            });
            node = *parent;
        }
        steps.reverse();
        render_path(&steps)
    }
}

/// Renders `value` (an object, normally) in at most `max_lines` lines; list items are named by
/// the keys `shape` (the kind's API schema) gives, as the compare names them.
pub fn render(value: &Value, max_lines: usize, shape: Option<&Shape>) -> Rendered {
    let mut w = Writer {
        out: Rendered {
            nodes: vec![(0, Step::Root)],
            ..Rendered::default()
        },
        max_lines,
        line: String::new(),
    };
    match value {
        Value::Object(map) if !map.is_empty() => w.map(map, 0, 0, "", shape),
        Value::Array(items) if !items.is_empty() => w.seq(items, 0, 0, "", shape),
        other => {
            scalar_into(&mut w.line, other);
            w.end_line(0);
        }
    }
    w.out
}

struct Writer {
    out: Rendered,
    max_lines: usize,
    /// The line being written.
    line: String,
}

impl Writer {
    fn full(&mut self) -> bool {
        if self.out.len() >= self.max_lines {
            self.out.cut = true;
        }
        self.out.cut
    }

    fn node(&mut self, parent: u32, step: Step) -> u32 {
        self.out.nodes.push((parent, step));
        (self.out.nodes.len() - 1) as u32
    }

    fn end_line(&mut self, field: u32) {
        if self.full() {
            self.line.clear();
            return;
        }
        self.out.starts.push(self.out.text.len() as u32);
        self.out.fields.push(field);
        self.out.text.push_str(&self.line);
        self.out.text.push('\n');
        self.line.clear();
    }

    fn indent(&mut self, n: usize) {
        self.line.extend(std::iter::repeat_n(' ', n));
    }

    /// A mapping's entries at `indent`; the first entry's line starts with `lead` when it is not
    /// empty (the `- ` of a list item), the others with spaces.
    fn map(
        &mut self,
        map: &Map<String, Value>,
        indent: usize,
        parent: u32,
        lead: &str,
        shape: Option<&Shape>,
    ) {
        for (i, (key, value)) in map.iter().enumerate() {
            if self.full() {
                return;
            }
            if i == 0 && !lead.is_empty() {
                self.line.push_str(lead);
            } else {
                self.indent(indent);
            }
            // where the key will sit in the text once the line is written
            let from = self.out.text.len() + self.line.len();
            scalar_str_into(&mut self.line, key);
            let to = self.out.text.len() + self.line.len();
            self.line.push(':');
            let node = self.node(parent, Step::Key(from as u32, to as u32));
            self.value_after_key(value, indent, node, key, shape.and_then(|s| s.field(key)));
        }
    }

    /// What follows `key:` — on the same line for scalars and empty collections, below for the
    /// rest (list items at the key's own indent, as kubectl writes them).
    fn value_after_key(
        &mut self,
        value: &Value,
        indent: usize,
        node: u32,
        key: &str,
        shape: Option<&Shape>,
    ) {
        match value {
            Value::Object(m) if !m.is_empty() => {
                self.end_line(node);
                self.map(m, indent + 2, node, "", shape);
            }
            Value::Array(items) if !items.is_empty() => {
                self.end_line(node);
                self.seq(items, indent, node, key, shape);
            }
            Value::String(s) if literal_block(s) => {
                self.block(s, indent + 2, node);
            }
            other => {
                self.line.push(' ');
                scalar_into(&mut self.line, other);
                self.end_line(node);
            }
        }
    }

    fn seq(
        &mut self,
        items: &[Value],
        indent: usize,
        parent: u32,
        field: &str,
        shape: Option<&Shape>,
    ) {
        let keys = match shape.map(|s| (&s.list, s)) {
            Some((ListType::Map(fields), s)) => schema_item_keys(fields, items, s),
            Some((ListType::Atomic | ListType::Set, _)) => None,
            _ => item_keys(field, items),
        };
        let item_shape = shape.and_then(Shape::item);
        for (i, item) in items.iter().enumerate() {
            if self.full() {
                return;
            }
            let step = match &keys {
                Some(keys) => Step::Named(keys[i].to_string()),
                None => Step::Index(i),
            };
            let node = self.node(parent, step);
            match item {
                Value::Object(m) if !m.is_empty() => {
                    let lead = format!("{}- ", " ".repeat(indent));
                    self.map(m, indent + 2, node, &lead, item_shape);
                }
                Value::Array(inner) if !inner.is_empty() => {
                    self.indent(indent);
                    self.line.push('-');
                    self.end_line(node);
                    self.seq(inner, indent + 2, node, "", item_shape);
                }
                Value::String(s) if literal_block(s) => {
                    self.indent(indent);
                    self.line.push('-');
                    self.block(s, indent + 2, node);
                }
                other => {
                    self.indent(indent);
                    self.line.push_str("- ");
                    scalar_into(&mut self.line, other);
                    self.end_line(node);
                }
            }
        }
    }

    /// ` |` and the string's lines below at `indent`: the header line is already started.
    fn block(&mut self, s: &str, indent: usize, node: u32) {
        let body = s.trim_end_matches('\n');
        let trailing = s.len() - body.len();
        self.line.push_str(" |");
        if body.starts_with(' ') {
            // the first line's own spaces would be read as the block's indentation
            self.line.push('2');
        }
        self.line.push_str(match trailing {
            0 => "-",
            1 => "",
            _ => "+",
        });
        self.end_line(node);
        for text in body.split('\n') {
            if !text.is_empty() {
                self.indent(indent);
                self.line.push_str(text);
            }
            self.end_line(node);
        }
        for _ in 1..trailing.max(1) {
            self.end_line(node);
        }
    }
}

/// Multi-line text without characters a literal block cannot hold.
fn literal_block(s: &str) -> bool {
    s.contains('\n') && !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
}

fn scalar_into(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => scalar_str_into(out, s),
        Value::Object(_) => out.push_str("{}"),
        Value::Array(_) => out.push_str("[]"),
    }
}

/// A string as a plain scalar when YAML cannot read it as anything else, quoted otherwise.
fn scalar_str_into(out: &mut String, s: &str) {
    if plain(s) {
        out.push_str(s);
    } else {
        // a JSON string is a YAML double-quoted scalar
        out.push_str(&serde_json::to_string(s).unwrap_or_default());
    }
}

/// Deliberately narrow: a letter or `/` first, no `: ` or ` #`, nothing that reads as a
/// boolean or null in YAML 1.1 or 1.2. Anything else is quoted, which is never wrong. One pass
/// over the bytes: this runs for every key and value of an object.
fn plain(s: &str) -> bool {
    let b = s.as_bytes();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || first == b'/') || last == b' ' || last == b':' {
        return false;
    }
    let mut prev = 0u8;
    for &c in b {
        let allowed = c.is_ascii_alphanumeric() || b" -_./:=+~@()^$%".contains(&c);
        if !allowed || (prev == b':' && c == b' ') || (prev == b' ' && c == b'#') {
            return false;
        }
        prev = c;
    }
    b.len() > 5 || !is_yaml_word(s)
}

fn is_yaml_word(s: &str) -> bool {
    const WORDS: &[&str] = &["true", "false", "yes", "no", "on", "off", "y", "n", "null"];
    WORDS.iter().any(|w| w.eq_ignore_ascii_case(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lines(r: &Rendered) -> Vec<(String, String)> {
        (0..r.len())
            .map(|i| (r.line(i).to_string(), r.path(i)))
            .collect()
    }

    #[test]
    fn each_line_knows_its_field() {
        let obj = json!({"spec": {"replicas": 3, "template": {"spec": {"containers": [
            {"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80}]},
        ]}}, "args": ["a", "1"]}});
        let r = render(&obj, 100, None);
        let want = [
            ("spec:", "/spec"),
            ("  replicas: 3", "/spec/replicas"),
            ("  template:", "/spec/template"),
            ("    spec:", "/spec/template/spec"),
            ("      containers:", "/spec/template/spec/containers"),
            (
                "      - name: web",
                "/spec/template/spec/containers[name=web]/name",
            ),
            (
                "        image: nginx:1.27",
                "/spec/template/spec/containers[name=web]/image",
            ),
            (
                "        ports:",
                "/spec/template/spec/containers[name=web]/ports",
            ),
            (
                "        - containerPort: 80",
                "/spec/template/spec/containers[name=web]/ports[containerPort=80,protocol=TCP]/containerPort",
            ),
            ("  args:", "/spec/args"),
            ("  - a", "/spec/args/0"),
            ("  - \"1\"", "/spec/args/1"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(l, p)| (l.to_string(), p.to_string()))
            .collect();
        assert_eq!(lines(&r), want);
    }

    /// What the renderer writes reads back as the same object.
    #[test]
    fn the_text_is_yaml_of_the_same_object() {
        let obj = json!({
            "metadata": {"name": "x", "annotations": {"a/b": "yes", "c": "", "d": "1.27", "e": "a: b",
                "f": "x #y", "g": "-v", "h": "~", "i": "NULL", "j": "tab\there", "k": "esc\u{1b}[2J"}},
            "data": {"conf": "line one\n  indented\n\nlast\n", "keep": "a\n\n\n", "strip": "a\nb",
                "lead": "  spaced\nsecond\n"},
            "list": [[1, 2], [], {}, {"x": null, "y": true, "z": 1.5}, "multi\nline"],
            "empty": {}, "none": [],
        });
        let r = render(&obj, 1000, None);
        let text: String = (0..r.len()).map(|i| format!("{}\n", r.line(i))).collect();
        let back: Value = serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(back, obj, "{text}");
        assert!(!text.contains('\u{1b}'), "{text}");
    }

    #[test]
    fn stops_at_the_line_bound() {
        let big: Map<String, Value> = (0..100).map(|i| (format!("k{i}"), json!(i))).collect();
        let r = render(&json!({"data": big}), 10, None);
        assert_eq!((r.len(), r.cut), (10, true));
    }
}
