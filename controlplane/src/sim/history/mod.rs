//! Object histories over simulated time. The API server's watch history is compacted, so
//! the [`Recorder`] component keeps, per object, the few fields a learner follows (a
//! Deployment's replica counts, a pod's phase and node, a node's Ready condition), recording a
//! field only when its value changes, with the simulated time of the change. Points are small
//! typed values, never copies of objects.
//!
//! Objects are known by kind, namespace and name: a deleted object keeps its series, ended by
//! a `deleted` point, and an object made again under the same name continues it.
//!
//! Nothing grows without bound in simulated time: a series keeps its latest changes (a pod
//! crashlooping for months would otherwise add three points every five minutes), and only the
//! most recently deleted objects keep their series.

mod recorder;
pub mod sample;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, VecDeque};
use std::num::NonZeroU32;

use chrono::{DateTime, Utc};

pub use recorder::Recorder;
use sample::{fields, Sample, MAX_FIELDS};

use crate::fasthash::HashMap;
use crate::model::{Kind, Object};

/// A series past this many points forgets its oldest half (see [`Series::forget_oldest`]).
pub const MAX_POINTS: usize = 4096;
/// How many deleted objects keep their series; the one deleted longest ago goes first.
pub const MAX_DELETED: usize = 10_000;

/// A field followed over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    /// The object itself: created or deleted.
    Object,
    Replicas,
    StatusReplicas,
    CurrentReplicas,
    UpdatedReplicas,
    ReadyReplicas,
    AvailableReplicas,
    DesiredNumberScheduled,
    CurrentNumberScheduled,
    UpdatedNumberScheduled,
    NumberReady,
    NumberAvailable,
    Active,
    Succeeded,
    Failed,
    Phase,
    Ready,
    Restarts,
    Node,
    NodeReady,
    Unschedulable,
    Pods,
}

impl Field {
    /// The field's name, as the API spells it where it is one field of the object.
    pub fn name(self) -> &'static str {
        match self {
            Field::Object => "object",
            Field::Replicas => "spec.replicas",
            Field::StatusReplicas => "status.replicas",
            Field::CurrentReplicas => "status.currentReplicas",
            Field::UpdatedReplicas => "status.updatedReplicas",
            Field::ReadyReplicas => "status.readyReplicas",
            Field::AvailableReplicas => "status.availableReplicas",
            Field::DesiredNumberScheduled => "status.desiredNumberScheduled",
            Field::CurrentNumberScheduled => "status.currentNumberScheduled",
            Field::UpdatedNumberScheduled => "status.updatedNumberScheduled",
            Field::NumberReady => "status.numberReady",
            Field::NumberAvailable => "status.numberAvailable",
            Field::Active => "status.active",
            Field::Succeeded => "status.succeeded",
            Field::Failed => "status.failed",
            Field::Phase => "phase",
            Field::Ready => "ready",
            Field::Restarts => "restarts",
            Field::Node => "node",
            Field::NodeReady => "Ready",
            Field::Unschedulable => "unschedulable",
            Field::Pods => "pods",
        }
    }

    /// Whether the field is a number (drawn as a line) rather than one of a few states (drawn
    /// as a band of colours).
    pub fn is_count(self) -> bool {
        !matches!(
            self,
            Field::Object | Field::Phase | Field::Ready | Field::Node | Field::NodeReady | Field::Unschedulable
        )
    }
}

/// A pod's phase, with `Terminating` for a pod being deleted (as kubectl's STATUS says).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    Pending,
    Running,
    Succeeded,
    Failed,
    Unknown,
    Terminating,
}

impl Phase {
    pub const ALL: [Phase; 6] =
        [Phase::Pending, Phase::Running, Phase::Succeeded, Phase::Failed, Phase::Unknown, Phase::Terminating];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Pending => "Pending",
            Phase::Running => "Running",
            Phase::Succeeded => "Succeeded",
            Phase::Failed => "Failed",
            Phase::Unknown => "Unknown",
            Phase::Terminating => "Terminating",
        }
    }
}

/// The status of a condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConditionStatus {
    True,
    False,
    Unknown,
}

impl ConditionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionStatus::True => "True",
            ConditionStatus::False => "False",
            ConditionStatus::Unknown => "Unknown",
        }
    }
}

/// Whether a point marks the object's creation or deletion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Lifecycle {
    Created,
    Deleted,
}

/// A node, by its index in the history's table of node names (a pod's node is recorded
/// without a copy of the name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(NonZeroU32);

/// A value of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Value {
    Count(i32),
    Flag(bool),
    Phase(Phase),
    Condition(ConditionStatus),
    /// A pod's node; None while it is not bound.
    Node(Option<NodeId>),
    Lifecycle(Lifecycle),
}

/// A change: `field` became `value` at `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    pub at: DateTime<Utc>,
    pub field: Field,
    pub value: Value,
}

/// The controller that owns an object (a ReplicaSet's Deployment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub kind: String,
    pub name: String,
}

/// One object's history.
#[derive(Debug, Clone)]
pub struct Series {
    kind: Kind,
    owner: Option<Box<Owner>>,
    /// Whether the object exists now.
    alive: bool,
    /// The value each field has now (None: never seen, or the object is deleted).
    current: Sample,
    points: Vec<Point>,
    /// How many older changes were forgotten.
    forgotten: usize,
}

impl Series {
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The changes, oldest first; points at the same moment in field order.
    pub fn points(&self) -> &[Point] {
        &self.points
    }

    /// The fields recorded for this object's kind.
    pub fn fields(&self) -> &'static [Field] {
        fields(self.kind)
    }

    /// Its controller, as last seen.
    pub fn owner(&self) -> Option<&Owner> {
        self.owner.as_deref()
    }

    /// Whether the object exists now.
    pub fn exists(&self) -> bool {
        self.alive
    }

    /// How many of its oldest changes were forgotten (past [`MAX_POINTS`]).
    pub fn forgotten(&self) -> usize {
        self.forgotten
    }

    /// When its history (as kept) begins.
    pub fn start(&self) -> Option<DateTime<Utc>> {
        self.points.first().map(|p| p.at)
    }

    /// Record the values that differ from the current ones.
    fn record(&mut self, at: DateTime<Utc>, sample: &Sample) {
        for (i, (&field, value)) in fields(self.kind).iter().zip(sample).enumerate() {
            if let Some(value) = *value {
                if self.current[i] != Some(value) {
                    self.current[i] = Some(value);
                    self.change(Point { at, field, value });
                }
            }
        }
    }

    /// Add a change. Several writes at one moment (a node registering, then its kubelet
    /// reporting Ready) make one change: a value held for no time at all is not history.
    fn change(&mut self, point: Point) {
        // The moment's points since the object was (re)created: at most one per field.
        let mut moment = self.points.iter().rev().take_while(|p| p.at == point.at && p.field != Field::Object);
        let Some(back) = moment.position(|p| p.field == point.field) else {
            self.points.push(point);
            self.forget_oldest();
            return;
        };
        let index = self.points.len() - 1 - back;
        let before =
            self.points[..index].iter().rev().take_while(|p| p.field != Field::Object).find(|p| p.field == point.field);
        if before.is_some_and(|p| p.value == point.value) {
            // Back where it was before this moment: no change after all.
            self.points.remove(index);
        } else {
            self.points[index].value = point.value;
        }
    }

    fn lifecycle(&mut self, at: DateTime<Utc>, l: Lifecycle) {
        self.alive = l == Lifecycle::Created;
        self.points.push(Point { at, field: Field::Object, value: Value::Lifecycle(l) });
        self.forget_oldest();
    }

    /// Past [`MAX_POINTS`], the oldest half of the points gives way to the state they led
    /// to: one point per field, at the moment of the last one forgotten, so what is kept still
    /// tells every field's value from its start on.
    fn forget_oldest(&mut self) {
        if self.points.len() <= MAX_POINTS {
            return;
        }
        let mut cut = self.points.len() - MAX_POINTS / 2;
        // Never split a moment: its points belong together.
        while cut < self.points.len() && self.points[cut].at == self.points[cut - 1].at {
            cut += 1;
        }
        let at = self.points[cut - 1].at;
        let mut state: Vec<Point> = Vec::new();
        for p in &self.points[..cut] {
            match p.value {
                // A deletion clears every field; the next creation starts afresh.
                Value::Lifecycle(Lifecycle::Deleted) => state.clear(),
                Value::Lifecycle(Lifecycle::Created) => {}
                value => match state.iter_mut().find(|s| s.field == p.field) {
                    Some(s) => s.value = value,
                    None => state.push(Point { at, field: p.field, value }),
                },
            }
        }
        let order = fields(self.kind);
        state.sort_by_key(|p| order.iter().position(|f| *f == p.field));
        let summary = state.len();
        self.forgotten += cut - summary;
        self.points.splice(..cut, state);
    }
}

/// Series by kind, namespace ("" for cluster-scoped kinds) and name. Nested `BTreeMap`s: a
/// lookup needs no key to be allocated, and listings come out in a stable order.
/// By kind, namespace and name. Names are looked up by hash: a namespace holds every recent
/// pod and Job, whose names are long and alike, and each write of one looks its series up.
type Objects = BTreeMap<Kind, BTreeMap<String, HashMap<String, Series>>>;

/// Every recorded object's series.
#[derive(Debug, Default)]
pub struct History {
    objects: Objects,
    /// Node names by [`NodeId`] (index + 1), and ids by name.
    node_names: Vec<String>,
    node_ids: BTreeMap<String, NodeId>,
    /// Pods bound to each node, by NodeId index.
    pods_on: Vec<u32>,
    /// Deleted objects, the one deleted longest ago first, with the time of their deletion;
    /// an entry whose object was made again (or deleted again later) is skipped.
    deleted: VecDeque<(Kind, String, String, DateTime<Utc>)>,
}

impl History {
    /// Whether `kind` is recorded.
    pub fn records(kind: Kind) -> bool {
        !fields(kind).is_empty()
    }

    /// The series of one object ("" as the namespace of a cluster-scoped one).
    pub fn series(&self, kind: Kind, namespace: &str, name: &str) -> Option<&Series> {
        self.objects.get(&kind)?.get(namespace)?.get(name)
    }

    /// The objects of `kind` in `namespace` whose controller is the `owner_kind` named
    /// `owner`, by name.
    pub fn owned_by<'a>(
        &'a self,
        kind: Kind,
        namespace: &str,
        owner_kind: &'a str,
        owner: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a Series)> + 'a {
        let in_ns = self.objects.get(&kind).and_then(|by_ns| by_ns.get(namespace));
        let mut owned: Vec<(&'a str, &'a Series)> = in_ns
            .into_iter()
            .flatten()
            .filter(move |(_, s)| s.owner().is_some_and(|o| o.kind == owner_kind && o.name == owner))
            .map(|(n, s)| (n.as_str(), s))
            .collect();
        owned.sort_unstable_by_key(|(n, _)| *n);
        owned.into_iter()
    }

    /// The name of a recorded node.
    pub fn node_name(&self, id: NodeId) -> &str {
        self.node_names.get(id.0.get() as usize - 1).map_or("", String::as_str)
    }

    /// A value as text: counts as numbers, states by name, a pod's node by its name (`<none>`
    /// while unbound, as kubectl prints it).
    pub fn value_text(&self, value: Value) -> String {
        match value {
            Value::Count(n) => n.to_string(),
            Value::Flag(b) => b.to_string(),
            Value::Phase(p) => p.as_str().to_string(),
            Value::Condition(c) => c.as_str().to_string(),
            Value::Node(Some(id)) => self.node_name(id).to_string(),
            Value::Node(None) => "<none>".to_string(),
            Value::Lifecycle(Lifecycle::Created) => "created".to_string(),
            Value::Lifecycle(Lifecycle::Deleted) => "deleted".to_string(),
        }
    }

    fn node_id(&mut self, name: &str) -> NodeId {
        if let Some(&id) = self.node_ids.get(name) {
            return id;
        }
        self.node_names.push(name.to_string());
        self.pods_on.push(0);
        let id = NodeId(
            NonZeroU32::new(u32::try_from(self.node_names.len()).unwrap_or(u32::MAX)).unwrap_or(NonZeroU32::MIN),
        );
        self.node_ids.insert(name.to_string(), id);
        id
    }

    fn pods_on(&self, name: &str) -> u32 {
        self.node_ids.get(name).and_then(|id| self.pods_on.get(id.0.get() as usize - 1)).copied().unwrap_or(0)
    }

    /// The series of an object, made if it is new. Keys are allocated only then.
    fn entry(&mut self, kind: Kind, namespace: &str, name: &str) -> Option<&mut Series> {
        let by_ns = self.objects.entry(kind).or_default();
        if !by_ns.contains_key(namespace) {
            by_ns.insert(namespace.to_string(), HashMap::default());
        }
        let by_name = by_ns.get_mut(namespace)?;
        if !by_name.contains_key(name) {
            let series = Series {
                kind,
                owner: None,
                alive: false,
                current: [None; MAX_FIELDS],
                points: Vec::new(),
                forgotten: 0,
            };
            by_name.insert(name.to_string(), series);
        }
        by_name.get_mut(name)
    }

    fn get_mut(&mut self, kind: Kind, namespace: &str, name: &str) -> Option<&mut Series> {
        self.objects.get_mut(&kind)?.get_mut(namespace)?.get_mut(name)
    }

    /// An object was written (created or changed) at `at`.
    pub(crate) fn written(&mut self, at: DateTime<Utc>, obj: &Object) {
        let kind = obj.kind();
        if !Self::records(kind) {
            return;
        }
        let meta = obj.metadata();
        let (namespace, name) = (meta.namespace.as_deref().unwrap_or(""), meta.name.as_deref().unwrap_or(""));
        let (mut node, mut pods) = (None, 0);
        match kind {
            Kind::Pod => node = Some(Value::Node(sample::pod_node(obj).map(|n| self.node_id(n)))),
            Kind::Node => pods = self.pods_on(name),
            _ => {}
        }
        let values = sample::sample(obj, node, pods);
        let Some(series) = self.entry(kind, namespace, name) else { return };
        if !series.exists() {
            series.lifecycle(at, Lifecycle::Created);
        }
        let was = series.current;
        series.record(at, &values);
        if let Some(owner) = controller_of_changed(series, obj) {
            series.owner = owner;
        }
        if kind == Kind::Pod {
            let node_slot = fields(kind).iter().position(|f| *f == Field::Node).unwrap_or(0);
            self.moved(at, was[node_slot], values[node_slot]);
        }
    }

    /// An object was deleted at `at`.
    pub(crate) fn deleted(&mut self, at: DateTime<Utc>, obj: &Object) {
        let kind = obj.kind();
        let meta = obj.metadata();
        let (namespace, name) = (meta.namespace.as_deref().unwrap_or(""), meta.name.as_deref().unwrap_or(""));
        let Some(series) = self.get_mut(kind, namespace, name) else { return };
        if !series.exists() {
            return;
        }
        let was = series.current;
        series.lifecycle(at, Lifecycle::Deleted);
        series.current = [None; MAX_FIELDS];
        if kind == Kind::Pod {
            let node_slot = fields(kind).iter().position(|f| *f == Field::Node).unwrap_or(0);
            self.moved(at, was[node_slot], None);
        }
        self.deleted.push_back((kind, namespace.to_string(), name.to_string(), at));
        while self.deleted.len() > MAX_DELETED {
            let Some((kind, namespace, name, at)) = self.deleted.pop_front() else { break };
            let Some(by_name) = self.objects.get_mut(&kind).and_then(|by_ns| by_ns.get_mut(&namespace)) else {
                continue;
            };
            let gone_since = by_name.get(&name).filter(|s| !s.alive).and_then(|s| s.points.last()).map(|p| p.at);
            if gone_since == Some(at) {
                by_name.remove(&name);
            }
        }
    }

    /// A pod left node `from` or came to node `to`: their pod counts change.
    fn moved(&mut self, at: DateTime<Utc>, from: Option<Value>, to: Option<Value>) {
        let node = |v: Option<Value>| match v {
            Some(Value::Node(id)) => id,
            _ => None,
        };
        let (from, to) = (node(from), node(to));
        if from == to {
            return;
        }
        for (id, up) in [(from, false), (to, true)] {
            let Some(id) = id else { continue };
            let index = id.0.get() as usize - 1;
            let Some(count) = self.pods_on.get_mut(index) else { continue };
            *count = if up { count.saturating_add(1) } else { count.saturating_sub(1) };
            let count = Value::Count(i32::try_from(*count).unwrap_or(i32::MAX));
            let name = self.node_names[index].clone();
            if let Some(series) = self.get_mut(Kind::Node, "", &name).filter(|s| s.exists()) {
                let slot = fields(Kind::Node).iter().position(|f| *f == Field::Pods).unwrap_or(0);
                let mut values = series.current;
                values[slot] = Some(count);
                series.record(at, &values);
            }
        }
    }

    /// How many points are kept, for tests and benchmarks.
    pub fn points(&self) -> usize {
        self.objects.values().flat_map(|ns| ns.values()).flat_map(|n| n.values()).map(|s| s.points.len()).sum()
    }
}

/// The object's controller if it differs from the one the series knows: Some(new owner).
fn controller_of_changed(series: &Series, obj: &Object) -> Option<Option<Box<Owner>>> {
    let now = sample::controller_of(obj);
    let known = series.owner().map(|o| (o.kind.as_str(), o.name.as_str()));
    (now != known).then(|| now.map(|(kind, name)| Box::new(Owner { kind: kind.to_string(), name: name.to_string() })))
}
