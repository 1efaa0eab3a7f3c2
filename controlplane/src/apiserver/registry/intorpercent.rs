//! Int-or-percent fields of rollout strategies and disruption budgets (apps validation's
//! `ValidatePositiveIntOrPercent`, `IsNotMoreThan100Percent`, `getIntOrPercentValue`).

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::gofmt;
use super::names::{is_valid_percent, nonnegative};
use crate::apiserver::error::FieldError;

/// The number in an int or a valid percent string (`25%` → 25); 0 otherwise.
pub fn value(v: &IntOrString) -> i64 {
    match v {
        IntOrString::Int(i) => (*i).into(),
        IntOrString::String(s) => percent(s).unwrap_or(0),
    }
}

fn percent(s: &str) -> Option<i64> {
    if is_valid_percent(s).is_empty() {
        s[..s.len() - 1].parse().ok()
    } else {
        None
    }
}

pub fn validate_positive(v: &IntOrString, path: &str, errs: &mut Vec<FieldError>) {
    match v {
        IntOrString::String(s) => {
            for m in is_valid_percent(s) {
                errs.push(FieldError::invalid(path, gofmt::int_or_string(v), m));
            }
        }
        IntOrString::Int(i) => nonnegative((*i).into(), path, errs),
    }
}

pub fn not_more_than_100_percent(v: &IntOrString, path: &str, errs: &mut Vec<FieldError>) {
    if let IntOrString::String(s) = v {
        if percent(s).is_some_and(|p| p > 100) {
            errs.push(FieldError::invalid(path, gofmt::int_or_string(v), "must not be greater than 100%"));
        }
    }
}
