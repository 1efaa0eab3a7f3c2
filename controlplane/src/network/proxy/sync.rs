//! What `syncProxyRules` writes for one service port on one node (pkg/proxy/iptables/
//! proxier.go), as typed rules.

use std::net::{Ipv4Addr, SocketAddrV4};

use super::names;
use super::rules::{Cidr, Match, Rule, Target};
use super::service::{categorize, Endpoint, ServicePortInfo};
use super::table::{FilterChain, ServiceRules};

/// The cluster's pod network, kube-proxy's `clusterCIDR` (kubeadm's podSubnet, kind's
/// default): traffic from it is "local" to the cluster (`--detect-local-mode=ClusterCIDR`).
pub const CLUSTER_CIDR: Cidr = Cidr { addr: Ipv4Addr::new(10, 244, 0, 0), prefix: 16 };

/// Past this many endpoints in all, kube-proxy drops the comments of its SVC and SEP rules
/// ("large cluster mode").
pub const LARGE_CLUSTER_ENDPOINTS: usize = 1000;

const MARK_MASQ: &str = "KUBE-MARK-MASQ";

/// The node a sync is for.
#[derive(Debug, Clone, Copy)]
pub struct NodeView<'a> {
    pub name: &'a str,
    /// Its `topology.kubernetes.io/zone` label ("" without).
    pub zone: &'a str,
    /// Its primary address (`--bind-address`/node IP), for LoadBalancer source ranges.
    pub ip: Option<Ipv4Addr>,
}

/// The rules of one service port on one node (at least its ClusterIP rule, in nat or filter).
pub fn service_rules(svc: &ServicePortInfo, endpoints: &[Endpoint], node: NodeView<'_>, large: bool) -> ServiceRules {
    let name = &svc.name_string;
    let proto = svc.protocol;
    let cat = categorize(endpoints, svc, node.name, node.zone);
    let has_any = cat.has_any;
    let uses_cluster_chain = !cat.cluster.is_empty() && svc.uses_cluster_endpoints();
    let uses_local_chain = !cat.local.is_empty() && svc.uses_local_endpoints();

    let (internal_chain, has_internal) = if svc.internal_policy_local {
        (&svc.local_chain, has_any && !cat.local.is_empty())
    } else {
        (&svc.cluster_chain, has_any)
    };
    let (external_policy_chain, has_external) = if svc.external_policy_local {
        (&svc.local_chain, has_any && !cat.local.is_empty())
    } else {
        (&svc.cluster_chain, has_any)
    };
    let external_chain = &svc.external_chain;
    // The EXT chain is made even without external endpoints: it short-circuits traffic
    // from inside the cluster.
    let uses_external_chain = has_any && svc.externally_accessible();
    let uses_fw = has_any && !svc.load_balancer_vips.is_empty() && !svc.load_balancer_source_ranges.is_empty();
    let lb_chain = if uses_fw { &svc.firewall_chain } else { external_chain };

    let no_endpoints = (Target::Reject, format!("{name} has no endpoints"));
    let no_local = (Target::Drop, format!("{name} has no local endpoints"));
    let internal_filter = if has_any { no_local.clone() } else { no_endpoints.clone() };
    let external_filter = if has_any { no_local } else { no_endpoints };

    let mut out = ServiceRules::default();
    // The ClusterIP.
    let cluster_ip = |target: Target, comment: &str| {
        Rule::new(target).comment(comment).proto(proto, Some(svc.port)).dst(svc.cluster_ip)
    };
    if has_internal {
        out.nat_services.push(cluster_ip(Target::Jump(internal_chain.clone()), &format!("{name} cluster IP")));
    } else {
        out.filter.push((FilterChain::Services, cluster_ip(internal_filter.0.clone(), &internal_filter.1)));
    }
    // externalIPs.
    for &ip in &svc.external_ips {
        if has_any {
            let rule = Rule::jump(external_chain).comment(format!("{name} external IP")).proto(proto, Some(svc.port));
            out.nat_services.push(rule.dst(ip));
        }
        if !has_external {
            let rule = Rule::new(external_filter.0.clone()).comment(&external_filter.1).proto(proto, Some(svc.port));
            out.filter.push((FilterChain::ExternalServices, rule.dst(ip)));
        }
    }
    // LoadBalancer ingress IPs.
    for &ip in &svc.load_balancer_vips {
        if has_any {
            let rule = Rule::jump(lb_chain).comment(format!("{name} loadbalancer IP")).proto(proto, Some(svc.port));
            out.nat_services.push(rule.dst(ip));
        }
        if uses_fw {
            let comment = format!("{name} traffic not accepted by {}", svc.firewall_chain);
            let rule = Rule::new(Target::Drop).comment(comment).proto(proto, Some(svc.port));
            out.filter.push((FilterChain::ProxyFirewall, rule.dst(ip)));
        }
    }
    if !has_external {
        for &ip in &svc.load_balancer_vips {
            let rule = Rule::new(external_filter.0.clone()).comment(&external_filter.1).proto(proto, Some(svc.port));
            out.filter.push((FilterChain::ExternalServices, rule.dst(ip)));
        }
    }
    // The NodePort.
    if svc.node_port != 0 {
        if has_any {
            let rule = Rule::jump(external_chain).comment(name.as_str()).proto(proto, Some(svc.node_port));
            out.nat_nodeports.push(rule);
        }
        if !has_external {
            let rule = Rule::new(external_filter.0.clone())
                .comment(&external_filter.1)
                .with(Match::AddrTypeLocal { src: false })
                .proto(proto, Some(svc.node_port));
            out.filter.push((FilterChain::ExternalServices, rule));
        }
    }
    // The health check node port is open whether or not this node has endpoints.
    if svc.health_check_node_port != 0 {
        let rule = Rule::new(Target::Accept)
            .comment(format!("{name} health check node port"))
            .proto(crate::network::Protocol::Tcp, Some(svc.health_check_node_port));
        out.filter.push((FilterChain::NodePorts, rule));
    }

    let mut cluster_rules = Vec::new();
    let mut local_rules = Vec::new();
    // Off-cluster traffic to the ClusterIP is masqueraded (it may have been routed here).
    if has_internal {
        let rule = Rule::jump(MARK_MASQ)
            .comment(format!("{name} cluster IP"))
            .proto(proto, Some(svc.port))
            .dst(svc.cluster_ip)
            .src(true, CLUSTER_CIDR);
        if svc.internal_policy_local {
            local_rules.push(rule);
        } else {
            cluster_rules.push(rule);
        }
    }
    if uses_external_chain {
        let mut ext = Vec::new();
        if !svc.external_policy_local {
            // Endpoints may be on other nodes: masquerade, so replies come back this way.
            ext.push(Rule::jump(MARK_MASQ).comment(format!("masquerade traffic for {name} external destinations")));
        } else {
            // Pods and the node itself reach external destinations as if from outside and
            // back: by Cluster policy; the node's own traffic is masqueraded.
            ext.push(
                Rule::jump(&svc.cluster_chain)
                    .src(false, CLUSTER_CIDR)
                    .comment(format!("pod traffic for {name} external destinations")),
            );
            ext.push(
                Rule::jump(MARK_MASQ)
                    .comment(format!("masquerade LOCAL traffic for {name} external destinations"))
                    .with(Match::AddrTypeLocal { src: true }),
            );
            ext.push(
                Rule::jump(&svc.cluster_chain)
                    .comment(format!("route LOCAL traffic for {name} external destinations"))
                    .with(Match::AddrTypeLocal { src: true }),
            );
        }
        if has_external {
            ext.push(Rule::jump(external_policy_chain));
        }
        out.chains.push((external_chain.clone(), ext));
    }
    if uses_fw {
        let comment = format!("{name} loadbalancer IP");
        let mut fw = Vec::new();
        let mut allow_from_node = false;
        for cidr in &svc.load_balancer_source_ranges {
            fw.push(Rule::jump(external_chain).comment(&comment).src(false, *cidr));
            allow_from_node |= node.ip.is_some_and(|ip| cidr.contains(ip));
        }
        if allow_from_node {
            for &vip in &svc.load_balancer_vips {
                fw.push(Rule::jump(external_chain).comment(&comment).src(false, Cidr::host(vip)));
            }
        }
        fw.push(
            Rule::new(Target::None).comment(format!("other traffic to {name} will be dropped by KUBE-PROXY-FIREWALL")),
        );
        out.chains.push((svc.firewall_chain.clone(), fw));
    }
    if uses_cluster_chain {
        endpoint_rules(svc, &cat.cluster, large, &mut cluster_rules);
        out.chains.push((svc.cluster_chain.clone(), cluster_rules));
    }
    if uses_local_chain {
        endpoint_rules(svc, &cat.local, large, &mut local_rules);
        out.chains.push((svc.local_chain.clone(), local_rules));
    }
    for ep in &cat.reachable {
        let comment = |rule: Rule| if large { rule } else { rule.comment(name.as_str()) };
        let masq = comment(Rule::jump(MARK_MASQ).src(false, Cidr::host(ep.ip)));
        let mut dnat = comment(Rule::new(Target::Dnat(SocketAddrV4::new(ep.ip, ep.port))));
        if svc.client_ip_affinity {
            dnat = dnat.with(Match::RecentSet { name: ep.chain.clone() });
        }
        out.chains.push((ep.chain.clone(), vec![masq, dnat.proto(proto, None)]));
    }
    out
}

/// `writeServiceToEndpointRules`: the affinity checks, then one rule per endpoint, each but
/// the last matching at random with probability 1/(endpoints left).
fn endpoint_rules(svc: &ServicePortInfo, endpoints: &[&Endpoint], large: bool, out: &mut Vec<Rule>) {
    let comment = |rule: Rule, ep: &Endpoint| {
        if large {
            rule
        } else {
            rule.comment(format!("{} -> {}", svc.name_string, ep.text))
        }
    };
    if svc.client_ip_affinity {
        for ep in endpoints {
            let check = Match::RecentCheck { name: ep.chain.clone(), seconds: svc.sticky_max_age_seconds };
            out.push(comment(Rule::jump(&ep.chain), ep).with(check));
        }
    }
    let n = endpoints.len();
    for (i, ep) in endpoints.iter().enumerate() {
        let mut rule = comment(Rule::jump(&ep.chain), ep);
        if i + 1 < n {
            let threshold = names::probability_threshold(&names::probability_arg(n - i));
            rule = rule.with(Match::Statistic { threshold });
        }
        out.push(rule);
    }
}
