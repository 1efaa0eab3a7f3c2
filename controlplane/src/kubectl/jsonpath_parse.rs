//! The parser of kubectl's JSONPath templates, a port of client-go's `util/jsonpath/parser.go`.
//!
//! A template is text with actions in braces: `name: {.metadata.name}{"\n"}`. The parse is a
//! flat list: [`Node::Text`] for text outside braces and [`Node::List`] for each action, whose
//! nodes are applied one after another (`.metadata` then `.name`). The parser keeps client-go's
//! quirks, because they decide what real templates print:
//!
//! - `['a.b']` is re-parsed as `.a.b`, so a dotted key in quotes is two fields; only a
//!   backslash escapes a dot (`.metadata.labels.app\.kubernetes\.io/name`);
//! - a filter is split at its first run of `!<>=` characters (`[?(@.a==1)]`), and without one
//!   it is an existence test (`[?(@.a)]`);
//! - `range` and `end` are identifiers inside an action, evaluated, not parsed, as blocks;
//! - errors are client-go's texts (`unclosed action`, `unterminated array`,
//!   `invalid array index x`, `unrecognized character in action: U+0023 '#'`).
//!
//! The Go parser recurses once per token; this one loops, so a long template cannot exhaust
//! the stack.

/// One node of a parsed template.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    /// An action: its nodes in order.
    List(Vec<Node>),
    /// Text outside braces, or a quoted string inside an action.
    Text(String),
    /// `.name`: a key of a map.
    Field(String),
    /// `[i]`, `[a:b:c]`, `[*]`.
    Array([Param; 3]),
    /// `[?(left op right)]`; `op` is `exists` for `[?(@.a)]`.
    Filter {
        left: Vec<Node>,
        right: Vec<Node>,
        op: String,
    },
    Int(i64),
    Float(f64),
    Bool(bool),
    /// `.*`.
    Wildcard,
    /// `..`.
    Recursive,
    /// `[a,b]`: each alternative's nodes.
    Union(Vec<Vec<Node>>),
    /// `range`, `end`, or a word that is an error when evaluated.
    Identifier(String),
}

/// One of the three numbers of an array index (`start:end:step`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Param {
    pub value: i64,
    pub known: bool,
    /// `end` was not written and is `start + 1` (`[i]`).
    pub derived: bool,
}

const EOF: Option<char> = None;

/// Parse a template into its top-level nodes.
pub(crate) fn parse(template: &str) -> Result<Vec<Node>, String> {
    Parser { input: template, pos: 0, start: 0, width: 0 }.parse()
}

/// Parse `text` as the inside of one action, as client-go's `parseAction` does.
fn parse_action(text: &str) -> Result<Vec<Node>, String> {
    let nodes = parse(&format!("{{{text}}}"))?;
    match nodes.into_iter().next() {
        Some(Node::List(list)) => Ok(list),
        _ => Ok(Vec::new()),
    }
}

struct Parser<'a> {
    input: &'a str,
    pos: usize,
    start: usize,
    width: usize,
}

impl Parser<'_> {
    fn parse(&mut self) -> Result<Vec<Node>, String> {
        let mut root = Vec::new();
        loop {
            // Text up to the next `{`.
            loop {
                if self.input[self.pos..].starts_with('{') {
                    if self.pos > self.start {
                        root.push(Node::Text(self.consume()));
                    }
                    break;
                }
                if self.next() == EOF {
                    if self.pos > self.start {
                        root.push(Node::Text(self.consume()));
                    }
                    return Ok(root);
                }
            }
            self.pos += 1;
            self.consume();
            let mut cur = Vec::new();
            self.parse_inside_action(&mut cur)?;
            root.push(Node::List(cur));
        }
    }

    fn consume(&mut self) -> String {
        let value = self.input[self.start..self.pos].to_string();
        self.start = self.pos;
        value
    }

    fn next(&mut self) -> Option<char> {
        match self.input[self.pos..].chars().next() {
            Some(c) => {
                self.width = c.len_utf8();
                self.pos += self.width;
                Some(c)
            }
            None => {
                self.width = 0;
                None
            }
        }
    }

    fn peek(&mut self) -> Option<char> {
        let r = self.next();
        self.backup();
        r
    }

    fn backup(&mut self) {
        self.pos -= self.width;
    }

    /// The byte two before the current position (the one before a just-read quote).
    fn escaped(&self) -> bool {
        self.pos >= 2 && self.input.as_bytes()[self.pos - 2] == b'\\'
    }

    /// Parse the nodes of one action until its `}`.
    fn parse_inside_action(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        loop {
            let rest = &self.input[self.pos..];
            if rest.starts_with('}') {
                self.pos += 1;
                self.consume();
                return Ok(());
            }
            if rest.starts_with("[?(") {
                self.parse_filter(cur)?;
                continue;
            }
            if rest.starts_with("..") {
                self.parse_recursive(cur)?;
                continue;
            }
            match self.next() {
                None | Some('\r' | '\n') => return Err("unclosed action".into()),
                Some(' ' | '@' | '$') => {
                    self.consume();
                }
                Some('[') => self.parse_array(cur)?,
                Some(q @ ('"' | '\'')) => self.parse_quote(cur, q)?,
                Some('.') => self.parse_field(cur),
                Some(c) if c == '+' || c == '-' || is_digit(c) => {
                    self.backup();
                    self.parse_number(cur)?;
                }
                Some(c) if is_alphanumeric(c) => {
                    self.backup();
                    self.parse_identifier(cur);
                }
                Some(c) => return Err(format!("unrecognized character in action: {}", go_unicode(c))),
            }
        }
    }

    fn parse_identifier(&mut self, cur: &mut Vec<Node>) {
        loop {
            let r = self.next();
            if is_terminator(r) {
                self.backup();
                break;
            }
        }
        let value = self.consume();
        cur.push(match value.as_str() {
            "true" => Node::Bool(true),
            "false" => Node::Bool(false),
            _ => Node::Identifier(value),
        });
    }

    fn parse_recursive(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        if matches!(cur.last(), Some(Node::Recursive)) {
            return Err("invalid multiple recursive descent".into());
        }
        self.pos += 2;
        self.consume();
        cur.push(Node::Recursive);
        if self.peek().is_some_and(is_alphanumeric) {
            self.parse_field(cur);
        }
        Ok(())
    }

    fn parse_number(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        if matches!(self.peek(), Some('+' | '-')) {
            self.next();
        }
        loop {
            match self.next() {
                Some(c) if c == '.' || is_digit(c) => {}
                _ => {
                    self.backup();
                    break;
                }
            }
        }
        let value = self.consume();
        if let Ok(i) = value.parse::<i64>() {
            cur.push(Node::Int(i));
            return Ok(());
        }
        match value.parse::<f64>() {
            Ok(f) if f.is_finite() && value.bytes().any(|b| b.is_ascii_digit()) => {
                cur.push(Node::Float(f));
                Ok(())
            }
            _ => Err(format!("cannot parse number {value}")),
        }
    }

    fn parse_array(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        loop {
            match self.next() {
                None | Some('\n') => return Err("unterminated array".into()),
                Some(']') => break,
                _ => {}
            }
        }
        let text = self.consume();
        let mut text = &text[1..text.len() - 1];
        if text == "*" {
            text = ":";
        }
        let parts: Vec<&str> = text.split(',').collect();
        if parts.len() > 1 {
            let mut union = Vec::with_capacity(parts.len());
            for part in parts {
                union.push(parse_action(&format!("[{}]", part.trim_matches(' ')))?);
            }
            cur.push(Node::Union(union));
            return Ok(());
        }
        // A quoted key: `['name']` is `.name`.
        if let Some(key) = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
            if text.len() >= 2 && !key.contains('\'') {
                cur.extend(parse_action(&format!(".{key}"))?);
                return Ok(());
            }
        }
        let groups = slice_groups(text).ok_or_else(|| format!("invalid array index {text}"))?;
        let mut params = [Param::default(); 3];
        for i in 0..3 {
            let mut value = groups[i];
            if !value.is_empty() {
                if i > 0 {
                    value = &value[1..];
                }
                if i > 0 && value.is_empty() {
                    params[i].known = false;
                } else {
                    params[i].known = true;
                    params[i].value = go_atoi(value).ok_or_else(|| format!("array index {value} is not a number"))?;
                }
            } else if i == 1 {
                params[i] = Param { value: params[0].value.saturating_add(1), known: true, derived: true };
            } else {
                params[i] = Param::default();
            }
        }
        cur.push(Node::Array(params));
        Ok(())
    }

    fn parse_filter(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        self.pos += 3;
        self.consume();
        let (mut begin, mut end) = (false, false);
        let mut pair = '\0';
        loop {
            match self.next() {
                None | Some('\n') => return Err("unterminated filter".into()),
                Some(q @ ('"' | '\'')) => {
                    if !begin {
                        begin = true;
                        pair = q;
                        continue;
                    }
                    if !self.escaped() && q == pair {
                        end = true;
                    }
                }
                Some(')') if begin == end => break,
                _ => {}
            }
        }
        if self.next() != Some(']') {
            return Err("unclosed array expect ]".into());
        }
        let text = self.consume();
        let text = &text[..text.len() - 2];
        match split_comparison(text) {
            None => cur.push(Node::Filter { left: parse_action(text)?, right: Vec::new(), op: "exists".into() }),
            Some((left, op, right)) => {
                cur.push(Node::Filter { left: parse_action(left)?, right: parse_action(right)?, op: op.into() })
            }
        }
        Ok(())
    }

    fn parse_quote(&mut self, cur: &mut Vec<Node>, end: char) -> Result<(), String> {
        loop {
            match self.next() {
                None | Some('\n') => return Err("unterminated quoted string".into()),
                Some(c) if c == end && !self.escaped() => break,
                _ => {}
            }
        }
        let value = self.consume();
        let s = unquote_extend(&value).map_err(|e| format!("unquote string {value} error {e}"))?;
        cur.push(Node::Text(s));
        Ok(())
    }

    fn parse_field(&mut self, cur: &mut Vec<Node>) {
        self.consume();
        while self.advance() {}
        let value = self.consume();
        cur.push(if value == "*" { Node::Wildcard } else { Node::Field(value.replace('\\', "")) });
    }

    /// Scan one character of a field name; false at an unescaped terminator.
    fn advance(&mut self) -> bool {
        let r = self.next();
        if r == Some('\\') {
            self.next();
        } else if is_terminator(r) {
            self.backup();
            return false;
        }
        true
    }
}

fn is_terminator(r: Option<char>) -> bool {
    match r {
        None => true,
        Some(c) => matches!(c, ' ' | '\t' | '\r' | '\n' | '.' | ',' | '[' | ']' | '$' | '@' | '{' | '}'),
    }
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric())
}

fn is_alphanumeric(c: char) -> bool {
    c == '_' || c.is_alphabetic() || is_digit(c)
}

/// Go's `strconv.Atoi`: an optional sign and decimal digits that fit 64 bits.
fn go_atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The three groups of `^(-?[\d]*)(:-?[\d]*)?(:-?[\d]*)?$`, or `None` when it does not match.
fn slice_groups(text: &str) -> Option<[&str; 3]> {
    fn number(s: &str, at: usize) -> usize {
        let b = s.as_bytes();
        let mut i = at;
        if i < b.len() && b[i] == b'-' {
            i += 1;
        }
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        i
    }
    let mut groups = [""; 3];
    let end0 = number(text, 0);
    groups[0] = &text[..end0];
    let mut at = end0;
    for group in groups.iter_mut().skip(1) {
        if text[at..].starts_with(':') {
            let end = number(text, at + 1);
            *group = &text[at..end];
            at = end;
        }
    }
    (at == text.len()).then_some(groups)
}

/// `^([^!<>=]+)([!<>=]+)(.+?)$` on a filter's text: left side, operator, right side.
fn split_comparison(text: &str) -> Option<(&str, &str, &str)> {
    let is_op = |c: char| matches!(c, '!' | '<' | '>' | '=');
    let op_start = text.find(is_op)?;
    if op_start == 0 || text.contains(['\n', '\r']) {
        return None;
    }
    let after = &text[op_start..];
    let op_len = after.find(|c: char| !is_op(c)).unwrap_or(after.len());
    if op_len == after.len() {
        // The operator run reaches the end: the regexp gives its last character to the right side.
        if op_len < 2 {
            return None;
        }
        return Some((&text[..op_start], &after[..op_len - 1], &after[op_len - 1..]));
    }
    Some((&text[..op_start], &after[..op_len], &after[op_len..]))
}

/// Go's `%#U` of a rune: `U+0023 '#'`, or `U+0009` when it is not printable.
fn go_unicode(c: char) -> String {
    let code = format!("U+{:04X}", c as u32);
    if c.is_control() || c == '\u{ad}' || c.is_whitespace() && c != ' ' {
        code
    } else {
        format!("{code} '{c}'")
    }
}

/// client-go's `UnquoteExtend`: Go's `strconv.Unquote` for strings in double or single quotes.
fn unquote_extend(s: &str) -> Result<String, &'static str> {
    const SYNTAX: &str = "invalid syntax";
    let b = s.as_bytes();
    if b.len() < 2 || b[0] != b[b.len() - 1] || !matches!(b[0], b'"' | b'\'') {
        return Err(SYNTAX);
    }
    let quote = b[0] as char;
    let body = &s[1..s.len() - 1];
    if !body.contains(['\\', quote]) {
        return Ok(body.to_string());
    }
    let mut out: Vec<u8> = Vec::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c == quote {
            return Err(SYNTAX);
        }
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let e = chars.next().ok_or(SYNTAX)?;
        let simple = match e {
            'a' => Some(7u8),
            'b' => Some(8),
            'f' => Some(12),
            'n' => Some(b'\n'),
            'r' => Some(b'\r'),
            't' => Some(b'\t'),
            'v' => Some(11),
            '\\' => Some(b'\\'),
            '\'' | '"' if e == quote => Some(e as u8),
            _ => None,
        };
        if let Some(byte) = simple {
            out.push(byte);
            continue;
        }
        match e {
            'x' | 'u' | 'U' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let mut v: u32 = 0;
                for _ in 0..n {
                    let d = chars.next().and_then(|c| c.to_digit(16)).ok_or(SYNTAX)?;
                    v = (v << 4) | d;
                }
                if e == 'x' {
                    out.push(v as u8);
                } else {
                    let c = char::from_u32(v).ok_or(SYNTAX)?;
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
            '0'..='7' => {
                let mut v = e.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    let d = chars.next().and_then(|c| c.to_digit(8)).ok_or(SYNTAX)?;
                    v = (v << 3) | d;
                }
                if v > 255 {
                    return Err(SYNTAX);
                }
                out.push(v as u8);
            }
            _ => return Err(SYNTAX),
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parse of `template` printed compactly, or its error.
    fn check(template: &str, expect: &str) {
        let got = match parse(template) {
            Ok(nodes) => nodes.iter().map(show).collect::<Vec<_>>().join(" "),
            Err(e) => format!("error: {e}"),
        };
        assert_eq!(got, expect, "template {template:?}");
    }

    fn show(node: &Node) -> String {
        match node {
            Node::List(nodes) => format!("{{{}}}", nodes.iter().map(show).collect::<Vec<_>>().join(" ")),
            Node::Text(t) => format!("{t:?}"),
            Node::Field(f) => format!(".{f}"),
            Node::Array(p) => {
                let one = |p: &Param| match (p.known, p.derived) {
                    (false, _) => "_".to_string(),
                    (true, false) => p.value.to_string(),
                    (true, true) => format!("{}d", p.value),
                };
                format!("[{}:{}:{}]", one(&p[0]), one(&p[1]), one(&p[2]))
            }
            Node::Filter { left, right, op } => format!(
                "[?({} {op} {})]",
                left.iter().map(show).collect::<Vec<_>>().join(" "),
                right.iter().map(show).collect::<Vec<_>>().join(" ")
            ),
            Node::Int(i) => format!("int {i}"),
            Node::Float(f) => format!("float {f}"),
            Node::Bool(b) => format!("bool {b}"),
            Node::Wildcard => ".*".into(),
            Node::Recursive => "..".into(),
            Node::Union(u) => format!(
                "union({})",
                u.iter().map(|l| l.iter().map(show).collect::<Vec<_>>().join(" ")).collect::<Vec<_>>().join(" | ")
            ),
            Node::Identifier(i) => format!("ident {i}"),
        }
    }

    #[test]
    fn parses_as_client_go() {
        // The cases of client-go's parser_test.go.
        check("hello jsonpath", r#""hello jsonpath""#);
        check("{.hello}", "{.hello}");
        check("{.hello.world}", "{.hello .world}");
        check("{['book.price']}", "{.book .price}");
        check("{.hello\\.world}", "{.hello.world}");
        check("{[1]}", "{[1:2d:_]}");
        check("{[-1]}", "{[-1:0d:_]}");
        check("{[1:2]}", "{[1:2:_]}");
        check("{[:2]}", "{[_:2:_]}");
        check("{[1:]}", "{[1:_:_]}");
        check("{[1:2:3]}", "{[1:2:3]}");
        check("{[*]}", "{[_:_:_]}");
        check("{.*}", "{.*}");
        check("{..book}", "{.. .book}");
        check("{[?(@.price<3)]}", "{[?(.price < int 3)]}");
        check("{[?(@.price<3.5)]}", "{[?(.price < float 3.5)]}");
        check("{[?(@.isbn)]}", "{[?(.isbn exists )]}");
        check("{[?(@.title=='x y')]}", r#"{[?(.title == "x y")]}"#);
        check("{[?(@.a!=\"b\")]}", r#"{[?(.a != "b")]}"#);
        check("{[0,1]}", "{union([0:1d:_] | [1:2d:_])}");
        check("{['a', 'b']}", "{union(.a | .b)}");
        check("{range .items[*]}{.name}{end}", "{ident range .items [_:_:_]} {.name} {ident end}");
        check("{true}{false}", "{bool true} {bool false}");
        check(r#"{"\n"}{"\t"}{'x'}"#, r#"{"\n"} {"\t"} {"x"}"#);
        check("{@.a}{$.b}", "{.a} {.b}");
        check("a{.b}c", r#""a" {.b} "c""#);
        check("{.kind} {.apiVersion}", r#"{.kind} " " {.apiVersion}"#);
        check("{.a.b[?(@.c==\"d)\")].e}", r#"{.a .b [?(.c == "d)")] .e}"#);
        check("{.a==}", "{.a==}");
    }

    #[test]
    fn errors_as_client_go() {
        check("{.hello", "error: unclosed action");
        check("{.hello\n}", "error: unclosed action");
        check("{[1", "error: unterminated array");
        check("{[a]}", "error: invalid array index a");
        check("{[-]}", "error: array index - is not a number");
        check("{[?(@.a]}", "error: unterminated filter");
        check("{[?(@.a)}", "error: unclosed array expect ]");
        check("{\"abc}", "error: unterminated quoted string");
        check("{\"\\q\"}", "error: unquote string \"\\q\" error invalid syntax");
        check("{#}", "error: unrecognized character in action: U+0023 '#'");
        check("{\t}", "error: unrecognized character in action: U+0009");
        check("{....a}", "error: invalid multiple recursive descent");
        check("{1.2.3}", "error: cannot parse number 1.2.3");
        check("{[1,a]}", "error: invalid array index a");
    }

    #[test]
    fn split_comparison_like_the_regexp() {
        assert_eq!(split_comparison("@.a==1"), Some(("@.a", "==", "1")));
        assert_eq!(split_comparison("@.a>=1"), Some(("@.a", ">=", "1")));
        assert_eq!(split_comparison("@.a=="), Some(("@.a", "=", "=")));
        assert_eq!(split_comparison("@.a="), None);
        assert_eq!(split_comparison("==1"), None);
        assert_eq!(split_comparison("@.a"), None);
    }

    #[test]
    fn unquote() {
        assert_eq!(unquote_extend(r#""a\tb""#), Ok("a\tb".to_string()));
        assert_eq!(unquote_extend(r"'it\'s'"), Ok("it's".to_string()));
        assert_eq!(unquote_extend(r#""\u00e9\x41\101""#), Ok("éAA".to_string()));
        assert_eq!(unquote_extend(r#""\'""#), Err("invalid syntax"));
    }
}
