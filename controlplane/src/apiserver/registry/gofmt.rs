//! Values as upstream prints them in field errors. Structs, maps and int-or-strings are printed
//! with Go's `%#v`, so kubectl shows e.g. `map[string]string{"app":"web"}`; these render the same.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::apiserver::error::quote;

/// `map[string]string{"a":"b", "c":"d"}`, or `map[string]string(nil)` when absent.
pub fn string_map(m: Option<&BTreeMap<String, String>>) -> String {
    match m {
        None => "map[string]string(nil)".to_string(),
        Some(m) => {
            let items: Vec<String> = m.iter().map(|(k, v)| format!("{}:{}", quote(k), quote(v))).collect();
            format!("map[string]string{{{}}}", items.join(", "))
        }
    }
}

/// `[]string{"a", "b"}`, or `[]string(nil)`.
pub fn string_slice(v: Option<&Vec<String>>) -> String {
    match v {
        None => "[]string(nil)".to_string(),
        Some(v) => format!("[]string{{{}}}", v.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", ")),
    }
}

/// A `metav1.LabelSelector` as `%#v` prints it.
pub fn label_selector(s: &LabelSelector) -> String {
    let exprs = match &s.match_expressions {
        None => "[]v1.LabelSelectorRequirement(nil)".to_string(),
        Some(list) => {
            let items: Vec<String> = list
                .iter()
                .map(|r| {
                    format!(
                        "v1.LabelSelectorRequirement{{Key:{}, Operator:{}, Values:{}}}",
                        quote(&r.key),
                        quote(&r.operator),
                        string_slice(r.values.as_ref())
                    )
                })
                .collect();
            format!("[]v1.LabelSelectorRequirement{{{}}}", items.join(", "))
        }
    };
    format!("v1.LabelSelector{{MatchLabels:{}, MatchExpressions:{}}}", string_map(s.match_labels.as_ref()), exprs)
}

/// An `intstr.IntOrString` as `%#v` prints it.
pub fn int_or_string(v: &IntOrString) -> String {
    match v {
        IntOrString::Int(i) => format!("intstr.IntOrString{{Type:0, IntVal:{i}, StrVal:\"\"}}"),
        IntOrString::String(s) => format!("intstr.IntOrString{{Type:1, IntVal:0, StrVal:{}}}", quote(s)),
    }
}

/// A pointer field in a `%#v` struct dump: `(*T)(nil)`, or a fixed stand-in address (upstream prints
/// a heap address that changes every run; kubesim keeps its output repeatable).
pub fn pointer(type_name: &str, present: bool) -> String {
    if present {
        format!("(*{type_name})(0xc000010000)")
    } else {
        format!("(*{type_name})(nil)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_values() {
        let m: BTreeMap<String, String> = [("app".to_string(), "web".to_string())].into();
        assert_eq!(string_map(Some(&m)), r#"map[string]string{"app":"web"}"#);
        let sel = LabelSelector { match_labels: Some(m), match_expressions: None };
        assert_eq!(
            label_selector(&sel),
            r#"v1.LabelSelector{MatchLabels:map[string]string{"app":"web"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}"#
        );
        assert_eq!(int_or_string(&IntOrString::Int(0)), r#"intstr.IntOrString{Type:0, IntVal:0, StrVal:""}"#);
    }
}
