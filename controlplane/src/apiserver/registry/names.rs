//! Name and metadata checks of the API server, over the format checks of
//! [`crate::model::validation`].

pub use crate::model::validation::*;

use crate::apiserver::error::{quote, FieldError};

/// How a kind's `metadata.name` is checked (the kind's `ValidateNameFunc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRule {
    Subdomain,
    Label,
    Dns1035,
    PathSegment,
}

/// Check a name (or, with `prefix`, a generateName prefix whose trailing '-' is allowed).
pub fn check_name(rule: NameRule, name: &str, prefix: bool) -> Vec<String> {
    // A generateName may end in '-', since a suffix follows.
    let masked = if prefix { mask_trailing_dash(name) } else { std::borrow::Cow::Borrowed(name) };
    let name = &*masked;
    match rule {
        NameRule::Subdomain => is_dns1123_subdomain(name),
        NameRule::Label => is_dns1123_label(name),
        NameRule::Dns1035 => is_dns1035_label(name),
        NameRule::PathSegment => path_segment_name(name, prefix),
    }
}

/// One `Invalid` error per message, on a string value.
/// The path is formatted only when there are messages: most values are valid.
pub fn invalid_str(path: impl std::fmt::Display, value: &str, msgs: Vec<String>) -> Vec<FieldError> {
    msgs.into_iter().map(|m| FieldError::invalid(path.to_string(), quote(value), m)).collect()
}

/// `ValidateLabels`: keys are qualified names, values label values; errors sit on the map's path.
pub fn validate_labels(
    labels: Option<&std::collections::BTreeMap<String, String>>,
    path: &dyn std::fmt::Display,
    errs: &mut Vec<FieldError>,
) {
    for (k, v) in labels.into_iter().flatten() {
        // Every label of every write comes here, nearly always valid: nothing is built for it.
        for (value, msgs) in [(k, is_qualified_name(k)), (v, is_label_value(v))] {
            if !msgs.is_empty() {
                errs.extend(invalid_str(path, value, msgs));
            }
        }
    }
}

/// `ValidateAnnotations`: keys are qualified names (case-insensitive), 256 KiB in total.
pub fn validate_annotations(
    annotations: Option<&std::collections::BTreeMap<String, String>>,
    path: &dyn std::fmt::Display,
    errs: &mut Vec<FieldError>,
) {
    let Some(annotations) = annotations else { return };
    let mut total = 0;
    for (k, v) in annotations {
        // Lower-cased only when that changes it (ASCII without capitals stays as it is).
        let lower = match k.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
            true => std::borrow::Cow::Borrowed(k.as_str()),
            false => std::borrow::Cow::Owned(k.to_lowercase()),
        };
        errs.extend(invalid_str(path, k, is_qualified_name(&lower)));
        total += k.len() + v.len();
    }
    if total > 256 * 1024 {
        errs.push(FieldError::too_long(path.to_string(), 256 * 1024));
    }
}

/// An enum-valued field: empty is `Required`, a value outside `supported` is `NotSupported`
/// (the list as the message names it, in upstream's order).
/// The path is formatted only on an error (`format_args!` at the call), as most values are valid.
pub fn one_of(value: &str, path: impl std::fmt::Display, supported: &[&str], errs: &mut Vec<FieldError>) {
    if value.is_empty() {
        errs.push(FieldError::required(path.to_string(), ""));
    } else if !supported.contains(&value) {
        errs.push(FieldError::not_supported(path.to_string(), quote(value), supported));
    }
}

/// `ValidateNonnegativeField`.
pub fn nonnegative(value: i64, path: impl std::fmt::Display, errs: &mut Vec<FieldError>) {
    if value < 0 {
        errs.push(FieldError::invalid(path.to_string(), value.to_string(), "must be greater than or equal to 0"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A generateName ending in a dash after a character of two bytes was cut inside it
    /// (a panic): it is refused as it is.
    #[test]
    fn issue_13_a_generate_name_not_ascii_is_refused_not_cut() {
        assert_eq!(check_name(NameRule::Subdomain, "é-", true).len(), 1);
        assert_eq!(check_name(NameRule::Label, "ü", true).len(), 1);
        assert!(check_name(NameRule::Subdomain, "a-", true).is_empty());
    }

    #[test]
    fn messages() {
        assert_eq!(
            is_dns1123_subdomain("Web_1"),
            ["a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"]
        );
        assert_eq!(
            is_dns1123_label("My"),
            ["a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"]
        );
        assert_eq!(is_dns1123_label("a.b"), ["must not contain dots"]);
        assert!(is_dns1035_label("1abc")[0].starts_with("a DNS-1035 label must consist"));
        assert_eq!(is_qualified_name("a/b/c").len(), 1);
        assert_eq!(is_qualified_name("/x"), ["prefix part must be non-empty"]);
        assert!(is_qualified_name("example.com/ok").is_empty());
        assert_eq!(is_label_value(&"a".repeat(64)), ["must be no more than 63 characters"]);
        assert!(is_label_value("").is_empty());
        assert_eq!(check_name(NameRule::Subdomain, "web-", true), Vec::<String>::new());
        assert_eq!(path_segment_name("a/b", false), ["may not contain '/'"]);
        assert_eq!(
            is_valid_port_name("HTTP"),
            [
                "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                "must contain at least one letter (a-z)"
            ]
        );
        assert!(is_relaxed_env_var_name("1-MY.VAR").is_empty());
        assert_eq!(is_config_map_key(".."), ["must not be '..'".to_string()]);
    }
}
