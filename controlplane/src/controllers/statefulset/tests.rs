//! The StatefulSet controller: the naming and retention rules on their own, and the controller
//! on a real cluster (ordered creation, a failed pod recreated with the same name, start
//! ordinals, collision-free revisions, history trimmed).

use crate::model::Pod;
use chrono::Duration;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::PersistentVolumeClaim;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use serde_json::json;

use super::utils::*;
use crate::model::{decode, Kind, Object, Typed};
use crate::sim::{Cluster, ClusterConfig};

const USER: &str = "test";

fn set(value: serde_json::Value) -> StatefulSet {
    serde_json::from_value(value).unwrap()
}

fn web(replicas: i32, retention: (&str, &str)) -> StatefulSet {
    set(json!({"metadata": {"name": "web", "namespace": "default", "uid": "set-uid"},
        "spec": {"replicas": replicas, "serviceName": "nginx",
            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": retention.0, "whenScaled": retention.1},
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "www", "labels": {"tier": "data"}}}]}}))
}

fn pod(name: &str, uid: &str) -> Pod {
    serde_json::from_value(json!({"metadata": {"name": name, "namespace": "default", "uid": uid}})).unwrap()
}

#[test]
fn ordinals_come_from_the_name_as_upstreams_regex_reads_it() {
    assert_eq!(parent_and_ordinal("web-0"), (Some("web"), Some(0)));
    assert_eq!(parent_and_ordinal("my-web-12"), (Some("my-web"), Some(12)));
    assert_eq!(parent_and_ordinal("web-"), (None, None));
    assert_eq!(parent_and_ordinal("web"), (None, None));
    assert_eq!(parent_and_ordinal("web-x1"), (None, None));
    assert_eq!(parent_and_ordinal("web-99999999999"), (Some("web"), None), "past 32 bits: no ordinal");
    let s = web(3, ("Retain", "Retain"));
    assert!(is_member_of(&s, &pod("web-7", "u")));
    assert!(!is_member_of(&s, &pod("webby-1", "u")));
    assert!(in_ordinal_range(&pod("web-2", "u"), &s));
    assert!(!in_ordinal_range(&pod("web-3", "u"), &s));
}

#[test]
fn a_new_pod_has_its_identity_and_its_claims() {
    let s = web(2, ("Retain", "Retain"));
    let obj = s.clone().into_object();
    let p = new_pod(&obj, &s, 1);
    assert_eq!(p.metadata.name.as_deref(), Some("web-1"));
    assert_eq!(p.metadata.generate_name, None);
    let labels = p.metadata.labels.clone().unwrap();
    assert_eq!(labels[POD_NAME_LABEL], "web-1");
    assert_eq!(labels[POD_INDEX_LABEL], "1");
    let spec = p.spec.as_deref().cloned().unwrap();
    assert_eq!((spec.hostname.as_deref(), spec.subdomain.as_deref()), (Some("web-1"), Some("nginx")));
    assert_eq!(spec.volumes.unwrap()[0].persistent_volume_claim.as_ref().unwrap().claim_name, "www-web-1");
    assert!(identity_matches(&s, &p) && storage_matches(&s, &p));
    let claims = claims_for(&s, 1);
    let claim = &claims[0].1;
    assert_eq!(claim.metadata.name.as_deref(), Some("www-web-1"));
    let claim_labels = claim.metadata.labels.clone().unwrap();
    assert_eq!((claim_labels["app"].as_str(), claim_labels["tier"].as_str()), ("web", "data"));
}

fn owners(c: &PersistentVolumeClaim) -> Vec<(String, bool)> {
    let refs = c.metadata.owner_references.clone().unwrap_or_default();
    refs.into_iter().map(|r| (r.kind, r.controller == Some(true))).collect()
}

#[test]
fn claim_owners_follow_the_retention_policy() {
    let set_owner = Owner { api_version: "apps/v1", kind: "StatefulSet", name: "web", uid: "set-uid" };
    let check = |policy: (&str, &str), ordinal: &str, want: &[(&str, bool)]| {
        let s = web(2, policy);
        let p = pod(&format!("web-{ordinal}"), "pod-uid");
        let pod_owner = Owner { api_version: "v1", kind: "Pod", name: pod_name_of(&p), uid: "pod-uid" };
        let mut claim = PersistentVolumeClaim::default();
        assert_eq!(is_claim_owner_up_to_date(&claim, &s, &set_owner, &p, &pod_owner), want.is_empty());
        update_claim_owner_refs(&mut claim, &s, &set_owner, &p, &pod_owner);
        let want: Vec<(String, bool)> = want.iter().map(|(k, c)| (k.to_string(), *c)).collect();
        assert_eq!(owners(&claim), want, "{policy:?} web-{ordinal}");
        assert!(is_claim_owner_up_to_date(&claim, &s, &set_owner, &p, &pod_owner));
    };
    check(("Retain", "Retain"), "0", &[]);
    check(("Delete", "Retain"), "0", &[("StatefulSet", true)]);
    check(("Retain", "Delete"), "0", &[]);
    check(("Retain", "Delete"), "5", &[("Pod", true)]);
    check(("Delete", "Delete"), "1", &[("StatefulSet", true)]);
    check(("Delete", "Delete"), "2", &[("Pod", true)]);

    // A claim another controller owns, or one left by an earlier pod of the same name, is
    // not touched.
    let s = web(2, ("Delete", "Delete"));
    let p = pod("web-1", "pod-uid");
    let pod_owner = Owner { api_version: "v1", kind: "Pod", name: "web-1", uid: "pod-uid" };
    let other = OwnerReference { kind: "Other".into(), uid: "x".into(), controller: Some(true), ..Default::default() };
    let mut claim = PersistentVolumeClaim::default();
    claim.metadata.owner_references = Some(vec![other]);
    assert!(is_claim_owner_up_to_date(&claim, &s, &set_owner, &p, &pod_owner));
    let stale = OwnerReference {
        api_version: "v1".into(),
        kind: "Pod".into(),
        name: "web-1".into(),
        uid: "old".into(),
        ..Default::default()
    };
    claim.metadata.owner_references = Some(vec![stale]);
    assert!(has_stale_owner_ref(&claim, &pod_owner));
    assert!(is_claim_owner_up_to_date(&claim, &s, &set_owner, &p, &pod_owner));

    // Back to Retain/Retain: the set's reference goes, another controller's stays.
    let s = web(2, ("Retain", "Retain"));
    let mine = OwnerReference {
        api_version: "apps/v1".into(),
        kind: "StatefulSet".into(),
        name: "web".into(),
        uid: "set-uid".into(),
        controller: Some(true),
        ..Default::default()
    };
    let other = OwnerReference { kind: "Other".into(), uid: "x".into(), controller: Some(true), ..Default::default() };
    claim.metadata.owner_references = Some(vec![mine, other]);
    assert!(!is_claim_owner_up_to_date(&claim, &s, &set_owner, &p, &pod_owner));
    update_claim_owner_refs(&mut claim, &s, &set_owner, &p, &pod_owner);
    assert_eq!(owners(&claim), [("Other".to_string(), true)]);
}

fn cluster() -> Cluster {
    Cluster::new(ClusterConfig { workers: 2, ..Default::default() })
}

fn create(c: &mut Cluster, extra: serde_json::Value) {
    let mut value = json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"replicas": 3, "serviceName": "web", "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "c", "image": "nginx",
                    "readinessProbe": {"httpGet": {"path": "/", "port": 80}, "initialDelaySeconds": 5}}]}}}});
    if let (Some(spec), serde_json::Value::Object(extra)) = (value["spec"].as_object_mut(), extra) {
        spec.extend(extra);
    }
    c.api().create(USER, "default", decode(value).unwrap()).unwrap();
}

fn pod_names(c: &mut Cluster) -> Vec<String> {
    let pods = c.api().peek_list(Kind::Pod, Some("default"));
    pods.iter().filter(|p| p.labels().get("app").map(String::as_str) == Some("web")).map(|p| p.name().into()).collect()
}

fn status(c: &mut Cluster) -> serde_json::Value {
    c.api().peek(Kind::StatefulSet, "default", "web").unwrap().to_value()["status"].clone()
}

#[test]
fn ordered_ready_creates_one_pod_at_a_time() {
    let mut c = cluster();
    create(&mut c, json!({}));
    c.advance(Duration::seconds(1)).unwrap();
    assert_eq!(pod_names(&mut c), ["web-0"], "web-1 waits for web-0 to be ready");
    c.advance(Duration::seconds(60)).unwrap();
    assert_eq!(pod_names(&mut c), ["web-0", "web-1", "web-2"]);
    let st = status(&mut c);
    assert_eq!(
        (st["replicas"].clone(), st["readyReplicas"].clone(), st["availableReplicas"].clone()),
        (json!(3), json!(3), json!(3))
    );
    assert_eq!(st["currentRevision"], st["updateRevision"]);
    assert_eq!(st["observedGeneration"], 1);
}

#[test]
fn parallel_and_a_start_ordinal() {
    let mut c = cluster();
    create(&mut c, json!({"podManagementPolicy": "Parallel", "ordinals": {"start": 5}}));
    c.advance(Duration::seconds(1)).unwrap();
    assert_eq!(pod_names(&mut c), ["web-5", "web-6", "web-7"], "all at once, from the start ordinal");
}

#[test]
fn a_failed_pod_is_deleted_and_made_again_with_its_name() {
    let mut c = cluster();
    create(&mut c, json!({"replicas": 1}));
    c.advance(Duration::seconds(30)).unwrap();
    let old = c.api().peek(Kind::Pod, "default", "web-0").unwrap();
    let mut failed = (*old).clone();
    if let Object::Pod(p) = &mut failed {
        p.status.get_or_insert_with(Default::default).phase = Some("Failed".into());
    }
    failed.set_resource_version(None);
    c.api().update_status(USER, failed).unwrap();
    c.advance(Duration::seconds(30)).unwrap();
    let new = c.api().peek(Kind::Pod, "default", "web-0").unwrap();
    assert_ne!(new.metadata().uid, old.metadata().uid);
    let events = c.api().peek_list(Kind::Event, Some("default"));
    let reasons: Vec<String> =
        events.iter().map(|e| e.to_value()["reason"].as_str().unwrap_or("").to_string()).collect();
    assert!(reasons.iter().any(|r| r == "RecreatingFailedPod"), "{reasons:?}");
    let message = events
        .iter()
        .map(|e| e.to_value()["message"].clone())
        .find(|m| m.as_str().is_some_and(|m| m.starts_with("StatefulSet default/web is recreating")));
    assert_eq!(message, Some(json!("StatefulSet default/web is recreating failed Pod web-0")));
}

#[test]
fn revisions_beyond_the_history_limit_are_deleted() {
    let mut c = cluster();
    create(&mut c, json!({"replicas": 1, "revisionHistoryLimit": 1, "podManagementPolicy": "Parallel"}));
    for image in ["nginx:1", "nginx:2", "nginx:3"] {
        c.advance(Duration::seconds(20)).unwrap();
        let mut s = (*c.api().peek(Kind::StatefulSet, "default", "web").unwrap()).clone();
        if let Object::StatefulSet(s) = &mut s {
            s.spec.as_mut().unwrap().template.spec.as_mut().unwrap().containers[0].image = Some(image.into());
        }
        s.set_resource_version(None);
        c.api().update(USER, s).unwrap();
    }
    c.advance(Duration::seconds(60)).unwrap();
    let revisions = c.api().peek_list(Kind::ControllerRevision, Some("default"));
    let numbers: Vec<i64> = revisions.iter().map(|r| r.to_value()["revision"].as_i64().unwrap_or(0)).collect();
    assert_eq!(revisions.len(), 2, "the live one and one more: {numbers:?}");
    let st = status(&mut c);
    assert_eq!(st["updatedReplicas"], 1);
    assert_eq!(st["currentRevision"], st["updateRevision"]);
}
