//! The DaemonSet controller on a real cluster: pods follow the nodes, revisions follow the
//! template, a rolling update keeps within maxUnavailable.

use chrono::Duration;
use serde_json::json;

use super::util::REVISION_HASH_LABEL;
use crate::model::{decode, Kind, Object};
use crate::sim::{Cluster, ClusterConfig};

const USER: &str = "test";

fn cluster(workers: usize) -> Cluster {
    Cluster::new(ClusterConfig { workers, ..Default::default() })
}

fn create_ds(c: &mut Cluster, name: &str, image: &str) {
    let ds = decode(json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": image}]}}}}))
    .unwrap();
    c.api().create(USER, "default", ds).unwrap();
}

/// (node, image, revision hash) of each live pod of `app`, by node.
fn pods(c: &mut Cluster, app: &str) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = c
        .api()
        .peek_list(Kind::Pod, Some("default"))
        .iter()
        .filter(|p| p.labels().get("app").map(String::as_str) == Some(app))
        .filter(|p| p.metadata().deletion_timestamp.is_none())
        .filter_map(|p| match &**p {
            Object::Pod(pod) => {
                let spec = pod.spec.as_deref().cloned()?;
                let hash = p.labels().get(REVISION_HASH_LABEL).cloned().unwrap_or_default();
                Some((spec.node_name.unwrap_or_default(), spec.containers[0].image.clone().unwrap_or_default(), hash))
            }
            _ => None,
        })
        .collect();
    out.sort();
    out
}

fn status(c: &mut Cluster, name: &str) -> serde_json::Value {
    c.api().peek(Kind::DaemonSet, "default", name).unwrap().to_value()["status"].clone()
}

#[test]
fn one_pod_per_worker_and_a_rolling_update() {
    let mut c = cluster(3);
    create_ds(&mut c, "agent", "nginx:1.25");
    c.advance(Duration::seconds(30)).unwrap();
    let before = pods(&mut c, "agent");
    let nodes: Vec<&str> = before.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(nodes, ["node-1", "node-2", "node-3"], "the control plane's taint is not tolerated");
    let st = status(&mut c, "agent");
    assert_eq!(st["desiredNumberScheduled"], 3);
    assert_eq!(st["numberAvailable"], 3);
    assert_eq!(st["observedGeneration"], 1);
    let revisions = c.api().peek_list(Kind::ControllerRevision, Some("default"));
    assert_eq!(revisions.len(), 1);
    assert_eq!(revisions[0].name(), format!("agent-{}", before[0].2));

    let mut ds = (*c.api().peek(Kind::DaemonSet, "default", "agent").unwrap()).clone();
    if let Object::DaemonSet(d) = &mut ds {
        d.spec.as_mut().unwrap().template.spec.as_mut().unwrap().containers[0].image = Some("nginx:1.26".into());
    }
    ds.metadata_mut().resource_version = None;
    c.api().update(USER, ds).unwrap();
    // maxUnavailable 1: never more than one node without an available pod.
    for _ in 0..120 {
        c.advance(Duration::seconds(1)).unwrap();
        let st = status(&mut c, "agent");
        let unavailable = st["numberUnavailable"].as_i64().unwrap_or(0);
        assert!(unavailable <= 1, "{st}");
    }
    let after = pods(&mut c, "agent");
    assert!(after.iter().all(|p| p.1 == "nginx:1.26"), "{after:?}");
    assert_eq!(after.len(), 3);
    let revisions = c.api().peek_list(Kind::ControllerRevision, Some("default"));
    let numbers: Vec<i64> = revisions.iter().map(|r| r.to_value()["revision"].as_i64().unwrap()).collect();
    assert_eq!(numbers.len(), 2);
    assert!(numbers.contains(&1) && numbers.contains(&2));
}

#[test]
fn with_surge_a_node_keeps_an_available_pod_throughout() {
    let mut c = cluster(3);
    create_ds(&mut c, "agent", "nginx:1.25");
    c.advance(Duration::seconds(30)).unwrap();
    let mut ds = (*c.api().peek(Kind::DaemonSet, "default", "agent").unwrap()).clone();
    if let Object::DaemonSet(d) = &mut ds {
        let spec = d.spec.as_mut().unwrap();
        spec.template.spec.as_mut().unwrap().containers[0].image = Some("nginx:1.26".into());
        let strategy: k8s_openapi::api::apps::v1::DaemonSetUpdateStrategy = serde_json::from_value(
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}),
        )
        .unwrap();
        spec.update_strategy = Some(strategy);
    }
    ds.metadata_mut().resource_version = None;
    c.api().update(USER, ds).unwrap();
    let mut most = 0;
    for _ in 0..120 {
        c.advance(Duration::seconds(1)).unwrap();
        let st = status(&mut c, "agent");
        assert_eq!(st["numberUnavailable"].as_i64().unwrap_or(0), 0, "maxUnavailable 0: {st}");
        most = most.max(pods(&mut c, "agent").len());
    }
    assert_eq!(most, 4, "one surge pod at a time");
    let after = pods(&mut c, "agent");
    assert!(after.iter().all(|p| p.1 == "nginx:1.26") && after.len() == 3, "{after:?}");
}

#[test]
fn failed_pod_back_off_doubles_to_its_maximum() {
    let mut dsc = super::DaemonSetsController::default();
    let t0 = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    assert_eq!(dsc.in_backoff("k", t0), None);
    dsc.next_backoff("k", t0);
    assert_eq!(dsc.in_backoff("k", t0), Some(Duration::seconds(1)));
    assert_eq!(dsc.in_backoff("k", t0 + Duration::seconds(1)), None);
    dsc.next_backoff("k", t0 + Duration::seconds(1));
    assert_eq!(dsc.in_backoff("k", t0 + Duration::seconds(1)), Some(Duration::seconds(2)));
    for i in 2..20 {
        dsc.next_backoff("k", t0 + Duration::seconds(i));
    }
    let last = t0 + Duration::seconds(19);
    assert_eq!(dsc.in_backoff("k", last), Some(Duration::minutes(15)));
    // Forgotten after twice the maximum without a failure.
    assert_eq!(dsc.in_backoff("k", last + Duration::minutes(31)), None);
    dsc.next_backoff("k", last + Duration::minutes(31));
    assert_eq!(dsc.in_backoff("k", last + Duration::minutes(31)), Some(Duration::seconds(1)));
}

#[test]
fn a_failed_daemon_pod_is_replaced_with_an_event() {
    let mut c = cluster(1);
    create_ds(&mut c, "agent", "nginx:1.25");
    c.advance(Duration::seconds(10)).unwrap();
    let pod = c.api().peek_list(Kind::Pod, Some("default"))[0].clone();
    let failed_name = pod.name().to_string();
    let mut failed = (*pod).clone();
    if let Object::Pod(p) = &mut failed {
        p.status.get_or_insert_with(Default::default).phase = Some("Failed".into());
    }
    failed.set_resource_version(None);
    c.api().update_status(USER, failed).unwrap();
    c.advance(Duration::seconds(10)).unwrap();
    let now = pods(&mut c, "agent");
    assert_eq!(now.len(), 1, "{now:?}");
    assert!(c.api().peek(Kind::Pod, "default", &failed_name).is_none(), "the failed pod is deleted");
    let events = c.api().peek_list(Kind::Event, Some("default"));
    let messages: Vec<String> = events
        .iter()
        .filter(|e| e.to_value()["reason"] == "FailedDaemonPod")
        .map(|e| e.to_value()["message"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        messages,
        [format!("Found failed daemon pod default/{failed_name} on node node-1, will try to kill it")]
    );
}
