//! Services at scale: a cluster of NODES workers (1,000), SERVICES ClusterIP Services (10,000)
//! each selecting ENDPOINTS pods (5), all created through the API server and run until every
//! node's kube-proxy has rules for every endpoint. Then:
//! - one change (a Service's pod deleted): the wall time and simulated time until kube-proxy on
//!   every node has written it (the endpoint's chain gone everywhere);
//! - `curl` from a pod to a Service by name (DNS through kube-dns, kube-proxy's rules on the
//!   client's node, the server's answer), per second of wall time: a first pass over clients
//!   on every node, then a second;
//! - `nslookup` of a Service from a pod, per second.
//!
//! The pods have `enableServiceLinks: false`, as large clusters set it: with it on, every
//! container's environment would hold seven variables per Service of its namespace (70,000).
//!
//! `cargo bench -p controlplane --bench network` (NODES, SERVICES, ENDPOINTS, CALLS to change it).

/// The allocator the `kubesim` binary uses, so the figures are the binary's.
#[global_allocator]
static GLOBAL: controlplane::alloc::MiMalloc = controlplane::alloc::MiMalloc;

mod common;
use common::{env, peak_rss_mib};

use std::net::Ipv4Addr;
use std::time::Instant;

use chrono::Duration;
use controlplane::apiserver::DeleteOptions;
use controlplane::model::decode::decode_one;
use controlplane::model::{Kind, Object};
use controlplane::network::path::{Request, Source};
use controlplane::network::proxy::rules::{Rule, Target};
use controlplane::network::proxy::service::ServicePortName;
use controlplane::network::proxy::KubeProxies;
use controlplane::network::Protocol;
use controlplane::sim::{Cluster, ClusterConfig};

fn running(c: &Cluster) -> usize {
    let pods = c.api_ref().peek_list(Kind::Pod, Some("default"));
    pods.iter()
        .filter(|p| matches!(&***p, Object::Pod(p) if p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")))
        .count()
}

/// Nodes whose kube-proxy rules for `service` DNAT to `ip`.
fn nodes_with_endpoint(c: &mut Cluster, nodes: &[String], service: &ServicePortName, ip: Ipv4Addr) -> usize {
    let dnat = |r: &Rule| matches!(r.target, Target::Dnat(to) if *to.ip() == ip);
    let Some(proxies) = c.component_mut::<KubeProxies>() else { return 0 };
    let has = |node: &String| {
        let rules = proxies.rules(node).and_then(|r| r.service(service));
        rules.is_some_and(|s| s.chains.iter().any(|(_, chain)| chain.iter().any(dnat)))
    };
    nodes.iter().filter(|n| has(n)).count()
}

fn main() {
    let nodes = env("NODES", 1_000);
    let services = env("SERVICES", 10_000);
    let endpoints = env("ENDPOINTS", 500).clamp(1, 100);
    let calls = env("CALLS", 100_000);
    let start = Instant::now();
    let config = ClusterConfig { workers: nodes, cpu: "32".into(), memory: "128Gi".into(), ..ClusterConfig::default() };
    let mut c = Cluster::new(config);
    println!("cluster of {nodes} workers:         {:.2} s", start.elapsed().as_secs_f64());

    let start = Instant::now();
    for i in 0..services {
        let svc = format!(
            "apiVersion: v1\nkind: Service\nmetadata: {{name: svc-{i}}}\nspec:\n  selector: {{app: svc-{i}}}\n  ports:\n  - port: 80\n    targetPort: 80\n"
        );
        c.api().create("bench", "default", decode_one(&svc).expect("the service decodes")).expect("create");
        for j in 0..endpoints {
            let pod = format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: svc-{i}-{j}, labels: {{app: svc-{i}}}}}\nspec:\n  enableServiceLinks: false\n  containers:\n  - name: app\n    image: nginx:1.27\n    ports: [{{containerPort: 80}}]\n"
            );
            c.api().create("bench", "default", decode_one(&pod).expect("the pod decodes")).expect("create");
        }
    }
    let pods = services * endpoints;
    println!("{services} services, {pods} pods created: {:.2} s", start.elapsed().as_secs_f64());

    let start = Instant::now();
    let all = c.run_until(Duration::seconds(600), |c| running(c) == pods).expect("the cluster runs");
    assert!(all, "only {} of {pods} Running", running(&c));
    // Endpoints follow readiness; kube-proxy follows the slices within its sync period.
    c.advance(Duration::seconds(5)).expect("the cluster runs");
    println!("until all Running and synced:   {:.2} s wall, at {} simulated", start.elapsed().as_secs_f64(), c.now());
    let requests_before = c.api_ref().audit_log().written();
    println!("requests handled:               {requests_before}");

    // One change: svc-0's first pod goes; its KUBE-SEP chain must leave every node's rules.
    let node_names: Vec<String> = c
        .api_ref()
        .peek_list(Kind::Node, None)
        .iter()
        .filter(|n| !n.labels().contains_key("node-role.kubernetes.io/control-plane"))
        .map(|n| n.name().to_string())
        .collect();
    let service = ServicePortName {
        namespace: "default".into(),
        name: "svc-0".into(),
        port: String::new(),
        protocol: Protocol::Tcp,
    };
    let ip: Ipv4Addr = pod_ip(&c, "svc-0-0").parse().expect("svc-0-0 has an address");
    assert_eq!(nodes_with_endpoint(&mut c, &node_names, &service, ip), node_names.len());
    let start = Instant::now();
    let from = c.now();
    c.api().delete("bench", Kind::Pod, "default", "svc-0-0", DeleteOptions::default()).expect("delete");
    c.settle().expect("the cluster settles");
    let mut steps = 0;
    while nodes_with_endpoint(&mut c, &node_names, &service, ip) > 0 {
        c.advance(Duration::milliseconds(100)).expect("the cluster runs");
        steps += 1;
        assert!(steps < 1000, "kube-proxy never reflected the change");
    }
    println!(
        "one change on every node:       {:.3} s wall, {} ms simulated",
        start.elapsed().as_secs_f64(),
        (c.now() - from).num_milliseconds()
    );

    // curl from pods to Services by name: a first pass, where each node's kube-proxy rules
    // are first walked since the change (and their address index is made), then a second.
    for pass in ["curl (first walk on each node):", "curl (again):"] {
        let start = Instant::now();
        let mut answered = 0;
        for i in 0..calls {
            let client = format!("svc-{}-{}", (i * 7919 + 1) % services, 1 % endpoints);
            let req = Request::new(
                format!("http://svc-{}", i % services),
                "GET".into(),
                Source::Pod { namespace: "default".into(), name: client },
                Duration::seconds(10),
                "curl/8.5.0".into(),
            );
            let reply = c.dataplane(|dp| dp.request(&req)).expect("a dataplane");
            answered += usize::from(reply.ok && reply.code == 200);
        }
        let secs = start.elapsed().as_secs_f64();
        println!("{pass:32}{:.0} /s ({answered} of {calls} answered 200)", calls as f64 / secs);
    }

    let start = Instant::now();
    let mut found = 0;
    for i in 0..calls {
        let from = Source::Pod {
            namespace: "default".into(),
            name: format!("svc-{}-{}", (i * 7919 + 1) % services, 1 % endpoints),
        };
        let name = format!("svc-{}.default.svc.cluster.local", i % services);
        let (res, _) = c.dataplane(|dp| dp.nslookup(Some(&from), "default", &name)).expect("a dataplane");
        found += usize::from(res.is_ok_and(|r| r.exit_code == 0));
    }
    let secs = start.elapsed().as_secs_f64();
    println!("nslookup:                       {:.0} /s ({found} of {calls} found)", calls as f64 / secs);
    println!("peak memory (VmHWM):            {:.0} MiB", peak_rss_mib());
}

fn pod_ip(c: &Cluster, name: &str) -> String {
    match c.api_ref().peek_list(Kind::Pod, Some("default")).iter().find(|p| p.name() == name).map(|p| &**p) {
        Some(Object::Pod(p)) => p.status.as_ref().and_then(|s| s.pod_ip.clone()).unwrap_or_default(),
        _ => String::new(),
    }
}
