//! The node lifecycle controller (`node-lifecycle-controller` in kube-controller-manager).
//! Every 5s (`--node-monitor-period`) it checks each node's heartbeats: a node whose kubelet
//! stopped renewing its Lease for 50s gets its conditions set to Unknown, its pods marked not
//! ready, and (rate-limited per zone) the `unreachable:NoExecute` taint, which the taint
//! eviction controller acts on. It also keeps NoSchedule taints in step with node conditions
//! and `spec.unschedulable`.

mod health;
pub mod taints;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use crate::model::shared::Node;
use chrono::{DateTime, Duration, Utc};

use super::runtime::controller_user;
use super::runtime::{Action, Controller};
use super::Informers;
use crate::apiserver::error::ApiError;
use crate::apiserver::{from_k8s_time, k8s_time, WatchEvent, WatchEventType};
use crate::events::{EventRecorder, EventType};
use crate::fasthash::HashMap;
use crate::model::{Kind, Object};
use crate::sim::component::Ctx;
use health::NodeHealth;
use taints::ZoneState;

pub use health::{MONITOR_GRACE, STARTUP_GRACE};

/// `--node-monitor-period`.
const MONITOR_PERIOD: i64 = 5;
const NAME: &str = "node-lifecycle-controller";
/// The one work-queue key: the passes due now.
const KEY: &str = "passes";

/// The per-zone NoExecute tainting queue with its token-bucket rate limiter (burst 1).
struct Tainter {
    queue: VecDeque<String>,
    qps: f64,
    tokens: f64,
    last: DateTime<Utc>,
}

impl Tainter {
    fn new(now: DateTime<Utc>) -> Self {
        Tainter { queue: VecDeque::new(), qps: taints::EVICTION_QPS, tokens: 1.0, last: now }
    }

    fn refill(&mut self, now: DateTime<Utc>) {
        let secs = (now - self.last).num_milliseconds() as f64 / 1000.0;
        self.tokens = (self.tokens + secs * self.qps).min(1.0);
        self.last = now;
    }

    /// A new limiter at `qps`, full (as `SwapLimiter` makes one).
    fn set_qps(&mut self, qps: f64, now: DateTime<Utc>) {
        if qps != self.qps {
            self.qps = qps;
            self.tokens = if qps > 0.0 { 1.0 } else { 0.0 };
            self.last = now;
        }
    }
}

pub struct NodeLifecycleController {
    nodes: BTreeMap<String, Arc<Object>>,
    /// What the monitor reads and keeps of each node, in one place: it looks at every node on
    /// every pass, one look-up each.
    state: HashMap<String, NodeState>,
    /// Whether a node was added or deleted since the monitor last looked.
    membership_changed: bool,
    /// Nodes the controller has registered, with the last version seen (for the removal event).
    known: BTreeMap<String, Arc<Object>>,
    zone_states: BTreeMap<String, ZoneState>,
    tainters: BTreeMap<String, Tainter>,
    /// Nodes whose NoSchedule taints must be brought in step with their conditions.
    changed: BTreeSet<String>,
    /// When `monitorNodeHealth` runs next (every `--node-monitor-period`).
    next_monitor: DateTime<Utc>,
    /// When a zone's rate limiter lets the tainting pass go on (it may have set several).
    taint_at: BTreeSet<DateTime<Utc>>,
    /// The monitor queued nodes for tainting: the tainting pass follows it at once.
    taint_due: bool,
    recorder: EventRecorder,
    user: String,
}

impl Default for NodeLifecycleController {
    fn default() -> Self {
        Self::new()
    }
}

impl NodeLifecycleController {
    pub fn new() -> Self {
        let user = controller_user("node-controller");
        NodeLifecycleController {
            nodes: BTreeMap::new(),
            state: HashMap::default(),
            membership_changed: true,
            known: BTreeMap::new(),
            zone_states: BTreeMap::new(),
            tainters: BTreeMap::new(),
            changed: BTreeSet::new(),
            next_monitor: DateTime::<Utc>::MIN_UTC,
            taint_at: BTreeSet::new(),
            taint_due: false,
            recorder: EventRecorder::new("node-controller", None, &user),
            user,
        }
    }

    fn node_event(&mut self, ctx: &mut Ctx<'_>, node: &Object, type_: EventType, reason: &str, message: &str) {
        self.recorder.record(ctx.api, node, None, type_, reason, message);
    }

    /// `monitorNodeHealth`.
    fn monitor(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        if std::mem::take(&mut self.membership_changed) {
            self.register_nodes(ctx, now);
        }
        let mut zones: BTreeMap<String, Vec<bool>> = BTreeMap::new();
        // The nodes as they are now (shared, not copied): the pass writes only the node it checks.
        let current: Vec<Arc<Object>> = self.nodes.values().cloned().collect();
        for obj in current {
            let Object::Node(node) = &*obj else { continue };
            let name = obj.name();
            let checked = self.with_state(name, |state| {
                let (checked, health) = health::check(node, state.health.as_ref(), state.lease, now);
                state.health = Some(health);
                checked
            });
            let mut obj = obj.clone();
            if let Some(updated) = checked.write {
                match ctx.api.update_status(&self.user, Object::Node(updated)) {
                    Ok(written) => obj = written,
                    Err(_) => continue,
                }
            }
            let Object::Node(node) = &*obj else { continue };
            let excluded =
                node.metadata.labels.as_ref().is_some_and(|l| l.contains_key("node.kubernetes.io/exclude-disruption"));
            if !excluded {
                // The zone's name is copied once a pass, for its first node.
                let ready = checked.current.as_deref() == Some("True");
                // Found again (the look-up above brought it into the cache).
                match self.state.get(name).and_then(|s| s.zone.as_deref()) {
                    Some(zone) => match zones.get_mut(zone) {
                        Some(states) => states.push(ready),
                        None => {
                            zones.insert(zone.to_string(), vec![ready]);
                        }
                    },
                    None => zones.entry(taints::zone_key(node)).or_default().push(ready),
                }
            }
            let Some(current) = checked.current else { continue };
            self.process_taint_based_eviction(ctx, node, &checked.observed);
            if current != "True" && checked.observed == "True" {
                let message = format!("Node {name} status is now: NodeNotReady");
                self.node_event(ctx, &obj, EventType::Normal, "NodeNotReady", &message);
                self.mark_pods_not_ready(ctx, name);
            }
        }
        self.handle_disruption(ctx, &zones);
    }

    /// Register the nodes that appeared and let go of those deleted since the last pass.
    fn register_nodes(&mut self, ctx: &mut Ctx<'_>, now: DateTime<Utc>) {
        let added: Vec<Arc<Object>> =
            self.nodes.iter().filter(|(n, _)| !self.known.contains_key(*n)).map(|(_, o)| o.clone()).collect();
        let deleted: Vec<Arc<Object>> =
            self.known.iter().filter(|(n, _)| !self.nodes.contains_key(*n)).map(|(_, o)| o.clone()).collect();
        for node in added {
            let name = node.name().to_string();
            let message = format!("Node {name} event: Registered Node {name} in Controller");
            self.node_event(ctx, &node, EventType::Normal, "RegisteredNode", &message);
            self.known.insert(name.clone(), node.clone());
            self.tainters.entry(zone_of(&node)).or_insert_with(|| Tainter::new(now));
            self.mark_reachable(ctx, &name);
        }
        for node in deleted {
            let name = node.name().to_string();
            let message = format!("Node {name} event: Removing Node {name} from Controller");
            self.node_event(ctx, &node, EventType::Normal, "RemovingNode", &message);
            self.known.remove(&name);
            self.forget(&name, |s| s.health = None);
            for t in self.tainters.values_mut() {
                t.queue.retain(|n| *n != name);
            }
        }
    }

    /// `processTaintBaseEviction`.
    fn process_taint_based_eviction(&mut self, ctx: &mut Ctx<'_>, node: &Node, observed: &str) {
        let (wanted, opposite) = match observed {
            "False" => (taints::NOT_READY, taints::UNREACHABLE),
            "Unknown" => (taints::UNREACHABLE, taints::NOT_READY),
            _ => {
                self.mark_node_reachable(ctx, node);
                return;
            }
        };
        let name = node.metadata.name.clone().unwrap_or_default();
        if taints::has_taint(node, opposite, "NoExecute") {
            // Swap at once: the node was already tainted for the other reason.
            self.swap_taints(
                ctx,
                &name,
                &[taints::taint(wanted, "NoExecute")],
                &[taints::taint(opposite, "NoExecute")],
            );
        } else if !taints::has_taint(node, wanted, "NoExecute") {
            let tainter = self.tainters.entry(taints::zone_key(node)).or_insert_with(|| Tainter::new(ctx.now()));
            if !tainter.queue.contains(&name) {
                tainter.queue.push_back(name);
                self.taint_due = true;
            }
        }
    }

    /// `markNodeAsReachable`: drop the NoExecute taints and any pending tainting.
    fn mark_reachable(&mut self, ctx: &mut Ctx<'_>, name: &str) {
        match self.nodes.get(name).cloned() {
            Some(obj) => {
                if let Object::Node(node) = &*obj {
                    self.mark_node_reachable(ctx, node);
                }
            }
            None => self.forget_tainting(name),
        }
    }

    /// [`Self::mark_reachable`] for the node as the caller holds it.
    fn mark_node_reachable(&mut self, ctx: &mut Ctx<'_>, node: &Node) {
        let name = node.metadata.name.as_deref().unwrap_or_default();
        self.forget_tainting(name);
        if taints::has_taint(node, taints::NOT_READY, "NoExecute")
            || taints::has_taint(node, taints::UNREACHABLE, "NoExecute")
        {
            let remove =
                [taints::taint(taints::NOT_READY, "NoExecute"), taints::taint(taints::UNREACHABLE, "NoExecute")];
            self.swap_taints(ctx, name, &[], &remove);
        }
    }

    /// Drop the node from every zone's tainting queue.
    fn forget_tainting(&mut self, name: &str) {
        for t in self.tainters.values_mut() {
            t.queue.retain(|n| n != name);
        }
    }

    /// `doNoExecuteTaintingPass`: taint the queued nodes as each zone's rate limiter allows.
    fn taint_pass(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let mut next: Option<DateTime<Utc>> = None;
        let zones: Vec<String> = self.tainters.keys().cloned().collect();
        for zone in zones {
            while let Some(tainter) = self.tainters.get_mut(&zone) {
                tainter.refill(now);
                if tainter.queue.is_empty() || tainter.qps <= 0.0 {
                    break;
                }
                if tainter.tokens < 1.0 {
                    let wait = ((1.0 - tainter.tokens) / tainter.qps * 1000.0).ceil() as i64;
                    let at = now + Duration::milliseconds(wait);
                    next = Some(next.map_or(at, |n| n.min(at)));
                    break;
                }
                tainter.tokens -= 1.0;
                let Some(name) = tainter.queue.pop_front() else { break };
                let ready = match self.nodes.get(&name).map(|o| &**o) {
                    Some(Object::Node(n)) => health::ready_status(n).map(str::to_string),
                    _ => None,
                };
                let (add, remove) = match ready.as_deref() {
                    Some("False") => (taints::NOT_READY, taints::UNREACHABLE),
                    Some("Unknown") => (taints::UNREACHABLE, taints::NOT_READY),
                    _ => continue,
                };
                self.swap_taints(ctx, &name, &[taints::taint(add, "NoExecute")], &[taints::taint(remove, "NoExecute")]);
            }
        }
        if let Some(at) = next {
            self.taint_at.insert(at);
            ctx.after(at - now, KEY);
        }
    }

    /// `handleDisruption`: a zone where every node is down is left alone (the fault is more
    /// likely the control plane's); a mostly-down small zone is not tainted further.
    fn handle_disruption(&mut self, ctx: &mut Ctx<'_>, zones: &BTreeMap<String, Vec<bool>>) {
        let now = ctx.now();
        let mut new_states = BTreeMap::new();
        let mut all_full = true;
        for (zone, ready) in zones {
            let state = taints::zone_state(ready);
            all_full &= state == ZoneState::FullDisruption;
            new_states.insert(zone.clone(), state);
            self.zone_states.entry(zone.clone()).or_insert(ZoneState::Initial);
        }
        self.zone_states.retain(|z, _| zones.contains_key(z));
        let all_were_full = self.zone_states.values().all(|s| *s == ZoneState::FullDisruption);
        if all_full && all_were_full {
            return;
        }
        if all_full && !zones.is_empty() {
            let names: Vec<String> = self.nodes.keys().cloned().collect();
            for name in names {
                self.mark_reachable(ctx, &name);
            }
            for t in self.tainters.values_mut() {
                t.set_qps(0.0, now);
            }
            for s in self.zone_states.values_mut() {
                *s = ZoneState::FullDisruption;
            }
            return;
        }
        if all_were_full && !self.zone_states.is_empty() {
            for h in self.state.values_mut().filter_map(|s| s.health.as_mut()) {
                h.probe = now;
                h.ready_transition = now;
            }
        }
        for (zone, state) in new_states {
            if self.zone_states.get(&zone) != Some(&state) || all_were_full {
                let size = zones.get(&zone).map_or(0, Vec::len);
                self.tainters
                    .entry(zone.clone())
                    .or_insert_with(|| Tainter::new(now))
                    .set_qps(taints::zone_qps(state, size), now);
                self.zone_states.insert(zone, state);
            }
        }
    }

    /// `MarkPodsNotReady`: the pods of a node that stopped reporting are not Ready any more.
    fn mark_pods_not_ready(&mut self, ctx: &mut Ctx<'_>, node: &str) {
        let pods: Vec<Arc<Object>> = ctx.informers.pods_on_node(node).cloned().collect();
        for pod in pods {
            let Object::Pod(p) = &*pod else { continue };
            let mut p = p.clone();
            let Some(cond) = p
                .status
                .as_mut()
                .and_then(|s| s.conditions.as_mut())
                .and_then(|cs| cs.iter_mut().find(|c| c.type_ == "Ready"))
            else {
                continue;
            };
            if cond.status == "False" {
                continue;
            }
            cond.status = "False".into();
            cond.last_transition_time = Some(k8s_time(ctx.now()));
            if let Ok(updated) = ctx.api.update_status(&self.user, Object::Pod(p)) {
                self.recorder.record(ctx.api, &updated, None, EventType::Warning, "NodeNotReady", "Node is not ready");
            }
        }
    }

    /// `doNoScheduleTaintingPass` for one node.
    fn no_schedule_pass(&mut self, ctx: &mut Ctx<'_>, name: &str) {
        let Some(Object::Node(node)) = self.nodes.get(name).map(|o| &**o) else { return };
        let (add, remove) = taints::no_schedule_diff(node);
        if !add.is_empty() || !remove.is_empty() {
            self.swap_taints(ctx, name, &add, &remove);
        }
    }

    /// Write a taint change on the node as it is now in the API server.
    fn swap_taints(
        &mut self,
        ctx: &mut Ctx<'_>,
        name: &str,
        add: &[k8s_openapi::api::core::v1::Taint],
        remove: &[k8s_openapi::api::core::v1::Taint],
    ) {
        let Some(current) = ctx.api.peek(Kind::Node, "", name) else { return };
        let Object::Node(node) = &*current else { return };
        let mut node = node.clone();
        if taints::swap(&mut node, add, remove, ctx.now()) {
            if let Ok(written) = ctx.api.update(&self.user, Object::Node(node)) {
                self.with_state(name, |s| s.zone = Some(zone_of(&written)));
                self.nodes.insert(name.to_string(), written);
            }
        }
    }
}

/// What the controller keeps of one node: its health as the monitor last saw it, its Lease's
/// last renewal, and its zone key (`GetZoneKey`) as its version in `nodes` has it (a node's
/// labels seldom change). Gone once none of the three is left.
#[derive(Debug, Default)]
struct NodeState {
    health: Option<NodeHealth>,
    lease: Option<DateTime<Utc>>,
    zone: Option<String>,
}

impl NodeLifecycleController {
    /// Work on a node's state, made empty if it has none yet (its name copied only then).
    fn with_state<R>(&mut self, name: &str, f: impl FnOnce(&mut NodeState) -> R) -> R {
        match self.state.get_mut(name) {
            Some(state) => f(state),
            None => f(self.state.entry(name.to_string()).or_default()),
        }
    }

    /// Clear part of a node's state, and the entry with its last part.
    fn forget(&mut self, name: &str, clear: impl FnOnce(&mut NodeState)) {
        if let Some(state) = self.state.get_mut(name) {
            clear(state);
            if state.health.is_none() && state.lease.is_none() && state.zone.is_none() {
                self.state.remove(name);
            }
        }
    }
}

fn zone_of(node: &Object) -> String {
    match node {
        Object::Node(n) => taints::zone_key(n),
        _ => String::new(),
    }
}

impl Controller for NodeLifecycleController {
    fn name(&self) -> &'static str {
        NAME
    }

    fn watches(&self) -> &'static [Kind] {
        &[Kind::Node, Kind::Lease, Kind::Pod]
    }

    /// Node and Lease events update what the monitor reads; a node that changed is queued for
    /// its NoSchedule pass, which the controller's one key runs.
    fn keys_for(&mut self, event: &WatchEvent, _old: Option<&Object>, _informers: &Informers) -> Vec<String> {
        match event.object.kind() {
            Kind::Node => {
                let name = event.object.name().to_string();
                if event.event_type == WatchEventType::Deleted {
                    self.forget(&name, |s| s.zone = None);
                    self.membership_changed |= self.nodes.remove(&name).is_some();
                    return Vec::new();
                }
                let zone = Some(zone_of(&event.object));
                self.with_state(&name, |s| {
                    if s.zone != zone {
                        s.zone = zone;
                    }
                });
                self.membership_changed |= self.nodes.insert(name.clone(), event.object.clone()).is_none();
                self.changed.insert(name);
                vec![KEY.to_string()]
            }
            Kind::Lease if event.object.namespace() == "kube-node-lease" => {
                let name = event.object.name();
                let renew = match &*event.object {
                    Object::Lease(l) => l
                        .spec
                        .as_ref()
                        .and_then(|s| s.renew_time.as_ref())
                        .map(|t| from_k8s_time(&k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(t.0))),
                    _ => None,
                };
                match (event.event_type, renew) {
                    (WatchEventType::Deleted, _) | (_, None) => {
                        self.forget(name, |s| s.lease = None);
                    }
                    (_, Some(t)) => self.with_state(name, |s| s.lease = Some(t)),
                }
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn initial_keys(&self) -> Vec<String> {
        vec![KEY.to_string()]
    }

    /// Upstream runs three loops: `monitorNodeHealth` every 5s, the rate-limited NoExecute
    /// tainting pass, and the NoSchedule pass per changed node. Here one key runs whichever are
    /// due, in that order, so a moment where the monitor and the tainting pass are both due
    /// monitors first; each pass sets the timer of its next turn itself.
    fn reconcile(&mut self, _key: &str, ctx: &mut Ctx<'_>) -> Result<Action, ApiError> {
        let now = ctx.now();
        if self.next_monitor <= now {
            self.monitor(ctx);
            self.next_monitor = now + Duration::seconds(MONITOR_PERIOD);
            ctx.after(Duration::seconds(MONITOR_PERIOD), KEY);
        }
        let due: Vec<DateTime<Utc>> = self.taint_at.range(..=now).copied().collect();
        for at in &due {
            self.taint_at.remove(at);
        }
        if !due.is_empty() || self.taint_due {
            self.taint_due = false;
            self.taint_pass(ctx);
        }
        while let Some(name) = self.changed.pop_first() {
            self.no_schedule_pass(ctx, &name);
        }
        Ok(Action::AwaitChange)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(zone: Option<&str>) -> Arc<Object> {
        let mut labels = serde_json::json!({"kubernetes.io/hostname": "node-1"});
        if let Some(z) = zone {
            labels["topology.kubernetes.io/region"] = "r1".into();
            labels["topology.kubernetes.io/zone"] = z.into();
        }
        let v =
            serde_json::json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1", "labels": labels}});
        Arc::new(crate::model::decode(v).expect("a node"))
    }

    fn event(event_type: WatchEventType, object: Arc<Object>) -> WatchEvent {
        WatchEvent { event_type, object, revision: 1 }
    }

    /// The monitor's zone keys follow each node's labels as its watch events bring them.
    #[test]
    fn zone_keys_follow_the_nodes_labels() {
        let (mut c, informers) = (NodeLifecycleController::new(), Informers::default());
        c.keys_for(&event(WatchEventType::Added, node(None)), None, &informers);
        let zone = |c: &NodeLifecycleController| c.state.get("node-1").and_then(|s| s.zone.clone());
        assert_eq!(zone(&c).as_deref(), Some(""));
        c.keys_for(&event(WatchEventType::Modified, node(Some("a"))), None, &informers);
        assert_eq!(zone(&c).as_deref(), Some("r1:\u{0}:a"));
        c.keys_for(&event(WatchEventType::Deleted, node(Some("a"))), None, &informers);
        assert_eq!(zone(&c), None);
    }
}
