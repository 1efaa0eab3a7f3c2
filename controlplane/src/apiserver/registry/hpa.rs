//! HorizontalPodAutoscalers (autoscaling/v2 `SetDefaults_HorizontalPodAutoscaler`,
//! `ValidateHorizontalPodAutoscaler`): minReplicas 1, a CPU 80% utilization metric when none is
//! given, and the default scaling rules filled in when `behavior` is present.

use k8s_openapi::api::autoscaling::v2::{
    HPAScalingPolicy, HPAScalingRules, HorizontalPodAutoscaler, MetricSpec, MetricTarget, ResourceMetricSource,
};

use super::names::{invalid_str, path_segment_name};
use super::Strategy;
use crate::apiserver::error::{quote, FieldError};
use crate::model::quantity::Quantity as Qty;

impl Strategy for HorizontalPodAutoscaler {
    fn default(&mut self) {
        let spec = self.spec.get_or_insert_with(Default::default);
        spec.min_replicas.get_or_insert(1);
        if spec.metrics.as_ref().is_none_or(|m| m.is_empty()) {
            spec.metrics = Some(vec![MetricSpec {
                type_: "Resource".into(),
                resource: Some(ResourceMetricSource {
                    name: "cpu".into(),
                    target: MetricTarget {
                        type_: "Utilization".into(),
                        average_utilization: Some(80),
                        ..Default::default()
                    },
                }),
                ..Default::default()
            }]);
        }
        if let Some(b) = spec.behavior.as_mut() {
            let policy = |type_: &str, value: i32| HPAScalingPolicy { type_: type_.into(), value, period_seconds: 15 };
            let up = HPAScalingRules {
                stabilization_window_seconds: Some(0),
                select_policy: Some("Max".into()),
                policies: Some(vec![policy("Pods", 4), policy("Percent", 100)]),
                tolerance: None,
            };
            let down = HPAScalingRules {
                stabilization_window_seconds: None,
                select_policy: Some("Max".into()),
                policies: Some(vec![policy("Percent", 100)]),
                tolerance: None,
            };
            b.scale_up = Some(merge_rules(b.scale_up.take(), up));
            b.scale_down = Some(merge_rules(b.scale_down.take(), down));
        }
    }

    fn prepare_for_create(&mut self) {
        self.status = Some(Default::default());
    }

    fn validate(&self, errs: &mut Vec<FieldError>) {
        let spec = self.spec.clone().unwrap_or_default();
        if let Some(min) = spec.min_replicas.filter(|m| *m < 1) {
            errs.push(FieldError::invalid("spec.minReplicas", min.to_string(), "must be greater than or equal to 1"));
        }
        if spec.max_replicas < 1 {
            errs.push(FieldError::invalid("spec.maxReplicas", spec.max_replicas.to_string(), "must be greater than 0"));
        }
        if spec.min_replicas.is_some_and(|min| spec.max_replicas < min) {
            errs.push(FieldError::invalid(
                "spec.maxReplicas",
                spec.max_replicas.to_string(),
                "must be greater than or equal to `minReplicas`",
            ));
        }
        let target = &spec.scale_target_ref;
        for (value, field) in [(&target.kind, "kind"), (&target.name, "name")] {
            if value.is_empty() {
                errs.push(FieldError::required(format!("spec.scaleTargetRef.{field}"), ""));
            } else {
                errs.extend(invalid_str(
                    format_args!("spec.scaleTargetRef.{field}"),
                    value,
                    path_segment_name(value, false),
                ));
            }
        }
        for (i, m) in spec.metrics.iter().flatten().enumerate() {
            validate_metric(m, &format!("spec.metrics[{i}]"), errs);
        }
        if let Some(b) = &spec.behavior {
            for (rules, field) in [(&b.scale_up, "scaleUp"), (&b.scale_down, "scaleDown")] {
                if let Some(r) = rules {
                    validate_rules(r, &format!("spec.behavior.{field}"), errs);
                }
            }
        }
    }
}

fn merge_rules(given: Option<HPAScalingRules>, mut defaults: HPAScalingRules) -> HPAScalingRules {
    let Some(given) = given else { return defaults };
    if given.select_policy.is_some() {
        defaults.select_policy = given.select_policy;
    }
    if given.stabilization_window_seconds.is_some() {
        defaults.stabilization_window_seconds = given.stabilization_window_seconds;
    }
    if given.policies.is_some() {
        defaults.policies = given.policies;
    }
    if given.tolerance.is_some() {
        defaults.tolerance = given.tolerance;
    }
    defaults
}

const METRIC_TYPES: &[&str] = &["ContainerResource", "External", "Object", "Pods", "Resource"];

fn validate_metric(m: &MetricSpec, p: &str, errs: &mut Vec<FieldError>) {
    if m.type_.is_empty() {
        errs.push(FieldError::required(format!("{p}.type"), "must specify a metric source type"));
    }
    if !METRIC_TYPES.contains(&m.type_.as_str()) {
        errs.push(FieldError::not_supported(format!("{p}.type"), quote(&m.type_), METRIC_TYPES));
    }
    // Sources in upstream's order; only the first one given is validated.
    let present: Vec<(&str, &str)> = [
        (m.object.is_some(), "object", "Object"),
        (m.external.is_some(), "external", "External"),
        (m.pods.is_some(), "pods", "Pods"),
        (m.resource.is_some(), "resource", "Resource"),
        (m.container_resource.is_some(), "containerResource", "ContainerResource"),
    ]
    .into_iter()
    .filter(|(is, _, _)| *is)
    .map(|(_, field, ty)| (field, ty))
    .collect();
    if present.first().map(|(f, _)| *f) == Some("resource") {
        let r = m.resource.as_ref().expect("present");
        if r.name.is_empty() {
            errs.push(FieldError::required(format!("{p}.resource.name"), "must specify a resource name"));
        }
        validate_target(&r.target, &format!("{p}.resource.target"), errs);
        match (r.target.average_utilization.is_some(), r.target.average_value.is_some()) {
            (false, false) => errs.push(FieldError::required(
                format!("{p}.resource.target.averageUtilization"),
                "must set either a target raw value or a target utilization",
            )),
            (true, true) => errs.push(FieldError::forbidden(
                format!("{p}.resource.target.averageValue"),
                "may not set both a target raw value and a target utilization",
            )),
            _ => {}
        }
    }
    let expected = match m.type_.as_str() {
        "Object" => "object",
        "Pods" => "pods",
        "Resource" => "resource",
        "External" => "external",
        "ContainerResource" => "containerResource",
        other => {
            errs.push(FieldError::not_supported(format!("{p}.type"), quote(other), METRIC_TYPES));
            ""
        }
    };
    if !expected.is_empty() && !present.iter().any(|(f, _)| *f == expected) {
        errs.push(FieldError::required(
            format!("{p}.{expected}"),
            "must populate information for the given metric source",
        ));
    }
    if present.len() != 1 {
        for (field, _) in present.iter().filter(|(f, _)| *f != expected) {
            errs.push(FieldError::forbidden(format!("{p}.{field}"), "must populate the given metric source only"));
        }
    }
}

fn validate_target(t: &MetricTarget, p: &str, errs: &mut Vec<FieldError>) {
    if t.type_.is_empty() {
        errs.push(FieldError::required(format!("{p}.type"), "must specify a metric target type"));
    }
    if !matches!(t.type_.as_str(), "Utilization" | "Value" | "AverageValue") {
        errs.push(FieldError::invalid(
            format!("{p}.type"),
            quote(&t.type_),
            "must be either Utilization, Value, or AverageValue",
        ));
    }
    for (q, field) in [(&t.value, "value"), (&t.average_value, "averageValue")] {
        if let Some(v) = q.as_ref().and_then(|q| Qty::from_k8s(q).ok()).filter(|v| v.nanos() <= 0) {
            errs.push(FieldError::invalid(format!("{p}.{field}"), quote(&v.to_string()), "must be positive"));
        }
    }
    if let Some(u) = t.average_utilization.filter(|u| *u < 1) {
        errs.push(FieldError::invalid(format!("{p}.averageUtilization"), u.to_string(), "must be greater than 0"));
    }
}

fn validate_rules(r: &HPAScalingRules, p: &str, errs: &mut Vec<FieldError>) {
    if let Some(w) = r.stabilization_window_seconds {
        if w < 0 {
            errs.push(FieldError::invalid(
                format!("{p}.stabilizationWindowSeconds"),
                w.to_string(),
                "must be greater than or equal to zero",
            ));
        }
        if w > 3600 {
            errs.push(FieldError::invalid(
                format!("{p}.stabilizationWindowSeconds"),
                w.to_string(),
                "must be less than or equal to 3600",
            ));
        }
    }
    if let Some(s) = r.select_policy.as_deref().filter(|s| !matches!(*s, "Max" | "Min" | "Disabled")) {
        errs.push(FieldError::not_supported(format!("{p}.selectPolicy"), quote(s), &["Disabled", "Max", "Min"]));
    }
    let policies = r.policies.clone().unwrap_or_default();
    if policies.is_empty() {
        errs.push(FieldError::required(format!("{p}.policies"), "must specify at least one Policy"));
    }
    for (i, pol) in policies.iter().enumerate() {
        let pp = format!("{p}.policies[{i}]");
        if pol.type_ != "Pods" && pol.type_ != "Percent" {
            errs.push(FieldError::not_supported(format!("{pp}.type"), quote(&pol.type_), &["Percent", "Pods"]));
        }
        if pol.value <= 0 {
            errs.push(FieldError::invalid(format!("{pp}.value"), pol.value.to_string(), "must be greater than zero"));
        }
        if pol.period_seconds <= 0 {
            errs.push(FieldError::invalid(
                format!("{pp}.periodSeconds"),
                pol.period_seconds.to_string(),
                "must be greater than zero",
            ));
        }
        if pol.period_seconds > 1800 {
            errs.push(FieldError::invalid(
                format!("{pp}.periodSeconds"),
                pol.period_seconds.to_string(),
                "must be less than or equal to 1800",
            ));
        }
    }
}
