//! Label selectors in workload specs: `ValidateLabelSelector`, and whether a selector matches the
//! pod template's labels (`LabelSelectorAsSelector` + `Matches`).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::gofmt;
use super::names::{invalid_str, is_label_value, is_qualified_name, validate_labels};
use crate::apiserver::error::{quote, FieldError};

/// Whether a selector selects nothing at all. A typed object cannot tell a missing selector from
/// `{}`; both are treated as missing, the common mistake.
pub fn is_unset(s: &LabelSelector) -> bool {
    s.match_labels.as_ref().is_none_or(|m| m.is_empty()) && s.match_expressions.as_ref().is_none_or(|e| e.is_empty())
}

/// `ValidateLabelSelector` (strict label values).
pub fn validate(s: &LabelSelector, path: &str, errs: &mut Vec<FieldError>) {
    validate_labels(s.match_labels.as_ref(), &format!("{path}.matchLabels"), errs);
    for (i, r) in s.match_expressions.iter().flatten().enumerate() {
        let p = format!("{path}.matchExpressions[{i}]");
        let values = r.values.as_deref().unwrap_or_default();
        match r.operator.as_str() {
            "In" | "NotIn" if values.is_empty() => errs.push(FieldError::required(
                format!("{p}.values"),
                "must be specified when `operator` is 'In' or 'NotIn'",
            )),
            "Exists" | "DoesNotExist" if !values.is_empty() => errs.push(FieldError::forbidden(
                format!("{p}.values"),
                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            )),
            "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
            op => errs.push(FieldError::invalid(format!("{p}.operator"), quote(op), "not a valid selector operator")),
        }
        errs.extend(invalid_str(format_args!("{p}.key"), &r.key, is_qualified_name(&r.key)));
        for (j, v) in values.iter().enumerate() {
            errs.extend(invalid_str(format_args!("{p}.values[{j}]"), v, is_label_value(v)));
        }
    }
}

/// Whether `labels` satisfy the selector; `None` when the selector cannot be interpreted
/// (`LabelSelectorAsSelector` fails). An unset selector matches nothing (`labels.Nothing()`).
pub fn matches(s: &LabelSelector, labels: Option<&BTreeMap<String, String>>) -> Option<bool> {
    if is_unset(s) {
        return Some(false);
    }
    let selector = crate::model::selector::LabelSelector::from_k8s(s).ok()?;
    Some(selector.matches(labels.unwrap_or(&BTreeMap::new())))
}

/// The template-labels check of every workload: `<template>.metadata.labels: Invalid value:
/// map[string]string{...}: `selector` does not match template `labels``.
pub fn check_template(
    s: &LabelSelector,
    labels: Option<&BTreeMap<String, String>>,
    template_path: &str,
    errs: &mut Vec<FieldError>,
) {
    if matches(s, labels) == Some(false) {
        errs.push(FieldError::invalid(
            format!("{template_path}.metadata.labels"),
            gofmt::string_map(labels),
            "`selector` does not match template `labels`",
        ));
    }
}

/// The immutable-selector rule of apps/v1 updates.
pub fn check_immutable(new: &LabelSelector, old: &LabelSelector, path: &str, errs: &mut Vec<FieldError>) {
    if new != old {
        errs.push(FieldError::invalid(path, gofmt::label_selector(new), "field is immutable"));
    }
}

/// The checks every apps/v1 workload makes of its selector and template labels: required,
/// well-formed, and matching the template. (Upstream also rejects a present-but-empty selector;
/// here that reads as missing, see [`is_unset`].)
pub fn check_workload(s: &LabelSelector, labels: Option<&BTreeMap<String, String>>, errs: &mut Vec<FieldError>) {
    if is_unset(s) {
        errs.push(FieldError::required("spec.selector", ""));
    } else {
        validate(s, "spec.selector", errs);
    }
    match matches(s, labels) {
        None => errs.push(FieldError::invalid("spec.selector", gofmt::label_selector(s), "invalid label selector")),
        Some(_) => check_template(s, labels, "spec.template", errs),
    }
}
