//! The taint eviction controller (`taint-eviction-controller`): a pod on a node with a
//! NoExecute taint it does not tolerate is deleted at once; one it tolerates for a while
//! (`tolerationSeconds`, 300s for not-ready/unreachable by default) is deleted when the
//! shortest of those runs out, counted from when the controller saw the taint. The deletion
//! is an ordinary graceful one, after a `DisruptionTarget` condition is added to the pod.
//! On the controller runtime its keys are pods: a node whose NoExecute taints change enqueues
//! its pods (`handleNodeUpdate`), a pod that moves or changes tolerations enqueues itself, and a
//! scheduled deletion requeues the pod for when it is due.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use k8s_openapi::api::core::v1::{PodCondition, Taint, Toleration};

use super::informers::{node_name, Informers};
use super::runtime::{controller_user, Action, Controller};
use crate::apiserver::{k8s_time, ApiError, DeleteOptions, WatchEvent, WatchEventType};
use crate::events::{EventRecorder, EventType};
use crate::model::toleration::tolerates;
use crate::model::{Kind, Object};
use crate::sim::component::Ctx;

const NAME: &str = "taint-eviction-controller";

/// A pod's scheduled deletion: when it was first scheduled and when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Scheduled {
    created: DateTime<Utc>,
    fire: DateTime<Utc>,
}

pub struct TaintEvictionController {
    scheduled: BTreeMap<String, Scheduled>,
    recorder: EventRecorder,
    user: String,
}

impl Default for TaintEvictionController {
    fn default() -> Self {
        Self::new()
    }
}

/// A node's NoExecute taints.
fn no_execute(node: Option<&Object>) -> Vec<Taint> {
    let taints = match node {
        Some(Object::Node(n)) => n.spec.as_ref().and_then(|s| s.taints.as_ref()),
        _ => None,
    };
    taints.into_iter().flatten().filter(|t| t.effect == "NoExecute").cloned().collect()
}

fn same_taints(a: &[Taint], b: &[Taint]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(a, b)| a.key == b.key && a.value == b.value && a.effect == b.effect)
}

/// `GetMatchingTolerations` + `getMinTolerationTime`: None when some taint is not tolerated
/// (evict now); Some(None) when all are tolerated forever; Some(Some(d)) after `d`.
pub fn toleration_time(taints: &[Taint], tolerations: &[Toleration]) -> Option<Option<Duration>> {
    let mut used = Vec::new();
    for taint in taints {
        let t = tolerations.iter().find(|t| tolerates(t, taint))?;
        used.push(t);
    }
    if used.is_empty() {
        return Some(Some(Duration::zero()));
    }
    let mut min: Option<i64> = None;
    for t in used {
        if let Some(s) = t.toleration_seconds {
            if s <= 0 {
                return Some(Some(Duration::zero()));
            }
            min = Some(min.map_or(s, |m| m.min(s)));
        }
    }
    Some(min.map(Duration::seconds))
}

impl TaintEvictionController {
    pub fn new() -> Self {
        let user = controller_user("taint-eviction-controller");
        TaintEvictionController { scheduled: BTreeMap::new(), recorder: EventRecorder::new(NAME, None, &user), user }
    }

    fn pod_ref(key: &str) -> Object {
        let (ns, name) = key.split_once('/').unwrap_or(("", key));
        Object::named(Kind::Pod, Some(ns), name)
    }

    fn cancel(&mut self, ctx: &mut Ctx<'_>, key: &str) {
        if self.scheduled.remove(key).is_some() {
            let message = format!("Cancelling deletion of Pod {key}");
            self.recorder.record(
                ctx.api,
                &Self::pod_ref(key),
                None,
                EventType::Normal,
                "TaintManagerEviction",
                &message,
            );
        }
    }

    /// `processPodOnNode`.
    fn process_pod(&mut self, ctx: &mut Ctx<'_>, key: &str, tolerations: &[Toleration], taints: &[Taint]) {
        let now = ctx.now();
        if taints.is_empty() {
            self.cancel(ctx, key);
            return;
        }
        match toleration_time(taints, tolerations) {
            None => {
                self.cancel(ctx, key);
                self.schedule(ctx, key, Scheduled { created: now, fire: now });
            }
            Some(None) => self.cancel(ctx, key),
            Some(Some(d)) => {
                let mut created = now;
                if let Some(s) = self.scheduled.get(key).copied() {
                    if s.created + d < now + d {
                        return;
                    }
                    created = s.created;
                    self.cancel(ctx, key);
                }
                self.schedule(ctx, key, Scheduled { created, fire: created + d });
            }
        }
    }

    fn schedule(&mut self, ctx: &mut Ctx<'_>, key: &str, s: Scheduled) {
        self.scheduled.insert(key.to_string(), s);
        ctx.after(s.fire - ctx.now(), key);
    }

    /// The scheduled deletion of `key` is due: mark the pod and delete it.
    fn evict(&mut self, ctx: &mut Ctx<'_>, key: &str) {
        let Some(s) = self.scheduled.get(key).copied() else { return };
        if s.fire > ctx.now() {
            return;
        }
        self.scheduled.remove(key);
        let message = format!("Marking for deletion Pod {key}");
        self.recorder.record(ctx.api, &Self::pod_ref(key), None, EventType::Normal, "TaintManagerEviction", &message);
        let (ns, name) = key.split_once('/').unwrap_or(("", key));
        let Some(current) = ctx.api.peek(Kind::Pod, ns, name) else { return };
        if let Object::Pod(p) = &*current {
            let mut p = p.clone();
            let status = p.status.get_or_insert_with(Default::default);
            let conditions = status.conditions.get_or_insert_with(Vec::new);
            let wanted = PodCondition {
                type_: "DisruptionTarget".into(),
                status: "True".into(),
                reason: Some("DeletionByTaintManager".into()),
                message: Some("Taint manager: deleting due to NoExecute taint".into()),
                last_transition_time: Some(k8s_time(ctx.now())),
                ..Default::default()
            };
            match conditions.iter_mut().find(|c| c.type_ == "DisruptionTarget") {
                Some(c) if c.status == "True" && c.reason == wanted.reason => {}
                Some(c) => *c = wanted,
                None => conditions.push(wanted),
            }
            let _ = ctx.api.update_status(&self.user, Object::Pod(p));
        }
        let _ = ctx.api.delete(&self.user, Kind::Pod, ns, name, DeleteOptions::default());
    }
}

fn tolerations_of(pod: &Object) -> Option<&Vec<Toleration>> {
    match pod {
        Object::Pod(p) => p.spec.as_ref().and_then(|s| s.tolerations.as_ref()),
        _ => None,
    }
}

fn tolerations(pod: &Object) -> Vec<Toleration> {
    match pod {
        Object::Pod(p) => p.spec.as_ref().and_then(|s| s.tolerations.clone()).unwrap_or_default(),
        _ => Vec::new(),
    }
}

impl Controller for TaintEvictionController {
    fn name(&self) -> &'static str {
        NAME
    }

    fn watches(&self) -> &'static [Kind] {
        &[Kind::Node, Kind::Pod]
    }

    fn keys_for(&mut self, event: &WatchEvent, old: Option<&Object>, informers: &Informers) -> Vec<String> {
        let new = (event.event_type != WatchEventType::Deleted).then_some(&*event.object);
        match event.object.kind() {
            Kind::Node => {
                let changed = !same_taints(&no_execute(old), &no_execute(new));
                if changed || event.event_type == WatchEventType::Added {
                    informers.pods_on_node(event.object.name()).map(|p| p.key()).collect()
                } else {
                    Vec::new()
                }
            }
            Kind::Pod => {
                let changed = match (old, new) {
                    (Some(o), Some(n)) => node_name(o) != node_name(n) || tolerations_of(o) != tolerations_of(n),
                    _ => true,
                };
                if changed {
                    vec![event.object.key()]
                } else {
                    Vec::new()
                }
            }
            _ => Vec::new(),
        }
    }

    fn reconcile(&mut self, key: &str, ctx: &mut Ctx<'_>) -> Result<Action, ApiError> {
        if self.scheduled.get(key).is_some_and(|s| s.fire <= ctx.now()) {
            self.evict(ctx, key);
            return Ok(Action::AwaitChange);
        }
        let informers = ctx.informers;
        let Some(pod) = informers.get(Kind::Pod, key) else {
            self.cancel(ctx, key);
            return Ok(Action::AwaitChange);
        };
        let node = node_name(pod);
        if node.is_empty() {
            return Ok(Action::AwaitChange);
        }
        let taints = no_execute(informers.get(Kind::Node, node).map(|n| &**n));
        if taints.is_empty() {
            self.cancel(ctx, key);
        } else {
            self.process_pod(ctx, key, &tolerations(pod), &taints);
        }
        Ok(Action::AwaitChange)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taint(key: &str) -> Taint {
        Taint { key: key.into(), effect: "NoExecute".into(), ..Default::default() }
    }

    fn toleration(key: &str, seconds: Option<i64>) -> Toleration {
        Toleration {
            key: Some(key.into()),
            operator: Some("Exists".into()),
            effect: Some("NoExecute".into()),
            toleration_seconds: seconds,
            ..Default::default()
        }
    }

    #[test]
    fn the_shortest_toleration_decides() {
        let taints = [taint("node.kubernetes.io/unreachable")];
        assert_eq!(toleration_time(&taints, &[]), None);
        let tols = [
            toleration("node.kubernetes.io/unreachable", Some(300)),
            toleration("node.kubernetes.io/not-ready", Some(300)),
        ];
        assert_eq!(toleration_time(&taints, &tols), Some(Some(Duration::seconds(300))));
        assert_eq!(toleration_time(&taints, &[toleration("node.kubernetes.io/unreachable", None)]), Some(None));
        let exists = Toleration { operator: Some("Exists".into()), ..Default::default() };
        assert_eq!(toleration_time(&taints, &[exists]), Some(None));
    }
}
