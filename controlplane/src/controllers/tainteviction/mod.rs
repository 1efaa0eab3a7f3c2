//! The taint eviction controller (`taint-eviction-controller`): a pod on a node with a
//! NoExecute taint it does not tolerate is deleted at once; one it tolerates for a while
//! (`tolerationSeconds`, 300s for not-ready/unreachable by default) is deleted when the
//! shortest of those runs out, counted from when the controller saw the taint. The deletion
//! is an ordinary graceful one, after a `DisruptionTarget` condition is added to the pod.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use k8s_openapi::api::core::v1::{PodCondition, Taint, Toleration};

use super::informers::node_name;
use super::runtime::controller_user;
use crate::apiserver::{k8s_time, DeleteOptions, WatchEvent, WatchEventType};
use crate::events::{EventRecorder, EventType};
use crate::model::toleration::tolerates;
use crate::model::{Kind, Object};
use crate::sim::component::{Component, Ctx};

const NAME: &str = "taint-eviction-controller";

/// A pod's scheduled deletion: when it was first scheduled and when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Scheduled {
    created: DateTime<Utc>,
    fire: DateTime<Utc>,
}

pub struct TaintEvictionController {
    /// node → its NoExecute taints, for tainted nodes only.
    tainted: BTreeMap<String, Vec<Taint>>,
    scheduled: BTreeMap<String, Scheduled>,
    /// Nodes and pods to look at again.
    dirty_nodes: Vec<String>,
    dirty_pods: Vec<(String, String)>,
    due: Vec<String>,
    recorder: EventRecorder,
    user: String,
}

impl Default for TaintEvictionController {
    fn default() -> Self {
        Self::new()
    }
}

fn no_execute(taints: Option<&Vec<Taint>>) -> Vec<Taint> {
    taints.into_iter().flatten().filter(|t| t.effect == "NoExecute").cloned().collect()
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
        TaintEvictionController {
            tainted: BTreeMap::new(),
            scheduled: BTreeMap::new(),
            dirty_nodes: Vec::new(),
            dirty_pods: Vec::new(),
            due: Vec::new(),
            recorder: EventRecorder::new(NAME, None, &user),
            user,
        }
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

    fn handle_node(&mut self, ctx: &mut Ctx<'_>, node: &str) {
        let pods: Vec<Arc<Object>> = ctx.informers.pods_on_node(node).cloned().collect();
        let taints = self.tainted.get(node).cloned().unwrap_or_default();
        for pod in pods {
            let key = pod.key();
            if taints.is_empty() {
                self.cancel(ctx, &key);
            } else {
                self.process_pod(ctx, &key, &tolerations(&pod), &taints);
            }
        }
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

impl Component for TaintEvictionController {
    fn name(&self) -> &str {
        NAME
    }

    fn watches(&self) -> &[Kind] {
        &[Kind::Node, Kind::Pod]
    }

    fn on_event(&mut self, event: &WatchEvent, old: Option<&Object>, _: &super::Informers) {
        match event.object.kind() {
            Kind::Node => {
                let name = event.object.name().to_string();
                let taints = match (&*event.object, event.event_type) {
                    (_, WatchEventType::Deleted) => Vec::new(),
                    (Object::Node(n), _) => no_execute(n.spec.as_ref().and_then(|s| s.taints.as_ref())),
                    _ => Vec::new(),
                };
                let old = self.tainted.get(&name).cloned().unwrap_or_default();
                if taints.is_empty() {
                    self.tainted.remove(&name);
                } else {
                    self.tainted.insert(name.clone(), taints.clone());
                }
                let same = old.len() == taints.len()
                    && old
                        .iter()
                        .zip(&taints)
                        .all(|(a, b)| a.key == b.key && a.value == b.value && a.effect == b.effect);
                if !same || event.event_type == WatchEventType::Added {
                    self.dirty_nodes.push(name);
                }
            }
            Kind::Pod => {
                let new = (event.event_type != WatchEventType::Deleted).then_some(&*event.object);
                let changed = match (old, new) {
                    (Some(o), Some(n)) => node_name(o) != node_name(n) || tolerations_of(o) != tolerations_of(n),
                    _ => true,
                };
                if changed {
                    self.dirty_pods.push((event.object.key(), node_name(&event.object).to_string()));
                }
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, key: &str) {
        self.due.push(key.to_string());
    }

    fn run(&mut self, ctx: &mut Ctx<'_>) -> bool {
        let worked = !self.dirty_nodes.is_empty() || !self.dirty_pods.is_empty() || !self.due.is_empty();
        // Node updates first, as upstream's workers prefer them.
        for node in std::mem::take(&mut self.dirty_nodes) {
            self.handle_node(ctx, &node);
        }
        for (key, node) in std::mem::take(&mut self.dirty_pods) {
            let Some(pod) = ctx.informers.get(Kind::Pod, &key).cloned() else {
                self.cancel(ctx, &key);
                continue;
            };
            if node_name(&pod) != node || node.is_empty() {
                continue;
            }
            let Some(taints) = self.tainted.get(&node).cloned() else { continue };
            self.process_pod(ctx, &key, &tolerations(&pod), &taints);
        }
        for key in std::mem::take(&mut self.due) {
            self.evict(ctx, &key);
        }
        worked
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
