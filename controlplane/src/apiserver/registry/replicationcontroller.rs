//! ReplicationControllers (core/v1 `SetDefaults_ReplicationController`, `ValidateReplicationController`):
//! replicas 1; the selector and the controller's labels default to the template's labels.

use k8s_openapi::api::core::v1::ReplicationController;

use super::gofmt;
use super::names::nonnegative;
use super::podspec::default_template;
use super::podvalidation::{validate_restart_always, validate_template};
use super::Strategy;
use crate::apiserver::error::FieldError;

impl Strategy for ReplicationController {
    fn default(&mut self) {
        let spec = self.spec.get_or_insert_with(Default::default);
        let labels = spec.template.as_ref().and_then(|t| t.metadata.as_ref()).and_then(|m| m.labels.clone());
        if let Some(labels) = labels {
            if spec.selector.as_ref().is_none_or(|s| s.is_empty()) {
                spec.selector = Some(labels.clone());
            }
            if self.metadata.labels.as_ref().is_none_or(|l| l.is_empty()) {
                self.metadata.labels = Some(labels);
            }
        }
        spec.replicas.get_or_insert(1);
        if let Some(t) = spec.template.as_mut() {
            default_template(t);
        }
    }

    fn prepare_for_create(&mut self) {
        self.status = Some(Default::default());
    }

    fn validate(&self, errs: &mut Vec<FieldError>) {
        let spec = self.spec.clone().unwrap_or_default();
        nonnegative(spec.min_ready_seconds.unwrap_or(0).into(), "spec.minReadySeconds", errs);
        let selector = spec.selector.clone().unwrap_or_default();
        if selector.is_empty() {
            errs.push(FieldError::required("spec.selector", ""));
        }
        nonnegative(spec.replicas.unwrap_or(0).into(), "spec.replicas", errs);
        let Some(t) = spec.template.as_ref() else {
            errs.push(FieldError::required("spec.template", ""));
            return;
        };
        let labels = t.metadata.as_ref().and_then(|m| m.labels.as_ref());
        let matches = selector.iter().all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v));
        if !selector.is_empty() && !matches {
            errs.push(FieldError::invalid(
                "spec.template.metadata.labels",
                gofmt::string_map(labels),
                "`selector` does not match template `labels`",
            ));
        }
        validate_template(t, &"spec.template", errs);
        validate_restart_always(t, "ReplicationController", errs);
    }
}
