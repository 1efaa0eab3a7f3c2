//! The kernel's walk of a node's rules for a connection's first packet: nat PREROUTING (or
//! OUTPUT for the node's own traffic), the filter chain the routed packet meets, then nat
//! POSTROUTING. `-m recent` lists live here, per node.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};

use chrono::{DateTime, Utc};
use rand_chacha::rand_core::Rng;

use super::rules::{Match, Rule, Table, Target};
use super::table::{NodeRules, ServiceRules};
use crate::network::{Packet, Protocol};

/// Where a packet comes from, as the node sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A pod on this node (it enters through the pod's veth: nat PREROUTING).
    Pod,
    /// The node itself (a process in the host network: nat OUTPUT, source type LOCAL).
    Node,
    /// Anything that arrived on the node's interface: another node, a pod elsewhere, a client
    /// outside the cluster.
    Outside,
}

/// What became of the packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Sent on to `to`; `masquerade` when its source becomes the node's address.
    Dnat { to: SocketAddrV4, masquerade: bool },
    /// Refused (`REJECT`, icmp-port-unreachable): "connection refused" at once.
    Reject,
    /// Dropped: the client waits until it times out.
    Drop,
    /// No rule of kube-proxy's took it: it goes on to its destination unchanged.
    Pass,
}

/// A packet's way through a node's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub outcome: Outcome,
    /// The user chains walked to the deciding rule, e.g. KUBE-SERVICES, KUBE-SVC-…, KUBE-SEP-….
    pub chains: Vec<String>,
    /// The deciding rule as iptables-save prints it (without its newline).
    pub rule: Option<String>,
}

/// The most entries one `-m recent` list keeps (xt_recent's `ip_list_tot`); the least
/// recently seen goes first.
pub const RECENT_LIST_MAX: usize = 100;

/// A node's `-m recent` lists: per list name (a KUBE-SEP chain), when each source was last
/// `--set`.
#[derive(Debug, Clone, Default)]
pub struct RecentLists {
    lists: BTreeMap<String, BTreeMap<Ipv4Addr, DateTime<Utc>>>,
}

impl RecentLists {
    fn check(&mut self, name: &str, src: Ipv4Addr, seconds: u32, now: DateTime<Utc>) -> bool {
        let Some(list) = self.lists.get_mut(name) else { return false };
        let horizon = now - chrono::Duration::seconds(i64::from(seconds));
        let hit = list.get(&src).is_some_and(|seen| *seen >= horizon);
        // `--reap`: entries older than the window go.
        list.retain(|_, seen| *seen >= horizon);
        if list.is_empty() {
            self.lists.remove(name);
        }
        hit
    }

    fn set(&mut self, name: &str, src: Ipv4Addr, now: DateTime<Utc>) {
        let list = self.lists.entry(name.to_string()).or_default();
        list.insert(src, now);
        while list.len() > RECENT_LIST_MAX {
            let Some(oldest) = list.iter().min_by_key(|(ip, seen)| (**seen, **ip)).map(|(ip, _)| *ip) else { break };
            list.remove(&oldest);
        }
    }

    /// Drop the lists no rule names any more (the kernel frees a list with its last rule).
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.lists.retain(|name, _| keep(name));
    }

    /// How many sources all lists hold.
    pub fn len(&self) -> usize {
        self.lists.values().map(BTreeMap::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }
}

/// The state of one walk.
struct Walk<'a, R: Rng> {
    rules: &'a NodeRules,
    recent: &'a mut RecentLists,
    rng: &'a mut R,
    now: DateTime<Utc>,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    port: u16,
    protocol: Protocol,
    src_local: bool,
    dst_local: &'a dyn Fn(Ipv4Addr) -> bool,
    mark: u32,
    dnat: bool,
    stack: Vec<String>,
}

/// A terminal verdict, with the chains walked to it and the rule.
struct Verdict {
    target: Target,
    chains: Vec<String>,
    rule: String,
}

/// Chains never nest deeper than KUBE-SERVICES → EXT → FW/SVC → SEP → KUBE-MARK-MASQ; a
/// walk deeper than this stops (no loop can hang it).
const MAX_DEPTH: usize = 16;

impl<'a, R: Rng> Walk<'a, R> {
    fn matches(&mut self, rule: &Rule) -> bool {
        if let Some((negated, cidr)) = rule.src {
            if cidr.contains(self.src) == negated {
                return false;
            }
        }
        if rule.dst.is_some_and(|d| !d.contains(self.dst)) {
            return false;
        }
        if rule.protocol.is_some_and(|p| p != self.protocol) {
            return false;
        }
        for m in &rule.matches {
            let ok = match m {
                Match::Comment(_) => true,
                Match::AddrTypeLocal { src: true } => self.src_local,
                Match::AddrTypeLocal { src: false } => (self.dst_local)(self.dst),
                // One draw per statistic rule tried, as xt_statistic draws.
                Match::Statistic { threshold } => (self.rng.next_u32() & 0x7FFF_FFFF) < *threshold,
                Match::RecentCheck { name, seconds } => self.recent.check(name, self.src, *seconds, self.now),
                Match::RecentSet { name } => {
                    self.recent.set(name, self.src, self.now);
                    true
                }
                Match::Port { protocol, dport } => *protocol == self.protocol && dport.is_none_or(|p| p == self.port),
                Match::Conntrack { negated, states } => {
                    // A first packet is NEW, and DNAT once the nat table rewrote it.
                    let state = states.split(',').any(|s| s == "NEW" || (s == "DNAT" && self.dnat));
                    state != *negated
                }
                Match::Mark { negated, value, mask } => ((self.mark & mask) == *value) != *negated,
            };
            if !ok {
                return false;
            }
        }
        true
    }

    /// Walk `chain` (a service's own chain is looked up in `scope`, the service port whose
    /// rule jumped there); `None` when the packet falls off its end (or RETURNs).
    fn walk(&mut self, table: Table, chain: &str, scope: Option<&'a ServiceRules>) -> Option<Verdict> {
        if self.stack.len() >= MAX_DEPTH {
            return None;
        }
        let rules = self.rules;
        let user = !table.builtin().contains(&chain);
        if user {
            self.stack.push(chain.to_string());
        }
        let mut verdict = None;
        for (owner, rule) in rules.chain(table, chain, scope, Some(self.dst)).into_iter().flatten() {
            if !self.matches(rule) {
                continue;
            }
            match &rule.target {
                Target::Jump(next) => {
                    if let Some(v) = self.walk(table, next, owner.or(scope)) {
                        verdict = Some(v);
                        break;
                    }
                }
                Target::Return => break,
                Target::None => {}
                Target::SetXmark { value, mask } => self.mark = (self.mark & !mask) ^ value,
                target => {
                    let mut text = String::new();
                    rule.save(chain, &mut text);
                    text.pop();
                    verdict = Some(Verdict { target: target.clone(), chains: self.stack.clone(), rule: text });
                    break;
                }
            }
        }
        if user {
            self.stack.pop();
        }
        verdict
    }
}

/// Evaluate a node's rules for a connection's first packet. `dst_local` says whether an
/// address is the node's own (`-m addrtype --dst-type LOCAL`).
pub fn route<R: Rng>(
    rules: &NodeRules,
    recent: &mut RecentLists,
    packet: &Packet,
    from: Origin,
    dst_local: &dyn Fn(Ipv4Addr) -> bool,
    now: DateTime<Utc>,
    rng: &mut R,
) -> Route {
    let mut w = Walk {
        rules,
        recent,
        rng,
        now,
        src: packet.src,
        dst: packet.dst,
        port: packet.port,
        protocol: packet.protocol,
        src_local: from == Origin::Node || dst_local(packet.src),
        dst_local,
        mark: 0,
        dnat: false,
        stack: Vec::new(),
    };
    let hook = if from == Origin::Node { "OUTPUT" } else { "PREROUTING" };
    let nat = w.walk(Table::Nat, hook, None);
    let mut decided = None;
    if let Some(Verdict { target: Target::Dnat(to), chains, rule }) = nat {
        w.dst = *to.ip();
        w.port = to.port();
        w.dnat = true;
        decided = Some((to, chains, rule));
    }
    // The filter chains the routed packet meets: the node's own traffic leaves by OUTPUT
    // (and comes back in by INPUT when it is for the node); other traffic is for the node
    // (INPUT) or forwarded (FORWARD).
    let local = dst_local(w.dst);
    let hooks: &[&str] = match (from, local) {
        (Origin::Node, true) => &["OUTPUT", "INPUT"],
        (Origin::Node, false) => &["OUTPUT"],
        (_, true) => &["INPUT"],
        (_, false) => &["FORWARD"],
    };
    for hook in hooks {
        // An ACCEPT ends this hook's walk; the next hook still sees the packet.
        if let Some(v) = w.walk(Table::Filter, hook, None) {
            let outcome = match v.target {
                Target::Reject => Outcome::Reject,
                Target::Drop => Outcome::Drop,
                _ => continue,
            };
            return Route { outcome, chains: v.chains, rule: Some(v.rule) };
        }
    }
    let Some((to, chains, rule)) = decided else {
        return Route { outcome: Outcome::Pass, chains: Vec::new(), rule: None };
    };
    let masquerade =
        matches!(w.walk(Table::Nat, "POSTROUTING", None), Some(Verdict { target: Target::Masquerade, .. }));
    Route { outcome: Outcome::Dnat { to, masquerade }, chains, rule: Some(rule) }
}
