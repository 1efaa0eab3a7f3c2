//! `kubectl explain RESOURCE[.FIELD...] [--recursive] [--api-version=GROUP/VERSION]`: the
//! documentation of a kind or of one of its fields.
//!
//! kubectl v1.32 reads the server's OpenAPI v3 document and renders it with its `plaintext`
//! template (`staging/src/k8s.io/kubectl/pkg/explain/v2/templates/plaintext.tmpl`). Here the
//! document is the kind's JSON schema from k8s-openapi, generated only when explain runs
//! ([`Kind::json_schema`]), and the template is ported to functions of the same names:
//! `output` follows the field path, `description` gathers a field's and its type's
//! descriptions, `fieldList` and `fieldDetail` list the fields (as a tree with
//! `--recursive`), `typeGuess` names a type (`<string>`, `<[]Container>`,
//! `<map[string]string>`, `<Object>`), and descriptions are wrapped with go-wordwrap at 76
//! columns (78 less the indent for fields), as kubectl wraps them.
//!
//! The schemas are brought to the shape the API server publishes before rendering: a
//! reference with a description beside it becomes `allOf: [{$ref}]` (so DESCRIPTION shows
//! the field's description and then its type's), and `metadata` is not required.
//!
//! Known differences from kubectl against a v1.33 API server: k8s-openapi leaves out the
//! enumerations of enum fields (kubectl prints `ENUM:` lines and a "Possible enum values"
//! paragraph for them) and some descriptions differ where k8s-openapi rewrites them;
//! `-o plaintext-openapiv2` is not available; only each kind's stored version has a schema.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::flags::{flag, parse, FlagSpec};
use super::jsonpath_parse::{self, Node};
use crate::model::{Kind, KINDS};

/// The flags of `kubectl explain`.
pub(super) const FLAGS: &[FlagSpec] =
    &[flag("recursive", None, false), flag("api-version", None, true), flag("output", Some('o'), true)];

pub fn run(args: &[&str]) -> Result<String, String> {
    let flags = parse(args, FLAGS)?;
    match flags.positional.len() {
        0 => return Err("error: You must specify the type of resource to explain. Use \"kubectl api-resources\" for a complete list of supported resources.\n".trim_end().into()),
        1 => {}
        _ => return Err("error: We accept only this format: explain RESOURCE".into()),
    }
    let format = flags.get("output").unwrap_or("plaintext");
    let api_version = flags.get("api-version").unwrap_or("");
    let recursive = flags.is_set("recursive");
    let input = flags.positional[0].as_str();
    let (kind, fields) =
        if api_version.is_empty() { split_with_matching_prefix(input)? } else { split_resource_request(input)? };
    let info = kind.info();
    let (group, version) = if api_version.is_empty() {
        (info.group.to_string(), info.version.to_string())
    } else {
        parse_group_version(api_version)?
    };
    match format {
        "plaintext" => {}
        "plaintext-openapiv2" => return Err("error: -o plaintext-openapiv2 is not available in kubesim".into()),
        other => return Err(format!("error: unrecognized format: {other}")),
    }
    let gvr = format!("{group}/{version}, Resource={}", info.plural);
    let served = KINDS
        .iter()
        .any(|k| k.group == group && (k.version == version || k.other_versions.contains(&version.as_str())));
    if !served {
        return Err(format!("error: couldn't find resource for \"{gvr}\""));
    }
    if group != info.group || version != info.version {
        return Err(format!("error: GVR ({gvr}) not found in OpenAPI schema"));
    }
    let doc = openapi_shape(kind.json_schema());
    explain(&doc, info.group, info.name, info.version, &fields, recursive)
}

/// The explanation of `fields` of the schema `doc` of kind `kind`, as kubectl prints it.
fn explain(
    doc: &Value,
    group: &str,
    kind: &str,
    version: &str,
    fields: &[String],
    recursive: bool,
) -> Result<String, String> {
    let mut out = String::new();
    if !group.is_empty() {
        out.push_str(&format!("GROUP:      {group}\n"));
    }
    out.push_str(&format!("KIND:       {kind}\nVERSION:    {version}\n\n"));
    let r = Render { doc, recursive };
    let body = r.output(doc, &BTreeSet::new(), fields);
    if body.is_empty() {
        // kubectl has printed the header by then; the error follows it.
        let last = fields.last().map(String::as_str).unwrap_or("");
        return Err(format!("{out}error: field \"{last}\" does not exist"));
    }
    out.push_str(&body);
    out.push('\n');
    Ok(out)
}

/// kubectl's `jsonPathParse`: `pods.spec.containers` as JSONPath field nodes.
fn path_nodes(input: &str) -> Result<Vec<Node>, String> {
    let input = input.strip_suffix('.').unwrap_or(input);
    let nodes = jsonpath_parse::parse(&format!("{{.{input}}}")).map_err(|e| format!("error: {e}"))?;
    match <[Node; 1]>::try_from(nodes) {
        Ok([Node::List(list)]) => Ok(list),
        _ => Err("error: must pass in 1 jsonpath string".into()),
    }
}

fn field_names(nodes: &[Node], message: &str) -> Result<Vec<String>, String> {
    nodes
        .iter()
        .map(|n| match n {
            Node::Field(f) => Ok(f.clone()),
            _ => Err(format!("error: invalid jsonpath syntax, {message}")),
        })
        .collect()
}

fn resolve(resource: &str) -> Result<Kind, String> {
    Kind::from_resource_name(resource).ok_or_else(|| format!("the server doesn't have a resource type \"{resource}\""))
}

fn first_resource(nodes: &[Node]) -> Result<Kind, String> {
    match nodes.first() {
        Some(Node::Field(resource)) => resolve(resource),
        _ => Err("error: invalid jsonpath syntax, first node must be field node".into()),
    }
}

/// `SplitAndParseResourceRequestWithMatchingPrefix`: `deployments.apps.spec` names the kind
/// with its group when it starts with the kind's `plural.group`.
fn split_with_matching_prefix(input: &str) -> Result<(Kind, Vec<String>), String> {
    let nodes = path_nodes(input)?;
    let kind = first_resource(&nodes)?;
    let group_resource = kind.info().group_resource();
    if let Some(suffix) = input.strip_prefix(group_resource.as_str()) {
        let mut fields = Vec::new();
        if !suffix.is_empty() {
            let suffix_nodes = path_nodes(suffix)?;
            if !suffix_nodes.is_empty() {
                fields = field_names(&suffix_nodes[1..], "first node must be field node")?;
            }
        }
        return Ok((kind, fields));
    }
    Ok((kind, field_names(&nodes[1..], "first node must be field node")?))
}

/// `SplitAndParseResourceRequest` (with `--api-version`): the first field is the resource.
fn split_resource_request(input: &str) -> Result<(Kind, Vec<String>), String> {
    let nodes = path_nodes(input)?;
    let kind = first_resource(&nodes)?;
    Ok((kind, field_names(&nodes[1..], "all nodes must be field nodes")?))
}

/// `schema.ParseGroupVersion`.
fn parse_group_version(gv: &str) -> Result<(String, String), String> {
    match gv.split('/').collect::<Vec<_>>().as_slice() {
        [version] => Ok((String::new(), version.to_string())),
        [group, version] => Ok((group.to_string(), version.to_string())),
        _ => Err(format!("error: unexpected GroupVersion string: {gv}")),
    }
}

/// The schema in the shape of the API server's OpenAPI v3 document: a `$ref` with siblings
/// becomes `allOf: [{$ref}]` beside them, and the kind's `metadata` is not required
/// (k8s-openapi requires it because its Rust field is not optional).
fn openapi_shape(mut doc: Value) -> Value {
    fn wrap_refs(v: &mut Value) {
        match v {
            Value::Object(map) => {
                if map.len() > 1 {
                    if let Some(reference) = map.remove("$ref") {
                        let mut inner = Map::new();
                        inner.insert("$ref".into(), reference);
                        map.insert("allOf".into(), Value::Array(vec![Value::Object(inner)]));
                    }
                }
                map.values_mut().for_each(wrap_refs);
            }
            Value::Array(items) => items.iter_mut().for_each(wrap_refs),
            _ => {}
        }
    }
    wrap_refs(&mut doc);
    if let Some(required) = doc.get_mut("required").and_then(Value::as_array_mut) {
        required.retain(|r| r != "metadata");
        if required.is_empty() {
            doc.as_object_mut().map(|m| m.remove("required"));
        }
    }
    doc
}

/// Go template truthiness: false, 0, "", null and empty maps and lists are false.
fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64() != Some(0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(m)) => !m.is_empty(),
    }
}

/// `additionalProperties` that is a schema (not `true`/`false`).
fn additional(schema: &Value) -> Option<&Value> {
    schema.get("additionalProperties").filter(|a| a.is_object() && truthy(Some(a)))
}

fn ref_string(schema: &Value) -> &str {
    schema.get("$ref").and_then(Value::as_str).unwrap_or("")
}

fn list<'v>(schema: &'v Value, key: &str) -> &'v [Value] {
    schema.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

struct Render<'d> {
    doc: &'d Value,
    recursive: bool,
}

impl<'d> Render<'d> {
    /// The template's `resolveRef`: a `#/...` reference looked up in the document.
    fn resolve_ref(&self, reference: &str) -> Option<&'d Value> {
        let fragment = reference.strip_prefix('#')?;
        let mut cur = self.doc;
        for part in fragment.split('/').filter(|p| !p.is_empty()) {
            cur = cur.get(part).filter(|v| v.is_object())?;
        }
        cur.is_object().then_some(cur)
    }

    fn resolved<'s>(&self, schema: &'s Value) -> &'s Value
    where
        'd: 's,
    {
        self.resolve_ref(ref_string(schema)).unwrap_or(schema)
    }

    /// The template's `output`: follow `path`, then print the description and fields.
    fn output(&self, schema: &Value, history: &BTreeSet<String>, path: &[String]) -> String {
        let reference = ref_string(schema);
        let mut next_history = history.clone();
        next_history.insert(reference.to_string());
        let resolved = self.resolved(schema);
        let mut out = String::new();
        if path.is_empty() {
            let mut description = String::new();
            self.description(resolved, &mut description);
            if description.is_empty() {
                description = "<empty>".into();
            }
            out.push_str("DESCRIPTION:\n");
            out.push_str(&indent(&wrap(&description, 76), 4));
            out.push('\n');
            let mut fields = String::new();
            self.field_list(resolved, 1, &BTreeSet::new(), &mut fields);
            if !fields.is_empty() {
                out.push_str("FIELDS:\n");
                out.push_str(&fields);
            }
        } else if !reference.is_empty() && history.contains(reference) {
            // A cycle: nothing.
        } else if let Some(sub) = resolved
            .get("properties")
            .filter(|p| truthy(Some(p)))
            .and_then(|p| p.get(&path[0]))
            .filter(|s| truthy(Some(s)))
        {
            if path.len() == 1 {
                out.push_str(&format!("FIELD: {} <{}>\n", path[0], self.type_guess(sub)));
                out.push_str(&self.enum_long(sub));
                out.push_str("\n\n");
            }
            out.push_str(&self.output(sub, &BTreeSet::new(), &path[1..]));
        } else if let Some(items) = resolved.get("items").filter(|i| truthy(Some(i))) {
            out.push_str(&self.output(items, &next_history, path));
        } else if let Some(add) = additional(resolved) {
            out.push_str(&self.output(add, &next_history, path));
        } else {
            for sub in list(resolved, "allOf") {
                let found = self.output(sub, &next_history, path);
                if !found.is_empty() {
                    out.push_str(&found);
                    break;
                }
            }
        }
        out
    }

    /// The template's `description`: the schema's description, then those of its `allOf`,
    /// items and map values, each followed by a newline.
    fn description(&self, schema: &Value, out: &mut String) {
        let s = self.resolved(schema);
        if !truthy(Some(s)) {
            return;
        }
        if let Some(d) = s.get("description").filter(|d| truthy(Some(d))).and_then(Value::as_str) {
            out.push_str(d);
            out.push('\n');
        }
        for sub in list(s, "allOf") {
            self.description(sub, out);
        }
        if let Some(items) = s.get("items").filter(|i| truthy(Some(i))) {
            self.description(items, out);
        }
        if let Some(add) = additional(s) {
            self.description(add, out);
        }
    }

    /// The template's `fieldList`.
    fn field_list(&self, schema: &Value, level: usize, history: &BTreeSet<String>, out: &mut String) {
        let reference = ref_string(schema);
        if !reference.is_empty() && history.contains(reference) {
            return;
        }
        let mut next_history = history.clone();
        next_history.insert(reference.to_string());
        let resolved = self.resolved(schema);
        if let Some(props) = resolved.get("properties").and_then(Value::as_object) {
            let mut names: Vec<&String> = props.keys().collect();
            names.sort();
            for name in names {
                self.field_detail(name, resolved, level, out);
                if self.recursive {
                    self.field_list(&props[name.as_str()], level + 1, &next_history, out);
                }
            }
        }
        for sub in list(resolved, "allOf") {
            self.field_list(sub, level, &next_history, out);
        }
        if let Some(items) = resolved.get("items").filter(|i| truthy(Some(i))) {
            self.field_list(items, level, &next_history, out);
        }
        if let Some(add) = additional(resolved) {
            self.field_list(add, level, &next_history, out);
        }
    }

    /// The template's `fieldDetail`: `name<TAB><type> -required-` and, unless recursive, the
    /// wrapped description.
    fn field_detail(&self, name: &str, schema: &Value, level: usize, out: &mut String) {
        let indent_amount = level * 2;
        let field = &schema["properties"][name];
        out.push_str(&" ".repeat(indent_amount));
        out.push_str(name);
        out.push_str(&format!("\t<{}>", self.type_guess(field)));
        if list(schema, "required").iter().any(|r| r == name) {
            out.push_str(" -required-");
        }
        out.push_str(&self.enum_short(field, indent_amount));
        out.push('\n');
        if !self.recursive {
            let description = field
                .get("description")
                .and_then(Value::as_str)
                .filter(|d| !d.is_empty())
                .unwrap_or("<no description>");
            // Go's uint(78 - indent) of a negative width is huge: no wrapping.
            let width = 78usize.checked_sub(indent_amount).unwrap_or(usize::MAX);
            out.push_str(&indent(&wrap(description, width), indent_amount + 2));
            out.push_str("\n\n");
        }
    }

    /// The template's `typeGuess`.
    fn type_guess(&self, schema: &Value) -> String {
        if let Some(items) = schema.get("items").filter(|i| truthy(Some(i))) {
            return format!("[]{}", self.type_guess(items));
        }
        if let Some(add) = additional(schema) {
            return format!("map[string]{}", self.type_guess(add));
        }
        let all_of = list(schema, "allOf");
        if !all_of.is_empty() && !truthy(schema.get("properties")) && all_of.len() == 1 {
            return self.type_guess(&all_of[0]);
        }
        let reference = ref_string(schema);
        let type_of = |s: &Value| s.get("type").and_then(Value::as_str).unwrap_or("").to_string();
        if !reference.is_empty() {
            return match self.resolve_ref(reference) {
                Some(target) if !type_of(target).is_empty() && type_of(target) != "object" => type_of(target),
                _ => {
                    let name = reference.rsplit('/').next().unwrap_or("");
                    let short = name.rsplit('.').next().unwrap_or("");
                    if short.is_empty() {
                        "Object".into()
                    } else {
                        short.to_string()
                    }
                }
            };
        }
        match type_of(schema).as_str() {
            "object" | "" => "Object".into(),
            t => t.to_string(),
        }
    }

    /// The template's `extractEnum` in the long view (under FIELD).
    fn enum_long(&self, schema: &Value) -> String {
        let values = list(schema, "enum");
        if values.is_empty() {
            return String::new();
        }
        let mut out = "ENUM:".to_string();
        for v in values {
            out.push_str("\n    ");
            out.push_str(&enum_value(v));
        }
        out
    }

    /// The template's `extractEnum` in the field list: at most four values.
    fn enum_short(&self, schema: &Value, indent_amount: usize) -> String {
        let values = list(schema, "enum");
        if values.is_empty() {
            return String::new();
        }
        let mut out = format!("\n{}enum: ", " ".repeat(indent_amount));
        for (i, v) in values.iter().enumerate() {
            if i >= 4 {
                out.push_str(", ....");
                break;
            }
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(&enum_value(v));
        }
        out
    }
}

fn enum_value(v: &Value) -> String {
    match v {
        Value::String(s) if s.is_empty() => "\"\"".into(),
        Value::String(s) => s.clone(),
        other => super::jsonpath::go_v(other),
    }
}

/// The template's `indent`: every line, the first included, gets `amount` spaces.
fn indent(s: &str, amount: usize) -> String {
    let pad = " ".repeat(amount);
    format!("{pad}{}", s.replace('\n', &format!("\n{pad}")))
}

/// go-wordwrap v1.0.1's `WrapString`, as kubectl's `wrap` template function calls it.
fn wrap(s: &str, limit: usize) -> String {
    let mut out = String::with_capacity(s.len());
    let mut current = 0usize;
    let (mut word, mut space) = (Buffered::default(), Buffered::default());
    for c in s.chars() {
        if c == '\n' {
            // The line ends: what is buffered is written (trailing spaces only if they fit).
            if word.is_empty() {
                if current + space.len <= limit {
                    out.push_str(&space.text);
                }
                space.clear();
            } else {
                space.write_to(&mut out);
                word.write_to(&mut out);
            }
            out.push(c);
            current = 0;
        } else if c.is_whitespace() && c != '\u{a0}' {
            if space.is_empty() || !word.is_empty() {
                current += space.len + word.len;
                space.write_to(&mut out);
                word.write_to(&mut out);
            }
            space.push(c);
        } else {
            word.push(c);
            if current + word.len + space.len > limit && word.len < limit {
                out.push('\n');
                current = 0;
                space.clear();
            }
        }
    }
    if !word.is_empty() || current + space.len <= limit {
        out.push_str(&space.text);
    }
    out.push_str(&word.text);
    out
}

/// A word or run of spaces `wrap` holds back, with its length in characters (go-wordwrap's buffers).
#[derive(Default)]
struct Buffered {
    text: String,
    len: usize,
}

impl Buffered {
    fn push(&mut self, c: char) {
        self.text.push(c);
        self.len += 1;
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn clear(&mut self) {
        self.text.clear();
        self.len = 0;
    }

    /// Writes what is held to `out` and empties the buffer.
    fn write_to(&mut self, out: &mut String) {
        out.push_str(&self.text);
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `kubectl explain ARGS` compared with the golden file `controlplane/tests/expected/NAME`
    /// (`UPDATE_EXPECT=1` rewrites it), or with an error text.
    #[track_caller]
    fn check(args: &str, expect: Expect<'_>) {
        let words: Vec<&str> = args.split_whitespace().collect();
        let got = match run(&words) {
            Ok(out) => out,
            Err(e) => e,
        };
        match expect {
            Expect::Text(text) => assert_eq!(got, text, "kubectl explain {args}"),
            Expect::File(name) => {
                let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expected").join(name);
                if std::env::var_os("UPDATE_EXPECT").is_some() {
                    std::fs::write(&path, &got).unwrap();
                }
                let expect = std::fs::read_to_string(&path).unwrap_or_default();
                assert!(got == expect, "kubectl explain {args}: output differs from {}\ngot:\n{got}", path.display());
            }
        }
    }

    enum Expect<'a> {
        Text(&'a str),
        File(&'a str),
    }

    #[test]
    fn kinds_and_fields() {
        for (args, golden) in [
            ("pods", "explain-pods.txt"),
            ("pods.spec.containers", "explain-pods.spec.containers.txt"),
            ("deployment.spec.strategy", "explain-deployment.spec.strategy.txt"),
            ("deployments.apps.spec.strategy --recursive", "explain-deployment.spec.strategy-recursive.txt"),
            ("svc.spec.ports.port", "explain-svc.spec.ports.port.txt"),
        ] {
            check(args, Expect::File(golden));
        }
    }

    #[test]
    fn errors() {
        let field_error =
            |field: &str| format!("KIND:       Pod\nVERSION:    v1\n\nerror: field \"{field}\" does not exist");
        for (args, want) in [
            ("pods.spec.nope", field_error("nope")),
            ("pods.nope.deeper", field_error("deeper")),
            ("foo", "the server doesn't have a resource type \"foo\"".into()),
            ("", "error: You must specify the type of resource to explain. Use \"kubectl api-resources\" for a complete list of supported resources.".into()),
            ("pods svc", "error: We accept only this format: explain RESOURCE".into()),
            ("pods[0]", "error: invalid jsonpath syntax, first node must be field node".into()),
            ("pods.spec --api-version=apps/v2", "error: couldn't find resource for \"apps/v2, Resource=pods\"".into()),
            ("deployments --api-version=v1", "error: GVR (/v1, Resource=deployments) not found in OpenAPI schema".into()),
            ("pods -o yaml", "error: unrecognized format: yaml".into()),
        ] {
            check(args, Expect::Text(&want));
        }
    }

    #[test]
    fn api_version_and_short_names() {
        let a = run(&["deploy.spec.replicas"]).unwrap();
        let b = run(&["deployments.spec.replicas", "--api-version=apps/v1"]).unwrap();
        assert_eq!(a, b);
        assert!(a.starts_with("GROUP:      apps\nKIND:       Deployment\nVERSION:    v1\n\nFIELD: replicas <integer>\n\n\nDESCRIPTION:\n"), "{a}");
    }

    #[test]
    fn word_wrap_as_go_wordwrap() {
        assert_eq!(wrap("aaa bbb ccc", 7), "aaa bbb\nccc");
        assert_eq!(wrap("a very-long-word-that-does-not-fit here", 10), "a\nvery-long-word-that-does-not-fit\nhere");
        assert_eq!(wrap("line one\n\nline two  ", 80), "line one\n\nline two  ");
        assert_eq!(indent("a\nb\n", 4), "    a\n    b\n    ");
    }
}
