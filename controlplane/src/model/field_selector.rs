//! Field selectors (`kubectl get --field-selector spec.nodeName=n1,status.phase!=Running`).
//!
//! Parsing, escaping, matching and the string form follow k8s.io/apimachinery
//! `pkg/fields/selector.go` as released with Kubernetes 1.33. Which fields a kind supports is the
//! caller's business: reject the others with [`unsupported_field_error`] (kinds with their own
//! field-label conversion) or [`unknown_field_error`] (kinds using the default one).

use std::fmt::{self, Write as _};

use super::selector::SelectorError;

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
        for (i, requirement) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_char(',')?;
            }
            write!(f, "{requirement}")?;
        }
        Ok(())
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
        for (op, operator) in [("!=", FieldOperator::NotEquals), ("==", FieldOperator::Equals), ("=", FieldOperator::Equals)]
        {
            if let Some(value) = rest.strip_prefix(op) {
                return Some((&term[..i], operator, value));
            }
        }
    }
    None
}
