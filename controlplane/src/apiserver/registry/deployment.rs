//! Deployments (`pkg/registry/apps/deployment/strategy.go`, apps/v1 `SetDefaults_Deployment`,
//! `ValidateDeploymentSpec`): replicas 1, RollingUpdate 25%/25%, revisionHistoryLimit 10,
//! progressDeadlineSeconds 600; selector required, matching the template, immutable.

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::containers::port_warnings;
use super::names::nonnegative;
use super::podspec::default_template;
use super::podvalidation::{validate_restart_always, validate_template};
use super::{gofmt, intorpercent, selector, Strategy};
use crate::apiserver::error::{quote, FieldError};

impl Strategy for Deployment {
    fn default(&mut self) {
        let spec = self.spec.get_or_insert_with(Default::default);
        spec.replicas.get_or_insert(1);
        let strategy = spec.strategy.get_or_insert_with(Default::default);
        if strategy.type_.as_deref().unwrap_or("").is_empty() {
            strategy.type_ = Some("RollingUpdate".into());
        }
        if strategy.type_.as_deref() == Some("RollingUpdate") {
            let ru = strategy.rolling_update.get_or_insert_with(Default::default);
            ru.max_unavailable.get_or_insert_with(|| IntOrString::String("25%".into()));
            ru.max_surge.get_or_insert_with(|| IntOrString::String("25%".into()));
        }
        spec.revision_history_limit.get_or_insert(10);
        spec.progress_deadline_seconds.get_or_insert(600);
        default_template(&mut spec.template);
    }

    fn prepare_for_create(&mut self) {
        self.status = Some(Default::default());
    }

    fn validate(&self, errs: &mut Vec<FieldError>) {
        let spec = self.spec.clone().unwrap_or_default();
        nonnegative(spec.replicas.unwrap_or(0).into(), "spec.replicas", errs);
        validate_selector_and_template(&spec.selector, &spec.template, errs);
        validate_strategy(spec.strategy.as_ref(), errs);
        nonnegative(spec.min_ready_seconds.unwrap_or(0).into(), "spec.minReadySeconds", errs);
        if let Some(r) = spec.revision_history_limit {
            nonnegative(r.into(), "spec.revisionHistoryLimit", errs);
        }
        if let Some(p) = spec.progress_deadline_seconds {
            nonnegative(p.into(), "spec.progressDeadlineSeconds", errs);
            if p <= spec.min_ready_seconds.unwrap_or(0) {
                errs.push(FieldError::invalid(
                    "spec.progressDeadlineSeconds",
                    p.to_string(),
                    "must be greater than minReadySeconds",
                ));
            }
        }
    }

    fn validate_update(&self, old: &Self, errs: &mut Vec<FieldError>) {
        let (new, old) = (spec_of(self), spec_of(old));
        selector::check_immutable(&new.selector, &old.selector, "spec.selector", errs);
    }

    /// Annotation changes bump the generation too: they are copied to the ReplicaSets.
    fn spec_changed(&self, old: &Self) -> bool {
        self.spec != old.spec || self.metadata.annotations != old.metadata.annotations
    }

    fn warnings(&self) -> Vec<String> {
        port_warnings(&spec_of(self).template.spec.unwrap_or_default(), "spec.template.spec")
    }
}

fn spec_of(d: &Deployment) -> DeploymentSpec {
    d.spec.clone().unwrap_or_default()
}

/// The selector and template checks Deployments and ReplicaSets share (`ValidatePodTemplateSpecForReplicaSet`).
pub fn validate_selector_and_template(
    sel: &k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector,
    template: &k8s_openapi::api::core::v1::PodTemplateSpec,
    errs: &mut Vec<FieldError>,
) {
    selector::check_workload(sel, template.metadata.as_ref().and_then(|m| m.labels.as_ref()), errs);
    validate_template(template, &"spec.template", errs);
    validate_restart_always(template, "ReplicaSet", errs);
}

fn validate_strategy(strategy: Option<&DeploymentStrategy>, errs: &mut Vec<FieldError>) {
    let s = strategy.cloned().unwrap_or_default();
    match s.type_.as_deref().unwrap_or("") {
        "Recreate" => {
            if s.rolling_update.is_some() {
                errs.push(FieldError::forbidden(
                    "spec.strategy.rollingUpdate",
                    "may not be specified when strategy `type` is 'Recreate'",
                ));
            }
        }
        "RollingUpdate" => match &s.rolling_update {
            None => errs
                .push(FieldError::required("spec.strategy.rollingUpdate", "this should be defaulted and never be nil")),
            Some(ru) => validate_rolling_update(ru, errs),
        },
        other => {
            let shown = format!(
                "apps.DeploymentStrategy{{Type:{}, RollingUpdate:{}}}",
                quote(other),
                gofmt::pointer("apps.RollingUpdateDeployment", s.rolling_update.is_some())
            );
            errs.push(FieldError::not_supported("spec.strategy", shown, &["Recreate", "RollingUpdate"]));
        }
    }
}

fn validate_rolling_update(ru: &RollingUpdateDeployment, errs: &mut Vec<FieldError>) {
    let unavailable = ru.max_unavailable.clone().unwrap_or(IntOrString::Int(0));
    let surge = ru.max_surge.clone().unwrap_or(IntOrString::Int(0));
    let path = "spec.strategy.rollingUpdate";
    intorpercent::validate_positive(&unavailable, &format!("{path}.maxUnavailable"), errs);
    intorpercent::validate_positive(&surge, &format!("{path}.maxSurge"), errs);
    if intorpercent::value(&unavailable) == 0 && intorpercent::value(&surge) == 0 {
        errs.push(FieldError::invalid(
            format!("{path}.maxUnavailable"),
            gofmt::int_or_string(&unavailable),
            "may not be 0 when `maxSurge` is 0",
        ));
    }
    intorpercent::not_more_than_100_percent(&unavailable, &format!("{path}.maxUnavailable"), errs);
}
