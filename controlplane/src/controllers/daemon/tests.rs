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
                let spec = pod.spec.clone()?;
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
