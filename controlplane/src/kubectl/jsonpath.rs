//! kubectl's JSONPath templates (`-o jsonpath=...`, `-o custom-columns=...`, `--sort-by`): a
//! port of client-go's `util/jsonpath` evaluated over an object as JSON.
//!
//! ```text
//! {.metadata.name}                     a field
//! {.items[*].metadata.name}            every item's name, joined by a space
//! {.spec.containers[0].image}          [0], [-1], [1:3], [::2], [*], [0,2]
//! {..name}                             every `name` at any depth
//! {.metadata.labels.app\.io/name}      a dot in a key is escaped with a backslash
//! {.status.conditions[?(@.type=="Ready")].status}   filters: == != < > <= >= and [?(@.x)]
//! {range .items[*]}{.metadata.name}{"\n"}{end}      one pass per item
//! ```
//!
//! Evaluation follows client-go, quirks included, because kubectl users rely on what it prints:
//!
//! - every action is evaluated from the object (or the current range item); its results are
//!   printed joined by a space, maps and lists as compact JSON (Go's `json.Marshal`: keys
//!   sorted, `<`, `>` and `&` escaped), strings raw, numbers as Go prints them (`1e+06`), null
//!   as `null`;
//! - a missing field gives nothing when missing keys are allowed (kubectl's default,
//!   `--allow-missing-template-keys=true`), else the error `x is not found`; an index out of
//!   range is an error either way (`array index out of bounds: index 5, length 2`);
//! - an index range that selects nothing (`[0:0]`, `[*]` of an empty list) stops the step for
//!   the remaining inputs too, as client-go returns early there;
//! - comparisons in filters follow Go's `text/template`: an integer never equals a float
//!   (`incompatible types for comparison`), lists and maps cannot be compared;
//! - `.*` and `..` over a string give its bytes as numbers;
//! - `-o jsonpath-as-json` prints each action's results as one indented JSON array.
//!
//! Known difference: Go visits the entries of a map in random order for `.*` and `..`;
//! here they come in key order, so the output is the same on every run.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::jsonpath_parse::{self, Node, Param};
use super::printers::json::{go_format_g, to_json, to_json_compact};
use crate::model::selector::go_quote;

/// A parsed template, ready to run over any number of objects.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath {
    nodes: Vec<Node>,
    allow_missing_keys: bool,
    json_output: bool,
}

/// Parse a template. Missing keys are allowed, as kubectl allows them by default. The error
/// is client-go's bare text (`unclosed action`); kubectl's wording around it is
/// [`parse_error`].
pub fn parse(template: &str) -> Result<JsonPath, String> {
    Ok(JsonPath { nodes: jsonpath_parse::parse(template)?, allow_missing_keys: true, json_output: false })
}

/// kubectl's message for a template that does not parse: `error parsing jsonpath {.a, unclosed
/// action` (without kubectl's leading `error: `).
pub fn parse_error(template: &str, error: &str) -> String {
    format!("error parsing jsonpath {template}, {error}")
}

/// kubectl's `-o jsonpath=TEMPLATE` (and `-o jsonpath-as-json=`) printer over one object or
/// list as JSON: the text, or kubectl's error without its leading `error: ` prefix, such as
/// `error parsing jsonpath {.a, unclosed action` or `error executing jsonpath "{.a[5]}": Error
/// executing template: array index out of bounds: index 5, length 1. Printing more information
/// for debugging the template:` followed by the template and the object in Go's `%#v` form.
pub fn print(template: &str, value: &Value, allow_missing_keys: bool, as_json: bool) -> Result<String, String> {
    let path = parse(template).map_err(|e| parse_error(template, &e))?;
    path.allow_missing_keys(allow_missing_keys).json_output(as_json).execute(value).map_err(|e| {
        // kubectl's message ends in a blank line and a newline of its own; the caller adds the
        // final newline, as for every error.
        format!(
            "error executing jsonpath {}: Error executing template: {e}. Printing more information for debugging the template:\n\ttemplate was:\n\t\t{template}\n\tobject given to jsonpath engine was:\n\t\t{}\n\n",
            go_quote(template),
            go_sharp_v(value)
        )
    })
}

/// How deep `range` blocks may nest; a guard against unbounded recursion on hostile input.
const MAX_RANGE_DEPTH: usize = 256;

/// A value during evaluation: a part of the object, or a literal of the template.
type Val<'a> = Cow<'a, Value>;

/// An evaluation error with the values client-go returns alongside it (an existence filter
/// looks at them).
struct Failure<'a> {
    partial: Vec<Val<'a>>,
    message: String,
}

type Step<'a> = Result<Vec<Val<'a>>, Failure<'a>>;

fn fail<'a>(partial: Vec<Val<'a>>, message: impl Into<String>) -> Failure<'a> {
    Failure { partial, message: message.into() }
}

impl JsonPath {
    /// `--allow-missing-template-keys`: whether a missing field is an error.
    pub fn allow_missing_keys(mut self, allow: bool) -> JsonPath {
        self.allow_missing_keys = allow;
        self
    }

    /// `-o jsonpath-as-json`: print each action's results as an indented JSON array.
    pub fn json_output(mut self, on: bool) -> JsonPath {
        self.json_output = on;
        self
    }

    /// The results of each action (and text) of the template, in order.
    pub fn find_results<'a>(&self, value: &'a Value) -> Result<Vec<Vec<Cow<'a, Value>>>, String> {
        let mut exec = Exec { nodes: &self.nodes, allow_missing: self.allow_missing_keys, ..Exec::default() };
        exec.find_results(Cow::Borrowed(value), 0, 0)
    }

    /// The text the template prints for `value`, or client-go's error text (`a is not found`,
    /// `array index out of bounds: index 5, length 2`). Nothing is printed when there is an
    /// error, as kubectl evaluates everything before printing.
    pub fn execute(&self, value: &Value) -> Result<String, String> {
        let groups = self.find_results(value)?;
        let mut out = String::new();
        for group in &groups {
            self.print_results(group, &mut out);
        }
        Ok(out)
    }

    fn print_results(&self, results: &[Val<'_>], out: &mut String) {
        if self.json_output {
            let list = Value::Array(results.iter().map(|v| v.as_ref().clone()).collect());
            out.push_str(&to_json(&list));
            out.push('\n');
            return;
        }
        for (i, r) in results.iter().enumerate() {
            match r.as_ref() {
                v @ (Value::Object(_) | Value::Array(_)) => out.push_str(&to_json_compact(v)),
                v => out.push_str(&text(v)),
            }
            if i + 1 != results.len() {
                out.push(' ');
            }
        }
    }
}

/// The evaluator's state: client-go keeps range bookkeeping in the `JSONPath` value.
#[derive(Default)]
struct Exec<'t> {
    nodes: &'t [Node],
    allow_missing: bool,
    begin_range: usize,
    in_range: usize,
    end_range: usize,
    /// The index of the `{end}` that closed the last range block.
    last_end: Option<usize>,
}

impl<'t> Exec<'t> {
    /// client-go's `FindResults` over the top-level nodes from `start` (a range block's body
    /// starts after its `{range}`).
    fn find_results<'a>(&mut self, data: Val<'a>, start: usize, depth: usize) -> Result<Vec<Vec<Val<'a>>>, String> {
        if depth > MAX_RANGE_DEPTH {
            return Err("range blocks nested too deeply".into());
        }
        let nodes = self.nodes;
        let cur = vec![data];
        let mut full = Vec::new();
        let mut i = start;
        while i < nodes.len() {
            let results = self.walk(&cur, &nodes[i]).map_err(|f| f.message)?;
            if self.end_range > 0 && self.end_range <= self.in_range {
                self.end_range -= 1;
                self.last_end = Some(i);
                break;
            }
            if self.begin_range > 0 {
                self.begin_range -= 1;
                self.in_range += 1;
                if results.is_empty() {
                    self.find_results(Cow::Owned(Value::Null), i + 1, depth + 1)?;
                } else {
                    for value in results {
                        full.extend(self.find_results(value, i + 1, depth + 1)?);
                    }
                }
                self.in_range -= 1;
                if let Some(end) = self.last_end.filter(|&e| e > i) {
                    i = end;
                }
                i += 1;
                continue;
            }
            full.push(results);
            i += 1;
        }
        Ok(full)
    }

    fn walk<'a>(&mut self, input: &[Val<'a>], node: &Node) -> Step<'a> {
        match node {
            Node::List(nodes) => self.eval_list(input, nodes),
            Node::Text(t) => Ok(vec![Cow::Owned(Value::String(t.clone()))]),
            Node::Field(name) => self.eval_field(input, name),
            Node::Array(params) => eval_array(input, params),
            Node::Filter { left, right, op } => self.eval_filter(input, left, right, op),
            Node::Int(i) => Ok(input.iter().map(|_| Cow::Owned(Value::from(*i))).collect()),
            Node::Float(f) => Ok(input.iter().map(|_| Cow::Owned(Value::from(*f))).collect()),
            Node::Bool(b) => Ok(input.iter().map(|_| Cow::Owned(Value::Bool(*b))).collect()),
            Node::Wildcard => Ok(input.iter().flat_map(children).collect()),
            Node::Recursive => Ok(eval_recursive(input)),
            Node::Union(lists) => {
                let mut out = Vec::new();
                for list in lists {
                    match self.eval_list(input, list) {
                        Ok(values) => out.extend(values),
                        Err(f) => return Err(fail(input.to_vec(), f.message)),
                    }
                }
                Ok(out)
            }
            Node::Identifier(name) => match name.as_str() {
                "range" => {
                    self.begin_range += 1;
                    Ok(input.to_vec())
                }
                "end" if self.in_range > 0 => {
                    self.end_range += 1;
                    Ok(Vec::new())
                }
                "end" => Err(fail(Vec::new(), "not in range, nothing to end")),
                other => Err(fail(input.to_vec(), format!("unrecognized identifier {other}"))),
            },
        }
    }

    fn eval_list<'a>(&mut self, input: &[Val<'a>], nodes: &[Node]) -> Step<'a> {
        let mut cur = input.to_vec();
        for node in nodes {
            cur = self.walk(&cur, node)?;
        }
        Ok(cur)
    }

    fn eval_field<'a>(&self, input: &[Val<'a>], name: &str) -> Step<'a> {
        if input.is_empty() {
            return Ok(Vec::new());
        }
        let results: Vec<Val<'a>> = input.iter().filter_map(|v| child(v, |v| v.as_object()?.get(name))).collect();
        if results.is_empty() && !self.allow_missing {
            return Err(fail(results, format!("{name} is not found")));
        }
        Ok(results)
    }

    fn eval_filter<'a>(&mut self, input: &[Val<'a>], left: &[Node], right: &[Node], op: &str) -> Step<'a> {
        let mut results = Vec::new();
        for value in input {
            let Value::Array(items) = value.as_ref() else {
                return Err(fail(
                    input.to_vec(),
                    format!("{} is not array or slice and cannot be filtered", go_v(value)),
                ));
            };
            for index in 0..items.len() {
                let Some(item) = child(value, |v| v.as_array()?.get(index)) else { continue };
                let temp = vec![item.clone()];
                let lefts = self.eval_list(&temp, left);
                if op == "exists" {
                    let found = match &lefts {
                        Ok(l) => !l.is_empty(),
                        Err(f) => !f.partial.is_empty(),
                    };
                    if found {
                        results.push(item);
                    }
                    continue;
                }
                let lefts = lefts.map_err(|f| fail(input.to_vec(), f.message))?;
                let left = match lefts.len() {
                    0 => continue,
                    1 => &lefts[0],
                    _ => return Err(fail(input.to_vec(), "can only compare one element at a time")),
                };
                let rights = self.eval_list(&temp, right).map_err(|f| fail(input.to_vec(), f.message))?;
                let right = match rights.len() {
                    0 => continue,
                    1 => &rights[0],
                    _ => return Err(fail(input.to_vec(), "can only compare one element at a time")),
                };
                let pass = match op {
                    "<" => less(left, right),
                    ">" => less_equal(left, right).map(|b| !b),
                    "==" => equal(left, right),
                    "!=" => equal(left, right).map(|b| !b),
                    "<=" => less_equal(left, right),
                    ">=" => less(left, right).map(|b| !b),
                    other => return Err(fail(results, format!("unrecognized filter operator {other}"))),
                };
                match pass {
                    Ok(true) => results.push(item),
                    Ok(false) => {}
                    Err(e) => return Err(fail(results, e)),
                }
            }
        }
        Ok(results)
    }
}

/// A part of a value, borrowed when the value is.
fn child<'a>(parent: &Val<'a>, get: impl Fn(&Value) -> Option<&Value>) -> Option<Val<'a>> {
    match parent {
        Cow::Borrowed(p) => get(p).map(Cow::Borrowed),
        Cow::Owned(p) => get(p).map(|v| Cow::Owned(v.clone())),
    }
}

/// The values inside a map (in key order), a list, or a string (its bytes).
fn children<'a>(value: &Val<'a>) -> Vec<Val<'a>> {
    match value.as_ref() {
        Value::Object(map) => {
            let keys: Vec<&String> = sorted_keys(map);
            keys.into_iter().filter_map(|k| child(value, |v| v.get(k.as_str()))).collect()
        }
        Value::Array(items) => (0..items.len()).filter_map(|i| child(value, |v| v.get(i))).collect(),
        Value::String(s) => s.bytes().map(|b| Cow::Owned(Value::from(b))).collect(),
        _ => Vec::new(),
    }
}

fn sorted_keys(map: &Map<String, Value>) -> Vec<&String> {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    keys
}

/// `..`: every value that has something inside, depth first, each before its contents.
fn eval_recursive<'a>(input: &[Val<'a>]) -> Vec<Val<'a>> {
    let mut out = Vec::new();
    // An explicit stack keeps deep objects off the call stack; pushed in reverse to visit in order.
    let mut stack: Vec<Val<'a>> = input.iter().rev().cloned().collect();
    while let Some(value) = stack.pop() {
        let inner = children(&value);
        if inner.is_empty() {
            continue;
        }
        out.push(value);
        stack.extend(inner.into_iter().rev());
    }
    out
}

fn eval_array<'a>(input: &[Val<'a>], params: &[Param; 3]) -> Step<'a> {
    let mut result = Vec::new();
    for value in input {
        let items = match value.as_ref() {
            Value::Null => continue,
            Value::Array(items) => items,
            other => return Err(fail(input.to_vec(), format!("{} is not array or slice", go_type(other)))),
        };
        let len = items.len() as i64;
        let mut p = *params;
        if !p[0].known {
            p[0].value = 0;
        }
        if p[0].value < 0 {
            p[0].value = p[0].value.wrapping_add(len);
        }
        if !p[1].known {
            p[1].value = len;
        }
        if p[1].value < 0 || (p[1].value == 0 && p[1].derived) {
            p[1].value = p[1].value.wrapping_add(len);
        }
        if p[1].value == p[0].value {
            // client-go returns here, skipping the inputs after this one.
            return Ok(result);
        }
        if p[0].value >= len || p[0].value < 0 {
            return Err(fail(input.to_vec(), format!("array index out of bounds: index {}, length {len}", p[0].value)));
        }
        if p[1].value > len || p[1].value < 0 {
            return Err(fail(
                input.to_vec(),
                format!("array index out of bounds: index {}, length {len}", p[1].value.wrapping_sub(1)),
            ));
        }
        if p[0].value > p[1].value {
            return Err(fail(
                input.to_vec(),
                format!("starting index {} is greater than ending index {}", p[0].value, p[1].value),
            ));
        }
        let step = if p[2].known {
            if p[2].value <= 0 {
                return Err(fail(input.to_vec(), "step must be > 0"));
            }
            p[2].value as usize
        } else {
            1
        };
        for i in (p[0].value as usize..p[1].value as usize).step_by(step) {
            if let Some(v) = child(value, |v| v.get(i)) {
                result.push(v);
            }
        }
    }
    Ok(result)
}

// Comparisons, as Go's text/template `eq`, `lt` and friends (client-go's forked copy).

const BAD_TYPE: &str = "invalid type for comparison";
const BAD_COMPARISON: &str = "incompatible types for comparison";

enum Basic<'v> {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'v str),
}

fn basic(v: &Value) -> Result<Basic<'_>, String> {
    match v {
        Value::Bool(b) => Ok(Basic::Bool(*b)),
        Value::Number(n) => Ok(match n.as_i64() {
            Some(i) => Basic::Int(i),
            None => Basic::Float(n.as_f64().unwrap_or(0.0)),
        }),
        Value::String(s) => Ok(Basic::Str(s)),
        _ => Err(BAD_TYPE.into()),
    }
}

fn equal(a: &Value, b: &Value) -> Result<bool, String> {
    let (a, b) = (basic(a)?, basic(b)?);
    match (a, b) {
        (Basic::Bool(a), Basic::Bool(b)) => Ok(a == b),
        (Basic::Int(a), Basic::Int(b)) => Ok(a == b),
        (Basic::Float(a), Basic::Float(b)) => Ok(a == b),
        (Basic::Str(a), Basic::Str(b)) => Ok(a == b),
        _ => Err(BAD_COMPARISON.into()),
    }
}

fn less(a: &Value, b: &Value) -> Result<bool, String> {
    let (a, b) = (basic(a)?, basic(b)?);
    match (a, b) {
        (Basic::Bool(_), Basic::Bool(_)) => Err(BAD_TYPE.into()),
        (Basic::Int(a), Basic::Int(b)) => Ok(a < b),
        (Basic::Float(a), Basic::Float(b)) => Ok(a < b),
        (Basic::Str(a), Basic::Str(b)) => Ok(a < b),
        _ => Err(BAD_COMPARISON.into()),
    }
}

fn less_equal(a: &Value, b: &Value) -> Result<bool, String> {
    if less(a, b)? {
        return Ok(true);
    }
    equal(a, b)
}

// How Go prints values.

/// A scalar as client-go's `evalToText` prints it: strings raw, numbers as Go's `%v`, null as
/// `null`. Maps and lists print as compact JSON.
pub fn text(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => go_number(n),
        Value::String(s) => s.clone(),
        other => to_json_compact(other),
    }
}

/// A number as Go's `%v` prints the `int64` or `float64` it decodes to.
fn go_number(n: &serde_json::Number) -> String {
    match n.as_i64() {
        Some(i) => i.to_string(),
        None => go_format_g(n.as_f64().unwrap_or(0.0)),
    }
}

/// Go's `fmt.Sprint` of a decoded JSON value: `map[a:1 b:[x y]]`, `<nil>` for null. This is
/// how custom columns print maps and lists.
pub fn go_v(v: &Value) -> String {
    let mut out = String::new();
    write_go_v(v, &mut out);
    out
}

fn write_go_v(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("<nil>"),
        Value::Object(map) => {
            out.push_str("map[");
            for (i, k) in sorted_keys(map).into_iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                write_go_v(&map[k.as_str()], out);
            }
            out.push(']');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_go_v(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&text(other)),
    }
}

/// Go's `%#v` of a decoded JSON value: `map[string]interface {}{"a":1, "b":[]interface {}{"x"}}`.
/// kubectl shows the object this way when a template fails.
pub fn go_sharp_v(v: &Value) -> String {
    let mut out = String::new();
    write_go_sharp_v(v, &mut out);
    out
}

fn write_go_sharp_v(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("interface {}(nil)"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&go_number(n)),
        Value::String(s) => out.push_str(&go_quote(s)),
        Value::Object(map) => {
            out.push_str("map[string]interface {}{");
            for (i, k) in sorted_keys(map).into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&go_quote(k));
                out.push(':');
                write_go_sharp_v(&map[k.as_str()], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push_str("[]interface {}{");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_go_sharp_v(item, out);
            }
            out.push('}');
        }
    }
}

/// The Go type name of a decoded JSON value, as client-go's errors name it.
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "interface {}",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_i64() => "int64",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Run `template` over `input` (JSON text) and compare with `expect`: the output, or
    /// `error: <message>` for a parse or execution error.
    #[track_caller]
    fn check(template: &str, input: &str, allow_missing: bool, expect: &str) {
        let input: Value = serde_json::from_str(input).expect("test input is JSON");
        let got = match parse(template) {
            Ok(p) => match p.allow_missing_keys(allow_missing).execute(&input) {
                Ok(out) => out,
                Err(e) => format!("error: {e}"),
            },
            Err(e) => format!("error: {e}"),
        };
        assert_eq!(got, expect, "template {template:?}");
    }

    const TYPES: &str = r#"{
        "bools": [true, false, true, false],
        "integers": [1, 2, 3, 4],
        "floats": [1.0, 2.2, 3.3, 4.0],
        "strings": ["one", "two", "three", "four"],
        "interfaces": [true, "one", 1, 1.1],
        "maps": [{"name": "one", "value": 1}, {"name": "two", "value": 2.02},
                 {"name": "three", "value": 3.03}, {"name": "four", "value": 4.04}]
    }"#;

    #[test]
    fn slices_of_every_type() {
        // client-go's TestTypesInput.
        let cases = [
            ("{ .bools }", "[true,false,true,false]"),
            ("{ .bools[0] }", "true"),
            ("{ .bools[-1] }", "false"),
            ("{ .bools[0:2] }", "true false"),
            ("{ .bools[:4:2] }", "true true"),
            ("{ .integers }", "[1,2,3,4]"),
            ("{ .integers[-2] }", "3"),
            ("{ .integers[:2] }", "1 2"),
            ("{ .integers[:4:2] }", "1 3"),
            ("{ .floats }", "[1,2.2,3.3,4]"),
            ("{ .floats[0] }", "1"),
            ("{ .floats[-2] }", "3.3"),
            ("{ .floats[:4:2] }", "1 3.3"),
            ("{ .strings }", r#"["one","two","three","four"]"#),
            ("{ .strings[-2] }", "three"),
            ("{ .strings[:4:2] }", "one three"),
            ("{ .interfaces }", r#"[true,"one",1,1.1]"#),
            ("{ .interfaces[0:2] }", "true one"),
            ("{ .interfaces[:4:2] }", "true 1"),
            (
                "{ .maps }",
                r#"[{"name":"one","value":1},{"name":"two","value":2.02},{"name":"three","value":3.03},{"name":"four","value":4.04}]"#,
            ),
            ("{ .maps[-2] }", r#"{"name":"three","value":3.03}"#),
            ("{ .maps[::2] }", r#"{"name":"one","value":1} {"name":"three","value":3.03}"#),
            ("{ .maps[1::2] }", r#"{"name":"two","value":2.02} {"name":"four","value":4.04}"#),
        ];
        for (template, expect) in cases {
            check(template, TYPES, false, expect);
        }
    }

    const STORE: &str = r#"{
        "Name": "jsonpath",
        "Book": [
            {"Category": "reference", "Author": "Nigel Rees", "Title": "Sayings of the Centurey", "Price": 8.95},
            {"Category": "fiction", "Author": "Evelyn Waugh", "Title": "Sword of Honour", "Price": 12.99},
            {"Category": "fiction", "Author": "Herman Melville", "Title": "Moby Dick", "Price": 8.99}
        ],
        "Bicycle": [{"Color": "red", "Price": 19.95, "IsNew": true}, {"Color": "green", "Price": 20.01, "IsNew": false}],
        "Labels": {"engieer": 10, "web/html": 15, "k8s-app": 20},
        "Employees": {"jason": "manager", "dan": "clerk"}
    }"#;

    #[test]
    fn store() {
        // client-go's TestStructInput, over JSON (so keys print in sorted order).
        let cases = [
            ("hello jsonpath", "hello jsonpath"),
            ("{\"{\"}", "{"),
            ("hello {.Name}", "hello jsonpath"),
            ("{$.Labels.web/html}", "15"),
            ("{$.Employees.jason}", "manager"),
            ("{.Labels.k8s-app}", "20"),
            ("{.Bicycle[*].Color}", "red green"),
            ("{.Book[*].Author}", "Nigel Rees Evelyn Waugh Herman Melville"),
            (r#"{range .Bicycle[*]}{ "{" }{ @.* }{ "} " }{end}"#, "{red true 19.95} {green false 20.01} "),
            // Keys in sorted order: Bicycle before Book (Go's structs keep field order).
            ("{..Price}", "19.95 20.01 8.95 12.99 8.99"),
            ("{...Price}", "19.95 20.01 8.95 12.99 8.99"),
            ("{.....Price}", "error: invalid multiple recursive descent"),
            (
                r#"{range .Bicycle[*]}{ @ }{ " " }{end}"#,
                r#"{"Color":"red","IsNew":true,"Price":19.95} {"Color":"green","IsNew":false,"Price":20.01} "#,
            ),
            ("{.Book[-1:]}", r#"{"Author":"Herman Melville","Category":"fiction","Price":8.99,"Title":"Moby Dick"}"#),
            ("{..Book[2]}", r#"{"Author":"Herman Melville","Category":"fiction","Price":8.99,"Title":"Moby Dick"}"#),
            ("{.Bicycle[?(@.IsNew==true)]}", r#"{"Color":"red","IsNew":true,"Price":19.95}"#),
            ("{hello}", "error: unrecognized identifier hello"),
            ("{.hello}", "error: hello is not found"),
            ("{.Labels[0]}", "error: map[string]interface {} is not array or slice"),
            ("{.Book[?(@.Price<>10)]}", "error: unrecognized filter operator <>"),
            ("{range .Labels.*}{@}{end}{end}", "error: not in range, nothing to end"),
        ];
        for (template, expect) in cases {
            check(template, STORE, false, expect);
        }
        check("{.hello}", STORE, true, "");
        check("before-{.hello}after", STORE, true, "before-after");
        check("{..}", "[1,2,3]", false, "[1,2,3]");
        check("{[?(@<5)]}", "[2,6,3,7]", false, "2 3");
        check("{[1,3,4]}", "[0,1,2,3,4]", false, "1 3 4");
        check("{[0:2]}", r#"["Monday","Tudesday"]"#, false, "Monday Tudesday");
    }

    const POINTS: &str = r#"[
        {"id": "i1", "x": 4, "y": -5}, {"id": "i2", "x": -2, "y": -5, "z": 1}, {"id": "i3", "x": 8, "y": 3},
        {"id": "i4", "x": -6, "y": -1}, {"id": "i5", "x": 0, "y": 2, "z": 1}, {"id": "i6", "x": 1, "y": 4},
        {"id": "i7", "x": null, "y": 4}
    ]"#;

    #[test]
    fn filters() {
        check("{[?(@.z)].id}", POINTS, false, "i2 i5");
        check("{[0]['id']}", POINTS, false, "i1");
        check("{[-1]['x']}", POINTS, false, "null");
        // i7's null cannot be compared.
        check("{[?(@.x>0)].id}", POINTS, true, "error: invalid type for comparison");
        check(
            "{[0:6][?(@.x>0)].id}",
            POINTS,
            true,
            "error: map[id:i1 x:4 y:-5] is not array or slice and cannot be filtered",
        );
        let six = r#"[{"id": "i1", "x": 4}, {"id": "i2", "x": -2}, {"id": "i3", "x": 0}]"#;
        check("{[?(@.x>0)].id}", six, true, "i1");
        check("{[?(@.x<=0)].id}", six, true, "i2 i3");
        check("{[?(@.x<0)].id}", six, true, "i2");
        check("{[?(@.y!=4)].id}", POINTS, true, "i1 i2 i3 i4 i5");
        check("{[?(@.y>=3)].id}", POINTS, true, "i3 i6 i7");
        check("{[?(@.y==4.0)].id}", POINTS, true, "error: incompatible types for comparison");
        check("{[?(@.id=='i3')].x}", POINTS, true, "8");
        check("{[?(@.id<\"i3\")].id}", POINTS, true, "i1 i2");
        check("{[?(@.x==@.y)].id}", POINTS, true, "error: invalid type for comparison");
        check("{[?(@.x)].id}", POINTS, true, "i1 i2 i3 i4 i5 i6 i7");
        check("{.x[?(@.a)]}", r#"{"x": "s"}"#, true, "error: s is not array or slice and cannot be filtered");
        check(
            "{.x[?(@.a)]}",
            r#"{"x": {"a": 1}}"#,
            true,
            "error: map[a:1] is not array or slice and cannot be filtered",
        );
        check("{[?(@.a[*])].n}", r#"[{"a": [1,2], "n": 1}, {"a": [3], "n": 2}]"#, true, "1 2");
        check("{[?(@.a[*]==1)].n}", r#"[{"a": [1,2], "n": 1}]"#, true, "error: can only compare one element at a time");
        check("{[?(@.b==true)].n}", r#"[{"b": true, "n": 1}, {"b": false, "n": 2}]"#, true, "1");
        check("{[?(@.b<true)].n}", r#"[{"b": true, "n": 1}]"#, true, "error: invalid type for comparison");
        // An index error in an existence test still counts as found (client-go returns its input).
        check("{[?(@.a[5])].n}", r#"[{"a": [1], "n": 1}]"#, true, "1");
    }

    const NODES: &str = r#"{
        "kind": "List",
        "items": [
            {"kind": "None", "metadata": {"name": "127.0.0.1", "labels": {"kubernetes.io/hostname": "127.0.0.1"}},
             "status": {"capacity": {"cpu": "4"}, "ready": true,
                        "addresses": [{"type": "LegacyHostIP", "address": "127.0.0.1"}]}},
            {"kind": "None", "metadata": {"name": "127.0.0.2", "labels": {"kubernetes.io/hostname": "127.0.0.2"}},
             "status": {"capacity": {"cpu": "8"}, "ready": false,
                        "addresses": [{"type": "LegacyHostIP", "address": "127.0.0.2"},
                                      {"type": "another", "address": "127.0.0.3"}]}}
        ],
        "users": [{"name": "myself", "user": {}}, {"name": "e2e", "user": {"username": "admin", "password": "secret"}}]
    }"#;

    #[test]
    fn kubernetes_lists() {
        // client-go's TestKubernetes.
        let cases = [
            ("{range .items[*]}{.metadata.name}, {end}{.kind}", "127.0.0.1, 127.0.0.2, List"),
            ("{range .items[*]}{.metadata.name}{\"\\t\"}{end}", "127.0.0.1\t127.0.0.2\t"),
            ("{.items[*].status.addresses[*].address}", "127.0.0.1 127.0.0.2 127.0.0.3"),
            (
                "{range .items[*]}{range .status.addresses[*]}{.address}, {end}{end}",
                "127.0.0.1, 127.0.0.2, 127.0.0.3, ",
            ),
            ("{.items[*].metadata.name}", "127.0.0.1 127.0.0.2"),
            ("{.items[*]['metadata.name', 'status.capacity']}", r#"127.0.0.1 127.0.0.2 {"cpu":"4"} {"cpu":"8"}"#),
            (
                "{range .items[*]}[{.metadata.name}, {.status.capacity}] {end}",
                r#"[127.0.0.1, {"cpu":"4"}] [127.0.0.2, {"cpu":"8"}] "#,
            ),
            ("{.users[?(@.name==\"e2e\")].user.password}", "secret"),
            (r"{.items[0].metadata.labels.kubernetes\.io/hostname}", "127.0.0.1"),
            (r#"{.items[?(@.metadata.labels.kubernetes\.io/hostname=="127.0.0.1")].kind}"#, "None"),
            ("{.items[?(@..ready==true)].metadata.name}", "127.0.0.1"),
            ("{..name}", "127.0.0.1 127.0.0.2 myself e2e"),
            // A quoted key with dots is still split at the dots.
            ("{.items[*].metadata.labels['kubernetes.io/hostname']}", "error: kubernetes is not found"),
        ];
        for (template, expect) in cases {
            check(template, NODES, false, expect);
        }
    }

    const PODS: &str = r#"{"items": [
        {"metadata": {"name": "pod1"}, "spec": {"containers": [
            {"name": "foo", "another": [{"name": "value1"}, {"name": "value2"}]},
            {"name": "bar", "another": [{"name": "value1"}, {"name": "value2"}]}]}},
        {"metadata": {"name": "pod2"}, "spec": {"containers": [
            {"name": "baz", "another": [{"name": "value1"}, {"name": "value2"}]}]}}
    ]}"#;

    #[test]
    fn ranges() {
        check("{range .items[*]}{.metadata.name}{end}", r#"{"items": []}"#, true, "");
        check(
            r#"{range .items[*]}{.metadata.name}{":"}{range @.spec.containers[*]}{.name}{","}{end}{"+"}{end}"#,
            r#"{"items": []}"#,
            true,
            "",
        );
        check(
            r#"{range .items[*]}{.metadata.name}{":"}{range @.spec.containers[*]}{.name}{","}{end}{"+"}{end}"#,
            PODS,
            false,
            "pod1:foo,bar,+pod2:baz,+",
        );
        check(
            r##"{range .items[*]}{.metadata.name}{"~"}{range @.spec.containers[*]}{.name}{":"}{range @.another[*]}{.name}{","}{end}{"+"}{end}{"#"}{end}"##,
            PODS,
            false,
            "pod1~foo:value1,value2,+bar:value1,value2,+#pod2~baz:value1,value2,+#",
        );
        check(
            r#"{range .items[*]}{.metadata.name}{"\t"}{range @.spec.containers[*]}{.name}{" "}{end}{"\t"}{range @.spec.containers[*]}{.name}{" "}{end}{"\n"}{end}"#,
            PODS,
            false,
            "pod1\tfoo bar \tfoo bar \npod2\tbaz \tbaz \n",
        );
        // Without `{end}` the body runs for each item, then once more over the object.
        check("{range .items[*]}{.metadata.name} ", PODS, true, "pod1 pod2  ");
    }

    #[test]
    fn missing_keys_in_filters() {
        let data = r#"{"kind": "List", "items": [
            {"kind": "Pod", "metadata": {"name": "pod1", "annotations": {"color": "blue"}}},
            {"kind": "Pod", "metadata": {"name": "pod2"}},
            {"kind": "Pod", "metadata": {"name": "pod3", "annotations": {"color": "green"}}},
            {"kind": "Pod", "metadata": {"name": "pod4", "annotations": {"color": "blue"}}}]}"#;
        let template = r#"{.items[?(@.metadata.annotations.color=="blue")].metadata.name}"#;
        check(template, data, true, "pod1 pod4");
        check(template, data, false, "error: annotations is not found");
        let running = r#"{"items": [{"metadata": {"name": "pod1"}, "status": {"phase": "Running"}},
            {"metadata": {"name": "pod2"}, "status": {"phase": "Running"}}, {"resourceVersion": ""}]}"#;
        check(
            r#"{range .items[?(.status.phase=="Running")]}{.metadata.name}{" is Running\n"}{end}"#,
            running,
            true,
            "pod1 is Running\npod2 is Running\n",
        );
    }

    #[test]
    fn indexes_and_steps() {
        let data = r#"{"spec": {"containers": [{"name": "fake0"}, {"name": "fake1"}, {"name": "fake2"},
            {"name": "fake3"}, {"name": "fake4"}, {"name": "fake5"}]}}"#;
        let cases = [
            ("{.spec.containers[0].name}", "fake0"),
            ("{.spec.containers[0:0].name}", ""),
            ("{.spec.containers[0:-1].name}", "fake0 fake1 fake2 fake3 fake4"),
            ("{.spec.containers[-1:0].name}", "error: starting index 5 is greater than ending index 0"),
            ("{.spec.containers[-1].name}", "fake5"),
            ("{.spec.containers[-2:].name}", "fake4 fake5"),
            ("{.spec.containers[-7].name}", "error: array index out of bounds: index -1, length 6"),
            ("{.spec.containers[6].name}", "error: array index out of bounds: index 6, length 6"),
            ("{.spec.containers[2:9].name}", "error: array index out of bounds: index 8, length 6"),
            ("{.spec.containers[7:7].name}", ""),
            ("{.spec.containers[3:1].name}", "error: starting index 3 is greater than ending index 1"),
            ("{.spec.containers[0:6:].name}", "fake0 fake1 fake2 fake3 fake4 fake5"),
            ("{.spec.containers[0:6:0].name}", "error: step must be > 0"),
            ("{.spec.containers[0:6:-1].name}", "error: step must be > 0"),
            ("{.spec.containers[1:4:2].name}", "fake1 fake3"),
            ("{.spec.containers[0:6:5].name}", "fake0 fake5"),
            ("{.spec.containers[0,2,-1].name}", "fake0 fake2 fake5"),
            ("{.spec[0]}", "error: map[string]interface {} is not array or slice"),
            ("{.spec.containers[0].name[0]}", "error: string is not array or slice"),
        ];
        for (template, expect) in cases {
            check(template, data, true, expect);
        }
        // An empty selection ends the step for the remaining inputs, as in client-go.
        check("{.a[*].b[*]}", r#"{"a": [{"b": []}, {"b": [1]}]}"#, true, "");
        check("{.a[*].b[*]}", r#"{"a": [{"b": [1]}, {"b": [2]}]}"#, true, "1 2");
        check("{.a[0]}", r#"{"a": []}"#, true, "error: array index out of bounds: index 0, length 0");
        check("{.a[-9223372036854775808:-9223372036854775808:1]}", r#"{"a": []}"#, true, "");
        check(
            "{.a[0:-9223372036854775808]}",
            r#"{"a": [1]}"#,
            true,
            "error: array index out of bounds: index -9223372036854775808, length 1",
        );
    }

    #[test]
    fn printing() {
        let data = r#"{"s": "a<b>&c", "i": 42, "f": 1e6, "g": 0.5, "big": 1e21, "n": null, "t": true,
            "m": {"b": 1, "a": [1, "x"]}, "e": {}, "l": []}"#;
        check("{.s}", data, true, "a<b>&c");
        check("{.m}", data, true, r#"{"a":[1,"x"],"b":1}"#);
        check("{.i} {.f} {.g} {.big} {.n} {.t}", data, true, "42 1e+06 0.5 1e+21 null true");
        check("{.e}{.l}", data, true, "{}[]");
        check(r#"{.x}{"\n"}"#, r#"{"x": "<&>"}"#, true, "<&>\n");
        check("{.x}", r#"{"x": ["<&>"]}"#, true, r#"["\u003c\u0026\u003e"]"#);
        check("{.s.*}", r#"{"s": "ab"}"#, true, "97 98");
        check("{.m.*}", data, true, r#"[1,"x"] 1"#);
        check("{1}{true}{2.5}", "{}", true, "1true2.5");
        check("{@}", r#"{"a": 1}"#, true, r#"{"a":1}"#);
        check("{.}", r#"{"a": 1}"#, true, "");
    }

    #[test]
    fn json_output() {
        let data: Value = json!({"metadata": {"name": "web"}, "spec": {"containers": [{"name": "a"}, {"name": "b"}]}});
        let p = parse("{.metadata.name}{.spec.containers[*].name}{.nope}").unwrap().json_output(true);
        assert_eq!(p.execute(&data).unwrap(), "[\n    \"web\"\n]\n[\n    \"a\",\n    \"b\"\n]\n[]\n");
    }

    #[test]
    fn go_formats() {
        let v = json!({"a": [1, 2.5, "x\"y", null, true], "b": {}, "c": "é\n"});
        assert_eq!(go_v(&v), "map[a:[1 2.5 x\"y <nil> true] b:map[] c:é\n]");
        assert_eq!(
            go_sharp_v(&v),
            r#"map[string]interface {}{"a":[]interface {}{1, 2.5, "x\"y", interface {}(nil), true}, "b":map[string]interface {}{}, "c":"é\n"}"#
        );
    }

    #[test]
    fn hostile_templates_do_not_overflow() {
        let deep = "{range .a[*]}".repeat(1000);
        check(&deep, r#"{"a": [{"a": [1]}]}"#, true, "error: range blocks nested too deeply");
        let long = "{.a}".repeat(10_000);
        check(&long, r#"{"a": 1}"#, true, &"1".repeat(10_000));
    }
}
