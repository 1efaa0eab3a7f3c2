//! Small hand-built objects the tests of this module share, and the tests of `mod.rs` and
//! `ref_manager.rs`.

use std::sync::Arc;

use crate::model::Pod;
use chrono::{DateTime, Utc};
use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::PodTemplateSpec;
use serde_json::{json, Value};

use super::*;
use crate::apiserver::patch::merge_patch;
use crate::apiserver::{ApiServer, DeleteOptions};
use crate::model::decode::decode_one;
use crate::model::selector::LabelSelector;
use crate::model::{Kind, Object, Typed};

pub(super) const USER: &str = "system:serviceaccount:kube-system:replicaset-controller";

pub(super) fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z").unwrap().with_timezone(&Utc)
}

/// An API server with the `default` namespace and its service account.
pub(super) fn server() -> ApiServer {
    let mut api = ApiServer::new(0, t0());
    api.create("test", "", decode_one("apiVersion: v1\nkind: Namespace\nmetadata: {name: default}").unwrap()).unwrap();
    let sa = decode_one("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default}").unwrap();
    api.create("test", "default", sa).unwrap();
    api
}

fn labels_json(labels: &[(&str, &str)]) -> Value {
    Value::Object(labels.iter().map(|(k, v)| (k.to_string(), json!(v))).collect())
}

/// A pod template with `labels` and one container.
pub(super) fn template(labels: &[(&str, &str)]) -> PodTemplateSpec {
    serde_json::from_value(json!({"metadata": {"labels": labels_json(labels)},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]}}))
    .unwrap()
}

/// A ReplicaSet in `default` selecting `selector`, with that as its template's labels.
pub(super) fn rs(name: &str, uid: &str, selector: &[(&str, &str)]) -> Object {
    let doc = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": name, "namespace": "default", "uid": (!uid.is_empty()).then_some(uid)},
        "spec": {"selector": {"matchLabels": labels_json(selector)}, "template": template(selector)}});
    crate::model::decode(doc).unwrap()
}

/// A pod named and uid'd `name` in `default`, created at `t0`, changed by a merge patch.
pub(super) fn pod(name: &str, changes: Value) -> Pod {
    let mut doc = json!({"metadata": {"name": name, "namespace": "default", "uid": name,
        "creationTimestamp": "2025-01-01T00:00:00Z"}, "spec": {"containers": []}});
    merge_patch(&mut doc, &changes);
    serde_json::from_value(doc).unwrap()
}

/// The reasons of the events recorded so far, in the order they were made.
pub(super) fn events(api: &ApiServer) -> Vec<String> {
    let mut events: Vec<_> = api.peek_list(Kind::Event, Some("default"));
    events.sort_by_key(|e| e.resource_version());
    events.iter().map(|e| e.to_value()["reason"].as_str().unwrap_or("").to_string()).collect()
}

/// The pod requests `USER` made, as `verb name code`.
pub(super) fn pod_requests(api: &ApiServer) -> Vec<String> {
    let records = api.audit_log().iter().filter(|a| a.user == USER && a.resource != "events");
    records.map(|a| format!("{} {} {} {}", a.verb, a.resource, a.name, a.code)).collect()
}

#[test]
fn slow_start_batches_double_and_stop_at_the_first_failing_batch() {
    // `fail_from`: how many calls succeed before every call fails.
    let check = |count: usize, initial: usize, fail_from: usize, calls: usize, successes: usize| {
        let mut made = 0;
        let (ok, result) = slow_start_batch(count, initial, || {
            made += 1;
            if made > fail_from {
                Err(made)
            } else {
                Ok(())
            }
        });
        assert_eq!((made, ok), (calls, successes), "count {count} initial {initial} fail from {fail_from}");
        assert_eq!(result.is_err(), successes < count);
        if let Err(first) = result {
            assert_eq!(first, fail_from + 1, "the first failure is reported");
        }
    };
    check(0, SLOW_START_INITIAL_BATCH_SIZE, usize::MAX, 0, 0);
    check(10, SLOW_START_INITIAL_BATCH_SIZE, usize::MAX, 10, 10);
    // Batches of 1, 2, 4 and then the 3 left; a batch with a failure is finished, then no more.
    check(10, 1, 0, 1, 0);
    check(10, 1, 1, 3, 1);
    check(10, 1, 2, 3, 2);
    check(10, 1, 4, 7, 4);
    check(10, 1, 9, 10, 9);
    check(5, 2, 3, 5, 3);
    check(3, 5, usize::MAX, 3, 3);
}

#[test]
fn errors_read_as_upstreams() {
    let check = |e: Error, want: &str| assert_eq!(e.to_string(), want);
    check(Error::NoLabels, "unable to create pods, no labels");
    check(Error::Aggregate(vec![Error::NoLabels]), "unable to create pods, no labels");
    check(
        Error::Aggregate(vec![Error::NoLabels, Error::InvalidControllerRef("controllerRef has empty Kind")]),
        "[unable to create pods, no labels, controllerRef has empty Kind]",
    );
}

/// The cluster of the claim tests: a ReplicaSet `web` selecting `app=web`, another controller
/// `other`, and pods in every relation to `web`.
fn claim_cluster() -> (ApiServer, Arc<Object>) {
    let mut api = server();
    let web = api.create(USER, "default", rs("web", "", &[("app", "web")])).unwrap();
    let other = api.create(USER, "default", rs("other", "", &[("app", "other")])).unwrap();
    let owned_by = |owner: &Object| json!([new_controller_ref(owner)]);
    let make = |api: &mut ApiServer, name: &str, labels: &[(&str, &str)], owners: Value| {
        let doc = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": labels_json(labels), "ownerReferences": owners},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
        api.create("kubectl", "default", crate::model::decode(doc).unwrap()).unwrap();
    };
    make(&mut api, "orphan", &[("app", "web")], Value::Null);
    make(&mut api, "orphan-other-labels", &[("app", "db")], Value::Null);
    make(&mut api, "owned", &[("app", "web")], owned_by(&web));
    make(&mut api, "owned-relabelled", &[("app", "db")], owned_by(&web));
    make(&mut api, "theirs", &[("app", "web")], owned_by(&other));
    // Orphans with only a non-controller reference may be adopted too.
    let mut plain = new_controller_ref(&other);
    plain.controller = None;
    make(&mut api, "orphan-with-owner", &[("app", "web")], json!([plain]));
    // An orphan being deleted (held by a finalizer) is not adopted.
    let doc = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "orphan-deleting", "labels": {"app": "web"}, "finalizers": ["example.com/hold"]},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
    api.create("kubectl", "default", crate::model::decode(doc).unwrap()).unwrap();
    api.delete("kubectl", Kind::Pod, "default", "orphan-deleting", DeleteOptions::default()).unwrap();
    (api, web)
}

fn controller_uid(api: &ApiServer, name: &str) -> Option<String> {
    let pod = api.peek(Kind::Pod, "default", name).unwrap();
    let refs = pod.metadata().owner_references.clone().unwrap_or_default();
    refs.into_iter().find(|r| r.controller == Some(true)).map(|r| r.uid)
}

/// What `owner` claims of the pods of `default` with selector `app=web`, by name.
fn claim(api: &mut ApiServer, owner: &Object, filters: &[&dyn Fn(&Pod) -> bool]) -> Result<Vec<String>, Error> {
    let selector = LabelSelector::parse("app=web").unwrap();
    let all = api.peek_list(Kind::Pod, Some("default"));
    let typed: Vec<&Pod> = all.iter().filter_map(|o| Pod::from_object(o)).collect();
    let claimed = ControllerRefManager::new(owner, &selector, USER).claim(api, typed, filters)?;
    Ok(claimed.iter().map(|p| p.metadata.name.clone().unwrap_or_default()).collect())
}

#[test]
fn claim_adopts_matching_orphans_and_releases_what_stopped_matching() {
    let (mut api, web) = claim_cluster();
    assert_eq!(claim(&mut api, &web, &[]).unwrap(), ["orphan", "orphan-with-owner", "owned"]);

    let web_uid = web.metadata().uid.clone();
    let check = |name: &str, want: Option<&String>| assert_eq!(controller_uid(&api, name).as_ref(), want, "{name}");
    check("orphan", web_uid.as_ref());
    check("orphan-with-owner", web_uid.as_ref());
    check("owned", web_uid.as_ref());
    check("owned-relabelled", None);
    check("orphan-other-labels", None);
    check("orphan-deleting", None);
    assert_ne!(controller_uid(&api, "theirs").as_ref(), web_uid.as_ref());
    let kept = api.peek(Kind::Pod, "default", "orphan-with-owner").unwrap();
    assert_eq!(kept.metadata().owner_references.as_ref().map(Vec::len), Some(2), "other references stay");
    let released = api.peek(Kind::Pod, "default", "owned-relabelled").unwrap();
    assert_eq!(released.metadata().owner_references.as_ref().map(Vec::len).unwrap_or(0), 0);

    // One fresh read of the owner before the first adoption, then only the patches.
    assert_eq!(
        pod_requests(&api)[2..],
        [
            "get replicasets.apps web 200",
            "patch pods orphan 200",
            "patch pods orphan-with-owner 200",
            "patch pods owned-relabelled 200"
        ]
    );

    // Claiming again changes nothing and writes nothing.
    let before = pod_requests(&api).len();
    let web = api.peek(Kind::ReplicaSet, "default", "web").unwrap();
    assert_eq!(claim(&mut api, &web, &[]).unwrap().len(), 3);
    assert_eq!(pod_requests(&api).len(), before);
}

#[test]
fn filters_decide_after_the_selector() {
    let (mut api, web) = claim_cluster();
    let not_owned = |p: &Pod| p.metadata.name.as_deref() != Some("owned");
    assert_eq!(claim(&mut api, &web, &[&not_owned]).unwrap(), ["orphan", "orphan-with-owner"]);
    // A pod the filter turns down counts as not matching: it is released.
    assert_eq!(controller_uid(&api, "owned"), None);
}

#[test]
fn a_controller_being_deleted_neither_adopts_nor_releases() {
    let (mut api, web) = claim_cluster();
    let mut held = (*web).clone();
    held.metadata_mut().finalizers = Some(vec!["example.com/hold".into()]);
    api.update(USER, held).unwrap();
    let web = api.delete(USER, Kind::ReplicaSet, "default", "web", DeleteOptions::default()).unwrap();
    assert!(web.metadata().deletion_timestamp.is_some());
    assert_eq!(claim(&mut api, &web, &[]).unwrap(), ["owned"], "what it already owns it still claims");
    assert_eq!(controller_uid(&api, "orphan"), None);
    assert!(controller_uid(&api, "owned-relabelled").is_some());
}

#[test]
fn a_controller_made_again_may_not_adopt() {
    let (mut api, web) = claim_cluster();
    // The informer's copy is of an earlier `web`, with another uid.
    let mut stale = (*web).clone();
    stale.metadata_mut().uid = Some("stale-uid".into());
    let err = claim(&mut api, &stale, &[]).unwrap_err();
    let Error::Aggregate(errors) = &err else { panic!("{err:?}") };
    assert_eq!(errors.len(), 2, "{err}");
    let uid = web.metadata().uid.clone().unwrap();
    assert_eq!(
        errors[0].to_string(),
        format!("can't adopt Pod default/orphan (orphan-uid): original default/web is gone: got uid {uid}, wanted stale-uid")
            .replace("orphan-uid", api.peek(Kind::Pod, "default", "orphan").unwrap().metadata().uid.as_deref().unwrap()),
    );
    assert_eq!(controller_uid(&api, "orphan"), None);
    let gets = pod_requests(&api).iter().filter(|r| r.starts_with("get ")).count();
    assert_eq!(gets, 1, "the owner is read once per manager");
}

#[test]
fn other_kinds_are_claimed_alike() {
    // A Deployment adopts an orphan ReplicaSet its selector matches (`ClaimReplicaSets`).
    let mut api = server();
    let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": template(&[("app", "web")])}});
    let deployment = api.create(USER, "default", crate::model::decode(deployment).unwrap()).unwrap();
    let mut orphan = rs("web-1", "", &[("app", "web")]);
    orphan.metadata_mut().labels = Some([("app".to_string(), "web".to_string())].into());
    api.create("kubectl", "default", orphan).unwrap();
    api.create("kubectl", "default", rs("db-1", "", &[("app", "db")])).unwrap();
    let selector = LabelSelector::parse("app=web").unwrap();
    let all = api.peek_list(Kind::ReplicaSet, Some("default"));
    let typed: Vec<&ReplicaSet> = all.iter().filter_map(|o| ReplicaSet::from_object(o)).collect();
    let claimed = ControllerRefManager::new(&deployment, &selector, USER).claim(&mut api, typed, &[]).unwrap();
    assert_eq!(claimed.iter().map(|r| r.metadata.name.as_deref().unwrap_or("")).collect::<Vec<_>>(), ["web-1"]);
    let adopted = api.peek(Kind::ReplicaSet, "default", "web-1").unwrap();
    assert_eq!(adopted.metadata().owner_references, Some(vec![new_controller_ref(&deployment)]));
    assert_eq!(pod_requests(&api).last().map(String::as_str), Some("patch replicasets.apps web-1 200"));
}
