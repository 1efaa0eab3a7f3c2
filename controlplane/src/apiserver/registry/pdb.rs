//! PodDisruptionBudgets (`ValidatePodDisruptionBudgetSpec`): minAvailable or maxUnavailable, not
//! both, each a non-negative int or a percent up to 100%.

use k8s_openapi::api::policy::v1::PodDisruptionBudget;

use super::{gofmt, intorpercent, selector, Strategy};
use crate::apiserver::error::FieldError;

impl Strategy for PodDisruptionBudget {
    fn prepare_for_create(&mut self) {
        self.status = Some(Default::default());
    }

    fn validate(&self, errs: &mut Vec<FieldError>) {
        let spec = self.spec.clone().unwrap_or_default();
        if spec.min_available.is_some() && spec.max_unavailable.is_some() {
            let shown = format!(
                "policy.PodDisruptionBudgetSpec{{MinAvailable:{}, Selector:{}, MaxUnavailable:{}, UnhealthyPodEvictionPolicy:{}}}",
                gofmt::pointer("intstr.IntOrString", true),
                gofmt::pointer("v1.LabelSelector", spec.selector.is_some()),
                gofmt::pointer("intstr.IntOrString", true),
                gofmt::pointer("policy.UnhealthyPodEvictionPolicyType", spec.unhealthy_pod_eviction_policy.is_some()),
            );
            errs.push(FieldError::invalid("spec", shown, "minAvailable and maxUnavailable cannot be both set"));
        }
        for (v, field) in [(&spec.min_available, "minAvailable"), (&spec.max_unavailable, "maxUnavailable")] {
            if let Some(v) = v {
                intorpercent::validate_positive(v, &format!("spec.{field}"), errs);
                intorpercent::not_more_than_100_percent(v, &format!("spec.{field}"), errs);
            }
        }
        if let Some(s) = &spec.selector {
            selector::validate(s, "spec.selector", errs);
        }
        if let Some(p) =
            spec.unhealthy_pod_eviction_policy.as_deref().filter(|p| !matches!(*p, "IfHealthyBudget" | "AlwaysAllow"))
        {
            errs.push(FieldError::not_supported(
                "spec.unhealthyPodEvictionPolicy",
                crate::apiserver::error::quote(p),
                &["AlwaysAllow", "IfHealthyBudget"],
            ));
        }
    }
}
