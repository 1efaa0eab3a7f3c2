//! PriorityClasses (`ValidatePriorityClass`): user classes at most 1000000000; the `system-`
//! prefix is kept for the two built-in classes; value and preemptionPolicy fixed once created.

use k8s_openapi::api::scheduling::v1::PriorityClass;

use super::names::one_of;
use super::Strategy;
use crate::apiserver::error::{quote, FieldError};

/// The built-in classes: name, value, globalDefault.
const SYSTEM: &[(&str, i32)] = &[("system-node-critical", 2_000_001_000), ("system-cluster-critical", 2_000_000_000)];

impl Strategy for PriorityClass {
    fn default(&mut self) {
        if self.preemption_policy.as_deref().unwrap_or("").is_empty() {
            self.preemption_policy = Some("PreemptLowerPriority".into());
        }
    }

    fn validate(&self, errs: &mut Vec<FieldError>) {
        let name = self.metadata.name.clone().unwrap_or_default();
        if name.starts_with("system-") {
            let why = match SYSTEM.iter().find(|(n, _)| *n == name) {
                None => Some(format!("{name} is not a known system priority class")),
                Some((n, v)) if *v != self.value => Some(format!("value of {n} PriorityClass must be {v}")),
                Some((n, _)) if self.global_default == Some(true) => {
                    Some(format!("globalDefault of {n} PriorityClass must be false"))
                }
                Some(_) => None,
            };
            if let Some(why) = why {
                errs.push(FieldError::forbidden(
                    "metadata.name",
                    format!(
                        "priority class names with 'system-' prefix are reserved for system use only. error: {why}"
                    ),
                ));
            }
        } else if self.value > 1_000_000_000 {
            errs.push(FieldError::forbidden("value", "maximum allowed value of a user defined priority is 1000000000"));
        }
        if let Some(p) = self.preemption_policy.as_deref() {
            one_of(p, "preemptionPolicy", &["PreemptLowerPriority", "Never"], errs);
        }
    }

    fn validate_update(&self, old: &Self, errs: &mut Vec<FieldError>) {
        if self.value != old.value {
            errs.push(FieldError::forbidden("value", "may not be changed in an update."));
        }
        if self.preemption_policy != old.preemption_policy {
            let shown = self.preemption_policy.as_deref().map(quote).unwrap_or_else(|| "null".into());
            errs.push(FieldError::invalid("preemptionPolicy", shown, "field is immutable"));
        }
    }
}
