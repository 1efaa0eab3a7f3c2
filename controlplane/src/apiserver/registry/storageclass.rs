//! StorageClasses (storage/v1 `SetDefaults_StorageClass`, `ValidateStorageClass`): reclaimPolicy
//! Delete, volumeBindingMode Immediate; a provisioner is required; most fields are fixed.

use k8s_openapi::api::storage::v1::StorageClass;

use super::names::{invalid_str, is_qualified_name};
use super::Strategy;
use crate::apiserver::error::{quote, FieldError};

impl Strategy for StorageClass {
    fn default(&mut self) {
        self.reclaim_policy.get_or_insert_with(|| "Delete".into());
        self.volume_binding_mode.get_or_insert_with(|| "Immediate".into());
    }

    fn validate(&self, errs: &mut Vec<FieldError>) {
        if self.provisioner.is_empty() {
            errs.push(FieldError::required("provisioner", ""));
        } else {
            let lower = self.provisioner.to_lowercase();
            errs.extend(invalid_str("provisioner", &lower, is_qualified_name(&lower)));
        }
        let params = self.parameters.clone().unwrap_or_default();
        if params.len() > 512 {
            errs.push(FieldError::too_long("parameters", 512));
        } else if params.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>() > 256 * 1024 {
            errs.push(FieldError::too_long("parameters", 256 * 1024));
        }
        if let Some(p) = self.reclaim_policy.as_deref().filter(|p| !p.is_empty() && *p != "Delete" && *p != "Retain") {
            errs.push(FieldError::not_supported("reclaimPolicy", quote(p), &["Delete", "Retain"]));
        }
        match self.volume_binding_mode.as_deref() {
            None => errs.push(FieldError::required("volumeBindingMode", "")),
            Some("Immediate" | "WaitForFirstConsumer") => {}
            Some(other) => errs.push(FieldError::not_supported(
                "volumeBindingMode",
                quote(other),
                &["Immediate", "WaitForFirstConsumer"],
            )),
        }
    }

    fn validate_update(&self, old: &Self, errs: &mut Vec<FieldError>) {
        if self.parameters != old.parameters {
            errs.push(FieldError::forbidden("parameters", "updates to parameters are forbidden."));
        }
        if self.provisioner != old.provisioner {
            errs.push(FieldError::forbidden("provisioner", "updates to provisioner are forbidden."));
        }
        if self.reclaim_policy != old.reclaim_policy {
            errs.push(FieldError::forbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden."));
        }
        if self.volume_binding_mode != old.volume_binding_mode {
            let shown = self.volume_binding_mode.as_deref().map(quote).unwrap_or_else(|| "null".into());
            errs.push(FieldError::invalid("volumeBindingMode", shown, "field is immutable"));
        }
    }
}
