//! The controller runtime and the shared informers, driven by a real cluster on the simulated
//! clock.

use std::cell::RefCell;
use std::rc::Rc;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::informers::Informers;
use super::runtime::{Action, Controller, ControllerComponent};
use crate::apiserver::{ApiError, Reason, WatchEvent};
use crate::model::{decode, Kind, Object};
use crate::sim::component::{Component, Ctx};
use crate::sim::{Cluster, ClusterConfig};

const USER: &str = "test";

/// A small cluster with no kube-controller-manager controller running.
fn cluster() -> Cluster {
    Cluster::new(ClusterConfig { workers: 0, controllers: Vec::new(), ..Default::default() })
}

type Log = Rc<RefCell<Vec<(String, DateTime<Utc>)>>>;

/// Fails its one key a number of times, succeeds once (asking to look again in 1s), then
/// fails once more and succeeds for good.
struct Flaky {
    log: Log,
    outcomes: Vec<bool>,
}

impl Controller for Flaky {
    fn name(&self) -> &'static str {
        "flaky-controller"
    }

    fn watches(&self) -> &'static [Kind] {
        &[Kind::ConfigMap]
    }

    fn keys_for(&mut self, _event: &WatchEvent, _old: Option<&Object>, _informers: &Informers) -> Vec<String> {
        Vec::new()
    }

    fn initial_keys(&self) -> Vec<String> {
        vec!["k".into()]
    }

    fn reconcile(&mut self, key: &str, ctx: &mut Ctx<'_>) -> Result<Action, ApiError> {
        self.log.borrow_mut().push((key.to_string(), ctx.now()));
        let attempt = self.log.borrow().len() - 1;
        match self.outcomes.get(attempt) {
            Some(false) => Err(ApiError::new(Reason::Conflict, "try again")),
            Some(true) if attempt == 4 => Ok(Action::RequeueAfter(Duration::seconds(1))),
            _ => Ok(Action::AwaitChange),
        }
    }
}

#[test]
fn a_failing_key_backs_off_exponentially_and_success_forgets_it() {
    let mut c = cluster();
    let log = Log::default();
    let outcomes = vec![false, false, false, false, true, false, true];
    c.add_component(Box::new(ControllerComponent::new(Flaky { log: log.clone(), outcomes })));
    let start = c.now();
    c.advance(Duration::seconds(5)).expect("advances");
    let offsets: Vec<i64> = log.borrow().iter().map(|(_, t)| (*t - start).num_milliseconds()).collect();
    // 5ms, 10ms, 20ms, 40ms; then 1s after the success; then 5ms again, the failures forgotten.
    assert_eq!(offsets, [0, 5, 15, 35, 75, 1075, 1080]);
    assert_eq!(super::runtime::backoff(0), Duration::milliseconds(5));
    assert_eq!(super::runtime::backoff(3), Duration::milliseconds(40));
    assert_eq!(super::runtime::backoff(40), Duration::seconds(1000));
}

/// Asks to be looked at again through the rate limiter, always (a stuck Deployment).
struct Stuck {
    log: Log,
}

impl Controller for Stuck {
    fn name(&self) -> &'static str {
        "stuck-controller"
    }

    fn watches(&self) -> &'static [Kind] {
        &[Kind::ConfigMap]
    }

    fn keys_for(&mut self, _event: &WatchEvent, _old: Option<&Object>, _informers: &Informers) -> Vec<String> {
        Vec::new()
    }

    fn initial_keys(&self) -> Vec<String> {
        vec!["k".into()]
    }

    fn reconcile(&mut self, key: &str, ctx: &mut Ctx<'_>) -> Result<Action, ApiError> {
        self.log.borrow_mut().push((key.to_string(), ctx.now()));
        Ok(Action::RequeueRateLimited)
    }
}

#[test]
fn a_rate_limited_requeue_passes_a_burst_of_100_then_ten_a_second() {
    let mut c = cluster();
    let log = Log::default();
    c.add_component(Box::new(ControllerComponent::new(Stuck { log: log.clone() })));
    let start = c.now();
    c.advance(Duration::seconds(10)).expect("advances");
    let offsets: Vec<i64> = log.borrow().iter().map(|(_, t)| (*t - start).num_milliseconds()).collect();
    // The burst: every 5ms (the per-item back-off, forgotten after each success).
    assert_eq!(offsets[..4], [0, 5, 10, 15]);
    // Then the bucket, refilled meanwhile a little, holds the key to about one run per 100ms.
    let late: Vec<i64> = offsets.windows(2).skip(110).map(|w| w[1] - w[0]).collect();
    assert!(late.iter().all(|d| *d == 100), "{late:?}");
    assert!((180..=200).contains(&offsets.len()), "{} runs in 10s", offsets.len());
}

/// Reconciles ReplicaSets, and owns pods.
struct Owner {
    log: Log,
}

impl Controller for Owner {
    fn name(&self) -> &'static str {
        "replicaset-controller"
    }

    fn watches(&self) -> &'static [Kind] {
        &[Kind::ReplicaSet, Kind::Pod]
    }

    fn owns(&self) -> &'static [Kind] {
        &[Kind::Pod]
    }

    fn reconcile(&mut self, key: &str, ctx: &mut Ctx<'_>) -> Result<Action, ApiError> {
        self.log.borrow_mut().push((key.to_string(), ctx.now()));
        Ok(Action::AwaitChange)
    }
}

fn decoded(value: serde_json::Value) -> Object {
    decode(value).expect("the test object decodes")
}

#[test]
fn a_change_to_an_owned_object_enqueues_its_controlling_owner() {
    let mut c = cluster();
    let log = Log::default();
    c.add_component(Box::new(ControllerComponent::new(Owner { log: log.clone() })));
    let rs = decoded(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}));
    let rs = c.api().create(USER, "default", rs).expect("the ReplicaSet is created");
    c.settle().expect("settles");
    assert_eq!(log.borrow().iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["default/web"]);
    log.borrow_mut().clear();
    let uid = rs.metadata().uid.clone().unwrap_or_default();
    for (name, controller) in [("web-1", true), ("other", false)] {
        let pod = decoded(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": {"app": "web"}, "ownerReferences": [{"apiVersion": "apps/v1",
                "kind": "ReplicaSet", "name": "web", "uid": uid, "controller": controller}]},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}}));
        c.api().create(USER, "default", pod).expect("the pod is created");
        c.settle().expect("settles");
    }
    // Only the pod it controls brought the owner back; the other names it as a plain owner.
    assert_eq!(log.borrow().iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["default/web"]);
    assert_eq!(
        c.informers().controlled_by(Kind::Pod, &uid).map(|p| p.name().to_string()).collect::<Vec<_>>(),
        ["web-1"]
    );
    // Released (no controller ref left), the pod still tells the owner it had.
    log.borrow_mut().clear();
    let pod = c.api().peek(Kind::Pod, "default", "web-1").expect("the pod exists");
    let mut released = (*pod).clone();
    released.metadata_mut().owner_references = None;
    c.api().update(USER, released).expect("the pod is released");
    c.settle().expect("settles");
    assert_eq!(log.borrow().iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["default/web"]);
    assert_eq!(c.informers().controlled_by(Kind::Pod, &uid).count(), 0);
}

/// Writes a ConfigMap on each run and checks, on the next, that its informers show that write.
struct Writer {
    last: Option<String>,
    runs: usize,
    seen_own_write: Rc<RefCell<Vec<bool>>>,
}

impl Component for Writer {
    fn name(&self) -> &str {
        "writer"
    }

    fn watches(&self) -> &[Kind] {
        &[Kind::ConfigMap]
    }

    fn on_event(&mut self, _: &WatchEvent, _: Option<&Object>, _: &Informers) {}

    fn on_timer(&mut self, _: &str) {}

    fn run(&mut self, ctx: &mut Ctx<'_>) -> bool {
        if self.runs >= 4 {
            return false;
        }
        self.runs += 1;
        let cached = ctx.informers.get(Kind::ConfigMap, "default/state");
        if let Some(last) = &self.last {
            let rv = cached.and_then(|o| o.metadata().resource_version.clone());
            self.seen_own_write.borrow_mut().push(rv.as_ref() == Some(last));
        }
        let mut cm = Object::named(Kind::ConfigMap, Some("default"), "state");
        if let Object::ConfigMap(m) = &mut cm {
            m.data = Some([("runs".to_string(), self.runs.to_string())].into());
        }
        let written = match cached {
            Some(old) => {
                cm.metadata_mut().resource_version = old.metadata().resource_version.clone();
                ctx.api.update(USER, cm)
            }
            None => ctx.api.create(USER, "default", cm),
        };
        self.last = written.ok().and_then(|o| o.metadata().resource_version.clone());
        // Run again in the next round at once: no time passes for the write to come back.
        ctx.after(Duration::zero(), "again");
        true
    }
}

#[test]
fn a_component_sees_its_own_writes_in_its_informers_before_it_runs_again() {
    let mut c = cluster();
    let seen = Rc::new(RefCell::new(Vec::new()));
    c.add_component(Box::new(Writer { last: None, runs: 0, seen_own_write: seen.clone() }));
    c.settle().expect("settles");
    assert_eq!(*seen.borrow(), [true, true, true]);
}

/// A pod bound to `node-1`, whose Node is then deleted; what is left of the pod 2m later.
fn pod_of_deleted_node(controllers: &[&str]) -> Option<std::sync::Arc<Object>> {
    let controllers = controllers.iter().map(|c| c.to_string()).collect();
    let mut c = Cluster::new(ClusterConfig { workers: 1, controllers, ..Default::default() });
    let pod = decoded(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "stranded"},
        "spec": {"nodeName": "node-1", "containers": [{"name": "c", "image": "nginx"}]}}));
    c.api().create(USER, "default", pod).expect("the pod is created");
    c.advance(Duration::seconds(10)).expect("advances");
    c.api().delete(USER, Kind::Node, "", "node-1", Default::default()).expect("the node is deleted");
    c.advance(Duration::minutes(2)).expect("advances");
    c.api().peek(Kind::Pod, "default", "stranded")
}

#[test]
fn a_controller_switched_off_does_not_run() {
    assert!(pod_of_deleted_node(&["*"]).is_none(), "pod GC deletes the pods of a deleted node");
    assert!(pod_of_deleted_node(&["*", "-podgc"]).is_some(), "without pod GC the pod stays");
    let names = |list: &[&str]| {
        let controllers = list.iter().map(|c| c.to_string()).collect();
        Cluster::empty(ClusterConfig { controllers, ..Default::default() }).component_names()
    };
    assert!(names(&["*"]).iter().any(|n| n == "pod-garbage-collector-controller"));
    let without = names(&["*", "-pod-garbage-collector-controller"]);
    assert!(!without.iter().any(|n| n == "pod-garbage-collector-controller"));
    // The API server's own controller is not kube-controller-manager's: always there.
    assert_eq!(names(&[])[0], "bootstrap-controller");
}
