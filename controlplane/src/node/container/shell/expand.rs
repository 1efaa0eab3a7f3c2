//! Word expansion as POSIX sh does it: parameters (`$VAR`, `${VAR:-default}`, ...), command
//! substitution, arithmetic, field splitting of unquoted results and pathname expansion
//! against the container's files.

use brush_parser::ast::{ArithmeticExpr, ArithmeticTarget, BinaryOperator, UnaryAssignmentOperator, UnaryOperator};
use brush_parser::word::{Parameter, ParameterExpr, ParameterTestType, SpecialParameter, WordPiece};

use super::ir::{self, Word};
use super::{Shell, Sys, FUEL};
use crate::node::container::fs;

type Results<'a> = std::vec::IntoIter<String>;

#[derive(Default)]
struct Field {
    text: String,
    /// The text as a pattern: quoted characters escaped.
    pat: String,
    glob: bool,
}

#[derive(Default)]
struct Fields {
    done: Vec<Field>,
    cur: Option<Field>,
}

impl Fields {
    fn cur(&mut self) -> &mut Field {
        self.cur.get_or_insert_with(Field::default)
    }

    fn quoted(&mut self, s: &str) {
        let f = self.cur();
        f.text.push_str(s);
        for c in s.chars() {
            if matches!(c, '*' | '?' | '[' | ']' | '\\') {
                f.pat.push('\\');
            }
            f.pat.push(c);
        }
    }

    fn literal(&mut self, s: &str) {
        let f = self.cur();
        f.text.push_str(s);
        f.pat.push_str(s);
        f.glob |= s.contains(['*', '?', '[']);
    }

    /// An unquoted expansion: split at blanks (IFS's default).
    fn split(&mut self, s: &str) {
        const WS: [char; 3] = [' ', '\t', '\n'];
        if s.starts_with(WS) {
            self.end();
        }
        for (i, part) in s.split(WS).filter(|p| !p.is_empty()).enumerate() {
            if i > 0 {
                self.end();
            }
            self.literal(part);
        }
        if s.ends_with(WS) {
            self.end();
        }
    }

    fn end(&mut self) {
        if let Some(f) = self.cur.take() {
            self.done.push(f);
        }
    }
}

impl Shell {
    /// A word's fields (several after splitting, none for an empty unquoted expansion).
    pub(super) fn expand_word(
        &mut self,
        w: &Word,
        r: &mut Results<'_>,
        sys: &mut Sys<'_>,
    ) -> Result<Vec<String>, String> {
        let mut fields = Fields::default();
        self.pieces(w, false, &mut fields, r, sys)?;
        fields.end();
        let mut out = Vec::new();
        for f in fields.done {
            if f.glob {
                let matches = self.glob(&f.pat, sys);
                if !matches.is_empty() {
                    out.extend(matches);
                    continue;
                }
            }
            out.push(f.text);
        }
        Ok(out)
    }

    pub(super) fn expand_words(
        &mut self,
        ws: &[Word],
        r: &mut Results<'_>,
        sys: &mut Sys<'_>,
    ) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        for w in ws {
            out.extend(self.expand_word(w, r, sys)?);
        }
        Ok(out)
    }

    /// A word as one string (assignments, redirection targets, `case`).
    pub(super) fn expand_string_with(
        &mut self,
        w: &Word,
        r: &mut Results<'_>,
        sys: &mut Sys<'_>,
    ) -> Result<String, String> {
        let mut fields = Fields::default();
        self.pieces(w, true, &mut fields, r, sys)?;
        fields.end();
        Ok(fields.done.into_iter().map(|f| f.text).collect::<Vec<_>>().join(" "))
    }

    pub(super) fn expand_string(&mut self, w: &Word, sys: &mut Sys<'_>) -> Result<String, String> {
        self.expand_string_with(w, &mut Vec::new().into_iter(), sys)
    }

    /// A `case` pattern: quoted parts match literally.
    pub(super) fn expand_pattern(&mut self, w: &Word, sys: &mut Sys<'_>) -> Result<String, String> {
        let mut fields = Fields::default();
        self.pieces(w, true, &mut fields, &mut Vec::new().into_iter(), sys)?;
        fields.end();
        Ok(fields.done.into_iter().map(|f| f.pat).collect::<Vec<_>>().join(" "))
    }

    fn pieces(
        &mut self,
        w: &[WordPiece],
        nosplit: bool,
        fields: &mut Fields,
        r: &mut Results<'_>,
        sys: &mut Sys<'_>,
    ) -> Result<(), String> {
        for p in w {
            match p {
                WordPiece::Text(t) => fields.literal(t),
                WordPiece::SingleQuotedText(t) => fields.quoted(t),
                WordPiece::AnsiCQuotedText(t) => fields.quoted(&ansi_c(t)),
                WordPiece::EscapeSequence(t) => fields.quoted(t.strip_prefix('\\').unwrap_or(t)),
                WordPiece::DoubleQuotedSequence(inner) | WordPiece::GettextDoubleQuotedSequence(inner) => {
                    fields.quoted("");
                    for q in inner {
                        match &q.piece {
                            WordPiece::ParameterExpansion(ParameterExpr::Parameter {
                                parameter:
                                    Parameter::Special(SpecialParameter::AllPositionalParameters { concatenate: false }),
                                ..
                            }) => {
                                for (i, a) in self.args.clone().iter().enumerate() {
                                    if i > 0 {
                                        fields.end();
                                    }
                                    fields.quoted(a);
                                }
                            }
                            WordPiece::Text(t) => fields.quoted(&unescape_dq(t)),
                            WordPiece::EscapeSequence(t) => fields.quoted(&unescape_dq(t)),
                            other => {
                                let v = self.piece_value(other, r, sys)?;
                                fields.quoted(&v);
                            }
                        }
                    }
                }
                WordPiece::TildeExpansion(_) => fields.literal(self.var("HOME").unwrap_or("/root")),
                other => {
                    let v = self.piece_value(other, r, sys)?;
                    if nosplit {
                        fields.quoted(&v);
                    } else {
                        fields.split(&v);
                    }
                }
            }
        }
        Ok(())
    }

    /// The value of an expansion piece.
    fn piece_value(&mut self, p: &WordPiece, r: &mut Results<'_>, sys: &mut Sys<'_>) -> Result<String, String> {
        match p {
            WordPiece::ParameterExpansion(e) => self.parameter_expr(e, sys),
            WordPiece::CommandSubstitution(src) | WordPiece::BackquotedCommandSubstitution(src) => match r.next() {
                Some(v) => Ok(v),
                None => Ok(self.substitute_now(src, sys)),
            },
            WordPiece::ArithmeticExpression(e) => {
                let text = self.expand_string(&ir::pieces(&e.value)?, sys)?;
                let expr = brush_parser::arithmetic::parse(&text).map_err(|_| "arithmetic syntax error".to_string())?;
                Ok(self.arith(&expr)?.to_string())
            }
            WordPiece::Text(t) | WordPiece::SingleQuotedText(t) => Ok(t.clone()),
            WordPiece::EscapeSequence(t) => Ok(t.strip_prefix('\\').unwrap_or(t).to_string()),
            _ => Err("bad substitution".into()),
        }
    }

    /// A command substitution met inside `${...}`, where the shell cannot stop: it runs to its
    /// end at once on a clock of its own, and the time it took is owed: the command waits it
    /// out before it runs.
    fn substitute_now(&mut self, src: &str, sys: &mut Sys<'_>) -> String {
        let mut sub = Shell::new(&self.arg0, &[]);
        sub.vars = self.vars.clone();
        sub.funcs = self.funcs.clone();
        sub.args = self.args.clone();
        sub.cwd = self.cwd.clone();
        sub.pid = self.pid;
        let capture = sys.procs.capture();
        sub.io = super::Io { stdin: None, out: super::Sink::Pipe(capture), err: self.io.err.clone() };
        sub.start_script(src);
        let start = sys.now + self.owed;
        let mut now = start;
        // Bounded: a substitution that does not end within these turns is cut short.
        for _ in 0..1000 {
            let mut fuel = FUEL;
            let mut sub_sys = Sys { fs: sys.fs, now, hostname: sys.hostname, procs: sys.procs };
            match sub.run(&mut sub_sys, &mut fuel) {
                super::Run::Exited(_) => break,
                super::Run::Sleeping(t) if t - now < chrono::Duration::days(1) => now = t,
                super::Run::Busy => now += chrono::Duration::seconds(super::super::process::SLICE),
                _ => break,
            }
        }
        sub.end_children(sys);
        let err = sub.term.take_stream(1);
        self.term_write(1, &err);
        self.status = sub.exit.unwrap_or(sub.status);
        self.owed += now - start;
        let mut text = String::from_utf8_lossy(&sys.procs.take(capture)).into_owned();
        while text.ends_with('\n') {
            text.pop();
        }
        text
    }

    fn param(&self, p: &Parameter) -> Option<String> {
        match p {
            Parameter::Positional(0) => Some(self.arg0.clone()),
            Parameter::Positional(n) => self.args.get(*n as usize - 1).cloned(),
            Parameter::Named(n) => self.var(n).map(str::to_string),
            Parameter::Special(s) => Some(match s {
                SpecialParameter::AllPositionalParameters { .. } => self.args.join(" "),
                SpecialParameter::PositionalParameterCount => self.args.len().to_string(),
                SpecialParameter::LastExitStatus => self.status.to_string(),
                SpecialParameter::CurrentOptionFlags => String::new(),
                SpecialParameter::ProcessId => self.pid.to_string(),
                SpecialParameter::LastBackgroundProcessId => self.last_bg.map(|p| p.to_string()).unwrap_or_default(),
                SpecialParameter::ShellName => self.arg0.clone(),
            }),
            _ => None,
        }
    }

    fn word_text(&mut self, text: &Option<String>, sys: &mut Sys<'_>) -> Result<String, String> {
        match text {
            Some(t) => {
                let w = ir::pieces(t)?;
                self.expand_string(&w, sys)
            }
            None => Ok(String::new()),
        }
    }

    fn parameter_expr(&mut self, e: &ParameterExpr, sys: &mut Sys<'_>) -> Result<String, String> {
        let unset = |v: &Option<String>, t: &ParameterTestType| match t {
            ParameterTestType::UnsetOrNull => v.as_deref().is_none_or(str::is_empty),
            ParameterTestType::Unset => v.is_none(),
        };
        match e {
            ParameterExpr::Parameter { parameter, indirect: false } => Ok(self.param(parameter).unwrap_or_default()),
            ParameterExpr::UseDefaultValues { parameter, test_type, default_value, indirect: false } => {
                let v = self.param(parameter);
                if unset(&v, test_type) {
                    self.word_text(default_value, sys)
                } else {
                    Ok(v.unwrap_or_default())
                }
            }
            ParameterExpr::AssignDefaultValues { parameter, test_type, default_value, indirect: false } => {
                let v = self.param(parameter);
                if !unset(&v, test_type) {
                    return Ok(v.unwrap_or_default());
                }
                let d = self.word_text(default_value, sys)?;
                match parameter {
                    Parameter::Named(n) => self.set_var(n, d.clone()),
                    p => return Err(format!("{}: bad variable name", p.to_string().trim_start_matches('$'))),
                }
                Ok(d)
            }
            ParameterExpr::UseAlternativeValue { parameter, test_type, alternative_value, indirect: false } => {
                let v = self.param(parameter);
                if unset(&v, test_type) {
                    Ok(String::new())
                } else {
                    self.word_text(alternative_value, sys)
                }
            }
            ParameterExpr::IndicateErrorIfNullOrUnset { parameter, test_type, error_message, indirect: false } => {
                let v = self.param(parameter);
                if !unset(&v, test_type) {
                    return Ok(v.unwrap_or_default());
                }
                let name = parameter.to_string().trim_start_matches('$').trim_matches(['{', '}']).to_string();
                let msg = match error_message {
                    Some(_) => self.word_text(error_message, sys)?,
                    None if matches!(test_type, ParameterTestType::Unset) => "parameter not set".into(),
                    None => "parameter null or not set".into(),
                };
                Err(format!("{name}: {msg}"))
            }
            ParameterExpr::ParameterLength { parameter, indirect: false } => {
                Ok(self.param(parameter).unwrap_or_default().chars().count().to_string())
            }
            ParameterExpr::RemoveSmallestSuffixPattern { parameter, pattern, indirect: false }
            | ParameterExpr::RemoveLargestSuffixPattern { parameter, pattern, indirect: false }
            | ParameterExpr::RemoveSmallestPrefixPattern { parameter, pattern, indirect: false }
            | ParameterExpr::RemoveLargestPrefixPattern { parameter, pattern, indirect: false } => {
                let v = self.param(parameter).unwrap_or_default();
                let pat = match pattern {
                    Some(p) => {
                        let w = ir::pieces(p)?;
                        self.expand_pattern(&w, sys)?
                    }
                    None => String::new(),
                };
                let (suffix, largest) = match e {
                    ParameterExpr::RemoveSmallestSuffixPattern { .. } => (true, false),
                    ParameterExpr::RemoveLargestSuffixPattern { .. } => (true, true),
                    ParameterExpr::RemoveSmallestPrefixPattern { .. } => (false, false),
                    _ => (false, true),
                };
                Ok(remove_pattern(&v, &pat, suffix, largest))
            }
            _ => Err("bad substitution".into()),
        }
    }

    /// `$((...))` over 64-bit integers, as ash computes it.
    fn arith(&mut self, e: &ArithmeticExpr) -> Result<i64, String> {
        Ok(match e {
            ArithmeticExpr::Literal(n) => *n,
            ArithmeticExpr::Reference(t) => self.arith_get(t)?,
            ArithmeticExpr::UnaryOp(op, a) => {
                let a = self.arith(a)?;
                match op {
                    UnaryOperator::UnaryPlus => a,
                    UnaryOperator::UnaryMinus => a.wrapping_neg(),
                    UnaryOperator::BitwiseNot => !a,
                    UnaryOperator::LogicalNot => i64::from(a == 0),
                }
            }
            ArithmeticExpr::BinaryOp(op, a, b) => {
                if matches!(op, BinaryOperator::LogicalAnd | BinaryOperator::LogicalOr) {
                    let a = self.arith(a)? != 0;
                    let and = matches!(op, BinaryOperator::LogicalAnd);
                    if a != and {
                        return Ok(i64::from(a));
                    }
                    return Ok(i64::from(self.arith(b)? != 0));
                }
                let (a, b) = (self.arith(a)?, self.arith(b)?);
                binary(op, a, b)?
            }
            ArithmeticExpr::Conditional(c, a, b) => {
                if self.arith(c)? != 0 {
                    self.arith(a)?
                } else {
                    self.arith(b)?
                }
            }
            ArithmeticExpr::Assignment(t, v) => {
                let v = self.arith(v)?;
                self.arith_set(t, v)?;
                v
            }
            ArithmeticExpr::BinaryAssignment(op, t, v) => {
                let (a, b) = (self.arith_get(t)?, self.arith(v)?);
                let v = binary(op, a, b)?;
                self.arith_set(t, v)?;
                v
            }
            ArithmeticExpr::UnaryAssignment(op, t) => {
                let old = self.arith_get(t)?;
                let (new, result) = match op {
                    UnaryAssignmentOperator::PrefixIncrement => (old.wrapping_add(1), old.wrapping_add(1)),
                    UnaryAssignmentOperator::PrefixDecrement => (old.wrapping_sub(1), old.wrapping_sub(1)),
                    UnaryAssignmentOperator::PostfixIncrement => (old.wrapping_add(1), old),
                    UnaryAssignmentOperator::PostfixDecrement => (old.wrapping_sub(1), old),
                };
                self.arith_set(t, new)?;
                result
            }
        })
    }

    fn arith_get(&self, t: &ArithmeticTarget) -> Result<i64, String> {
        let ArithmeticTarget::Variable(name) = t else { return Err("arithmetic syntax error".into()) };
        let v = self.var(name).unwrap_or("").trim();
        if v.is_empty() {
            return Ok(0);
        }
        parse_int(v).ok_or_else(|| "arithmetic syntax error".to_string())
    }

    fn arith_set(&mut self, t: &ArithmeticTarget, v: i64) -> Result<(), String> {
        let ArithmeticTarget::Variable(name) = t else { return Err("arithmetic syntax error".into()) };
        self.set_var(name, v.to_string());
        Ok(())
    }

    /// Pathname expansion: the sorted paths matching `pat` (empty when none match).
    fn glob(&self, pat: &str, sys: &Sys<'_>) -> Vec<String> {
        let absolute = pat.starts_with('/');
        let mut found: Vec<String> = vec![String::new()];
        for part in pat.split('/').filter(|p| !p.is_empty()) {
            let mut next = Vec::new();
            for prefix in &found {
                let dir = if absolute || !prefix.is_empty() {
                    fs::normalize(&self.cwd, if prefix.is_empty() { "/" } else { prefix })
                } else {
                    self.cwd.clone()
                };
                let join = |name: &str| {
                    if prefix.is_empty() {
                        if absolute {
                            format!("/{name}")
                        } else {
                            name.to_string()
                        }
                    } else {
                        format!("{prefix}/{name}")
                    }
                };
                if part.contains(['*', '?', '[']) {
                    for e in sys.fs.list(&dir).unwrap_or_default() {
                        if (!e.name.starts_with('.') || part.starts_with('.')) && glob_match(part, &e.name) {
                            next.push(join(&e.name));
                        }
                    }
                } else {
                    let lit = unescape_pat(part);
                    let p = join(&lit);
                    if sys.fs.get(&fs::normalize(&self.cwd, &p)).is_some() {
                        next.push(p);
                    }
                }
            }
            found = next;
        }
        found.sort();
        found
    }
}

fn parse_int(v: &str) -> Option<i64> {
    let (neg, digits) = match v.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, v.strip_prefix('+').unwrap_or(v)),
    };
    let n = if let Some(h) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        i64::from_str_radix(h, 16).ok()?
    } else if digits.len() > 1 && digits.starts_with('0') {
        i64::from_str_radix(&digits[1..], 8).ok()?
    } else {
        digits.parse().ok()?
    };
    Some(if neg { n.wrapping_neg() } else { n })
}

fn binary(op: &BinaryOperator, a: i64, b: i64) -> Result<i64, String> {
    Ok(match op {
        BinaryOperator::Power => {
            if b < 0 {
                return Err("exponent less than 0".into());
            }
            a.wrapping_pow(b.min(u32::MAX as i64) as u32)
        }
        BinaryOperator::Multiply => a.wrapping_mul(b),
        BinaryOperator::Divide | BinaryOperator::Modulo if b == 0 => return Err("divide by zero".into()),
        BinaryOperator::Divide => a.wrapping_div(b),
        BinaryOperator::Modulo => a.wrapping_rem(b),
        BinaryOperator::Comma => b,
        BinaryOperator::Add => a.wrapping_add(b),
        BinaryOperator::Subtract => a.wrapping_sub(b),
        BinaryOperator::ShiftLeft => a.wrapping_shl(b as u32),
        BinaryOperator::ShiftRight => a.wrapping_shr(b as u32),
        BinaryOperator::LessThan => i64::from(a < b),
        BinaryOperator::LessThanOrEqualTo => i64::from(a <= b),
        BinaryOperator::GreaterThan => i64::from(a > b),
        BinaryOperator::GreaterThanOrEqualTo => i64::from(a >= b),
        BinaryOperator::Equals => i64::from(a == b),
        BinaryOperator::NotEquals => i64::from(a != b),
        BinaryOperator::BitwiseAnd => a & b,
        BinaryOperator::BitwiseXor => a ^ b,
        BinaryOperator::BitwiseOr => a | b,
        BinaryOperator::LogicalAnd => i64::from(a != 0 && b != 0),
        BinaryOperator::LogicalOr => i64::from(a != 0 || b != 0),
    })
}

/// Backslashes inside double quotes escape only `$`, `` ` ``, `"`, `\` and newline.
fn unescape_dq(t: &str) -> String {
    let mut out = String::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek() {
                Some('$' | '`' | '"' | '\\') => out.extend(chars.next()),
                Some('\n') => {
                    chars.next();
                }
                _ => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn unescape_pat(p: &str) -> String {
    let mut out = String::new();
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.extend(chars.next());
        } else {
            out.push(c);
        }
    }
    out
}

/// `$'...'` escapes.
fn ansi_c(t: &str) -> String {
    let mut out = String::new();
    let mut chars = t.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('e') => out.push('\x1b'),
            Some('0') => out.push('\0'),
            Some(c) => out.push(c),
            None => out.push('\\'),
        }
    }
    out
}

/// Shell pattern matching (`*`, `?`, `[...]`, `\x`), iteratively so no input can recurse deep.
pub fn glob_match(pat: &str, s: &str) -> bool {
    let p: Vec<char> = pat.chars().collect();
    let t: Vec<char> = s.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        let step = if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ti));
                    pi += 1;
                    continue;
                }
                '?' => Some(pi + 1),
                '[' => match class(&p, pi, t[ti]) {
                    Some((true, end)) => Some(end),
                    Some((false, _)) => None,
                    None => (t[ti] == '[').then_some(pi + 1),
                },
                '\\' if pi + 1 < p.len() => (p[pi + 1] == t[ti]).then_some(pi + 2),
                c => (c == t[ti]).then_some(pi + 1),
            }
        } else {
            None
        };
        match step {
            Some(next) => {
                pi = next;
                ti += 1;
            }
            None => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// A bracket expression at `p[start]`: whether `c` matches, and where it ends.
fn class(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = matches!(p.get(i), Some('!' | '^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == ']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            if p[i] <= c && c <= p[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if p[i] == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

fn remove_pattern(v: &str, pat: &str, suffix: bool, largest: bool) -> String {
    let idx: Vec<usize> = v.char_indices().map(|(i, _)| i).chain([v.len()]).collect();
    let order: Box<dyn Iterator<Item = &usize>> = match (suffix, largest) {
        (false, false) => Box::new(idx.iter()),
        (false, true) => Box::new(idx.iter().rev()),
        (true, false) => Box::new(idx.iter().rev()),
        (true, true) => Box::new(idx.iter()),
    };
    for &i in order {
        if suffix {
            if glob_match(pat, &v[i..]) {
                return v[..i].to_string();
            }
        } else if glob_match(pat, &v[..i]) {
            return v[i..].to_string();
        }
    }
    v.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(glob_match("*.txt", "a.txt"));
        assert!(!glob_match("*.txt", "a.txt.bak"));
        assert!(glob_match("a?c", "abc"));
        assert!(glob_match("[a-c]x", "bx"));
        assert!(!glob_match("[!a-c]x", "bx"));
        assert!(glob_match("\\*", "*"));
        assert!(!glob_match("\\*", "a"));
        assert!(glob_match("*", ""));
        assert_eq!(remove_pattern("file.tar.gz", ".*", true, false), "file.tar");
        assert_eq!(remove_pattern("file.tar.gz", ".*", true, true), "file");
        assert_eq!(remove_pattern("/a/b/c", "*/", false, true), "c");
        assert_eq!(parse_int("010"), Some(8));
    }
}
