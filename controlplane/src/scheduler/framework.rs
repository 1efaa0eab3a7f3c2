//! The scheduling framework's vocabulary: the status a plugin returns, the per-pod data
//! computed once (`PodInfo`), the cycle state plugins share within one scheduling attempt,
//! and one trait per extension point. A plugin implements only the points it needs.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::model::Pod;
use k8s_openapi::api::core::v1::{Container, PodAffinityTerm, PodSpec};

use super::cache::{Cache, NodeInfo};
use crate::model::quantity::Quantity;
use crate::model::selector::LabelSelector;
use crate::model::Object;

/// The highest score a Score plugin gives after normalization (`framework.MaxNodeScore`).
pub const MAX_NODE_SCORE: i64 = 100;

/// A plugin's verdict (`framework.Code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    Success,
    /// The node does not fit now; preemption may help.
    Unschedulable,
    /// The node does not fit, and preempting pods on it cannot change that.
    UnschedulableAndUnresolvable,
    Error,
    /// A PreFilter or PreScore plugin has nothing to do for this pod: its Filter or Score is skipped.
    Skip,
}

pub type Reason = Cow<'static, str>;

/// A code and the reasons behind it (`framework.Status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub code: Code,
    pub reasons: Vec<Reason>,
}

impl Status {
    pub const SUCCESS: Status = Status { code: Code::Success, reasons: Vec::new() };
    pub const SKIP: Status = Status { code: Code::Skip, reasons: Vec::new() };

    pub fn new(code: Code, reason: impl Into<Reason>) -> Status {
        Status { code, reasons: vec![reason.into()] }
    }
    pub fn unschedulable(reason: impl Into<Reason>) -> Status {
        Status::new(Code::Unschedulable, reason)
    }
    pub fn unresolvable(reason: impl Into<Reason>) -> Status {
        Status::new(Code::UnschedulableAndUnresolvable, reason)
    }
    pub fn is_success(&self) -> bool {
        self.code == Code::Success
    }
    pub fn is_rejected(&self) -> bool {
        matches!(self.code, Code::Unschedulable | Code::UnschedulableAndUnresolvable)
    }
    pub fn message(&self) -> String {
        self.reasons.join(", ")
    }
}

/// Resources as integers: milli-CPU, bytes, a pod count, and extended resources. Upstream
/// counts in int64, which a node's total can pass (it wraps); these are exact: every quantity in
/// an API object is within 2^63-1 units, so no total comes near the `i128` bound (sums still
/// saturate rather than panic).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    pub milli_cpu: i128,
    pub memory: i128,
    pub ephemeral_storage: i128,
    pub pods: i128,
    /// Extended resources (`nvidia.com/gpu`), by name.
    pub scalar: Vec<(String, i128)>,
}

impl Resources {
    pub fn add(&mut self, other: &Resources) {
        self.milli_cpu = self.milli_cpu.saturating_add(other.milli_cpu);
        self.memory = self.memory.saturating_add(other.memory);
        self.ephemeral_storage = self.ephemeral_storage.saturating_add(other.ephemeral_storage);
        self.pods = self.pods.saturating_add(other.pods);
        for (name, v) in &other.scalar {
            self.add_scalar(name, *v);
        }
    }
    pub fn sub(&mut self, other: &Resources) {
        self.milli_cpu = self.milli_cpu.saturating_sub(other.milli_cpu);
        self.memory = self.memory.saturating_sub(other.memory);
        self.ephemeral_storage = self.ephemeral_storage.saturating_sub(other.ephemeral_storage);
        self.pods = self.pods.saturating_sub(other.pods);
        for (name, v) in &other.scalar {
            self.add_scalar(name, v.saturating_neg());
        }
    }
    fn add_scalar(&mut self, name: &str, v: i128) {
        match self.scalar.iter_mut().find(|(n, _)| n == name) {
            Some((_, x)) => *x = x.saturating_add(v),
            None => self.scalar.push((name.to_string(), v)),
        }
    }
    pub fn scalar(&self, name: &str) -> i128 {
        self.scalar.iter().find(|(n, _)| n == name).map(|(_, v)| *v).unwrap_or(0)
    }
    fn max_with(&mut self, other: &Resources) {
        self.milli_cpu = self.milli_cpu.max(other.milli_cpu);
        self.memory = self.memory.max(other.memory);
        self.ephemeral_storage = self.ephemeral_storage.max(other.ephemeral_storage);
        for (name, v) in &other.scalar {
            let cur = self.scalar(name);
            if *v > cur {
                self.add_scalar(name, v - cur);
            }
        }
    }

    /// Resources from a `ResourceList` (requests, allocatable).
    pub fn from_list(
        list: Option<&BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>,
    ) -> Resources {
        let mut r = Resources::default();
        for (name, q) in list.into_iter().flatten() {
            let Ok(q) = Quantity::from_k8s(q) else { continue };
            match name.as_str() {
                "cpu" => r.milli_cpu = q.exact_milli_value(),
                "memory" => r.memory = q.exact_value(),
                "ephemeral-storage" => r.ephemeral_storage = q.exact_value(),
                "pods" => r.pods = q.exact_value(),
                n if is_extended(n) => r.add_scalar(n, q.exact_value()),
                _ => {}
            }
        }
        r
    }
}

/// Extended and hugepages resources the scheduler accounts for besides cpu and memory.
fn is_extended(name: &str) -> bool {
    name.starts_with("hugepages-") || (name.contains('/') && !name.starts_with("kubernetes.io/"))
}

/// The CPU a container without a CPU request counts as when scoring (`DefaultMilliCPURequest`).
pub const DEFAULT_MILLI_CPU_REQUEST: i128 = 100;
/// The memory a container without a memory request counts as when scoring (200 MiB).
pub const DEFAULT_MEMORY_REQUEST: i128 = 200 * 1024 * 1024;

/// A host port a pod uses: protocol, host IP (`0.0.0.0` when unset), port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPort {
    pub protocol: String,
    pub ip: String,
    pub port: i32,
}

impl HostPort {
    /// Whether two host ports conflict: same protocol and port, and one IP is the wildcard or both equal.
    pub fn conflicts(&self, other: &HostPort) -> bool {
        self.port == other.port
            && self.protocol == other.protocol
            && (self.ip == other.ip || self.ip == "0.0.0.0" || other.ip == "0.0.0.0")
    }
}

/// One pod (anti-)affinity term, compiled.
#[derive(Debug, Clone)]
pub struct AffinityTerm {
    pub selector: LabelSelector,
    /// Namespaces the term looks in; empty with `all_namespaces` false and no selector means none.
    pub namespaces: Vec<String>,
    pub namespace_selector: Option<LabelSelector>,
    pub topology_key: String,
    pub weight: i32,
}

impl AffinityTerm {
    fn compile(term: &PodAffinityTerm, own_namespace: &str, weight: i32) -> Option<AffinityTerm> {
        let selector = match &term.label_selector {
            Some(s) => LabelSelector::from_k8s(s).ok()?,
            None => LabelSelector::nothing(),
        };
        let namespace_selector = term.namespace_selector.as_ref().and_then(|s| LabelSelector::from_k8s(s).ok());
        let mut namespaces = term.namespaces.clone().unwrap_or_default();
        if namespaces.is_empty() && namespace_selector.is_none() {
            namespaces.push(own_namespace.to_string());
        }
        Some(AffinityTerm { selector, namespaces, namespace_selector, topology_key: term.topology_key.clone(), weight })
    }

    /// Whether `pod` is one the term selects (its namespace and its labels).
    pub fn matches(&self, pod: &PodInfo, cache: &Cache) -> bool {
        self.matches_labels(&pod.namespace, pod.labels(), cache)
    }

    /// Whether a pod in `namespace` with `labels` is one the term selects.
    pub fn matches_labels(&self, namespace: &str, labels: &BTreeMap<String, String>, cache: &Cache) -> bool {
        let ns_ok = self.namespaces.iter().any(|n| n == namespace)
            || self
                .namespace_selector
                .as_ref()
                .is_some_and(|sel| sel.is_empty() || cache.namespace_labels(namespace).is_some_and(|l| sel.matches(l)));
        ns_ok && self.selector.matches(labels)
    }

    /// A key equal for terms with the same content (the weight aside).
    pub fn identity(&self) -> String {
        format!("{:?}\0{:?}\0{:?}\0{}", self.namespaces, self.namespace_selector, self.selector, self.topology_key)
    }
}

/// What the scheduler knows of a pod, computed once from the object (`framework.PodInfo`).
#[derive(Debug, Clone)]
pub struct PodInfo {
    pub obj: Arc<Object>,
    pub key: String,
    pub namespace: String,
    pub name: String,
    pub uid: String,
    /// A copy of the pod's labels, close at hand for the selectors that scan every pod.
    pub labels: BTreeMap<String, String>,
    pub priority: i32,
    /// Requests as the pod's containers state them (init containers and overhead included).
    pub requests: Resources,
    /// Requests where a container with no cpu or memory request counts as 100m / 200Mi.
    pub non_zero_cpu: i128,
    pub non_zero_memory: i128,
    pub host_ports: Vec<HostPort>,
    pub required_affinity: Vec<AffinityTerm>,
    pub required_anti_affinity: Vec<AffinityTerm>,
    pub preferred_affinity: Vec<AffinityTerm>,
    pub preferred_anti_affinity: Vec<AffinityTerm>,
    /// The images of the pod's containers, then its init containers', normalized once here
    /// rather than for every node ImageLocality scores.
    pub images: Vec<String>,
}

impl PodInfo {
    pub fn new(obj: Arc<Object>) -> PodInfo {
        let (namespace, name) = (obj.namespace().to_string(), obj.name().to_string());
        let uid = obj.metadata().uid.clone().unwrap_or_default();
        let mut info = PodInfo {
            key: format!("{namespace}/{name}"),
            labels: obj.metadata().labels.clone().unwrap_or_default(),
            namespace,
            name,
            uid,
            priority: 0,
            requests: Resources { pods: 1, ..Default::default() },
            non_zero_cpu: 0,
            non_zero_memory: 0,
            host_ports: Vec::new(),
            required_affinity: Vec::new(),
            required_anti_affinity: Vec::new(),
            preferred_affinity: Vec::new(),
            preferred_anti_affinity: Vec::new(),
            images: Vec::new(),
            obj,
        };
        let Object::Pod(pod) = &*info.obj else { return info };
        let Some(spec) = pod.spec.as_ref() else { return info };
        info.priority = spec.priority.unwrap_or(0);
        info.images = spec
            .containers
            .iter()
            .chain(spec.init_containers.iter().flatten())
            .map(|c| super::cache::normalized_image(c.image.as_deref().unwrap_or("")))
            .collect();
        let (requests, cpu, memory) = pod_requests(spec);
        info.requests = Resources { pods: 1, ..requests };
        (info.non_zero_cpu, info.non_zero_memory) = (cpu, memory);
        for c in &spec.containers {
            for p in c.ports.iter().flatten() {
                if let Some(port) = p.host_port.filter(|p| *p > 0) {
                    info.host_ports.push(HostPort {
                        protocol: p.protocol.clone().unwrap_or_else(|| "TCP".into()),
                        ip: p.host_ip.clone().filter(|ip| !ip.is_empty()).unwrap_or_else(|| "0.0.0.0".into()),
                        port,
                    });
                }
            }
        }
        let ns = info.namespace.clone();
        if let Some(aff) = spec.affinity.as_ref() {
            if let Some(pa) = &aff.pod_affinity {
                info.required_affinity =
                    compile_all(pa.required_during_scheduling_ignored_during_execution.iter().flatten(), &ns);
                info.preferred_affinity = pa
                    .preferred_during_scheduling_ignored_during_execution
                    .iter()
                    .flatten()
                    .filter_map(|w| AffinityTerm::compile(&w.pod_affinity_term, &ns, w.weight))
                    .collect();
            }
            if let Some(pa) = &aff.pod_anti_affinity {
                info.required_anti_affinity =
                    compile_all(pa.required_during_scheduling_ignored_during_execution.iter().flatten(), &ns);
                info.preferred_anti_affinity = pa
                    .preferred_during_scheduling_ignored_during_execution
                    .iter()
                    .flatten()
                    .filter_map(|w| AffinityTerm::compile(&w.pod_affinity_term, &ns, w.weight))
                    .collect();
            }
        }
        info
    }

    pub fn pod(&self) -> &Pod {
        match &*self.obj {
            Object::Pod(p) => p,
            _ => unreachable!("a PodInfo is made from a pod"),
        }
    }

    pub fn spec(&self) -> Option<&PodSpec> {
        self.pod().spec.as_deref()
    }

    pub fn labels(&self) -> &BTreeMap<String, String> {
        &self.labels
    }

    pub fn has_affinity(&self) -> bool {
        !(self.required_affinity.is_empty()
            && self.required_anti_affinity.is_empty()
            && self.preferred_affinity.is_empty()
            && self.preferred_anti_affinity.is_empty())
    }

    /// Whether the pod's terms count when scoring other pods: required affinity or any preferred term.
    pub fn has_scoring_terms(&self) -> bool {
        !(self.required_affinity.is_empty()
            && self.preferred_affinity.is_empty()
            && self.preferred_anti_affinity.is_empty())
    }

    pub fn preemption_policy(&self) -> &str {
        self.spec().and_then(|s| s.preemption_policy.as_deref()).unwrap_or("PreemptLowerPriority")
    }

    /// When the pod started (for preemption's tie-break), or its creation.
    pub fn start_time(&self) -> i64 {
        let pod = self.pod();
        pod.status
            .as_ref()
            .and_then(|s| s.start_time.as_ref())
            .or(pod.metadata.creation_timestamp.as_ref())
            .map(|t| t.0.as_second())
            .unwrap_or(0)
    }
}

fn compile_all<'a>(terms: impl Iterator<Item = &'a PodAffinityTerm>, ns: &str) -> Vec<AffinityTerm> {
    terms.filter_map(|t| AffinityTerm::compile(t, ns, 1)).collect()
}

fn container_requests(c: &Container) -> (Resources, i128, i128) {
    let requests = c.resources.as_ref().and_then(|r| r.requests.as_ref());
    let r = Resources::from_list(requests);
    let has = |name: &str| requests.is_some_and(|m| m.contains_key(name));
    let cpu = if has("cpu") { r.milli_cpu } else { DEFAULT_MILLI_CPU_REQUEST };
    let memory = if has("memory") { r.memory } else { DEFAULT_MEMORY_REQUEST };
    (r, cpu, memory)
}

/// A pod's requests as upstream's `PodRequests`: the containers' sum (with restartable init
/// containers, the sidecars), at least each ordinary init container with the sidecars started
/// before it, plus the pod overhead. Also the "non-zero" cpu and memory used for scoring.
pub fn pod_requests(spec: &PodSpec) -> (Resources, i128, i128) {
    let mut sum = Resources::default();
    let (mut cpu, mut memory) = (0, 0);
    for c in &spec.containers {
        let (r, c_cpu, c_mem) = container_requests(c);
        sum.add(&r);
        cpu += c_cpu;
        memory += c_mem;
    }
    let mut sidecars = Resources::default();
    let (mut side_cpu, mut side_mem) = (0, 0);
    let mut init_max = Resources::default();
    let (mut init_cpu, mut init_mem) = (0, 0);
    for c in spec.init_containers.iter().flatten() {
        let (r, c_cpu, c_mem) = container_requests(c);
        if c.restart_policy.as_deref() == Some("Always") {
            sidecars.add(&r);
            side_cpu += c_cpu;
            side_mem += c_mem;
        } else {
            let mut with = sidecars.clone();
            with.add(&r);
            init_max.max_with(&with);
            init_cpu = init_cpu.max(side_cpu + c_cpu);
            init_mem = init_mem.max(side_mem + c_mem);
        }
    }
    sum.add(&sidecars);
    sum.max_with(&init_max);
    cpu = (cpu + side_cpu).max(init_cpu);
    memory = (memory + side_mem).max(init_mem);
    if let Some(overhead) = spec.overhead.as_ref() {
        let o = Resources::from_list(Some(overhead));
        sum.add(&o);
        cpu += o.milli_cpu;
        memory += o.memory;
    }
    (sum, cpu, memory)
}

/// What plugins compute in PreFilter/PreScore and read in Filter/Score, for one pod in one
/// scheduling cycle (upstream's `CycleState`, with one typed slot per plugin instead of a map).
#[derive(Default)]
pub struct CycleState {
    /// Plugins whose Filter is skipped (by index in the profile's filter list).
    pub skip_filter: u64,
    /// Plugins whose Score is skipped (by index in the profile's score list).
    pub skip_score: u64,
    pub node_affinity: Option<super::plugins::node_affinity::PreState>,
    pub taints: Option<super::plugins::taint_toleration::PreState>,
    pub spread: Option<super::plugins::pod_topology_spread::PreFilterState>,
    pub spread_score: Option<super::plugins::pod_topology_spread::PreScoreState>,
    pub inter_pod: Option<super::plugins::inter_pod_affinity::PreFilterState>,
    pub inter_pod_score: Option<super::plugins::inter_pod_affinity::PreScoreState>,
    pub images: super::plugins::image_locality::PreScoreState,
    /// The number of nodes (all, and those that passed Filter) for plugins that scale by it.
    pub num_nodes: usize,
    /// `PreFilterResult.NodeNames`: when set, only these nodes are worth filtering (a pod
    /// pinned by `matchFields metadata.name`, as DaemonSet pods are); the rest fail with
    /// `node(s) didn't satisfy plugin(s) [...]`.
    pub node_names: Option<(Vec<String>, &'static str)>,
}

/// What every extension point gets: the pod, the cycle's cache snapshot.
pub struct Args<'a> {
    pub pod: &'a PodInfo,
    pub cache: &'a Cache,
}

pub trait Plugin: Sync {
    fn name(&self) -> &'static str;
}

pub trait PreFilterPlugin: Plugin {
    /// Compute what Filter needs; `Skip` when Filter has nothing to check for this pod.
    fn pre_filter(&self, args: &Args<'_>, state: &mut CycleState) -> Status;
}

pub trait FilterPlugin: Plugin {
    fn filter(&self, args: &Args<'_>, state: &CycleState, node: &NodeInfo) -> Status;
}

pub trait PreScorePlugin: Plugin {
    /// Compute what Score needs over the feasible nodes; `Skip` when Score has nothing to say.
    fn pre_score(&self, args: &Args<'_>, state: &mut CycleState, nodes: &[&NodeInfo]) -> Status;
}

pub trait ScorePlugin: Plugin {
    fn score(&self, args: &Args<'_>, state: &CycleState, node: &NodeInfo) -> i64;
    /// Bring the scores to 0..=100 (`NormalizeScore`); by default they already are.
    fn normalize(&self, _args: &Args<'_>, _state: &CycleState, _nodes: &[&NodeInfo], _scores: &mut [i64]) {}
}

/// `DefaultNormalizeScore`: scale to 0..=max by the highest score; `reverse` turns it around.
pub fn default_normalize(max_priority: i64, reverse: bool, scores: &mut [i64]) {
    let max = scores.iter().copied().max().unwrap_or(0);
    if max == 0 {
        if reverse {
            scores.iter_mut().for_each(|s| *s = max_priority);
        }
        return;
    }
    for s in scores.iter_mut() {
        let v = max_priority * *s / max;
        *s = if reverse { max_priority - v } else { v };
    }
}
