//! Validation of a pod spec and of pod templates (core `ValidatePodSpec`, `ValidatePodTemplateSpec`),
//! shared by pods and the workload kinds.

use k8s_openapi::api::core::v1::{PodSpec, PodTemplateSpec, Toleration};
use std::fmt::Display;

use super::containers::{validate_containers, validate_init_containers};
use super::names::{
    check_name, inclusive_range_error, invalid_str, is_dns1123_label, is_label_value, is_qualified_name, one_of,
    validate_annotations, validate_labels, NameRule,
};
use super::volumes::validate_volumes;
use crate::apiserver::error::{quote, FieldError};

/// The template rules of the controllers that keep pods running (upstream repeats them in
/// `ValidatePodTemplateSpecForReplicaSet`, `ValidateDaemonSetSpec`, `ValidateStatefulSetSpec` and
/// `ValidateReplicationControllerSpec`): `restartPolicy` must be `Always` and no
/// `activeDeadlineSeconds`; `kind` names the workload in the message.
pub fn validate_restart_always(t: &PodTemplateSpec, kind: &str, errs: &mut Vec<FieldError>) {
    let spec = t.spec.as_ref();
    let restart = spec.and_then(|s| s.restart_policy.as_deref()).unwrap_or("");
    if restart != "Always" {
        errs.push(FieldError::not_supported("spec.template.spec.restartPolicy", quote(restart), &["Always"]));
    }
    if spec.is_some_and(|s| s.active_deadline_seconds.is_some()) {
        errs.push(FieldError::forbidden(
            "spec.template.spec.activeDeadlineSeconds",
            format!("activeDeadlineSeconds in {kind} is not Supported"),
        ));
    }
}

/// `ValidatePodTemplateSpec`: labels and annotations (on upstream's paths), then the spec.
pub fn validate_template(t: &PodTemplateSpec, path: &dyn Display, errs: &mut Vec<FieldError>) {
    let meta = t.metadata.as_ref();
    validate_labels(meta.and_then(|m| m.labels.as_ref()), &format_args!("{path}.labels"), errs);
    validate_annotations(meta.and_then(|m| m.annotations.as_ref()), &format_args!("{path}.annotations"), errs);
    let empty;
    let spec = match &t.spec {
        Some(s) => s,
        None => {
            empty = PodSpec::default();
            &empty
        }
    };
    validate_pod_spec(spec, &format_args!("{path}.spec"), false, errs);
    if spec.ephemeral_containers.as_ref().is_some_and(|e| !e.is_empty()) {
        errs.push(FieldError::forbidden(
            format!("{path}.spec.ephemeralContainers"),
            "ephemeral containers not allowed in pod template",
        ));
    }
}

/// `ValidatePodSpec`. `is_pod` turns on the checks made only of real pods.
pub fn validate_pod_spec(spec: &PodSpec, path: &dyn Display, is_pod: bool, errs: &mut Vec<FieldError>) {
    if spec.termination_grace_period_seconds.is_none() {
        errs.push(FieldError::required(format!("{path}.terminationGracePeriodSeconds"), ""));
    }
    let volumes = validate_volumes(spec.volumes.as_deref().unwrap_or_default(), &format_args!("{path}.volumes"), errs);
    validate_containers(&spec.containers, &volumes, &format_args!("{path}.containers"), errs);
    let init = spec.init_containers.as_deref().unwrap_or_default();
    validate_init_containers(init, &spec.containers, &volumes, &format_args!("{path}.initContainers"), errs);
    if spec.host_network == Some(true) {
        for (i, c) in spec.containers.iter().enumerate() {
            for (j, p) in c.ports.iter().flatten().enumerate() {
                let hp = p.host_port.unwrap_or(0);
                if (is_pod || hp != 0) && hp != p.container_port {
                    errs.push(FieldError::invalid(
                        format!("{path}.containers[{i}].ports[{j}].hostPort"),
                        hp.to_string(),
                        "must match `containerPort` when `hostNetwork` is true",
                    ));
                }
            }
        }
    }
    one_of(
        spec.restart_policy.as_deref().unwrap_or(""),
        format_args!("{path}.restartPolicy"),
        &["Always", "OnFailure", "Never"],
        errs,
    );
    let dns_policy = spec.dns_policy.as_deref().unwrap_or("");
    one_of(
        dns_policy,
        format_args!("{path}.dnsPolicy"),
        &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
        errs,
    );
    validate_labels(spec.node_selector.as_ref(), &format_args!("{path}.nodeSelector"), errs);
    if let Some(sc) = &spec.security_context {
        let sp = format_args!("{path}.securityContext");
        for (v, f) in [(sc.fs_group, "fsGroup"), (sc.run_as_user, "runAsUser"), (sc.run_as_group, "runAsGroup")] {
            if let Some(v) = v.filter(|v| !(0..=4_294_967_295).contains(v)) {
                errs.push(FieldError::invalid(
                    format!("{sp}.{f}"),
                    v.to_string(),
                    inclusive_range_error(0, 4_294_967_295),
                ));
            }
        }
    }
    if dns_policy == "None" {
        match &spec.dns_config {
            None => errs.push(FieldError::required(
                format!("{path}.dnsConfig"),
                "must provide `dnsConfig` when `dnsPolicy` is None",
            )),
            Some(c) if c.nameservers.as_ref().is_none_or(|n| n.is_empty()) => errs.push(FieldError::required(
                format!("{path}.dnsConfig.nameservers"),
                "must provide at least one DNS nameserver when `dnsPolicy` is None",
            )),
            Some(_) => {}
        }
    }
    for (field, value) in [
        ("serviceAccountName", &spec.service_account_name),
        ("nodeName", &spec.node_name),
        ("priorityClassName", &spec.priority_class_name),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            errs.extend(invalid_str(format_args!("{path}.{field}"), v, check_name(NameRule::Subdomain, v, false)));
        }
    }
    if let Some(d) = spec.active_deadline_seconds.filter(|d| *d < 1 || *d > i64::from(i32::MAX)) {
        errs.push(FieldError::invalid(
            format!("{path}.activeDeadlineSeconds"),
            d.to_string(),
            inclusive_range_error(1, i32::MAX.into()),
        ));
    }
    for (field, value) in [("hostname", &spec.hostname), ("subdomain", &spec.subdomain)] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            errs.extend(invalid_str(format_args!("{path}.{field}"), v, is_dns1123_label(v)));
        }
    }
    validate_tolerations(spec.tolerations.as_deref().unwrap_or_default(), &format_args!("{path}.tolerations"), errs);
    if let Some(p) = spec.preemption_policy.as_deref() {
        one_of(p, format_args!("{path}.preemptionPolicy"), &["PreemptLowerPriority", "Never"], errs);
    }
    if is_pod {
        for (list, field) in
            [(&spec.containers, "containers"), (spec.init_containers.as_ref().unwrap_or(&Vec::new()), "initContainers")]
        {
            for (i, c) in list.iter().enumerate() {
                let image = c.image.as_deref().unwrap_or("");
                if image.trim() != image {
                    errs.push(FieldError::invalid(
                        format!("{path}.{field}[{i}].image"),
                        quote(image),
                        "must not have leading or trailing whitespace",
                    ));
                }
            }
        }
    }
}

/// `ValidateTolerations`.
pub fn validate_tolerations(tolerations: &[Toleration], path: &dyn Display, errs: &mut Vec<FieldError>) {
    for (i, t) in tolerations.iter().enumerate() {
        // Paths are formatted only for an error.
        let at = |field: &str| format!("{path}[{i}].{field}");
        let key = t.key.as_deref().unwrap_or("");
        let op = t.operator.as_deref().unwrap_or("");
        let value = t.value.as_deref().unwrap_or("");
        let effect = t.effect.as_deref().unwrap_or("");
        if !key.is_empty() {
            errs.extend(invalid_str(format_args!("{path}[{i}].key"), key, is_qualified_name(key)));
        }
        if key.is_empty() && op != "Exists" {
            errs.push(FieldError::invalid(
                at("operator"),
                quote(op),
                "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
            ));
        }
        if t.toleration_seconds.is_some() && effect != "NoExecute" {
            errs.push(FieldError::invalid(
                at("effect"),
                quote(effect),
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
            ));
        }
        match op {
            "Equal" | "" => {
                let msgs = is_label_value(value);
                if !msgs.is_empty() {
                    errs.push(FieldError::invalid(at("operator"), quote(value), msgs.join(";")));
                }
            }
            "Exists" if !value.is_empty() => errs.push(FieldError::invalid(
                at("operator"),
                quote(value),
                "value must be empty when `operator` is 'Exists'",
            )),
            "Exists" => {}
            other => errs.push(FieldError::not_supported(at("operator"), quote(other), &["Equal", "Exists"])),
        }
        if !effect.is_empty() && !matches!(effect, "NoSchedule" | "PreferNoSchedule" | "NoExecute") {
            errs.push(FieldError::not_supported(
                at("effect"),
                quote(effect),
                &["NoSchedule", "PreferNoSchedule", "NoExecute"],
            ));
        }
    }
}
