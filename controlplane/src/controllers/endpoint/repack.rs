//! `RepackSubsets` (pkg/api/v1/endpoints): one subset per set of addresses that serve the same
//! ports, each address once (not ready wins over ready for a port), addresses sorted by IP
//! and pod uid. Upstream orders ports and subsets by a hash of their Go values; kubesim orders
//! them by port number, name and protocol, so the order is stable but not upstream's.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{EndpointAddress, EndpointPort, EndpointSubset};

/// An address's identity: its IP and the uid of the pod it belongs to (`addressKey`).
type AddrKey = (String, String);
/// A port's value, in the order kubesim sorts ports by; `port: -1` is the sentinel for
/// addresses without ports.
type PortKey = (i32, String, String, String);

fn addr_key(a: &EndpointAddress) -> AddrKey {
    (a.ip.clone(), a.target_ref.as_ref().and_then(|t| t.uid.clone()).unwrap_or_default())
}

fn port_key(p: &EndpointPort) -> PortKey {
    (
        p.port,
        p.name.clone().unwrap_or_default(),
        p.protocol.clone().unwrap_or_default(),
        p.app_protocol.clone().unwrap_or_default(),
    )
}

pub fn repack_subsets(subsets: Vec<EndpointSubset>) -> Vec<EndpointSubset> {
    let mut all: BTreeMap<AddrKey, EndpointAddress> = BTreeMap::new();
    let mut ports: BTreeMap<PortKey, EndpointPort> = BTreeMap::new();
    // For each port, its addresses and whether each is ready.
    let mut by_port: BTreeMap<PortKey, BTreeMap<AddrKey, bool>> = BTreeMap::new();
    let sentinel = EndpointPort { port: -1, ..EndpointPort::default() };
    for s in &subsets {
        let subset_ports = s.ports.as_deref().filter(|p| !p.is_empty()).unwrap_or(std::slice::from_ref(&sentinel));
        for port in subset_ports {
            let pk = port_key(port);
            ports.entry(pk.clone()).or_insert_with(|| port.clone());
            let addrs = by_port.entry(pk).or_default();
            let ready = s.addresses.iter().flatten().map(|a| (a, true));
            let not_ready = s.not_ready_addresses.iter().flatten().map(|a| (a, false));
            for (a, is_ready) in ready.chain(not_ready) {
                let k = addr_key(a);
                all.entry(k.clone()).or_insert_with(|| a.clone());
                let was = addrs.entry(k).or_insert(is_ready);
                *was = *was && is_ready;
            }
        }
    }
    // Ports that share the same set of addresses make one subset.
    let mut groups: BTreeMap<Vec<(AddrKey, bool)>, Vec<EndpointPort>> = BTreeMap::new();
    for (pk, addrs) in by_port {
        let group = groups.entry(addrs.into_iter().collect()).or_default();
        if pk.0 > 0 {
            group.push(ports[&pk].clone());
        }
    }
    let mut out: Vec<EndpointSubset> = groups
        .into_iter()
        .map(|(addrs, ports)| {
            let (mut ready, mut not_ready) = (Vec::new(), Vec::new());
            for (k, is_ready) in addrs {
                let a = all[&k].clone();
                if is_ready {
                    ready.push(a);
                } else {
                    not_ready.push(a);
                }
            }
            EndpointSubset {
                addresses: (!ready.is_empty()).then_some(ready),
                not_ready_addresses: (!not_ready.is_empty()).then_some(not_ready),
                ports: (!ports.is_empty()).then_some(ports),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        let first = |s: &EndpointSubset| s.ports.as_ref().and_then(|p| p.first()).map(port_key);
        first(a).cmp(&first(b))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ObjectReference;

    fn addr(ip: &str, uid: &str) -> EndpointAddress {
        EndpointAddress {
            ip: ip.into(),
            target_ref: Some(ObjectReference { uid: Some(uid.into()), ..ObjectReference::default() }),
            ..EndpointAddress::default()
        }
    }

    fn port(name: &str, n: i32) -> EndpointPort {
        EndpointPort { name: Some(name.into()), port: n, protocol: Some("TCP".into()), ..EndpointPort::default() }
    }

    fn subset(ready: &[&EndpointAddress], not_ready: &[&EndpointAddress], ports: &[&EndpointPort]) -> EndpointSubset {
        let list = |l: &[&EndpointAddress]| (!l.is_empty()).then(|| l.iter().map(|a| (*a).clone()).collect());
        EndpointSubset {
            addresses: list(ready),
            not_ready_addresses: list(not_ready),
            ports: (!ports.is_empty()).then(|| ports.iter().map(|p| (*p).clone()).collect()),
        }
    }

    #[test]
    fn addresses_serving_the_same_ports_share_a_subset() {
        let (a, b, c) = (addr("10.0.0.2", "a"), addr("10.0.0.10", "b"), addr("10.0.0.3", "c"));
        let (http, https) = (port("http", 80), port("https", 443));
        let input = vec![
            subset(&[&a], &[], &[&http]),
            subset(&[&a], &[], &[&https]),
            subset(&[&b], &[], &[&http]),
            subset(&[&b], &[], &[&https]),
            subset(&[], &[&c], &[&http]),
        ];
        let got = repack_subsets(input);
        // By IP as bytes: "10.0.0.10" < "10.0.0.2".
        let want = vec![subset(&[&b, &a], &[&c], &[&http]), subset(&[&b, &a], &[], &[&https])];
        assert_eq!(got, want);
    }

    #[test]
    fn not_ready_wins_and_portless_addresses_stay() {
        let a = addr("10.0.0.2", "a");
        let got = repack_subsets(vec![subset(&[&a], &[], &[]), subset(&[], &[&a], &[])]);
        assert_eq!(got, vec![subset(&[], &[&a], &[])]);
        assert_eq!(repack_subsets(Vec::new()), Vec::<EndpointSubset>::new());
    }
}
