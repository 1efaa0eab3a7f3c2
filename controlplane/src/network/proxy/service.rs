//! What kube-proxy keeps of Services and EndpointSlices (pkg/proxy's serviceport.go,
//! servicechangetracker.go, endpointslicecache.go) and which endpoints a node uses
//! (topology.go's `CategorizeEndpoints`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::Ipv4Addr;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;

use super::names;
use super::rules::Cidr;
use crate::network::Protocol;

/// A Service's namespace and name.
pub type ServiceName = (String, String);

/// `proxy.ServicePortName`: a Service port by name and protocol. It prints as upstream's
/// `String()`: `ns/name:port`, or `ns/name` for an unnamed port.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServicePortName {
    pub namespace: String,
    pub name: String,
    pub port: String,
    pub protocol: Protocol,
}

impl ServicePortName {
    /// The first name any port of `service` can have, where a range over its ports starts.
    fn first_of(service: &ServiceName) -> ServicePortName {
        ServicePortName {
            namespace: service.0.clone(),
            name: service.1.clone(),
            port: String::new(),
            protocol: Protocol::Tcp,
        }
    }

    pub fn is_of(&self, service: &ServiceName) -> bool {
        self.namespace == service.0 && self.name == service.1
    }
}

/// The entries of `map` for the ports of `service`, found by range rather than by a walk of
/// every Service's.
pub fn ports_of<'a, V>(
    map: &'a BTreeMap<Arc<ServicePortName>, V>,
    service: &'a ServiceName,
) -> impl Iterator<Item = (&'a Arc<ServicePortName>, &'a V)> + 'a {
    let first = ServicePortName::first_of(service);
    map.range::<ServicePortName, _>(first..).take_while(move |(k, _)| k.is_of(service))
}

/// Take the entries of `service`'s ports out of `map`; whether there were any.
pub fn remove_ports_of<V>(map: &mut BTreeMap<Arc<ServicePortName>, V>, service: &ServiceName) -> bool {
    let ports: Vec<Arc<ServicePortName>> = ports_of(map, service).map(|(k, _)| k.clone()).collect();
    for port in &ports {
        map.remove(port);
    }
    !ports.is_empty()
}

impl fmt::Display for ServicePortName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)?;
        if !self.port.is_empty() {
            write!(f, ":{}", self.port)?;
        }
        Ok(())
    }
}

/// `servicePortInfo`: one port of a Service as the iptables proxier uses it, with its chain
/// names computed once.
#[derive(Debug, Clone, PartialEq)]
pub struct ServicePortInfo {
    /// Shared with every node's rules, which are keyed by it.
    pub name: Arc<ServicePortName>,
    /// `name` as text (`ns/svc:port`), which comments and hashes use.
    pub name_string: String,
    pub cluster_ip: Ipv4Addr,
    pub port: u16,
    pub protocol: Protocol,
    /// 0 when the port has none.
    pub node_port: u16,
    pub load_balancer_vips: Vec<Ipv4Addr>,
    pub load_balancer_source_ranges: Vec<Cidr>,
    pub external_ips: Vec<Ipv4Addr>,
    pub client_ip_affinity: bool,
    /// `sessionAffinityConfig.clientIP.timeoutSeconds` (10800 by default).
    pub sticky_max_age_seconds: u32,
    /// 0 unless a LoadBalancer with externalTrafficPolicy Local.
    pub health_check_node_port: u16,
    pub external_policy_local: bool,
    pub internal_policy_local: bool,
    pub cluster_chain: String,
    pub local_chain: String,
    pub firewall_chain: String,
    pub external_chain: String,
}

impl ServicePortInfo {
    /// NodePort, LoadBalancer or externalIPs: reachable some other way than its ClusterIP.
    pub fn externally_accessible(&self) -> bool {
        self.node_port != 0 || !self.load_balancer_vips.is_empty() || !self.external_ips.is_empty()
    }

    /// Whether it ever sends traffic to endpoints by "Cluster" policy (external traffic with
    /// a Local policy still needs them, to short-circuit traffic from inside).
    pub fn uses_cluster_endpoints(&self) -> bool {
        !self.internal_policy_local || self.externally_accessible()
    }

    pub fn uses_local_endpoints(&self) -> bool {
        self.internal_policy_local || (self.external_policy_local && self.externally_accessible())
    }
}

/// The ports kube-proxy programs for a Service: none for a headless Service, one without a
/// ClusterIP, an ExternalName, or one whose ClusterIP is not IPv4 (`ShouldSkipService`,
/// then the IPv4 proxier's family filter).
pub fn service_ports(namespace: &str, name: &str, svc: &Service) -> Vec<ServicePortInfo> {
    let Some(spec) = &svc.spec else { return Vec::new() };
    let cluster_ip = spec.cluster_ip.as_deref().unwrap_or("");
    if spec.type_.as_deref() == Some("ExternalName") {
        return Vec::new();
    }
    let Ok(cluster_ip) = cluster_ip.parse::<Ipv4Addr>() else { return Vec::new() };
    let kind = spec.type_.as_deref().unwrap_or("ClusterIP");
    let external_ips: Vec<Ipv4Addr> =
        spec.external_ips.iter().flatten().filter_map(|ip| ip.trim().parse().ok()).collect();
    // apiservice.ExternallyAccessible / ExternalPolicyLocal / InternalPolicyLocal.
    let externally = kind == "LoadBalancer" || kind == "NodePort" || (kind == "ClusterIP" && !external_ips.is_empty());
    let external_policy_local = externally && spec.external_traffic_policy.as_deref() == Some("Local");
    let internal_policy_local = spec.internal_traffic_policy.as_deref() == Some("Local");
    let client_ip_affinity = spec.session_affinity.as_deref() == Some("ClientIP");
    let sticky = if client_ip_affinity {
        let timeout = spec.session_affinity_config.as_ref().and_then(|c| c.client_ip.as_ref());
        timeout.and_then(|c| c.timeout_seconds).unwrap_or(10800).max(0) as u32
    } else {
        0
    };
    let source_ranges: Vec<Cidr> = spec
        .load_balancer_source_ranges
        .iter()
        .flatten()
        .filter_map(|r| Cidr::parse(r.trim()).or_else(|| r.trim().parse().ok().map(Cidr::host)))
        .collect();
    // Only VIP-mode ingress addresses (an unset ipMode is VIP) get rules.
    let ingress = svc.status.as_ref().and_then(|s| s.load_balancer.as_ref()).and_then(|lb| lb.ingress.as_ref());
    let vips: Vec<Ipv4Addr> = ingress
        .into_iter()
        .flatten()
        .filter(|i| i.ip_mode.as_deref().is_none_or(|m| m == "VIP"))
        .filter_map(|i| i.ip.as_deref()?.parse().ok())
        .collect();
    // apiservice.NeedsHealthCheck: a LoadBalancer with a Local external policy.
    let health_check = if kind == "LoadBalancer" && external_policy_local {
        spec.health_check_node_port.unwrap_or(0).clamp(0, 65535) as u16
    } else {
        0
    };
    let mut out = Vec::new();
    for p in spec.ports.iter().flatten() {
        let Some(protocol) = Protocol::parse(p.protocol.as_deref()) else { continue };
        let port_name = ServicePortName {
            namespace: namespace.to_string(),
            name: name.to_string(),
            port: p.name.clone().unwrap_or_default(),
            protocol,
        };
        let name_string = port_name.to_string();
        let proto = protocol.lower();
        out.push(ServicePortInfo {
            cluster_chain: names::service_chain(names::SVC_PREFIX, &name_string, proto),
            local_chain: names::service_chain(names::SVL_PREFIX, &name_string, proto),
            firewall_chain: names::service_chain(names::FW_PREFIX, &name_string, proto),
            external_chain: names::service_chain(names::EXT_PREFIX, &name_string, proto),
            name: Arc::new(port_name),
            name_string,
            cluster_ip,
            port: p.port.clamp(0, 65535) as u16,
            protocol,
            node_port: p.node_port.unwrap_or(0).clamp(0, 65535) as u16,
            load_balancer_vips: vips.clone(),
            load_balancer_source_ranges: source_ranges.clone(),
            external_ips: external_ips.clone(),
            client_ip_affinity,
            sticky_max_age_seconds: sticky,
            health_check_node_port: health_check,
            external_policy_local,
            internal_policy_local,
        });
    }
    out
}

/// One endpoint of a service port (`BaseEndpointInfo`), with its KUBE-SEP chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub ip: Ipv4Addr,
    pub port: u16,
    /// `ip:port`, as upstream's `String()`.
    pub text: String,
    pub node_name: String,
    pub zone_hints: BTreeSet<String>,
    pub ready: bool,
    pub serving: bool,
    pub terminating: bool,
    pub chain: String,
}

impl Endpoint {
    pub fn is_local(&self, node: &str) -> bool {
        !node.is_empty() && self.node_name == node
    }
}

/// What kube-proxy keeps of one EndpointSlice (`endpointSliceInfo`).
#[derive(Debug, Clone, PartialEq)]
pub struct SliceInfo {
    /// (port name, port, protocol), sorted by port as upstream's `byPort`.
    ports: Vec<(String, u16, Protocol)>,
    endpoints: Vec<SliceEndpoint>,
}

#[derive(Debug, Clone, PartialEq)]
struct SliceEndpoint {
    ip: Ipv4Addr,
    node_name: String,
    zone_hints: BTreeSet<String>,
    ready: bool,
    serving: bool,
    terminating: bool,
}

/// The Service an EndpointSlice is for (its `kubernetes.io/service-name` label), and what
/// kube-proxy keeps of it; `None` for a slice without the label or of another family.
pub fn slice_info(
    namespace: &str,
    slice: &EndpointSlice,
    labels: &BTreeMap<String, String>,
) -> Option<(ServiceName, SliceInfo)> {
    let service = labels.get("kubernetes.io/service-name").filter(|s| !s.is_empty())?;
    if slice.address_type != "IPv4" {
        return None;
    }
    let mut ports: Vec<(String, u16, Protocol)> = Vec::new();
    for p in slice.ports.iter().flatten() {
        // A nil name or a zero port is ignored, as upstream logs and skips them.
        let (Some(name), Some(port)) = (p.name.clone(), p.port.filter(|&p| p > 0 && p <= 65535)) else { continue };
        let Some(protocol) = Protocol::parse(p.protocol.as_deref()) else { continue };
        ports.push((name, port as u16, protocol));
    }
    ports.sort_by_key(|p| p.1);
    let mut endpoints = Vec::new();
    for e in &slice.endpoints {
        let Some(ip) = e.addresses.first().and_then(|a| a.parse::<Ipv4Addr>().ok()) else { continue };
        let c = e.conditions.as_ref();
        let zone_hints = e
            .hints
            .as_ref()
            .and_then(|h| h.for_zones.as_ref())
            .map(|z| z.iter().map(|z| z.name.clone()).collect())
            .unwrap_or_default();
        endpoints.push(SliceEndpoint {
            ip,
            node_name: e.node_name.clone().unwrap_or_default(),
            zone_hints,
            ready: c.and_then(|c| c.ready).unwrap_or(true),
            serving: c.and_then(|c| c.serving).unwrap_or(true),
            terminating: c.and_then(|c| c.terminating).unwrap_or(false),
        });
    }
    Some(((namespace.to_string(), service.clone()), SliceInfo { ports, endpoints }))
}

/// The endpoints of each port of one Service, from its slices (in slice-name order), each
/// list sorted by `ip:port` text as upstream sorts them. An endpoint in two slices is kept
/// once, from the first (upstream prefers a local copy; both copies name the same node).
pub fn endpoints_map(
    namespace: &str,
    service: &str,
    slices: &BTreeMap<String, SliceInfo>,
) -> BTreeMap<ServicePortName, Vec<Endpoint>> {
    let mut by_port: BTreeMap<ServicePortName, BTreeMap<String, Endpoint>> = BTreeMap::new();
    for slice in slices.values() {
        for (port_name, port, protocol) in &slice.ports {
            let spn = ServicePortName {
                namespace: namespace.to_string(),
                name: service.to_string(),
                port: port_name.clone(),
                protocol: *protocol,
            };
            let spn_text = spn.to_string();
            let set = by_port.entry(spn).or_default();
            for e in &slice.endpoints {
                let text = format!("{}:{}", e.ip, port);
                if set.contains_key(&text) {
                    continue;
                }
                let chain = names::endpoint_chain(&spn_text, protocol.lower(), &text);
                let endpoint = Endpoint {
                    ip: e.ip,
                    port: *port,
                    text: text.clone(),
                    node_name: e.node_name.clone(),
                    zone_hints: e.zone_hints.clone(),
                    ready: e.ready,
                    serving: e.serving,
                    terminating: e.terminating,
                    chain,
                };
                set.insert(text, endpoint);
            }
        }
    }
    by_port.into_iter().filter(|(_, s)| !s.is_empty()).map(|(k, s)| (k, s.into_values().collect())).collect()
}

/// What one node does with a service port's endpoints (`CategorizeEndpoints`).
#[derive(Debug, Default)]
pub struct Categorized<'a> {
    /// The endpoints for "Cluster" policy (topology applied); empty if the port never uses it.
    pub cluster: Vec<&'a Endpoint>,
    /// This node's endpoints for "Local" policy; empty if the port never uses it.
    pub local: Vec<&'a Endpoint>,
    /// Every endpoint reachable from this node: the union of the two, by `ip:port`.
    pub reachable: Vec<&'a Endpoint>,
    /// Whether the port has usable endpoints anywhere in the cluster.
    pub has_any: bool,
}

/// Ready endpoints by default, falling back (for Cluster and Local separately) to serving
/// terminating ones when none is ready; zone hints honoured when every ready endpoint has
/// one and one is for this node's zone.
pub fn categorize<'a>(endpoints: &'a [Endpoint], svc: &ServicePortInfo, node: &str, zone: &str) -> Categorized<'a> {
    let mut out = Categorized::default();
    if endpoints.is_empty() {
        return out;
    }
    let mut use_zone = false;
    if svc.uses_cluster_endpoints() {
        use_zone = zone_topology(endpoints, zone);
        out.cluster = endpoints.iter().filter(|e| e.ready && (!use_zone || e.zone_hints.contains(zone))).collect();
        if out.cluster.is_empty() {
            out.cluster = endpoints.iter().filter(|e| e.serving && e.terminating).collect();
        }
        out.has_any = !out.cluster.is_empty();
    }
    if !svc.uses_local_endpoints() {
        out.reachable = out.cluster.clone();
        return out;
    }
    let (mut local_ready, mut local_terminating) = (false, false);
    for e in endpoints {
        if e.ready {
            out.has_any = true;
            local_ready |= e.is_local(node);
        } else if e.serving && e.terminating {
            out.has_any = true;
            local_terminating |= e.is_local(node);
        }
    }
    let fallback = !local_ready && local_terminating;
    if local_ready {
        out.local = endpoints.iter().filter(|e| e.is_local(node) && e.ready).collect();
    } else if local_terminating {
        out.local = endpoints.iter().filter(|e| e.is_local(node) && e.serving && e.terminating).collect();
    }
    if !svc.uses_cluster_endpoints() {
        out.reachable = out.local.clone();
        return out;
    }
    if !use_zone && !fallback {
        out.reachable = out.cluster.clone();
        return out;
    }
    let mut union: BTreeMap<&str, &Endpoint> = out.cluster.iter().map(|e| (e.text.as_str(), *e)).collect();
    for e in &out.local {
        union.insert(e.text.as_str(), e);
    }
    out.reachable = union.into_values().collect();
    out
}

/// `topologyModeFromHints` for zones: every ready endpoint hinted, one for this zone.
fn zone_topology(endpoints: &[Endpoint], zone: &str) -> bool {
    let mut any_ready = false;
    let mut all_hinted = true;
    let mut for_zone = false;
    for e in endpoints.iter().filter(|e| e.ready) {
        any_ready = true;
        if e.zone_hints.is_empty() {
            all_hinted = false;
        } else if e.zone_hints.contains(zone) {
            for_zone = true;
        }
    }
    any_ready && all_hinted && for_zone
}
