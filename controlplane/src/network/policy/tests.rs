//! NetworkPolicy over a real cluster: default deny, named ports, endPort, namespace and pod
//! selectors alone and together, ipBlock with except (outside addresses and pod addresses),
//! egress to DNS only, the exemptions of a pod's own node and of a pod to itself. The verdicts
//! go into one transcript compared with `controlplane/tests/expected/network/policy.txt`.

use std::fmt::Write;
use std::net::Ipv4Addr;

use crate::model::Pod;

use super::*;
use crate::network::testing::{check_expected, cluster};
use crate::sim::Cluster;

const MANIFESTS: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: prod, labels: {team: a}}
---
apiVersion: v1
kind: Namespace
metadata: {name: dev, labels: {team: b}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  nodeName: node-1
  containers: [{name: c, image: busybox, command: [sleep, "3600"], ports: [{name: http, containerPort: 8080}, {name: stats, containerPort: 9000, protocol: UDP}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: client, labels: {app: client}}
spec: {nodeName: node-2, containers: [{name: c, image: busybox, command: [sleep, "3600"]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: other, labels: {app: other}}
spec: {nodeName: node-2, containers: [{name: c, image: busybox, command: [sleep, "3600"]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: prod, labels: {app: api}}
spec: {nodeName: node-1, containers: [{name: c, image: busybox, command: [sleep, "3600"]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: batch, namespace: prod, labels: {app: batch}}
spec: {nodeName: node-3, containers: [{name: c, image: busybox, command: [sleep, "3600"]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: tool, namespace: dev, labels: {app: tool}}
spec: {nodeName: node-3, containers: [{name: c, image: busybox, command: [sleep, "3600"]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all-ingress}
spec: {podSelector: {}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-client-web}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{podSelector: {matchLabels: {app: client}}}], ports: [{port: http}, {port: stats, protocol: UDP}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-from-prod}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {team: a}}}], ports: [{port: 9000, endPort: 9100}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-ipblock}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{ipBlock: {cidr: 203.0.113.0/24, except: [203.0.113.128/25]}}], ports: [{port: 8080}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-pod-cidr}
spec:
  podSelector: {matchLabels: {app: other}}
  ingress: [{from: [{ipBlock: {cidr: 10.244.2.0/24}}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress-dns-only, namespace: prod}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Egress]
  egress:
  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]
    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: both, namespace: dev}
spec:
  podSelector: {matchLabels: {app: tool}}
  policyTypes: [Ingress, Egress]
  ingress: [{from: [{namespaceSelector: {matchLabels: {team: a}}, podSelector: {matchLabels: {app: api}}}]}]
  egress: []
"#;

fn pod(c: &mut Cluster, key: &str) -> Pod {
    match c.informers().get(Kind::Pod, key).map(|o| o.as_ref()) {
        Some(Object::Pod(p)) => (**p).clone(),
        _ => panic!("no pod {key}"),
    }
}

fn coredns(c: &mut Cluster) -> Pod {
    let found = c.informers().list_namespace(Kind::Pod, "kube-system").find_map(|o| match o.as_ref() {
        Object::Pod(p) if p.metadata.name.as_deref().is_some_and(|n| n.starts_with("coredns-")) => Some((**p).clone()),
        _ => None,
    });
    found.expect("a CoreDNS pod")
}

fn describe(peer: &Peer<'_>) -> String {
    match peer {
        Peer::Pod(p) => {
            format!("{}/{}", p.metadata.namespace.as_deref().unwrap_or(""), p.metadata.name.as_deref().unwrap_or(""))
        }
        Peer::Node { name, ip } => format!("node {name} ({ip})"),
        Peer::Outside(ip) => format!("outside {ip}"),
    }
}

#[test]
fn network_policy_verdicts() {
    let mut c = cluster(MANIFESTS);
    let p: Vec<Pod> = ["default/web", "default/client", "default/other", "prod/api", "prod/batch", "dev/tool"]
        .iter()
        .map(|k| pod(&mut c, k))
        .collect();
    let dns = coredns(&mut c);
    let (web, client, other, api, batch, tool) = (&p[0], &p[1], &p[2], &p[3], &p[4], &p[5]);
    let mut out = String::new();
    for pod in p.iter().chain([&dns]) {
        let ip = pod.status.as_ref().and_then(|s| s.pod_ip.clone()).unwrap_or_default();
        let _ = writeln!(out, "pod {} {ip}", describe(&Peer::Pod(pod)));
    }
    let outside = |s: &str| Peer::Outside(s.parse::<Ipv4Addr>().expect("an address"));
    let node = |name: &'static str, ip: &str| Peer::Node { name, ip: ip.parse().expect("an address") };
    let cases: Vec<(Peer<'_>, Peer<'_>, u16, Protocol)> = vec![
        (Peer::Pod(client), Peer::Pod(web), 8080, Protocol::Tcp),
        (Peer::Pod(client), Peer::Pod(web), 9000, Protocol::Udp),
        (Peer::Pod(client), Peer::Pod(web), 80, Protocol::Tcp),
        (Peer::Pod(client), Peer::Pod(web), 8080, Protocol::Udp),
        (Peer::Pod(other), Peer::Pod(web), 8080, Protocol::Tcp),
        (Peer::Pod(batch), Peer::Pod(web), 9000, Protocol::Tcp),
        (Peer::Pod(batch), Peer::Pod(web), 9100, Protocol::Tcp),
        (Peer::Pod(batch), Peer::Pod(web), 9101, Protocol::Tcp),
        (Peer::Pod(batch), Peer::Pod(web), 9050, Protocol::Udp),
        (Peer::Pod(tool), Peer::Pod(web), 9050, Protocol::Tcp),
        (outside("203.0.113.5"), Peer::Pod(web), 8080, Protocol::Tcp),
        (outside("203.0.113.200"), Peer::Pod(web), 8080, Protocol::Tcp),
        (outside("198.51.100.1"), Peer::Pod(web), 8080, Protocol::Tcp),
        (node("node-1", "172.18.0.3"), Peer::Pod(web), 8080, Protocol::Tcp),
        (node("node-2", "172.18.0.4"), Peer::Pod(web), 8080, Protocol::Tcp),
        (Peer::Pod(web), Peer::Pod(web), 81, Protocol::Tcp),
        (Peer::Pod(client), Peer::Pod(other), 80, Protocol::Tcp),
        (Peer::Pod(web), Peer::Pod(other), 80, Protocol::Tcp),
        (Peer::Pod(api), Peer::Pod(&dns), 53, Protocol::Udp),
        (Peer::Pod(api), Peer::Pod(&dns), 53, Protocol::Tcp),
        (Peer::Pod(api), Peer::Pod(&dns), 9153, Protocol::Tcp),
        (Peer::Pod(api), Peer::Pod(web), 9000, Protocol::Tcp),
        (Peer::Pod(api), Peer::Pod(tool), 80, Protocol::Tcp),
        (Peer::Pod(batch), Peer::Pod(tool), 80, Protocol::Tcp),
        (Peer::Pod(tool), outside("8.8.8.8"), 443, Protocol::Tcp),
        (Peer::Pod(tool), Peer::Pod(&dns), 53, Protocol::Udp),
        (Peer::Pod(client), outside("1.2.3.4"), 443, Protocol::Tcp),
    ];
    let informers = c.informers();
    for (from, to, port, protocol) in cases {
        let d = allowed(from, to, port, protocol, informers);
        let _ = writeln!(
            out,
            "{} -> {} {port}/{protocol}: {}\n  egress {:?}\n  ingress {:?}",
            describe(&from),
            describe(&to),
            if d.allowed() { "allowed" } else { "blocked" },
            d.egress,
            d.ingress
        );
    }
    // The ingress half alone: prod/api may reach dev/tool (both selectors), its own egress aside.
    let v = verdict(Direction::Ingress, Peer::Pod(api), Peer::Pod(tool), 80, Protocol::Tcp, informers);
    let _ = writeln!(out, "ingress only prod/api -> dev/tool: {v:?}");
    check_expected("policy", &out);
}

#[test]
fn cidr_blocks() {
    let cases = [
        ("10.0.0.0/8", "10.255.1.2", true),
        ("10.0.0.0/8", "11.0.0.0", false),
        ("203.0.113.128/25", "203.0.113.127", false),
        ("203.0.113.128/25", "203.0.113.128", true),
        ("0.0.0.0/0", "1.2.3.4", true),
        ("1.2.3.4/32", "1.2.3.4", true),
        ("1.2.3.4/32", "1.2.3.5", false),
        // Host bits set: the network is what the mask keeps.
        ("10.1.2.3/16", "10.1.200.1", true),
    ];
    for (cidr, ip, want) in cases {
        let c = Cidr::parse(cidr).expect("a block");
        assert_eq!(c.contains(ip.parse().expect("an address")), want, "{cidr} {ip}");
    }
    for bad in ["2001:db8::/64", "10.0.0.0/33", "10.0.0.0", "x/8"] {
        assert_eq!(Cidr::parse(bad), None, "{bad}");
    }
}
