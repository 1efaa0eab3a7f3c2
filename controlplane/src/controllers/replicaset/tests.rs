//! The ReplicaSet and ReplicationController sync, on a cluster without workers (pods stay
//! Pending unless a test writes their status, as a kubelet would).

use chrono::Duration;
use serde_json::{json, Value};

use crate::apiserver::k8s_time;
use crate::model::{decode, Kind, Object};
use crate::sim::{Cluster, ClusterConfig};

const USER: &str = "test";

fn cluster(controllers: &[&str]) -> Cluster {
    let controllers = controllers.iter().map(|c| c.to_string()).collect();
    Cluster::new(ClusterConfig { workers: 0, controllers, ..Default::default() })
}

fn rs_doc(name: &str, replicas: i32, spec: Value) -> Value {
    let mut doc = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}});
    crate::apiserver::patch::merge_patch(&mut doc["spec"], &spec);
    doc
}

fn create(c: &mut Cluster, doc: Value) -> Object {
    let obj = decode(doc).expect("decodes");
    (*c.api().create(USER, "default", obj).expect("created")).clone()
}

fn pods(c: &mut Cluster) -> Vec<Object> {
    let mut pods: Vec<Object> = c.api().peek_list(Kind::Pod, Some("default")).iter().map(|p| (**p).clone()).collect();
    pods.sort_by(|a, b| a.name().cmp(b.name()));
    pods
}

fn status(c: &mut Cluster, kind: Kind, name: &str) -> Value {
    c.api().peek(kind, "default", name).expect("exists").to_value()["status"].clone()
}

fn owner_names(pod: &Object) -> Vec<String> {
    pod.metadata().owner_references.iter().flatten().map(|r| format!("{}/{}", r.kind, r.name)).collect()
}

fn events(c: &mut Cluster) -> Vec<String> {
    let mut events = c.api().peek_list(Kind::Event, Some("default"));
    events.sort_by_key(|e| e.resource_version());
    let v = events.iter().map(|e| e.to_value());
    v.filter(|e| e["involvedObject"]["kind"] != "Pod")
        .map(|e| {
            format!(
                "{} {} {}",
                e["source"]["component"].as_str().unwrap_or(""),
                e["reason"].as_str().unwrap_or(""),
                e["message"].as_str().unwrap_or("")
            )
        })
        .collect()
}

#[test]
fn creates_its_replicas_and_reports_them() {
    let mut c = cluster(&["replicaset-controller"]);
    create(&mut c, rs_doc("web", 3, json!({})));
    c.settle().unwrap();
    let made = pods(&mut c);
    assert_eq!(made.len(), 3);
    for p in &made {
        assert!(p.name().starts_with("web-") && p.name().len() == 9, "{}", p.name());
        assert_eq!(owner_names(p), ["ReplicaSet/web"]);
    }
    assert_eq!(
        status(&mut c, Kind::ReplicaSet, "web"),
        json!({"replicas": 3, "fullyLabeledReplicas": 3, "observedGeneration": 1})
    );
    let created: Vec<String> =
        made.iter().map(|p| format!("replicaset-controller SuccessfulCreate Created pod: {}", p.name())).collect();
    let mut seen = events(&mut c);
    seen.sort();
    assert_eq!(seen, created);
}

#[test]
fn scale_down_deletes_and_a_deleted_pod_is_replaced() {
    let mut c = cluster(&["replicaset-controller"]);
    create(&mut c, rs_doc("web", 3, json!({})));
    c.settle().unwrap();
    let first = pods(&mut c)[0].name().to_string();
    c.api().delete(USER, Kind::Pod, "default", &first, Default::default()).unwrap();
    c.settle().unwrap();
    let now: Vec<String> = pods(&mut c).iter().map(|p| p.name().to_string()).collect();
    assert_eq!(now.len(), 3);
    assert!(!now.contains(&first));
    let patch = json!({"spec": {"replicas": 1}});
    c.api().patch(USER, Kind::ReplicaSet, "default", "web", crate::apiserver::PatchType::Merge, &patch).unwrap();
    c.settle().unwrap();
    assert_eq!(pods(&mut c).len(), 1);
    assert_eq!(
        status(&mut c, Kind::ReplicaSet, "web"),
        json!({"replicas": 1, "fullyLabeledReplicas": 1, "observedGeneration": 2})
    );
    let deletes = events(&mut c).iter().filter(|e| e.contains("SuccessfulDelete Deleted pod: web-")).count();
    assert_eq!(deletes, 2);
}

#[test]
fn adopts_a_matching_orphan_and_releases_a_pod_that_stops_matching() {
    let mut c = cluster(&["replicaset-controller"]);
    create(
        &mut c,
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bare", "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]}}),
    );
    create(&mut c, rs_doc("web", 2, json!({})));
    c.settle().unwrap();
    let all = pods(&mut c);
    assert_eq!(all.len(), 2, "the orphan counts as one of the two");
    assert!(all.iter().all(|p| owner_names(p) == ["ReplicaSet/web"]));

    let patch = json!({"metadata": {"labels": {"app": "debug"}}});
    c.api().patch(USER, Kind::Pod, "default", "bare", crate::apiserver::PatchType::Merge, &patch).unwrap();
    c.settle().unwrap();
    let all = pods(&mut c);
    assert_eq!(all.len(), 3, "a replacement for the released pod");
    let bare = all.iter().find(|p| p.name() == "bare").unwrap();
    assert!(owner_names(bare).is_empty(), "released: {:?}", owner_names(bare));
    assert_eq!(all.iter().filter(|p| owner_names(p) == ["ReplicaSet/web"]).count(), 2);
}

#[test]
fn a_failed_creation_sets_replica_failure_until_a_sync_succeeds() {
    let mut c = cluster(&["replicaset-controller"]);
    let spec = json!({"template": {"spec": {"priorityClassName": "nope"}}});
    create(&mut c, rs_doc("web", 4, spec));
    c.settle().unwrap();
    assert!(pods(&mut c).is_empty());
    let s = status(&mut c, Kind::ReplicaSet, "web");
    let cond = &s["conditions"][0];
    assert_eq!(
        (cond["type"].as_str(), cond["status"].as_str(), cond["reason"].as_str()),
        (Some("ReplicaFailure"), Some("True"), Some("FailedCreate"))
    );
    // The refusal names the pod by its prefix, so the events of every retry fold into one.
    let message = cond["message"].as_str().unwrap_or("");
    assert_eq!(message, "pods \"web-\" is forbidden: no PriorityClass with name nope was found");
    let seen = events(&mut c);
    assert_eq!(seen, [format!("replicaset-controller FailedCreate Error creating: {message}")]);
    // The slow start makes one request per sync, not four; the sync is retried with back-off.
    let event = c.api().peek_list(Kind::Event, Some("default"))[0].to_value();
    let creates = c
        .api()
        .audit_log()
        .iter()
        .filter(|a| a.verb == "create" && a.resource == "pods" && a.namespace == "default")
        .count();
    assert!(creates >= 2, "retried: {creates}");
    assert_eq!(event["count"].as_u64(), Some(creates as u64));
    let patch = json!({"spec": {"replicas": 0}});
    c.api().patch(USER, Kind::ReplicaSet, "default", "web", crate::apiserver::PatchType::Merge, &patch).unwrap();
    c.settle().unwrap();
    assert_eq!(status(&mut c, Kind::ReplicaSet, "web"), json!({"replicas": 0, "observedGeneration": 2}));
}

#[test]
fn available_replicas_follow_min_ready_seconds_on_time() {
    let mut c = cluster(&["replicaset-controller"]);
    create(&mut c, rs_doc("web", 1, json!({"minReadySeconds": 10})));
    c.settle().unwrap();
    let pod = pods(&mut c).remove(0);
    let ready_at = c.now();
    let mut ready = pod.clone();
    if let Object::Pod(p) = &mut ready {
        let status = json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": k8s_time(ready_at)}]});
        p.status = Some(serde_json::from_value(status).unwrap());
    }
    c.api().update_status(USER, ready).unwrap();
    c.settle().unwrap();
    let available = |c: &mut Cluster| status(c, Kind::ReplicaSet, "web")["availableReplicas"].as_i64().unwrap_or(0);
    assert_eq!(status(&mut c, Kind::ReplicaSet, "web")["readyReplicas"], 1);
    assert_eq!(available(&mut c), 0);
    c.advance(Duration::seconds(10)).unwrap();
    assert_eq!(available(&mut c), 0, "available only once more than minReadySeconds have passed");
    c.advance(Duration::seconds(1)).unwrap();
    assert_eq!(available(&mut c), 1);
}

#[test]
fn replication_controllers_are_synced_by_their_own_controller() {
    let mut c = cluster(&["replicationcontroller-controller"]);
    create(&mut c, rs_doc("web", 1, json!({})));
    create(
        &mut c,
        json!({"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "rc"},
        "spec": {"replicas": 2, "selector": {"app": "rc"},
            "template": {"metadata": {"labels": {"app": "rc", "tier": "fe"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}),
    );
    c.settle().unwrap();
    let all = pods(&mut c);
    assert_eq!(all.len(), 2, "only the RC's pods: the ReplicaSet controller is off");
    assert!(all.iter().all(|p| owner_names(p) == ["ReplicationController/rc"] && p.name().starts_with("rc-")));
    assert_eq!(
        status(&mut c, Kind::ReplicationController, "rc"),
        json!({"replicas": 2, "fullyLabeledReplicas": 2, "observedGeneration": 1})
    );
    assert!(events(&mut c).iter().all(|e| e.starts_with("replication-controller SuccessfulCreate Created pod: rc-")));
}
