//! Format checks (apimachinery's `util/validation`): DNS-1123 labels and subdomains, DNS-1035
//! labels, qualified names (label keys), label values, config keys, port names and numbers.
//! Each returns upstream's messages, empty when the value is valid. Label selectors and the
//! API server's validation both use them.

const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1035_LABEL_FMT: &str = "[a-z]([-a-z0-9]*[a-z0-9])?";
const DNS1035_LABEL_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const QUALIFIED_NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const QUALIFIED_NAME_MSG: &str =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const CONFIG_KEY_FMT: &str = "[-._a-zA-Z0-9]+";
const CONFIG_KEY_MSG: &str = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";
const WILDCARD_FMT: &str = "\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const WILDCARD_MSG: &str = "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character";

/// `RegexError`: the message, examples and the regex, as upstream words it.
pub fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{msg} (regex used for validation is '{fmt}')");
    }
    let shown: Vec<String> = examples.iter().map(|e| format!("'{e}', ")).collect();
    format!("{msg} (e.g. {}regex used for validation is '{fmt}')", shown.join(" or "))
}

pub fn max_len_error(n: usize) -> String {
    format!("must be no more than {n} characters")
}

pub fn inclusive_range_error(lo: i64, hi: i64) -> String {
    format!("must be between {lo} and {hi}, inclusive")
}

/// The classes of ASCII bytes the checks below need, one table look-up per byte: every
/// write's name, label keys and values pass through them.
const LOWER_ALNUM: u8 = 1;
const ALNUM: u8 = 2;
/// `[-A-Za-z0-9_.]`, a qualified name's or label value's inner characters.
const NAME_PART: u8 = 4;

static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        if b.is_ascii_lowercase() || b.is_ascii_digit() {
            t[c] |= LOWER_ALNUM;
        }
        if b.is_ascii_alphanumeric() {
            t[c] |= ALNUM | NAME_PART;
        }
        if matches!(b, b'-' | b'_' | b'.') {
            t[c] |= NAME_PART;
        }
        c += 1;
    }
    t
};

fn is_alnum_lower(c: u8) -> bool {
    CLASS[c as usize] & LOWER_ALNUM != 0
}

fn matches_dns_label(v: &str) -> bool {
    let b = v.as_bytes();
    !b.is_empty()
        && b.iter().all(|&c| is_alnum_lower(c) || c == b'-')
        && is_alnum_lower(b[0])
        && is_alnum_lower(b[b.len() - 1])
}

/// Dot-separated DNS labels, checked in one pass over the bytes (every request validates
/// names): a label may not be empty, nor start or end with `-`.
fn matches_subdomain(v: &str) -> bool {
    let mut prev = b'.';
    for &c in v.as_bytes() {
        let ok = match c {
            b'.' => is_alnum_lower(prev),
            b'-' => prev != b'.',
            c => is_alnum_lower(c),
        };
        if !ok {
            return false;
        }
        prev = c;
    }
    is_alnum_lower(prev)
}

fn matches_name_part(v: &str) -> bool {
    let (Some(&first), Some(&last)) = (v.as_bytes().first(), v.as_bytes().last()) else { return false };
    CLASS[first as usize] & CLASS[last as usize] & ALNUM != 0 && v.bytes().all(|c| CLASS[c as usize] & NAME_PART != 0)
}

pub fn is_dns1123_label(v: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if v.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !matches_dns_label(v) {
        if matches_subdomain(v) {
            errs.push("must not contain dots".to_string());
        } else {
            errs.push(regex_error(DNS1123_LABEL_MSG, DNS1123_LABEL_FMT, &["my-name", "123-abc"]));
        }
    }
    errs
}

/// apimachinery's `maskTrailingDash`: a generateName prefix ending in '-' (a suffix follows)
/// is checked with its last two bytes replaced by `a`, as upstream does. A name whose last two
/// bytes are not whole characters is not ASCII, so it fails as it is, unmasked.
pub fn mask_trailing_dash(name: &str) -> std::borrow::Cow<'_, str> {
    match name.get(..name.len().wrapping_sub(2)) {
        Some(head) if name.len() > 1 && name.ends_with('-') => std::borrow::Cow::Owned([head, "a"].concat()),
        _ => std::borrow::Cow::Borrowed(name),
    }
}

pub fn is_dns1123_subdomain(v: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if v.len() > 253 {
        errs.push(max_len_error(253));
    }
    if !matches_subdomain(v) {
        errs.push(regex_error(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, &["example.com"]));
    }
    errs
}

pub fn is_wildcard_dns1123_subdomain(v: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if v.len() > 253 {
        errs.push(max_len_error(253));
    }
    if !v.strip_prefix("*.").is_some_and(matches_subdomain) {
        errs.push(regex_error(WILDCARD_MSG, WILDCARD_FMT, &["*.example.com"]));
    }
    errs
}

pub fn is_dns1035_label(v: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if v.len() > 63 {
        errs.push(max_len_error(63));
    }
    let b = v.as_bytes();
    let ok = matches_dns_label(v) && b[0].is_ascii_lowercase();
    if !ok {
        errs.push(regex_error(DNS1035_LABEL_MSG, DNS1035_LABEL_FMT, &["my-name", "abc-123"]));
    }
    errs
}

/// `IsQualifiedName`: a label key, annotation key or similar, with an optional DNS prefix.
pub fn is_qualified_name(v: &str) -> Vec<String> {
    // Every label key of every write comes here: the messages are made only for a bad one.
    if valid_qualified_name(v) {
        return Vec::new();
    }
    qualified_name_messages(v)
}

/// Whether `v` is a qualified name, in one pass and without making any message.
fn valid_qualified_name(v: &str) -> bool {
    // The slash found by a plain loop; a second one fails the name part's characters.
    let name = match v.bytes().position(|c| c == b'/') {
        None => v,
        Some(i) => {
            let prefix = &v[..i];
            if prefix.is_empty() || prefix.len() > 253 || !matches_subdomain(prefix) {
                return false;
            }
            &v[i + 1..]
        }
    };
    name.len() <= 63 && matches_name_part(name)
}

/// What is wrong with qualified name `v`, in upstream's words (none if it is valid).
fn qualified_name_messages(v: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let name = match v.split_once('/') {
        None => v,
        Some((prefix, name)) if !name.contains('/') => {
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".to_string());
            } else {
                errs.extend(is_dns1123_subdomain(prefix).into_iter().map(|m| format!("prefix part {m}")));
            }
            name
        }
        _ => {
            return vec![format!(
                "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, &["MyName", "my.name", "123-abc"])
            )]
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".to_string());
    } else if name.len() > 63 {
        errs.push(format!("name part {}", max_len_error(63)));
    }
    if !matches_name_part(name) {
        errs.push(format!(
            "name part {}",
            regex_error(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, &["MyName", "my.name", "123-abc"])
        ));
    }
    errs
}

pub fn is_label_value(v: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if v.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !v.is_empty() && !matches_name_part(v) {
        errs.push(regex_error(LABEL_VALUE_MSG, LABEL_VALUE_FMT, &["MyValue", "my_value", "12345"]));
    }
    errs
}

pub fn is_config_map_key(v: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if v.len() > 253 {
        errs.push(max_len_error(253));
    }
    if v.is_empty() || !v.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_')) {
        errs.push(regex_error(CONFIG_KEY_MSG, CONFIG_KEY_FMT, &["key.name", "KEY_NAME", "key-name"]));
    }
    errs.extend(has_chdir_prefix(v));
    errs
}

/// `hasChDirPrefix`: a name that would move out of a directory.
fn has_chdir_prefix(v: &str) -> Option<String> {
    match v {
        "." => Some("must not be '.'".to_string()),
        ".." => Some("must not be '..'".to_string()),
        _ if v.starts_with("..") => Some("must not start with '..'".to_string()),
        _ => None,
    }
}

/// `IsEnvVarName`: the strict form kubectl checks `set env` names with.
pub fn is_env_var_name(v: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let ok = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_');
    if v.is_empty() || v.as_bytes()[0].is_ascii_digit() || !v.bytes().all(ok) {
        errs.push(regex_error(
            "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit",
            "[-._a-zA-Z][-._a-zA-Z0-9]*",
            &["my.env-name", "MY_ENV.NAME", "MyEnvName1"],
        ));
    }
    errs.extend(has_chdir_prefix(v));
    errs
}

/// `IsRelaxedEnvVarName` (RelaxedEnvironmentVariableValidation is on by default since v1.32).
pub fn is_relaxed_env_var_name(v: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if v.is_empty() {
        errs.push("environment variable name must be non-empty".to_string());
    }
    if v.chars().any(|c| !(' '..='~').contains(&c) || c == '=') {
        errs.push(
            "a valid environment variable name must consist only of printable ASCII characters other than '='"
                .to_string(),
        );
    }
    errs
}

pub fn is_valid_port_num(port: i64) -> Vec<String> {
    if (1..=65535).contains(&port) {
        Vec::new()
    } else {
        vec![inclusive_range_error(1, 65535)]
    }
}

pub fn is_valid_port_name(port: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if port.len() > 15 {
        errs.push(max_len_error(15));
    }
    if port.is_empty() || !port.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-') {
        errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".to_string());
    }
    if !port.bytes().any(|c| c.is_ascii_lowercase()) {
        errs.push("must contain at least one letter (a-z)".to_string());
    }
    if port.contains("--") {
        errs.push("must not contain consecutive hyphens".to_string());
    }
    if port.starts_with('-') || port.ends_with('-') {
        errs.push("must not begin or end with a hyphen".to_string());
    }
    errs
}

pub fn is_valid_percent(v: &str) -> Vec<String> {
    let ok = v.strip_suffix('%').is_some_and(|d| !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()));
    if ok {
        Vec::new()
    } else {
        vec![regex_error(
            "a valid percent string must be a numeric string followed by an ending '%'",
            "[0-9]+%",
            &["1%", "93%"],
        )]
    }
}

pub fn is_http_header_name(v: &str) -> Vec<String> {
    if !v.is_empty() && v.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-') {
        Vec::new()
    } else {
        vec![regex_error(
            "a valid HTTP header must consist of alphanumeric characters or '-'",
            "[-A-Za-z0-9]+",
            &["X-Header-Name"],
        )]
    }
}

/// `IsValidPathSegmentName` / `IsValidPathSegmentPrefix`: names that appear in a URL path (RBAC).
pub fn path_segment_name(name: &str, prefix: bool) -> Vec<String> {
    if !prefix {
        for bad in [".", ".."] {
            if name == bad {
                return vec![format!("may not be '{bad}'")];
            }
        }
    }
    ["/", "%"].iter().filter(|c| name.contains(**c)).map(|c| format!("may not contain '{c}'")).collect()
}

/// `ErrorList.ToAggregate().Error()`: duplicates dropped, one error as is, several as `[a, b]`.
pub fn aggregate(errs: Vec<String>) -> Option<String> {
    let mut unique: Vec<String> = Vec::with_capacity(errs.len());
    for e in errs {
        if !unique.contains(&e) {
            unique.push(e);
        }
    }
    match unique.len() {
        0 => None,
        1 => unique.pop(),
        _ => Some(format!("[{}]", unique.join(", "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The byte table holds the regexes' character sets, for every byte (non-ASCII in none).
    #[test]
    fn byte_classes_are_the_regexes_character_sets() {
        for b in 0..=255u8 {
            let class = CLASS[usize::from(b)];
            assert_eq!(class & LOWER_ALNUM != 0, b.is_ascii_lowercase() || b.is_ascii_digit(), "byte {b}");
            assert_eq!(class & ALNUM != 0, b.is_ascii_alphanumeric(), "byte {b}");
            let inner = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
            assert_eq!(class & NAME_PART != 0, inner, "byte {b}");
        }
    }

    proptest! {
        /// A label value or a qualified name's name part: `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
        #[test]
        fn name_part_is_its_regex(v in "[a-zA-Z0-9._/é -]{0,8}") {
            let alnum = |c: char| c.is_ascii_alphanumeric();
            let inner = |c: char| alnum(c) || matches!(c, '-' | '_' | '.');
            let expected = v.chars().next().is_some_and(alnum) && v.chars().last().is_some_and(alnum) && v.chars().all(inner);
            prop_assert_eq!(matches_name_part(&v), expected);
        }

        /// The one-pass subdomain check is the per-label one.
        #[test]
        fn subdomain_in_one_pass_is_labels_joined_by_dots(v in "[a-z0-9.-]{0,12}|[a-zA-Z0-9._/-]{0,8}") {
            prop_assert_eq!(matches_subdomain(&v), v.split('.').all(matches_dns_label));
        }

        /// A qualified name has at most one `/`, with a non-empty prefix before it.
        #[test]
        fn qualified_names_split_once(prefix in "[a-z.]{0,5}", name in "[a-zA-Z0-9._/-]{0,8}") {
            let v = format!("{prefix}/{name}");
            let parts = v.split('/').count();
            prop_assert_eq!(is_qualified_name(&v).is_empty(), parts == 2
                && !prefix.is_empty() && matches_subdomain(&prefix) && name.len() <= 63 && matches_name_part(&name));
        }

        /// The one-pass check agrees with the messages, long prefixes and names included.
        #[test]
        fn quick_check_is_the_messages_check(v in "[a-zA-Z0-9._/-]{0,12}|[a-z.]{0,3}/?[a-z]{60,66}|([a-z]{10}\\.){22}[a-z]{1,12}/[a-z]{1,3}") {
            prop_assert_eq!(valid_qualified_name(&v), qualified_name_messages(&v).is_empty());
        }
    }
}
