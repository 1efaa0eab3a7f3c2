//! DaemonSets (`pkg/registry/apps/daemonset/strategy.go`, `ValidateDaemonSetSpec`): updateStrategy
//! RollingUpdate with maxUnavailable 1 and maxSurge 0, revisionHistoryLimit 10; the template
//! generation kept in the `deprecated.daemonset.template.generation` annotation.

use k8s_openapi::api::apps::v1::{DaemonSet, DaemonSetSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::containers::port_warnings;
use super::names::nonnegative;
use super::podspec::default_template;
use super::podvalidation::{validate_restart_always, validate_template};
use super::{gofmt, intorpercent, selector, Strategy};
use crate::apiserver::error::{quote, FieldError};

/// Where apps/v1 keeps the internal `spec.templateGeneration`.
const TEMPLATE_GENERATION: &str = "deprecated.daemonset.template.generation";

impl Strategy for DaemonSet {
    fn default(&mut self) {
        let spec = self.spec.get_or_insert_with(Default::default);
        let strategy = spec.update_strategy.get_or_insert_with(Default::default);
        if strategy.type_.as_deref().unwrap_or("").is_empty() {
            strategy.type_ = Some("RollingUpdate".into());
        }
        if strategy.type_.as_deref() == Some("RollingUpdate") {
            let ru = strategy.rolling_update.get_or_insert_with(Default::default);
            ru.max_unavailable.get_or_insert(IntOrString::Int(1));
            ru.max_surge.get_or_insert(IntOrString::Int(0));
        }
        spec.revision_history_limit.get_or_insert(10);
        default_template(&mut spec.template);
    }

    fn prepare_for_create(&mut self) {
        self.status = Some(Default::default());
        if template_generation(self) < 1 {
            set_template_generation(self, 1);
        }
    }

    fn prepare_for_update(&mut self, old: &Self) {
        let old_generation = template_generation(old);
        let changed = spec_of(self).template != spec_of(old).template;
        set_template_generation(self, if changed { old_generation + 1 } else { old_generation });
    }

    fn validate(&self, errs: &mut Vec<FieldError>) {
        let spec = spec_of(self);
        let labels = spec.template.metadata.as_ref().and_then(|m| m.labels.as_ref());
        selector::validate(&spec.selector, "spec.selector", errs);
        selector::check_template(&spec.selector, labels, "spec.template", errs);
        validate_template(&spec.template, &"spec.template", errs);
        validate_restart_always(&spec.template, "DaemonSet", errs);
        nonnegative(spec.min_ready_seconds.unwrap_or(0).into(), "spec.minReadySeconds", errs);
        validate_update_strategy(&spec, errs);
        if let Some(r) = spec.revision_history_limit {
            nonnegative(r.into(), "spec.revisionHistoryLimit", errs);
        }
    }

    fn validate_update(&self, old: &Self, errs: &mut Vec<FieldError>) {
        selector::check_immutable(&spec_of(self).selector, &spec_of(old).selector, "spec.selector", errs);
    }

    fn warnings(&self) -> Vec<String> {
        port_warnings(&spec_of(self).template.spec.unwrap_or_default(), "spec.template.spec")
    }
}

fn spec_of(ds: &DaemonSet) -> DaemonSetSpec {
    ds.spec.clone().unwrap_or_default()
}

fn template_generation(ds: &DaemonSet) -> i64 {
    ds.metadata.annotations.as_ref().and_then(|a| a.get(TEMPLATE_GENERATION)).and_then(|g| g.parse().ok()).unwrap_or(0)
}

fn set_template_generation(ds: &mut DaemonSet, generation: i64) {
    ds.metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert(TEMPLATE_GENERATION.into(), generation.to_string());
}

fn validate_update_strategy(spec: &DaemonSetSpec, errs: &mut Vec<FieldError>) {
    let s = spec.update_strategy.clone().unwrap_or_default();
    let path = "spec.updateStrategy";
    match s.type_.as_deref().unwrap_or("") {
        "OnDelete" => {}
        "RollingUpdate" => {
            let Some(ru) = &s.rolling_update else {
                errs.push(FieldError::required(format!("{path}.rollingUpdate"), ""));
                return;
            };
            let p = format!("{path}.rollingUpdate");
            let unavailable = ru.max_unavailable.clone().unwrap_or(IntOrString::Int(0));
            let surge = ru.max_surge.clone().unwrap_or(IntOrString::Int(0));
            intorpercent::validate_positive(&unavailable, &format!("{p}.maxUnavailable"), errs);
            intorpercent::validate_positive(&surge, &format!("{p}.maxSurge"), errs);
            intorpercent::not_more_than_100_percent(&unavailable, &format!("{p}.maxUnavailable"), errs);
            intorpercent::not_more_than_100_percent(&surge, &format!("{p}.maxSurge"), errs);
            match (intorpercent::value(&unavailable) != 0, intorpercent::value(&surge) != 0) {
                (true, true) => errs.push(FieldError::invalid(
                    format!("{p}.maxSurge"),
                    gofmt::int_or_string(&surge),
                    "may not be set when maxUnavailable is non-zero",
                )),
                (false, false) => {
                    errs.push(FieldError::required(format!("{p}.maxUnavailable"), "cannot be 0 when maxSurge is 0"))
                }
                _ => {}
            }
        }
        other => {
            let shown = format!(
                "apps.DaemonSetUpdateStrategy{{Type:{}, RollingUpdate:{}}}",
                quote(other),
                gofmt::pointer("apps.RollingUpdateDaemonSet", s.rolling_update.is_some())
            );
            errs.push(FieldError::not_supported(path, shown, &["RollingUpdate", "OnDelete"]));
        }
    }
}
