//! kube-proxy in iptables mode, on every node: one [`KubeProxies`] component hosts a proxier
//! per node (the cluster hands every watch event to every component, as with the kubelets).
//!
//! Each proxier turns Services and EndpointSlices into its node's rules ([`NodeRules`]),
//! what `syncProxyRules` writes: KUBE-SERVICES, KUBE-SVC-…, KUBE-SEP-…, KUBE-NODEPORTS,
//! KUBE-EXT-… and the rest ([`sync`]). A node's rules exist only once its kube-proxy pod
//! (`k8s-app=kube-proxy` in kube-system) runs; when that pod stops, the rules stay as they
//! were, as iptables rules outlive the process, and are no longer updated. Syncs follow
//! upstream's bounded-frequency runner: at once for two changes, then at most one per
//! `minSyncPeriod` (1s), a restart syncing everything, a change only its Service's rules.
//!
//! [`KubeProxies::iptables_save`] prints a node's rules; [`KubeProxies::route`] walks them
//! for a connection's first packet ([`route`]); [`KubeProxies::health_check`] answers a
//! LoadBalancer's `healthCheckNodePort` as the service health server does ([`healthcheck`]).

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use rand_chacha::rand_core::Rng;

pub mod healthcheck;
pub mod names;
pub mod route;
pub mod rules;
pub mod service;
pub mod sync;
pub mod table;
#[cfg(test)]
mod tests;

pub use healthcheck::HealthCheck;
pub use route::{Origin, Outcome, Route};
pub use table::NodeRules;

use crate::apiserver::{WatchEvent, WatchEventType};
use crate::controllers::Informers;
use crate::model::{Kind, Object};
use crate::network::Packet;
use crate::sim::component::{Component, Ctx};
use route::RecentLists;
use service::{Endpoint, ServiceName, ServicePortInfo, ServicePortName, SliceInfo};
use table::ServiceRules;

/// `iptables.minSyncPeriod` (kubeadm's and kind's kube-proxy configuration).
pub const MIN_SYNC_PERIOD_MS: i64 = 1000;
/// The bounded-frequency runner's burst: syncs that may follow each other at once.
const BURST_SYNCS: i64 = 2;
const TIMER_KEY: &str = "x:";

/// The proxier of one node.
#[derive(Debug)]
struct Proxier {
    zone: String,
    /// The node's addresses (its own, for `--dst-type LOCAL`); the first is its node IP.
    addresses: Vec<Ipv4Addr>,
    /// Its kube-proxy pods that are Running, by name.
    running: BTreeSet<String>,
    /// None until its kube-proxy first synced.
    rules: Option<NodeRules>,
    /// The last change ([`KubeProxies::changes`]) it has written.
    synced: u64,
    full: bool,
    /// The rate limiter's tokens, in thousandths, and when they were last counted.
    tokens: i64,
    counted: DateTime<Utc>,
    /// When a timer is set to sync.
    wake: Option<DateTime<Utc>>,
    recent: RecentLists,
    /// The health check node ports: each Service's port and its ready local endpoints.
    health: BTreeMap<ServiceName, (u16, usize)>,
}

impl Proxier {
    fn new(now: DateTime<Utc>) -> Proxier {
        Proxier {
            zone: String::new(),
            addresses: Vec::new(),
            running: BTreeSet::new(),
            rules: None,
            synced: 0,
            full: true,
            tokens: BURST_SYNCS * 1000,
            counted: now,
            wake: None,
            recent: RecentLists::default(),
            health: BTreeMap::new(),
        }
    }

    fn is_running(&self) -> bool {
        !self.running.is_empty()
    }

    fn wants_sync(&self, last_change: u64) -> bool {
        self.is_running() && (self.full || self.synced < last_change)
    }
}

/// kube-proxy on every node.
#[derive(Debug)]
pub struct KubeProxies {
    services: BTreeMap<ServiceName, Vec<ServicePortInfo>>,
    slices: BTreeMap<ServiceName, BTreeMap<String, SliceInfo>>,
    /// Which Service each slice (namespace, name) was for.
    slice_owner: BTreeMap<(String, String), ServiceName>,
    endpoints: BTreeMap<ServiceName, BTreeMap<ServicePortName, Vec<Endpoint>>>,
    /// Services whose endpoints are to be computed again from their slices.
    stale: BTreeSet<ServiceName>,
    /// The endpoints in use, in all.
    total_endpoints: usize,
    /// Past [`sync::LARGE_CLUSTER_ENDPOINTS`] endpoints in all.
    large: bool,
    /// The changed Services, each under the number of its latest change (one log for every
    /// node: a node writes what changed after the last change it wrote).
    changes: BTreeMap<u64, ServiceName>,
    last_change: BTreeMap<ServiceName, u64>,
    /// The change at which a Service's set of ports last changed (or it went), while some
    /// node has yet to write it: only then must a node's sync look for ports to take away.
    ports_changed: BTreeMap<ServiceName, u64>,
    /// The number of the latest change.
    change: u64,
    /// Something happened since the last run that may make a node sync (a change, a node's
    /// kube-proxy starting, a node's address, a timer): else a run has nothing to look at.
    dirty: bool,
    /// The rules of the service ports whose rules are the same on every node (no Local
    /// policy, no zone hints, no source ranges), made once for all nodes.
    shared: BTreeMap<Arc<ServicePortName>, Arc<ServiceRules>>,
    nodes: BTreeMap<String, Proxier>,
    /// The node of each kube-proxy pod, by name.
    pods: BTreeMap<String, String>,
    now: DateTime<Utc>,
}

impl Default for KubeProxies {
    fn default() -> Self {
        KubeProxies::new()
    }
}

impl KubeProxies {
    pub fn new() -> KubeProxies {
        KubeProxies {
            services: BTreeMap::new(),
            slices: BTreeMap::new(),
            slice_owner: BTreeMap::new(),
            endpoints: BTreeMap::new(),
            stale: BTreeSet::new(),
            total_endpoints: 0,
            large: false,
            changes: BTreeMap::new(),
            last_change: BTreeMap::new(),
            ports_changed: BTreeMap::new(),
            change: 0,
            dirty: false,
            shared: BTreeMap::new(),
            nodes: BTreeMap::new(),
            pods: BTreeMap::new(),
            now: DateTime::<Utc>::MIN_UTC,
        }
    }

    /// A node's rules, `None` for a node that has none (no kube-proxy has run there).
    pub fn rules(&self, node: &str) -> Option<&NodeRules> {
        self.nodes.get(node)?.rules.as_ref()
    }

    /// Whether the node's kube-proxy runs (and keeps its rules up to date).
    pub fn is_running(&self, node: &str) -> bool {
        self.nodes.get(node).is_some_and(Proxier::is_running)
    }

    /// A node's rules as `iptables-save` prints them; `None` for a node that has none.
    pub fn iptables_save(&self, node: &str) -> Option<String> {
        let time = self.now.format("%a %b %e %H:%M:%S %Y").to_string();
        Some(self.rules(node)?.save(&time))
    }

    /// Walk `node`'s rules for a connection's first packet (see [`route::route`]). The random
    /// choice among endpoints draws from `rng`, once per statistic rule tried; ClientIP
    /// affinity is remembered per node. A node without rules lets the packet pass.
    pub fn route(
        &mut self,
        node: &str,
        packet: &Packet,
        from: Origin,
        now: DateTime<Utc>,
        rng: &mut impl Rng,
    ) -> Route {
        let pass = Route { outcome: Outcome::Pass, chains: Vec::new(), rule: None };
        let Some(p) = self.nodes.get_mut(node) else { return pass };
        let Some(rules) = p.rules.as_ref() else { return pass };
        let addresses = p.addresses.clone();
        let local = move |ip: Ipv4Addr| ip.is_loopback() || addresses.contains(&ip);
        route::route(rules, &mut p.recent, packet, from, &local, now, rng)
    }

    /// What the node's service health server answers on `port` (a LoadBalancer's
    /// `healthCheckNodePort`): `None` when nothing listens there (no such port, or the
    /// node's kube-proxy does not run).
    pub fn health_check(&self, node: &str, port: u16) -> Option<HealthCheck> {
        let p = self.nodes.get(node).filter(|p| p.is_running())?;
        let (service, (_, local)) = p.health.iter().find(|(_, (hc, _))| *hc == port)?;
        Some(HealthCheck::new(&service.0, &service.1, *local))
    }

    /// How many sources the node's `-m recent` lists hold (ClientIP affinity).
    pub fn recent_entries(&self, node: &str) -> usize {
        self.nodes.get(node).map_or(0, |p| p.recent.len())
    }

    /// A Service's rules are to be written again on every node whose kube-proxy runs. (One
    /// that does not run writes everything when it starts.)
    fn touch(&mut self, service: &ServiceName) {
        self.dirty = true;
        self.change += 1;
        if let Some(old) = self.last_change.insert(service.clone(), self.change) {
            self.changes.remove(&old);
        }
        self.changes.insert(self.change, service.clone());
    }

    /// Forget the changes every node has written, so the log holds at most a change per
    /// Service and only while some node has yet to write it.
    fn trim_changes(&mut self) {
        let oldest = self.nodes.values().filter(|p| p.is_running() && !p.full).map(|p| p.synced).min();
        let oldest = oldest.unwrap_or(self.change);
        while let Some(entry) = self.changes.first_entry() {
            if *entry.key() > oldest {
                break;
            }
            let service = entry.remove();
            self.last_change.remove(&service);
            self.ports_changed.remove(&service);
        }
    }

    fn on_service(&mut self, e: &WatchEvent) {
        let key = (e.object.namespace().to_string(), e.object.name().to_string());
        let ports = match (&*e.object, e.event_type) {
            (Object::Service(svc), WatchEventType::Added | WatchEventType::Modified) => {
                service::service_ports(&key.0, &key.1, svc)
            }
            _ => Vec::new(),
        };
        let old = self.services.get(&key);
        if old.map_or(ports.is_empty(), |o| *o == ports) {
            return;
        }
        self.total_endpoints -= self.endpoints_in_use(&key);
        let names = |ports: &[ServicePortInfo]| ports.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
        let renamed = old.is_none_or(|o| names(o) != names(&ports));
        if ports.is_empty() {
            self.services.remove(&key);
        } else {
            self.services.insert(key.clone(), ports);
        }
        self.total_endpoints += self.endpoints_in_use(&key);
        // The count of endpoints in use may change with the ports.
        self.stale.insert(key.clone());
        self.touch(&key);
        if renamed {
            self.ports_changed.insert(key.clone(), self.change);
        }
    }

    fn on_slice(&mut self, e: &WatchEvent) {
        let key = (e.object.namespace().to_string(), e.object.name().to_string());
        let info = match (&*e.object, e.event_type) {
            (Object::EndpointSlice(s), WatchEventType::Added | WatchEventType::Modified) => {
                service::slice_info(&key.0, s, e.object.labels())
            }
            _ => None,
        };
        let previous = self.slice_owner.get(&key).cloned();
        if let (Some(owner), Some((service, info))) = (&previous, &info) {
            let same = owner == service && self.slices.get(owner).and_then(|s| s.get(&key.1)) == Some(info);
            if same {
                return;
            }
        }
        if let Some(owner) = previous {
            if let Some(s) = self.slices.get_mut(&owner) {
                s.remove(&key.1);
                if s.is_empty() {
                    self.slices.remove(&owner);
                }
            }
            self.slice_owner.remove(&key);
            self.stale.insert(owner.clone());
            self.touch(&owner);
        }
        if let Some((service, info)) = info {
            self.slices.entry(service.clone()).or_default().insert(key.1.clone(), info);
            self.slice_owner.insert(key, service.clone());
            self.stale.insert(service.clone());
            self.touch(&service);
        }
    }

    fn on_node(&mut self, e: &WatchEvent) {
        let name = e.object.name().to_string();
        if e.event_type == WatchEventType::Deleted {
            // The machine goes, and its rules with it.
            self.nodes.remove(&name);
            return;
        }
        let Object::Node(node) = &*e.object else { return };
        let now = self.now;
        let p = self.nodes.entry(name).or_insert_with(|| Proxier::new(now));
        let zone = e.object.labels().get("topology.kubernetes.io/zone").cloned().unwrap_or_default();
        let addresses = node.status.as_ref().and_then(|s| s.addresses.as_ref());
        let mut ips: Vec<Ipv4Addr> = addresses
            .into_iter()
            .flatten()
            .filter(|a| a.type_ == "InternalIP" || a.type_ == "ExternalIP")
            .filter_map(|a| a.address.parse().ok())
            .collect();
        ips.dedup();
        // Topology and the node's addresses reach every Service's rules.
        if zone != p.zone || ips != p.addresses {
            p.full = true;
            self.dirty = true;
        }
        p.zone = zone;
        p.addresses = ips;
    }

    fn on_pod(&mut self, e: &WatchEvent) {
        let obj = &e.object;
        if obj.namespace() != "kube-system" || obj.labels().get("k8s-app").map(String::as_str) != Some("kube-proxy") {
            return;
        }
        let Object::Pod(pod) = &**obj else { return };
        let name = obj.name().to_string();
        let node = pod.spec.as_ref().and_then(|s| s.node_name.clone()).unwrap_or_default();
        let running = e.event_type != WatchEventType::Deleted
            && pod.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running");
        if let Some(old) = self.pods.get(&name).filter(|n| **n != node).cloned() {
            if let Some(p) = self.nodes.get_mut(&old) {
                p.running.remove(&name);
            }
        }
        if e.event_type == WatchEventType::Deleted {
            self.pods.remove(&name);
        } else {
            self.pods.insert(name.clone(), node.clone());
        }
        self.dirty = true;
        let Some(p) = self.nodes.get_mut(&node) else { return };
        let was = p.is_running();
        if running {
            p.running.insert(name);
        } else {
            p.running.remove(&name);
        }
        if !was && p.is_running() {
            // A kube-proxy that starts syncs everything.
            p.full = true;
        }
    }

    /// Compute again the endpoints of the Services whose slices or ports changed, and
    /// whether the cluster is large (then every node rewrites everything).
    fn refresh_endpoints(&mut self) {
        if self.stale.is_empty() {
            return;
        }
        for key in std::mem::take(&mut self.stale) {
            service::remove_ports_of(&mut self.shared, &key);
            self.total_endpoints -= self.endpoints_in_use(&key);
            match self.slices.get(&key) {
                Some(slices) => {
                    self.endpoints.insert(key.clone(), service::endpoints_map(&key.0, &key.1, slices));
                }
                None => {
                    self.endpoints.remove(&key);
                }
            }
            self.total_endpoints += self.endpoints_in_use(&key);
        }
        let large = self.total_endpoints > sync::LARGE_CLUSTER_ENDPOINTS;
        if large != self.large {
            self.large = large;
            self.dirty = true;
            self.shared.clear();
            for p in self.nodes.values_mut() {
                p.full = true;
            }
        }
    }

    /// The endpoints of `key`'s ports, counted as kube-proxy counts them for large-cluster
    /// mode. The count is kept up to date by taking a Service's away before its ports or
    /// endpoints change and adding it back after.
    fn endpoints_in_use(&self, key: &ServiceName) -> usize {
        let (Some(ports), Some(endpoints)) = (self.services.get(key), self.endpoints.get(key)) else { return 0 };
        ports.iter().map(|p| endpoints.get(&*p.name).map_or(0, Vec::len)).sum()
    }

    /// Write a node's rules: everything, or the Services changed since its last sync.
    fn sync(&mut self, node: &str) {
        let Some(p) = self.nodes.get_mut(node) else { return };
        let full = std::mem::take(&mut p.full) || p.rules.is_none();
        let since = std::mem::replace(&mut p.synced, self.change);
        let view = sync::NodeView { name: node, zone: &p.zone, ip: p.addresses.first().copied() };
        let rules = p.rules.get_or_insert_with(NodeRules::new);
        let changed: Box<dyn Iterator<Item = &ServiceName>> = if full {
            *rules = NodeRules::new();
            p.health.clear();
            Box::new(self.services.keys())
        } else {
            Box::new(self.changes.range(since + 1..).map(|(_, k)| k))
        };
        for key in changed {
            // The ports written last time are put in place one by one below; only when the
            // Service's ports changed since may some of them have to go.
            let ports_changed = self.ports_changed.get(key).is_some_and(|c| *c > since);
            if !full && (ports_changed || !self.services.contains_key(key)) {
                rules.remove_service(key);
            }
            p.health.remove(key);
            let Some(ports) = self.services.get(key) else { continue };
            let endpoints = self.endpoints.get(key);
            for port in ports {
                let eps = endpoints.and_then(|e| e.get(&*port.name)).map_or(&[][..], Vec::as_slice);
                let made = if same_everywhere(port, eps) {
                    let large = self.large;
                    let shared = self.shared.entry(port.name.clone());
                    shared.or_insert_with(|| Arc::new(sync::service_rules(port, eps, view, large))).clone()
                } else {
                    Arc::new(sync::service_rules(port, eps, view, self.large))
                };
                rules.set(&port.name, Some(made));
                if port.health_check_node_port != 0 {
                    // Ready endpoints on this node, by address (`LocalReadyEndpoints`).
                    let local: BTreeSet<Ipv4Addr> = endpoints
                        .into_iter()
                        .flat_map(|e| e.values().flatten())
                        .filter(|e| e.ready && e.is_local(node))
                        .map(|e| e.ip)
                        .collect();
                    p.health.insert(key.clone(), (port.health_check_node_port, local.len()));
                }
            }
        }
        if !p.recent.is_empty() {
            let chains = rules.service_chains();
            p.recent.retain(|name| chains.contains(name));
        }
    }
}

/// Whether a service port's rules are the same on every node: nothing local to a node
/// (Local policies), no zone hints, no LoadBalancer source ranges (the node's own address
/// may be let through).
fn same_everywhere(port: &ServicePortInfo, endpoints: &[Endpoint]) -> bool {
    !port.uses_local_endpoints()
        && port.load_balancer_source_ranges.is_empty()
        && endpoints.iter().all(|e| e.zone_hints.is_empty())
}

impl Component for KubeProxies {
    fn name(&self) -> &str {
        "kube-proxy"
    }

    fn watches(&self) -> &[Kind] {
        &[Kind::Node, Kind::Pod, Kind::Service, Kind::EndpointSlice]
    }

    fn on_event(&mut self, event: &WatchEvent, _: Option<&Object>, _: &Informers) {
        match event.object.kind() {
            Kind::Node => self.on_node(event),
            Kind::Pod => self.on_pod(event),
            Kind::Service => self.on_service(event),
            Kind::EndpointSlice => self.on_slice(event),
            _ => {}
        }
    }

    fn on_timer(&mut self, key: &str) {
        if let Some(p) = key.strip_prefix(TIMER_KEY).and_then(|node| self.nodes.get_mut(node)) {
            p.wake = None;
            self.dirty = true;
        }
    }

    fn run(&mut self, ctx: &mut Ctx<'_>) -> bool {
        let now = ctx.now();
        self.now = now;
        self.refresh_endpoints();
        // A node that still wants to sync after this run waits for its timer, which marks
        // the proxies dirty again.
        if !std::mem::take(&mut self.dirty) {
            return false;
        }
        let last = self.change;
        let due: Vec<String> = self.nodes.iter().filter(|(_, p)| p.wants_sync(last)).map(|(n, _)| n.clone()).collect();
        let mut busy = false;
        for node in due {
            let Some(p) = self.nodes.get_mut(&node) else { continue };
            // The bounded-frequency runner's token bucket: one token per minSyncPeriod.
            let elapsed = (now - p.counted).num_milliseconds().max(0);
            p.tokens =
                p.tokens.saturating_add(elapsed.saturating_mul(1000) / MIN_SYNC_PERIOD_MS).min(BURST_SYNCS * 1000);
            p.counted = now;
            if p.tokens >= 1000 {
                p.tokens -= 1000;
                self.sync(&node);
                busy = true;
            } else if p.wake.is_none() {
                let wait = (1000 - p.tokens) * MIN_SYNC_PERIOD_MS / 1000;
                p.wake = Some(now + Duration::milliseconds(wait));
                ctx.after(Duration::milliseconds(wait), format!("{TIMER_KEY}{node}"));
            }
        }
        self.trim_changes();
        busy
    }

    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(self)
    }
}
