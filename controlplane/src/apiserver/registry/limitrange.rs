//! LimitRanges (core/v1 `SetDefaults_LimitRangeItem`, part of `ValidateLimitRange`): for
//! Container limits, `default` falls back to `max` and `defaultRequest` to `default`, then `min`.

use k8s_openapi::api::core::v1::LimitRange;

use super::names::{invalid_str, is_qualified_name};
use super::Strategy;
use crate::apiserver::error::{quote, FieldError};
use crate::model::quantity::Quantity as Qty;

impl Strategy for LimitRange {
    fn default(&mut self) {
        for item in self.spec.iter_mut().flat_map(|s| s.limits.iter_mut()) {
            if item.type_ != "Container" {
                continue;
            }
            let default = item.default.get_or_insert_with(Default::default);
            for (k, v) in item.max.iter().flatten() {
                default.entry(k.clone()).or_insert_with(|| v.clone());
            }
            let request = item.default_request.get_or_insert_with(Default::default);
            for (k, v) in default.iter().chain(item.min.iter().flatten()) {
                request.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }

    fn validate(&self, errs: &mut Vec<FieldError>) {
        let mut types = Vec::new();
        for (i, item) in self.spec.iter().flat_map(|s| s.limits.iter()).enumerate() {
            let p = format!("spec.limits[{i}]");
            let name_errs = invalid_str(format_args!("{p}.type"), &item.type_, is_qualified_name(&item.type_));
            if !name_errs.is_empty() {
                errs.extend(name_errs);
            } else if !item.type_.contains('/')
                && !matches!(item.type_.as_str(), "Pod" | "Container" | "PersistentVolumeClaim")
            {
                errs.push(FieldError::invalid(
                    format!("{p}.type"),
                    quote(&item.type_),
                    "must be a standard limit type or fully qualified",
                ));
            }
            if types.contains(&item.type_) {
                errs.push(FieldError::duplicate(format!("{p}.type"), quote(&item.type_)));
            }
            types.push(item.type_.clone());
            if item.type_ == "Pod" {
                if item.default.as_ref().is_some_and(|d| !d.is_empty()) {
                    errs.push(FieldError::forbidden(
                        format!("{p}.default"),
                        "may not be specified when `type` is 'Pod'",
                    ));
                }
                if item.default_request.as_ref().is_some_and(|d| !d.is_empty()) {
                    errs.push(FieldError::forbidden(
                        format!("{p}.defaultRequest"),
                        "may not be specified when `type` is 'Pod'",
                    ));
                }
            }
            let get =
                |m: &Option<
                    std::collections::BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
                >,
                 k: &str| { m.as_ref().and_then(|m| m.get(k)).and_then(|q| Qty::from_k8s(q).ok()) };
            for k in item.max.iter().flatten().map(|(k, _)| k).chain(item.min.iter().flatten().map(|(k, _)| k)) {
                if let (Some(min), Some(max)) = (get(&item.min, k), get(&item.max, k)) {
                    if min > max {
                        errs.push(FieldError::invalid(
                            format!("{p}.min[{k}]"),
                            quote(&min.to_string()),
                            format!("min value {min} is greater than max value {max}"),
                        ));
                    }
                }
            }
        }
    }
}
