//! What the service controller decides from a Service alone: whether it wants a load balancer
//! of this cloud (`wantsLoadBalancer`), needs one cleaned up (`needsCleanup`), or changed in a
//! way the balancer must follow (`needsUpdate`, with the events upstream writes then), and the
//! balancer it asks the cloud for.

use std::net::Ipv4Addr;

use crate::model::shared::Node;
use k8s_openapi::api::core::v1::{LoadBalancerStatus, Service, ServiceSpec};

use crate::network::cloud::{LbPort, LoadBalancer};
use crate::network::Protocol;

/// `servicehelper.LoadBalancerCleanupFinalizer`.
pub const FINALIZER: &str = "service.kubernetes.io/load-balancer-cleanup";

/// `v1.LabelNodeExcludeBalancers`.
const EXCLUDE_LABEL: &str = "node.kubernetes.io/exclude-from-external-load-balancers";

/// The cluster autoscaler's taint on a node it is about to delete.
const TO_BE_DELETED_TAINT: &str = "ToBeDeletedByClusterAutoscaler";

fn spec(svc: &Service) -> Option<&ServiceSpec> {
    svc.spec.as_ref()
}

fn type_of(svc: &Service) -> &str {
    spec(svc).and_then(|s| s.type_.as_deref()).unwrap_or("ClusterIP")
}

/// `wantsLoadBalancer`: type LoadBalancer and no `loadBalancerClass` (a class names another
/// implementation: not this cloud's).
pub fn wants_load_balancer(svc: &Service) -> bool {
    type_of(svc) == "LoadBalancer" && spec(svc).and_then(|s| s.load_balancer_class.as_ref()).is_none()
}

pub fn has_finalizer(svc: &Service) -> bool {
    svc.metadata.finalizers.as_ref().is_some_and(|f| f.iter().any(|f| f == FINALIZER))
}

/// `needsCleanup`: the finalizer is there, and the Service is going or no longer a LoadBalancer.
pub fn needs_cleanup(svc: &Service) -> bool {
    has_finalizer(svc) && (svc.metadata.deletion_timestamp.is_some() || type_of(svc) != "LoadBalancer")
}

/// `needsUpdate`: whether a change of the Service concerns its balancer, with the events
/// upstream's update handler records on the way (reason, message).
pub fn needs_update(old: &Service, new: &Service, events: &mut Vec<(&'static str, String)>) -> bool {
    let (wo, wn) = (wants_load_balancer(old), wants_load_balancer(new));
    if !wo && !wn {
        return false;
    }
    if wo != wn {
        events.push(("Type", format!("{} -> {}", type_of(old), type_of(new))));
        return true;
    }
    let (o, n) = (spec(old).cloned().unwrap_or_default(), spec(new).cloned().unwrap_or_default());
    if o.load_balancer_source_ranges != n.load_balancer_source_ranges {
        let show = |r: &Option<Vec<String>>| format!("[{}]", r.as_deref().unwrap_or(&[]).join(" "));
        events.push((
            "LoadBalancerSourceRanges",
            format!("{} -> {}", show(&o.load_balancer_source_ranges), show(&n.load_balancer_source_ranges)),
        ));
        return true;
    }
    if o.ports != n.ports
        || o.session_affinity != n.session_affinity
        || o.session_affinity_config != n.session_affinity_config
    {
        return true;
    }
    if o.load_balancer_ip != n.load_balancer_ip {
        let show = |ip: &Option<String>| ip.clone().unwrap_or_default();
        events.push(("LoadbalancerIP", format!("{} -> {}", show(&o.load_balancer_ip), show(&n.load_balancer_ip))));
        return true;
    }
    let (oe, ne) = (o.external_ips.clone().unwrap_or_default(), n.external_ips.clone().unwrap_or_default());
    if oe.len() != ne.len() {
        events.push(("ExternalIP", format!("Count: {} -> {}", oe.len(), ne.len())));
        return true;
    }
    if let Some(added) = oe.iter().zip(&ne).find(|(a, b)| a != b).map(|(_, b)| b) {
        events.push(("ExternalIP", format!("Added: {added}")));
        return true;
    }
    if old.metadata.annotations != new.metadata.annotations {
        return true;
    }
    if old.metadata.uid != new.metadata.uid {
        let show = |u: &Option<String>| u.clone().unwrap_or_default();
        events.push(("UID", format!("{} -> {}", show(&old.metadata.uid), show(&new.metadata.uid))));
        return true;
    }
    if o.external_traffic_policy != n.external_traffic_policy {
        let show = |p: &Option<String>| p.clone().unwrap_or_default();
        events.push((
            "ExternalTrafficPolicy",
            format!("{} -> {}", show(&o.external_traffic_policy), show(&n.external_traffic_policy)),
        ));
        return true;
    }
    if o.health_check_node_port != n.health_check_node_port {
        let show = |p: Option<i32>| p.unwrap_or(0).to_string();
        events.push((
            "HealthCheckNodePort",
            format!("{} -> {}", show(o.health_check_node_port), show(n.health_check_node_port)),
        ));
        return true;
    }
    let families = |s: &ServiceSpec| s.ip_families.as_ref().map_or(0, Vec::len);
    if families(&o) != families(&n) {
        events.push(("IPFamilies", format!("Count: {} -> {}", families(&o), families(&n))));
        return true;
    }
    false
}

/// `stableNodeSetPredicates` (StableLoadBalancerNodeSet, on since v1.30): not being deleted, not
/// excluded by label, known to the cloud, not about to be removed by the autoscaler.
pub fn balances_to(node: &Node) -> bool {
    let labelled = node.metadata.labels.as_ref().is_some_and(|l| l.contains_key(EXCLUDE_LABEL));
    let provider = node.spec.as_ref().and_then(|s| s.provider_id.as_deref()).is_some_and(|p| !p.is_empty());
    let doomed = node
        .spec
        .as_ref()
        .and_then(|s| s.taints.as_ref())
        .is_some_and(|ts| ts.iter().any(|t| t.key == TO_BE_DELETED_TAINT));
    node.metadata.deletion_timestamp.is_none() && !labelled && provider && !doomed
}

/// `cloudprovider.DefaultLoadBalancerName`: `a` and the uid without dashes, at most 32 characters.
pub fn balancer_name(svc: &Service) -> String {
    let uid: String = svc.metadata.uid.as_deref().unwrap_or("").chars().filter(|c| *c != '-').collect();
    format!("a{uid}").chars().take(32).collect()
}

/// The balancer the cloud is asked for: the Service's ports (with their node ports, when it has
/// them) over `hosts`.
pub fn balancer(svc: &Service, key: &str, hosts: Vec<String>) -> LoadBalancer {
    let ports = spec(svc)
        .and_then(|s| s.ports.as_ref())
        .into_iter()
        .flatten()
        .map(|p| LbPort {
            protocol: Protocol::parse(p.protocol.as_deref()).unwrap_or(Protocol::Tcp),
            port: u16::try_from(p.port).unwrap_or(0),
            node_port: p.node_port.and_then(|n| u16::try_from(n).ok()).filter(|n| *n > 0),
        })
        .collect();
    LoadBalancer { service: key.to_string(), address: Ipv4Addr::UNSPECIFIED, ports, hosts }
}

/// The Service's `loadBalancerIP` (deprecated, still honoured by clouds that can), if set.
pub fn requested_ip(svc: &Service) -> Result<Option<Ipv4Addr>, String> {
    match spec(svc).and_then(|s| s.load_balancer_ip.as_deref()).filter(|ip| !ip.is_empty()) {
        None => Ok(None),
        Some(ip) => ip.parse().map(Some).map_err(|_| format!("invalid load balancer IP {ip:?}")),
    }
}

/// The Service's `status.loadBalancer`, empty when it has none.
pub fn status_of(svc: &Service) -> LoadBalancerStatus {
    svc.status.as_ref().and_then(|s| s.load_balancer.clone()).unwrap_or_default()
}

/// `LoadBalancerStatusEqual`, treating no ingress and an empty list alike.
pub fn status_equal(a: &LoadBalancerStatus, b: &LoadBalancerStatus) -> bool {
    a.ingress.as_deref().unwrap_or(&[]) == b.ingress.as_deref().unwrap_or(&[])
}
