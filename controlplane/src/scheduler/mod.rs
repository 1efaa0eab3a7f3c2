//! kube-scheduler: the `default-scheduler` component. It watches pods and nodes, keeps a cache
//! of what each node holds, and for each pending pod of its own (schedulerName
//! `default-scheduler`, no nodeName), highest priority first: runs the Filter plugins over the
//! nodes (as many as `numFeasibleNodesToFind` asks, starting where the last cycle stopped),
//! scores the feasible ones, picks the best (ties at random), assumes the pod there and binds
//! it through the `pods/binding` subresource. A pod that fits nowhere gets a `FailedScheduling`
//! event and condition, may preempt lower-priority pods, and waits in the queue until a
//! relevant change in the cluster (or five minutes) sends it back.
//!
//! Layout: `queue.rs` (activeQ, backoff, unschedulable pods), `cache.rs` (NodeInfo per node),
//! `framework.rs` (status, cycle state, one trait per extension point), `profile.rs` (plugins
//! in order, weights), `plugins/` (one file per plugin), `explain.rs` (decisions kept for
//! `explain_schedule`).

pub mod cache;
pub mod explain;
pub mod framework;
pub mod plugins;
pub mod profile;
pub mod queue;

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::PodCondition;
use rand_chacha::rand_core::Rng;

use crate::apiserver::{k8s_time, DeleteOptions, Reason as ApiReason, WatchEvent, WatchEventType};
use crate::events::{EventRecorder, EventType};
use crate::model::{Kind, Object};
use crate::sim::component::{Component, Ctx};
use cache::Cache;
use explain::{Decision, Evaluation};
use framework::{Args, Code, CycleState, FilterPlugin, PodInfo, Status};
use plugins::default_preemption::{self, Outcome};
use plugins::{
    inter_pod_affinity, node_affinity, node_ports, node_resources_fit, node_unschedulable, pod_topology_spread,
    taint_toleration,
};
use profile::{num_feasible_nodes_to_find, Profile, SCHEDULER_NAME};

/// The audit user of the scheduler's requests.
pub const USER: &str = "system:kube-scheduler";

/// Upstream's `ErrNoNodesAvailable`.
pub const NO_NODES: &str = "no nodes available to schedule pods";

/// A change in the cluster that may let unschedulable pods fit: which plugins' rejections it can undo.
enum Move {
    All,
    Plugins(&'static [&'static str]),
}

pub struct Scheduler {
    cache: Cache,
    queue: queue::Queue,
    profile: Profile,
    recorder: EventRecorder,
    next_start: usize,
    moves: Vec<Move>,
    decisions: explain::Decisions,
}

impl Default for Scheduler {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether a pod is the scheduler's to place: its own, unassigned, not done, not being deleted.
fn pending(obj: &Object) -> bool {
    let Object::Pod(pod) = obj else { return false };
    let spec = pod.spec.as_ref();
    let ours = spec.and_then(|s| s.scheduler_name.as_deref()).unwrap_or(SCHEDULER_NAME) == SCHEDULER_NAME;
    let unassigned = spec.and_then(|s| s.node_name.as_deref()).unwrap_or("").is_empty();
    ours && unassigned && !terminal(obj) && pod.metadata.deletion_timestamp.is_none()
}

fn terminal(obj: &Object) -> bool {
    let Object::Pod(pod) = obj else { return false };
    matches!(pod.status.as_ref().and_then(|s| s.phase.as_deref()), Some("Succeeded" | "Failed"))
}

fn assigned_node(obj: &Object) -> Option<&str> {
    let Object::Pod(pod) = obj else { return None };
    pod.spec.as_ref().and_then(|s| s.node_name.as_deref()).filter(|n| !n.is_empty())
}

/// `FitError.Error()`: `0/N nodes are available: ` and each reason with its count, sorted.
pub fn fit_message(num_nodes: usize, statuses: impl IntoIterator<Item = impl std::borrow::Borrow<Status>>) -> String {
    let mut histogram: BTreeMap<String, usize> = BTreeMap::new();
    for s in statuses {
        for r in &s.borrow().reasons {
            *histogram.entry(r.to_string()).or_insert(0) += 1;
        }
    }
    let mut reasons: Vec<String> = histogram.into_iter().map(|(r, n)| format!("{n} {r}")).collect();
    reasons.sort();
    format!("0/{num_nodes} nodes are available: {}.", reasons.join(", "))
}

/// The plugins whose rejections a pod leaving its node (deleted, or finished) can undo: it
/// frees resources and ports, and no longer counts for affinity or spread.
const POD_GONE: &[&str] =
    &[node_resources_fit::NAME, node_ports::NAME, inter_pod_affinity::NAME, pod_topology_spread::NAME];

impl Scheduler {
    pub fn new() -> Scheduler {
        Scheduler {
            cache: Cache::default(),
            queue: queue::Queue::default(),
            profile: Profile::default_profile(),
            recorder: EventRecorder::new(SCHEDULER_NAME, None, USER),
            next_start: 0,
            moves: Vec::new(),
            decisions: explain::Decisions::new(explain::KEEP),
        }
    }

    /// Pods waiting in the queue (active, backing off or unschedulable).
    pub fn pending_pods(&self) -> usize {
        self.queue.len()
    }

    /// Keep a record of this many recent scheduling decisions (0: none).
    pub fn keep_decisions(&mut self, n: usize) {
        self.decisions = explain::Decisions::new(n);
    }

    fn on_pod(&mut self, event: &WatchEvent) {
        let obj = &event.object;
        let key = crate::model::object::namespaced_key(obj.namespace(), obj.name());
        if event.event_type == WatchEventType::Deleted {
            self.queue.remove(&key);
            if self.cache.remove_pod(&key).is_some() {
                self.moves.push(Move::Plugins(POD_GONE));
            }
            return;
        }
        if let Some(node) = assigned_node(obj) {
            self.queue.remove(&key);
            if terminal(obj) {
                if self.cache.remove_pod(&key).is_some() {
                    self.moves.push(Move::Plugins(POD_GONE));
                }
                return;
            }
            match self.cache.pod_node(&key) {
                // Our own binding landing, or a status change: the cached pod stands unless its labels changed.
                Some(n) if &*n.name == node => {
                    let old = n.pods.iter().find(|p| p.key == key);
                    let relabelled = old.is_some_and(|p| !p.obj.same_labels(obj));
                    let deleting = old.is_some_and(|p| p.obj.metadata().deletion_timestamp.is_none())
                        && obj.metadata().deletion_timestamp.is_some();
                    if relabelled || deleting {
                        self.cache.update_pod(Arc::new(PodInfo::new(obj.clone())));
                    } else {
                        self.cache.refresh_pod(&key, obj);
                    }
                    if relabelled {
                        self.moves.push(Move::Plugins(&[inter_pod_affinity::NAME, pod_topology_spread::NAME]));
                    }
                }
                _ => {
                    self.cache.add_pod(Arc::new(PodInfo::new(obj.clone())), node);
                    self.moves.push(Move::Plugins(&[inter_pod_affinity::NAME, pod_topology_spread::NAME]));
                }
            }
            return;
        }
        if pending(obj) {
            if self.queue.add_or_update(&key, obj.clone()) && self.queue.get(&key).is_some_and(|e| e.attempts > 0) {
                self.moves.push(Move::All);
            }
        } else {
            self.queue.remove(&key);
        }
    }

    fn on_node(&mut self, event: &WatchEvent) {
        let obj = &event.object;
        if event.event_type == WatchEventType::Deleted {
            self.cache.remove_node(obj.name());
            return;
        }
        let Some(old) = self.cache.set_node(obj.clone()) else {
            self.moves.push(Move::All);
            return;
        };
        let (Object::Node(a), Object::Node(b)) = (&*old, &**obj) else { return };
        use crate::model::shared::Node;
        fn taints(n: &Node) -> Option<&Vec<k8s_openapi::api::core::v1::Taint>> {
            n.spec.as_ref().and_then(|s| s.taints.as_ref())
        }
        fn alloc(n: &Node) -> Option<&BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>> {
            n.status.as_ref().and_then(|s| s.allocatable.as_ref())
        }
        let unschedulable = |n: &Node| n.spec.as_ref().and_then(|s| s.unschedulable);
        if alloc(a) != alloc(b) {
            self.moves.push(Move::Plugins(&[node_resources_fit::NAME]));
        }
        if !old.same_labels(obj) {
            self.moves.push(Move::Plugins(&[node_affinity::NAME, pod_topology_spread::NAME, inter_pod_affinity::NAME]));
        }
        if taints(a) != taints(b) {
            self.moves.push(Move::Plugins(&[taint_toleration::NAME]));
        }
        if unschedulable(a) != unschedulable(b) {
            self.moves.push(Move::Plugins(&[node_unschedulable::NAME]));
        }
    }

    /// Send unschedulable pods back to the queue after the cluster changed.
    fn apply_moves(&mut self, ctx: &mut Ctx<'_>) {
        if self.moves.is_empty() {
            return;
        }
        // One scan of the unschedulable pods for all the round's events: everything when any
        // event concerns every plugin, else the union of the plugins named.
        let moves = std::mem::take(&mut self.moves);
        let keys = if moves.iter().any(|m| matches!(m, Move::All)) {
            self.queue.unschedulable(None)
        } else {
            let mut plugins: Vec<&str> = Vec::new();
            for m in &moves {
                if let Move::Plugins(ps) = m {
                    for p in *ps {
                        if !plugins.contains(p) {
                            plugins.push(p);
                        }
                    }
                }
            }
            self.queue.unschedulable(Some(&plugins))
        };
        let now = ctx.now();
        for key in keys {
            if let Some(t) = self.queue.move_to_active_or_backoff(&key, now) {
                ctx.after(t.delay, t.key);
            }
        }
    }

    /// Filter (and score) `pod` against the cache. With `all`, every node is checked and the
    /// pod's own placement left out; otherwise as a scheduling cycle does.
    fn evaluate(&self, pod: &PodInfo, all: bool, start: usize) -> (Evaluation, CycleState) {
        let cache = &self.cache;
        let args = Args { pod, cache };
        let mut state = CycleState { num_nodes: cache.num_nodes(), ..Default::default() };
        let mut eval = Evaluation::default();
        for (p, filter) in &self.profile.pre_filter {
            let s = p.pre_filter(&args, &mut state);
            match (s.code, filter) {
                (Code::Skip, Some(f)) => state.skip_filter |= 1 << f,
                (Code::Success | Code::Skip, _) => {}
                _ => {
                    eval.pre_filter_failure = Some((p.name(), s));
                    return (eval, state);
                }
            }
        }
        // The Filter plugins no PreFilter skipped, found once rather than for every node.
        let filters: Vec<&dyn FilterPlugin> = (self.profile.filter.iter().enumerate())
            .filter(|(j, _)| state.skip_filter & (1 << j) == 0)
            .map(|(_, f)| *f)
            .collect();
        let n = cache.num_nodes();
        let to_find = if all { n } else { num_feasible_nodes_to_find(n) };
        eval.checked.reserve(to_find);
        eval.feasible.reserve(to_find);
        // A pod nominated to a node (by preemption) tries that node first.
        let nominated = pod.pod().status.as_ref().and_then(|s| s.nominated_node_name.as_deref()).unwrap_or("");
        if !all && !nominated.is_empty() {
            if let Some(i) = (0..n).find(|&i| &*cache.node_at(i).name == nominated) {
                if self.filter_node(&args, &state, &filters, i, &mut eval) {
                    eval.processed = 0;
                    return (eval, state);
                }
                eval.statuses.clear();
                eval.rejectors.clear();
                eval.checked.clear();
            }
        }
        if let Some((names, _)) = &state.node_names {
            // Only the nodes a PreFilter named, in the order they are checked in.
            let mut positions: Vec<usize> = names.iter().filter_map(|name| cache.position(name)).collect();
            positions.sort_unstable();
            for i in positions {
                if eval.feasible.len() >= to_find {
                    break;
                }
                self.filter_node(&args, &state, &filters, i, &mut eval);
            }
        } else {
            for k in 0..n {
                if eval.feasible.len() >= to_find {
                    break;
                }
                self.filter_node(&args, &state, &filters, (start + k) % n, &mut eval);
            }
        }
        eval.processed = eval.feasible.len() + eval.statuses.len();
        if eval.feasible.len() > 1 || (all && !eval.feasible.is_empty()) {
            self.score(&args, &mut state, &mut eval);
        }
        (eval, state)
    }

    /// Run the Filter plugins on the `i`-th node; true when it passes.
    fn filter_node(
        &self,
        args: &Args<'_>,
        state: &CycleState,
        filters: &[&dyn FilterPlugin],
        i: usize,
        eval: &mut Evaluation,
    ) -> bool {
        let node = self.cache.node_at(i);
        eval.checked.push(self.cache.index_at(i));
        for f in filters {
            let s = f.filter(args, state, node);
            if !s.is_success() {
                eval.statuses.push((i, s));
                eval.rejectors.push(f.name());
                return false;
            }
        }
        eval.feasible.push(i);
        true
    }

    fn score(&self, args: &Args<'_>, state: &mut CycleState, eval: &mut Evaluation) {
        let nodes: Vec<&cache::NodeInfo> = eval.feasible.iter().map(|&i| self.cache.node_at(i)).collect();
        for (p, score) in &self.profile.pre_score {
            if p.pre_score(args, state, &nodes).code == Code::Skip {
                if let Some(s) = score {
                    state.skip_score |= 1 << s;
                }
            }
        }
        eval.totals = vec![0; nodes.len()];
        for (j, (plugin, weight)) in self.profile.score.iter().enumerate() {
            if state.skip_score & (1 << j) != 0 {
                continue;
            }
            let mut scores: Vec<i64> = nodes.iter().map(|n| plugin.score(args, state, n)).collect();
            plugin.normalize(args, state, &nodes, &mut scores);
            for (t, s) in eval.totals.iter_mut().zip(&scores) {
                *t += s * weight;
            }
            eval.scores.push((plugin.name(), *weight, scores));
        }
    }

    /// One scheduling cycle for one pod.
    fn schedule_one(&mut self, ctx: &mut Ctx<'_>, key: String, obj: Arc<Object>, attempt: u32) {
        let pod = Arc::new(PodInfo::new(obj));
        let n = self.cache.num_nodes();
        let start = if n == 0 { 0 } else { self.next_start % n };
        let (eval, state) = self.evaluate(&pod, false, start);
        if n > 0 {
            self.next_start = (start + eval.processed) % n;
        }
        let chosen = match eval.feasible.len() {
            0 => None,
            1 => Some(eval.feasible[0]),
            _ => {
                // The highest total; ties broken at random, as upstream's reservoir sampling.
                let mut best = 0;
                let mut ties = 1;
                for i in 1..eval.totals.len() {
                    if eval.totals[i] > eval.totals[best] {
                        best = i;
                        ties = 1;
                    } else if eval.totals[i] == eval.totals[best] {
                        ties += 1;
                        if ctx.api.rng().next_u32().is_multiple_of(ties) {
                            best = i;
                        }
                    }
                }
                Some(eval.feasible[best])
            }
        };
        match chosen {
            Some(i) => {
                let node = self.cache.node_at(i).name.clone();
                self.decisions.push(Decision::new(&pod, ctx.now(), attempt, &self.cache, eval, Some(i), String::new()));
                self.assume_and_bind(ctx, &key, pod, &node);
            }
            None => self.failed(ctx, &key, pod, attempt, n, eval, state),
        }
    }

    fn assume_and_bind(&mut self, ctx: &mut Ctx<'_>, key: &str, pod: Arc<PodInfo>, node: &str) {
        self.cache.add_pod(pod.clone(), node);
        match plugins::default_binder::bind(ctx.api, USER, &pod, node) {
            Ok(()) => {
                self.queue.done(key);
                let message = format!("Successfully assigned {} to {node}", pod.key);
                self.recorder.record(ctx.api, &pod.obj, None, EventType::Normal, "Scheduled", &message);
            }
            Err(e) => {
                self.cache.remove_pod(key);
                if e.reason == ApiReason::NotFound {
                    self.queue.remove(key);
                    return;
                }
                let message = format!("Binding rejected: {}", e.message);
                self.recorder.record(ctx.api, &pod.obj, None, EventType::Warning, "FailedScheduling", &message);
                if let Some(t) = self.queue.failed(key, ctx.now(), Vec::new(), true) {
                    ctx.after(t.delay, t.key);
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn failed(
        &mut self,
        ctx: &mut Ctx<'_>,
        key: &str,
        pod: Arc<PodInfo>,
        attempt: u32,
        n: usize,
        mut eval: Evaluation,
        state: CycleState,
    ) {
        let mut rejected_by: Vec<&'static str> = Vec::new();
        let mut preemption = String::new();
        let (message, nomination) = if n == 0 {
            (NO_NODES.to_string(), None)
        } else if let Some((plugin, s)) = &eval.pre_filter_failure {
            rejected_by.push(plugin);
            (format!("0/{n} nodes are available: {}.", s.message()), None)
        } else {
            for p in &eval.rejectors {
                if !rejected_by.contains(p) {
                    rejected_by.push(p);
                }
            }
            // Nodes a PreFilter ruled out were never filtered: each fails as upstream's
            // `SetAbsentNodesStatus` says.
            if let Some((names, plugin)) = &state.node_names {
                let named: std::collections::BTreeSet<usize> =
                    names.iter().filter_map(|name| self.cache.position(name)).collect();
                let reason = format!("node(s) didn't satisfy plugin(s) [{plugin}]");
                for i in (0..n).filter(|i| !named.contains(i)) {
                    eval.statuses.push((i, Status::unresolvable(reason.clone())));
                }
                if !rejected_by.contains(plugin) {
                    rejected_by.push(plugin);
                }
            }
            let fit = fit_message(n, eval.statuses.iter().map(|(_, s)| s));
            let args = Args { pod: &pod, cache: &self.cache };
            let offset = if n > 0 { (ctx.api.rng().next_u32() as usize) % n } else { 0 };
            match default_preemption::preempt(&self.profile, &args, &state, &eval.statuses, offset) {
                Outcome::NotEligible(why) => (format!("{fit} preemption: {why}"), None),
                Outcome::NoCandidates(statuses) => {
                    (format!("{fit} preemption: {}", fit_message(n, &statuses)), Some(None))
                }
                Outcome::Nominated { node, victims } => {
                    let names: Vec<&str> = victims.iter().map(|v| v.key.as_str()).collect();
                    preemption = format!("nominated to {node}, evicting {}", names.join(", "));
                    self.preempt(ctx, &pod, &node, &victims);
                    (fit, Some(Some(node.to_string())))
                }
            }
        };
        let mut decision = Decision::new(&pod, ctx.now(), attempt, &self.cache, eval, None, message.clone());
        decision.preemption = preemption;
        self.decisions.push(decision);
        self.recorder.record(ctx.api, &pod.obj, None, EventType::Warning, "FailedScheduling", &message);
        self.set_unschedulable(ctx, &pod, &message, nomination);
        if let Some(t) = self.queue.failed(key, ctx.now(), rejected_by, false) {
            ctx.after(t.delay, t.key);
        }
    }

    /// Delete the victims (each marked with a DisruptionTarget condition first), with events.
    fn preempt(&mut self, ctx: &mut Ctx<'_>, preemptor: &PodInfo, node: &str, victims: &[Arc<PodInfo>]) {
        for v in victims {
            if let Some(current) = ctx.api.peek(Kind::Pod, &v.namespace, &v.name) {
                if let Object::Pod(p) = &*current {
                    let mut p = p.clone();
                    let conditions =
                        p.status.get_or_insert_with(Default::default).conditions.get_or_insert_with(Vec::new);
                    conditions.retain(|c| c.type_ != "DisruptionTarget");
                    conditions.push(PodCondition {
                        type_: "DisruptionTarget".into(),
                        status: "True".into(),
                        reason: Some("PreemptionByScheduler".into()),
                        message: Some(format!("{SCHEDULER_NAME}: preempting to accommodate a higher priority pod")),
                        last_transition_time: Some(k8s_time(ctx.now())),
                        ..Default::default()
                    });
                    let _ = ctx.api.update_status(USER, Object::Pod(p));
                }
            }
            if ctx.api.delete(USER, Kind::Pod, &v.namespace, &v.name, DeleteOptions::default()).is_ok() {
                let message = format!("Preempted by pod {} on node {node}", preemptor.uid);
                self.recorder.record(ctx.api, &v.obj, None, EventType::Normal, "Preempted", &message);
            }
        }
    }

    /// Condition PodScheduled=False (reason Unschedulable) and the nomination, written only when they change.
    fn set_unschedulable(
        &mut self,
        ctx: &mut Ctx<'_>,
        pod: &PodInfo,
        message: &str,
        nomination: Option<Option<String>>,
    ) {
        let Some(current) = ctx.api.peek(Kind::Pod, &pod.namespace, &pod.name) else { return };
        let Object::Pod(p) = &*current else { return };
        let mut p = p.clone();
        let status = p.status.get_or_insert_with(Default::default);
        let mut changed = false;
        if let Some(nominated) = nomination {
            if status.nominated_node_name != nominated {
                status.nominated_node_name = nominated;
                changed = true;
            }
        }
        let conditions = status.conditions.get_or_insert_with(Vec::new);
        let wanted = |c: &PodCondition| {
            c.status == "False" && c.reason.as_deref() == Some("Unschedulable") && c.message.as_deref() == Some(message)
        };
        match conditions.iter_mut().find(|c| c.type_ == "PodScheduled") {
            Some(c) if wanted(c) => {}
            Some(c) => {
                if c.status != "False" {
                    c.last_transition_time = Some(k8s_time(ctx.now()));
                }
                c.status = "False".into();
                c.reason = Some("Unschedulable".into());
                c.message = Some(message.to_string());
                c.last_probe_time = None;
                changed = true;
            }
            None => {
                conditions.push(PodCondition {
                    type_: "PodScheduled".into(),
                    status: "False".into(),
                    reason: Some("Unschedulable".into()),
                    message: Some(message.to_string()),
                    last_transition_time: Some(k8s_time(ctx.now())),
                    ..Default::default()
                });
                changed = true;
            }
        }
        if changed {
            let _ = ctx.api.update_status(USER, Object::Pod(p));
        }
    }

    /// The scheduler's account of one pod: the recorded decision of its latest attempt, or
    /// (when none is kept) what it would decide now against the current cluster, with the pod's
    /// own placement left out and every node checked.
    pub fn explain(&mut self, namespace: &str, name: &str, pod: Option<Arc<Object>>) -> String {
        let key = format!("{namespace}/{name}");
        let Some(obj) = pod else { return format!("Error from server (NotFound): pods \"{name}\" not found") };
        let uid = obj.metadata().uid.clone().unwrap_or_default();
        if let Some(d) = self.decisions.latest(&key, &uid) {
            return d.render(&self.cache);
        }
        let info = PodInfo::new(obj);
        let placed = self.cache.pod_node(&key).map(|n| n.name.clone());
        let own = self.cache.remove_pod(&key);
        let n = self.cache.num_nodes();
        let (eval, _) = self.evaluate(&info, true, 0);
        if let (Some(own), Some(node)) = (own, placed) {
            self.cache.add_pod(own, &node);
        }
        let message = if n == 0 {
            NO_NODES.to_string()
        } else if eval.feasible.is_empty() {
            fit_message(n, eval.statuses.iter().map(|(_, s)| s))
        } else {
            String::new()
        };
        let best = eval.best();
        let mut d = Decision::new(&info, chrono::DateTime::<chrono::Utc>::MIN_UTC, 0, &self.cache, eval, best, message);
        d.computed_now = true;
        d.render(&self.cache)
    }
}

impl Component for Scheduler {
    fn name(&self) -> &str {
        SCHEDULER_NAME
    }

    fn watches(&self) -> &[Kind] {
        &[Kind::Namespace, Kind::Node, Kind::Pod, Kind::PodDisruptionBudget]
    }

    fn on_event(&mut self, event: &WatchEvent, _: Option<&crate::model::Object>, _: &crate::controllers::Informers) {
        match &*event.object {
            Object::Pod(_) => self.on_pod(event),
            Object::Node(_) => self.on_node(event),
            Object::PodDisruptionBudget(_) => {
                let pdb = (event.event_type != WatchEventType::Deleted).then(|| event.object.clone());
                self.cache.set_pdb(event.object.key(), pdb);
            }
            Object::Namespace(ns) => {
                let labels = (event.event_type != WatchEventType::Deleted)
                    .then(|| ns.metadata.labels.clone().unwrap_or_default());
                self.cache.set_namespace(event.object.name(), labels);
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, key: &str) {
        self.queue.on_timer(key);
    }

    fn run(&mut self, ctx: &mut Ctx<'_>) -> bool {
        self.apply_moves(ctx);
        let mut busy = false;
        while let Some((key, obj, attempt)) = self.queue.pop() {
            busy = true;
            self.schedule_one(ctx, key, obj, attempt);
        }
        busy
    }

    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(self)
    }
}

#[cfg(test)]
mod tests;
