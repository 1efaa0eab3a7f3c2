//! The shape of an input, for completion, inspection and highlighting: which of the three
//! kinds of input it is, and its tokens (with byte ranges) as a tolerant lexer sees them.
//! The lexer never fails: an unterminated string or comment runs to the end of the input.

/// The three kinds of input a session runs (as `Session::execute` decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A line whose first word is `kubectl`.
    Kubectl,
    /// A YAML document: its first line (after `#` comments and blank lines) starts with
    /// `apiVersion:`, `kind:` or `---`, as manifests do.
    Yaml,
    /// A Rhai script.
    Script,
}

impl Mode {
    pub fn of(code: &str) -> Mode {
        let trimmed = code.trim_start();
        if trimmed == "kubectl" || trimmed.starts_with("kubectl ") || trimmed.starts_with("kubectl\t") {
            Mode::Kubectl
        } else if is_yaml(trimmed) {
            Mode::Yaml
        } else {
            Mode::Script
        }
    }
}

fn is_yaml(code: &str) -> bool {
    // A YAML comment line; `#{` starts a Rhai map and `#!` a shebang.
    let comment = |l: &str| l.starts_with('#') && !l.starts_with("#{") && !l.starts_with("#!");
    let first = code.lines().map(str::trim_start).find(|l| !l.is_empty() && !comment(l));
    first.is_some_and(|l| l.starts_with("apiVersion:") || l.starts_with("kind:") || l.starts_with("---"))
}

/// What a token is, for colouring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Keyword,
    /// A name followed by `(`.
    Function,
    Ident,
    String,
    Number,
    Comment,
    /// `(`, `)`, `[`, `]`, `{`, `}` (and `#{`).
    Bracket,
    Operator,
    /// A kubectl flag (`-n`, `--output=yaml`).
    Flag,
    /// A YAML mapping key.
    Key,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// Byte range in the input.
    pub start: usize,
    pub end: usize,
    pub class: Class,
    /// False for a string or block comment that the input ends inside.
    pub closed: bool,
}

/// Rhai's keywords (and the literals and built-ins that read like them).
pub const KEYWORDS: &[&str] = &[
    "as", "break", "catch", "const", "continue", "do", "else", "export", "false", "fn", "for", "global", "if",
    "import", "in", "let", "loop", "private", "return", "switch", "this", "throw", "true", "try", "until", "while",
];

/// The tokens of an input, in order, in the way of its mode.
pub fn tokens(code: &str) -> Vec<Token> {
    match Mode::of(code) {
        Mode::Script => script_tokens(code),
        Mode::Kubectl => kubectl_tokens(code),
        Mode::Yaml => yaml_tokens(code),
    }
}

/// Rhai's identifiers are ASCII.
fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

pub(crate) fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Rhai tokens. Interpolations inside back-tick strings are part of the string.
pub fn script_tokens(code: &str) -> Vec<Token> {
    let chars: Vec<(usize, char)> = code.char_indices().collect();
    let at = |i: usize| chars.get(i).map(|c| c.1);
    let offset = |i: usize| chars.get(i).map_or(code.len(), |c| c.0);
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].1;
        let start = i;
        let mut closed = true;
        let class = if c.is_whitespace() {
            i += 1;
            continue;
        } else if c == '/' && at(i + 1) == Some('/') {
            while i < chars.len() && chars[i].1 != '\n' {
                i += 1;
            }
            Class::Comment
        } else if c == '/' && at(i + 1) == Some('*') {
            // Block comments nest in Rhai.
            let mut depth = 0;
            closed = false;
            while i < chars.len() {
                if chars[i].1 == '/' && at(i + 1) == Some('*') {
                    depth += 1;
                    i += 2;
                } else if chars[i].1 == '*' && at(i + 1) == Some('/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        closed = true;
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            Class::Comment
        } else if c == '"' || c == '`' || c == '\'' {
            i += 1;
            closed = false;
            while i < chars.len() {
                let d = chars[i].1;
                if d == '\\' && c != '`' {
                    i += 2;
                    continue;
                }
                i += 1;
                if d == c {
                    closed = true;
                    break;
                }
            }
            i = i.min(chars.len());
            Class::String
        } else if c.is_ascii_digit() {
            i += 1;
            while let Some(d) = at(i) {
                let exponent_sign = (d == '-' || d == '+') && matches!(at(i - 1), Some('e' | 'E'));
                let fraction = d == '.' && at(i + 1).is_some_and(|n| n.is_ascii_digit());
                if d.is_ascii_alphanumeric() || d == '_' || fraction || exponent_sign {
                    i += 1;
                } else {
                    break;
                }
            }
            Class::Number
        } else if is_ident_start(c) {
            while at(i).is_some_and(is_ident_char) {
                i += 1;
            }
            let word = &code[offset(start)..offset(i)];
            let mut j = i;
            while at(j).is_some_and(|d| d == ' ' || d == '\t') {
                j += 1;
            }
            if KEYWORDS.contains(&word) {
                Class::Keyword
            } else if at(j) == Some('(') || (at(j) == Some('!') && at(j + 1) == Some('(')) {
                Class::Function
            } else {
                Class::Ident
            }
        } else if c == '#' && at(i + 1) == Some('{') {
            i += 2;
            Class::Bracket
        } else if "()[]{}".contains(c) {
            i += 1;
            Class::Bracket
        } else if "+-*/%=!<>&|^?:.,;".contains(c) {
            i += 1;
            Class::Operator
        } else {
            i += 1;
            Class::Other
        };
        out.push(Token { start: offset(start), end: offset(i), class, closed });
    }
    out
}

/// Words of a kubectl line: `kubectl` itself, the verb, flags and quoted strings.
fn kubectl_tokens(code: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut words = 0;
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let mut quoted = None;
        let mut closed = true;
        while i < bytes.len() && (quoted.is_some() || !bytes[i].is_ascii_whitespace()) {
            match (quoted, bytes[i]) {
                (None, q @ (b'"' | b'\'')) => {
                    quoted = Some(q);
                    closed = false;
                }
                (Some(q), b) if b == q => {
                    quoted = None;
                    closed = true;
                }
                _ => {}
            }
            i += 1;
        }
        let word = &code[start..i];
        let class = if words < 2 {
            Class::Keyword
        } else if word.starts_with('-') {
            Class::Flag
        } else if word.starts_with(['"', '\'']) {
            Class::String
        } else {
            Class::Other
        };
        words += 1;
        out.push(Token { start, end: i, class, closed });
    }
    out
}

/// YAML: document markers, keys, comments; the rest of each line is one plain token.
fn yaml_tokens(code: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut line_start = 0;
    for line in code.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let indent = body.len() - body.trim_start().len();
        let rest = &body[indent..];
        let at = line_start + indent;
        if rest.starts_with('#') {
            out.push(Token { start: at, end: line_start + body.len(), class: Class::Comment, closed: true });
        } else if rest.starts_with("---") {
            out.push(Token { start: at, end: line_start + body.len(), class: Class::Keyword, closed: true });
        } else if !rest.is_empty() {
            let item = rest.strip_prefix("- ").map_or(0, |_| 2);
            let key_end = rest.find(": ").or_else(|| rest.strip_suffix(':').map(str::len));
            match key_end {
                Some(k) if k > item && !rest[item..k].contains(['"', '\'', '{', '[']) => {
                    out.push(Token { start: at + item, end: at + k, class: Class::Key, closed: true });
                    if at + k + 1 < line_start + body.len() {
                        out.push(Token {
                            start: at + k + 1,
                            end: line_start + body.len(),
                            class: Class::Other,
                            closed: true,
                        });
                    }
                }
                _ => out.push(Token { start: at, end: line_start + body.len(), class: Class::Other, closed: true }),
            }
        }
        line_start += line.len();
    }
    out
}

/// The bracket matching the one at the cursor (or just before it), as byte offsets of both:
/// `(at, matching)`. Brackets in strings and comments do not count.
pub fn matching_bracket(code: &str, cursor: usize) -> Option<(usize, usize)> {
    let brackets: Vec<Token> = tokens(code).into_iter().filter(|t| t.class == Class::Bracket).collect();
    let index = brackets
        .iter()
        .position(|t| t.start <= cursor && cursor < t.end)
        .or_else(|| brackets.iter().position(|t| t.end == cursor))?;
    let open = |t: &Token| matches!(code.as_bytes()[t.end - 1], b'(' | b'[' | b'{');
    let mut depth = 0i32;
    if open(&brackets[index]) {
        for t in &brackets[index..] {
            depth += if open(t) { 1 } else { -1 };
            if depth == 0 {
                return pair(code, &brackets[index], t).then_some((brackets[index].start, t.start));
            }
        }
    } else {
        for t in brackets[..=index].iter().rev() {
            depth += if open(t) { -1 } else { 1 };
            if depth == 0 {
                return pair(code, t, &brackets[index]).then_some((brackets[index].start, t.start));
            }
        }
    }
    None
}

/// Whether two bracket tokens are an open and its close.
fn pair(code: &str, open: &Token, close: &Token) -> bool {
    let o = code.as_bytes()[open.end - 1];
    let c = code.as_bytes()[close.start];
    matches!((o, c), (b'(', b')') | (b'[', b']') | (b'{', b'}'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tokens as `class:text` words.
    fn check(code: &str, expect: &str) {
        let got: Vec<String> = tokens(code)
            .iter()
            .map(|t| {
                let mark = if t.closed { "" } else { "…" };
                format!("{:?}:{}{mark}", t.class, &code[t.start..t.end])
            })
            .collect();
        assert_eq!(got.join(" "), expect, "{code}");
    }

    #[test]
    fn script() {
        check("let x = 1.5e-3;", "Keyword:let Ident:x Operator:= Number:1.5e-3 Operator:;");
        check("advance(\"90s\") // go", "Function:advance Bracket:( String:\"90s\" Bracket:) Comment:// go");
        check(
            "#{a: [1, 2]}",
            "Bracket:#{ Ident:a Operator:: Bracket:[ Number:1 Operator:, Number:2 Bracket:] Bracket:}",
        );
        check("print(\"a\\\"b", "Function:print Bracket:( String:\"a\\\"b…");
        check("/* a /* b */ c */ x", "Comment:/* a /* b */ c */ Ident:x");
        check("`x ${y}`; 'c'", "String:`x ${y}` Operator:; String:'c'");
        check("n.metadata.name", "Ident:n Operator:. Ident:metadata Operator:. Ident:name");
        check(
            "x.len() 1..3",
            "Ident:x Operator:. Function:len Bracket:( Bracket:) Number:1 Operator:. Operator:. Number:3",
        );
        check("\"größe\" x", "String:\"größe\" Ident:x");
    }

    #[test]
    fn kubectl_and_yaml() {
        check(
            "kubectl get pods -n kube-system \"a b\"",
            "Keyword:kubectl Keyword:get Other:pods Flag:-n Other:kube-system String:\"a b\"",
        );
        check(
            "apiVersion: v1\nkind: Pod # x\n# c\n- name: a\n---\n",
            "Key:apiVersion Other: v1 Key:kind Other: Pod # x Comment:# c Key:name Other: a Keyword:---",
        );
    }

    #[test]
    fn brackets() {
        let check = |code: &str, cursor: usize, expect: Option<(usize, usize)>| {
            assert_eq!(matching_bracket(code, cursor), expect, "{code} at {cursor}")
        };
        check("f(a[1], \")\")", 1, Some((1, 11)));
        check("f(a[1], \")\")", 12, Some((11, 1)));
        check("f(a[1], \")\")", 3, Some((3, 5)));
        check("f(a[1], \")\")", 0, None);
        check("#{a: 1}", 0, Some((0, 6)));
        check("(]", 0, None);
        check("((", 0, None);
    }
}
