//! Validation of containers in a pod spec (core `validateContainers`, `validateInitContainers`,
//! `validateContainerCommon`): names, images, ports, env, volume mounts, pull policy, resources,
//! probes and host-port conflicts.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;

use k8s_openapi::api::core::v1::{Container, EnvVar, Probe};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::names::{
    check_name, inclusive_range_error, invalid_str, is_config_map_key, is_dns1123_label, is_http_header_name,
    is_qualified_name, is_relaxed_env_var_name, is_valid_port_name, is_valid_port_num, nonnegative, one_of, NameRule,
};
use crate::apiserver::error::{quote, FieldError};
use crate::model::quantity::Quantity as Qty;

/// Validate the regular containers of a pod spec. `volumes` are the names of the valid volumes.
pub fn validate_containers(
    containers: &[Container],
    volumes: &BTreeSet<String>,
    path: &dyn Display,
    errs: &mut Vec<FieldError>,
) {
    if containers.is_empty() {
        errs.push(FieldError::required(path.to_string(), ""));
        return;
    }
    let mut names = BTreeSet::new();
    for (i, c) in containers.iter().enumerate() {
        let p = format_args!("{path}[{i}]");
        validate_common(c, volumes, &p, errs);
        if !names.insert(c.name.clone()) {
            errs.push(FieldError::duplicate(format!("{p}.name"), quote(&c.name)));
        }
        validate_probes(c, &p, errs);
        if c.restart_policy.is_some() {
            errs.push(FieldError::forbidden(format!("{p}.restartPolicy"), "may not be set for non-init containers"));
        }
    }
    host_port_conflicts(containers, path, errs);
}

/// Validate init containers; their names must also differ from the regular containers'.
pub fn validate_init_containers(
    init: &[Container],
    regular: &[Container],
    volumes: &BTreeSet<String>,
    path: &dyn Display,
    errs: &mut Vec<FieldError>,
) {
    let mut names: BTreeSet<String> = regular.iter().map(|c| c.name.clone()).collect();
    for (i, c) in init.iter().enumerate() {
        let p = format_args!("{path}[{i}]");
        validate_common(c, volumes, &p, errs);
        let restart_always = c.restart_policy.as_deref() == Some("Always");
        if let Some(rp) = c.restart_policy.as_deref().filter(|rp| *rp != "Always") {
            errs.push(FieldError::not_supported(format!("{p}.restartPolicy"), quote(rp), &["Always"]));
        }
        if names.contains(&c.name) {
            errs.push(FieldError::duplicate(format!("{p}.name"), quote(&c.name)));
        } else if !c.name.is_empty() {
            names.insert(c.name.clone());
        }
        host_port_conflicts(std::slice::from_ref(c), path, errs);
        if restart_always {
            validate_probes(c, &p, errs);
        } else {
            for (set, field) in [
                (c.lifecycle.is_some(), "lifecycle"),
                (c.liveness_probe.is_some(), "livenessProbe"),
                (c.readiness_probe.is_some(), "readinessProbe"),
                (c.startup_probe.is_some(), "startupProbe"),
            ] {
                if set {
                    errs.push(FieldError::forbidden(
                        format!("{p}.{field}"),
                        "may not be set for init containers without restartPolicy=Always",
                    ));
                }
            }
        }
    }
}

/// A container's probes, each at its path (formatted only for a probe that is there).
fn validate_probes(c: &Container, p: &dyn Display, errs: &mut Vec<FieldError>) {
    for (probe, field, success_must_be_one) in [
        (&c.liveness_probe, "livenessProbe", true),
        (&c.readiness_probe, "readinessProbe", false),
        (&c.startup_probe, "startupProbe", true),
    ] {
        if let Some(probe) = probe {
            validate_probe(probe, &format_args!("{p}.{field}"), success_must_be_one, errs);
        }
    }
}

fn validate_common(c: &Container, volumes: &BTreeSet<String>, p: &dyn Display, errs: &mut Vec<FieldError>) {
    if c.name.is_empty() {
        errs.push(FieldError::required(format!("{p}.name"), ""));
    } else {
        errs.extend(invalid_str(format_args!("{p}.name"), &c.name, is_dns1123_label(&c.name)));
    }
    if c.image.as_deref().unwrap_or("").is_empty() {
        errs.push(FieldError::required(format!("{p}.image"), ""));
    }
    one_of(
        c.termination_message_policy.as_deref().unwrap_or(""),
        format_args!("{p}.terminationMessagePolicy"),
        &["File", "FallbackToLogsOnError"],
        errs,
    );
    validate_ports(c, p, errs);
    for (i, e) in c.env.iter().flatten().enumerate() {
        validate_env(e, &format_args!("{p}.env[{i}]"), errs);
    }
    for (i, e) in c.env_from.iter().flatten().enumerate() {
        let ip = format_args!("{p}.envFrom[{i}]");
        if let Some(prefix) = e.prefix.as_deref().filter(|x| !x.is_empty()) {
            errs.extend(invalid_str(format_args!("{ip}.prefix"), prefix, is_relaxed_env_var_name(prefix)));
        }
        match (&e.config_map_ref, &e.secret_ref) {
            (None, None) => errs.push(FieldError::invalid(
                format!("{p}.envFrom"),
                quote(""),
                "must specify one of: `configMapRef` or `secretRef`",
            )),
            (Some(_), Some(_)) => errs.push(FieldError::invalid(
                format!("{p}.envFrom"),
                quote(""),
                "may not have more than one field specified at a time",
            )),
            _ => {}
        }
    }
    validate_mounts(c, volumes, p, errs);
    one_of(
        c.image_pull_policy.as_deref().unwrap_or(""),
        format_args!("{p}.imagePullPolicy"),
        &["Always", "IfNotPresent", "Never"],
        errs,
    );
    if let Some(r) = &c.resources {
        validate_resources(r.limits.as_ref(), r.requests.as_ref(), &format_args!("{p}.resources"), errs);
    }
    if let Some(sc) = &c.security_context {
        for (v, f) in [(sc.run_as_user, "runAsUser"), (sc.run_as_group, "runAsGroup")] {
            if let Some(v) = v.filter(|v| !(0..=4_294_967_295).contains(v)) {
                errs.push(FieldError::invalid(
                    format!("{p}.securityContext.{f}"),
                    v.to_string(),
                    inclusive_range_error(0, 4_294_967_295),
                ));
            }
        }
    }
}

fn validate_ports(c: &Container, p: &dyn Display, errs: &mut Vec<FieldError>) {
    let mut names = BTreeSet::new();
    for (i, port) in c.ports.iter().flatten().enumerate() {
        let ip = format_args!("{p}.ports[{i}]");
        if let Some(name) = port.name.as_deref().filter(|n| !n.is_empty()) {
            let msgs = is_valid_port_name(name);
            if !msgs.is_empty() {
                errs.extend(invalid_str(format_args!("{ip}.name"), name, msgs));
            } else if !names.insert(name.to_string()) {
                errs.push(FieldError::duplicate(format!("{ip}.name"), quote(name)));
            }
        }
        if port.container_port == 0 {
            errs.push(FieldError::required(format!("{ip}.containerPort"), ""));
        } else {
            for m in is_valid_port_num(port.container_port.into()) {
                errs.push(FieldError::invalid(format!("{ip}.containerPort"), port.container_port.to_string(), m));
            }
        }
        if let Some(hp) = port.host_port.filter(|hp| *hp != 0) {
            for m in is_valid_port_num(hp.into()) {
                errs.push(FieldError::invalid(format!("{ip}.hostPort"), hp.to_string(), m));
            }
        }
        match port.protocol.as_deref().unwrap_or("") {
            "TCP" | "UDP" | "SCTP" => {}
            "" => errs.push(FieldError::required(format!("{ip}.protocol"), "")),
            other => {
                errs.push(FieldError::not_supported(format!("{ip}.protocol"), quote(other), &["SCTP", "TCP", "UDP"]))
            }
        }
    }
}

/// Field paths the downward API can put in an env var.
const ENV_FIELD_PATHS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
];

fn validate_env(e: &EnvVar, ip: &dyn Display, errs: &mut Vec<FieldError>) {
    if e.name.is_empty() {
        errs.push(FieldError::required(format!("{ip}.name"), ""));
    } else {
        errs.extend(invalid_str(format_args!("{ip}.name"), &e.name, is_relaxed_env_var_name(&e.name)));
    }
    let Some(from) = &e.value_from else { return };
    let vp = format_args!("{ip}.valueFrom");
    let mut sources = 0;
    if let Some(f) = &from.field_ref {
        sources += 1;
        let fp = format_args!("{vp}.fieldRef");
        if f.api_version.as_deref().unwrap_or("").is_empty() {
            errs.push(FieldError::required(format!("{fp}.apiVersion"), ""));
        } else if f.field_path.is_empty() {
            errs.push(FieldError::required(format!("{fp}.fieldPath"), ""));
        } else if let Some((base, key)) = f.field_path.split_once('[') {
            let key = key.trim_end_matches(']').trim_matches('\'');
            match base {
                "metadata.labels" => errs.extend(invalid_str(fp, key, is_qualified_name(key))),
                "metadata.annotations" => {
                    errs.extend(invalid_str(fp, &key.to_lowercase(), is_qualified_name(&key.to_lowercase())))
                }
                _ => errs.push(FieldError::invalid(fp.to_string(), quote(base), "does not support subscript")),
            }
        } else if !ENV_FIELD_PATHS.contains(&f.field_path.as_str()) {
            errs.push(FieldError::not_supported(format!("{fp}.fieldPath"), quote(&f.field_path), ENV_FIELD_PATHS));
        }
    }
    if from.resource_field_ref.is_some() {
        sources += 1;
    }
    for (sel, field) in [
        (from.config_map_key_ref.as_ref().map(|s| (&s.name, &s.key)), "configMapKeyRef"),
        (from.secret_key_ref.as_ref().map(|s| (&s.name, &s.key)), "secretKeyRef"),
    ] {
        let Some((name, key)) = sel else { continue };
        sources += 1;
        let sp = format_args!("{vp}.{field}");
        errs.extend(invalid_str(format_args!("{sp}.name"), name, check_name(NameRule::Subdomain, name, false)));
        if key.is_empty() {
            errs.push(FieldError::required(format!("{sp}.key"), ""));
        } else {
            errs.extend(invalid_str(format_args!("{sp}.key"), key, is_config_map_key(key)));
        }
    }
    if sources == 0 {
        errs.push(FieldError::invalid(
            vp.to_string(),
            quote(""),
            "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
        ));
    } else if e.value.as_deref().is_some_and(|v| !v.is_empty()) {
        errs.push(FieldError::invalid(vp.to_string(), quote(""), "may not be specified when `value` is not empty"));
    } else if sources > 1 {
        errs.push(FieldError::invalid(
            vp.to_string(),
            quote(""),
            "may not have more than one field specified at a time",
        ));
    }
}

fn validate_mounts(c: &Container, volumes: &BTreeSet<String>, p: &dyn Display, errs: &mut Vec<FieldError>) {
    let mut paths = BTreeSet::new();
    for (i, m) in c.volume_mounts.iter().flatten().enumerate() {
        // Paths are formatted only for an error.
        let field = |f: &str| format!("{p}.volumeMounts[{i}].{f}");
        if m.name.is_empty() {
            errs.push(FieldError::required(field("name"), ""));
        }
        if !volumes.contains(&m.name) {
            errs.push(FieldError::not_found(field("name"), quote(&m.name)));
        }
        if m.mount_path.is_empty() {
            errs.push(FieldError::required(field("mountPath"), ""));
        }
        if !paths.insert(m.mount_path.as_str()) {
            errs.push(FieldError::invalid(field("mountPath"), quote(&m.mount_path), "must be unique"));
        }
        // Upstream reports subPath problems on the list's path, not the entry's.
        if let Some(sub) = m.sub_path.as_deref().filter(|s| !s.is_empty()) {
            local_descending_path(sub, format_args!("{p}.volumeMounts.subPath"), errs);
        }
    }
}

/// `validateLocalDescendingPath`: relative, and no `..` segment.
pub fn local_descending_path(path: &str, field: impl Display, errs: &mut Vec<FieldError>) {
    if path.starts_with('/') {
        errs.push(FieldError::invalid(field.to_string(), quote(path), "must be a relative path"));
    }
    if path.split(['/', '\\']).any(|s| s == "..") {
        errs.push(FieldError::invalid(field.to_string(), quote(path), "must not contain '..'"));
    }
}

fn is_standard_container_resource(name: &str) -> bool {
    matches!(name, "cpu" | "memory" | "ephemeral-storage") || name.starts_with("hugepages-")
}

/// Resources whose request may be below the limit: native ones other than huge pages.
fn overcommit_allowed(name: &str) -> bool {
    (!name.contains('/') || name.contains("kubernetes.io/")) && !name.starts_with("hugepages-")
}

/// `validateResourceRequirements` for a container: names, values, requests ≤ limits.
pub fn validate_resources(
    limits: Option<&BTreeMap<String, Quantity>>,
    requests: Option<&BTreeMap<String, Quantity>>,
    path: &dyn Display,
    errs: &mut Vec<FieldError>,
) {
    // Paths are formatted only for an error.
    for (name, q) in limits.into_iter().flatten() {
        resource_name(name, &format_args!("{path}.limits[{name}]"), errs);
        quantity_value(name, q, &format_args!("{path}.limits[{name}]"), errs);
    }
    for (name, q) in requests.into_iter().flatten() {
        resource_name(name, &format_args!("{path}.requests[{name}]"), errs);
        quantity_value(name, q, &format_args!("{path}.requests[{name}]"), errs);
        let Some(req) = Qty::from_k8s(q).ok() else { continue };
        match limits.and_then(|l| l.get(name)).and_then(|l| Qty::from_k8s(l).ok()) {
            Some(lim) if req != lim && !overcommit_allowed(name) => errs.push(FieldError::invalid(
                format!("{path}.requests"),
                quote(&req.to_string()),
                format!("must be equal to {name} limit of {}", lim),
            )),
            Some(lim) if req > lim => errs.push(FieldError::invalid(
                format!("{path}.requests"),
                quote(&req.to_string()),
                format!("must be less than or equal to {name} limit of {}", lim),
            )),
            None if !overcommit_allowed(name) => errs.push(FieldError::required(
                format!("{path}.limits"),
                "Limit must be set for non overcommitable resources",
            )),
            _ => {}
        }
    }
}

fn resource_name(name: &str, fp: &dyn std::fmt::Display, errs: &mut Vec<FieldError>) {
    let msgs = is_qualified_name(name);
    if !msgs.is_empty() {
        errs.extend(invalid_str(fp, name, msgs));
    } else if !name.contains('/') && !is_standard_container_resource(name) {
        errs.push(FieldError::invalid(fp.to_string(), quote(name), "must be a standard resource for containers"));
    }
}

/// `ValidateResourceQuantityValue`: not negative, and whole for resources counted in integers.
pub fn quantity_value(name: &str, q: &Quantity, fp: &dyn std::fmt::Display, errs: &mut Vec<FieldError>) {
    let Some(v) = Qty::from_k8s(q).ok() else { return };
    if v.nanos() < 0 {
        errs.push(FieldError::invalid(fp.to_string(), quote(&v.to_string()), "must be greater than or equal to 0"));
    }
    if is_integer_resource(name) && v.exact_milli_value() % 1000 != 0 {
        errs.push(FieldError::invalid(fp.to_string(), v.to_string(), "must be an integer"));
    }
}

/// `IsIntegerResourceName`: object counts, and extended resources.
fn is_integer_resource(name: &str) -> bool {
    const COUNTS: [&str; 9] = [
        "pods",
        "resourcequotas",
        "services",
        "replicationcontrollers",
        "secrets",
        "configmaps",
        "persistentvolumeclaims",
        "services.nodeports",
        "services.loadbalancers",
    ];
    // `IsExtendedResourceName`: not native (no domain, or a kubernetes.io one), not a quota's
    // `requests.` name.
    let extended = name.contains('/') && !name.contains("kubernetes.io/") && !name.starts_with("requests.");
    COUNTS.contains(&name) || extended
}

fn port_num_or_name(port: &IntOrString, fp: &dyn Display, errs: &mut Vec<FieldError>) {
    match port {
        IntOrString::Int(n) => {
            for m in is_valid_port_num((*n).into()) {
                errs.push(FieldError::invalid(fp.to_string(), n.to_string(), m));
            }
        }
        IntOrString::String(s) => errs.extend(invalid_str(fp, s, is_valid_port_name(s))),
    }
}

fn validate_probe(probe: &Probe, pp: &dyn Display, success_must_be_one: bool, errs: &mut Vec<FieldError>) {
    let mut handlers = 0;
    if let Some(e) = &probe.exec {
        handlers += 1;
        if e.command.as_ref().is_none_or(|c| c.is_empty()) {
            errs.push(FieldError::required(format!("{pp}.exec.command"), ""));
        }
    }
    for (present, name) in [
        (probe.http_get.is_some(), "httpGet"),
        (probe.tcp_socket.is_some(), "tcpSocket"),
        (probe.grpc.is_some(), "grpc"),
    ] {
        if !present {
            continue;
        }
        if handlers > 0 {
            errs.push(FieldError::forbidden(format!("{pp}.{name}"), "may not specify more than 1 handler type"));
            continue;
        }
        handlers += 1;
        match name {
            "httpGet" => {
                let g = probe.http_get.as_ref().expect("checked");
                if g.path.as_deref().unwrap_or("").is_empty() {
                    errs.push(FieldError::required(format!("{pp}.httpGet.path"), ""));
                }
                port_num_or_name(&g.port, &format_args!("{pp}.httpGet.port"), errs);
                let scheme = g.scheme.as_deref().unwrap_or("");
                if !matches!(scheme, "HTTP" | "HTTPS") {
                    errs.push(FieldError::not_supported(
                        format!("{pp}.httpGet.scheme"),
                        quote(scheme),
                        &["HTTP", "HTTPS"],
                    ));
                }
                for h in g.http_headers.iter().flatten() {
                    errs.extend(invalid_str(
                        format_args!("{pp}.httpGet.httpHeaders"),
                        &h.name,
                        is_http_header_name(&h.name),
                    ));
                }
            }
            "tcpSocket" => port_num_or_name(
                &probe.tcp_socket.as_ref().expect("checked").port,
                &format_args!("{pp}.tcpSocket.port"),
                errs,
            ),
            _ => port_num_or_name(
                &IntOrString::Int(probe.grpc.as_ref().expect("checked").port),
                &format_args!("{pp}.grpc.port"),
                errs,
            ),
        }
    }
    if handlers == 0 {
        errs.push(FieldError::required(pp.to_string(), "must specify a handler type"));
    }
    for (v, f) in [
        (probe.initial_delay_seconds, "initialDelaySeconds"),
        (probe.timeout_seconds, "timeoutSeconds"),
        (probe.period_seconds, "periodSeconds"),
        (probe.success_threshold, "successThreshold"),
        (probe.failure_threshold, "failureThreshold"),
    ] {
        nonnegative(v.unwrap_or(0).into(), format_args!("{pp}.{f}"), errs);
    }
    if let Some(t) = probe.termination_grace_period_seconds.filter(|t| *t <= 0) {
        errs.push(FieldError::invalid(
            format!("{pp}.terminationGracePeriodSeconds"),
            t.to_string(),
            "must be greater than 0",
        ));
    }
    let success = probe.success_threshold.unwrap_or(0);
    if success_must_be_one && success != 1 {
        errs.push(FieldError::invalid(format!("{pp}.successThreshold"), success.to_string(), "must be 1"));
    }
}

/// `AccumulateUniqueHostPorts`: the same protocol/hostIP/hostPort twice is a duplicate.
fn host_port_conflicts(containers: &[Container], path: &dyn Display, errs: &mut Vec<FieldError>) {
    let mut seen = BTreeSet::new();
    for (ci, c) in containers.iter().enumerate() {
        for (pi, port) in c.ports.iter().flatten().enumerate() {
            let hp = port.host_port.unwrap_or(0);
            if hp == 0 {
                continue;
            }
            let key =
                format!("{}/{}/{hp}", port.protocol.as_deref().unwrap_or(""), port.host_ip.as_deref().unwrap_or(""));
            if !seen.insert(key.clone()) {
                errs.push(FieldError::duplicate(format!("{path}[{ci}].ports[{pi}].hostPort"), quote(&key)));
            }
        }
    }
}

/// Upstream's warnings about container ports (`warningsForPodSpecAndMeta`): the same
/// containerPort and protocol declared twice is accepted, with a warning.
pub fn port_warnings(spec: &k8s_openapi::api::core::v1::PodSpec, spec_path: &str) -> Vec<String> {
    let mut warnings = Vec::new();
    let mut seen: Vec<(String, String, &k8s_openapi::api::core::v1::ContainerPort)> = Vec::new();
    let lists = [
        ("initContainers", spec.init_containers.as_deref().unwrap_or_default()),
        ("containers", spec.containers.as_slice()),
    ];
    for (field, list) in lists {
        for (ci, c) in list.iter().enumerate() {
            for (pi, port) in c.ports.iter().flatten().enumerate() {
                let here = format!("{spec_path}.{field}[{ci}].ports[{pi}]");
                let key = format!("{}/{}", port.container_port, port.protocol.as_deref().unwrap_or(""));
                let (ip, hp) = (port.host_ip.as_deref().unwrap_or(""), port.host_port.unwrap_or(0));
                for (k, other_path, other) in &seen {
                    if *k != key {
                        continue;
                    }
                    let (oip, ohp) = (other.host_ip.as_deref().unwrap_or(""), other.host_port.unwrap_or(0));
                    if ip == oip && hp == ohp {
                        warnings.push(format!("{here}: duplicate port definition with {other_path}"));
                    } else if hp == 0 || ohp == 0 {
                        warnings.push(format!("{here}: overlapping port definition with {other_path}"));
                    } else if hp == ohp && (ip.is_empty() != oip.is_empty()) {
                        warnings.push(format!("{here}: dangerously ambiguous port definition with {other_path}"));
                    }
                }
                seen.push((key, here, port));
            }
        }
    }
    warnings
}
