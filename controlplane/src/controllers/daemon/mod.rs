//! The DaemonSet controller (`daemonset-controller`, `daemon_controller.go`): one pod per
//! node the DaemonSet should run on, each placed through the scheduler by a node affinity on
//! the node's name; pods on nodes that no longer fit are deleted, failed pods are replaced
//! with back-off. Templates are kept as ControllerRevisions and rolled out by
//! `update.rs`; the status is `status.rs`; the node predicates are `util.rs`.

mod status;
mod update;
pub mod util;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::model::shared::Node;
use crate::model::Pod;
use chrono::{DateTime, Duration, Utc};
use k8s_openapi::api::apps::v1::DaemonSet;

pub use update::{get_patch, matches};
use util::{
    allows_surge, create_pod_template, replace_node_name_affinity, target_node_name, template, template_generation,
    DaemonPod, REVISION_HASH_LABEL,
};

use super::controller_utils::{
    is_pod_available, is_pod_ready, new_controller_ref, pod_phase, slow_start_batch, ControllerRefManager, Error,
    PodControl, PodExtras, SLOW_START_INITIAL_BATCH_SIZE,
};
use super::informers::Informers;
use super::runtime::{controller_user, Action, Controller};
use crate::apiserver::{ApiError, Reason, WatchEvent, WatchEventType};
use crate::backoff::{Backoff, DAEMON_FAILED_PODS};
use crate::events::{EventRecorder, EventType};
use crate::model::selector::LabelSelector;
use crate::model::{Kind, Object, Typed};
use crate::sim::component::Ctx;

pub const NAME: &str = "daemonset-controller";
/// `BurstReplicas`: at most this many creations (and deletions) per sync.
const BURST_REPLICAS: usize = 250;

/// A DaemonSet's pods by the node they are on (or pinned to).
pub(super) type NodePods<'a> = BTreeMap<String, Vec<&'a Pod>>;

/// What one sync of one DaemonSet reads, from the informers as they were when it began.
pub(super) struct Sync<'a> {
    obj: &'a Arc<Object>,
    ds: &'a DaemonSet,
    nodes: Vec<&'a Node>,
    /// `NodeShouldRunDaemonPod` of each node of `nodes`.
    fits: Vec<(bool, bool)>,
    /// The claimed pods by node, without finished pods already being deleted.
    pods: NodePods<'a>,
    /// Every claimed pod.
    all_pods: Vec<&'a Pod>,
    now: DateTime<Utc>,
}

impl Sync<'_> {
    fn min_ready_seconds(&self) -> i32 {
        self.ds.spec.as_ref().and_then(|s| s.min_ready_seconds).unwrap_or(0)
    }
}

pub struct DaemonSetsController {
    user: String,
    control: PodControl,
    failed_pods_backoff: BTreeMap<String, Backoff>,
}

impl Default for DaemonSetsController {
    fn default() -> Self {
        let user = controller_user("daemon-set-controller");
        let recorder = EventRecorder::new(NAME, None, &user);
        DaemonSetsController { control: PodControl::new(&user, recorder), user, failed_pods_backoff: BTreeMap::new() }
    }
}

fn selector(ds: &DaemonSet) -> LabelSelector {
    let s = ds.spec.as_ref().map(|s| &s.selector);
    s.and_then(|s| LabelSelector::from_k8s(s).ok()).unwrap_or_else(LabelSelector::nothing)
}

fn node_name(node: &Node) -> &str {
    node.metadata.name.as_deref().unwrap_or("")
}

fn pod_name(pod: &Pod) -> String {
    pod.metadata.name.clone().unwrap_or_default()
}

/// `podByCreationTimestampAndPhase`: bound pods first, then the oldest, then by name.
fn sort_by_creation(pods: &mut [&Pod]) {
    pods.sort_by(|a, b| {
        let unbound = |p: &Pod| p.spec.as_ref().and_then(|s| s.node_name.as_deref()).unwrap_or("").is_empty();
        let created = |p: &Pod| p.metadata.creation_timestamp.as_ref().map(|t| t.0);
        (unbound(a), created(a), &a.metadata.name).cmp(&(unbound(b), created(b), &b.metadata.name))
    });
}

impl Controller for DaemonSetsController {
    fn name(&self) -> &'static str {
        NAME
    }

    fn watches(&self) -> &'static [Kind] {
        &[Kind::DaemonSet, Kind::Pod, Kind::Node, Kind::ControllerRevision]
    }

    fn owns(&self) -> &'static [Kind] {
        &[Kind::Pod, Kind::ControllerRevision]
    }

    /// A node added or removed, or whose labels, taints or spec changed, concerns every
    /// DaemonSet; an orphan pod or revision concerns the DaemonSets that select it.
    fn keys_for(&mut self, event: &WatchEvent, old: Option<&Object>, informers: &Informers) -> Vec<String> {
        let o = &event.object;
        let every = || informers.list(Kind::DaemonSet).map(|d| d.key()).collect();
        match &**o {
            Object::DaemonSet(_) => vec![o.key()],
            Object::Node(node) => {
                let changed = match (event.event_type, old) {
                    (WatchEventType::Modified, Some(Object::Node(before))) => {
                        before.metadata.labels != node.metadata.labels || before.spec != node.spec
                    }
                    _ => true,
                };
                if changed {
                    every()
                } else {
                    Vec::new()
                }
            }
            Object::Pod(_) | Object::ControllerRevision(_) if super::informers::controller_of(o).is_none() => informers
                .list_namespace(Kind::DaemonSet, o.namespace())
                .filter(|d| DaemonSet::from_object(d).is_some_and(|ds| selector(ds).matches(o.labels())))
                .map(|d| d.key())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// `syncDaemonSet`.
    fn reconcile(&mut self, key: &str, ctx: &mut Ctx<'_>) -> Result<Action, ApiError> {
        let informers = ctx.informers;
        let Some(obj) = informers.get(Kind::DaemonSet, key) else { return Ok(Action::AwaitChange) };
        let Some(ds) = DaemonSet::from_object(obj) else { return Ok(Action::AwaitChange) };
        if ds.metadata.deletion_timestamp.is_some() {
            return Ok(Action::AwaitChange);
        }
        let nodes: Vec<&Node> = informers.list(Kind::Node).filter_map(|n| Node::from_object(n)).collect();
        let candidates = informers.list_namespace(Kind::Pod, obj.namespace()).filter_map(|p| Pod::from_object(p));
        let sel = selector(ds);
        let all_pods =
            ControllerRefManager::new(obj, &sel, &self.user).claim(ctx.api, candidates, &[]).map_err(ApiError::from)?;
        let mut pods = NodePods::new();
        for &pod in &all_pods {
            let finished = matches!(pod_phase(pod), "Succeeded" | "Failed");
            if finished && pod.metadata.deletion_timestamp.is_some() {
                continue;
            }
            if let Some(node) = target_node_name(pod) {
                pods.entry(node.to_string()).or_default().push(pod);
            }
        }
        let daemon_pod = DaemonPod::new(ds);
        let fits = nodes.iter().map(|n| daemon_pod.should_run(n)).collect();
        let s = Sync { obj, ds, nodes, fits, pods, all_pods, now: ctx.now() };
        let (cur, old) = self.construct_history(ctx, &s)?;
        let hash = cur.metadata.labels.as_ref().and_then(|l| l.get(REVISION_HASH_LABEL)).cloned().unwrap_or_default();
        let mut requeue: Option<Duration> = None;
        let acted = self.manage(ctx, &s, &hash, &mut requeue)?;
        // Upstream's expectations hold the rolling update back until the manage loop's own
        // creations and deletions are seen.
        let strategy = ds.spec.as_ref().and_then(|s| s.update_strategy.as_ref()).and_then(|u| u.type_.as_deref());
        if !acted && strategy == Some("RollingUpdate") {
            let (to_delete, to_create) = Self::rolling_update(&s, &hash);
            self.sync_nodes(ctx, &s, &to_delete, &to_create, &hash)?;
        }
        self.cleanup_history(ctx, &s, old)?;
        if let Some(after) = self.update_status(ctx, &s, &hash)? {
            requeue = Some(requeue.map_or(after, |r| r.min(after)));
        }
        Ok(requeue.map_or(Action::AwaitChange, Action::RequeueAfter))
    }
}

impl DaemonSetsController {
    /// `manage`: create the missing daemon pods and delete those that should not run,
    /// including unbound pods pinned to nodes that are gone. Whether it wrote anything.
    fn manage(
        &mut self,
        ctx: &mut Ctx<'_>,
        s: &Sync<'_>,
        hash: &str,
        requeue: &mut Option<Duration>,
    ) -> Result<bool, ApiError> {
        let (mut needing, mut to_delete) = (Vec::new(), Vec::new());
        for (node, fit) in s.nodes.iter().zip(&s.fits) {
            let (needs, delete) = self.pods_should_be_on_node(ctx, s, node, *fit, hash, requeue);
            if needs {
                needing.push(node_name(node).to_string());
            }
            to_delete.extend(delete);
        }
        let known: BTreeSet<&str> = s.nodes.iter().map(|n| node_name(n)).collect();
        for (node, pods) in &s.pods {
            if known.contains(node.as_str()) {
                continue;
            }
            let unbound = pods.iter().filter(|p| p.spec.as_ref().and_then(|s| s.node_name.as_deref()).is_none());
            to_delete.extend(unbound.map(|p| pod_name(p)));
        }
        let acted = !needing.is_empty() || !to_delete.is_empty();
        self.sync_nodes(ctx, s, &to_delete, &needing, hash)?;
        Ok(acted)
    }

    /// `podsShouldBeOnNode`: whether the node needs a daemon pod, and which of its pods go.
    fn pods_should_be_on_node(
        &mut self,
        ctx: &mut Ctx<'_>,
        s: &Sync<'_>,
        node: &Node,
        (should_run, should_continue): (bool, bool),
        hash: &str,
        requeue: &mut Option<Duration>,
    ) -> (bool, Vec<String>) {
        let name = node_name(node);
        let pods = s.pods.get(name);
        let mut to_delete = Vec::new();
        let Some(pods) = pods else { return (should_run, to_delete) };
        if !should_continue {
            let live = pods.iter().filter(|p| p.metadata.deletion_timestamp.is_none());
            return (false, live.map(|p| pod_name(p)).collect());
        }
        let mut running = Vec::new();
        for &pod in pods.iter().filter(|p| p.metadata.deletion_timestamp.is_none()) {
            match pod_phase(pod) {
                "Failed" => {
                    // The kubelet may keep rejecting the pod: replace it only after a back-off.
                    let key = self.backoff_key(s, name);
                    if let Some(delay) = self.in_backoff(&key, s.now) {
                        *requeue = Some(requeue.map_or(delay, |r| r.min(delay)));
                        continue;
                    }
                    self.next_backoff(&key, s.now);
                    let message = format!(
                        "Found failed daemon pod {}/{} on node {name}, will try to kill it",
                        s.obj.namespace(),
                        pod_name(pod)
                    );
                    let recorder = self.control.recorder();
                    recorder.record(ctx.api, s.obj, None, EventType::Warning, "FailedDaemonPod", &message);
                    to_delete.push(pod_name(pod));
                }
                "Succeeded" => to_delete.push(pod_name(pod)),
                _ => running.push(pod),
            }
        }
        sort_by_creation(&mut running);
        if !allows_surge(s.ds) {
            // More than one: all but the oldest go.
            to_delete.extend(running.iter().skip(1).map(|p| pod_name(p)));
            return (false, to_delete);
        }
        if running.len() <= 1 {
            return (running.is_empty() && should_run, to_delete);
        }
        // With surge, an old and a new pod may share a node while the new one becomes
        // available; the oldest of each is kept, any other goes.
        let generation = template_generation(s.ds);
        let (mut oldest_new, mut oldest_old) = (None, None);
        for pod in running {
            let slot = if util::is_pod_updated(pod, hash, generation) { &mut oldest_new } else { &mut oldest_old };
            if slot.is_none() {
                *slot = Some(pod);
            } else {
                to_delete.push(pod_name(pod));
            }
        }
        if let (Some(new), Some(old)) = (oldest_new, oldest_old) {
            if !is_pod_ready(old) || is_pod_available(new, s.min_ready_seconds(), s.now) {
                to_delete.push(pod_name(old));
            }
        }
        (false, to_delete)
    }

    /// `failedPodsBackoffKey`.
    fn backoff_key(&self, s: &Sync<'_>, node: &str) -> String {
        let uid = s.obj.metadata().uid.as_deref().unwrap_or("");
        let generation = s.ds.status.as_ref().and_then(|st| st.observed_generation).unwrap_or(0);
        format!("{uid}/{generation}/{node}")
    }

    /// `failedPodsBackoff.IsInBackOffSinceUpdate`: the delay still to wait, if any.
    fn in_backoff(&self, key: &str, now: DateTime<Utc>) -> Option<Duration> {
        DAEMON_FAILED_PODS.remaining_since_update(&self.failed_pods_backoff.get(key).copied(), now)
    }

    /// `failedPodsBackoff.Next`, after the `GC` upstream runs every minute: entries only come
    /// from here, so collecting here keeps the table to the recent failures.
    fn next_backoff(&mut self, key: &str, now: DateTime<Utc>) {
        DAEMON_FAILED_PODS.gc(&mut self.failed_pods_backoff, now);
        let mut entry = self.failed_pods_backoff.get(key).copied();
        DAEMON_FAILED_PODS.next(&mut entry, now, now);
        self.failed_pods_backoff.extend(entry.map(|b| (key.to_string(), b)));
    }

    /// `syncNodes`: delete `to_delete` and create a pod for each node of `nodes` (at most
    /// [`BURST_REPLICAS`] of each), creations in slow-start batches.
    fn sync_nodes(
        &mut self,
        ctx: &mut Ctx<'_>,
        s: &Sync<'_>,
        to_delete: &[String],
        nodes: &[String],
        hash: &str,
    ) -> Result<(), ApiError> {
        let ns = s.obj.namespace();
        let t = create_pod_template(template(s.ds), template_generation(s.ds), hash);
        let controller_ref = new_controller_ref(s.obj);
        let (api, control) = (&mut *ctx.api, &mut self.control);
        let mut next = nodes.iter().take(BURST_REPLICAS);
        let (_, created) = slow_start_batch(nodes.len().min(BURST_REPLICAS), SLOW_START_INITIAL_BATCH_SIZE, || {
            let mut pod = t.clone();
            let spec = pod.spec.get_or_insert_with(Default::default);
            let node = next.next().map(String::as_str).unwrap_or("");
            spec.affinity = Some(replace_node_name_affinity(spec.affinity.take(), node));
            control.create_pods(api, ns, &pod, s.obj, &controller_ref, PodExtras::default()).map(|_| ())
        });
        let mut first_error = created.err().map(ApiError::from);
        for name in to_delete.iter().take(BURST_REPLICAS) {
            match control.delete_pod(api, ns, name, s.obj) {
                Ok(()) => {}
                Err(Error::Api(e)) if e.reason == Reason::NotFound => {}
                Err(e) => {
                    first_error.get_or_insert(ApiError::from(e));
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests;
