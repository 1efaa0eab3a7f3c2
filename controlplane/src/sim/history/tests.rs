use chrono::Duration;

use super::*;
use crate::kubectl::apply::apply_text;
use crate::model::decode::decode_one;
use crate::sim::clock::{epoch, go_duration};
use crate::sim::{Cluster, ClusterConfig};

/// A series as lines `TIME FIELD VALUE`, times from the epoch.
fn lines(h: &History, kind: Kind, namespace: &str, name: &str) -> String {
    let Some(series) = h.series(kind, namespace, name) else { return "(none)".into() };
    let line = |p: &Point| format!("{} {} {}", go_duration(p.at - epoch()), p.field.name(), h.value_text(p.value));
    series.points().iter().map(line).collect::<Vec<_>>().join("\n")
}

fn check(h: &History, kind: Kind, namespace: &str, name: &str, expect: &str) {
    let got = lines(h, kind, namespace, name);
    assert_eq!(got, expect.trim(), "history of {kind:?} {namespace}/{name}:\n{got}");
}

fn obj(yaml: &str) -> Object {
    decode_one(yaml).expect("the test object decodes")
}

fn at(secs: i64) -> DateTime<Utc> {
    epoch() + Duration::seconds(secs)
}

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: default}\nspec: {containers: [{name: c, image: nginx}]}\n";

fn pod_with(status: &str, node: Option<&str>, deleting: bool) -> Object {
    let node = node.map(|n| format!("nodeName: {n}, ")).unwrap_or_default();
    let deletion = if deleting { ", deletionTimestamp: '2025-01-01T00:00:00Z'" } else { "" };
    obj(&format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: web, namespace: default{deletion}}}\nspec: {{{node}containers: [{{name: c, image: nginx}}]}}\nstatus: {status}\n"
    ))
}

#[test]
fn a_field_is_recorded_only_when_it_changes() {
    let mut h = History::default();
    h.written(at(0), &obj(POD));
    h.written(at(1), &obj(POD));
    h.written(at(2), &pod_with("{phase: Pending}", Some("node-1"), false));
    h.written(at(5), &pod_with("{phase: Running, conditions: [{type: Ready, status: 'True'}]}", Some("node-1"), false));
    h.written(at(6), &pod_with("{phase: Running, conditions: [{type: Ready, status: 'True'}]}", Some("node-1"), false));
    h.written(
        at(9),
        &pod_with(
            "{phase: Running, containerStatuses: [{name: c, image: nginx, imageID: '', ready: false, restartCount: 2}]}",
            Some("node-1"),
            false,
        ),
    );
    // A value going back (status rewritten without container statuses) is a change too.
    h.written(at(12), &pod_with("{phase: Running}", Some("node-1"), true));
    h.deleted(at(40), &pod_with("{phase: Running}", Some("node-1"), true));
    check(
        &h,
        Kind::Pod,
        "default",
        "web",
        "
0s object created
0s phase Pending
0s ready false
0s restarts 0
0s node <none>
2s node node-1
5s phase Running
5s ready true
9s ready false
9s restarts 2
12s phase Terminating
12s restarts 0
40s object deleted",
    );
}

#[test]
fn a_deleted_object_made_again_continues_its_series() {
    let mut h = History::default();
    let cm_rs = |replicas: i32| {
        obj(&format!(
            "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {{name: web-1, namespace: default, ownerReferences: [{{apiVersion: apps/v1, kind: Deployment, name: web, uid: u1, controller: true}}]}}\nspec: {{replicas: {replicas}, selector: {{matchLabels: {{a: b}}}}, template: {{metadata: {{labels: {{a: b}}}}, spec: {{containers: [{{name: c, image: nginx}}]}}}}}}\nstatus: {{replicas: {replicas}}}\n"
        ))
    };
    h.written(at(0), &cm_rs(1));
    h.written(at(3), &cm_rs(3));
    h.deleted(at(4), &cm_rs(3));
    h.written(at(7), &cm_rs(3));
    check(
        &h,
        Kind::ReplicaSet,
        "default",
        "web-1",
        "
0s object created
0s spec.replicas 1
0s status.replicas 1
0s status.readyReplicas 0
0s status.availableReplicas 0
3s spec.replicas 3
3s status.replicas 3
4s object deleted
7s object created
7s spec.replicas 3
7s status.replicas 3
7s status.readyReplicas 0
7s status.availableReplicas 0",
    );
    let owned: Vec<&str> = h.owned_by(Kind::ReplicaSet, "default", "Deployment", "web").map(|(n, _)| n).collect();
    assert_eq!(owned, ["web-1"]);
    assert_eq!(h.owned_by(Kind::ReplicaSet, "default", "Deployment", "api").count(), 0);
}

#[test]
fn a_node_counts_the_pods_bound_to_it() {
    let mut h = History::default();
    // A pod bound before its node is known is counted when the node appears.
    h.written(at(0), &pod_with("{phase: Pending}", Some("n1"), false));
    h.written(
        at(1),
        &obj(
            "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nstatus: {conditions: [{type: Ready, status: 'True'}]}\n",
        ),
    );
    h.deleted(at(2), &pod_with("{phase: Pending}", Some("n1"), false));
    h.written(at(3), &obj("apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nspec: {unschedulable: true}\nstatus: {conditions: [{type: Ready, status: Unknown}]}\n"));
    h.written(at(4), &obj("apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nspec: {unschedulable: true}\n"));
    check(
        &h,
        Kind::Node,
        "",
        "n1",
        "
1s object created
1s Ready True
1s unschedulable false
1s pods 1
2s pods 0
3s Ready Unknown
3s unschedulable true",
    );
}

#[test]
fn kinds_without_a_history_are_not_recorded() {
    let mut h = History::default();
    h.written(at(0), &obj("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\n"));
    assert!(!History::records(Kind::ConfigMap));
    assert!(History::records(Kind::Job));
    assert_eq!(h.points(), 0);
}

#[test]
fn the_cluster_records_with_simulated_time() {
    let mut c = Cluster::new(ClusterConfig::default());
    c.advance(Duration::seconds(30)).unwrap();
    let job = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: once}\nspec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox, command: [sleep, '5']}]}}}\n";
    apply_text(&mut c, job, "job.yaml", "default");
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: short}\nspec: {restartPolicy: Never, containers: [{name: c, image: busybox, command: [sleep, '5']}]}\n";
    apply_text(&mut c, pod, "pod.yaml", "default");
    c.advance(Duration::seconds(20)).unwrap();
    let h = c.history().expect("the cluster records histories");
    // The Job controller's pod runs at once; it is counted a second after it ends (the
    // controller's batch period).
    check(
        h,
        Kind::Job,
        "default",
        "once",
        "30s object created\n30s status.active 1\n30s status.succeeded 0\n30s status.failed 0\n38s status.active 0\n38s status.succeeded 1",
    );
    let got = lines(h, Kind::Pod, "default", "short");
    assert!(got.starts_with("30s object created\n30s phase Pending"), "{got}");
    assert!(got.contains("phase Running") && got.contains("phase Succeeded"), "{got}");
    let node = h
        .series(Kind::Pod, "default", "short")
        .and_then(|s| s.points().iter().find(|p| p.field == Field::Node && p.value != Value::Node(None)));
    assert!(node.is_some(), "the scheduler's binding is recorded:\n{got}");
    // Every node of the default cluster is Ready from the start.
    for n in ["control-plane", "node-1", "node-2", "node-3"] {
        let s = h.series(Kind::Node, "", n).expect("a node's series");
        assert!(
            s.points().iter().any(|p| p.at == epoch() && p.value == Value::Condition(ConditionStatus::True)),
            "{n}"
        );
    }
}

#[test]
fn writes_since_the_last_moment_are_recorded_at_the_current_time() {
    let mut c = Cluster::new(ClusterConfig::default());
    c.advance(Duration::seconds(90)).unwrap();
    c.api().create("test", "default", obj(POD)).unwrap();
    let h = c.history().expect("the cluster records histories");
    assert_eq!(h.series(Kind::Pod, "default", "web").and_then(Series::start), Some(at(90)));
}

#[test]
fn writes_at_one_moment_make_one_change() {
    let mut h = History::default();
    let node = |ready: &str| {
        obj(&format!("apiVersion: v1\nkind: Node\nmetadata: {{name: n1}}\nstatus: {{conditions: [{{type: Ready, status: '{ready}'}}]}}\n"))
    };
    // Registered without conditions, then reported Ready, at one moment.
    h.written(at(0), &obj("apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n"));
    h.written(at(0), &node("True"));
    // False and back within a moment: no change at all.
    h.written(at(5), &node("False"));
    h.written(at(5), &node("True"));
    h.written(at(9), &node("False"));
    h.written(at(9), &node("Unknown"));
    check(
        &h,
        Kind::Node,
        "",
        "n1",
        "0s object created\n0s Ready True\n0s unschedulable false\n0s pods 0\n9s Ready Unknown",
    );
    // Deleted and made again at one moment: both lives keep their points.
    h.deleted(at(9), &node("Unknown"));
    h.written(at(9), &node("True"));
    let got = lines(&h, Kind::Node, "", "n1");
    assert!(
        got.ends_with(
            "9s Ready Unknown\n9s object deleted\n9s object created\n9s Ready True\n9s unschedulable false\n9s pods 0"
        ),
        "{got}"
    );
}

fn restarted(n: i32) -> Object {
    pod_with(
        &format!("{{phase: Running, containerStatuses: [{{name: c, image: nginx, imageID: '', ready: false, restartCount: {n}}}]}}"),
        Some("node-1"),
        false,
    )
}

#[test]
fn issue_10_a_long_crashloop_keeps_a_bounded_history_that_still_tells_the_state() {
    let mut h = History::default();
    h.written(at(0), &obj(POD));
    for n in 1..=20_000 {
        h.written(at(i64::from(n) * 300), &restarted(n));
    }
    let series = h.series(Kind::Pod, "default", "web").expect("the pod's series");
    assert!(series.points().len() <= MAX_POINTS, "{} points", series.points().len());
    assert!(series.forgotten() > 10_000, "{} forgotten", series.forgotten());
    // The first points kept are the state the forgotten ones led to, at one moment.
    let first = series.points()[0];
    let summary: Vec<&Point> = series.points().iter().take_while(|p| p.at == first.at).collect();
    let phase = summary.iter().find(|p| p.field == Field::Phase).map(|p| h.value_text(p.value));
    assert_eq!(phase.as_deref(), Some("Running"));
    assert!(summary.iter().any(|p| p.field == Field::Node && h.value_text(p.value) == "node-1"));
    let last = series.points().last().expect("a last point");
    assert_eq!((last.field, h.value_text(last.value)), (Field::Restarts, "20000".to_string()));
}

#[test]
fn issue_10_only_the_latest_deleted_objects_keep_their_series() {
    let mut h = History::default();
    let pod = |name: &str| {
        obj(&format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: default}}\nspec: {{containers: [{{name: c, image: nginx}}]}}\n"
        ))
    };
    let total = MAX_DELETED + 50;
    for i in 0..total {
        let p = pod(&format!("p{i}"));
        h.written(at(i as i64), &p);
        h.deleted(at(i as i64 + 1), &p);
    }
    assert!(h.series(Kind::Pod, "default", "p0").is_none(), "the first deleted pod's series is gone");
    assert!(h.series(Kind::Pod, "default", &format!("p{}", total - 1)).is_some());
    // A deleted name made again keeps its series while it lives.
    let again = pod("p60");
    h.written(at(100_000), &again);
    for i in 0..100 {
        let p = pod(&format!("q{i}"));
        h.written(at(100_001), &p);
        h.deleted(at(100_002), &p);
    }
    assert!(h.series(Kind::Pod, "default", "p60").is_some_and(Series::exists));
}
