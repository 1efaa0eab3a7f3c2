//! Pods (`pkg/registry/core/pod/strategy.go`): pod defaults, `status` {Pending, qosClass} on
//! create, `ValidatePodCreate` and the narrow set of changes `ValidatePodUpdate` allows.

use crate::model::Pod;
use k8s_openapi::api::core::v1::{Container, PodSpec, PodStatus};

use super::containers::port_warnings;
use super::names::inclusive_range_error;
use super::podspec::{default_pod_only, default_spec, requests_from_limits};
use super::podvalidation::{validate_pod_spec, validate_tolerations};
use super::{same_spec, Strategy};
use crate::apiserver::error::FieldError;
use crate::model::quantity::Quantity as Qty;

/// The fields a pod update may change, as upstream lists them in its refusal.
const UPDATABLE: &str = "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

impl Strategy for Pod {
    fn default(&mut self) {
        let spec = self.spec.get_or_insert_with(Default::default);
        default_spec(spec);
        default_pod_only(spec);
    }

    fn default_update(&mut self, old: &Self) {
        // The pod's defaults are all in its spec.
        if !same_spec(&self.spec, &old.spec) {
            self.default();
        }
    }

    fn prepare_for_create(&mut self) {
        // Upstream defaults before this step; requests copied from limits count for the QoS
        // class. Only a container with limits gets any, so only then is the spec copied.
        static EMPTY: std::sync::LazyLock<PodSpec> = std::sync::LazyLock::new(PodSpec::default);
        let spec = self.spec.as_deref().unwrap_or(&EMPTY);
        let limited = spec
            .containers
            .iter()
            .chain(spec.init_containers.iter().flatten())
            .any(|c| c.resources.as_ref().is_some_and(|r| r.limits.is_some()));
        let qos = if limited {
            let mut spec = spec.clone();
            for c in spec.containers.iter_mut().chain(spec.init_containers.iter_mut().flatten()) {
                requests_from_limits(c);
            }
            qos_class(&spec)
        } else {
            qos_class(spec)
        };
        self.status =
            Some(PodStatus { phase: Some("Pending".into()), qos_class: Some(qos.into()), ..Default::default() }.into());
    }

    /// `CheckGracefulDelete`: only a pod a kubelet runs gets a grace period, the request's or
    /// `terminationGracePeriodSeconds` (30 by default); an unscheduled or finished pod goes at once.
    fn grace_period(&self, asked: Option<i64>) -> i64 {
        let spec = self.spec.as_ref();
        let scheduled = spec.and_then(|s| s.node_name.as_deref()).is_some_and(|n| !n.is_empty());
        let phase = self.status.as_ref().and_then(|s| s.phase.as_deref());
        if !scheduled || matches!(phase, Some("Succeeded") | Some("Failed")) {
            return 0;
        }
        asked.or_else(|| spec.and_then(|s| s.termination_grace_period_seconds)).unwrap_or(30).max(0)
    }

    fn validate(&self, errs: &mut Vec<FieldError>) {
        let empty;
        let spec = match &self.spec {
            Some(s) => s,
            None => {
                empty = PodSpec::default();
                &empty
            }
        };
        validate_pod_spec(spec, &"spec", true, errs);
        if spec.ephemeral_containers.as_ref().is_some_and(|e| !e.is_empty()) {
            errs.push(FieldError::forbidden("spec.ephemeralContainers", "cannot be set on create"));
        }
        let gated = spec.scheduling_gates.as_ref().is_some_and(|g| !g.is_empty());
        if gated && spec.node_name.as_deref().is_some_and(|n| !n.is_empty()) {
            errs.push(FieldError::forbidden(
                "spec.nodeName",
                "cannot be set until all schedulingGates have been cleared",
            ));
        }
    }

    /// `validate` reads only the spec.
    fn validates_as(&self, old: &Self) -> bool {
        self.spec == old.spec
    }

    fn validate_update(&self, old: &Self, errs: &mut Vec<FieldError>) {
        // Every rule here is about a changed spec: the very spec stored passes them all.
        if same_spec(&self.spec, &old.spec) {
            return;
        }
        let empty = PodSpec::default();
        let new = self.spec.as_deref().unwrap_or(&empty);
        let old = old.spec.as_deref().unwrap_or(&empty);
        let init_new = new.init_containers.as_deref().unwrap_or_default();
        let init_old = old.init_containers.as_deref().unwrap_or_default();
        for (n, o, path) in [
            (new.containers.as_slice(), old.containers.as_slice(), "spec.containers"),
            (init_new, init_old, "spec.initContainers"),
        ] {
            if n.len() != o.len() {
                errs.push(FieldError::forbidden(path, "pod updates may not add or remove containers"));
                return;
            }
            for (i, c) in n.iter().enumerate() {
                let image = c.image.as_deref().unwrap_or("");
                if image.is_empty() {
                    errs.push(FieldError::required(format!("{path}[{i}].image"), ""));
                }
            }
        }
        match (new.active_deadline_seconds, old.active_deadline_seconds) {
            (Some(n), _) if !(0..=i64::from(i32::MAX)).contains(&n) => {
                errs.push(FieldError::invalid(
                    "spec.activeDeadlineSeconds",
                    n.to_string(),
                    inclusive_range_error(0, i32::MAX.into()),
                ));
                return;
            }
            (Some(n), Some(o)) if o < n => {
                errs.push(FieldError::invalid(
                    "spec.activeDeadlineSeconds",
                    n.to_string(),
                    "must be less than or equal to previous value",
                ));
                return;
            }
            (None, Some(_)) => errs.push(FieldError::invalid(
                "spec.activeDeadlineSeconds",
                "null",
                "must not update from a positive integer to nil value",
            )),
            _ => {}
        }
        let new_tol = new.tolerations.as_deref().unwrap_or_default();
        let only_added = old.tolerations.iter().flatten().all(|o| {
            new_tol.iter().any(|n| {
                let mut o = o.clone();
                o.toleration_seconds = n.toleration_seconds;
                o == *n
            })
        });
        if !only_added {
            errs.push(FieldError::forbidden(
                "spec.tolerations",
                "existing toleration can not be modified except its tolerationSeconds",
            ));
        } else {
            validate_tolerations(new_tol, &"spec.tolerations", errs);
        }
        let old_gates: Vec<String> = old.scheduling_gates.iter().flatten().map(|g| g.name.clone()).collect();
        for (i, g) in new.scheduling_gates.iter().flatten().enumerate() {
            if !old_gates.contains(&g.name) {
                errs.push(FieldError::forbidden(
                    format!("spec.schedulingGates[{i}].name"),
                    format!("only deletion is allowed, but found new scheduling gate '{}'", g.name),
                ));
            }
        }
        // Most updates (labels, finalizers) leave the spec as it was: no copy to compare then.
        if new != old && munged(new, old) != *old {
            errs.push(FieldError::forbidden(
                "spec",
                format!("pod updates may not change fields other than {UPDATABLE}"),
            ));
        }
    }

    fn warnings(&self) -> Vec<String> {
        match &self.spec {
            Some(spec) => port_warnings(spec, "spec"),
            None => Vec::new(),
        }
    }
}

/// The new spec with every field a pod update may change put back to the old value.
fn munged(new: &PodSpec, old: &PodSpec) -> PodSpec {
    let mut m = new.clone();
    let images = |list: &mut Vec<Container>, from: &[Container]| {
        for (c, o) in list.iter_mut().zip(from) {
            c.image = o.image.clone();
        }
    };
    images(&mut m.containers, &old.containers);
    if let (Some(list), Some(from)) = (m.init_containers.as_mut(), old.init_containers.as_ref()) {
        images(list, from);
    }
    m.active_deadline_seconds = old.active_deadline_seconds;
    m.scheduling_gates = old.scheduling_gates.clone();
    m.tolerations = old.tolerations.clone();
    if old.termination_grace_period_seconds.is_some_and(|g| g < 0) && m.termination_grace_period_seconds == Some(1) {
        m.termination_grace_period_seconds = old.termination_grace_period_seconds;
    }
    // Binding a pending pod to a node: upstream does this through the pods/binding subresource,
    // which kubesim's API server does not have, so an update may set an empty nodeName once.
    if old.node_name.as_deref().unwrap_or("").is_empty() {
        m.node_name = old.node_name.clone();
    }
    m
}

/// `ComputePodQOS`: Guaranteed when every container limits cpu and memory and requests equal
/// limits, BestEffort when nothing is requested or limited, Burstable otherwise.
pub fn qos_class(spec: &PodSpec) -> &'static str {
    let mut requests: Vec<(String, Qty)> = Vec::new();
    let mut limits: Vec<(String, Qty)> = Vec::new();
    let mut guaranteed = true;
    let add = |acc: &mut Vec<(String, Qty)>, name: &str, q: Qty| match acc.iter_mut().find(|(n, _)| n == name) {
        Some((_, total)) => *total = total.saturating_add(&q),
        None => acc.push((name.to_string(), q)),
    };
    for c in spec.containers.iter().chain(spec.init_containers.iter().flatten()) {
        let Some(res) = c.resources.as_ref() else {
            guaranteed = false;
            continue;
        };
        for (name, q) in res.requests.iter().flatten() {
            if let Some(q) = Qty::from_k8s(q).ok().filter(|q| (name == "cpu" || name == "memory") && q.nanos() > 0) {
                add(&mut requests, name, q);
            }
        }
        let mut found = Vec::new();
        for (name, q) in res.limits.iter().flatten() {
            if let Some(q) = Qty::from_k8s(q).ok().filter(|q| (name == "cpu" || name == "memory") && q.nanos() > 0) {
                found.push(name.as_str());
                add(&mut limits, name, q);
            }
        }
        if !(found.contains(&"cpu") && found.contains(&"memory")) {
            guaranteed = false;
        }
    }
    if requests.is_empty() && limits.is_empty() {
        return "BestEffort";
    }
    let equal = requests.iter().all(|(n, r)| limits.iter().any(|(m, l)| m == n && l == r));
    if guaranteed && equal && requests.len() == limits.len() {
        "Guaranteed"
    } else {
        "Burstable"
    }
}
