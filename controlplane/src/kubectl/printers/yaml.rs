//! `kubectl get -o yaml`, `-o json` and `-o name`, for one object or a list.
//!
//! kubectl prints YAML with `sigs.k8s.io/yaml`: the object goes to JSON, the JSON is read back
//! by go-yaml v2 into generic maps, and go-yaml v2 writes those out. The YAML here is written
//! by a port of the parts of go-yaml v2's emitter (`emitterc.go`, itself a port of libyaml)
//! and encoder (`encode.go`, `resolve.go`, `sorter.go`) that this path uses, so the text is
//! kubectl's rather than serde_yaml's:
//!
//! - keys in go-yaml's order: letters compare by code point, a non-letter sorts before a
//!   letter (`a_b` before `aZ`), runs of digits compare as numbers (`item9` before `item10`);
//! - two-space indentation, block sequences under a key not indented (`key:\n- a`), `{}` and
//!   `[]` for empty maps and lists;
//! - a string that would read back as something else (`"true"`, `"yes"`, `"1"`, `"1.5"`,
//!   `""`, `"null"`, `"2025-01-01T00:00:00Z"`, `"1:20"`) in double quotes, as go-yaml v2
//!   quotes YAML 1.1 booleans and timestamps; a string that cannot be plain (`'*'`,
//!   `'a: b'`, leading or trailing spaces) in single quotes; control characters and
//!   characters outside the Basic Multilingual Plane in double quotes with escapes;
//! - a string with a newline as a literal block (`|`, `|-` without a final newline, `|+`
//!   with several, `|2-` when it starts with a space), or double-quoted when it has trailing
//!   spaces on a line or characters a block cannot hold;
//! - long plain and quoted scalars folded at a space once the line passes 80 columns, with
//!   the continuation indented, exactly where go-yaml folds them;
//! - floats as Go formats them (`0.5`, `1.2345675e+06`).
//!
//! A list prints as kubectl's `List`: `apiVersion: v1`, `items`, `kind: List`,
//! `metadata: {resourceVersion: ""}`. `metadata.managedFields` is left out, as kubectl does
//! unless `--show-managed-fields`.
//!
//! Checked byte for byte against kubectl v1.32.4 (`kubectl annotate --local -f FILE x=y -o
//! yaml` and `-o json` print without a server): the quoting, key order, folding and block
//! cases in the tests and the pod in `pod_as_kubectl_prints_it` come out identical.
//!
//! Known differences from kubectl's output:
//! - nulls Go keeps are missing: a zero `metav1.Time` prints as `lastProbeTime: null` (pod
//!   conditions) or `creationTimestamp: null` (pod templates) in kubectl, while k8s-openapi
//!   drops absent fields. This is the object model, not the printer: the printer prints every
//!   null it is given;
//! - mapping keys are assumed to be strings (always so for JSON); hexadecimal floats
//!   (`0x1p-2`) and negative hexadecimal integers beyond 64 bits read as plain strings where
//!   go-yaml would quote them; `unicode.IsLetter` and Rust's `is_alphabetic` differ on a few
//!   letter-like symbols (key order only).
//!
//! serde_yaml 0.9 is not used for output: it single-quotes (`'true'`, `''`), leaves YAML 1.1
//! words (`yes`, `on`) and timestamps unquoted, sorts keys byte-wise and never folds long
//! lines, all unlike kubectl.
//!
//! JSON follows Go's `json.MarshalIndent(obj, "", "    ")` (see `json.rs`).

use serde_json::{json, Map, Value};

use super::json::{go_format_g, go_json_float};
use crate::model::Object;

/// `kubectl get <kind> <name> -o yaml`.
pub fn object_yaml(obj: &Object) -> String {
    to_yaml(&printable(obj))
}

/// `kubectl get <kind> -o yaml`: the objects as a `List`.
pub fn list_yaml(objs: &[&Object]) -> String {
    to_yaml(&list_value(objs))
}

/// `kubectl get <kind> <name> -o json`, with the trailing newline kubectl prints.
pub fn object_json(obj: &Object) -> String {
    to_json(&printable(obj))
}

/// `kubectl get <kind> -o json`: the objects as a `List`.
pub fn list_json(objs: &[&Object]) -> String {
    to_json(&list_value(objs))
}

/// `kubectl get -o name` for one object: `pod/web`, `deployment.apps/web`.
pub fn name(obj: &Object) -> String {
    obj.type_name()
}

/// `kubectl get -o name`: one `kind.group/name` line per object.
pub fn names(objs: &[&Object]) -> String {
    objs.iter().map(|o| format!("{}\n", name(o))).collect()
}

/// Any JSON value as kubectl's YAML, ending in a newline.
pub fn to_yaml(value: &Value) -> String {
    let mut e = Emitter::new();
    e.node(value, false, false);
    // Document end.
    e.write_indent();
    e.out
}

/// Any JSON value as kubectl's JSON, ending in a newline.
pub fn to_json(value: &Value) -> String {
    let mut out = super::json::to_json(value);
    out.push('\n');
    out
}

/// The object as kubectl prints it: without `metadata.managedFields`.
pub fn printable(obj: &Object) -> Value {
    let mut value = obj.to_value();
    if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    value
}

fn list_value(objs: &[&Object]) -> Value {
    json!({
        "apiVersion": "v1",
        "items": objs.iter().map(|o| printable(o)).collect::<Vec<_>>(),
        "kind": "List",
        "metadata": { "resourceVersion": "" },
    })
}

// The emitter: go-yaml v2's state machine, for the events a JSON value produces, written as
// recursion. Only block styles are chosen (empty collections are the flow `{}` and `[]`).

const BEST_INDENT: i32 = 2;
const BEST_WIDTH: usize = 80;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

struct Emitter {
    out: String,
    column: usize,
    indent: i32,
    indents: Vec<i32>,
    /// The last character written was whitespace (or nothing yet).
    whitespace: bool,
    /// Only indentation has been written on this line.
    indention: bool,
}

impl Emitter {
    fn new() -> Self {
        Emitter { out: String::new(), column: 0, indent: -1, indents: Vec::new(), whitespace: true, indention: true }
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    fn write_break(&mut self, c: char) {
        if c == '\n' {
            self.put_break();
        } else {
            self.out.push(c);
            self.column = 0;
        }
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(&mut self, indicator: &str, need_whitespace: bool, is_whitespace: bool, is_indention: bool) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        for c in indicator.chars() {
            self.put(c);
        }
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    /// A node; `mapping` when it is a key or value of a mapping, `simple_key` for a key.
    fn node(&mut self, value: &Value, mapping: bool, simple_key: bool) {
        match value {
            Value::Array(items) if items.is_empty() => self.empty_flow("[", "]"),
            Value::Array(items) => self.block_sequence(items, mapping),
            Value::Object(map) if map.is_empty() => self.empty_flow("{", "}"),
            Value::Object(map) => self.block_mapping(map),
            Value::String(s) => self.scalar(s, string_style(s), simple_key),
            Value::Null => self.scalar("null", Style::Plain, simple_key),
            Value::Bool(b) => self.scalar(if *b { "true" } else { "false" }, Style::Plain, simple_key),
            Value::Number(n) => self.scalar(&yaml_number(n), Style::Plain, simple_key),
        }
    }

    fn empty_flow(&mut self, open: &str, close: &str) {
        self.write_indicator(open, true, true, false);
        self.increase_indent(true, false);
        self.pop_indent();
        self.write_indicator(close, false, false, false);
    }

    fn block_sequence(&mut self, items: &[Value], mapping: bool) {
        // A sequence that is a mapping value is not indented under its key.
        self.increase_indent(false, mapping && !self.indention);
        for item in items {
            self.write_indent();
            self.write_indicator("-", true, false, true);
            self.node(item, false, false);
        }
        self.pop_indent();
    }

    fn block_mapping(&mut self, map: &Map<String, Value>) {
        let mut keys: Vec<&str> = map.keys().map(String::as_str).collect();
        sort_keys(&mut keys);
        self.increase_indent(false, false);
        for key in keys {
            self.write_indent();
            if !analyze(key).multiline && key.len() <= 128 {
                self.scalar(key, string_style(key), true);
                self.write_indicator(":", false, false, false);
            } else {
                self.write_indicator("?", true, false, true);
                self.scalar(key, string_style(key), false);
                self.write_indent();
                self.write_indicator(":", true, false, true);
            }
            self.node(&map[key], true, false);
        }
        self.pop_indent();
    }

    /// `yaml_emitter_select_scalar_style` then the writer of the chosen style.
    fn scalar(&mut self, value: &str, style: Style, simple_key: bool) {
        let a = analyze(value);
        let mut style = style;
        if simple_key && a.multiline {
            style = Style::DoubleQuoted;
        }
        if style == Style::Plain && (!a.block_plain_allowed || (value.is_empty() && simple_key)) {
            style = Style::SingleQuoted;
        }
        if style == Style::SingleQuoted && !a.single_quoted_allowed {
            style = Style::DoubleQuoted;
        }
        if style == Style::Literal && (!a.block_allowed || simple_key) {
            style = Style::DoubleQuoted;
        }
        self.increase_indent(true, false);
        let chars: Vec<char> = value.chars().collect();
        match style {
            Style::Plain => self.write_plain(&chars, !simple_key),
            Style::SingleQuoted => self.write_single_quoted(&chars, !simple_key),
            Style::DoubleQuoted => self.write_double_quoted(&chars, !simple_key),
            Style::Literal => self.write_literal(&chars),
        }
        self.pop_indent();
    }

    fn write_plain(&mut self, value: &[char], allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        let mut spaces = false;
        let mut breaks = false;
        for (i, &c) in value.iter().enumerate() {
            if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && value.get(i + 1) != Some(&' ') {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single_quoted(&mut self, value: &[char], allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        let mut spaces = false;
        let mut breaks = false;
        for (i, &c) in value.iter().enumerate() {
            if c == ' ' {
                let inner = i > 0 && i + 1 < value.len();
                if allow_breaks && !spaces && self.column > BEST_WIDTH && inner && value.get(i + 1) != Some(&' ') {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double_quoted(&mut self, value: &[char], allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        let mut spaces = false;
        for (i, &c) in value.iter().enumerate() {
            if !is_printable(c) || c == '\u{feff}' || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                match c {
                    '\0' => self.put('0'),
                    '\u{7}' => self.put('a'),
                    '\u{8}' => self.put('b'),
                    '\t' => self.put('t'),
                    '\n' => self.put('n'),
                    '\u{b}' => self.put('v'),
                    '\u{c}' => self.put('f'),
                    '\r' => self.put('r'),
                    '\u{1b}' => self.put('e'),
                    '"' => self.put('"'),
                    '\\' => self.put('\\'),
                    '\u{85}' => self.put('N'),
                    '\u{a0}' => self.put('_'),
                    '\u{2028}' => self.put('L'),
                    '\u{2029}' => self.put('P'),
                    c => {
                        let v = c as u32;
                        let (letter, digits) = match v {
                            0..=0xff => ('x', 2),
                            0x100..=0xffff => ('u', 4),
                            _ => ('U', 8),
                        };
                        self.put(letter);
                        for d in format!("{v:0digits$X}").chars() {
                            self.put(d);
                        }
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i > 0 && i + 1 < value.len() {
                    self.write_indent();
                    if value.get(i + 1) == Some(&' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_literal(&mut self, value: &[char]) {
        self.write_indicator("|", true, false, false);
        // Block scalar hints: an indentation indicator when the text starts with a space or a
        // line break, then the chomping indicator.
        if value.first().is_some_and(|&c| c == ' ' || is_break(c)) {
            self.write_indicator(&BEST_INDENT.to_string(), false, false, false);
        }
        let chomp = match value {
            [] => Some("-"),
            [.., last] if !is_break(*last) => Some("-"),
            [_] => Some("+"),
            [.., before, _] if is_break(*before) => Some("+"),
            _ => None,
        };
        if let Some(chomp) = chomp {
            self.write_indicator(chomp, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for &c in value {
            if is_break(c) {
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
    }
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// libyaml's printable set (go-yaml v2 leaves out everything beyond U+FFFF).
fn is_printable(c: char) -> bool {
    matches!(c as u32, 0x0a | 0x20..=0x7e | 0xa0..=0xd7ff | 0xe000..=0xfffd) && c != '\u{feff}'
}

/// What `yaml_emitter_analyze_scalar` finds out about a scalar.
struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn analyze(value: &str) -> Analysis {
    if value.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let chars: Vec<char> = value.chars().collect();
    let n = chars.len();
    let mut block_indicators = value.starts_with("---") || value.starts_with("...");
    let mut line_breaks = false;
    let mut special_characters = false;
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) = (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let mut preceded_by_whitespace = true;
    let (mut previous_space, mut previous_break) = (false, false);
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_whitespace = i + 1 >= n || is_blank(chars[i + 1]);
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%' | '@' | '`' => {
                    block_indicators = true
                }
                '?' | ':' | '-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_whitespace => block_indicators = true,
                '#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if !is_printable(c) {
            special_characters = true;
        }
        if c == ' ' {
            leading_space |= i == 0;
            trailing_space |= i + 1 == n;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            leading_break |= i == 0;
            trailing_break |= i + 1 == n;
            space_break |= previous_space;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blank(c) || is_break(c) || c == '\0';
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special_characters {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

/// go-yaml v2's `stringv`: a literal block for text with a newline, plain when the text would
/// read back as a string, else double quotes.
fn string_style(s: &str) -> Style {
    if s.contains('\n') {
        Style::Literal
    } else if resolves_to_string(s) && !is_base60_float(s) {
        Style::Plain
    } else {
        Style::DoubleQuoted
    }
}

/// go-yaml v2's `resolve("", s)` gives the string tag: `s` would not read back as a bool,
/// null, number, timestamp or merge key.
fn resolves_to_string(s: &str) -> bool {
    const SPECIAL: &[&str] = &[
        "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "n", "N", "no", "No", "NO", "false",
        "False", "FALSE", "off", "Off", "OFF", "", "~", "null", "Null", "NULL", ".nan", ".NaN", ".NAN", ".inf", ".Inf",
        ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
    ];
    let Some(&first) = s.as_bytes().first() else { return false };
    let hint = match first {
        b'+' | b'-' | b'0'..=b'9' => 'D',
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => 'M',
        b'.' => '.',
        _ => return true,
    };
    if SPECIAL.contains(&s) {
        return false;
    }
    match hint {
        'M' => true,
        '.' => go_parse_float(s).is_none(),
        _ => {
            if is_timestamp(s) {
                return false;
            }
            let plain = s.replace('_', "");
            !(is_int_literal(&plain) || (is_yaml_style_float(&plain) && go_parse_float(&plain).is_some()))
        }
    }
}

/// `strconv.ParseInt(s, 0, 64)` / `ParseUint` / `big.Int.SetString(s, 0)` syntax: a sign,
/// then `0x`, `0o`, `0b` or a leading `0` (octal), then digits of that base.
fn is_int_literal(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let lower = s.to_ascii_lowercase();
    let (digits, radix) = if let Some(d) = lower.strip_prefix("0x") {
        (d, 16)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (d, 8)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (d, 2)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (&lower[1..], 8)
    } else {
        (lower.as_str(), 10)
    };
    !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix))
}

/// go-yaml's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.strip_prefix(['+', '-']).unwrap_or(s).as_bytes();
    let digits = |b: &[u8], i: usize| b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut i;
    if b.first() == Some(&b'.') {
        let d = digits(b, 1);
        if d == 0 {
            return false;
        }
        i = 1 + d;
    } else {
        let d = digits(b, 0);
        if d == 0 {
            return false;
        }
        i = d;
        if b.get(i) == Some(&b'.') {
            i += 1 + digits(b, i + 1);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let d = digits(b, i);
        if d == 0 {
            return false;
        }
        i += d;
    }
    i == b.len()
}

/// `strconv.ParseFloat(s, 64)` for decimal text (digits, one point, an exponent; underscores
/// only between digits): the value, unless it is malformed or out of range.
fn go_parse_float(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let ok_chars = body.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-' | '_'));
    if !ok_chars || !body.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return None;
    }
    if s.contains('_') && !underscores_ok(s) {
        return None;
    }
    let f: f64 = s.replace('_', "").parse().ok()?;
    f.is_finite().then_some(f)
}

/// strconv's `underscoreOK`: every underscore between two digits.
fn underscores_ok(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().all(|(i, &c)| {
        c != b'_'
            || (i > 0 && b[i - 1].is_ascii_digit() && b.get(i + 1).is_some_and(|n| n.is_ascii_digit() || *n == b'_'))
    }) && !s.ends_with('_')
        && !s.contains("__")
}

/// go-yaml's `isBase60Float`: `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`.
fn is_base60_float(s: &str) -> bool {
    let b = s.strip_prefix(['+', '-']).unwrap_or(s).as_bytes();
    if !b.first().is_some_and(u8::is_ascii_digit) || !b.contains(&b':') {
        return false;
    }
    let mut i = 1 + b[1..].iter().take_while(|c| c.is_ascii_digit() || **c == b'_').count();
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        let d = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        let ok = match d {
            1 => true,
            2 => b[i + 1] <= b'5',
            _ => false,
        };
        if !ok {
            return false;
        }
        i += 1 + d;
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1 + b[i + 1..].iter().take_while(|c| c.is_ascii_digit() || **c == b'_').count();
    }
    i == b.len()
}

/// go-yaml's `parseTimestamp`: `YYYY-M-D`, optionally followed by `T`/`t`, then `h:m:s`,
/// fractional seconds, and a `Z` or `±hh:mm` zone, or by a space, then `h:m:s` and fractional
/// seconds without a zone; every field in range.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    // 1 or 2 digits, as Go's getnum for the non-padded layout fields.
    fn num(b: &[u8], i: &mut usize) -> Option<u32> {
        let d = b[*i..].iter().take(2).take_while(|c| c.is_ascii_digit()).count();
        if d == 0 {
            return None;
        }
        let v = std::str::from_utf8(&b[*i..*i + d]).ok()?.parse().ok()?;
        *i += d;
        Some(v)
    }
    let year: i32 = s[..4].parse().unwrap_or(0);
    let mut i = 5;
    let Some(month) = num(b, &mut i) else { return false };
    if b.get(i) != Some(&b'-') {
        return false;
    }
    i += 1;
    let Some(day) = num(b, &mut i) else { return false };
    // Month and day in range, February 29th only in leap years.
    if chrono::NaiveDate::from_ymd_opt(year, month, day).is_none() {
        return false;
    }
    let zoned = match b.get(i) {
        None => return true,
        Some(b'T' | b't') => true,
        Some(b' ') => false,
        Some(_) => return false,
    };
    i += 1;
    let Some(hour) = num(b, &mut i) else { return false };
    if b.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    let Some(minute) = num(b, &mut i) else { return false };
    if b.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    let Some(second) = num(b, &mut i) else { return false };
    if hour >= 24 || minute >= 60 || second >= 60 {
        return false;
    }
    if matches!(b.get(i), Some(b'.' | b',')) && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1 + b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
    }
    if !zoned {
        return i == b.len();
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            let zone = &b[i + 1..];
            zone.len() == 5
                && zone[2] == b':'
                && [0, 1, 3, 4].iter().all(|&k| zone[k].is_ascii_digit())
                && (zone[0] - b'0') * 10 + (zone[1] - b'0') <= 24
                && (zone[3] - b'0') * 10 + (zone[4] - b'0') <= 60
        }
        _ => false,
    }
}

/// A JSON number as go-yaml writes it after reading it back from Go's JSON: integers as
/// integers (also integral floats that fit 64 bits), other floats in Go's 'g' format.
fn yaml_number(n: &serde_json::Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    let text = go_json_float(f);
    if !text.contains(['.', 'e']) {
        // Go's JSON wrote an integer; go-yaml reads it as one when it fits 64 bits.
        if let Ok(i) = text.parse::<i64>() {
            return i.to_string();
        }
        if let Ok(u) = text.parse::<u64>() {
            return u.to_string();
        }
    }
    go_format_g(f)
}

/// Sort map keys with [`key_order`], by merging: a comparison that is not a total order can
/// give a different order than Go's sort, but never a panic.
fn sort_keys(keys: &mut Vec<&str>) {
    if keys.len() < 2 {
        return;
    }
    let mut right = keys.split_off(keys.len() / 2);
    sort_keys(keys);
    sort_keys(&mut right);
    let left = std::mem::take(keys);
    let (mut l, mut r) = (left.into_iter().peekable(), right.into_iter().peekable());
    while let (Some(a), Some(b)) = (l.peek(), r.peek()) {
        if key_order(b, a) == std::cmp::Ordering::Less {
            keys.extend(r.next());
        } else {
            keys.extend(l.next());
        }
    }
    keys.extend(l);
    keys.extend(r);
}

/// go-yaml v2's map key order (`keyList.Less` in sorter.go) for string keys.
fn key_order(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let digit = |c: char| c.is_ascii_digit();
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        if ar[i] == br[i] {
            i += 1;
            continue;
        }
        let al = ar[i].is_alphabetic();
        let bl = br[i].is_alphabetic();
        if al && bl {
            return ar[i].cmp(&br[i]);
        }
        if al || bl {
            // The non-letter first.
            return if bl { Ordering::Less } else { Ordering::Greater };
        }
        // Compare the runs of digits starting here as numbers; a zero inside a number that
        // started earlier counts as a digit of it.
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 && digit(ar[j - 1]) {
                j -= 1;
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && digit(ar[ai]) {
            an = an.wrapping_mul(10).wrapping_add(i64::from(ar[ai] as u8 - b'0'));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && digit(br[bi]) {
            bn = bn.wrapping_mul(10).wrapping_add(i64::from(br[bi] as u8 - b'0'));
            bi += 1;
        }
        if an != bn {
            return an.cmp(&bn);
        }
        if ai != bi {
            return ai.cmp(&bi);
        }
        return ar[i].cmp(&br[i]);
    }
    ar.len().cmp(&br.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::decode::decode_one;

    fn check(value: Value, expect: &str) {
        let got = to_yaml(&value);
        let expect = expect.strip_prefix('\n').unwrap_or(expect);
        assert!(got == expect, "got:\n{got}\nexpected:\n{expect}");
    }

    #[test]
    fn layout() {
        check(
            json!({
                "kind": "Pod",
                "apiVersion": "v1",
                "metadata": {"name": "web", "labels": {"app": "web"}, "annotations": {}},
                "spec": {
                    "containers": [
                        {"name": "app", "image": "nginx:1.27", "args": ["-g", "daemon off;"], "ports": [{"containerPort": 80}], "env": []},
                    ],
                    "nodeSelector": {},
                    "matrix": [[1, 2], [], [{"a": null}]],
                },
            }),
            r#"
apiVersion: v1
kind: Pod
metadata:
  annotations: {}
  labels:
    app: web
  name: web
spec:
  containers:
  - args:
    - -g
    - daemon off;
    env: []
    image: nginx:1.27
    name: app
    ports:
    - containerPort: 80
  matrix:
  - - 1
    - 2
  - []
  - - a: null
  nodeSelector: {}
"#,
        );
        check(json!([]), "[]\n");
        check(json!({}), "{}\n");
        check(json!("plain"), "plain\n");
        check(json!([{"a": 1}, "x"]), "- a: 1\n- x\n");
    }

    #[test]
    fn quoting() {
        check(
            json!({
                "bools": ["true", "False", "yes", "No", "on", "OFF", "y", "n"],
                "nulls": ["", "~", "null", "NULL"],
                "numbers": ["1", "-1", "+1", "0x1F", "0o17", "017", "08", "1.5", ".5", "1e3", "1_000", "12:30", "1:20:30.5", "8080:80", "1.2.3", "-", "+x", ".", "..."],
                "time": ["2025-01-01T00:00:00Z", "2025-1-1", "2025-01-01 10:00:00", "2025-02-30", "2025-01-01T00:00:00+01:00", "2025-13-01", "20250101"],
                "indicators": ["*", "&a", "!tag", "|", ">", "%x", "@x", "`x", "#c", "a #c", "a#c", "a: b", "a:b", "key:", "- x", "-x", "? x", "?x", "[x]", "x]", "{x}", "x,y", "---", "--x", "'q'", "\"d\""],
                "spaces": [" lead", "trail ", "in side", "tab\there", "bell\u{7}", "esc\u{1b}", "é ☃", "😀", "nbsp\u{a0}x", "bom\u{feff}x"],
                "merge": "<<",
                "dash": "-1.5e-3",
            }),
            &r#"
bools:
- "true"
- "False"
- "yes"
- "No"
- "on"
- "OFF"
- "y"
- "n"
dash: "-1.5e-3"
indicators:
- '*'
- '&a'
- '!tag'
- '|'
- '>'
- '%x'
- '@x'
- '`x'
- '#c'
- 'a #c'
- a#c
- 'a: b'
- a:b
- 'key:'
- '- x'
- -x
- '? x'
- ?x
- '[x]'
- x]
- '{x}'
- x,y
- '---'
- --x
- '''q'''
- '"d"'
merge: <<
nulls:
- ""
- "~"
- "null"
- "NULL"
numbers:
- "1"
- "-1"
- "+1"
- "0x1F"
- "0o17"
- "017"
- "08"
- "1.5"
- ".5"
- "1e3"
- "1_000"
- "12:30"
- "1:20:30.5"
- 8080:80
- 1.2.3
- '-'
- +x
- .
- '...'
spaces:
- ' lead'
- 'trail '
- in side
- "tab\there"
- "bell\a"
- "esc\e"
- é ☃
- "\U0001F600"
- nbsp x
- "bom\uFEFFx"
time:
- "2025-01-01T00:00:00Z"
- "2025-1-1"
- "2025-01-01 10:00:00"
- 2025-02-30
- "2025-01-01T00:00:00+01:00"
- 2025-13-01
- "20250101"
"#
            .replace("nbsp x", "nbsp\u{a0}x"),
        );
    }

    /// Each of these printed as kubectl v1.32.4 prints it (see the module doc).
    #[test]
    fn quoting_edge_cases() {
        check(
            json!([
                "0b101",
                "-0x1f",
                "99999999999999999999999",
                "1e999",
                ".5e999",
                "+.inf",
                "-.Inf",
                ".nan",
                "0.",
                "1__0",
                "2024-02-29",
                "2025-02-29",
                "2025-01-01t10:00:00.123Z",
                "2025-01-01T25:00:00Z",
                "2025-01-01T10:00:00",
                "a\u{2028}b",
                "x\ry",
                "two  spaces"
            ]),
            "
- \"0b101\"
- \"-0x1f\"
- \"99999999999999999999999\"
- 1e999
- .5e999
- \"+.inf\"
- \"-.Inf\"
- \".nan\"
- \"0.\"
- \"1__0\"
- \"2024-02-29\"
- 2025-02-29
- \"2025-01-01t10:00:00.123Z\"
- 2025-01-01T25:00:00Z
- 2025-01-01T10:00:00
- 'a\u{2028}  b'
- \"x\\ry\"
- two  spaces
",
        );
    }

    #[test]
    fn multiline_strings() {
        check(
            json!({
                "a": "line1\nline2\n",
                "b": "line1\nline2",
                "c": "line1\n\n",
                "d": "  indented\nnext",
                "e": "\n",
                "f": "trailing space \nnext",
                "g": "tab\tinside\nnext",
                "list": ["x\ny"],
                "nested": {"script": "#!/bin/sh\necho hi\n\nexit 0\n"},
            }),
            r#"
a: |
  line1
  line2
b: |-
  line1
  line2
c: |+
  line1

d: |2-
    indented
  next
e: |2+

f: "trailing space \nnext"
g: "tab\tinside\nnext"
list:
- |-
  x
  y
nested:
  script: |
    #!/bin/sh
    echo hi

    exit 0
"#,
        );
    }

    #[test]
    fn long_lines_fold_after_80_columns() {
        let words = "The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi. Container app was using 900Mi, request is 0, has larger consumption of memory.";
        check(
            json!({"status": {"message": words, "plain": "aaaa ".repeat(20).trim_end(), "quoted": "true ".repeat(20).trim_end(), "nospace": "x".repeat(100)}}),
            r#"
status:
  message: 'The node was low on resource: memory. Threshold quantity: 100Mi, available:
    50Mi. Container app was using 900Mi, request is 0, has larger consumption of memory.'
  nospace: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
  plain: aaaa aaaa aaaa aaaa aaaa aaaa aaaa aaaa aaaa aaaa aaaa aaaa aaaa aaaa aaaa
    aaaa aaaa aaaa aaaa aaaa
  quoted: true true true true true true true true true true true true true true true
    true true true true true
"#,
        );
    }

    #[test]
    fn keys_that_cannot_be_simple() {
        let long = "k".repeat(129);
        let mut map = Map::new();
        map.insert("a\nb".to_string(), json!("v"));
        map.insert(long.clone(), json!(["x"]));
        map.insert("".to_string(), json!(1));
        map.insert("true".to_string(), json!("yes"));
        check(Value::Object(map), &format!("\n\"\": 1\n? |-\n  a\n  b\n: v\n? {long}\n: - x\n\"true\": \"yes\"\n"));
    }

    #[test]
    fn key_order_is_go_yamls() {
        let input =
            ["item10", "item9", "aZ", "a_b", "B", "a", "a1", "a01", "a001", "zone", "app.kubernetes.io/name", "app"];
        let mut keys: Vec<&str> = input.to_vec();
        sort_keys(&mut keys);
        // A non-letter sorts before a letter, and `_` has no digits so its "number" is 0.
        assert_eq!(
            keys,
            ["B", "a", "a_b", "a1", "a01", "a001", "aZ", "app", "app.kubernetes.io/name", "item9", "item10", "zone"]
        );
    }

    #[test]
    fn numbers() {
        check(
            json!([1, -2, 0.5, 2.0, 1234567.5, 1e21, 0.00001, u64::MAX, true, null]),
            r#"
- 1
- -2
- 0.5
- 2
- 1.2345675e+06
- 1e+21
- 1e-05
- 18446744073709551615
- true
- null
"#,
        );
    }

    /// A pod as `kubectl annotate --local -f pod.yaml x=y -o yaml` (v1.32.4) prints it, except
    /// for the condition's `lastProbeTime: null`, a null that k8s-openapi does not keep.
    #[test]
    fn pod_as_kubectl_prints_it() {
        const POD: &str = r#"
apiVersion: v1
kind: Pod
metadata:
  name: web-5d78c9b6f5-abcde
  namespace: default
  creationTimestamp: "2025-01-01T00:00:00Z"
  annotations: {x: "y"}
  labels: {app: web, pod-template-hash: 5d78c9b6f5}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d78c9b6f5, uid: 8f9e1c2a-1111-2222-3333-444455556666, controller: true, blockOwnerDeletion: true}]
  managedFields: [{manager: kube-controller-manager, operation: Update, apiVersion: v1, time: "2025-01-01T00:00:00Z"}]
  resourceVersion: "1234"
  uid: 0b1c2d3e-aaaa-bbbb-cccc-ddddeeeeffff
spec:
  containers:
  - name: app
    image: nginx:1.27
    command: [sh, -c, "echo hello; sleep 3600"]
    args: ["--port=8080", "--verbose", "true", "0755"]
    env:
    - {name: GREETING, value: "hello world"}
    - {name: EMPTY, value: ""}
    - {name: NUM, value: "42"}
    - name: POD_IP
      valueFrom: {fieldRef: {apiVersion: v1, fieldPath: status.podIP}}
    ports: [{containerPort: 8080, name: http, protocol: TCP}]
    resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 256Mi}}
    readinessProbe: {httpGet: {path: /healthz, port: 8080, scheme: HTTP}, periodSeconds: 10, failureThreshold: 3}
    volumeMounts: [{name: kube-api-access-abcde, mountPath: /var/run/secrets/kubernetes.io/serviceaccount, readOnly: true}]
  dnsPolicy: ClusterFirst
  nodeName: node-1
  restartPolicy: Always
  terminationGracePeriodSeconds: 30
  tolerations:
  - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 300}
  securityContext: {}
  volumes:
  - name: kube-api-access-abcde
    projected:
      defaultMode: 420
      sources:
      - serviceAccountToken: {expirationSeconds: 3607, path: token}
      - configMap: {name: kube-root-ca.crt, items: [{key: ca.crt, path: ca.crt}]}
status:
  phase: Running
  podIP: 10.244.1.5
  podIPs: [{ip: 10.244.1.5}]
  conditions:
  - {type: Ready, status: "True", lastProbeTime: null, lastTransitionTime: "2025-01-01T00:00:10Z"}
  containerStatuses:
  - name: app
    image: nginx:1.27
    imageID: docker.io/library/nginx@sha256:0123456789abcdef
    ready: true
    restartCount: 3
    started: true
    state: {running: {startedAt: "2025-01-01T00:00:05Z"}}
    lastState: {terminated: {exitCode: 137, reason: OOMKilled, message: "Container app exceeded its memory limit of 256Mi and was killed by the kernel OOM killer; this is a long message that should fold somewhere past eighty columns", finishedAt: "2025-01-01T00:00:04Z"}}
"#;
        let pod = decode_one(POD).unwrap();
        let expect = r#"
apiVersion: v1
kind: Pod
metadata:
  annotations:
    x: "y"
  creationTimestamp: "2025-01-01T00:00:00Z"
  labels:
    app: web
    pod-template-hash: 5d78c9b6f5
  name: web-5d78c9b6f5-abcde
  namespace: default
  ownerReferences:
  - apiVersion: apps/v1
    blockOwnerDeletion: true
    controller: true
    kind: ReplicaSet
    name: web-5d78c9b6f5
    uid: 8f9e1c2a-1111-2222-3333-444455556666
  resourceVersion: "1234"
  uid: 0b1c2d3e-aaaa-bbbb-cccc-ddddeeeeffff
spec:
  containers:
  - args:
    - --port=8080
    - --verbose
    - "true"
    - "0755"
    command:
    - sh
    - -c
    - echo hello; sleep 3600
    env:
    - name: GREETING
      value: hello world
    - name: EMPTY
      value: ""
    - name: NUM
      value: "42"
    - name: POD_IP
      valueFrom:
        fieldRef:
          apiVersion: v1
          fieldPath: status.podIP
    image: nginx:1.27
    name: app
    ports:
    - containerPort: 8080
      name: http
      protocol: TCP
    readinessProbe:
      failureThreshold: 3
      httpGet:
        path: /healthz
        port: 8080
        scheme: HTTP
      periodSeconds: 10
    resources:
      limits:
        memory: 256Mi
      requests:
        cpu: 100m
        memory: 128Mi
    volumeMounts:
    - mountPath: /var/run/secrets/kubernetes.io/serviceaccount
      name: kube-api-access-abcde
      readOnly: true
  dnsPolicy: ClusterFirst
  nodeName: node-1
  restartPolicy: Always
  securityContext: {}
  terminationGracePeriodSeconds: 30
  tolerations:
  - effect: NoExecute
    key: node.kubernetes.io/not-ready
    operator: Exists
    tolerationSeconds: 300
  volumes:
  - name: kube-api-access-abcde
    projected:
      defaultMode: 420
      sources:
      - serviceAccountToken:
          expirationSeconds: 3607
          path: token
      - configMap:
          items:
          - key: ca.crt
            path: ca.crt
          name: kube-root-ca.crt
status:
  conditions:
  - lastTransitionTime: "2025-01-01T00:00:10Z"
    status: "True"
    type: Ready
  containerStatuses:
  - image: nginx:1.27
    imageID: docker.io/library/nginx@sha256:0123456789abcdef
    lastState:
      terminated:
        exitCode: 137
        finishedAt: "2025-01-01T00:00:04Z"
        message: Container app exceeded its memory limit of 256Mi and was killed by
          the kernel OOM killer; this is a long message that should fold somewhere
          past eighty columns
        reason: OOMKilled
    name: app
    ready: true
    restartCount: 3
    started: true
    state:
      running:
        startedAt: "2025-01-01T00:00:05Z"
  phase: Running
  podIP: 10.244.1.5
  podIPs:
  - ip: 10.244.1.5
"#;
        assert_eq!(object_yaml(&pod), expect.strip_prefix('\n').unwrap());
    }

    #[test]
    fn objects_lists_and_names() {
        let pod = decode_one(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: default, creationTimestamp: '2025-01-01T00:00:00Z',\n  managedFields: [{manager: kubectl, operation: Apply}], labels: {app: web}}\nspec: {containers: [{name: app, image: nginx}]}\nstatus: {phase: Pending}",
        )
        .unwrap();
        let deploy = decode_one(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default}\nspec: {selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: app, image: nginx}]}}}",
        )
        .unwrap();
        assert_eq!(
            object_yaml(&pod),
            r#"apiVersion: v1
kind: Pod
metadata:
  creationTimestamp: "2025-01-01T00:00:00Z"
  labels:
    app: web
  name: web
  namespace: default
spec:
  containers:
  - image: nginx
    name: app
status:
  phase: Pending
"#
        );
        assert_eq!(
            list_yaml(&[&pod]),
            r#"apiVersion: v1
items:
- apiVersion: v1
  kind: Pod
  metadata:
    creationTimestamp: "2025-01-01T00:00:00Z"
    labels:
      app: web
    name: web
    namespace: default
  spec:
    containers:
    - image: nginx
      name: app
  status:
    phase: Pending
kind: List
metadata:
  resourceVersion: ""
"#
        );
        assert_eq!(list_yaml(&[]), "apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: \"\"\n");
        assert_eq!(
            object_json(&pod),
            r#"{
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
        "creationTimestamp": "2025-01-01T00:00:00Z",
        "labels": {
            "app": "web"
        },
        "name": "web",
        "namespace": "default"
    },
    "spec": {
        "containers": [
            {
                "image": "nginx",
                "name": "app"
            }
        ]
    },
    "status": {
        "phase": "Pending"
    }
}
"#
        );
        assert_eq!(
            list_json(&[]),
            "{\n    \"apiVersion\": \"v1\",\n    \"items\": [],\n    \"kind\": \"List\",\n    \"metadata\": {\n        \"resourceVersion\": \"\"\n    }\n}\n"
        );
        assert_eq!(name(&pod), "pod/web");
        assert_eq!(names(&[&pod, &deploy]), "pod/web\ndeployment.apps/web\n");
        assert_eq!(names(&[]), "");
    }
}
