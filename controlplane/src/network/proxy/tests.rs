//! kube-proxy: chain names and probabilities against upstream's known values, the rules a
//! service port writes, and the kernel's walk of them (random choice, ClientIP affinity,
//! traffic policies).

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};

use chrono::{DateTime, Duration, Utc};
use rand_chacha::rand_core::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

use super::route::{route, Origin, Outcome, RecentLists};
use super::service::{self, ServicePortName};
use super::sync::{service_rules, NodeView};
use super::{names, NodeRules};
use crate::network::{Packet, Protocol};

#[test]
fn chain_names_are_upstreams() {
    // pkg/proxy/iptables/proxier_test.go's ns1/svc1:p80 and its endpoint 10.180.0.1:80.
    assert_eq!(names::service_chain(names::SVC_PREFIX, "ns1/svc1:p80", "tcp"), "KUBE-SVC-XPGD46QRK7WJZT7O");
    assert_eq!(names::endpoint_chain("ns1/svc1:p80", "tcp", "10.180.0.1:80"), "KUBE-SEP-SXIVWICOYRO3J4NJ");
    // Every cluster's own: the kubernetes Service and kube-dns.
    assert_eq!(names::service_chain(names::SVC_PREFIX, "default/kubernetes:https", "tcp"), "KUBE-SVC-NPX46M4PTMTKRN6Y");
    assert_eq!(names::service_chain(names::SVC_PREFIX, "kube-system/kube-dns:dns", "udp"), "KUBE-SVC-TCOU7JCQXEZGVUNU");
    assert_eq!(
        names::service_chain(names::SVC_PREFIX, "kube-system/kube-dns:dns-tcp", "tcp"),
        "KUBE-SVC-ERIFXISQEP7F7OF4"
    );
    // The other chains share the hash.
    let svl = names::service_chain(names::SVL_PREFIX, "ns1/svc1:p80", "tcp");
    assert_eq!(svl, "KUBE-SVL-XPGD46QRK7WJZT7O");
}

#[test]
fn probabilities_as_kube_proxy_writes_and_iptables_save_prints_them() {
    assert_eq!(names::probability_arg(3), "0.3333333333");
    let text = |n| names::probability_text(names::probability_threshold(&names::probability_arg(n)));
    assert_eq!(text(3), "0.33333333349");
    assert_eq!(text(2), "0.50000000000");
    assert_eq!(text(4), "0.25000000000");
    assert_eq!(text(5), "0.20000000019");
    assert_eq!(text(10), "0.10000000009");
}

/// A Service and its one slice, as the API server would hold them.
struct Fixture {
    svc: k8s_openapi::api::core::v1::Service,
    slice: k8s_openapi::api::discovery::v1::EndpointSlice,
}

fn fixture(spec: Value, endpoints: &[(&str, &str, bool, bool)]) -> Fixture {
    let mut svc_spec = json!({"clusterIP": "10.96.5.5", "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]});
    crate::apiserver::patch::merge_patch(&mut svc_spec, &spec);
    let svc = serde_json::from_value(json!({"metadata": {"name": "web", "namespace": "default"}, "spec": svc_spec}))
        .expect("a Service");
    let eps: Vec<Value> = endpoints
        .iter()
        .map(|(ip, node, ready, terminating)| {
            json!({"addresses": [ip], "nodeName": node,
                "conditions": {"ready": ready, "serving": *ready || *terminating, "terminating": terminating}})
        })
        .collect();
    let slice = serde_json::from_value(json!({
        "metadata": {"name": "web-abcde", "namespace": "default", "labels": {"kubernetes.io/service-name": "web"}},
        "addressType": "IPv4", "endpoints": eps, "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}))
    .expect("an EndpointSlice");
    Fixture { svc, slice }
}

const NODE_IP: Ipv4Addr = Ipv4Addr::new(172, 18, 0, 3);

/// The node's rules for the fixture's Service.
fn node_rules(f: &Fixture, node: &str) -> NodeRules {
    let ports = service::service_ports("default", "web", &f.svc);
    let labels: BTreeMap<String, String> = [("kubernetes.io/service-name".into(), "web".into())].into();
    let (_, info) = service::slice_info("default", &f.slice, &labels).expect("a slice of web");
    let slices = [("web-abcde".to_string(), info)].into();
    let endpoints = service::endpoints_map("default", "web", &slices);
    let mut rules = NodeRules::new();
    let view = NodeView { name: node, zone: "", ip: Some(NODE_IP) };
    for port in &ports {
        let eps = endpoints.get(&*port.name).map_or(&[][..], Vec::as_slice);
        rules.set(&port.name, Some(std::sync::Arc::new(service_rules(port, eps, view, false))));
    }
    rules
}

fn now() -> DateTime<Utc> {
    crate::sim::clock::epoch()
}

fn packet(src: [u8; 4], dst: Ipv4Addr, port: u16) -> Packet {
    Packet { src: Ipv4Addr::from(src), dst, port, protocol: Protocol::Tcp }
}

fn walk(rules: &NodeRules, recent: &mut RecentLists, p: &Packet, from: Origin, rng: &mut ChaCha8Rng) -> super::Route {
    let local = |ip: Ipv4Addr| ip == NODE_IP || ip.is_loopback();
    route(rules, recent, p, from, &local, now(), rng)
}

const THREE: &[(&str, &str, bool, bool)] = &[
    ("10.244.1.5", "node-1", true, false),
    ("10.244.2.5", "node-2", true, false),
    ("10.244.3.5", "node-3", true, false),
];

#[test]
fn cluster_ip_picks_an_endpoint_with_one_draw_per_statistic_rule() {
    let f = fixture(json!({}), THREE);
    let rules = node_rules(&f, "node-1");
    let mut recent = RecentLists::default();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut counts = [0usize; 3];
    for _ in 0..3000 {
        // What the kernel would choose from the same draws: 1/3, then 1/2, then the last.
        let mut mirror = rng.clone();
        let expect = if (mirror.next_u32() & 0x7FFF_FFFF) < names::probability_threshold("0.3333333333") {
            0
        } else if (mirror.next_u32() & 0x7FFF_FFFF) < names::probability_threshold("0.5000000000") {
            1
        } else {
            2
        };
        let r =
            walk(&rules, &mut recent, &packet([10, 244, 1, 9], Ipv4Addr::new(10, 96, 5, 5), 80), Origin::Pod, &mut rng);
        let Outcome::Dnat { to, masquerade } = r.outcome else { panic!("{r:?}") };
        assert!(!masquerade, "a pod's own traffic keeps its address");
        let i = ["10.244.1.5", "10.244.2.5", "10.244.3.5"].iter().position(|ip| to.ip().to_string() == *ip).unwrap();
        assert_eq!(i, expect);
        assert_eq!(to.port(), 8080);
        assert_eq!(r.chains.len(), 3);
        assert_eq!(r.chains[0], "KUBE-SERVICES");
        assert!(r.chains[1].starts_with("KUBE-SVC-") && r.chains[2].starts_with("KUBE-SEP-"), "{:?}", r.chains);
        // The generator is where the kernel left it.
        assert_eq!(rng.clone().next_u32(), mirror.next_u32());
        counts[i] += 1;
    }
    assert!(counts.iter().all(|&c| (900..=1100).contains(&c)), "{counts:?}");
}

#[test]
fn off_cluster_traffic_to_a_cluster_ip_is_masqueraded_and_other_traffic_passes() {
    let f = fixture(json!({}), THREE);
    let rules = node_rules(&f, "node-1");
    let (mut recent, mut rng) = (RecentLists::default(), ChaCha8Rng::seed_from_u64(1));
    let r = walk(
        &rules,
        &mut recent,
        &packet([192, 168, 9, 9], Ipv4Addr::new(10, 96, 5, 5), 80),
        Origin::Outside,
        &mut rng,
    );
    assert!(matches!(r.outcome, Outcome::Dnat { masquerade: true, .. }), "{r:?}");
    // A port the Service does not have, and a pod's address: untouched.
    let r = walk(&rules, &mut recent, &packet([10, 244, 1, 9], Ipv4Addr::new(10, 96, 5, 5), 81), Origin::Pod, &mut rng);
    assert_eq!(r.outcome, Outcome::Pass);
    let r =
        walk(&rules, &mut recent, &packet([10, 244, 1, 9], Ipv4Addr::new(10, 244, 2, 5), 8080), Origin::Pod, &mut rng);
    assert_eq!(r.outcome, Outcome::Pass);
}

#[test]
fn no_endpoints_reject_in_the_filter_table() {
    let f = fixture(json!({"type": "NodePort", "ports": [{"name": "http", "port": 80, "nodePort": 30080}]}), &[]);
    let rules = node_rules(&f, "node-1");
    let (mut recent, mut rng) = (RecentLists::default(), ChaCha8Rng::seed_from_u64(1));
    let r = walk(&rules, &mut recent, &packet([10, 244, 1, 9], Ipv4Addr::new(10, 96, 5, 5), 80), Origin::Pod, &mut rng);
    assert_eq!(r.outcome, Outcome::Reject);
    assert_eq!(r.chains, ["KUBE-SERVICES"]);
    assert!(r.rule.as_deref().is_some_and(|t| t.contains("\"default/web:http has no endpoints\"")), "{r:?}");
    let r = walk(&rules, &mut recent, &packet([192, 168, 9, 9], NODE_IP, 30080), Origin::Outside, &mut rng);
    assert_eq!(r.outcome, Outcome::Reject);
    assert_eq!(r.chains, ["KUBE-EXTERNAL-SERVICES"]);
}

#[test]
fn terminating_endpoints_are_used_only_when_none_is_ready() {
    let f = fixture(json!({}), &[("10.244.1.5", "node-1", false, true), ("10.244.2.5", "node-2", false, false)]);
    let rules = node_rules(&f, "node-1");
    let (mut recent, mut rng) = (RecentLists::default(), ChaCha8Rng::seed_from_u64(1));
    let r = walk(&rules, &mut recent, &packet([10, 244, 1, 9], Ipv4Addr::new(10, 96, 5, 5), 80), Origin::Pod, &mut rng);
    assert_eq!(
        r.outcome,
        Outcome::Dnat { to: SocketAddrV4::new(Ipv4Addr::new(10, 244, 1, 5), 8080), masquerade: false }
    );
    let f = fixture(json!({}), &[("10.244.1.5", "node-1", false, true), ("10.244.2.5", "node-2", true, false)]);
    let rules = node_rules(&f, "node-1");
    for _ in 0..20 {
        let r =
            walk(&rules, &mut recent, &packet([10, 244, 1, 9], Ipv4Addr::new(10, 96, 5, 5), 80), Origin::Pod, &mut rng);
        assert!(matches!(r.outcome, Outcome::Dnat { to, .. } if to.ip() == &Ipv4Addr::new(10, 244, 2, 5)), "{r:?}");
    }
}

#[test]
fn external_traffic_policy_local() {
    let spec = json!({"type": "NodePort", "externalTrafficPolicy": "Local",
        "ports": [{"name": "http", "port": 80, "nodePort": 30080}]});
    let f = fixture(spec, &[("10.244.2.5", "node-2", true, false)]);
    let (mut recent, mut rng) = (RecentLists::default(), ChaCha8Rng::seed_from_u64(1));
    // On the node with the endpoint: the client's address is kept.
    let rules = node_rules(&f, "node-2");
    let r = walk(&rules, &mut recent, &packet([192, 168, 9, 9], NODE_IP, 30080), Origin::Outside, &mut rng);
    assert_eq!(
        r.outcome,
        Outcome::Dnat { to: SocketAddrV4::new(Ipv4Addr::new(10, 244, 2, 5), 8080), masquerade: false }
    );
    let hash = names::port_proto_hash("default/web:http", "tcp");
    let sep = names::endpoint_chain("default/web:http", "tcp", "10.244.2.5:8080");
    let expected = ["KUBE-SERVICES", "KUBE-NODEPORTS", &format!("KUBE-EXT-{hash}"), &format!("KUBE-SVL-{hash}"), &sep];
    assert_eq!(r.chains, expected);
    // On a node without: dropped (the client times out).
    let rules = node_rules(&f, "node-1");
    let r = walk(&rules, &mut recent, &packet([192, 168, 9, 9], NODE_IP, 30080), Origin::Outside, &mut rng);
    assert_eq!(r.outcome, Outcome::Drop);
    assert!(r.rule.as_deref().is_some_and(|t| t.contains("has no local endpoints")), "{r:?}");
    // A pod there goes by the Cluster policy; the node itself too, masqueraded.
    let r = walk(&rules, &mut recent, &packet([10, 244, 1, 9], NODE_IP, 30080), Origin::Pod, &mut rng);
    assert!(matches!(r.outcome, Outcome::Dnat { masquerade: false, .. }), "{r:?}");
    assert_eq!(r.chains[3], format!("KUBE-SVC-{hash}"));
    let r = walk(&rules, &mut recent, &packet(NODE_IP.octets(), NODE_IP, 30080), Origin::Node, &mut rng);
    assert!(matches!(r.outcome, Outcome::Dnat { masquerade: true, .. }), "{r:?}");
    // The ClusterIP is not subject to the external policy.
    let r = walk(&rules, &mut recent, &packet([10, 244, 1, 9], Ipv4Addr::new(10, 96, 5, 5), 80), Origin::Pod, &mut rng);
    assert!(matches!(r.outcome, Outcome::Dnat { .. }), "{r:?}");
}

#[test]
fn internal_traffic_policy_local_drops_without_a_local_endpoint() {
    let f = fixture(json!({"internalTrafficPolicy": "Local"}), &[("10.244.2.5", "node-2", true, false)]);
    let (mut recent, mut rng) = (RecentLists::default(), ChaCha8Rng::seed_from_u64(1));
    let rules = node_rules(&f, "node-1");
    let r = walk(&rules, &mut recent, &packet([10, 244, 1, 9], Ipv4Addr::new(10, 96, 5, 5), 80), Origin::Pod, &mut rng);
    assert_eq!(r.outcome, Outcome::Drop);
    let rules = node_rules(&f, "node-2");
    let r = walk(&rules, &mut recent, &packet([10, 244, 2, 9], Ipv4Addr::new(10, 96, 5, 5), 80), Origin::Pod, &mut rng);
    assert!(matches!(r.outcome, Outcome::Dnat { .. }), "{r:?}");
    assert!(r.chains[1].starts_with("KUBE-SVL-"), "{:?}", r.chains);
}

#[test]
fn client_ip_affinity_sticks_for_its_timeout_and_then_is_reaped() {
    let spec = json!({"sessionAffinity": "ClientIP", "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 60}}});
    let f = fixture(spec, THREE);
    let rules = node_rules(&f, "node-1");
    let local = |ip: Ipv4Addr| ip == NODE_IP;
    let (mut recent, mut rng) = (RecentLists::default(), ChaCha8Rng::seed_from_u64(3));
    let p = packet([10, 244, 1, 9], Ipv4Addr::new(10, 96, 5, 5), 80);
    let first = route(&rules, &mut recent, &p, Origin::Pod, &local, now(), &mut rng);
    let Outcome::Dnat { to, .. } = first.outcome else { panic!("{first:?}") };
    for s in 1..=50 {
        let r = route(&rules, &mut recent, &p, Origin::Pod, &local, now() + Duration::seconds(s), &mut rng);
        assert_eq!(r.outcome, first.outcome, "sticky at {s}s");
        // The affinity check matched before any random choice.
        assert!(r.rule.is_some());
    }
    // Each connection refreshes the entry: 60s after the last one it has expired.
    assert_eq!(recent.len(), 1);
    let mut seen = std::collections::BTreeSet::new();
    for s in 0..30 {
        let at = now() + Duration::seconds(111 + 61 * s);
        let r = route(&rules, &mut recent, &p, Origin::Pod, &local, at, &mut rng);
        let Outcome::Dnat { to, .. } = r.outcome else { panic!("{r:?}") };
        seen.insert(to);
        // Expired entries of the other endpoints were reaped when checked.
        assert_eq!(recent.len(), 1);
    }
    assert!(seen.len() > 1 && seen.contains(&to), "{seen:?}");
    let text = rules.save("now");
    assert!(text.contains("-m recent --rcheck --seconds 60 --reap --name KUBE-SEP-"), "{text}");
    assert!(text.contains("-m recent --set --name KUBE-SEP-"), "{text}");
}

#[test]
fn recent_lists_are_bounded() {
    let f = fixture(json!({"sessionAffinity": "ClientIP"}), THREE);
    let rules = node_rules(&f, "node-1");
    let local = |ip: Ipv4Addr| ip == NODE_IP;
    let (mut recent, mut rng) = (RecentLists::default(), ChaCha8Rng::seed_from_u64(3));
    for i in 0..2000u32 {
        let src = Ipv4Addr::from(0x0A_F4_00_00 + i);
        let p = Packet { src, dst: Ipv4Addr::new(10, 96, 5, 5), port: 80, protocol: Protocol::Tcp };
        route(&rules, &mut recent, &p, Origin::Pod, &local, now(), &mut rng);
    }
    assert!(recent.len() <= 3 * super::route::RECENT_LIST_MAX, "{}", recent.len());
    // Lists of chains that are gone go with them.
    recent.retain(|_| false);
    assert!(recent.is_empty());
}

#[test]
fn health_check_node_port_rules_and_answers() {
    let spec = json!({"type": "LoadBalancer", "externalTrafficPolicy": "Local", "healthCheckNodePort": 32000,
        "ports": [{"name": "http", "port": 80, "nodePort": 30080}]});
    let f = fixture(spec, &[("10.244.2.5", "node-2", true, false)]);
    let text = node_rules(&f, "node-1").save("now");
    let line = "-A KUBE-NODEPORTS -p tcp -m comment --comment \"default/web:http health check node port\" -m tcp --dport 32000 -j ACCEPT";
    assert!(text.contains(line), "{text}");
    let hc = super::HealthCheck::new("default", "web", 0);
    assert_eq!(hc.code, 503);
    assert!(hc.body.contains("\"localEndpoints\": 0"), "{}", hc.body);
    assert_eq!(super::HealthCheck::new("default", "web", 1).code, 200);
}

#[test]
fn comments_are_quoted_as_iptables_save_quotes_them() {
    let f = fixture(json!({}), THREE);
    let text = node_rules(&f, "node-1").save("Wed Jan  1 00:00:00 2025");
    assert!(text.starts_with("# Generated by iptables-save v1.8.9 on Wed Jan  1 00:00:00 2025\n*filter\n"), "{text}");
    assert!(text.contains("-A KUBE-SERVICES -d 10.96.5.5/32 -p tcp -m comment --comment \"default/web:http cluster IP\" -m tcp --dport 80 -j KUBE-SVC-"));
    assert!(text.contains("--probability 0.33333333349 -j KUBE-SEP-"));
    assert!(text.ends_with("COMMIT\n# Completed on Wed Jan  1 00:00:00 2025\n"));
    let spn = ServicePortName { namespace: "a".into(), name: "b".into(), port: String::new(), protocol: Protocol::Udp };
    assert_eq!(spn.to_string(), "a/b");
}

/// The component in a cluster: rules appear with each node's kube-proxy pod, follow the
/// endpoints, and stay as they were once the pod stops.
#[test]
fn kube_proxies_follow_the_cluster() {
    use crate::model::{decode, Kind};
    use crate::sim::{Cluster, ClusterConfig};
    let mut c = Cluster::new(ClusterConfig { workers: 2, ..Default::default() });
    c.advance(Duration::seconds(20)).expect("advances");
    for doc in [
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}}),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
            "spec": {"clusterIP": "10.96.7.7", "selector": {"app": "web"}, "ports": [{"port": 80}]}}),
    ] {
        c.api().create("test", "default", decode(doc).expect("decodes")).expect("created");
    }
    c.advance(Duration::seconds(30)).expect("advances");
    let now = c.now();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let p = packet([10, 244, 1, 9], Ipv4Addr::new(10, 96, 7, 7), 80);
    let proxies = c.component_mut::<super::KubeProxies>().expect("kube-proxy runs");
    assert!(proxies.is_running("node-1"));
    let r = proxies.route("node-1", &p, Origin::Pod, now, &mut rng);
    assert!(matches!(r.outcome, Outcome::Dnat { .. }), "{r:?}");
    assert!(proxies.iptables_save("node-1").expect("rules").contains("\"default/web cluster IP\""));
    assert!(proxies.iptables_save("node-9").is_none());
    // node-1's kube-proxy pod goes: its rules stay as they were, even when the Service goes.
    let pod = c
        .api()
        .peek_list(Kind::Pod, Some("kube-system"))
        .into_iter()
        .find(|p| p.name().starts_with("kube-proxy") && crate::controllers::informers::node_name(p) == "node-1");
    let pod = pod.expect("node-1's kube-proxy pod");
    let before = c.component_mut::<super::KubeProxies>().unwrap().iptables_save("node-1");
    c.api().delete("test", Kind::DaemonSet, "kube-system", "kube-proxy", Default::default()).expect("deleted");
    c.api().delete("test", Kind::Pod, "kube-system", pod.name(), Default::default()).expect("deleted");
    c.advance(Duration::seconds(40)).expect("advances");
    c.api().delete("test", Kind::Service, "default", "web", Default::default()).expect("deleted");
    c.advance(Duration::seconds(5)).expect("advances");
    let proxies = c.component_mut::<super::KubeProxies>().unwrap();
    assert!(!proxies.is_running("node-1"));
    assert_eq!(
        proxies.iptables_save("node-1").map(|t| t.lines().filter(|l| l.starts_with("-A")).count()),
        before.map(|t| t.lines().filter(|l| l.starts_with("-A")).count())
    );
}

/// The service health server on a LoadBalancer's health check node port: 200 on the node
/// with a ready endpoint, 503 elsewhere, nothing on other ports.
#[test]
fn health_check_node_port_answers_per_node() {
    use crate::model::{decode, Kind};
    use crate::sim::{Cluster, ClusterConfig};
    let mut c = Cluster::new(ClusterConfig { workers: 2, ..Default::default() });
    c.advance(Duration::seconds(20)).expect("advances");
    for doc in [
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"nodeSelector": {"kubernetes.io/hostname": "node-1"},
                        "containers": [{"name": "web", "image": "nginx"}]}}}}),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
            "spec": {"type": "LoadBalancer", "externalTrafficPolicy": "Local", "selector": {"app": "web"},
                "ports": [{"port": 80}]}}),
    ] {
        c.api().create("test", "default", decode(doc).expect("decodes")).expect("created");
    }
    c.advance(Duration::seconds(30)).expect("advances");
    let svc = c.api().peek(Kind::Service, "default", "web").expect("the Service").to_value();
    let hc = svc["spec"]["healthCheckNodePort"].as_u64().expect("a health check node port is allocated") as u16;
    assert!((30000..=32767).contains(&hc), "{hc}");
    let proxies = c.component_mut::<super::KubeProxies>().expect("kube-proxy runs");
    let on = proxies.health_check("node-1", hc).expect("node-1 answers");
    assert_eq!((on.code, on.local_endpoints), (200, 1), "{}", on.body);
    assert!(on.body.contains("\"name\": \"web\""), "{}", on.body);
    assert_eq!(proxies.health_check("node-2", hc).map(|h| h.code), Some(503));
    assert!(proxies.health_check("node-1", hc.wrapping_add(1)).is_none());
}

#[test]
fn a_walk_for_one_address_sees_every_rule_that_could_match_it() {
    use super::rules::Table;
    // Three Services on one node: endpoints behind a ClusterIP, none (REJECT), and a
    // LoadBalancer with node ports, an external IP and a health check port.
    let specs = [
        ("a", json!({"clusterIP": "10.96.0.10"}), THREE),
        ("b", json!({"clusterIP": "10.96.0.11"}), &[][..]),
        (
            "c",
            json!({"clusterIP": "10.96.0.12", "type": "LoadBalancer", "externalIPs": ["192.0.2.7"],
                "externalTrafficPolicy": "Local", "healthCheckNodePort": 31999,
                "ports": [{"name": "http", "port": 80, "protocol": "TCP", "nodePort": 30080}]}),
            THREE,
        ),
    ];
    let mut rules = NodeRules::new();
    for (name, spec, endpoints) in specs {
        let mut one = node_rules(&fixture(spec, endpoints), "node-1");
        let port = one.service_ports().next().cloned().expect("a service port");
        let renamed = std::sync::Arc::new(ServicePortName { name: name.into(), ..(*port).clone() });
        let made = one.service(&port).cloned().map(std::sync::Arc::new);
        one.set(&port, None);
        rules.set(&renamed, made);
    }
    let chains = [
        (Table::Nat, "KUBE-SERVICES"),
        (Table::Nat, "KUBE-NODEPORTS"),
        (Table::Filter, "KUBE-SERVICES"),
        (Table::Filter, "KUBE-EXTERNAL-SERVICES"),
        (Table::Filter, "KUBE-NODEPORTS"),
        (Table::Filter, "KUBE-PROXY-FIREWALL"),
    ];
    let addresses = ["10.96.0.10", "10.96.0.11", "10.96.0.12", "192.0.2.7", "172.18.0.3", "10.244.1.5", "8.8.8.8"];
    let mut seen = 0;
    for (table, chain) in chains {
        for ip in addresses.map(|a| a.parse::<Ipv4Addr>().expect("an address")) {
            // The rules of the chain that could match a packet for `ip`, as iptables-save
            // prints them, from the whole chain or from what the index picks.
            let could_match = |hint: Option<Ipv4Addr>| -> Vec<String> {
                let rules = rules.chain(table, chain, None, hint).into_iter().flatten().map(|(_, r)| r);
                let rules = rules.filter(|r| r.dst.is_none_or(|d| d.contains(ip)));
                rules
                    .map(|r| {
                        let mut s = String::new();
                        r.save(chain, &mut s);
                        s
                    })
                    .collect()
            };
            let (all, indexed) = (could_match(None), could_match(Some(ip)));
            assert_eq!(indexed, all, "{chain} for {ip}");
            seen += all.len();
        }
    }
    assert!(seen > 10, "the chains hold rules for these addresses");
}

#[test]
fn a_sync_takes_away_the_ports_a_service_no_longer_has_and_a_gone_service() {
    use crate::model::{decode, Kind};
    use crate::sim::{Cluster, ClusterConfig};
    let mut c = Cluster::new(ClusterConfig { workers: 1, ..Default::default() });
    c.advance(Duration::seconds(20)).expect("advances");
    let service = |port: &str| {
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
            "spec": {"clusterIP": "10.96.7.7", "ports": [{"name": port, "port": 80}]}})
    };
    c.api().create("test", "default", decode(service("http")).expect("decodes")).expect("created");
    c.advance(Duration::seconds(5)).expect("advances");
    let comments = |c: &mut Cluster| {
        let rules = c.component_mut::<super::KubeProxies>().and_then(|p| p.iptables_save("node-1")).unwrap_or_default();
        rules.lines().filter(|l| l.contains("default/web")).map(str::to_string).collect::<Vec<_>>()
    };
    assert!(comments(&mut c).iter().any(|l| l.contains("default/web:http has no endpoints")), "{:?}", comments(&mut c));
    // The port renamed: the old name's rules go with the next sync, the new name's come.
    let mut renamed = decode(service("web")).expect("decodes");
    renamed.metadata_mut().namespace = Some("default".into());
    c.api().update("test", renamed).expect("updated");
    c.advance(Duration::seconds(5)).expect("advances");
    let after = comments(&mut c);
    assert!(after.iter().any(|l| l.contains("default/web:web has no endpoints")), "{after:?}");
    assert!(!after.iter().any(|l| l.contains("default/web:http")), "{after:?}");
    // The Service gone: nothing of it stays.
    c.api().delete("test", Kind::Service, "default", "web", Default::default()).expect("deleted");
    c.advance(Duration::seconds(5)).expect("advances");
    assert!(comments(&mut c).is_empty(), "{:?}", comments(&mut c));
}
