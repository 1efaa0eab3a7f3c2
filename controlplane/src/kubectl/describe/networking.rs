//! Networking: Services, Endpoints, EndpointSlices, Ingresses, IngressClasses,
//! NetworkPolicies.

use std::collections::BTreeSet;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Endpoints, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{
    Ingress, IngressBackend, IngressClass, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule,
    NetworkPolicyPeer, NetworkPolicyPort,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::common::*;
use super::writer::{out, Writer};
use super::Ctx;
use crate::kubectl::printers::format_label_selector;
use crate::model::selector::LabelSelector;
use crate::model::{Kind, Object, Typed};

/// The EndpointSlices of a service (`kubernetes.io/service-name=NAME`).
fn slices_of(ctx: &mut Ctx<'_>, namespace: &str, service: &str) -> Vec<Arc<Object>> {
    let mut labels = std::collections::BTreeMap::new();
    labels.insert("kubernetes.io/service-name".to_string(), service.to_string());
    ctx.list(Kind::EndpointSlice, Some(namespace), &LabelSelector::from_labels(&labels))
}

/// `formatEndpointSlices`: the first three ready endpoints as `ip:port` (for the ports named
/// in `ports`; all when `None`), then ` + N more...`; `<none>` without slices.
fn format_endpoint_slices(slices: &[Arc<Object>], ports: Option<&BTreeSet<String>>) -> String {
    let slices: Vec<&EndpointSlice> = slices.iter().filter_map(|o| EndpointSlice::from_object(o)).collect();
    if slices.is_empty() {
        return "<none>".to_string();
    }
    const MAX: usize = 3;
    let mut items: Vec<String> = Vec::new();
    let (mut more, mut count) = (false, 0usize);
    let ready =
        |e: &k8s_openapi::api::discovery::v1::Endpoint| e.conditions.as_ref().and_then(|c| c.ready) != Some(false);
    for slice in slices {
        let slice_ports = list(&slice.ports);
        if slice_ports.is_empty() {
            for e in &slice.endpoints {
                if items.len() == MAX {
                    more = true;
                }
                if !ready(e) {
                    continue;
                }
                if !more {
                    items.push(e.addresses.first().cloned().unwrap_or_default());
                }
                count += 1;
            }
        } else {
            for port in slice_ports {
                if ports.is_some_and(|p| !p.contains(s(&port.name))) {
                    continue;
                }
                for e in &slice.endpoints {
                    if items.len() == MAX {
                        more = true;
                    }
                    if !ready(e) {
                        continue;
                    }
                    if !more {
                        let addr = e.addresses.first().map(String::as_str).unwrap_or("");
                        items.push(join_host_port(addr, &port.port.unwrap_or(0).to_string()));
                    }
                    count += 1;
                }
            }
        }
    }
    let text = items.join(",");
    if more {
        format!("{text} + {} more...", count.saturating_sub(MAX))
    } else {
        text
    }
}

pub(super) fn describe_service(ctx: &mut Ctx<'_>, obj: &Object) -> Result<String, String> {
    let svc = Service::from_object(obj).ok_or("not a service")?;
    let meta = &svc.metadata;
    let slices = slices_of(ctx, s(&meta.namespace), s(&meta.name));
    let events = ctx.events_for(obj);
    let spec = svc.spec.clone().unwrap_or_default();
    let status = svc.status.clone().unwrap_or_default();
    let mut w = Writer::new();
    out!(w, 0, "Name:\t{}\n", s(&meta.name));
    out!(w, 0, "Namespace:\t{}\n", s(&meta.namespace));
    labels_multiline(&mut w, "Labels", meta.labels.as_ref());
    annotations_multiline(&mut w, "Annotations", meta.annotations.as_ref());
    out!(w, 0, "Selector:\t{}\n", format_labels(strings(&spec.selector)));
    out!(w, 0, "Type:\t{}\n", s(&spec.type_));
    if let Some(policy) = &spec.ip_family_policy {
        out!(w, 0, "IP Family Policy:\t{policy}\n");
    }
    let families = list(&spec.ip_families);
    out!(w, 0, "IP Families:\t{}\n", if families.is_empty() { "<none>".to_string() } else { families.join(",") });
    out!(w, 0, "IP:\t{}\n", s(&spec.cluster_ip));
    let ips = list(&spec.cluster_ips);
    out!(w, 0, "IPs:\t{}\n", if ips.is_empty() { "<none>".to_string() } else { ips.join(",") });
    if !list(&spec.external_ips).is_empty() {
        out!(w, 0, "External IPs:\t{}\n", list(&spec.external_ips).join(","));
    }
    if !s(&spec.load_balancer_ip).is_empty() {
        out!(w, 0, "Desired LoadBalancer IP:\t{}\n", s(&spec.load_balancer_ip));
    }
    if !s(&spec.external_name).is_empty() {
        out!(w, 0, "External Name:\t{}\n", s(&spec.external_name));
    }
    let ingress = status.load_balancer.as_ref().map(|lb| list(&lb.ingress)).unwrap_or(&[]);
    if !ingress.is_empty() {
        let items: Vec<String> = ingress
            .iter()
            .map(|i| match s(&i.ip) {
                "" => s(&i.hostname).to_string(),
                ip => match &i.ip_mode {
                    Some(mode) => format!("{ip} ({mode})"),
                    None => ip.to_string(),
                },
            })
            .collect();
        out!(w, 0, "LoadBalancer Ingress:\t{}\n", items.join(", "));
    }
    for sp in list(&spec.ports) {
        let name = match s(&sp.name) {
            "" => "<unset>",
            n => n,
        };
        let proto = s(&sp.protocol);
        out!(w, 0, "Port:\t{name}\t{}/{proto}\n", sp.port);
        match sp.target_port.clone().unwrap_or(IntOrString::Int(0)) {
            IntOrString::Int(i) => out!(w, 0, "TargetPort:\t{i}/{proto}\n"),
            IntOrString::String(s) => out!(w, 0, "TargetPort:\t{s}/{proto}\n"),
        }
        if let Some(node_port) = sp.node_port.filter(|p| *p != 0) {
            out!(w, 0, "NodePort:\t{name}\t{node_port}/{proto}\n");
        }
        let ports = BTreeSet::from([s(&sp.name).to_string()]);
        out!(w, 0, "Endpoints:\t{}\n", format_endpoint_slices(&slices, Some(&ports)));
    }
    out!(w, 0, "Session Affinity:\t{}\n", s(&spec.session_affinity));
    if !s(&spec.external_traffic_policy).is_empty() {
        out!(w, 0, "External Traffic Policy:\t{}\n", s(&spec.external_traffic_policy));
    }
    if let Some(policy) = &spec.internal_traffic_policy {
        out!(w, 0, "Internal Traffic Policy:\t{policy}\n");
    }
    if let Some(port) = spec.health_check_node_port.filter(|p| *p != 0) {
        out!(w, 0, "HealthCheck NodePort:\t{port}\n");
    }
    if !list(&spec.load_balancer_source_ranges).is_empty() {
        out!(w, 0, "LoadBalancer Source Ranges:\t{}\n", list(&spec.load_balancer_source_ranges).join(","));
    }
    if let Some(mut events) = events {
        describe_events(&mut w, &mut events, ctx.now);
    }
    Ok(w.finish())
}

pub(super) fn describe_endpoints(ctx: &mut Ctx<'_>, obj: &Object) -> Result<String, String> {
    let ep = Endpoints::from_object(obj).ok_or("not endpoints")?;
    let events = ctx.events_for(obj);
    let meta = &ep.metadata;
    let mut w = Writer::new();
    out!(w, 0, "Name:\t{}\n", s(&meta.name));
    out!(w, 0, "Namespace:\t{}\n", s(&meta.namespace));
    labels_multiline(&mut w, "Labels", meta.labels.as_ref());
    annotations_multiline(&mut w, "Annotations", meta.annotations.as_ref());
    w.write(0, "Subsets:\n");
    for subset in list(&ep.subsets) {
        let join = |addrs: &[k8s_openapi::api::core::v1::EndpointAddress]| {
            let text = addrs.iter().map(|a| a.ip.as_str()).collect::<Vec<_>>().join(",");
            if text.is_empty() {
                "<none>".to_string()
            } else {
                text
            }
        };
        out!(w, 1, "Addresses:\t{}\n", join(list(&subset.addresses)));
        out!(w, 1, "NotReadyAddresses:\t{}\n", join(list(&subset.not_ready_addresses)));
        let ports = list(&subset.ports);
        if !ports.is_empty() {
            w.write(1, "Ports:\n");
            w.write(2, "Name\tPort\tProtocol\n");
            w.write(2, "----\t----\t--------\n");
            for p in ports {
                let name = match s(&p.name) {
                    "" => "<unset>",
                    n => n,
                };
                out!(w, 2, "{name}\t{}\t{}\n", p.port, s(&p.protocol));
            }
        }
        w.write(0, "\n");
    }
    if let Some(mut events) = events {
        describe_events(&mut w, &mut events, ctx.now);
    }
    Ok(w.finish())
}

pub(super) fn describe_endpoint_slice(ctx: &mut Ctx<'_>, obj: &Object) -> Result<String, String> {
    let eps = EndpointSlice::from_object(obj).ok_or("not an endpoint slice")?;
    let events = ctx.events_for(obj);
    let meta = &eps.metadata;
    let mut w = Writer::new();
    out!(w, 0, "Name:\t{}\n", s(&meta.name));
    out!(w, 0, "Namespace:\t{}\n", s(&meta.namespace));
    labels_multiline(&mut w, "Labels", meta.labels.as_ref());
    annotations_multiline(&mut w, "Annotations", meta.annotations.as_ref());
    out!(w, 0, "AddressType:\t{}\n", eps.address_type);
    let ports = list(&eps.ports);
    if ports.is_empty() {
        w.write(0, "Ports: <unset>\n");
    } else {
        w.write(0, "Ports:\n");
        w.write(1, "Name\tPort\tProtocol\n");
        w.write(1, "----\t----\t--------\n");
        for p in ports {
            let name = match s(&p.name) {
                "" => "<unset>",
                n => n,
            };
            let port = p.port.map_or("<unset>".to_string(), |p| p.to_string());
            out!(w, 1, "{name}\t{port}\t{}\n", s(&p.protocol));
        }
    }
    if eps.endpoints.is_empty() {
        w.write(0, "Endpoints: <none>\n");
    } else {
        w.write(0, "Endpoints:\n");
        for e in &eps.endpoints {
            let addresses = e.addresses.join(", ");
            out!(w, 1, "- Addresses:\t{}\n", or_none(&addresses));
            w.write(2, "Conditions:\n");
            let ready = e.conditions.as_ref().and_then(|c| c.ready).map_or("<unset>", go_bool);
            out!(w, 3, "Ready:\t{ready}\n");
            out!(w, 2, "Hostname:\t{}\n", e.hostname.as_deref().unwrap_or("<unset>"));
            if let Some(r) = &e.target_ref {
                out!(w, 2, "TargetRef:\t{}/{}\n", s(&r.kind), s(&r.name));
            }
            out!(w, 2, "NodeName:\t{}\n", e.node_name.as_deref().unwrap_or("<unset>"));
            out!(w, 2, "Zone:\t{}\n", e.zone.as_deref().unwrap_or("<unset>"));
        }
    }
    if let Some(mut events) = events {
        describe_events(&mut w, &mut events, ctx.now);
    }
    Ok(w.finish())
}

/// `describeBackendV1`: `svc:port (endpoints)`, or the resource a backend names.
fn describe_backend(ctx: &mut Ctx<'_>, namespace: &str, backend: &IngressBackend) -> String {
    if let Some(svc) = &backend.service {
        let port = svc.port.clone().unwrap_or_default();
        let number = port.number.unwrap_or(0);
        let port_text = if number != 0 { number.to_string() } else { s(&port.name).to_string() };
        let sb = format!("{}:{port_text}", svc.name);
        let slices = slices_of(ctx, namespace, &svc.name);
        let service = match ctx.get(Kind::Service, namespace, &svc.name) {
            Ok(o) => o,
            Err(e) => return format!("{sb} (<error: {}>)", e.message),
        };
        let mut port_name = String::new();
        if let Some(service) = Service::from_object(&service) {
            for sp in service.spec.as_ref().map(|s| list(&s.ports)).unwrap_or(&[]) {
                let name = s(&sp.name);
                if (number != 0 && number == sp.port) || (!s(&port.name).is_empty() && s(&port.name) == name) {
                    port_name = name.to_string();
                }
            }
        }
        let ep = format_endpoint_slices(&slices, Some(&BTreeSet::from([port_name])));
        return format!("{sb} ({ep})");
    }
    if let Some(r) = &backend.resource {
        return format!("APIGroup: {}, Kind: {}, Name: {}", r.api_group.as_deref().unwrap_or("<none>"), r.kind, r.name);
    }
    String::new()
}

pub(super) fn describe_ingress(ctx: &mut Ctx<'_>, obj: &Object) -> Result<String, String> {
    let ing = Ingress::from_object(obj).ok_or("not an ingress")?;
    let events = ctx.events_for(obj);
    let meta = &ing.metadata;
    let ns = s(&meta.namespace).to_string();
    let spec = ing.spec.clone().unwrap_or_default();
    let mut w = Writer::new();
    out!(w, 0, "Name:\t{}\n", s(&meta.name));
    labels_multiline(&mut w, "Labels", meta.labels.as_ref());
    out!(w, 0, "Namespace:\t{ns}\n");
    let addresses: BTreeSet<String> = ing
        .status
        .as_ref()
        .and_then(|s| s.load_balancer.as_ref())
        .map(|lb| list(&lb.ingress))
        .unwrap_or(&[])
        .iter()
        .filter_map(|i| match (s(&i.ip), s(&i.hostname)) {
            ("", "") => None,
            ("", host) => Some(host.to_string()),
            (ip, _) => Some(ip.to_string()),
        })
        .collect();
    out!(w, 0, "Address:\t{}\n", addresses.into_iter().collect::<Vec<_>>().join(","));
    out!(w, 0, "Ingress Class:\t{}\n", spec.ingress_class_name.as_deref().unwrap_or("<none>"));
    let default_backend = match &spec.default_backend {
        Some(b) => describe_backend(ctx, &ns, b),
        None => "<default>".to_string(),
    };
    out!(w, 0, "Default backend:\t{default_backend}\n");
    let tls = list(&spec.tls);
    if !tls.is_empty() {
        w.write(0, "TLS:\n");
        for t in tls {
            let hosts = list(&t.hosts).join(",");
            match s(&t.secret_name) {
                "" => out!(w, 1, "SNI routes {hosts}\n"),
                secret => out!(w, 1, "{secret} terminates {hosts}\n"),
            }
        }
    }
    w.write(0, "Rules:\n  Host\tPath\tBackends\n");
    w.write(1, "----\t----\t--------\n");
    let mut count = 0;
    for rule in list(&spec.rules) {
        let Some(http) = &rule.http else { continue };
        count += 1;
        let host = match s(&rule.host) {
            "" => "*",
            h => h,
        };
        out!(w, 1, "{host}\t\n");
        for path in &http.paths {
            let backend = describe_backend(ctx, &ns, &path.backend);
            out!(w, 2, "\t{} \t{backend}\n", s(&path.path));
        }
    }
    if count == 0 {
        out!(w, 1, "*\t*\t{default_backend}\n");
    }
    annotations_multiline(&mut w, "Annotations", meta.annotations.as_ref());
    if let Some(mut events) = events {
        describe_events(&mut w, &mut events, ctx.now);
    }
    Ok(w.finish())
}

pub(super) fn describe_ingress_class(ctx: &mut Ctx<'_>, obj: &Object) -> Result<String, String> {
    let ic = IngressClass::from_object(obj).ok_or("not an ingress class")?;
    let events = ctx.events_for(obj);
    let meta = &ic.metadata;
    let spec = ic.spec.clone().unwrap_or_default();
    let mut w = Writer::new();
    out!(w, 0, "Name:\t{}\n", s(&meta.name));
    labels_multiline(&mut w, "Labels", meta.labels.as_ref());
    annotations_multiline(&mut w, "Annotations", meta.annotations.as_ref());
    out!(w, 0, "Controller:\t{}\n", s(&spec.controller));
    if let Some(p) = &spec.parameters {
        w.write(0, "Parameters:\n");
        if let Some(group) = &p.api_group {
            out!(w, 1, "APIGroup:\t{group}\n");
        }
        out!(w, 1, "Kind:\t{}\n", p.kind);
        out!(w, 1, "Name:\t{}\n", p.name);
    }
    if let Some(mut events) = events {
        describe_events(&mut w, &mut events, ctx.now);
    }
    Ok(w.finish())
}

pub(super) fn describe_network_policy(_ctx: &mut Ctx<'_>, obj: &Object) -> Result<String, String> {
    let np = NetworkPolicy::from_object(obj).ok_or("not a network policy")?;
    let meta = &np.metadata;
    let spec = np.spec.clone().unwrap_or_default();
    let mut w = Writer::new();
    out!(w, 0, "Name:\t{}\n", s(&meta.name));
    out!(w, 0, "Namespace:\t{}\n", s(&meta.namespace));
    out!(w, 0, "Created on:\t{}\n", go_time_string(meta.creation_timestamp.as_ref()));
    labels_multiline(&mut w, "Labels", meta.labels.as_ref());
    annotations_multiline(&mut w, "Annotations", meta.annotations.as_ref());
    w.write(0, "Spec:\n");
    w.write(1, "PodSelector: ");
    let pod_selector = spec.pod_selector.clone().unwrap_or_default();
    if strings(&pod_selector.match_labels).is_empty() && list(&pod_selector.match_expressions).is_empty() {
        w.write(2, "<none> (Allowing the specific traffic to all pods in this namespace)\n");
    } else {
        out!(w, 2, "{}\n", format_label_selector(Some(&pod_selector)));
    }
    let types = list(&spec.policy_types);
    let indent = "    ";
    if types.iter().any(|t| t == "Ingress") {
        w.write(1, "Allowing ingress traffic:\n");
        let rules: Vec<(&[NetworkPolicyPort], &[NetworkPolicyPeer])> =
            list(&spec.ingress).iter().map(|r: &NetworkPolicyIngressRule| (list(&r.ports), list(&r.from))).collect();
        policy_rules(&mut w, &rules, indent, "From", "source", "ingress");
    } else {
        w.write(1, "Not affecting ingress traffic\n");
    }
    if types.iter().any(|t| t == "Egress") {
        w.write(1, "Allowing egress traffic:\n");
        let rules: Vec<(&[NetworkPolicyPort], &[NetworkPolicyPeer])> =
            list(&spec.egress).iter().map(|r: &NetworkPolicyEgressRule| (list(&r.ports), list(&r.to))).collect();
        policy_rules(&mut w, &rules, indent, "To", "destination", "egress");
    } else {
        w.write(1, "Not affecting egress traffic\n");
    }
    let policy_types = match &spec.policy_types {
        Some(t) if !t.join(", ").is_empty() => t.join(", "),
        _ => "<none>".to_string(),
    };
    out!(w, 1, "Policy Types: {policy_types}\n");
    Ok(w.finish())
}

/// Go's `time.Time.String()` in UTC: `2025-01-01 00:00:00 +0000 UTC`.
fn go_time_string(t: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>) -> String {
    match t {
        Some(t) => crate::kubectl::printers::age::to_chrono(t.0).format("%Y-%m-%d %H:%M:%S +0000 UTC").to_string(),
        None => "0001-01-01 00:00:00 +0000 UTC".to_string(),
    }
}

/// `printNetworkPolicySpecIngressFrom` / `printNetworkPolicySpecEgressTo`.
fn policy_rules(
    w: &mut Writer,
    rules: &[(&[NetworkPolicyPort], &[NetworkPolicyPeer])],
    indent: &str,
    peer_title: &str,
    peer_word: &str,
    direction: &str,
) {
    if rules.is_empty() {
        out!(w, 0, "{indent}<none> (Selected pods are isolated for {direction} connectivity)\n");
        return;
    }
    for (i, (ports, peers)) in rules.iter().enumerate() {
        if ports.is_empty() {
            out!(w, 0, "{indent}To Port: <any> (traffic allowed to all ports)\n");
        }
        for p in ports.iter() {
            let proto = p.protocol.as_deref().unwrap_or("TCP");
            let port = p.port.as_ref().map_or("<nil>".to_string(), int_or_string);
            match p.end_port {
                None => out!(w, 0, "{indent}To Port: {port}/{proto}\n"),
                Some(end) => out!(w, 0, "{indent}To Port Range: {port}-{end}/{proto}\n"),
            }
        }
        if peers.is_empty() {
            out!(w, 0, "{indent}{peer_title}: <any> (traffic not restricted by {peer_word})\n");
        }
        for peer in peers.iter() {
            out!(w, 0, "{indent}{peer_title}:\n");
            match (&peer.pod_selector, &peer.namespace_selector, &peer.ip_block) {
                (Some(pods), Some(namespaces), _) => {
                    out!(w, 1, "{indent}NamespaceSelector: {}\n", format_label_selector(Some(namespaces)));
                    out!(w, 1, "{indent}PodSelector: {}\n", format_label_selector(Some(pods)));
                }
                (Some(pods), None, _) => out!(w, 1, "{indent}PodSelector: {}\n", format_label_selector(Some(pods))),
                (None, Some(namespaces), _) => {
                    out!(w, 1, "{indent}NamespaceSelector: {}\n", format_label_selector(Some(namespaces)))
                }
                (None, None, Some(block)) => {
                    out!(w, 1, "{indent}IPBlock:\n");
                    out!(w, 2, "{indent}CIDR: {}\n", block.cidr);
                    out!(w, 2, "{indent}Except: {}\n", list(&block.except).join(", "));
                }
                (None, None, None) => {}
            }
        }
        if i != rules.len() - 1 {
            out!(w, 0, "{indent}----------\n");
        }
    }
}
