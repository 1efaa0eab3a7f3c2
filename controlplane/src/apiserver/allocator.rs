//! Service IP and NodePort allocation, as the apiserver's service REST storage does:
//! a free ClusterIP from the service CIDR (10.96.0.0/12) and a free NodePort (30000-32767)
//! for each port of a NodePort or LoadBalancer Service (and a health check port for a
//! LoadBalancer with externalTrafficPolicy Local). Random picks prefer the upper
//! ("dynamic") band, leaving the lower band for addresses users choose (KEP-3070).

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use k8s_openapi::api::core::v1::Service;
use rand_chacha::rand_core::Rng;

use super::error::{quote, FieldError};
use crate::model::{Kind, Object};
use crate::store::Store;

pub const SERVICE_CIDR: &str = "10.96.0.0/12";
const CIDR_BASE: u32 = u32::from_be_bytes([10, 96, 0, 0]);
const CIDR_SIZE: u32 = 1 << 20;
/// min(max(16, size/16), 256) addresses at the start of the range are the static band.
const IP_STATIC_BAND: u32 = 256;
pub const NODE_PORT_MIN: i32 = 30000;
pub const NODE_PORT_MAX: i32 = 32767;
/// min(max(16, 2768/32), 128) ports at the start of the range are the static band.
const PORT_STATIC_BAND: i32 = 86;

/// Addresses and ports taken by Services other than `except` (namespace/name).
fn in_use(store: &Store<Object>, except: &str) -> (BTreeSet<u32>, BTreeSet<i32>) {
    let mut ips = BTreeSet::new();
    let mut ports = BTreeSet::new();
    for kv in store.range(&Kind::Service.info().key_prefix(None)) {
        let Object::Service(svc) = &*kv.value else { continue };
        if except.split_once('/') == Some((kv.value.namespace(), kv.value.name())) {
            continue;
        }
        let Some(spec) = &svc.spec else { continue };
        for ip in spec.cluster_ips.iter().flatten().chain(spec.cluster_ip.iter()) {
            if let Ok(addr) = ip.parse::<Ipv4Addr>() {
                ips.insert(u32::from(addr));
            }
        }
        for p in spec.ports.iter().flatten() {
            if let Some(np) = p.node_port {
                ports.insert(np);
            }
        }
        ports.extend(spec.health_check_node_port.filter(|p| *p != 0));
    }
    (ips, ports)
}

/// Fill in (or check) a Service's ClusterIP and NodePorts. `old` is the stored Service on an
/// update: what it had allocated stays unless the user changes it.
pub fn allocate(
    svc: &mut Service,
    old: Option<&Service>,
    store: &Store<Object>,
    rng: &mut impl Rng,
) -> Vec<FieldError> {
    let key =
        format!("{}/{}", svc.metadata.namespace.as_deref().unwrap_or(""), svc.metadata.name.as_deref().unwrap_or(""));
    let (ips, ports) = in_use(store, &key);
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

fn pick_ip(used: &BTreeSet<u32>, rng: &mut impl Rng) -> Option<u32> {
    let band = CIDR_SIZE - 1 - IP_STATIC_BAND;
    let start = (rng.next_u64() % band as u64) as u32;
    (0..CIDR_SIZE - 2)
        .map(|i| CIDR_BASE + IP_STATIC_BAND + (start + i) % band)
        .chain((1..IP_STATIC_BAND).map(|o| CIDR_BASE + o))
        .find(|a| !used.contains(a))
}

fn pick_port(used: &BTreeSet<i32>, rng: &mut impl Rng) -> Option<i32> {
    let lo = NODE_PORT_MIN + PORT_STATIC_BAND;
    let band = NODE_PORT_MAX - lo + 1;
    let start = (rng.next_u64() % band as u64) as i32;
    (0..band).map(|i| lo + (start + i) % band).chain(NODE_PORT_MIN..lo).find(|p| !used.contains(p))
}
