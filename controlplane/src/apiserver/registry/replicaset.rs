//! ReplicaSets (`pkg/registry/apps/replicaset/strategy.go`, `ValidateReplicaSetSpec`): replicas 1;
//! selector required, matching the template, immutable on update; template restartPolicy Always.

use k8s_openapi::api::apps::v1::ReplicaSet;

use super::containers::port_warnings;
use super::deployment::validate_selector_and_template;
use super::names::nonnegative;
use super::podspec::default_template;
use super::{selector, Strategy};
use crate::apiserver::error::FieldError;

impl Strategy for ReplicaSet {
    fn default(&mut self) {
        let spec = self.spec.get_or_insert_with(Default::default);
        spec.replicas.get_or_insert(1);
        default_template(spec.template.get_or_insert_with(Default::default));
    }

    fn prepare_for_create(&mut self) {
        self.status = Some(Default::default());
    }

    fn validate(&self, errs: &mut Vec<FieldError>) {
        let spec = self.spec.clone().unwrap_or_default();
        nonnegative(spec.replicas.unwrap_or(0).into(), "spec.replicas", errs);
        nonnegative(spec.min_ready_seconds.unwrap_or(0).into(), "spec.minReadySeconds", errs);
        validate_selector_and_template(&spec.selector, &spec.template.unwrap_or_default(), errs);
    }

    fn validate_update(&self, old: &Self, errs: &mut Vec<FieldError>) {
        let (new, old) = (self.spec.clone().unwrap_or_default(), old.spec.clone().unwrap_or_default());
        selector::check_immutable(&new.selector, &old.selector, "spec.selector", errs);
    }

    fn warnings(&self) -> Vec<String> {
        let spec = self.spec.clone().unwrap_or_default().template.unwrap_or_default().spec.unwrap_or_default();
        port_warnings(&spec, "spec.template.spec")
    }
}
