//! The kubelets end to end: heartbeats, a kubelet stopped and started, nodes that come and
//! go at run time, and what a pod's life costs in API writes.

use chrono::Duration;
use controlplane::apiserver::DeleteOptions;
use controlplane::kubectl::apply::apply_text;
use controlplane::model::{Kind, Object, Shared};
use controlplane::node::kubelet::Kubelets;
use controlplane::sim::bootstrap::{try_add_node, NodeSpec};
use controlplane::sim::{Cluster, ClusterConfig};

fn pod(name: &str, node: &str, image: &str) -> String {
    format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec: {{nodeName: {node}, containers: [{{name: c, image: \"{image}\"}}]}}\n")
}

fn apply(c: &mut Cluster, yaml: &str) {
    for r in apply_text(c, yaml, "test.yaml", "default") {
        r.unwrap_or_else(|e| panic!("{e}"));
    }
}

fn phase(c: &mut Cluster, name: &str) -> String {
    match c.api().peek(Kind::Pod, "default", name).as_deref() {
        Some(Object::Pod(p)) => {
            let phase = p.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_default();
            if p.metadata.deletion_timestamp.is_some() {
                format!("{phase}, terminating")
            } else {
                phase
            }
        }
        _ => "gone".into(),
    }
}

fn writes_by(c: &Cluster, user: &str, resource: &str) -> Vec<i64> {
    let start = c.api_ref().audit_log().iter().next().map(|r| r.time).unwrap_or(c.now());
    c.api_ref()
        .audit_log()
        .iter()
        .filter(|r| r.user == user && r.resource == resource && r.verb != "get")
        .map(|r| (r.time - start).num_seconds())
        .collect()
}

#[test]
fn lease_every_10s_node_status_on_change_or_every_5_minutes() {
    let mut c = Cluster::new(ClusterConfig::default());
    c.advance(Duration::seconds(25)).unwrap();
    let Some(Object::Lease(lease)) = c.api().peek(Kind::Lease, "kube-node-lease", "node-1").as_deref().cloned() else {
        panic!("no lease")
    };
    let renewed = lease.spec.and_then(|s| s.renew_time).map(|t| t.0.to_string());
    assert_eq!(renewed.as_deref(), Some("2025-01-01T00:00:20Z"));
    c.advance(Duration::seconds(600)).unwrap();
    assert_eq!(writes_by(&c, "system:node:node-1", "leases.coordination.k8s.io").len(), 62);
    // Reported once on start, then every 5 minutes while nothing changes.
    assert_eq!(writes_by(&c, "system:node:node-1", "nodes/status"), [10, 310, 610]);
    // A pulled image changes the node's status: it is reported at the next update.
    apply(&mut c, &pod("web", "node-1", "nginx"));
    c.advance(Duration::seconds(20)).unwrap();
    assert_eq!(writes_by(&c, "system:node:node-1", "nodes/status"), [10, 310, 610, 630]);
}

#[test]
fn a_stopped_kubelet_leaves_its_pods_terminating_until_it_starts_again() {
    let mut c = Cluster::new(ClusterConfig::default());
    apply(&mut c, &pod("web", "node-1", "nginx"));
    c.advance(Duration::seconds(5)).unwrap();
    assert_eq!(phase(&mut c, "web"), "Running");
    assert_eq!(c.component_mut::<Kubelets>().map(|k| k.stop("node-1")), Some(true));
    c.api().delete("kubectl", Kind::Pod, "default", "web", DeleteOptions::default()).unwrap();
    c.advance(Duration::seconds(120)).unwrap();
    assert_eq!(phase(&mut c, "web"), "Running, terminating");
    let leases_before = writes_by(&c, "system:node:node-1", "leases.coordination.k8s.io").len();
    c.advance(Duration::seconds(60)).unwrap();
    assert_eq!(writes_by(&c, "system:node:node-1", "leases.coordination.k8s.io").len(), leases_before);
    assert_eq!(c.with_component::<Kubelets, _>(|k, ctx| k.start("node-1", ctx)), Some(true));
    c.settle().unwrap();
    assert_eq!(phase(&mut c, "web"), "gone");
}

#[test]
fn nodes_added_and_deleted_at_run_time_get_and_lose_a_kubelet() {
    let mut c = Cluster::new(ClusterConfig::default());
    try_add_node(c.api(), &NodeSpec::worker("node-4", "4", "8Gi", "110"), 4).unwrap();
    c.settle().unwrap();
    apply(&mut c, &pod("late", "node-4", "nginx:1.27"));
    c.advance(Duration::seconds(3)).unwrap();
    assert_eq!(phase(&mut c, "late"), "Running");
    let ip = match c.api().peek(Kind::Pod, "default", "late").as_deref() {
        Some(Object::Pod(p)) => p.status.as_ref().and_then(|s| s.pod_ip.clone()),
        _ => None,
    };
    assert_eq!(ip.as_deref(), Some("10.244.4.2"));
    c.api().delete("kubectl", Kind::Node, "", "node-4", DeleteOptions::default()).unwrap();
    c.settle().unwrap();
    let kubelets = c.component_mut::<Kubelets>().unwrap();
    assert!(kubelets.kubelet("node-4").is_none());
    assert_eq!(kubelets.node_names(), ["control-plane", "node-1", "node-2", "node-3"]);
}

#[test]
fn a_pod_costs_two_status_writes_and_four_events() {
    let mut c = Cluster::new(ClusterConfig::default());
    apply(&mut c, &pod("web", "node-2", "nginx"));
    c.advance(Duration::seconds(5)).unwrap();
    // Only web's writes: the add-on pods on node-2 started before it.
    let web = |r: &controlplane::apiserver::AuditRecord<'_>| r.name == "web" || r.name.starts_with("web.");
    let of_web: Vec<(String, i64)> = c
        .api_ref()
        .audit_log()
        .iter()
        .filter(|r| r.user == "system:node:node-2" && r.verb != "get")
        .filter(web)
        .map(|r| {
            (
                r.resource.to_string(),
                r.time.timestamp() - c.api_ref().audit_log().iter().next().map_or(0, |r| r.time.timestamp()),
            )
        })
        .collect();
    let status: Vec<i64> = of_web.iter().filter(|(r, _)| r == "pods/status").map(|(_, t)| *t).collect();
    assert_eq!(status, [0, 2]);
    assert_eq!(of_web.iter().filter(|(r, _)| r == "events").count(), 4);
}

#[test]
fn image_pull_time_is_set_per_cluster() {
    let mut c = Cluster::new(ClusterConfig { image_pull: Duration::seconds(30), ..Default::default() });
    apply(&mut c, &pod("web", "node-1", "nginx"));
    c.advance(Duration::seconds(29)).unwrap();
    assert_eq!(phase(&mut c, "web"), "Pending");
    c.advance(Duration::seconds(1)).unwrap();
    assert_eq!(phase(&mut c, "web"), "Running");
}

#[test]
fn absurd_annotations_and_commands_do_not_panic() {
    let mut c = Cluster::new(ClusterConfig::default());
    apply(
        &mut c,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: odd, annotations: {kubesim.io/cpu: 9E, kubesim.io/memory: 9Ei, kubesim.io/run-seconds: '99999999999', kubesim.io/exit-code: nope, kubesim.io/ready-after: '-5s', kubesim.io/crash-after: x}}\nspec: {nodeName: node-1, containers: [{name: a, image: nginx, readinessProbe: {exec: {command: [cat]}, periodSeconds: 2147483647}}, {name: b, image: busybox, command: [sleep, '99999999999999999999']}, {name: c, image: busybox, command: [sh, -c, 'exit 99999999999']}]}\n",
    );
    apply(&mut c, &pod("twin", "node-1", "nginx"));
    c.advance(Duration::seconds(30)).unwrap();
    for cmd in ["top pod", "top node", "logs odd -c b", "logs odd -c c --previous", "top pod odd --containers"] {
        let _ = controlplane::kubectl::run_line(&mut c, cmd, Default::default());
    }
    let _ = controlplane::node::trace::trace(&mut c, "default", "odd");
    assert_eq!(phase(&mut c, "odd"), "Running");
}

#[test]
fn issue_10_a_nodes_lease_goes_with_it() {
    let mut c = Cluster::new(ClusterConfig::default());
    let lease = c.api().peek(Kind::Lease, "kube-node-lease", "node-3").unwrap();
    let owner = lease.metadata().owner_references.clone().unwrap_or_default();
    let node_uid = c.api().peek(Kind::Node, "", "node-3").unwrap().metadata().uid.clone().unwrap();
    assert_eq!(
        owner
            .iter()
            .map(|r| (r.api_version.as_str(), r.kind.as_str(), r.name.as_str(), r.uid.as_str()))
            .collect::<Vec<_>>(),
        [("v1", "Node", "node-3", node_uid.as_str())]
    );
    c.api().delete("kubectl", Kind::Node, "", "node-3", DeleteOptions::default()).unwrap();
    c.settle().unwrap();
    assert!(c.api().peek(Kind::Lease, "kube-node-lease", "node-3").is_none());
    // A node of that name joins again, whole.
    let joined = controlplane::sim::bootstrap::join_node(c.api(), &NodeSpec::worker("node-3", "4", "8Gi", "110"), 3);
    assert!(joined.is_ok(), "{:?}", joined.err());
    c.advance(Duration::seconds(10)).unwrap();
    let lease = c.api().peek(Kind::Lease, "kube-node-lease", "node-3").unwrap();
    let new_uid = c.api().peek(Kind::Node, "", "node-3").unwrap().metadata().uid.clone();
    assert_eq!(
        lease.metadata().owner_references.as_ref().and_then(|o| o.first()).map(|r| Some(r.uid.clone())),
        Some(new_uid)
    );
}

#[test]
fn issue_10_a_deleted_mirror_pod_comes_back_while_its_static_pod_runs_on() {
    let mut c = Cluster::new(ClusterConfig::default());
    c.advance(Duration::seconds(30)).unwrap();
    let status = |c: &mut Cluster| {
        let Some(Object::Pod(p)) = c.api().peek(Kind::Pod, "kube-system", "etcd-control-plane").as_deref().cloned()
        else {
            return None;
        };
        let s = p.status.map(Shared::into_inner).unwrap_or_default();
        let cs = s.container_statuses.unwrap_or_default();
        Some((
            p.metadata.uid.clone().unwrap_or_default(),
            s.phase,
            cs.first().map(|c| (c.container_id.clone(), c.restart_count)),
        ))
    };
    let (old_uid, _, old_container) = status(&mut c).unwrap();
    for opts in [DeleteOptions::default(), DeleteOptions { grace_period_seconds: Some(0), ..Default::default() }] {
        c.api().delete("kubectl", Kind::Pod, "kube-system", "etcd-control-plane", opts).unwrap();
        c.settle().unwrap();
        let (uid, phase, container) = status(&mut c).expect("the mirror pod is back");
        assert_ne!(uid, old_uid);
        // The same container runs on, never restarted.
        assert_eq!((phase.as_deref(), &container), (Some("Running"), &old_container));
    }
    assert_eq!(c.now().to_rfc3339(), "2025-01-01T00:00:30+00:00");
}
