//! Services (core/v1 `SetDefaults_Service`, the service REST's IP-family defaults, `ValidateService`).
//! The cluster IP and node ports are allocated (and kept over updates) by the API server's
//! allocator, as upstream's service REST storage does; this keeps `clusterIP` and `clusterIPs`
//! in step and validates.

use std::collections::BTreeSet;
use std::net::IpAddr;

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec, ServiceStatus};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::names::{
    invalid_str, is_dns1123_label, is_dns1123_subdomain, is_qualified_name, is_valid_port_num, validate_labels,
};
use super::{gofmt, Strategy, StrategyContext};
use crate::apiserver::allocator;
use crate::apiserver::error::{quote, FieldError};

impl Strategy for Service {
    fn begin_create(&mut self, ctx: &mut StrategyContext<'_>) -> Vec<FieldError> {
        allocator::allocate(self, None, ctx.store, ctx.allocations, ctx.rng)
    }

    fn begin_update(&mut self, old: &Self, ctx: &mut StrategyContext<'_>) -> Vec<FieldError> {
        allocator::allocate(self, Some(old), ctx.store, ctx.allocations, ctx.rng)
    }

    fn default(&mut self) {
        let spec = self.spec.get_or_insert_with(Default::default);
        set(&mut spec.session_affinity, "None");
        match spec.session_affinity.as_deref() {
            Some("None") => spec.session_affinity_config = None,
            Some("ClientIP") => {
                let cfg = spec.session_affinity_config.get_or_insert_with(Default::default);
                cfg.client_ip.get_or_insert_with(Default::default).timeout_seconds.get_or_insert(10800);
            }
            _ => {}
        }
        set(&mut spec.type_, "ClusterIP");
        for p in spec.ports.iter_mut().flatten() {
            set(&mut p.protocol, "TCP");
            let unset = matches!(&p.target_port, None | Some(IntOrString::Int(0)))
                || p.target_port == Some(IntOrString::String(String::new()));
            if unset {
                p.target_port = Some(IntOrString::Int(p.port));
            }
        }
        let ty = spec.type_.clone().unwrap_or_default();
        if externally_accessible(spec) {
            set(&mut spec.external_traffic_policy, "Cluster");
        }
        if matches!(ty.as_str(), "NodePort" | "LoadBalancer" | "ClusterIP") {
            spec.internal_traffic_policy.get_or_insert_with(|| "Cluster".into());
        }
        if ty == "LoadBalancer" {
            spec.allocate_load_balancer_node_ports.get_or_insert(true);
        }
        default_ip_families(spec);
    }

    fn prepare_for_create(&mut self) {
        self.status = Some(ServiceStatus { load_balancer: Some(Default::default()), ..Default::default() });
        normalize_cluster_ips(self.spec.get_or_insert_with(Default::default), None);
    }

    /// The service REST's `patchAllocatedValues` for the cluster IP (a resubmitted manifest
    /// keeps what was allocated), then `normalizeClusterIPs`.
    fn prepare_for_update(&mut self, old: &Self) {
        let old = old.spec.clone().unwrap_or_default();
        let new = self.spec.get_or_insert_with(Default::default);
        let needs_ip = |s: &ServiceSpec| s.type_.as_deref() != Some("ExternalName");
        if needs_ip(&old) && needs_ip(new) {
            if new.cluster_ip.as_deref().unwrap_or("").is_empty() {
                new.cluster_ip = old.cluster_ip.clone();
            }
            if is_empty(&new.cluster_ips) && !is_empty(&old.cluster_ips) {
                new.cluster_ips = old.cluster_ips.clone();
            }
        }
        drop_type_dependent_fields(new, &old);
        normalize_cluster_ips(new, Some(&old));
    }

    fn validate(&self, errs: &mut Vec<FieldError>) {
        validate_service(&self.spec.clone().unwrap_or_default(), errs);
    }

    fn validate_update(&self, old: &Self, errs: &mut Vec<FieldError>) {
        let (new, old) = (self.spec.clone().unwrap_or_default(), old.spec.clone().unwrap_or_default());
        let external = |s: &ServiceSpec| s.type_.as_deref() == Some("ExternalName");
        if external(&new) || external(&old) || (headless(&new) && headless(&old)) {
            return;
        }
        let (n, o) = (new.cluster_ips.clone().unwrap_or_default(), old.cluster_ips.clone().unwrap_or_default());
        if n.len() == o.len() && n != o {
            for (i, _) in n.iter().zip(&o).enumerate().filter(|(_, (a, b))| a != b) {
                errs.push(FieldError::invalid(
                    format!("spec.clusterIPs[{i}]"),
                    gofmt::string_slice(Some(&n)),
                    "may not change once set",
                ));
            }
        } else if !o.is_empty() && !n.is_empty() && n[0] != o[0] {
            errs.push(FieldError::invalid(
                "spec.clusterIPs[0]",
                gofmt::string_slice(Some(&n)),
                "may not change once set",
            ));
        } else if n.is_empty() && !o.is_empty() {
            errs.push(FieldError::invalid("spec.clusterIPs[0]", "[]string(nil)", "primary clusterIP can not be unset"));
        }
    }
}

fn set(field: &mut Option<String>, value: &str) {
    if field.as_deref().unwrap_or("").is_empty() {
        *field = Some(value.to_string());
    }
}

fn headless(s: &ServiceSpec) -> bool {
    s.cluster_ips.as_deref() == Some(&["None".to_string()][..]) || s.cluster_ip.as_deref() == Some("None")
}

fn externally_accessible(s: &ServiceSpec) -> bool {
    match s.type_.as_deref() {
        Some("LoadBalancer" | "NodePort") => true,
        Some("ClusterIP") => s.external_ips.as_ref().is_some_and(|e| !e.is_empty()),
        _ => false,
    }
}

/// The IP-family fields on a single-stack IPv4 cluster. Headless services without a selector
/// get RequireDualStack and both families, as upstream does on any cluster.
fn default_ip_families(spec: &mut ServiceSpec) {
    if spec.type_.as_deref() == Some("ExternalName") {
        return;
    }
    let selectorless = spec.selector.as_ref().is_none_or(|s| s.is_empty());
    if spec.cluster_ip.as_deref() == Some("None") && selectorless {
        set(&mut spec.ip_family_policy, "RequireDualStack");
        if spec.ip_families.as_ref().is_none_or(|f| f.is_empty()) {
            spec.ip_families = Some(vec!["IPv4".into(), "IPv6".into()]);
        }
        return;
    }
    let family = match spec.cluster_ips.as_ref().and_then(|c| c.first()).or(spec.cluster_ip.as_ref()) {
        Some(ip) if ip.contains(':') => "IPv6",
        _ => "IPv4",
    };
    set(&mut spec.ip_family_policy, "SingleStack");
    if spec.ip_families.as_ref().is_none_or(|f| f.is_empty()) {
        spec.ip_families = Some(vec![family.into()]);
    }
}

fn is_empty(ips: &Option<Vec<String>>) -> bool {
    ips.as_ref().is_none_or(|v| v.is_empty())
}

/// `normalizeClusterIPs`: keep `clusterIP` and `clusterIPs` in step.
fn normalize_cluster_ips(new: &mut ServiceSpec, old: Option<&ServiceSpec>) {
    let ip = new.cluster_ip.clone().unwrap_or_default();
    let Some(old) = old else {
        // Create: a client that sets only the singular field gets the plural one too.
        if !ip.is_empty() && is_empty(&new.cluster_ips) {
            new.cluster_ips = Some(vec![ip]);
        }
        return;
    };
    let old_ip = old.cluster_ip.clone().unwrap_or_default();
    let same_ips =
        |new: &ServiceSpec| new.cluster_ips.clone().unwrap_or_default() == old.cluster_ips.clone().unwrap_or_default();
    // An older client resubmitting only `clusterIP`.
    if !is_empty(&old.cluster_ips) && is_empty(&new.cluster_ips) && old_ip == ip {
        new.cluster_ips = old.cluster_ips.clone();
    }
    if old_ip != ip {
        if ip.is_empty() {
            if same_ips(new) {
                new.cluster_ips = None;
            }
        } else if same_ips(new) {
            new.cluster_ips = Some(vec![ip]);
        }
    }
}

fn validate_service(spec: &ServiceSpec, errs: &mut Vec<FieldError>) {
    let ty = spec.type_.clone().unwrap_or_default();
    let ports = spec.ports.clone().unwrap_or_default();
    if ports.is_empty() && !headless(spec) && ty != "ExternalName" {
        errs.push(FieldError::required("spec.ports", ""));
    }
    let first_ip = spec.cluster_ips.as_ref().and_then(|c| c.first()).cloned().unwrap_or_default();
    match ty.as_str() {
        "LoadBalancer" | "NodePort" if headless(spec) => errs.push(FieldError::invalid(
            "spec.clusterIPs[0]",
            quote(&first_ip),
            format!("may not be set to 'None' for {ty} services"),
        )),
        "ExternalName" => {
            if spec.cluster_ips.as_ref().is_some_and(|c| !c.is_empty()) {
                errs.push(FieldError::forbidden("spec.clusterIPs", "may not be set for ExternalName services"));
            }
            if spec.ip_families.as_ref().is_some_and(|f| !f.is_empty()) {
                errs.push(FieldError::forbidden("spec.ipFamilies", "may not be set for ExternalName services"));
            }
            if spec.ip_family_policy.is_some() {
                errs.push(FieldError::forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services"));
            }
            let cname = spec.external_name.as_deref().unwrap_or("").trim_end_matches('.');
            if cname.is_empty() {
                errs.push(FieldError::required("spec.externalName", ""));
            } else {
                errs.extend(invalid_str("spec.externalName", cname, is_dns1123_subdomain(cname)));
            }
        }
        _ => {}
    }
    let mut names = BTreeSet::new();
    for (i, p) in ports.iter().enumerate() {
        validate_port(p, ports.len() > 1, &mut names, &format!("spec.ports[{i}]"), errs);
    }
    validate_labels(spec.selector.as_ref(), &"spec.selector", errs);
    match spec.session_affinity.as_deref().unwrap_or("") {
        "" => errs.push(FieldError::required("spec.sessionAffinity", "")),
        "ClientIP" => {
            let timeout = spec
                .session_affinity_config
                .as_ref()
                .and_then(|c| c.client_ip.as_ref())
                .and_then(|c| c.timeout_seconds);
            match timeout {
                None => errs
                    .push(FieldError::required("spec.sessionAffinityConfig", "when session affinity type is ClientIP")),
                Some(t) if t <= 0 || t > 86400 => errs.push(FieldError::invalid(
                    "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
                    t.to_string(),
                    "must be greater than 0 and less than 86400",
                )),
                Some(_) => {}
            }
        }
        "None" => {
            if spec.session_affinity_config.is_some() {
                errs.push(FieldError::forbidden(
                    "spec.sessionAffinityConfig",
                    "must not be set when session affinity is None",
                ));
            }
        }
        other => errs.push(FieldError::not_supported("spec.sessionAffinity", quote(other), &["ClientIP", "None"])),
    }
    validate_cluster_ips(spec, errs);
    for (i, ip) in spec.external_ips.iter().flatten().enumerate() {
        if ip.parse::<IpAddr>().is_err() {
            errs.push(FieldError::invalid(
                format!("spec.externalIPs[{i}]"),
                quote(ip),
                "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
            ));
        }
    }
    match ty.as_str() {
        "" => errs.push(FieldError::required("spec.type", "")),
        "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName" => {}
        other => errs.push(FieldError::not_supported(
            "spec.type",
            quote(other),
            &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"],
        )),
    }
    validate_node_ports(&ports, &ty, errs);
    let mut seen = BTreeSet::new();
    for (i, p) in ports.iter().enumerate() {
        let protocol = p.protocol.clone().unwrap_or_default();
        if !seen.insert((protocol.clone(), p.port)) {
            let shown = format!(
                "core.ServicePort{{Name:\"\", Protocol:{}, AppProtocol:(*string)(nil), Port:{}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:\"\"}}, NodePort:0}}",
                quote(&protocol),
                p.port
            );
            errs.push(FieldError::duplicate(format!("spec.ports[{i}]"), shown));
        }
    }
    if spec.load_balancer_source_ranges.as_ref().is_some_and(|r| !r.is_empty()) && ty != "LoadBalancer" {
        errs.push(FieldError::forbidden(
            "spec.LoadBalancerSourceRanges",
            "may only be used when `type` is 'LoadBalancer'",
        ));
    }
    if spec.allocate_load_balancer_node_ports.is_some() && ty != "LoadBalancer" {
        errs.push(FieldError::forbidden(
            "spec.allocateLoadBalancerNodePorts",
            "may only be used when `type` is 'LoadBalancer'",
        ));
    }
    if ty == "LoadBalancer" && spec.allocate_load_balancer_node_ports.is_none() {
        errs.push(FieldError::required("allocateLoadBalancerNodePorts", ""));
    }
    validate_traffic_policies(spec, &ty, errs);
}

fn validate_port(
    p: &ServicePort,
    require_name: bool,
    names: &mut BTreeSet<String>,
    pp: &str,
    errs: &mut Vec<FieldError>,
) {
    let name = p.name.clone().unwrap_or_default();
    if require_name && name.is_empty() {
        errs.push(FieldError::required(format!("{pp}.name"), ""));
    } else if !name.is_empty() {
        errs.extend(invalid_str(format_args!("{pp}.name"), &name, is_dns1123_label(&name)));
        if !names.insert(name.clone()) {
            errs.push(FieldError::duplicate(format!("{pp}.name"), quote(&name)));
        }
    }
    for m in is_valid_port_num(p.port.into()) {
        errs.push(FieldError::invalid(format!("{pp}.port"), p.port.to_string(), m));
    }
    match p.protocol.as_deref().unwrap_or("") {
        "TCP" | "UDP" | "SCTP" => {}
        "" => errs.push(FieldError::required(format!("{pp}.protocol"), "")),
        other => errs.push(FieldError::not_supported(format!("{pp}.protocol"), quote(other), &["SCTP", "TCP", "UDP"])),
    }
    match p.target_port.clone().unwrap_or(IntOrString::Int(0)) {
        IntOrString::Int(n) => {
            for m in is_valid_port_num(n.into()) {
                errs.push(FieldError::invalid(format!("{pp}.targetPort"), n.to_string(), m));
            }
        }
        IntOrString::String(s) => {
            errs.extend(invalid_str(format_args!("{pp}.targetPort"), &s, super::names::is_valid_port_name(&s)))
        }
    }
    if let Some(ap) = p.app_protocol.as_deref() {
        errs.extend(invalid_str(format_args!("{pp}.appProtocol"), ap, is_qualified_name(ap)));
    }
}

fn validate_node_ports(ports: &[ServicePort], ty: &str, errs: &mut Vec<FieldError>) {
    if ty == "ClusterIP" {
        for (i, _) in ports.iter().enumerate().filter(|(_, p)| p.node_port.unwrap_or(0) != 0) {
            errs.push(FieldError::forbidden(
                format!("spec.ports[{i}].nodePort"),
                "may not be used when `type` is 'ClusterIP'",
            ));
        }
    }
    let mut seen = BTreeSet::new();
    for (i, p) in ports.iter().enumerate() {
        let np = p.node_port.unwrap_or(0);
        if np == 0 {
            continue;
        }
        if !seen.insert((p.protocol.clone().unwrap_or_default(), np)) {
            errs.push(FieldError::duplicate(format!("spec.ports[{i}].nodePort"), np.to_string()));
        }
    }
}

fn validate_cluster_ips(spec: &ServiceSpec, errs: &mut Vec<FieldError>) {
    if spec.type_.as_deref() == Some("ExternalName") {
        return;
    }
    let ip = spec.cluster_ip.clone().unwrap_or_default();
    let ips = spec.cluster_ips.clone().unwrap_or_default();
    if !ip.is_empty() {
        if ips.is_empty() {
            errs.push(FieldError::required("spec.clusterIPs", ""));
        } else if ips[0] != ip {
            errs.push(FieldError::invalid(
                "spec.clusterIPs",
                gofmt::string_slice(Some(&ips)),
                "first value must match `clusterIP`",
            ));
        }
    } else if !ips.is_empty() {
        errs.push(FieldError::invalid(
            "spec.clusterIPs",
            gofmt::string_slice(Some(&ips)),
            "must be empty when `clusterIP` is not specified",
        ));
    }
    let mut families = BTreeSet::new();
    for (i, f) in spec.ip_families.iter().flatten().enumerate() {
        if f != "IPv4" && f != "IPv6" {
            errs.push(FieldError::not_supported(format!("spec.ipFamilies[{i}]"), quote(f), &["IPv4", "IPv6"]));
        }
        if !families.insert(f.clone()) {
            errs.push(FieldError::duplicate(format!("spec.ipFamilies[{i}]"), quote(f)));
        }
    }
    if let Some(p) = spec.ip_family_policy.as_deref() {
        if !matches!(p, "SingleStack" | "PreferDualStack" | "RequireDualStack") {
            errs.push(FieldError::not_supported(
                "spec.ipFamilyPolicy",
                quote(p),
                &["PreferDualStack", "RequireDualStack", "SingleStack"],
            ));
        }
    }
    for (i, addr) in ips.iter().enumerate() {
        if i == 0 && addr == "None" {
            if ips.len() > 1 {
                errs.push(FieldError::invalid(
                    "spec.clusterIPs",
                    gofmt::string_slice(Some(&ips)),
                    "'None' must be the first and only value",
                ));
            }
            continue;
        }
        if addr.parse::<IpAddr>().is_err() {
            errs.push(FieldError::invalid(
                format!("spec.clusterIPs[{i}]"),
                quote(addr),
                "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
            ));
        }
    }
    if ips.len() > 2 {
        errs.push(FieldError::invalid(
            "spec.clusterIPs",
            gofmt::string_slice(Some(&ips)),
            "may only hold up to 2 values",
        ));
    }
}

fn validate_traffic_policies(spec: &ServiceSpec, ty: &str, errs: &mut Vec<FieldError>) {
    let etp = spec.external_traffic_policy.as_deref().unwrap_or("");
    if !externally_accessible(spec) {
        if !etp.is_empty() {
            errs.push(FieldError::invalid(
                "spec.externalTrafficPolicy",
                quote(etp),
                "may only be set for externally-accessible services",
            ));
        }
    } else if etp.is_empty() {
        errs.push(FieldError::required("spec.externalTrafficPolicy", ""));
    } else if etp != "Cluster" && etp != "Local" {
        errs.push(FieldError::not_supported("spec.externalTrafficPolicy", quote(etp), &["Cluster", "Local"]));
    }
    let needs_health_check = ty == "LoadBalancer" && etp == "Local";
    let hc = spec.health_check_node_port.unwrap_or(0);
    if !needs_health_check && hc != 0 {
        errs.push(FieldError::invalid(
            "spec.healthCheckNodePort",
            hc.to_string(),
            "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
        ));
    }
    match spec.internal_traffic_policy.as_deref() {
        None if matches!(ty, "NodePort" | "LoadBalancer" | "ClusterIP") => {
            errs.push(FieldError::required("spec.internalTrafficPolicy", ""))
        }
        Some(p) if p != "Cluster" && p != "Local" => {
            errs.push(FieldError::not_supported("spec.internalTrafficPolicy", quote(p), &["Cluster", "Local"]))
        }
        _ => {}
    }
    if let Some(td) = spec.traffic_distribution.as_deref().filter(|t| *t != "PreferClose") {
        errs.push(FieldError::not_supported("spec.trafficDistribution", quote(td), &["PreferClose"]));
    }
}

/// When the type changes, fields only the old type needed go, unless the user changed them in
/// this update (upstream's `dropTypeDependentFields`; node ports are released by the allocator).
fn drop_type_dependent_fields(new: &mut ServiceSpec, old: &ServiceSpec) {
    let external = |s: &ServiceSpec| matches!(s.type_.as_deref(), Some("NodePort" | "LoadBalancer"));
    let load_balancer = |s: &ServiceSpec| s.type_.as_deref() == Some("LoadBalancer");
    if !external(new) && new.external_traffic_policy == old.external_traffic_policy {
        new.external_traffic_policy = None;
    }
    let needs_health_check =
        |s: &ServiceSpec| load_balancer(s) && s.external_traffic_policy.as_deref() == Some("Local");
    if needs_health_check(old) && !needs_health_check(new) && new.health_check_node_port == old.health_check_node_port {
        new.health_check_node_port = None;
    }
    if !load_balancer(new) {
        if new.allocate_load_balancer_node_ports == old.allocate_load_balancer_node_ports {
            new.allocate_load_balancer_node_ports = None;
        }
        if new.load_balancer_class == old.load_balancer_class {
            new.load_balancer_class = None;
        }
    }
}
