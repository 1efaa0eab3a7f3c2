//! Field selectors (`kubectl get --field-selector spec.nodeName=n1,status.phase!=Running`).
//!
//! Parsing, escaping, matching and the string form follow k8s.io/apimachinery
//! `pkg/fields/selector.go` as released with Kubernetes 1.33. Which fields a kind supports is the
//! caller's business: reject the others with [`unsupported_field_error`] (kinds with their own
//! field-label conversion) or [`unknown_field_error`] (kinds using the default one).

use std::fmt;

use super::selector::{write_terms, SelectorError};

/// `=` and `==` are the same operator; both print as `=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldOperator {
    Equals,
    NotEquals,
}

/// One `field=value` or `field!=value` term, the value unescaped.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldRequirement {
    field: String,
    operator: FieldOperator,
    value: String,
}

impl FieldRequirement {
    pub fn field(&self) -> &str {
        &self.field
    }

    pub fn operator(&self) -> FieldOperator {
        self.operator
    }

    pub fn value(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for FieldRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.operator {
            FieldOperator::Equals => "=",
            FieldOperator::NotEquals => "!=",
        };
        write!(f, "{}{op}{}", self.field, escape_value(&self.value))
    }
}

/// The AND of field requirements; none matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct FieldSelector {
    requirements: Vec<FieldRequirement>,
}

impl FieldSelector {
    pub fn everything() -> FieldSelector {
        FieldSelector::default()
    }

    /// A single `field=value` requirement (`fields.OneTermEqualSelector`).
    pub fn one_term_equal(field: &str, value: &str) -> FieldSelector {
        let requirement =
            FieldRequirement { field: field.to_string(), operator: FieldOperator::Equals, value: value.to_string() };
        FieldSelector { requirements: vec![requirement] }
    }

    /// Parses `a=b`, `a==b`, `a!=b`, comma-joined. In values, `\,`, `\=` and `\\` stand for the
    /// literal characters; an unescaped `=` or any other backslash sequence is an error. Terms
    /// are sorted (as strings) before parsing, empty terms skipped, and a term whose field and
    /// value are both empty (`=`, `!=`) dropped, as upstream's `fields.ParseSelector` does.
    pub fn parse(s: &str) -> Result<FieldSelector, SelectorError> {
        let mut terms = split_terms(s);
        terms.sort_unstable();
        let mut requirements = Vec::with_capacity(terms.len());
        for term in terms.into_iter().filter(|t| !t.is_empty()) {
            let Some((field, operator, raw_value)) = split_term(term) else {
                let message = format!("invalid selector: '{s}'; can't understand '{term}'");
                return Err(SelectorError::InvalidFieldSelector(message));
            };
            let value = unescape_value(raw_value).map_err(SelectorError::InvalidFieldSelector)?;
            if field.is_empty() && value.is_empty() {
                continue;
            }
            requirements.push(FieldRequirement { field: field.to_string(), operator, value });
        }
        Ok(FieldSelector { requirements })
    }

    /// Whether the selector places no restriction.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    pub fn requirements(&self) -> &[FieldRequirement] {
        &self.requirements
    }

    /// The fields named, in the order upstream checks them (the first unsupported one is the one
    /// the API server reports).
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.requirements.iter().map(|r| r.field.as_str())
    }

    /// The value an `=` requirement on `field` demands, if any (`RequiresExactMatch`).
    pub fn requires_exact_match(&self, field: &str) -> Option<&str> {
        self.requirements
            .iter()
            .find(|r| r.operator == FieldOperator::Equals && r.field == field)
            .map(|r| r.value.as_str())
    }

    /// Whether an object matches, `get` giving the object's value for a field path. A field the
    /// object does not have (`None`) compares as the empty string.
    pub fn matches<F, V>(&self, get: F) -> bool
    where
        F: Fn(&str) -> Option<V>,
        V: AsRef<str>,
    {
        self.requirements.iter().all(|r| {
            let actual = get(&r.field);
            let equal = actual.as_ref().map_or("", AsRef::as_ref) == r.value;
            equal == (r.operator == FieldOperator::Equals)
        })
    }
}

impl fmt::Display for FieldSelector {
    /// Upstream's `String()`: the terms joined by `,`, values re-escaped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_terms(f, &self.requirements)
    }
}

/// The error a kind with its own field-label conversion (pods, nodes, events, secrets, ...)
/// returns for a field it does not support: `field label not supported: <field>`.
pub fn unsupported_field_error(field: &str) -> SelectorError {
    SelectorError::UnsupportedField { field: field.to_string() }
}

/// The error of the default conversion, which knows only `metadata.name` and
/// `metadata.namespace`: `"<field>" is not a known field selector: only "metadata.name", "metadata.namespace"`.
pub fn unknown_field_error(field: &str) -> SelectorError {
    SelectorError::UnknownField { field: field.to_string() }
}

/// Escapes `\`, `,` and `=` with a backslash (`fields.EscapeValue`).
pub fn escape_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '\\' | ',' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `fields.UnescapeValue`.
fn unescape_value(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut in_slash = false;
    for c in s.chars() {
        if in_slash {
            if !matches!(c, '\\' | ',' | '=') {
                return Err(format!("invalid field selector: invalid escape sequence: \\{c}"));
            }
            out.push(c);
            in_slash = false;
            continue;
        }
        match c {
            '\\' => in_slash = true,
            // Upstream prints the rune with %v, i.e. as its code point number.
            ',' | '=' => return Err(format!("invalid field selector: unescaped character in value: {}", c as u32)),
            c => out.push(c),
        }
    }
    if in_slash {
        return Err("invalid field selector: invalid escape sequence: \\".to_string());
    }
    Ok(out)
}

/// Splits on commas not preceded by a backslash escape; the escapes stay in the terms.
fn split_terms(s: &str) -> Vec<&str> {
    if s.is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::with_capacity(1);
    let mut start = 0;
    let mut in_slash = false;
    for (i, c) in s.char_indices() {
        if in_slash {
            in_slash = false;
        } else if c == '\\' {
            in_slash = true;
        } else if c == ',' {
            terms.push(&s[start..i]);
            start = i + 1;
        }
    }
    terms.push(&s[start..]);
    terms
}

/// Splits at the first `!=`, `==` or `=` (checked in that order at each position).
fn split_term(term: &str) -> Option<(&str, FieldOperator, &str)> {
    for (i, _) in term.char_indices() {
        let rest = &term[i..];
        for (op, operator) in
            [("!=", FieldOperator::NotEquals), ("==", FieldOperator::Equals), ("=", FieldOperator::Equals)]
        {
            if let Some(value) = rest.strip_prefix(op) {
                return Some((&term[..i], operator, value));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    use crate::model::selector::test_support::{check_parsed, MatchCase, EQUALITY_MATCHES};

    fn check(input: &str, want: &str) {
        check_parsed(input, FieldSelector::parse(input), want);
    }

    #[test]
    fn parses_and_prints_like_upstream() {
        let table = [
            // Upstream's TestSelectorParse.
            ("x=a,y=b,z=c", "x=a,y=b,z=c"),
            ("", ""),
            ("x!=a,y=b", "x!=a,y=b"),
            (r"x=a||y\=b", r"x=a||y\=b"),
            (r"x=a\=\=b", r"x=a\=\=b"),
            ("x=a||y=b", "error: invalid field selector: unescaped character in value: 61"),
            ("x==a==b", "error: invalid field selector: unescaped character in value: 61"),
            ("x=a,b", "error: invalid selector: 'x=a,b'; can't understand 'b'"),
            ("x in (a)", "error: invalid selector: 'x in (a)'; can't understand 'x in (a)'"),
            ("x in (a,b,c)", "error: invalid selector: 'x in (a,b,c)'; can't understand 'b'"),
            ("x", "error: invalid selector: 'x'; can't understand 'x'"),
            // Normalisation: sorted terms, `==` printed as `=`, empty terms dropped.
            ("a==b", "a=b"),
            ("b=1,a=2", "a=2,b=1"),
            ("b=1,a!=3,a=2", "a!=3,a=2,b=1"),
            ("a=b,", "a=b"),
            (",a=b", "a=b"),
            (",,", ""),
            ("=", ""),
            ("!=", ""),
            ("==", ""),
            ("=x", "=x"),
            ("x=", "x="),
            ("spec.nodeName=n1,status.phase!=Running", "spec.nodeName=n1,status.phase!=Running"),
            ("함=수,목=록", "목=록,함=수"),
            // Escapes (upstream's TestSplitTerms / TestEscapeValue cases).
            (r"k=\,,k2=v2", r"k2=v2,k=\,"),
            (r"k=\\,k2=v2", r"k2=v2,k=\\"),
            (r"k=\\\,,k2=v2", r"k2=v2,k=\\\,"),
            (r"k=\=\,\\", r"k=\=\,\\"),
            (r"k=\a\b\", r"error: invalid field selector: invalid escape sequence: \a"),
            (r"k=\", r"error: invalid field selector: invalid escape sequence: \"),
            (r"k=\\\", r"error: invalid field selector: invalid escape sequence: \"),
            (r"k=\!", r"error: invalid field selector: invalid escape sequence: \!"),
            (r"k=\é", r"error: invalid field selector: invalid escape sequence: \é"),
            ("a!b=c", "a!b=c"),
            ("a=!=b", "error: invalid field selector: unescaped character in value: 61"),
            ("a=b!=c", "error: invalid field selector: unescaped character in value: 61"),
            (r"a=b!\=c", r"a=b!\=c"),
            // The first bad term in sorted order is reported.
            ("b,a", "error: invalid selector: 'b,a'; can't understand 'a'"),
        ];
        for (input, want) in table {
            check(input, want);
        }
    }

    #[test]
    fn matches_like_upstream() {
        let table: &[MatchCase] = &[
            ("foo=bar,baz=blah", &[("foo", "bar"), ("baz", "blah"), ("complex", r"=value\,\")], true),
            (
                r"foo=bar,baz=blah,complex=\=value\\\,\\",
                &[("foo", "bar"), ("baz", "blah"), ("complex", r"=value\,\")],
                true,
            ),
            // A missing field reads as the empty string.
            ("x=", &[], true),
            ("x!=", &[], false),
            ("x!=a", &[], true),
            ("x=a", &[], false),
        ];
        for &(selector, fields, want) in EQUALITY_MATCHES.iter().chain(table) {
            let fields: BTreeMap<&str, &str> = fields.iter().copied().collect();
            let parsed = FieldSelector::parse(selector).unwrap();
            assert_eq!(parsed.matches(|f| fields.get(f).copied()), want, "{selector} vs {fields:?}");
        }

        // `get` may borrow from the object or compute owned values.
        struct Pod {
            node: Option<String>,
            ready: bool,
        }
        let pod = Pod { node: Some("n1".into()), ready: true };
        let by_node = FieldSelector::parse("spec.nodeName=n1").unwrap();
        assert!(by_node.matches(|f| if f == "spec.nodeName" { pod.node.as_deref() } else { None }));
        let by_ready = FieldSelector::parse("status.ready!=false").unwrap();
        assert!(by_ready.matches(|f| (f == "status.ready").then(|| pod.ready.to_string())));
        assert!(FieldSelector::everything().matches(|_| None::<&str>) && FieldSelector::everything().is_empty());
        assert!(FieldSelector::one_term_equal("metadata.name", "a,b").matches(|_| Some("a,b")));
        assert_eq!(FieldSelector::one_term_equal("metadata.name", "a,b").to_string(), r"metadata.name=a\,b");
    }

    #[test]
    fn introspects_and_reports_unsupported_fields() {
        let selector = FieldSelector::parse("b=1,a!=3,a=2,c==4").unwrap();
        assert_eq!(selector.fields().collect::<Vec<_>>(), ["a", "a", "b", "c"]);
        assert_eq!(selector.requires_exact_match("a"), Some("2"));
        assert_eq!(selector.requires_exact_match("c"), Some("4"));
        assert_eq!(selector.requires_exact_match("d"), None);
        assert_eq!(FieldSelector::parse("a!=1").unwrap().requires_exact_match("a"), None);
        let first = &selector.requirements()[0];
        assert_eq!((first.field(), first.operator(), first.value()), ("a", FieldOperator::NotEquals, "3"));

        let err = unsupported_field_error("foo");
        assert_eq!(err.to_string(), "field label not supported: foo");
        assert_eq!(err, SelectorError::UnsupportedField { field: "foo".into() });
        // What kubectl makes of the API server's message.
        let kubectl = format!(
            "Error from server (BadRequest): Unable to find {:?} that match label selector {:?}, field selector {:?}: {err}",
            "/v1, Resource=pods", "", "foo=bar"
        );
        assert_eq!(
            kubectl,
            r#"Error from server (BadRequest): Unable to find "/v1, Resource=pods" that match label selector "", field selector "foo=bar": field label not supported: foo"#
        );
        assert_eq!(
            unknown_field_error("spec.foo").to_string(),
            r#""spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace""#
        );
        assert_eq!(escape_value(r"a\b,c=d!"), r"a\\b\,c\=d!");
    }

    fn term() -> impl Strategy<Value = (String, bool, String)> {
        ("[a-z][a-zA-Z.]{0,12}", any::<bool>(), "[a-z0-9=,!\\\\ é-]{0,8}")
    }

    proptest! {
        #[test]
        fn display_reparses_to_an_equal_selector(terms in prop::collection::vec(term(), 0..5)) {
            let input = terms
                .iter()
                .map(|(f, eq, v)| format!("{f}{}{}", if *eq { "=" } else { "!=" }, escape_value(v)))
                .collect::<Vec<_>>()
                .join(",");
            let parsed = FieldSelector::parse(&input).unwrap();
            prop_assert_eq!(parsed.requirements().len(), terms.len());
            let reparsed = FieldSelector::parse(&parsed.to_string()).unwrap();
            prop_assert_eq!(&reparsed, &parsed);
            let fields: BTreeMap<&str, &str> = terms.iter().map(|(f, _, v)| (f.as_str(), v.as_str())).collect();
            let all_equal = terms.iter().all(|(f, eq, v)| *eq == (fields[f.as_str()] == v));
            prop_assert_eq!(parsed.matches(|f| fields.get(f).copied()), all_equal);
        }

        #[test]
        fn never_panics(s in "[a-z=!,\\\\é]{0,16}") {
            let _ = FieldSelector::parse(&s).map(|sel| sel.to_string());
        }
    }
}
