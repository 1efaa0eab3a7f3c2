//! Label selectors: the string form (`kubectl get -l ...`), the `metav1.LabelSelector` API type,
//! matching against an object's labels, and the canonical string form kubectl prints.
//!
//! Behaviour, validation and error texts follow k8s.io/apimachinery `pkg/labels/selector.go`,
//! `pkg/util/validation` and `pkg/apis/meta/v1/helpers.go` as released with Kubernetes 1.33.
//!
//! [`SelectorError`] is shared with [`super::field_selector`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};

use k8s_openapi::apimachinery::pkg::apis::meta::v1 as metav1;

use super::validation::aggregate;

/// An invalid label or field selector. `Display` gives the message the API server puts in its
/// `BadRequest` status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    /// A label selector (string or API object) that does not parse or validate.
    #[error("{0}")]
    InvalidLabelSelector(String),
    /// A field selector string that does not parse.
    #[error("{0}")]
    InvalidFieldSelector(String),
    /// A field the kind's own field-label conversion does not know (pods, nodes, events, ...).
    /// kubectl then prints `Error from server (BadRequest): Unable to find "/v1, Resource=pods"
    /// that match label selector "", field selector "foo=bar": field label not supported: foo`.
    #[error("field label not supported: {field}")]
    UnsupportedField { field: String },
    /// A field unknown to the default conversion, used by kinds without their own.
    #[error("{} is not a known field selector: only \"metadata.name\", \"metadata.namespace\"", go_quote(.field))]
    UnknownField { field: String },
}

/// The relation between a label's value and a requirement's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    Equals,
    DoubleEquals,
    NotEquals,
    In,
    NotIn,
    Exists,
    DoesNotExist,
    GreaterThan,
    LessThan,
}

impl Operator {
    /// Upstream's `selection.Operator` spelling (`=`, `==`, `!=`, `in`, `notin`, `exists`, `!`, `gt`, `lt`).
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Equals => "=",
            Operator::DoubleEquals => "==",
            Operator::NotEquals => "!=",
            Operator::In => "in",
            Operator::NotIn => "notin",
            Operator::Exists => "exists",
            Operator::DoesNotExist => "!",
            Operator::GreaterThan => "gt",
            Operator::LessThan => "lt",
        }
    }
}

/// One `key op values` term of a selector.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Requirement {
    key: String,
    operator: Operator,
    values: Vec<String>,
}

impl Requirement {
    /// Upstream's `NewRequirement`: validates the key, the values, and the number of values the
    /// operator takes; all problems are reported together.
    pub fn new(key: &str, operator: Operator, values: Vec<String>) -> Result<Requirement, SelectorError> {
        new_requirement(key, operator, values).map_err(SelectorError::InvalidLabelSelector)
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The values in the order given (the string parser sorts and deduplicates them).
    pub fn values(&self) -> &[String] {
        &self.values
    }

    fn has_value(&self, value: &str) -> bool {
        self.values.iter().any(|v| v == value)
    }

    /// Whether `labels` satisfy this requirement. `NotIn`/`!=` match when the key is absent;
    /// `Gt`/`Lt` need the label to be present and an integer.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let value = labels.get(self.key.as_str());
        match self.operator {
            Operator::In | Operator::Equals | Operator::DoubleEquals => value.is_some_and(|v| self.has_value(v)),
            Operator::NotIn | Operator::NotEquals => value.is_none_or(|v| !self.has_value(v)),
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let Some(Ok(have)) = value.map(|v| v.parse::<i64>()) else {
                    return false;
                };
                let [want] = self.values.as_slice() else {
                    return false;
                };
                let Ok(want) = want.parse::<i64>() else {
                    return false;
                };
                if self.operator == Operator::GreaterThan {
                    have > want
                } else {
                    have < want
                }
            }
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.operator == Operator::DoesNotExist {
            f.write_char('!')?;
        }
        f.write_str(&self.key)?;
        let (op, parens) = match self.operator {
            Operator::Exists | Operator::DoesNotExist => return Ok(()),
            Operator::Equals => ("=", false),
            Operator::DoubleEquals => ("==", false),
            Operator::NotEquals => ("!=", false),
            Operator::In => (" in ", true),
            Operator::NotIn => (" notin ", true),
            Operator::GreaterThan => (">", false),
            Operator::LessThan => ("<", false),
        };
        f.write_str(op)?;
        if parens {
            f.write_char('(')?;
        }
        // Values are printed sorted (not deduplicated), whatever order they are stored in.
        let mut sorted: Vec<&str> = self.values.iter().map(String::as_str).collect();
        sorted.sort_unstable();
        f.write_str(&sorted.join(","))?;
        if parens {
            f.write_char(')')?;
        }
        Ok(())
    }
}

/// A label selector: the AND of its requirements. No requirements match everything; the
/// [`nothing`](LabelSelector::nothing) selector matches no object at all.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
    nothing: bool,
}

impl LabelSelector {
    /// Matches every object (`labels.Everything()`, also what an empty `metav1.LabelSelector` means).
    pub fn everything() -> LabelSelector {
        LabelSelector { requirements: Vec::new(), nothing: false }
    }

    /// Matches no object (`labels.Nothing()`, what `LabelSelectorAsSelector(nil)` returns). Prints
    /// as the empty string.
    pub fn nothing() -> LabelSelector {
        LabelSelector { requirements: Vec::new(), nothing: true }
    }

    /// The AND of these requirements (sorted by key, as parsed selectors are).
    pub fn from_requirements(mut requirements: Vec<Requirement>) -> LabelSelector {
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        LabelSelector { requirements, nothing: false }
    }

    /// Parses the string form: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`,
    /// `a>1`, `a<1`, comma-separated and whitespace tolerant. Requirements are sorted by key and
    /// `in`/`notin` value sets sorted and deduplicated, as upstream's `labels.Parse` does.
    pub fn parse(s: &str) -> Result<LabelSelector, SelectorError> {
        let mut requirements = Parser::new(s).parse().map_err(SelectorError::InvalidLabelSelector)?;
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(LabelSelector { requirements, nothing: false })
    }

    /// Whether an optional API selector selects `labels`, where an absent one selects
    /// everything (a NetworkPolicy's `podSelector`, a webhook's `namespaceSelector` and
    /// `objectSelector`) and one that does not parse selects nothing (validation keeps such
    /// ones out).
    pub fn selects_or_all(selector: Option<&metav1::LabelSelector>, labels: &BTreeMap<String, String>) -> bool {
        selector.is_none_or(|s| LabelSelector::from_k8s(s).is_ok_and(|s| s.matches(labels)))
    }

    /// Upstream's `metav1.LabelSelectorAsSelector` for a present selector: `matchLabels` become
    /// `=` requirements, `matchExpressions` use `In`, `NotIn`, `Exists`, `DoesNotExist`. An empty
    /// selector matches everything. What an absent selector means is up to the caller
    /// ([`nothing`](Self::nothing) for most workload controllers, [`everything`](Self::everything)
    /// for e.g. PodDisruptionBudgets of old).
    pub fn from_k8s(selector: &metav1::LabelSelector) -> Result<LabelSelector, SelectorError> {
        let labels = selector.match_labels.as_ref();
        let expressions = selector.match_expressions.as_deref().unwrap_or_default();
        if labels.map_or(0, BTreeMap::len) + expressions.len() == 0 {
            return Ok(LabelSelector::everything());
        }
        let invalid = SelectorError::InvalidLabelSelector;
        let mut requirements = Vec::with_capacity(labels.map_or(0, BTreeMap::len) + expressions.len());
        for (key, value) in labels.into_iter().flatten() {
            requirements.push(new_requirement(key, Operator::Equals, vec![value.clone()]).map_err(invalid)?);
        }
        for expression in expressions {
            let operator = match expression.operator.as_str() {
                "In" => Operator::In,
                "NotIn" => Operator::NotIn,
                "Exists" => Operator::Exists,
                "DoesNotExist" => Operator::DoesNotExist,
                other => {
                    return Err(invalid(format!("{} is not a valid label selector operator", go_quote(other))));
                }
            };
            let values = expression.values.clone().unwrap_or_default();
            requirements.push(new_requirement(&expression.key, operator, values).map_err(invalid)?);
        }
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(LabelSelector { requirements, nothing: false })
    }

    /// A selector requiring exactly these labels (`labels.SelectorFromSet`, used for Service and
    /// ReplicationController selectors). Not validated; an empty map matches everything.
    pub fn from_labels(labels: &BTreeMap<String, String>) -> LabelSelector {
        let requirements = labels
            .iter()
            .map(|(k, v)| Requirement { key: k.clone(), operator: Operator::Equals, values: vec![v.clone()] })
            .collect();
        LabelSelector { requirements, nothing: false }
    }

    /// Whether the selector places no restriction (matches everything). False for
    /// [`nothing`](Self::nothing), as upstream.
    pub fn is_empty(&self) -> bool {
        !self.nothing && self.requirements.is_empty()
    }

    /// Whether this is the [`nothing`](Self::nothing) selector.
    pub fn matches_nothing(&self) -> bool {
        self.nothing
    }

    /// The requirements, sorted by key.
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// Whether `labels` satisfy every requirement. Does not allocate.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        !self.nothing && self.requirements.iter().all(|r| r.matches(labels))
    }
}

/// Upstream's selector `String()`: the terms joined by `,` (label and field selectors alike).
pub(crate) fn write_terms<T: fmt::Display>(f: &mut fmt::Formatter<'_>, terms: &[T]) -> fmt::Result {
    for (i, term) in terms.iter().enumerate() {
        if i > 0 {
            f.write_char(',')?;
        }
        write!(f, "{term}")?;
    }
    Ok(())
}

impl fmt::Display for LabelSelector {
    /// Upstream's `Selector.String()`: requirements in key order joined by `,`; the nothing
    /// selector prints as the empty string.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_terms(f, &self.requirements)
    }
}

/// A label map as `a=b,c=d`, the `key=value` strings sorted (`labels.Set.String()`); empty for an
/// empty map (kubectl's printers then show `<none>`).
pub fn format_match_labels(labels: &BTreeMap<String, String>) -> String {
    let mut pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.sort_unstable();
    pairs.join(",")
}

/// `metav1.FormatLabelSelector`, what kubectl prints in SELECTOR columns: the selector's string,
/// `<none>` when that is empty (including an absent selector), `<error>` when it is invalid.
pub fn format_label_selector(selector: Option<&metav1::LabelSelector>) -> String {
    let parsed = match selector {
        None => Ok(LabelSelector::nothing()),
        Some(s) => LabelSelector::from_k8s(s),
    };
    match parsed {
        Err(_) => "<error>".to_string(),
        Ok(s) if s.requirements.is_empty() => "<none>".to_string(),
        Ok(s) => s.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Validation (upstream `NewRequirement`, over `model::validation`), producing field-error text.

/// A `field.Invalid` error's text: `path: Invalid value: <bad value>: detail`.
fn invalid(path: &str, bad_value: &str, detail: &str) -> String {
    format!("{path}: Invalid value: {bad_value}: {detail}")
}

fn validate_label_key(key: &str, path: &str) -> Option<String> {
    let errs = super::validation::is_qualified_name(key);
    (!errs.is_empty()).then(|| invalid(path, &go_quote(key), &errs.join("; ")))
}

/// Upstream `NewRequirement` with no field path; the error is the aggregated message.
fn new_requirement(key: &str, operator: Operator, values: Vec<String>) -> Result<Requirement, String> {
    let mut errs: Vec<String> = Vec::new();
    errs.extend(validate_label_key(key, "key"));
    let values_json = || if values.is_empty() { "null".to_string() } else { go_json_strings(&values) };
    match operator {
        Operator::In | Operator::NotIn if values.is_empty() => {
            errs.push(invalid("values", &values_json(), "for 'in', 'notin' operators, values set can't be empty"));
        }
        Operator::Equals | Operator::DoubleEquals | Operator::NotEquals if values.len() != 1 => {
            errs.push(invalid("values", &values_json(), "exact-match compatibility requires one single value"));
        }
        Operator::Exists | Operator::DoesNotExist if !values.is_empty() => {
            errs.push(invalid("values", &values_json(), "values set must be empty for exists and does not exist"));
        }
        Operator::GreaterThan | Operator::LessThan => {
            if values.len() != 1 {
                let detail = "for 'Gt', 'Lt' operators, exactly one value is required";
                errs.push(invalid("values", &values_json(), detail));
            }
            for (i, v) in values.iter().enumerate() {
                if v.parse::<i64>().is_err() {
                    let detail = "for 'Gt', 'Lt' operators, the value must be an integer";
                    errs.push(invalid(&format!("values[{i}]"), &go_quote(v), detail));
                }
            }
        }
        _ => {}
    }
    for (i, v) in values.iter().enumerate() {
        let v_errs = super::validation::is_label_value(v);
        if !v_errs.is_empty() {
            errs.push(invalid(&format!("values[{i}][{key}]"), &go_quote(v), &v_errs.join("; ")));
        }
    }
    match aggregate(errs) {
        Some(message) => Err(message),
        None => Ok(Requirement { key: key.to_string(), operator, values }),
    }
}

/// Go's `strconv.Quote` (`%q`). Exact for ASCII; for other characters Go's `unicode.IsPrint` is
/// approximated (control, format, private-use and non-ASCII space characters are escaped).
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if go_is_print(c) => out.push(c),
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

fn go_is_print(c: char) -> bool {
    if c.is_ascii() {
        return (' '..='~').contains(&c);
    }
    let u = c as u32;
    let format_or_private = matches!(u,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E
        | 0x2060..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB | 0xE000..=0xF8FF | 0xE0001 | 0xE0020..=0xE007F
        | 0xF0000..=0x10FFFF);
    !c.is_control() && !c.is_whitespace() && !format_or_private
}

/// Go's `json.Marshal` of a `[]string` (HTML-safe escaping, as the standard encoder does).
fn go_json_strings(values: &[String]) -> String {
    let mut out = String::from("[");
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        for c in v.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\x08' => out.push_str("\\b"),
                '\x0c' => out.push_str("\\f"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 || matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}') => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c => out.push(c),
            }
        }
        out.push('"');
    }
    out.push(']');
    out
}

// ---------------------------------------------------------------------------------------------
// The string form's lexer and recursive-descent parser (upstream `Lexer` / `Parser`).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    EndOfString,
    ClosedPar,
    Comma,
    DoesNotExist,
    DoubleEquals,
    Equals,
    GreaterThan,
    Identifier,
    In,
    LessThan,
    NotEquals,
    NotIn,
    OpenPar,
}

fn keyword(s: &str) -> Option<Token> {
    Some(match s {
        ")" => Token::ClosedPar,
        "," => Token::Comma,
        "!" => Token::DoesNotExist,
        "==" => Token::DoubleEquals,
        "=" => Token::Equals,
        ">" => Token::GreaterThan,
        "in" => Token::In,
        "<" => Token::LessThan,
        "!=" => Token::NotEquals,
        "notin" => Token::NotIn,
        "(" => Token::OpenPar,
        _ => return None,
    })
}

fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_special(b: u8) -> bool {
    matches!(b, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

/// Works on bytes like upstream: a NUL byte reads as end of input but is consumed.
struct Lexer<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn read(&mut self) -> u8 {
        match self.s.as_bytes().get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                b
            }
            None => 0,
        }
    }

    fn lex(&mut self) -> (Token, &'a str) {
        let mut ch = self.read();
        while is_whitespace(ch) {
            ch = self.read();
        }
        if ch == 0 {
            return (Token::EndOfString, "");
        }
        self.pos -= 1;
        if is_special(ch) {
            self.scan_special()
        } else {
            self.scan_identifier()
        }
    }

    fn scan_identifier(&mut self) -> (Token, &'a str) {
        let start = self.pos;
        let end = loop {
            let at = self.pos;
            let ch = self.read();
            if ch == 0 {
                break at;
            }
            if is_special(ch) || is_whitespace(ch) {
                self.pos -= 1;
                break at;
            }
        };
        let literal = &self.s[start..end];
        (keyword(literal).unwrap_or(Token::Identifier), literal)
    }

    /// The longest operator token at the current position (all specials are ASCII and the first
    /// one always forms a token on its own).
    fn scan_special(&mut self) -> (Token, &'a str) {
        let start = self.pos;
        let mut last: Option<(Token, &'a str)> = None;
        loop {
            let ch = self.read();
            if ch == 0 {
                break;
            }
            if !is_special(ch) {
                self.pos -= 1;
                break;
            }
            let buffer = &self.s[start..self.pos];
            match keyword(buffer) {
                Some(token) => last = Some((token, buffer)),
                None if last.is_some() => {
                    self.pos -= 1;
                    break;
                }
                None => {}
            }
        }
        last.expect("a special character is a token by itself")
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    KeyAndOperator,
    Values,
}

struct Parser<'a> {
    items: Vec<(Token, &'a str)>,
    position: usize,
}

const BINARY_OPERATORS: &str = "in, notin, =, ==, !=, gt, lt";

impl<'a> Parser<'a> {
    fn new(s: &'a str) -> Parser<'a> {
        let mut lexer = Lexer { s, pos: 0 };
        let mut items = Vec::new();
        loop {
            let item = lexer.lex();
            items.push(item);
            if item.0 == Token::EndOfString {
                break;
            }
        }
        Parser { items, position: 0 }
    }

    fn lookahead(&self, context: Context) -> (Token, &'a str) {
        let (token, literal) = self.items[self.position.min(self.items.len() - 1)];
        match token {
            Token::In | Token::NotIn if context == Context::Values => (Token::Identifier, literal),
            _ => (token, literal),
        }
    }

    fn consume(&mut self, context: Context) -> (Token, &'a str) {
        let item = self.lookahead(context);
        self.position += 1;
        item
    }

    fn parse(&mut self) -> Result<Vec<Requirement>, String> {
        let mut requirements = Vec::new();
        loop {
            let (token, literal) = self.lookahead(Context::Values);
            match token {
                Token::Identifier | Token::DoesNotExist => {
                    let requirement =
                        self.parse_requirement().map_err(|e| format!("unable to parse requirement: {e}"))?;
                    requirements.push(requirement);
                    let (token, literal) = self.consume(Context::Values);
                    match token {
                        Token::EndOfString => return Ok(requirements),
                        Token::Comma => {
                            let (next, next_literal) = self.lookahead(Context::Values);
                            if next != Token::Identifier && next != Token::DoesNotExist {
                                return Err(format!("found '{next_literal}', expected: identifier after ','"));
                            }
                        }
                        _ => return Err(format!("found '{literal}', expected: ',' or 'end of string'")),
                    }
                }
                Token::EndOfString => return Ok(requirements),
                _ => return Err(format!("found '{literal}', expected: !, identifier, or 'end of string'")),
            }
        }
    }

    fn parse_requirement(&mut self) -> Result<Requirement, String> {
        let (key, inferred) = self.parse_key_and_infer_operator()?;
        if let Some(operator) = inferred {
            return new_requirement(key, operator, Vec::new());
        }
        let operator = self.parse_operator()?;
        let values = match operator {
            Operator::In | Operator::NotIn => self.parse_values()?,
            _ => self.parse_exact_value()?,
        };
        new_requirement(key, operator, values.into_iter().map(str::to_string).collect())
    }

    /// The key, and `Exists`/`DoesNotExist` when no binary operator follows.
    fn parse_key_and_infer_operator(&mut self) -> Result<(&'a str, Option<Operator>), String> {
        let mut operator = None;
        let (mut token, mut literal) = self.consume(Context::Values);
        if token == Token::DoesNotExist {
            operator = Some(Operator::DoesNotExist);
            (token, literal) = self.consume(Context::Values);
        }
        if token != Token::Identifier {
            return Err(format!("found '{literal}', expected: identifier"));
        }
        if let Some(e) = validate_label_key(literal, "<nil>") {
            return Err(e);
        }
        let (next, _) = self.lookahead(Context::Values);
        if operator.is_none() && matches!(next, Token::EndOfString | Token::Comma) {
            operator = Some(Operator::Exists);
        }
        Ok((literal, operator))
    }

    fn parse_operator(&mut self) -> Result<Operator, String> {
        let (token, literal) = self.consume(Context::KeyAndOperator);
        Ok(match token {
            Token::In => Operator::In,
            Token::Equals => Operator::Equals,
            Token::DoubleEquals => Operator::DoubleEquals,
            Token::GreaterThan => Operator::GreaterThan,
            Token::LessThan => Operator::LessThan,
            Token::NotIn => Operator::NotIn,
            Token::NotEquals => Operator::NotEquals,
            _ => return Err(format!("found '{literal}', expected: {BINARY_OPERATORS}")),
        })
    }

    /// `( values )`; `()` is the set holding the empty string.
    fn parse_values(&mut self) -> Result<BTreeSet<&'a str>, String> {
        let (token, literal) = self.consume(Context::Values);
        if token != Token::OpenPar {
            return Err(format!("found '{literal}' expected: '('"));
        }
        let (token, literal) = self.lookahead(Context::Values);
        match token {
            Token::Identifier | Token::Comma => {
                let set = self.parse_identifiers_list()?;
                if self.consume(Context::Values).0 != Token::ClosedPar {
                    return Err(format!("found '{literal}', expected: ')'"));
                }
                Ok(set)
            }
            Token::ClosedPar => {
                self.consume(Context::Values);
                Ok(BTreeSet::from([""]))
            }
            _ => Err(format!("found '{literal}', expected: ',', ')' or identifier")),
        }
    }

    /// Comma-separated, possibly empty identifiers up to (not including) `)`. As in Kubernetes
    /// 1.33, two commas in a row consume the second one, so `(a,,)` is rejected.
    fn parse_identifiers_list(&mut self) -> Result<BTreeSet<&'a str>, String> {
        let mut set = BTreeSet::new();
        loop {
            let (token, literal) = self.consume(Context::Values);
            match token {
                Token::Identifier => {
                    set.insert(literal);
                    let (next, next_literal) = self.lookahead(Context::Values);
                    match next {
                        Token::Comma => continue,
                        Token::ClosedPar => return Ok(set),
                        _ => return Err(format!("found '{next_literal}', expected: ',' or ')'")),
                    }
                }
                Token::Comma => {
                    if set.is_empty() {
                        set.insert("");
                    }
                    let (next, _) = self.lookahead(Context::Values);
                    if next == Token::ClosedPar {
                        set.insert("");
                        return Ok(set);
                    }
                    if next == Token::Comma {
                        self.consume(Context::Values);
                        set.insert("");
                    }
                }
                _ => return Err(format!("found '{literal}', expected: ',', or identifier")),
            }
        }
    }

    fn parse_exact_value(&mut self) -> Result<BTreeSet<&'a str>, String> {
        let (token, _) = self.lookahead(Context::Values);
        if matches!(token, Token::EndOfString | Token::Comma) {
            return Ok(BTreeSet::from([""]));
        }
        let (token, literal) = self.consume(Context::Values);
        if token == Token::Identifier {
            return Ok(BTreeSet::from([literal]));
        }
        Err(format!("found '{literal}', expected: identifier"))
    }
}

/// Test helpers the label and field selectors' tests share.
#[cfg(test)]
pub(crate) mod test_support {
    use std::fmt::Display;

    /// A selector, an object's labels (or fields), whether they match.
    pub type MatchCase<'a> = (&'a str, &'a [(&'a str, &'a str)], bool);

    /// The rows of upstream's `TestSelectorMatches` that label and field selectors share
    /// (equality terms only).
    pub const EQUALITY_MATCHES: &[MatchCase<'static>] = &[
        ("", &[("x", "y")], true),
        ("x=y", &[("x", "y")], true),
        ("x=y,z=w", &[("x", "y"), ("z", "w")], true),
        ("x!=y,z!=w", &[("x", "z"), ("z", "a")], true),
        ("notin=in", &[("notin", "in")], true),
        ("x=y", &[("x", "z")], false),
        ("x=y,z=w", &[("x", "w"), ("z", "w")], false),
        ("x!=y,z!=w", &[("x", "z"), ("z", "w")], false),
        ("foo=blah", &[("foo", "bar"), ("baz", "blah")], false),
        ("foo=bar,foobar=bar,baz=blah", &[("foo", "bar"), ("baz", "blah")], false),
    ];

    /// Compares the string form of what `input` parsed to, or the error's text, with `want`.
    #[track_caller]
    pub fn check_parsed<S: Display, E: Display>(input: &str, parsed: Result<S, E>, want: &str) {
        let got = match parsed {
            Ok(selector) => selector.to_string(),
            Err(e) => format!("error: {e}"),
        };
        assert_eq!(got, want, "parse({input:?})");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    use super::test_support::{check_parsed, MatchCase, EQUALITY_MATCHES};

    fn check(input: &str, want: &str) {
        check_parsed(input, LabelSelector::parse(input), want);
    }

    const NAME_RULE: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    const VALUE_RULE: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
    const PREFIX_RULE: &str = "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    const BINARY_OPS: &str = "expected: in, notin, =, ==, !=, gt, lt";

    #[test]
    fn parses_and_prints_like_upstream() {
        let long = "a".repeat(64);
        let table: Vec<(String, String)> = [
            // Upstream's TestSelectorParse good strings (printed without spaces).
            ("x=a,y=b,z=c", "x=a,y=b,z=c"),
            ("", ""),
            ("x!=a,y=b", "x!=a,y=b"),
            ("x=", "x="),
            ("x= ", "x="),
            ("x=,z= ", "x=,z="),
            ("x= ,z= ", "x=,z="),
            ("!x", "!x"),
            ("x>1", "x>1"),
            ("x>1,z<5", "x>1,z<5"),
            // Upstream's TestSetSelectorParser.
            ("\rx", "x"),
            ("this-is-a-dns.domain.com/key-with-dash", "this-is-a-dns.domain.com/key-with-dash"),
            (
                "this-is-another-dns.domain.com/key-with-dash in (so,what)",
                "this-is-another-dns.domain.com/key-with-dash in (so,what)",
            ),
            (
                "0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
                "0.1.2.domain/99 notin (10.10.100.1,tick.tack.clock)",
            ),
            ("foo  in\t (abc)", "foo in (abc)"),
            ("x notin\n (abc)", "x notin (abc)"),
            ("x  notin\t\t\t(abc,def)", "x notin (abc,def)"),
            ("x in (abc,def)", "x in (abc,def)"),
            ("x in (abc,)", "x in (,abc)"),
            ("x in ()", "x in ()"),
            ("x notin (abc,,def),bar,z in (),w", "bar,w,x notin (,abc,def),z in ()"),
            ("x,y in (a)", "x,y in (a)"),
            ("x=a", "x=a"),
            ("x<7", "x<7"),
            ("x=a,y!=b,z in (h,i,j)", "x=a,y!=b,z in (h,i,j)"),
            ("x notin ( )", "x notin ()"),
            ("x notin (, a)", "x notin (,a)"),
            ("a ", "a"),
            ("a in (x,y,notin, z,in)", "a in (in,notin,x,y,z)"),
            // Sorting and normalisation.
            ("x=a,a=x", "a=x,x=a"),
            ("b=1,a=2,b!=3", "a=2,b=1,b!=3"),
            ("x in (b,a,a)", "x in (a,b)"),
            ("x in (a,,b)", "x in (,a,b)"),
            ("x in (,)", "x in ()"),
            ("app==web", "app==web"),
            ("tier != db , env in ( a , b )", "env in (a,b),tier!=db"),
            ("notin=in", "notin=in"),
            ("in in (in)", "in in (in)"),
            ("!in", "!in"),
            ("x=-1", "error: unable to parse requirement: values[0][x]: Invalid value: \"-1\": VALUE"),
            ("x>-1", "error: unable to parse requirement: values[0][x]: Invalid value: \"-1\": VALUE"),
            ("x>+1", "error: unable to parse requirement: values[0][x]: Invalid value: \"+1\": VALUE"),
            ("example.com/x in (A.b_c-9)", "example.com/x in (A.b_c-9)"),
            // Upstream's bad strings.
            ("x=a||y=b", "error: unable to parse requirement: values[0][x]: Invalid value: \"a||y\": VALUE"),
            ("x==a==b", "error: found '==', expected: ',' or 'end of string'"),
            ("!x=a", "error: found '=', expected: ',' or 'end of string'"),
            (
                "x<a",
                "error: unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer",
            ),
            ("x,,y", "error: found ',', expected: identifier after ','"),
            (",x,y", "error: found ',', expected: !, identifier, or 'end of string'"),
            ("x nott in (y)", "error: unable to parse requirement: found 'nott', BINARY"),
            ("a in (xyz),", "error: found '', expected: identifier after ','"),
            ("a in (xyz)b notin ()", "error: found 'b', expected: ',' or 'end of string'"),
            ("a in (xyz abc)", "error: unable to parse requirement: found 'abc', expected: ',' or ')'"),
            ("a notin(", "error: unable to parse requirement: found '', expected: ',', ')' or identifier"),
            ("a (", "error: unable to parse requirement: found '(', BINARY"),
            ("(", "error: found '(', expected: !, identifier, or 'end of string'"),
            // More error paths.
            ("x in", "error: unable to parse requirement: found '' expected: '('"),
            ("x in (a", "error: unable to parse requirement: found '', expected: ',' or ')'"),
            ("x in (=)", "error: unable to parse requirement: found '=', expected: ',', ')' or identifier"),
            ("x in (a,=)", "error: unable to parse requirement: found '=', expected: ',', or identifier"),
            ("x=(", "error: unable to parse requirement: found '(', expected: identifier"),
            ("x=a=b", "error: found '=', expected: ',' or 'end of string'"),
            ("x y", "error: unable to parse requirement: found 'y', BINARY"),
            ("x!", "error: unable to parse requirement: found '!', BINARY"),
            ("x>=1", "error: unable to parse requirement: found '=', expected: identifier"),
            ("!", "error: unable to parse requirement: found '', expected: identifier"),
            ("!!x", "error: unable to parse requirement: found '!', expected: identifier"),
            ("x>", "error: unable to parse requirement: values[0]: Invalid value: \"\": for 'Gt', 'Lt' operators, the value must be an integer"),
            ("a\0b", "error: unable to parse requirement: found 'b', BINARY"),
            ("a,\0b", "a,b"),
            ("a, \0b", "error: found '', expected: identifier after ','"),
            // Kubernetes 1.33 consumes the second of two commas in a value list.
            ("x in (a,,)", "error: unable to parse requirement: found ')', expected: ',', or identifier"),
            ("x in (,,)", "error: unable to parse requirement: found ')', expected: ',', or identifier"),
            // Key and value validation.
            ("a/b/c", "error: unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name NAME with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"),
            ("-a", "error: unable to parse requirement: <nil>: Invalid value: \"-a\": name part NAME"),
            ("/a", "error: unable to parse requirement: <nil>: Invalid value: \"/a\": prefix part must be non-empty"),
            ("a/", "error: unable to parse requirement: <nil>: Invalid value: \"a/\": name part must be non-empty; name part NAME"),
            ("Example.com/a", "error: unable to parse requirement: <nil>: Invalid value: \"Example.com/a\": PREFIX"),
            ("é=1", "error: unable to parse requirement: <nil>: Invalid value: \"é\": name part NAME"),
            ("\"q\"", "error: unable to parse requirement: <nil>: Invalid value: \"\\\"q\\\"\": name part NAME"),
        ]
        .into_iter()
        .map(|(i, w)| (i.to_string(), w.to_string()))
        .chain([
            (format!("{long}=x"), format!("error: unable to parse requirement: <nil>: Invalid value: \"{long}\": name part must be no more than 63 characters")),
            (format!("x={long}"), format!("error: unable to parse requirement: values[0][x]: Invalid value: \"{long}\": must be no more than 63 characters")),
            (format!("x={long}-"), format!("error: unable to parse requirement: values[0][x]: Invalid value: \"{long}-\": must be no more than 63 characters; VALUE")),
            (format!("{}.com/x", "a".repeat(250)), format!("error: unable to parse requirement: <nil>: Invalid value: \"{}.com/x\": prefix part must be no more than 253 characters", "a".repeat(250))),
            (format!("{}/x", "a".repeat(253)), format!("{}/x", "a".repeat(253))),
            (format!("x in ({},b)", "a".repeat(63)), format!("x in ({},b)", "a".repeat(63))),
        ])
        .collect();
        for (input, want) in &table {
            let want = want
                .replace("NAME", NAME_RULE)
                .replace("VALUE", VALUE_RULE)
                .replace("PREFIX", PREFIX_RULE)
                .replace("BINARY", BINARY_OPS);
            check(input, &want);
        }
    }

    #[test]
    fn matches_like_upstream() {
        let table: &[MatchCase] = &[
            // Upstream's TestSelectorMatches, beyond the equality rows.
            ("x", &[("x", "z")], true),
            ("!x", &[("y", "z")], true),
            ("x>1", &[("x", "2")], true),
            ("x<1", &[("x", "0")], true),
            ("x=z", &[], false),
            ("x", &[("y", "z")], false),
            ("!x", &[("x", "z")], false),
            ("x>1", &[("x", "0")], false),
            ("x<1", &[("x", "2")], false),
            ("foo=bar,baz=blah", &[("foo", "bar"), ("baz", "blah")], true),
            // Upstream's TestRequirementSelectorMatching.
            ("x in (foo),y notin (alpha)", &[("x", "foo"), ("y", "baz")], true),
            ("x in (foo),y in (alpha)", &[("x", "foo"), ("y", "baz")], false),
            ("x notin (),y", &[("y", "")], true),
            ("!x,y", &[("y", "")], true),
            ("x notin (),!y", &[("y", "")], false),
            ("x in ()", &[("y", "baz")], false),
            ("z>1", &[("z", "2")], true),
            ("z>1", &[("z", "v2")], false),
            // Absent keys, empty values, integers.
            ("x!=a", &[], true),
            ("x notin (a)", &[], true),
            ("x=", &[("x", "")], true),
            ("x=", &[], false),
            ("x in (,a)", &[("x", "")], true),
            ("x<10", &[], false),
            ("x<10", &[("x", "+9")], true),
            ("x<10", &[("x", "-9")], true),
            ("x>1", &[("x", "99999999999999999999")], false),
            ("app=web,tier in (fe,be),!canary", &[("app", "web"), ("tier", "be")], true),
            ("app=web,tier in (fe,be),!canary", &[("app", "web"), ("tier", "be"), ("canary", "1")], false),
        ];
        for &(selector, labels, want) in EQUALITY_MATCHES.iter().chain(table) {
            let labels: BTreeMap<String, String> = labels.iter().map(|&(k, v)| (k.into(), v.into())).collect();
            let parsed = LabelSelector::parse(selector).unwrap_or_else(|e| panic!("{selector}: {e}"));
            assert_eq!(parsed.matches(&labels), want, "{selector} vs {labels:?}");
        }
        let labels = BTreeMap::from([("a".to_string(), "b".to_string())]);
        assert!(LabelSelector::everything().matches(&labels) && LabelSelector::everything().is_empty());
        assert!(!LabelSelector::nothing().matches(&labels) && !LabelSelector::nothing().is_empty());
        assert!(LabelSelector::nothing().matches_nothing() && LabelSelector::nothing().to_string().is_empty());
        assert!(LabelSelector::from_labels(&labels).matches(&labels));
        assert!(LabelSelector::from_labels(&BTreeMap::new()).is_empty());
    }

    fn k8s_selector(labels: &[(&str, &str)], expressions: &[(&str, &str, Option<&[&str]>)]) -> metav1::LabelSelector {
        let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        metav1::LabelSelector {
            match_labels: (!labels.is_empty()).then(|| labels.iter().map(|&(k, v)| (k.into(), v.into())).collect()),
            match_expressions: (!expressions.is_empty()).then(|| {
                expressions
                    .iter()
                    .map(|&(key, operator, values)| metav1::LabelSelectorRequirement {
                        key: key.into(),
                        operator: operator.into(),
                        values: values.map(owned),
                    })
                    .collect()
            }),
        }
    }

    #[test]
    fn converts_api_selectors_like_upstream() {
        type Expression<'a> = (&'a str, &'a str, Option<&'a [&'a str]>);
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a [Expression<'a>], &'a str);
        let table: &[Case] = &[
            (&[], &[], ""),
            (&[("b", "2"), ("a", "1")], &[], "a=1,b=2"),
            (&[("app", "web")], &[("env", "In", Some(&["prod", "dev"]))], "app=web,env in (dev,prod)"),
            (&[], &[("x", "In", Some(&["b", "a", "a"]))], "x in (a,a,b)"),
            (&[], &[("x", "NotIn", Some(&[""]))], "x notin ()"),
            (&[], &[("b", "Exists", None), ("a", "DoesNotExist", Some(&[]))], "!a,b"),
            (&[("a", "b")], &[("a", "Exists", None)], "a=b,a"),
            (&[], &[("x", "In", None)], "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty"),
            (&[], &[("x", "NotIn", Some(&[]))], "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty"),
            (&[], &[("x", "Exists", Some(&["a", "b"]))], "values: Invalid value: [\"a\",\"b\"]: values set must be empty for exists and does not exist"),
            (&[], &[("x", "in", Some(&["a"]))], "\"in\" is not a valid label selector operator"),
            (&[], &[("x", "Gt", Some(&["1"]))], "\"Gt\" is not a valid label selector operator"),
            (&[], &[("x", "", None)], "\"\" is not a valid label selector operator"),
            (&[("a b", "c")], &[], "key: Invalid value: \"a b\": name part NAME"),
            (&[("x", "-")], &[], "values[0][x]: Invalid value: \"-\": VALUE"),
            (&[], &[("-x", "In", None)], "[key: Invalid value: \"-x\": name part NAME, values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty]"),
            (&[], &[("k", "DoesNotExist", Some(&["<a>\n"]))], "[values: Invalid value: [\"\\u003ca\\u003e\\n\"]: values set must be empty for exists and does not exist, values[0][k]: Invalid value: \"<a>\\n\": VALUE]"),
            (&[], &[("k", "In", Some(&["-", "-"]))], "[values[0][k]: Invalid value: \"-\": VALUE, values[1][k]: Invalid value: \"-\": VALUE]"),
        ];
        for &(labels, expressions, want) in table {
            let selector = k8s_selector(labels, expressions);
            let got = match LabelSelector::from_k8s(&selector) {
                Ok(s) => s.to_string(),
                Err(e) => e.to_string(),
            };
            assert_eq!(got, want.replace("NAME", NAME_RULE).replace("VALUE", VALUE_RULE), "{selector:?}");
        }

        let selector = k8s_selector(&[("app", "web")], &[("tier", "NotIn", Some(&["db"]))]);
        let parsed = LabelSelector::from_k8s(&selector).unwrap();
        let labels = |pairs: &[(&str, &str)]| pairs.iter().map(|&(k, v)| (k.into(), v.into())).collect();
        assert!(parsed.matches(&labels(&[("app", "web")])));
        assert!(!parsed.matches(&labels(&[("app", "web"), ("tier", "db")])));
        assert!(LabelSelector::from_k8s(&metav1::LabelSelector::default()).unwrap().is_empty());
        assert_eq!(parsed.requirements()[1].values(), ["db"]);
        assert_eq!(parsed.requirements()[1].operator().as_str(), "notin");

        assert_eq!(format_label_selector(None), "<none>");
        assert_eq!(format_label_selector(Some(&metav1::LabelSelector::default())), "<none>");
        assert_eq!(format_label_selector(Some(&k8s_selector(&[("a", "b")], &[]))), "a=b");
        assert_eq!(format_label_selector(Some(&k8s_selector(&[], &[("a", "Bad", None)]))), "<error>");
    }

    #[test]
    fn formats_label_maps_and_quotes_like_go() {
        let labels: BTreeMap<String, String> =
            [("a", "1"), ("a.b", "2"), ("a-c", "3"), ("b", "4")].iter().map(|&(k, v)| (k.into(), v.into())).collect();
        // Upstream sorts the "key=value" strings, not the keys.
        assert_eq!(format_match_labels(&labels), "a-c=3,a.b=2,a=1,b=4");
        assert_eq!(format_match_labels(&BTreeMap::new()), "");
        assert_eq!(
            go_quote("a\"b\\c\n\t\x01\x7fé\u{a0}\u{200b}😀"),
            "\"a\\\"b\\\\c\\n\\t\\x01\\x7fé\\u00a0\\u200b😀\""
        );
        assert_eq!(
            Requirement::new("x", Operator::Equals, vec![]).unwrap_err().to_string(),
            "values: Invalid value: null: exact-match compatibility requires one single value"
        );
        assert_eq!(
            Requirement::new("x", Operator::GreaterThan, vec!["1".into(), "b".into()]).unwrap_err().to_string(),
            "[values: Invalid value: [\"1\",\"b\"]: for 'Gt', 'Lt' operators, exactly one value is required, values[1]: Invalid value: \"b\": for 'Gt', 'Lt' operators, the value must be an integer]"
        );
        let r = Requirement::new("x", Operator::In, vec!["b".into(), "a".into()]).unwrap();
        assert_eq!((r.to_string(), r.values()), ("x in (a,b)".to_string(), &["b".to_string(), "a".to_string()][..]));
    }

    fn key() -> impl Strategy<Value = String> {
        ("(example\\.com/|k8s\\.io/)?", "[A-Za-z0-9]([-A-Za-z0-9_.]{0,10}[A-Za-z0-9])?").prop_map(|(p, n)| p + &n)
    }

    fn value() -> impl Strategy<Value = String> {
        "([A-Za-z0-9]([-A-Za-z0-9_.]{0,8}[A-Za-z0-9])?)?"
    }

    fn requirement() -> impl Strategy<Value = String> {
        let ws = || "[ \t]{0,2}";
        prop_oneof![
            (key(), ws(), prop_oneof!["=", "==", "!="], ws(), value())
                .prop_map(|(k, a, o, b, v)| format!("{k}{a}{o}{b}{v}")),
            // Kubernetes 1.33 accepts an empty value in a list only in front: "(,a,b)" or "()".
            (key(), prop_oneof![" in ", " notin "], any::<bool>(), prop::collection::vec(value(), 0..4)).prop_map(
                |(k, o, empty_first, vs)| {
                    let vs: Vec<String> = vs.into_iter().filter(|v| !v.is_empty()).collect();
                    let lead = if empty_first && !vs.is_empty() { ", " } else { "" };
                    format!("{k}{o}({lead}{})", vs.join(", "))
                }
            ),
            (key(), "!?").prop_map(|(k, bang)| format!("{bang}{k}")),
            (key(), prop_oneof![">", "<"], any::<u16>()).prop_map(|(k, o, n)| format!("{k}{o}{n}")),
        ]
    }

    proptest! {
        #[test]
        fn display_reparses_to_an_equal_selector(requirements in prop::collection::vec(requirement(), 0..6)) {
            let input = requirements.join(" , ");
            let parsed = LabelSelector::parse(&input).unwrap_or_else(|e| panic!("{input}: {e}"));
            let text = parsed.to_string();
            let reparsed = LabelSelector::parse(&text).unwrap();
            prop_assert_eq!(&reparsed, &parsed, "{} -> {}", input, text);
            prop_assert_eq!(reparsed.to_string(), text);
        }

        #[test]
        fn a_label_set_matches_its_own_selector(labels in prop::collection::btree_map(key(), value(), 0..6)) {
            prop_assert!(LabelSelector::from_labels(&labels).matches(&labels));
            let text = format_match_labels(&labels);
            let parsed = LabelSelector::parse(&text).unwrap();
            prop_assert!(parsed.matches(&labels));
            prop_assert_eq!(parsed.to_string(), LabelSelector::from_labels(&labels).to_string());
        }

        #[test]
        fn never_panics(s in "[a-z!=<>(), \t\0é]{0,20}") {
            let _ = LabelSelector::parse(&s).map(|sel| sel.to_string());
        }
    }
}
