//! The pod garbage collector (`pod-garbage-collector-controller`, whose client is
//! `pod-garbage-collector`). Every 20s it force-deletes pods no kubelet will ever finish: pods
//! bound to a node that has been gone for the 40s quarantine, terminating pods that were never
//! scheduled, terminating pods on a not-ready node tainted `node.kubernetes.io/out-of-service`,
//! and the oldest finished pods beyond 12,500.
//! Each is first marked Failed (with a `DisruptionTarget` condition for orphans).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use k8s_openapi::api::core::v1::PodCondition;

use super::informers::{node_name, Informers};
use super::runtime::{controller_user, Action, Controller};
use crate::apiserver::{k8s_time, ApiError, DeleteOptions, WatchEvent};
use crate::model::{Kind, Object};
use crate::sim::component::Ctx;

const NAME: &str = "pod-garbage-collector-controller";
/// The key of the one periodic pass (`gc`): pod GC looks at the whole cluster each time.
const KEY: &str = "gc";
/// `gcCheckPeriod`.
const PERIOD: i64 = 20;
/// `quarantineTime`: how long a node must stay missing before its pods go.
const QUARANTINE: i64 = 40;
/// `--terminated-pod-gc-threshold`.
const TERMINATED_THRESHOLD: usize = 12_500;

/// Reads pods (by node) and nodes from the shared informers; runs every 20s as a requeue of
/// its one key, not on events.
pub struct PodGcController {
    /// Missing nodes seen with pods bound to them, and when they may be judged gone.
    quarantine: BTreeMap<String, DateTime<Utc>>,
    user: String,
}

impl Default for PodGcController {
    fn default() -> Self {
        Self::new()
    }
}

fn phase(pod: &Object) -> &str {
    match pod {
        Object::Pod(p) => p.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or(""),
        _ => "",
    }
}

fn terminated(pod: &Object) -> bool {
    !matches!(phase(pod), "Pending" | "Running" | "Unknown" | "")
}

impl PodGcController {
    pub fn new() -> Self {
        PodGcController { quarantine: BTreeMap::new(), user: controller_user("pod-garbage-collector") }
    }

    fn gc(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let informers = ctx.informers;
        let node = |name: &str| informers.get(Kind::Node, name);
        self.gc_terminated(ctx);
        let terminating_out_of_service: Vec<Arc<Object>> = informers
            .pods_by_node()
            .filter(|p| p.metadata().deletion_timestamp.is_some())
            .filter(|p| node(node_name(p)).is_some_and(|n| out_of_service(n)))
            .cloned()
            .collect();
        for pod in terminating_out_of_service {
            self.mark_failed_and_delete(ctx, &pod, None);
        }
        // gcOrphaned: a node missing now is quarantined; one still missing after it is gone.
        let missing: BTreeSet<String> =
            informers.nodes_with_pods().filter(|n| node(n).is_none()).map(str::to_string).collect();
        for n in &missing {
            self.quarantine.entry(n.clone()).or_insert(now + Duration::seconds(QUARANTINE));
        }
        let gone: Vec<String> = self
            .quarantine
            .iter()
            .filter(|(n, until)| **until <= now && node(n).is_none())
            .map(|(n, _)| n.clone())
            .collect();
        self.quarantine.retain(|n, until| *until > now && missing.contains(n));
        for node in gone {
            let pods: Vec<Arc<Object>> = informers.pods_on_node(&node).cloned().collect();
            let condition = PodCondition {
                type_: "DisruptionTarget".into(),
                status: "True".into(),
                reason: Some("DeletionByPodGC".into()),
                message: Some("PodGC: node no longer exists".into()),
                last_transition_time: Some(k8s_time(now)),
                ..Default::default()
            };
            for pod in pods {
                self.mark_failed_and_delete(ctx, &pod, Some(condition.clone()));
            }
        }
        // gcUnscheduledTerminating.
        let unscheduled: Vec<Arc<Object>> =
            informers.pods_on_node("").filter(|p| p.metadata().deletion_timestamp.is_some()).cloned().collect();
        for pod in unscheduled {
            self.mark_failed_and_delete(ctx, &pod, None);
        }
    }

    /// Keep at most 12,500 finished pods: the oldest go first.
    fn gc_terminated(&mut self, ctx: &mut Ctx<'_>) {
        // Counted first: a pass that finds no more than the threshold takes no references.
        if ctx.informers.pods_by_node().filter(|p| terminated(p)).count() <= TERMINATED_THRESHOLD {
            return;
        }
        let mut done: Vec<Arc<Object>> = ctx.informers.pods_by_node().filter(|p| terminated(p)).cloned().collect();
        let excess = done.len() - TERMINATED_THRESHOLD;
        done.sort_by(|a, b| {
            let evicted = |p: &Object| match p {
                Object::Pod(p) => p.status.as_ref().and_then(|s| s.reason.as_deref()) == Some("Evicted"),
                _ => false,
            };
            evicted(b)
                .cmp(&evicted(a))
                .then_with(|| a.metadata().creation_timestamp.cmp(&b.metadata().creation_timestamp))
                .then_with(|| a.name().cmp(b.name()))
        });
        for pod in done.into_iter().take(excess) {
            self.mark_failed_and_delete(ctx, &pod, None);
        }
    }

    fn mark_failed_and_delete(&mut self, ctx: &mut Ctx<'_>, pod: &Object, condition: Option<PodCondition>) {
        let (ns, name) = (pod.namespace().to_string(), pod.name().to_string());
        if !matches!(phase(pod), "Succeeded" | "Failed") {
            if let Object::Pod(p) = pod {
                let mut p = p.clone();
                let status = p.status.get_or_insert_with(Default::default);
                status.phase = Some("Failed".into());
                if let Some(c) = condition {
                    let conditions = status.conditions.get_or_insert_with(Vec::new);
                    conditions.retain(|x| x.type_ != c.type_);
                    conditions.push(c);
                }
                p.resource_version = None;
                if ctx.api.update_status(&self.user, Object::Pod(p)).is_err() {
                    return;
                }
            }
        }
        let opts = DeleteOptions { grace_period_seconds: Some(0), ..Default::default() };
        let _ = ctx.api.delete(&self.user, Kind::Pod, &ns, &name, opts);
    }
}

fn out_of_service(node: &Object) -> bool {
    let Object::Node(n) = node else { return false };
    let ready = n
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"))
        .is_some_and(|c| c.status == "True");
    let tainted = n
        .spec
        .as_ref()
        .and_then(|s| s.taints.as_ref())
        .is_some_and(|ts| ts.iter().any(|t| t.key == "node.kubernetes.io/out-of-service"));
    !ready && tainted
}

impl Controller for PodGcController {
    fn name(&self) -> &'static str {
        NAME
    }

    fn watches(&self) -> &'static [Kind] {
        &[Kind::Node, Kind::Pod]
    }

    fn keys_for(&mut self, _event: &WatchEvent, _old: Option<&Object>, _informers: &Informers) -> Vec<String> {
        Vec::new()
    }

    fn initial_keys(&self) -> Vec<String> {
        vec![KEY.to_string()]
    }

    fn reconcile(&mut self, _key: &str, ctx: &mut Ctx<'_>) -> Result<Action, ApiError> {
        self.gc(ctx);
        Ok(Action::RequeueAfter(Duration::seconds(PERIOD)))
    }
}
