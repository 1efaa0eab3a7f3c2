//! One node's kube-proxy rules (`NodeRules`): the fixed chains every sync writes, and each
//! service port's rules, kept apart so a sync rewrites only the services that changed (as
//! upstream's partial sync does) and shared between the nodes that write the same ones. Printed as `iptables-save` prints the tables.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::sync::{Arc, OnceLock};

use super::rules::{Cidr, Match, Rule, Table, Target};
use super::service::{self, ServiceName, ServicePortName};

/// kube-proxy's masquerade mark: bit 14 (`--iptables-masquerade-bit`).
pub const MASQ_MARK: u32 = 0x4000;

/// The filter chains a service port writes rules into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterChain {
    Services,
    ExternalServices,
    NodePorts,
    ProxyFirewall,
}

impl FilterChain {
    pub fn name(self) -> &'static str {
        match self {
            FilterChain::Services => "KUBE-SERVICES",
            FilterChain::ExternalServices => "KUBE-EXTERNAL-SERVICES",
            FilterChain::NodePorts => "KUBE-NODEPORTS",
            FilterChain::ProxyFirewall => "KUBE-PROXY-FIREWALL",
        }
    }

    fn of(name: &str) -> Option<FilterChain> {
        [FilterChain::Services, FilterChain::ExternalServices, FilterChain::NodePorts, FilterChain::ProxyFirewall]
            .into_iter()
            .find(|c| c.name() == name)
    }
}

/// What one service port contributes to a node's tables.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceRules {
    /// Its rules in the nat table's KUBE-SERVICES (ClusterIP, externalIPs, LoadBalancer).
    pub nat_services: Vec<Rule>,
    /// Its rule in the nat table's KUBE-NODEPORTS.
    pub nat_nodeports: Vec<Rule>,
    /// Its filter rules (REJECT/DROP without endpoints, the firewall, the health check port).
    pub filter: Vec<(FilterChain, Rule)>,
    /// Its own nat chains (KUBE-SVC, KUBE-SVL, KUBE-EXT, KUBE-FW, KUBE-SEP), in write order.
    pub chains: Vec<(String, Vec<Rule>)>,
}

/// A node's rules. A service port's rules are shared (`Arc`) with every node that writes the
/// same ones, so a thousand nodes hold one copy of what does not depend on the node.
#[derive(Debug, Clone, Default)]
pub struct NodeRules {
    services: BTreeMap<Arc<ServicePortName>, Arc<ServiceRules>>,
    /// The service ports by the destinations of their rules, made when a packet first needs
    /// it after a change: a walk for one address visits the few Services whose rules could
    /// match it, not every Service's (the kernel walks them all; the outcome is the same).
    index: OnceLock<DstIndex>,
}

/// Service ports by the single address (`-d X/32`) their KUBE-SERVICES, KUBE-NODEPORTS and
/// filter rules match, and those with a rule for any address (node ports, health checks).
#[derive(Debug, Clone, Default)]
struct DstIndex {
    by_ip: Vec<(Ipv4Addr, Arc<ServicePortName>)>,
    any: Vec<Arc<ServicePortName>>,
}

impl DstIndex {
    fn new(services: &BTreeMap<Arc<ServicePortName>, Arc<ServiceRules>>) -> DstIndex {
        let mut index = DstIndex::default();
        for (name, rules) in services {
            let all = rules.nat_services.iter().chain(&rules.nat_nodeports).chain(rules.filter.iter().map(|(_, r)| r));
            let mut any = false;
            for rule in all {
                match rule.dst {
                    Some(c) if c.prefix == 32 => index.by_ip.push((c.addr, name.clone())),
                    _ => any = true,
                }
            }
            if any {
                index.any.push(name.clone());
            }
        }
        index.by_ip.sort();
        index.by_ip.dedup();
        index
    }

    /// The service ports whose rules could match a packet for `ip`, in order.
    fn candidates(&self, ip: Ipv4Addr) -> Vec<&Arc<ServicePortName>> {
        let start = self.by_ip.partition_point(|(a, _)| *a < ip);
        let mut found: Vec<&Arc<ServicePortName>> =
            self.by_ip[start..].iter().take_while(|(a, _)| *a == ip).map(|(_, n)| n).chain(&self.any).collect();
        found.sort();
        found.dedup();
        found
    }
}

/// The chains every node has, whatever its services.
#[derive(Debug)]
struct Fixed {
    filter: Vec<(&'static str, Vec<Rule>)>,
    nat: Vec<(&'static str, Vec<Rule>)>,
    /// KUBE-SERVICES' last rule: local destinations go on to KUBE-NODEPORTS.
    nodeports_jump: Rule,
}

fn kube_jump(chain: &str, comment: &str, new_only: bool) -> Rule {
    let rule = Rule::jump(chain);
    let rule = if new_only { rule.with(Match::Conntrack { negated: false, states: "NEW" }) } else { rule };
    rule.comment(comment)
}

/// One rule of a chain and the service port it belongs to (none for the fixed chains): a
/// jump from a service's rule goes to that service's own chains.
pub type Scoped<'a> = (Option<&'a ServiceRules>, &'a Rule);

static FIXED: OnceLock<Fixed> = OnceLock::new();

/// The chains and rules of a sync with no services: the jumps from the built-in chains
/// (`iptablesJumpChains`, each prepended, so the last listed comes first; KUBE-FIREWALL's
/// jump, which the kubelet made before kube-proxy started, stays last), the masquerade
/// chains, KUBE-FORWARD, and KUBE-FIREWALL's rule against martian localnet packets
/// (localhost NodePorts are on by default).
fn fixed() -> &'static Fixed {
    FIXED.get_or_init(|| {
        let lb_fw = "kubernetes load balancer firewall";
        let portals = "kubernetes service portals";
        let external = "kubernetes externally-visible service portals";
        let loopback = Cidr { addr: std::net::Ipv4Addr::new(127, 0, 0, 0), prefix: 8 };
        let filter = vec![
            (
                "INPUT",
                vec![
                    kube_jump("KUBE-PROXY-FIREWALL", lb_fw, true),
                    kube_jump("KUBE-NODEPORTS", "kubernetes health check service ports", false),
                    kube_jump("KUBE-EXTERNAL-SERVICES", external, true),
                    Rule::jump("KUBE-FIREWALL"),
                ],
            ),
            (
                "FORWARD",
                vec![
                    kube_jump("KUBE-PROXY-FIREWALL", lb_fw, true),
                    kube_jump("KUBE-FORWARD", "kubernetes forwarding rules", false),
                    kube_jump("KUBE-SERVICES", portals, true),
                    kube_jump("KUBE-EXTERNAL-SERVICES", external, true),
                ],
            ),
            (
                "OUTPUT",
                vec![
                    kube_jump("KUBE-PROXY-FIREWALL", lb_fw, true),
                    kube_jump("KUBE-SERVICES", portals, true),
                    Rule::jump("KUBE-FIREWALL"),
                ],
            ),
            (
                "KUBE-FIREWALL",
                vec![Rule::new(Target::Drop)
                    .src(true, loopback)
                    .dst_cidr(loopback)
                    .comment("block incoming localnet connections")
                    .with(Match::Conntrack { negated: true, states: "RELATED,ESTABLISHED,DNAT" })],
            ),
            (
                "KUBE-FORWARD",
                vec![
                    Rule::new(Target::Drop).with(Match::Conntrack { negated: false, states: "INVALID" }),
                    Rule::new(Target::Accept).comment("kubernetes forwarding rules").with(Match::Mark {
                        negated: false,
                        value: MASQ_MARK,
                        mask: MASQ_MARK,
                    }),
                    Rule::new(Target::Accept)
                        .comment("kubernetes forwarding conntrack rule")
                        .with(Match::Conntrack { negated: false, states: "RELATED,ESTABLISHED" }),
                ],
            ),
        ];
        let nat = vec![
            ("PREROUTING", vec![Rule::jump("KUBE-SERVICES").comment(portals)]),
            ("INPUT", vec![]),
            ("OUTPUT", vec![Rule::jump("KUBE-SERVICES").comment(portals)]),
            ("POSTROUTING", vec![Rule::jump("KUBE-POSTROUTING").comment("kubernetes postrouting rules")]),
            ("KUBE-MARK-MASQ", vec![Rule::new(Target::SetXmark { value: MASQ_MARK, mask: MASQ_MARK })]),
            (
                "KUBE-POSTROUTING",
                vec![
                    Rule::new(Target::Return).with(Match::Mark { negated: true, value: MASQ_MARK, mask: MASQ_MARK }),
                    // `--xor-mark`, as iptables-save writes it.
                    Rule::new(Target::SetXmark { value: MASQ_MARK, mask: 0 }),
                    Rule::new(Target::Masquerade).comment("kubernetes service traffic requiring SNAT"),
                ],
            ),
        ];
        let nodeports_jump = Rule::jump("KUBE-NODEPORTS")
            .comment("kubernetes service nodeports; NOTE: this must be the last rule in this chain")
            .with(Match::AddrTypeLocal { src: false });
        Fixed { filter, nat, nodeports_jump }
    })
}

impl NodeRules {
    /// A sync's rules with no services: the fixed chains only.
    pub fn new() -> NodeRules {
        NodeRules::default()
    }

    /// Put a service port's rules in place of what it had (none: it has no rules any more).
    pub fn set(&mut self, name: &Arc<ServicePortName>, rules: Option<Arc<ServiceRules>>) {
        self.index = OnceLock::new();
        match rules {
            Some(rules) => {
                self.services.insert(name.clone(), rules);
            }
            None => {
                self.services.remove(&**name);
            }
        }
    }

    /// Take away every port's rules of `service`.
    pub fn remove_service(&mut self, service: &ServiceName) {
        if service::remove_ports_of(&mut self.services, service) {
            self.index = OnceLock::new();
        }
    }

    /// A service port's rules.
    pub fn service(&self, name: &ServicePortName) -> Option<&ServiceRules> {
        self.services.get(name).map(|r| &**r)
    }

    /// The service ports with rules, in order.
    pub fn service_ports(&self) -> impl Iterator<Item = &Arc<ServicePortName>> {
        self.services.keys()
    }

    /// The names of the services' own nat chains (KUBE-SVC, KUBE-SEP, ...).
    pub fn service_chains(&self) -> BTreeSet<&str> {
        self.services.values().flat_map(|s| s.chains.iter().map(|(n, _)| n.as_str())).collect()
    }

    /// The rules of a chain, in order, each with its service port's rules; `None` if the
    /// table has no such chain. A service's own chain is found within `scope`, the service
    /// port whose rule jumped there. With `dst`, the rules that cannot match a packet for that
    /// address may be left out.
    pub fn chain<'a>(
        &'a self,
        table: Table,
        name: &str,
        scope: Option<&'a ServiceRules>,
        dst: Option<Ipv4Addr>,
    ) -> Option<Box<dyn Iterator<Item = Scoped<'a>> + 'a>> {
        let f = fixed();
        let fixed = match table {
            Table::Filter => &f.filter,
            Table::Nat => &f.nat,
        };
        if let Some((_, rules)) = fixed.iter().find(|(n, _)| *n == name) {
            return Some(Box::new(rules.iter().map(|r| (None, r))));
        }
        // For a packet's walk, only the service ports whose rules could match its address.
        let services: Box<dyn Iterator<Item = &ServiceRules>> = match dst {
            Some(ip) => {
                let index = self.index.get_or_init(|| DstIndex::new(&self.services));
                let found = index.candidates(ip).into_iter().filter_map(|n| self.services.get(&**n));
                Box::new(found.map(|s| &**s).collect::<Vec<_>>().into_iter())
            }
            None => Box::new(self.services.values().map(|s| &**s)),
        };
        match (table, name) {
            (Table::Nat, "KUBE-SERVICES") => Some(Box::new(
                services
                    .flat_map(|s| s.nat_services.iter().map(move |r| (Some(s), r)))
                    .chain(std::iter::once((None, &f.nodeports_jump))),
            )),
            (Table::Nat, "KUBE-NODEPORTS") => {
                Some(Box::new(services.flat_map(|s| s.nat_nodeports.iter().map(move |r| (Some(s), r)))))
            }
            (Table::Filter, _) => {
                let chain = FilterChain::of(name)?;
                Some(Box::new(services.flat_map(move |s| {
                    s.filter.iter().filter(move |(c, _)| *c == chain).map(move |(_, r)| (Some(s), r))
                })))
            }
            (Table::Nat, _) => {
                let s = scope?;
                let (_, rules) = s.chains.iter().find(|(n, _)| n == name)?;
                Some(Box::new(rules.iter().map(move |r| (Some(s), r))))
            }
        }
    }

    /// The table's chains as iptables-save lists them: the built-in ones in hook order, then
    /// the others by name.
    pub fn chain_names(&self, table: Table) -> Vec<String> {
        let mut user: Vec<String> = match table {
            Table::Filter => ["KUBE-EXTERNAL-SERVICES", "KUBE-FIREWALL", "KUBE-FORWARD", "KUBE-NODEPORTS"]
                .into_iter()
                .chain(["KUBE-PROXY-FIREWALL", "KUBE-SERVICES"])
                .map(String::from)
                .collect(),
            Table::Nat => ["KUBE-MARK-MASQ", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-SERVICES"]
                .into_iter()
                .chain(self.service_chains())
                .map(String::from)
                .collect(),
        };
        user.sort();
        table.builtin().iter().map(|s| s.to_string()).chain(user).collect()
    }

    /// Both tables as `iptables-save` prints them (filter, then nat, as iptables-nft lists
    /// them), stamped with `time` in C's `ctime` form.
    pub fn save(&self, time: &str) -> String {
        let mut out = String::new();
        for table in [Table::Filter, Table::Nat] {
            let _ = writeln!(out, "# Generated by iptables-save v1.8.9 on {time}");
            let _ = writeln!(out, "*{}", table.name());
            let names = self.chain_names(table);
            for name in &names {
                let policy = if table.builtin().contains(&name.as_str()) { "ACCEPT" } else { "-" };
                let _ = writeln!(out, ":{name} {policy} [0:0]");
            }
            // Each service chain with the service port that has it.
            let owners: BTreeMap<&str, &ServiceRules> =
                self.services.values().flat_map(|s| s.chains.iter().map(move |(n, _)| (n.as_str(), &**s))).collect();
            for name in &names {
                let scope = owners.get(name.as_str()).copied();
                for (_, rule) in self.chain(table, name, scope, None).into_iter().flatten() {
                    rule.save(name, &mut out);
                }
            }
            out.push_str("COMMIT\n");
            let _ = writeln!(out, "# Completed on {time}");
        }
        out
    }
}
