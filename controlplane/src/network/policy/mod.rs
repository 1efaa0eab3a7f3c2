//! NetworkPolicy, as the network plugin enforces it on the first packet of a connection
//! (networking/v1 and the concept page): a pod is isolated for ingress (egress) when some
//! policy of its namespace selects it with that policy type; an isolated pod's traffic in that
//! direction must match a rule of one of those policies (rules and policies are OR'ed). A
//! connection needs both the source's egress and the destination's ingress. A pod cannot
//! block itself, and traffic between a pod and its own node is always allowed.
//!
//! `ipBlock` is matched against the address the packet carries, pods' addresses included (as
//! upstream's network policy e2e tests expect); where a Service or NodePort rewrites an
//! address, the packet path passes the end as the network sees it after the rewrite.

pub mod agent;

#[cfg(test)]
mod tests;

use std::net::Ipv4Addr;

use crate::model::Pod;
use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::Protocol;
use crate::controllers::informers::Informers;
use crate::model::selector::LabelSelector;
use crate::model::{Kind, Object};

pub use crate::network::cidr::Cidr;

/// The kinds whose informers policy evaluation reads; the component enforcing it must watch them.
pub const WATCHES: &[Kind] = &[Kind::NetworkPolicy, Kind::Namespace, Kind::Pod];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    /// As `policyTypes` names it.
    pub fn policy_type(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }
}

/// One end of a connection, as the network sees it.
#[derive(Debug, Clone, Copy)]
pub enum Peer<'a> {
    Pod(&'a Pod),
    /// A node's own address: its kubelet, a host-network pod, or a client rewritten to it.
    Node {
        name: &'a str,
        ip: Ipv4Addr,
    },
    /// An address outside the cluster.
    Outside(Ipv4Addr),
}

impl Peer<'_> {
    fn ip(&self) -> Option<Ipv4Addr> {
        match self {
            Peer::Pod(p) => p.status.as_ref()?.pod_ip.as_deref()?.parse().ok(),
            Peer::Node { ip, .. } | Peer::Outside(ip) => Some(*ip),
        }
    }
}

/// What one direction's policies say of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No policy selects the pod for this direction, or this end is no pod.
    NotIsolated,
    /// Allowed whatever the policies say: why.
    Exempt(&'static str),
    /// The first policy (`namespace/name`, in name order) with a rule that matches.
    AllowedBy(String),
    /// The pod is isolated by these policies and none of their rules matches.
    Denied(Vec<String>),
}

impl Verdict {
    pub fn allows(&self) -> bool {
        !matches!(self, Verdict::Denied(_))
    }
}

/// Both directions' verdicts on one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub egress: Verdict,
    pub ingress: Verdict,
}

impl Decision {
    pub fn allowed(&self) -> bool {
        self.egress.allows() && self.ingress.allows()
    }
}

/// Whether a connection from `from` to `to` on `port`/`protocol` (the destination's port as
/// the packet arrives) may be made: the source's egress and the destination's ingress.
pub fn allowed(from: Peer<'_>, to: Peer<'_>, port: u16, protocol: Protocol, informers: &Informers) -> Decision {
    Decision {
        egress: verdict(Direction::Egress, from, to, port, protocol, informers),
        ingress: verdict(Direction::Ingress, from, to, port, protocol, informers),
    }
}

/// One direction's verdict: the policies of `from` for egress, of `to` for ingress.
pub fn verdict(
    direction: Direction,
    from: Peer<'_>,
    to: Peer<'_>,
    port: u16,
    protocol: Protocol,
    informers: &Informers,
) -> Verdict {
    let (subject, other) = match direction {
        Direction::Egress => (from, to),
        Direction::Ingress => (to, from),
    };
    let Peer::Pod(pod) = subject else { return Verdict::NotIsolated };
    if let Peer::Pod(o) = other {
        if o.metadata.namespace == pod.metadata.namespace && o.metadata.name == pod.metadata.name {
            return Verdict::Exempt("a pod cannot block access to itself");
        }
    }
    let node = pod.spec.as_ref().and_then(|s| s.node_name.as_deref());
    if let Peer::Node { name, .. } = other {
        if node == Some(name) {
            return Verdict::Exempt("traffic between a pod and its node is always allowed");
        }
    }
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let labels = pod.metadata.labels.clone().unwrap_or_default();
    let destination = match to {
        Peer::Pod(p) => Some(p),
        _ => None,
    };
    let mut isolating = Vec::new();
    for obj in informers.list_namespace(Kind::NetworkPolicy, ns) {
        let Object::NetworkPolicy(policy) = obj.as_ref() else { continue };
        let Some(spec) = policy.spec.as_ref() else { continue };
        let types = spec.policy_types.iter().flatten();
        if !types.into_iter().any(|t| t == direction.policy_type())
            || !LabelSelector::selects_or_all(spec.pod_selector.as_ref(), &labels)
        {
            continue;
        }
        let key = format!("{ns}/{}", policy.metadata.name.as_deref().unwrap_or(""));
        if rule_matches(policy, direction, other, destination, port, protocol, informers) {
            return Verdict::AllowedBy(key);
        }
        isolating.push(key);
    }
    if isolating.is_empty() {
        Verdict::NotIsolated
    } else {
        Verdict::Denied(isolating)
    }
}

/// One rule's peers (`from` or `to`) and ports.
type Rule<'a> = (Option<&'a Vec<NetworkPolicyPeer>>, Option<&'a Vec<NetworkPolicyPort>>);

/// Whether any rule of `policy` in `direction` admits `other` on the port.
fn rule_matches(
    policy: &NetworkPolicy,
    direction: Direction,
    other: Peer<'_>,
    destination: Option<&Pod>,
    port: u16,
    protocol: Protocol,
    informers: &Informers,
) -> bool {
    let Some(spec) = policy.spec.as_ref() else { return false };
    let ns = policy.metadata.namespace.as_deref().unwrap_or("default");
    let rules: Vec<Rule<'_>> = match direction {
        Direction::Ingress => spec.ingress.iter().flatten().map(|r| (r.from.as_ref(), r.ports.as_ref())).collect(),
        Direction::Egress => spec.egress.iter().flatten().map(|r| (r.to.as_ref(), r.ports.as_ref())).collect(),
    };
    rules.into_iter().any(|(peers, ports)| {
        // An empty or missing list matches every peer (every port).
        let peer_ok = peers.is_none_or(|ps| ps.is_empty() || ps.iter().any(|p| peer_matches(p, ns, other, informers)));
        let port_ok =
            ports.is_none_or(|ps| ps.is_empty() || ps.iter().any(|p| port_matches(p, destination, port, protocol)));
        peer_ok && port_ok
    })
}

/// One `from`/`to` entry: an ipBlock, or pods by podSelector (in the policy's namespace) and/or
/// namespaceSelector (namespaces by their labels, `kubernetes.io/metadata.name` among them).
fn peer_matches(peer: &NetworkPolicyPeer, policy_ns: &str, other: Peer<'_>, informers: &Informers) -> bool {
    if let Some(block) = &peer.ip_block {
        let Some(ip) = other.ip() else { return false };
        let inside = Cidr::parse(&block.cidr).is_some_and(|c| c.contains(ip));
        let excepted = block.except.iter().flatten().any(|e| Cidr::parse(e).is_some_and(|c| c.contains(ip)));
        return inside && !excepted;
    }
    let Peer::Pod(pod) = other else { return false };
    let pod_ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let labels = pod.metadata.labels.clone().unwrap_or_default();
    match (&peer.namespace_selector, &peer.pod_selector) {
        (None, None) => false,
        (None, Some(pods)) => pod_ns == policy_ns && LabelSelector::selects_or_all(Some(pods), &labels),
        (Some(namespaces), pods) => {
            let ns_labels = match informers.get(Kind::Namespace, pod_ns).map(|o| o.as_ref()) {
                Some(Object::Namespace(n)) => n.metadata.labels.clone().unwrap_or_default(),
                _ => return false,
            };
            LabelSelector::selects_or_all(Some(namespaces), &ns_labels)
                && pods.as_ref().is_none_or(|p| LabelSelector::selects_or_all(Some(p), &labels))
        }
    }
}

/// One `ports` entry: the protocol (TCP unless set), then a number, a range up to `endPort`, or
/// a name resolved against the destination pod's container ports of that protocol.
fn port_matches(p: &NetworkPolicyPort, destination: Option<&Pod>, port: u16, protocol: Protocol) -> bool {
    if Protocol::parse(p.protocol.as_deref()) != Some(protocol) {
        return false;
    }
    match &p.port {
        None => true,
        Some(IntOrString::Int(n)) => {
            let end = p.end_port.unwrap_or(*n);
            (*n..=end).contains(&i32::from(port))
        }
        Some(IntOrString::String(name)) => destination.is_some_and(|pod| {
            let containers = pod.spec.iter().flat_map(|s| s.containers.iter());
            containers.flat_map(|c| c.ports.iter().flatten()).any(|cp| {
                cp.name.as_deref() == Some(name.as_str())
                    && Protocol::parse(cp.protocol.as_deref()) == Some(protocol)
                    && cp.container_port == i32::from(port)
            })
        }),
    }
}
