//! Scheduling on a small cluster: one `check` per behaviour, through the API as a user would.

use crate::client::{Client, InProcess};
use crate::model::decode::{decode, parse_documents};
use crate::model::{Kind, Object};
use crate::sim::cluster::{Cluster, ClusterConfig};

fn cluster() -> Cluster {
    Cluster::new(ClusterConfig::default())
}

fn apply(c: &mut Cluster, yaml: &str) {
    for doc in parse_documents(yaml).unwrap() {
        let obj = decode(doc).unwrap();
        let ns = if obj.info().namespaced { "default" } else { "" };
        c.api().create("test", ns, obj).unwrap();
    }
    c.settle().unwrap();
}

/// `name=node` for each pod in default, or `name=<none>: <PodScheduled message>`.
fn placements(c: &Cluster) -> Vec<String> {
    c.api_ref()
        .peek_list(Kind::Pod, Some("default"))
        .iter()
        .map(|o| {
            let Object::Pod(p) = &**o else { unreachable!() };
            let node = p.spec.as_ref().and_then(|s| s.node_name.clone());
            match node {
                Some(n) => format!("{}={n}", o.name()),
                None => {
                    let msg = p
                        .status
                        .as_ref()
                        .and_then(|s| s.conditions.as_ref())
                        .and_then(|c| c.iter().find(|c| c.type_ == "PodScheduled"))
                        .and_then(|c| c.message.clone())
                        .unwrap_or_default();
                    format!("{}=<none>: {msg}", o.name())
                }
            }
        })
        .collect()
}

fn pod(name: &str, extra: &str) -> String {
    format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels: {{app: {name}}}\nspec:\n  containers: [{{name: c, image: nginx, resources: {{requests: {{cpu: '1', memory: 1Gi}}}}}}]\n{extra}---\n")
}

fn check(yaml: &str, expect: &[&str]) {
    let mut c = cluster();
    apply(&mut c, yaml);
    assert_eq!(placements(&c), expect);
}

#[test]
fn insufficient_cpu() {
    let big = "apiVersion: v1\nkind: Pod\nmetadata: {name: big}\nspec:\n  containers: [{name: c, image: nginx, resources: {requests: {cpu: '5'}}}]\n";
    check(big, &["big=<none>: 0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 3 Insufficient cpu. preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod."]);
}

#[test]
fn node_selector() {
    check(&pod("a", "  nodeSelector: {kubernetes.io/hostname: node-2}\n"), &["a=node-2"]);
    check(
        &pod("a", "  nodeSelector: {disk: ssd}\n"),
        &["a=<none>: 0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling."],
    );
}

#[test]
fn anti_affinity_one_per_node() {
    let anti = "  affinity:\n    podAntiAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n      - labelSelector: {matchLabels: {tier: web}}\n        topologyKey: kubernetes.io/hostname\n";
    let mut yaml = String::new();
    for i in 1..=4 {
        yaml.push_str(&pod(&format!("w{i}"), anti).replace("labels: {app: w", "labels: {tier: web, app: w"));
    }
    let mut c = cluster();
    apply(&mut c, &yaml);
    let got = placements(&c);
    let mut nodes: Vec<&str> =
        got.iter().filter_map(|p| p.split_once('=').map(|(_, n)| n)).filter(|n| n.starts_with("node-")).collect();
    nodes.sort();
    assert_eq!(nodes, ["node-1", "node-2", "node-3"], "{got:?}");
    assert!(got.iter().any(|p| p.contains("3 node(s) didn't match pod anti-affinity rules")), "{got:?}");
}

#[test]
fn tolerated_taint_allows_control_plane() {
    let yaml = pod(
        "cp",
        "  nodeSelector: {node-role.kubernetes.io/control-plane: ''}\n  tolerations: [{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}]\n",
    );
    check(&yaml, &["cp=control-plane"]);
}

#[test]
fn spread_evenly_by_least_allocated() {
    let mut yaml = String::new();
    for i in 1..=6 {
        yaml.push_str(&pod(&format!("p{i}"), ""));
    }
    let mut c = cluster();
    apply(&mut c, &yaml);
    let mut per_node = std::collections::BTreeMap::new();
    for p in placements(&c) {
        *per_node.entry(p.split_once('=').unwrap().1.to_string()).or_insert(0) += 1;
    }
    assert_eq!(
        per_node.into_iter().collect::<Vec<_>>(),
        vec![("node-1".into(), 2), ("node-2".into(), 2), ("node-3".into(), 2)]
    );
}

#[test]
fn host_ports() {
    let port = "  nodeSelector: {kubernetes.io/hostname: node-1}\n  hostNetwork: false\n";
    let with_port = |name: &str| {
        pod(name, port).replace("image: nginx,", "image: nginx, ports: [{containerPort: 80, hostPort: 8080}],")
    };
    let yaml = format!("{}{}", with_port("a"), with_port("b"));
    let mut c = cluster();
    apply(&mut c, &yaml);
    let got = placements(&c);
    assert_eq!(got[0], "a=node-1");
    assert!(got[1].starts_with("b=<none>: 0/4 nodes are available: 1 node(s) didn't have free ports for the requested pod ports, 1 node(s) had untolerated taint"), "{got:?}");
}

#[test]
fn binding_conflict_and_audit() {
    let mut c = cluster();
    apply(&mut c, &pod("a", ""));
    let err = c.api().bind("someone", "default", "a", "node-1").unwrap_err();
    assert!(err.message.contains("is already assigned to node"), "{}", err.message);
    let binds: Vec<String> = c
        .api_ref()
        .audit_log()
        .iter()
        .filter(|r| r.resource == "pods/binding" && r.name == "a")
        .map(|r| format!("{} {} {}", r.user, r.verb, r.code))
        .collect();
    assert_eq!(binds, ["system:kube-scheduler create 201", "someone create 409"]);
}

/// A cluster with the PriorityClass `high` and three pods `low1..3` of 3 cpu each, without priority.
fn three_low_priority_pods() -> Cluster {
    let mut c = cluster();
    let mut yaml = String::from(
        "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: high}\nvalue: 1000\n---\n",
    );
    for i in 1..=3 {
        yaml.push_str(&pod(&format!("low{i}"), "").replace("cpu: '1'", "cpu: '3'"));
    }
    apply(&mut c, &yaml);
    c
}

#[test]
fn preemption_nominates_and_deletes_victim() {
    let mut c = three_low_priority_pods();
    apply(&mut c, &pod("vip", "  priorityClassName: high\n").replace("cpu: '1'", "cpu: '2'"));
    let vip = c.api_ref().peek(Kind::Pod, "default", "vip").unwrap();
    let Object::Pod(p) = &*vip else { unreachable!() };
    let nominated = p.status.as_ref().and_then(|s| s.nominated_node_name.clone());
    assert!(nominated.is_some(), "nominated");
    // The victim is being deleted, or already gone once its kubelet stopped it.
    let low_left = c
        .api_ref()
        .peek_list(Kind::Pod, Some("default"))
        .iter()
        .filter(|o| o.name().starts_with("low") && o.metadata().deletion_timestamp.is_none())
        .count();
    assert_eq!(low_left, 2);
}

#[test]
fn explain_recorded_and_computed_now() {
    let mut c = cluster();
    apply(&mut c, &format!("{}{}", pod("fixed", "  nodeName: node-1\n"), pod("placed", "")));
    let mut explain = |name: &str| {
        let conn = InProcess::new(&mut c, crate::client::kubectl_user());
        (&conn).scheduling("default", name, true).map(|r| r.body.unwrap_or_default()).map_err(|e| e.kubectl_message())
    };
    let text = explain("fixed").unwrap();
    assert!(text.contains("computed now against the current cluster"), "{text}");
    assert!(text.contains("Would be scheduled to: "), "{text}");
    let text = explain("placed").unwrap();
    assert!(text.contains("recorded at 2025-01-01T00:00:00Z, attempt 1"), "{text}");
    assert!(text.contains("Score (normalized score × weight):"), "{text}");
    let err = explain("nope").unwrap_err();
    assert_eq!(err, "Error from server (NotFound): pods \"nope\" not found");
}

#[test]
fn fit_message_sorts_counted_reasons() {
    use super::framework::Status;
    let statuses = [
        Status::unschedulable("Insufficient cpu"),
        Status {
            code: super::framework::Code::Unschedulable,
            reasons: vec!["Insufficient cpu".into(), "Insufficient memory".into()],
        },
        Status::unresolvable("node(s) had untolerated taint {a: b}"),
    ];
    assert_eq!(
        super::fit_message(3, &statuses),
        "0/3 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint {a: b}, 2 Insufficient cpu."
    );
}

/// The victim of a preemption, with PodDisruptionBudgets (minAvailable 1) on `protected`.
fn victim_with_budgets(protected: &[&str]) -> Vec<String> {
    let mut c = three_low_priority_pods();
    c.advance(chrono::Duration::seconds(10)).unwrap();
    for p in protected {
        apply(&mut c, &format!("apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: {p}}}\nspec:\n  minAvailable: 1\n  selector: {{matchLabels: {{app: {p}}}}}\n"));
    }
    apply(&mut c, &pod("vip", "  priorityClassName: high\n").replace("cpu: '1'", "cpu: '2'"));
    c.api_ref()
        .peek_list(Kind::Pod, Some("default"))
        .iter()
        .filter(|o| o.name().starts_with("low") && o.metadata().deletion_timestamp.is_some())
        .map(|o| o.name().to_string())
        .chain(
            c.api_ref()
                .audit_log()
                .iter()
                .filter(|r| r.resource == "pods" && r.verb == "delete" && r.user == "system:kube-scheduler")
                .map(|r| r.name.to_string()),
        )
        .take(1)
        .collect()
}

#[test]
fn preemption_spares_pods_a_disruption_budget_protects() {
    assert_eq!(victim_with_budgets(&["low1", "low2"]), ["low3"]);
    assert_eq!(victim_with_budgets(&["low2", "low3"]), ["low1"]);
    assert_eq!(victim_with_budgets(&["low1", "low3"]), ["low2"]);
}

#[test]
fn a_pod_pinned_by_node_name_fields_is_filtered_only_on_that_node() {
    let pinned = "apiVersion: v1\nkind: Pod\nmetadata: {name: pinned}\nspec:\n  affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchFields: [{key: metadata.name, operator: In, values: [node-1]}]}]}}}\n  containers: [{name: c, image: nginx, resources: {requests: {cpu: '5'}}}]\n";
    check(pinned, &["pinned=<none>: 0/4 nodes are available: 1 Insufficient cpu, 3 node(s) didn't satisfy plugin(s) [NodeAffinity]. preemption: 0/4 nodes are available: 1 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling."]);
    let conflict = "apiVersion: v1\nkind: Pod\nmetadata: {name: nowhere}\nspec:\n  affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchFields: [{key: metadata.name, operator: In, values: [node-1]}, {key: metadata.name, operator: In, values: [node-2]}]}]}}}\n  containers: [{name: c, image: nginx}]\n";
    check(conflict, &["nowhere=<none>: 0/4 nodes are available: pod affinity terms conflict."]);
}
