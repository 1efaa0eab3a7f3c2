use chrono::Duration;
use serde_json::json;

use super::service::FINALIZER;
use crate::model::{decode, Kind, Object};
use crate::sim::{Cluster, ClusterConfig};

fn cloud(pool: &str) -> Cluster {
    Cluster::new(ClusterConfig { workers: 2, cloud: true, lb_pool: pool.into(), ..Default::default() })
}

fn lb_service(c: &mut Cluster, name: &str, extra: serde_json::Value) {
    let mut doc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
        "spec": {"type": "LoadBalancer", "selector": {"app": name}, "ports": [{"port": 80}]}});
    for (k, v) in extra.as_object().into_iter().flatten() {
        doc["spec"][k] = v.clone();
    }
    c.api().create("test", "default", decode(doc).unwrap()).unwrap();
}

fn svc(c: &mut Cluster, name: &str) -> Option<serde_json::Value> {
    c.api().peek(Kind::Service, "default", name).map(|o| o.to_value())
}

fn ingress_ip(c: &mut Cluster, name: &str) -> Option<String> {
    svc(c, name)?["status"]["loadBalancer"]["ingress"][0]["ip"].as_str().map(str::to_string)
}

/// (reason, count) of the events about `name`, in the order they were first written.
fn events(c: &mut Cluster, name: &str) -> Vec<(String, i32)> {
    let mut list: Vec<_> = c
        .api()
        .peek_list(Kind::Event, Some("default"))
        .into_iter()
        .filter_map(|o| match &*o {
            Object::Event(e) if e.involved_object.name.as_deref() == Some(name) => Some((
                e.first_timestamp.clone(),
                e.reason.as_deref().unwrap_or_default().to_string(),
                e.count.unwrap_or(1),
            )),
            _ => None,
        })
        .collect();
    list.sort_by(|a, b| a.0.cmp(&b.0));
    list.into_iter().map(|(_, r, n)| (r, n)).collect()
}

#[test]
fn the_default_cluster_runs_in_no_cloud() {
    let mut c = Cluster::new(ClusterConfig { workers: 1, ..Default::default() });
    assert!(c.cloud().is_none());
    let node = c.api().peek(Kind::Node, "", "node-1").unwrap().to_value();
    assert!(node["spec"].get("providerID").is_none(), "{node}");
    lb_service(&mut c, "web", json!({}));
    c.advance(Duration::seconds(30)).unwrap();
    assert_eq!(ingress_ip(&mut c, "web"), None);
    assert!(svc(&mut c, "web").unwrap()["metadata"].get("finalizers").is_none());
}

#[test]
fn nodes_are_initialized_by_the_cloud_node_controller() {
    let mut c = cloud(crate::network::cloud::DEFAULT_POOL);
    for name in ["control-plane", "node-1", "node-2"] {
        let node = c.api().peek(Kind::Node, "", name).unwrap().to_value();
        assert_eq!(node["spec"]["providerID"], json!(format!("kubesim://{name}")));
        assert_eq!(node["metadata"]["labels"]["node.kubernetes.io/instance-type"], json!("kubesim-node"));
        let taints = node["spec"]["taints"].as_array().cloned().unwrap_or_default();
        assert!(!taints.iter().any(|t| t["key"] == json!(super::UNINITIALIZED_TAINT)), "{node}");
    }
    // CoreDNS was scheduled once the taint went.
    let scheduled = c.api().peek_list(Kind::Pod, Some("kube-system"));
    assert!(scheduled.iter().all(|p| p.to_value()["spec"]["nodeName"].is_string()));
}

#[test]
fn an_exhausted_pool_is_retried_five_seconds_doubling_until_an_address_frees() {
    let mut c = cloud("10.1.0.1/32");
    lb_service(&mut c, "a", json!({}));
    lb_service(&mut c, "b", json!({}));
    c.settle().unwrap();
    assert_eq!(ingress_ip(&mut c, "a").as_deref(), Some("10.1.0.1"));
    assert_eq!(ingress_ip(&mut c, "b"), None);
    // Tries at 0s, 5s, 15s, 35s: four failures in 40s.
    c.advance(Duration::seconds(40)).unwrap();
    assert_eq!(events(&mut c, "b"), [("EnsuringLoadBalancer".into(), 4), ("SyncLoadBalancerFailed".into(), 4)]);
    c.api().delete("test", Kind::Service, "default", "a", Default::default()).unwrap();
    c.settle().unwrap();
    assert!(svc(&mut c, "a").is_none(), "the finalizer was removed once the balancer went");
    // The next try (at 75s) finds the address free.
    c.advance(Duration::seconds(35)).unwrap();
    assert_eq!(ingress_ip(&mut c, "b").as_deref(), Some("10.1.0.1"));
    assert_eq!(svc(&mut c, "b").unwrap()["metadata"]["finalizers"], json!([FINALIZER]));
}

#[test]
fn a_load_balancer_class_is_left_to_its_implementation() {
    let mut c = cloud(crate::network::cloud::DEFAULT_POOL);
    lb_service(&mut c, "other", json!({"loadBalancerClass": "example.com/lb"}));
    c.advance(Duration::seconds(10)).unwrap();
    assert_eq!(ingress_ip(&mut c, "other"), None);
    assert!(events(&mut c, "other").is_empty());
    assert!(c.cloud().unwrap().load_balancers().is_empty());
}

#[test]
fn without_node_ports_the_balancer_sends_to_pods() {
    let mut c = cloud(crate::network::cloud::DEFAULT_POOL);
    lb_service(&mut c, "direct", json!({"allocateLoadBalancerNodePorts": false}));
    c.settle().unwrap();
    let spec = svc(&mut c, "direct").unwrap()["spec"].clone();
    assert!(spec["ports"][0].get("nodePort").is_none(), "{spec}");
    let cloud = c.cloud().unwrap();
    let lb = cloud.load_balancers().values().next().expect("a balancer");
    assert_eq!(lb.ports[0].node_port, None);
    assert_eq!(lb.hosts, ["node-1", "node-2"], "the control plane is excluded by its label");
}
