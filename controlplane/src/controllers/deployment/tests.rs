//! The Deployment controller alone (no ReplicaSet controller): the ReplicaSets it makes and
//! scales, with their status written by hand as the ReplicaSet controller would.

use chrono::Duration;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::json;

use super::util::{self, resolve_fenceposts};
use crate::model::{decode, Kind, Object};
use crate::sim::{Cluster, ClusterConfig};

const USER: &str = "test";

fn cluster() -> Cluster {
    let controllers = vec!["deployment-controller".to_string()];
    Cluster::new(ClusterConfig { workers: 0, controllers, ..Default::default() })
}

fn deployment(c: &mut Cluster, replicas: i32, image: &str, strategy: serde_json::Value) {
    let d = decode(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}}, "strategy": strategy,
            "template": {"metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "c", "image": image}]}}}}))
    .expect("decodes");
    c.api().create(USER, "default", d).expect("created");
    c.settle().expect("settles");
}

fn get_d(c: &mut Cluster) -> Deployment {
    match &*c.api().get(USER, Kind::Deployment, "default", "web").expect("exists") {
        Object::Deployment(d) => (**d).clone(),
        _ => unreachable!(),
    }
}

fn modify_d(c: &mut Cluster, f: impl FnOnce(&mut Deployment)) {
    let mut d = get_d(c);
    f(&mut d);
    c.api().update(USER, Object::Deployment(Box::new(d))).expect("updated");
    c.settle().expect("settles");
}

/// The ReplicaSets by revision: (name, replicas, revision).
fn rss(c: &mut Cluster) -> Vec<ReplicaSet> {
    let mut out: Vec<ReplicaSet> =
        c.api().peek_list(Kind::ReplicaSet, Some("default")).iter().filter_map(|o| super::as_rs(o).cloned()).collect();
    out.sort_by_key(util::revision);
    out
}

fn sizes(c: &mut Cluster) -> Vec<(i64, i32)> {
    rss(c).iter().map(|rs| (util::revision(rs), util::rs_replicas(rs))).collect()
}

/// Play the ReplicaSet controller: every ReplicaSet has its replicas, `available` of the
/// newest available (all of the others).
fn fill_status(c: &mut Cluster, new_available: Option<i32>) {
    let all = rss(c);
    let newest = all.last().and_then(|rs| rs.metadata.name.clone());
    for mut rs in all {
        let n = util::rs_replicas(&rs);
        let available = match new_available {
            Some(a) if rs.metadata.name == newest => a.min(n),
            _ => n,
        };
        let status = rs.status.get_or_insert_with(Default::default);
        status.replicas = n;
        status.ready_replicas = Some(available);
        status.available_replicas = Some(available);
        status.observed_generation = rs.metadata.generation;
        c.api().update_status(USER, Object::ReplicaSet(Box::new(rs))).expect("status written");
    }
    c.settle().expect("settles");
}

fn events(c: &mut Cluster) -> Vec<String> {
    let mut evs: Vec<(String, String)> = c
        .api()
        .peek_list(Kind::Event, Some("default"))
        .iter()
        .filter_map(|o| match &**o {
            Object::Event(e) => Some((
                e.metadata.name.clone().unwrap_or_default(),
                e.message.as_deref().unwrap_or_default().to_string(),
            )),
            _ => None,
        })
        .collect();
    evs.sort();
    evs.into_iter().map(|(_, m)| m).collect()
}

fn condition(d: &Deployment, type_: &str) -> (String, String) {
    let status = d.status.clone().unwrap_or_default();
    let c = util::condition(&status, type_).cloned().unwrap_or_default();
    (c.status, c.reason.unwrap_or_default())
}

#[test]
fn a_new_deployment_gets_a_replica_set_named_by_its_template_hash() {
    let mut c = cluster();
    deployment(&mut c, 3, "nginx:1.27", json!({}));
    let all = rss(&mut c);
    assert_eq!(all.len(), 1);
    let rs = &all[0];
    let hash = rs.metadata.labels.as_ref().and_then(|l| l.get("pod-template-hash")).cloned().expect("hash label");
    assert_eq!(rs.metadata.name.as_deref(), Some(format!("web-{hash}").as_str()));
    let spec = rs.spec.clone().expect("spec");
    assert_eq!(spec.replicas, Some(3));
    assert_eq!(spec.selector.match_labels.as_ref().and_then(|l| l.get("pod-template-hash")), Some(&hash));
    let annotations = rs.metadata.annotations.clone().unwrap_or_default();
    assert_eq!(annotations.get(util::REVISION).map(String::as_str), Some("1"));
    assert_eq!(annotations.get(util::DESIRED_REPLICAS).map(String::as_str), Some("3"));
    assert_eq!(annotations.get(util::MAX_REPLICAS).map(String::as_str), Some("4"));
    let d = get_d(&mut c);
    assert_eq!(d.metadata.annotations.unwrap_or_default().get(util::REVISION).map(String::as_str), Some("1"));
    assert_eq!(d.metadata.generation, Some(1), "the revision annotation is written with the status");
    assert_eq!(events(&mut c), [format!("Scaled up replica set web-{hash} from 0 to 3")]);
    let d = get_d(&mut c);
    assert_eq!(condition(&d, "Progressing"), ("True".into(), "NewReplicaSetCreated".into()));
    assert_eq!(condition(&d, "Available"), ("False".into(), "MinimumReplicasUnavailable".into()));

    fill_status(&mut c, None);
    let d = get_d(&mut c);
    let st = d.status.clone().unwrap_or_default();
    assert_eq!((st.replicas, st.updated_replicas, st.available_replicas), (Some(3), Some(3), Some(3)));
    assert_eq!(condition(&d, "Progressing"), ("True".into(), "NewReplicaSetAvailable".into()));
    assert_eq!(condition(&d, "Available"), ("True".into(), "MinimumReplicasAvailable".into()));
}

#[test]
fn a_rolling_update_stays_within_surge_and_unavailability() {
    let mut c = cluster();
    let strategy = json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}});
    deployment(&mut c, 3, "nginx:1.27", strategy);
    fill_status(&mut c, None);
    modify_d(&mut c, |d| {
        d.spec.as_mut().unwrap().template.spec.as_mut().unwrap().containers[0].image = Some("nginx:1.28".into())
    });
    // One surge pod; no old one goes until it is available.
    assert_eq!(sizes(&mut c), [(1, 3), (2, 1)]);
    fill_status(&mut c, Some(0));
    assert_eq!(sizes(&mut c), [(1, 3), (2, 1)]);
    let d = get_d(&mut c);
    assert_eq!(condition(&d, "Progressing"), ("True".into(), "ReplicaSetUpdated".into()));
    // Each step: an old replica goes once a new one is available, and a new one comes in its
    // place, in the same round.
    for step in [[(1, 2), (2, 2)], [(1, 1), (2, 3)], [(1, 0), (2, 3)]] {
        fill_status(&mut c, None);
        assert_eq!(sizes(&mut c), step);
    }
    fill_status(&mut c, None);
    let d = get_d(&mut c);
    assert_eq!(condition(&d, "Progressing"), ("True".into(), "NewReplicaSetAvailable".into()));
    assert_eq!(d.metadata.annotations.unwrap_or_default().get(util::REVISION).map(String::as_str), Some("2"));
}

#[test]
fn recreate_scales_the_old_down_before_the_new_up() {
    let mut c = cluster();
    deployment(&mut c, 2, "nginx:1.27", json!({"type": "Recreate"}));
    fill_status(&mut c, None);
    modify_d(&mut c, |d| {
        d.spec.as_mut().unwrap().template.spec.as_mut().unwrap().containers[0].image = Some("nginx:1.28".into())
    });
    // The old ReplicaSet still reports its replicas: no new ReplicaSet yet.
    assert_eq!(sizes(&mut c), [(1, 0)]);
    fill_status(&mut c, None);
    assert_eq!(sizes(&mut c), [(1, 0), (2, 2)]);
}

#[test]
fn scaling_mid_rollout_is_proportional() {
    let mut c = cluster();
    let strategy = json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 3, "maxUnavailable": 2}});
    deployment(&mut c, 10, "nginx:1.27", strategy);
    fill_status(&mut c, None);
    modify_d(&mut c, |d| {
        d.spec.as_mut().unwrap().template.spec.as_mut().unwrap().containers[0].image = Some("bad:1".into())
    });
    // 13 allowed: the new one gets 3, the old one goes to 8 (2 unavailable).
    assert_eq!(sizes(&mut c), [(1, 8), (2, 5)]);
    fill_status(&mut c, Some(0));
    assert_eq!(sizes(&mut c), [(1, 8), (2, 5)]);
    modify_d(&mut c, |d| d.spec.as_mut().unwrap().replicas = Some(15));
    // 18 allowed, 13 there: 5 more, spread 8:5 over 13 -> 3 and 2.
    assert_eq!(sizes(&mut c), [(1, 11), (2, 7)]);
    let annotations = rss(&mut c)[0].metadata.annotations.clone().unwrap_or_default();
    assert_eq!(annotations.get(util::DESIRED_REPLICAS).map(String::as_str), Some("15"));
}

#[test]
fn paused_deployments_do_not_roll_out_but_scale() {
    let mut c = cluster();
    deployment(&mut c, 2, "nginx:1.27", json!({}));
    fill_status(&mut c, None);
    modify_d(&mut c, |d| d.spec.as_mut().unwrap().paused = Some(true));
    assert_eq!(condition(&get_d(&mut c), "Progressing"), ("Unknown".into(), "DeploymentPaused".into()));
    modify_d(&mut c, |d| {
        d.spec.as_mut().unwrap().template.spec.as_mut().unwrap().containers[0].image = Some("nginx:1.28".into())
    });
    assert_eq!(sizes(&mut c), [(1, 2)]);
    modify_d(&mut c, |d| d.spec.as_mut().unwrap().replicas = Some(4));
    assert_eq!(sizes(&mut c), [(1, 4)]);
    fill_status(&mut c, None);
    modify_d(&mut c, |d| d.spec.as_mut().unwrap().paused = None);
    assert_eq!(condition(&get_d(&mut c), "Progressing"), ("True".into(), "NewReplicaSetCreated".into()));
    // 4 replicas: surge 1, unavailable 1.
    assert_eq!(sizes(&mut c), [(1, 3), (2, 2)]);
}

#[test]
fn a_stuck_rollout_exceeds_its_progress_deadline() {
    let mut c = cluster();
    deployment(&mut c, 1, "nginx:1.27", json!({}));
    modify_d(&mut c, |d| d.spec.as_mut().unwrap().progress_deadline_seconds = Some(30));
    c.advance(Duration::seconds(29)).expect("advances");
    assert_eq!(condition(&get_d(&mut c), "Progressing"), ("True".into(), "NewReplicaSetCreated".into()));
    c.advance(Duration::seconds(3)).expect("advances");
    assert_eq!(condition(&get_d(&mut c), "Progressing"), ("False".into(), "ProgressDeadlineExceeded".into()));
}

#[test]
fn old_replica_sets_past_the_history_limit_are_deleted() {
    let mut c = cluster();
    deployment(&mut c, 1, "img:0", json!({}));
    modify_d(&mut c, |d| d.spec.as_mut().unwrap().revision_history_limit = Some(1));
    for i in 1..4 {
        fill_status(&mut c, None);
        modify_d(&mut c, |d| {
            d.spec.as_mut().unwrap().template.spec.as_mut().unwrap().containers[0].image = Some(format!("img:{i}"))
        });
        for _ in 0..4 {
            fill_status(&mut c, None);
        }
    }
    assert_eq!(sizes(&mut c), [(3, 0), (4, 1)]);
}

#[test]
fn fenceposts_round_surge_up_and_unavailability_down() {
    let pct = |s: &str| IntOrString::String(s.into());
    assert_eq!(resolve_fenceposts(Some(&pct("25%")), Some(&pct("25%")), 3), Ok((1, 0)));
    assert_eq!(resolve_fenceposts(Some(&pct("25%")), Some(&pct("25%")), 10), Ok((3, 2)));
    assert_eq!(resolve_fenceposts(Some(&IntOrString::Int(0)), Some(&pct("10%")), 5), Ok((0, 1)));
    assert!(resolve_fenceposts(Some(&pct("x")), None, 5).is_err());
}

/// `equal_ignore_hash` answers as the JSON comparison does (Go's semantic equality), in the
/// cases its typed shortcuts decide and in those left to JSON.
#[test]
fn equal_ignore_hash_agrees_with_semantic_equality() {
    use k8s_openapi::api::core::v1::PodTemplateSpec;
    let t = |v: serde_json::Value| -> PodTemplateSpec { serde_json::from_value(v).expect("a template") };
    let base =
        json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
    let cases = [
        // Only the hash label differs.
        (
            json!({"metadata": {"labels": {"app": "web", "pod-template-hash": "abc"}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}}),
            true,
        ),
        // Another image, another container name, another container count.
        (
            json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx:2"}]}}),
            false,
        ),
        (
            json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "d", "image": "nginx"}]}}),
            false,
        ),
        (
            json!({"metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}, {"name": "d", "image": "nginx"}]}}),
            false,
        ),
        // An empty list is the same as none (left to JSON).
        (
            json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx", "env": []}]}}),
            true,
        ),
        // Another label, an annotation, another field.
        (
            json!({"metadata": {"labels": {"app": "web", "tier": "x"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}),
            false,
        ),
        (
            json!({"metadata": {"labels": {"app": "web"}, "annotations": {"a": "b"}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}}),
            false,
        ),
        (
            json!({"metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "c", "image": "nginx", "args": ["x"]}]}}),
            false,
        ),
    ];
    let base = t(base);
    for (other, want) in cases {
        let other = t(other);
        assert_eq!(util::equal_ignore_hash(&base, &other), want, "{other:?}");
        assert_eq!(util::equal_ignore_hash(&other, &base), want, "{other:?}");
    }
    // No metadata at all is the same as empty metadata.
    let bare = t(json!({"spec": {"containers": [{"name": "c", "image": "nginx"}]}}));
    let empty = t(json!({"metadata": {}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}));
    assert!(util::equal_ignore_hash(&bare, &empty));
}
