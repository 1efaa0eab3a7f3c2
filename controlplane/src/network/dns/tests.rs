//! Cluster DNS over a real cluster: Services, a StatefulSet behind a headless Service, an
//! unready pod, ExternalNames, another namespace. Each question's answer, the resolvers' orders
//! and busybox's printing go into one transcript compared with
//! `controlplane/tests/expected/network/dns.txt`.

use std::fmt::Write;

use crate::model::Pod;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::model::Object;
use crate::network::testing::{check_expected, cluster, cluster_ip, pod_ip};
use crate::node::kubelet::dns::ResolvConf;

const MANIFESTS: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}, {name: dns, port: 53, protocol: UDP}]
---
apiVersion: v1
kind: Pod
metadata: {name: web-ready, labels: {app: web}}
spec: {nodeName: node-1, containers: [{name: c, image: busybox, command: [sleep, "3600"]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-unready, labels: {app: web}}
spec:
  nodeName: node-1
  containers:
  - name: c
    image: busybox
    command: [sleep, "3600"]
    readinessProbe: {exec: {command: ["false"]}}
---
apiVersion: v1
kind: Service
metadata: {name: web-all}
spec:
  clusterIP: None
  publishNotReadyAddresses: true
  selector: {app: web}
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{name: mysql, port: 3306}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  podManagementPolicy: Parallel
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {nodeName: node-2, containers: [{name: c, image: busybox, command: [sleep, "3600"]}]}
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec: {type: ExternalName, externalName: example.com}
---
apiVersion: v1
kind: Service
metadata: {name: alias}
spec: {type: ExternalName, externalName: web.default.svc.cluster.local}
---
apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec:
  selector: {app: cart}
  ports: [{port: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: host, namespace: shop}
spec: {nodeName: node-3, hostNetwork: true, containers: [{name: c, image: busybox, command: [sleep, "3600"]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: custom, namespace: shop}
spec:
  nodeName: node-3
  dnsPolicy: None
  dnsConfig:
    nameservers: [1.1.1.1]
    searches: [corp.example]
    options: [{name: ndots, value: "2"}, {name: edns0}]
  containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: merged, namespace: shop}
spec:
  nodeName: node-3
  dnsConfig:
    searches: [corp.example, svc.cluster.local]
    options: [{name: ndots, value: "1"}, {name: single-request-reopen}]
  containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
"#;

/// A reply as one line per record after its code.
fn render(r: &Response) -> String {
    let mut out = format!("  {}{}\n", r.rcode, if r.authoritative { " aa" } else { "" });
    for rec in &r.answers {
        let data = match &rec.data {
            Data::Addr(a) => format!("{} {a}", if a.is_ipv4() { "A" } else { "AAAA" }),
            Data::Cname(t) => format!("CNAME {t}"),
            Data::Ptr(t) => format!("PTR {t}"),
            Data::Srv { priority, weight, port, target } => format!("SRV {priority} {weight} {port} {target}"),
            Data::Txt(t) => format!("TXT {t:?}"),
        };
        let _ = writeln!(out, "  {} {} {data}", rec.name, rec.ttl);
    }
    out
}

fn pod(c: &mut crate::sim::Cluster, key: &str) -> Pod {
    match c.informers().get(crate::model::Kind::Pod, key).map(|o| o.as_ref()) {
        Some(Object::Pod(p)) => (**p).clone(),
        _ => panic!("no pod {key}"),
    }
}

#[test]
fn cluster_dns_answers_as_coredns_and_busybox_prints_it() {
    let mut c = cluster(MANIFESTS);
    let mut out = String::new();
    for key in ["default/web-ready", "default/web-unready", "default/db-0", "default/db-1"] {
        let _ = writeln!(out, "pod {key} {}", pod_ip(&mut c, key));
    }
    for key in ["default/web", "shop/cart", "kube-system/kube-dns"] {
        let _ = writeln!(out, "service {key} {}", cluster_ip(&mut c, key));
    }
    let web_ready = pod_ip(&mut c, "default/web-ready");
    let web_ip = cluster_ip(&mut c, "default/web");
    let questions: Vec<(String, QType)> = vec![
        ("web.default.svc.cluster.local".into(), QType::A),
        ("WEB.Default.svc.cluster.local.".into(), QType::A),
        ("web.default.svc.cluster.local".into(), QType::Aaaa),
        ("web.default.svc.cluster.local".into(), QType::Txt),
        ("web.default".into(), QType::A),
        ("missing.default.svc.cluster.local".into(), QType::A),
        ("default.svc.cluster.local".into(), QType::A),
        ("nosuchns.svc.cluster.local".into(), QType::A),
        ("svc.cluster.local".into(), QType::A),
        ("a.b.c.web.default.svc.cluster.local".into(), QType::A),
        ("web.default.other.cluster.local".into(), QType::A),
        ("_http._tcp.web.default.svc.cluster.local".into(), QType::Srv),
        ("_dns._udp.web.default.svc.cluster.local".into(), QType::Srv),
        ("_dns._tcp.web.default.svc.cluster.local".into(), QType::Srv),
        ("web.default.svc.cluster.local".into(), QType::Srv),
        ("db.default.svc.cluster.local".into(), QType::A),
        ("db-0.db.default.svc.cluster.local".into(), QType::A),
        ("db-2.db.default.svc.cluster.local".into(), QType::A),
        ("_mysql._tcp.db.default.svc.cluster.local".into(), QType::Srv),
        ("web-all.default.svc.cluster.local".into(), QType::A),
        (format!("{}.web.default.svc.cluster.local", web_ready.replace('.', "-")), QType::A),
        ("ext.default.svc.cluster.local".into(), QType::A),
        ("ext.default.svc.cluster.local".into(), QType::Cname),
        ("ext.default.svc.cluster.local".into(), QType::Srv),
        ("alias.default.svc.cluster.local".into(), QType::A),
        ("cart.shop.svc.cluster.local".into(), QType::A),
        ("10-244-1-7.default.pod.cluster.local".into(), QType::A),
        ("10-244-1-7.nosuchns.pod.cluster.local".into(), QType::A),
        ("not-an-ip.default.pod.cluster.local".into(), QType::A),
        ("dns-version.cluster.local".into(), QType::Txt),
        (ptr(&web_ip), QType::Ptr),
        (ptr(&pod_ip(&mut c, "default/db-1")), QType::Ptr),
        (ptr(&web_ready), QType::Ptr),
        (ptr(&pod_ip(&mut c, "default/web-unready")), QType::Ptr),
        (ptr("10.96.0.10"), QType::Ptr),
        (ptr("8.8.8.8"), QType::Ptr),
        ("example.com".into(), QType::A),
    ];
    let informers = c.informers();
    let dns = ClusterDns::new(informers);
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    for (name, t) in &questions {
        let _ = writeln!(out, "? {name} {}", t.name());
        out.push_str(&render(&dns.answer(name, *t, &mut rng)));
    }
    check_expected("dns", &out);
}

fn ptr(ip: &str) -> String {
    let mut octets: Vec<&str> = ip.split('.').collect();
    octets.reverse();
    format!("{}.in-addr.arpa", octets.join("."))
}

#[test]
fn resolv_conf_search_order_and_nslookup_printing() {
    let mut c = cluster(MANIFESTS);
    let mut out = String::new();
    let pods = ["default/web-ready", "shop/host", "shop/custom", "shop/merged"];
    let confs: Vec<(String, ResolvConf)> =
        pods.iter().map(|k| (k.to_string(), ResolvConf::for_pod(&pod(&mut c, k)))).collect();
    for (key, conf) in &confs {
        let _ = writeln!(out, "== resolv.conf of {key}\n{}", conf.render());
    }
    // What the kubelet wrote into the container is the same file.
    let written = crate::node::kubelet::envvars::managed_files(
        &pod(&mut c, "default/web-ready"),
        "web-ready",
        "10.244.1.2",
        false,
    );
    assert_eq!(written[2].1, confs[0].1.render().into_bytes());

    let names =
        ["web", "web.default", "web.default.svc", "web.default.svc.cluster.local", "a.b.c.d.e", "fqdn.", "cart"];
    for (key, conf) in &confs {
        for name in names {
            let _ = writeln!(out, "search {key} {name}: {}", search_order(conf, name).join(" "));
        }
    }

    let (ready, host) = (pod(&mut c, "default/web-ready"), pod(&mut c, "shop/host"));
    let informers = c.informers();
    let dns = ClusterDns::new(informers);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let pod_conf = &confs[0].1;
    for name in ["web", "web.default", "cart.shop", "db", "ext", "nope"] {
        let r = resolve(pod_conf, name, &dns, &mut rng);
        let _ = writeln!(
            out,
            "getaddrinfo {name}: tried {} -> {} {:?} cname {:?}",
            r.tried.join(" "),
            r.name.as_deref().unwrap_or("(none)"),
            r.addresses,
            r.cname
        );
    }
    let merged = &confs[3].1;
    let r = resolve(merged, "web.default", &dns, &mut rng);
    let _ = writeln!(out, "getaddrinfo (ndots:1) web.default: tried {} -> {:?}", r.tried.join(" "), r.addresses);

    let lookups: [(&str, Option<QType>); 8] = [
        ("web", None),
        ("web.default", None),
        ("web.default.svc.cluster.local", None),
        ("db", None),
        ("ext", None),
        ("_mysql._tcp.db.default.svc.cluster.local", Some(QType::Srv)),
        ("10.96.0.10", None),
        ("kubernetes.default.svc.cluster.local", None),
    ];
    for (name, t) in lookups {
        let l = nslookup(pod_conf, "10.96.0.10", name, t, &dns, &mut rng);
        let _ = writeln!(out, "$ nslookup {name}  (exit {}, answer {:?})\n{}", l.exit_code, l.answer, l.text);
    }
    // A pod asks its resolv.conf's nameserver: cluster DNS; a host-network pod with ClusterFirst
    // has the node's file, whose resolver knows no cluster name.
    let ready_conf = ResolvConf::for_pod(&ready);
    let l = nslookup(&ready_conf, &ready_conf.nameservers[0], "kubernetes", None, &dns, &mut rng);
    let _ = writeln!(out, "$ lookup kubernetes from default/web-ready (exit {})\n{}", l.exit_code, l.text);
    let host_conf = ResolvConf::for_pod(&host);
    let name = "kubernetes.default.svc.cluster.local";
    let l = nslookup(&host_conf, &host_conf.nameservers[0], name, None, &Upstream, &mut rng);
    let _ = writeln!(out, "$ lookup from the host-network shop/host (exit {})\n{}", l.exit_code, l.text);
    let node = ResolvConf::node();
    let l = nslookup(&node, "172.18.0.1", "web.default.svc.cluster.local", None, &Upstream, &mut rng);
    let _ = writeln!(out, "$ nslookup from a node (exit {})\n{}", l.exit_code, l.text);
    let _ = writeln!(out, "$ nslookup with no server\n{}", no_servers_reached());
    check_expected("dns-resolver", &out);
}

#[test]
fn loadbalance_shuffles_with_the_seeded_source() {
    let mut c = cluster(MANIFESTS);
    let informers = c.informers();
    let dns = ClusterDns::new(informers);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut orders = std::collections::BTreeSet::new();
    for _ in 0..20 {
        let r = dns.answer("db.default.svc.cluster.local", QType::A, &mut rng);
        orders.insert(r.addresses().map(|a| a.to_string()).collect::<Vec<_>>());
    }
    // Both orders of the two StatefulSet pods come up, each always both addresses.
    assert_eq!(orders.len(), 2, "{orders:?}");
    assert!(orders.iter().all(|o| o.len() == 2));
}

#[test]
fn qtype_parse_is_busybox_case_insensitive() {
    assert_eq!(QType::parse("srv"), Some(QType::Srv));
    assert_eq!(QType::parse("AAAA"), Some(QType::Aaaa));
    assert_eq!(QType::parse("bogus"), None);
}

#[test]
fn each_image_has_its_own_nslookup() {
    let cases = [
        ("busybox:1.28", Nslookup::BusyboxLibc),
        ("busybox:1.28.4", Nslookup::BusyboxLibc),
        ("docker.io/library/busybox:1.27-uclibc", Nslookup::BusyboxLibc),
        ("registry.k8s.io/busybox", Nslookup::BusyboxLibc),
        ("gcr.io/google-containers/busybox:1.24", Nslookup::BusyboxLibc),
        ("busybox", Nslookup::Busybox),
        ("busybox:1.29", Nslookup::Busybox),
        ("busybox:1.36.1-musl", Nslookup::Busybox),
        ("busybox:stable", Nslookup::Busybox),
        ("busybox@sha256:0123", Nslookup::Busybox),
        ("registry.k8s.io/e2e-test-images/jessie-dnsutils:1.3", Nslookup::Bind),
        ("tutum/dnsutils", Nslookup::Bind),
        ("nginx:1.28", Nslookup::Busybox),
        ("localhost:5000/busybox:1.28", Nslookup::BusyboxLibc),
        ("radial/busyboxplus:curl", Nslookup::BusyboxLibc),
    ];
    for (image, want) in cases {
        assert_eq!(nslookup_of(image), want, "{image}");
    }
}

#[test]
fn busybox_1_28_and_bind_follow_the_search_list() {
    let mut c = cluster(MANIFESTS);
    let conf = ResolvConf::for_pod(&pod(&mut c, "default/web-ready"));
    let informers = c.informers();
    let dns = ClusterDns::new(informers);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut out = String::new();
    for name in ["web", "web.default", "kubernetes.default", "db", "nope.default", "10.96.0.1"] {
        let l = nslookup_libc(&conf, "10.96.0.10", name, &dns, &mut rng);
        let _ = writeln!(out, "$ busybox:1.28 nslookup {name}  (exit {})\n{}{}", l.exit_code, l.text, l.errors);
        let l = nslookup_bind(&conf, "10.96.0.10", name, &dns, &mut rng);
        let _ = writeln!(out, "$ dnsutils nslookup {name}  (exit {})\n{}{}", l.exit_code, l.text, l.errors);
    }
    // Outside the cluster's zones nothing answers, and the server has no reverse name there.
    let l = nslookup_libc(&conf, "172.18.0.1", "web.default.svc.cluster.local", &Upstream, &mut rng);
    let _ = writeln!(
        out,
        "$ busybox:1.28 nslookup from the node's resolver  (exit {})\n{}{}",
        l.exit_code, l.text, l.errors
    );
    check_expected("dns-tools", &out);
}
