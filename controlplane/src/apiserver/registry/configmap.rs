//! ConfigMaps (`ValidateConfigMap`, `ValidateConfigMapUpdate`): keys are config keys, no key in
//! both `data` and `binaryData`, 1 MiB in total; an immutable ConfigMap keeps its data.

use k8s_openapi::api::core::v1::ConfigMap;

use super::names::{invalid_str, is_config_map_key};
use super::Strategy;
use crate::apiserver::error::{quote, FieldError};

/// `MaxSecretSize`, the limit of ConfigMaps and Secrets alike.
pub const MAX_SIZE: usize = 1024 * 1024;

impl Strategy for ConfigMap {
    fn validate(&self, errs: &mut Vec<FieldError>) {
        let mut total = 0;
        for (k, v) in self.data.iter().flatten() {
            errs.extend(invalid_str(format_args!("data[{k}]"), k, is_config_map_key(k)));
            if self.binary_data.as_ref().is_some_and(|b| b.contains_key(k)) {
                errs.push(FieldError::invalid(
                    format!("data[{k}]"),
                    quote(k),
                    "duplicate of key present in binaryData",
                ));
            }
            total += v.len();
        }
        for (k, v) in self.binary_data.iter().flatten() {
            errs.extend(invalid_str(format_args!("binaryData[{k}]"), k, is_config_map_key(k)));
            total += v.0.len();
        }
        if total > MAX_SIZE {
            // Upstream reports it on `field.NewPath("")`, the whole object, which prints as `[]`.
            errs.push(FieldError::too_long("[]", MAX_SIZE));
        }
    }

    fn validate_update(&self, old: &Self, errs: &mut Vec<FieldError>) {
        if old.immutable == Some(true) {
            if self.immutable != Some(true) {
                errs.push(FieldError::forbidden("immutable", "field is immutable when `immutable` is set"));
            }
            if self.data != old.data {
                errs.push(FieldError::forbidden("data", "field is immutable when `immutable` is set"));
            }
            if self.binary_data != old.binary_data {
                errs.push(FieldError::forbidden("binaryData", "field is immutable when `immutable` is set"));
            }
        }
    }
}
