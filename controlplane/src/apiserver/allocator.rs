//! Service IP and NodePort allocation, as the apiserver's service REST storage does:
//! a free ClusterIP from the service CIDR (10.96.0.0/12) and a free NodePort (30000-32767)
//! for each port of a NodePort or LoadBalancer Service (and a health check port for a
//! LoadBalancer with externalTrafficPolicy Local). Random picks prefer the upper
//! ("dynamic") band, leaving the lower band for addresses users choose (KEP-3070).

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Service;
use rand_chacha::rand_core::Rng;

use super::error::{quote, FieldError};
use crate::model::{Kind, Object};
use crate::store::{EventType, Store};

pub const SERVICE_CIDR: &str = "10.96.0.0/12";
const CIDR_BASE: u32 = u32::from_be_bytes([10, 96, 0, 0]);
const CIDR_SIZE: u32 = 1 << 20;
/// min(max(16, size/16), 256) addresses at the start of the range are the static band.
const IP_STATIC_BAND: u32 = 256;
pub const NODE_PORT_MIN: i32 = 30000;
pub const NODE_PORT_MAX: i32 = 32767;
/// min(max(16, 2768/32), 128) ports at the start of the range are the static band.
const PORT_STATIC_BAND: i32 = 86;

/// What one Service holds: its cluster IPs and node ports (health check port included).
fn held(svc: &Service) -> (Vec<u32>, Vec<i32>) {
    let Some(spec) = &svc.spec else { return (Vec::new(), Vec::new()) };
    let mut ips: Vec<u32> = spec
        .cluster_ips
        .iter()
        .flatten()
        .chain(spec.cluster_ip.iter())
        .filter_map(|ip| ip.parse::<Ipv4Addr>().ok())
        .map(u32::from)
        .collect();
    ips.sort_unstable();
    ips.dedup();
    let mut ports: Vec<i32> = spec.ports.iter().flatten().filter_map(|p| p.node_port).collect();
    ports.extend(spec.health_check_node_port.filter(|p| *p != 0));
    ports.sort_unstable();
    ports.dedup();
    (ips, ports)
}

/// The addresses and node ports Services hold, as upstream's allocators keep them in a bitmap
/// rather than list every Service for each new one. Brought up to date from the store's
/// changes since it last looked; made again from the store when those are compacted away.
#[derive(Debug, Clone, Default)]
pub struct ServiceAllocations {
    /// The store's revision it reflects; None before it was first made.
    revision: Option<i64>,
    by_key: BTreeMap<String, (Vec<u32>, Vec<i32>)>,
    /// How many Services hold each address and port.
    ips: BTreeMap<u32, u32>,
    ports: BTreeMap<i32, u32>,
}

impl ServiceAllocations {
    fn set(&mut self, key: &str, svc: Option<&Service>) {
        if let Some((ips, ports)) = self.by_key.remove(key) {
            for ip in ips {
                decrement(&mut self.ips, ip);
            }
            for port in ports {
                decrement(&mut self.ports, port);
            }
        }
        let Some(svc) = svc else { return };
        let (ips, ports) = held(svc);
        for ip in &ips {
            *self.ips.entry(*ip).or_default() += 1;
        }
        for port in &ports {
            *self.ports.entry(*port).or_default() += 1;
        }
        self.by_key.insert(key.to_string(), (ips, ports));
    }

    fn refresh(&mut self, store: &Store<Object>) {
        let prefix = Kind::Service.info().key_prefix(None);
        if self.revision == Some(store.revision()) {
            return;
        }
        if let Some(seen) = self.revision.filter(|r| *r <= store.revision()) {
            let mut changes: Vec<(String, Option<Arc<Object>>)> = Vec::new();
            let replayed = store.for_each_event(&prefix, seen + 1, |e| {
                let value = (e.event_type != EventType::Delete).then(|| e.kv.value.clone());
                changes.push((e.kv.key.to_string(), value));
            });
            if replayed.is_ok() {
                for (key, value) in changes {
                    let svc = match value.as_deref() {
                        Some(Object::Service(s)) => Some(&**s),
                        _ => None,
                    };
                    self.set(&key, svc);
                }
                self.revision = Some(store.revision());
                return;
            }
        }
        *self = ServiceAllocations::default();
        for kv in store.range(&prefix) {
            if let Object::Service(svc) = &*kv.value {
                self.set(&kv.key, Some(svc));
            }
        }
        self.revision = Some(store.revision());
    }
}

fn decrement<K: Ord>(counts: &mut BTreeMap<K, u32>, k: K) {
    if let Some(n) = counts.get_mut(&k) {
        *n -= 1;
        if *n == 0 {
            counts.remove(&k);
        }
    }
}

/// What Services other than the one being allocated for hold, and what this allocation took.
struct Taken<'a, K: Ord + Copy> {
    counts: &'a BTreeMap<K, u32>,
    own: &'a [K],
    added: BTreeSet<K>,
}

impl<K: Ord + Copy> Taken<'_, K> {
    fn contains(&self, k: &K) -> bool {
        let held = self.counts.get(k).copied().unwrap_or(0);
        let own = u32::from(self.own.contains(k));
        held > own || self.added.contains(k)
    }

    fn insert(&mut self, k: K) {
        self.added.insert(k);
    }
}

/// Fill in (or check) a Service's ClusterIP and NodePorts. `old` is the stored Service on an
/// update: what it had allocated stays unless the user changes it.
pub fn allocate(
    svc: &mut Service,
    old: Option<&Service>,
    store: &Store<Object>,
    allocations: &mut ServiceAllocations,
    rng: &mut impl Rng,
) -> Vec<FieldError> {
    allocations.refresh(store);
    let key =
        Kind::Service.info().key_prefix(svc.metadata.namespace.as_deref()) + svc.metadata.name.as_deref().unwrap_or("");
    let (own_ips, own_ports) = allocations.by_key.get(&key).map(|(i, p)| (&i[..], &p[..])).unwrap_or_default();
    let ips = Taken { counts: &allocations.ips, own: own_ips, added: BTreeSet::new() };
    let ports = Taken { counts: &allocations.ports, own: own_ports, added: BTreeSet::new() };
    let mut errs = Vec::new();
    let spec = svc.spec.get_or_insert_with(Default::default);
    let old_spec = old.and_then(|o| o.spec.as_ref());
    let type_ = spec.type_.clone().unwrap_or_else(|| "ClusterIP".into());
    if type_ == "ExternalName" {
        return errs;
    }
    let given = spec
        .cluster_ip
        .clone()
        .filter(|ip| !ip.is_empty())
        .or_else(|| spec.cluster_ips.as_ref().and_then(|v| v.first().cloned()));
    let ip = match given.or_else(|| old_spec.and_then(|s| s.cluster_ip.clone())) {
        Some(ip) if ip == "None" => Some(ip),
        Some(ip) => match ip.parse::<Ipv4Addr>() {
            Ok(addr) if !(CIDR_BASE..CIDR_BASE + CIDR_SIZE).contains(&u32::from(addr)) => {
                errs.push(FieldError::invalid(
                    "spec.clusterIPs",
                    format!("[]string{{{}}}", quote(&ip)),
                    format!("failed to allocate IP {ip}: the provided IP ({ip}) is not in the valid range. The range of valid IPs is {SERVICE_CIDR}"),
                ));
                None
            }
            Ok(addr) if ips.contains(&u32::from(addr)) => {
                errs.push(FieldError::invalid(
                    "spec.clusterIPs",
                    format!("[]string{{{}}}", quote(&ip)),
                    format!("failed to allocate IP {ip}: provided IP is already allocated"),
                ));
                None
            }
            Ok(_) => Some(ip),
            Err(_) => {
                errs.push(FieldError::invalid(
                    "spec.clusterIPs[0]",
                    quote(&ip),
                    "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
                ));
                None
            }
        },
        None => pick_ip(&ips, rng).map(|a| Ipv4Addr::from(a).to_string()),
    };
    if let Some(ip) = ip {
        spec.cluster_ip = Some(ip.clone());
        spec.cluster_ips = Some(vec![ip]);
    }
    if matches!(type_.as_str(), "NodePort" | "LoadBalancer") {
        // `shouldAllocateNodePorts`: a LoadBalancer with allocateLoadBalancerNodePorts false
        // keeps the node ports it names and gets no others.
        let allocate = type_ != "LoadBalancer" || spec.allocate_load_balancer_node_ports != Some(false);
        let mut taken = ports;
        for (i, port) in spec.ports.iter_mut().flatten().enumerate() {
            let kept = old_spec
                .and_then(|s| s.ports.as_ref())
                .and_then(|ps| ps.iter().find(|p| p.port == port.port && p.protocol == port.protocol))
                .and_then(|p| p.node_port);
            match port.node_port.or(kept) {
                Some(np) if !(NODE_PORT_MIN..=NODE_PORT_MAX).contains(&np) => errs.push(FieldError::invalid(
                    format!("spec.ports[{i}].nodePort"),
                    np.to_string(),
                    format!("provided port is not in the valid range. The range of valid ports is {NODE_PORT_MIN}-{NODE_PORT_MAX}"),
                )),
                Some(np) if taken.contains(&np) => {
                    errs.push(FieldError::invalid(format!("spec.ports[{i}].nodePort"), np.to_string(), "provided port is already allocated"))
                }
                Some(np) => {
                    taken.insert(np);
                    port.node_port = Some(np);
                }
                None if !allocate => {}
                None => match pick_port(&taken, rng) {
                    Some(np) => {
                        taken.insert(np);
                        port.node_port = Some(np);
                    }
                    None => errs.push(FieldError::invalid(
                        format!("spec.ports[{i}].nodePort"),
                        "0",
                        "failed to allocate a nodePort: range is full",
                    )),
                },
            }
        }
        // A LoadBalancer with a Local external policy gets a health check port for
        // kube-proxy's health server, from the same range (`allocHealthCheckNodePort`).
        if type_ == "LoadBalancer" && spec.external_traffic_policy.as_deref() == Some("Local") {
            let kept = old_spec.and_then(|s| s.health_check_node_port).filter(|p| *p != 0);
            match spec.health_check_node_port.filter(|p| *p != 0).or(kept) {
                Some(np) if !(NODE_PORT_MIN..=NODE_PORT_MAX).contains(&np) => errs.push(FieldError::invalid(
                    "spec.healthCheckNodePort",
                    np.to_string(),
                    format!("failed to allocate requested HealthCheck NodePort {np}: provided port is not in the valid range. The range of valid ports is {NODE_PORT_MIN}-{NODE_PORT_MAX}"),
                )),
                Some(np) if taken.contains(&np) => errs.push(FieldError::invalid(
                    "spec.healthCheckNodePort",
                    np.to_string(),
                    format!("failed to allocate requested HealthCheck NodePort {np}: provided port is already allocated"),
                )),
                Some(np) => spec.health_check_node_port = Some(np),
                None => match pick_port(&taken, rng) {
                    Some(np) => spec.health_check_node_port = Some(np),
                    None => errs.push(FieldError::invalid(
                        "spec.healthCheckNodePort",
                        "0",
                        "failed to allocate a HealthCheck NodePort: range is full",
                    )),
                },
            }
        }
    } else if let Some(old_ports) = old_spec
        .filter(|o| matches!(o.type_.as_deref(), Some("NodePort" | "LoadBalancer")))
        .and_then(|o| o.ports.as_ref())
    {
        // Leaving NodePort: node ports the user did not touch are released, as upstream's
        // service REST does; ones set anew are left for validation to refuse.
        for port in spec.ports.iter_mut().flatten() {
            let was =
                old_ports.iter().find(|p| p.port == port.port && p.protocol == port.protocol).and_then(|p| p.node_port);
            if port.node_port.is_some() && port.node_port == was {
                port.node_port = None;
            }
        }
    }
    errs
}

fn pick_ip(used: &Taken<'_, u32>, rng: &mut impl Rng) -> Option<u32> {
    let band = CIDR_SIZE - 1 - IP_STATIC_BAND;
    let start = (rng.next_u64() % band as u64) as u32;
    (0..CIDR_SIZE - 2)
        .map(|i| CIDR_BASE + IP_STATIC_BAND + (start + i) % band)
        .chain((1..IP_STATIC_BAND).map(|o| CIDR_BASE + o))
        .find(|a| !used.contains(a))
}

fn pick_port(used: &Taken<'_, i32>, rng: &mut impl Rng) -> Option<i32> {
    let lo = NODE_PORT_MIN + PORT_STATIC_BAND;
    let band = NODE_PORT_MAX - lo + 1;
    let start = (rng.next_u64() % band as u64) as i32;
    (0..band).map(|i| lo + (start + i) % band).chain(NODE_PORT_MIN..lo).find(|p| !used.contains(p))
}
