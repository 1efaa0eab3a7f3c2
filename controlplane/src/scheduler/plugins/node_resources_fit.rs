//! NodeResourcesFit: the pod's requests must fit in what the node's allocatable leaves after
//! the requests of its pods (Filter); the LeastAllocated strategy scores the node by how much
//! cpu and memory stay free once the pod is there.

use std::borrow::Cow;

use crate::scheduler::cache::NodeInfo;
use crate::scheduler::framework::Code;
use crate::scheduler::framework::{
    Args, CycleState, FilterPlugin, Plugin, Reason, Resources, ScorePlugin, Status, MAX_NODE_SCORE,
};

pub struct NodeResourcesFit;

pub const NAME: &str = "NodeResourcesFit";

impl Plugin for NodeResourcesFit {
    fn name(&self) -> &'static str {
        NAME
    }
}

/// A resource a node lacks for a pod (`InsufficientResource`): what the pod requests, what the
/// node's pods already request and the node's allocatable, in milli-CPU, bytes or a count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Insufficient {
    pub resource: Cow<'static, str>,
    pub requested: i128,
    pub used: i128,
    pub capacity: i128,
}

impl Insufficient {
    /// The scheduler's words for it.
    pub fn reason(&self) -> Reason {
        match &self.resource {
            Cow::Borrowed("pods") => "Too many pods".into(),
            Cow::Borrowed("cpu") => "Insufficient cpu".into(),
            Cow::Borrowed("memory") => "Insufficient memory".into(),
            Cow::Borrowed("ephemeral-storage") => "Insufficient ephemeral-storage".into(),
            other => format!("Insufficient {other}").into(),
        }
    }
}

/// `fitsRequest`: what a pod requesting `req` lacks on a node with `alloc`, whose `pods` pods
/// request `used` together; empty when it fits. The scheduler's Filter and the kubelet's
/// admission both ask this.
pub fn fits(req: &Resources, alloc: &Resources, used: &Resources, pods: usize) -> Vec<Insufficient> {
    let mut out = Vec::new();
    let mut lacks = |resource: Cow<'static, str>, requested: i128, used: i128, capacity: i128| {
        out.push(Insufficient { resource, requested, used, capacity })
    };
    let pods = pods as i128;
    if pods + 1 > alloc.pods {
        lacks("pods".into(), 1, pods, alloc.pods);
    }
    if req.milli_cpu == 0 && req.memory == 0 && req.ephemeral_storage == 0 && req.scalar.iter().all(|(_, v)| *v == 0) {
        return out;
    }
    for (name, r, a, u) in [
        ("cpu", req.milli_cpu, alloc.milli_cpu, used.milli_cpu),
        ("memory", req.memory, alloc.memory, used.memory),
        ("ephemeral-storage", req.ephemeral_storage, alloc.ephemeral_storage, used.ephemeral_storage),
    ] {
        if r > 0 && r > a.saturating_sub(u) {
            lacks(name.into(), r, u, a);
        }
    }
    for (name, r) in &req.scalar {
        let (a, u) = (alloc.scalar(name), used.scalar(name));
        if *r > 0 && *r > a.saturating_sub(u) {
            lacks(name.clone().into(), *r, u, a);
        }
    }
    out
}

/// Whether `fits` would find nothing short: the filter's common case, answered without
/// building the list (it runs for every node a pod is checked against).
pub fn fits_all(req: &Resources, alloc: &Resources, used: &Resources, pods: usize) -> bool {
    let enough = |r: i128, a: i128, u: i128| r <= 0 || r <= a.saturating_sub(u);
    (pods as i128) < alloc.pods
        && enough(req.milli_cpu, alloc.milli_cpu, used.milli_cpu)
        && enough(req.memory, alloc.memory, used.memory)
        && enough(req.ephemeral_storage, alloc.ephemeral_storage, used.ephemeral_storage)
        && req.scalar.iter().all(|(name, r)| enough(*r, alloc.scalar(name), used.scalar(name)))
}

impl FilterPlugin for NodeResourcesFit {
    /// `fitsRequest`: the reasons are built only for a node the pod does not fit, and the
    /// common case returns at once (this runs for every node a pod is checked against).
    fn filter(&self, args: &Args<'_>, _state: &CycleState, node: &NodeInfo) -> Status {
        let (req, pods) = (&args.pod.requests, node.pods.len());
        if fits_all(req, &node.allocatable, &node.requested, pods) {
            return Status::SUCCESS;
        }
        let reasons: Vec<Reason> =
            fits(req, &node.allocatable, &node.requested, pods).iter().map(Insufficient::reason).collect();
        if reasons.is_empty() {
            Status::SUCCESS
        } else {
            Status { code: Code::Unschedulable, reasons }
        }
    }
}

/// `leastRequestedScore`: the free share of the resource, 0..=100.
fn least_requested(requested: i128, capacity: i128) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    let free = capacity - requested;
    // Real amounts fit in 64 bits, where division is one instruction rather than a call.
    if let (Ok(free), Ok(capacity)) = (i64::try_from(free), i64::try_from(capacity)) {
        if let Some(scaled) = free.checked_mul(MAX_NODE_SCORE) {
            return scaled / capacity;
        }
    }
    (free * i128::from(MAX_NODE_SCORE) / capacity) as i64
}

impl ScorePlugin for NodeResourcesFit {
    /// LeastAllocated over cpu and memory, weight 1 each.
    fn score(&self, args: &Args<'_>, _state: &CycleState, node: &NodeInfo) -> i64 {
        // Each resource named rather than looped over: iterating an array of the two pairs
        // cost more than the scoring itself (this runs for every node of every cycle).
        let (mut sum, mut weights) = (0, 0);
        let mut add = |requested: i128, capacity: i128| {
            if capacity != 0 {
                sum += least_requested(requested, capacity);
                weights += 1;
            }
        };
        add(node.non_zero_cpu + args.pod.non_zero_cpu, node.allocatable.milli_cpu);
        add(node.non_zero_memory + args.pod.non_zero_memory, node.allocatable.memory);
        if weights == 0 {
            0
        } else {
            sum / weights
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Milli-CPU as the API allows it per pod (2^63-1 cores), or a few pods' worth of it.
    fn amount() -> impl Strategy<Value = i128> {
        prop_oneof![0..10_000i128, 0..=i128::from(i64::MAX) * 1000, 0..=i128::from(i64::MAX) * 1000 * 110]
    }

    proptest! {
        /// Whatever the amounts, `fits` names exactly the resources that are short, and the
        /// node's running totals go back exactly when a pod leaves.
        #[test]
        fn fits_names_what_is_short(req in amount(), alloc in amount(), used in amount(), pods in 0usize..200, max in 0i128..200) {
            let r = |v: i128| Resources { milli_cpu: v, memory: v, pods: max, ..Default::default() };
            let short = fits(&r(req), &r(alloc), &r(used), pods);
            let names: Vec<&str> = short.iter().map(|s| s.resource.as_ref()).collect();
            let mut want = Vec::new();
            if pods as i128 + 1 > max {
                want.push("pods");
            }
            if req > 0 && req > alloc - used {
                want.extend(["cpu", "memory"]);
            }
            prop_assert_eq!(names, want);
            prop_assert_eq!(fits_all(&r(req), &r(alloc), &r(used), pods), short.is_empty());
            let scalar = |v: i128| Resources { scalar: vec![("example.com/gpu".into(), v)], pods: max, ..Default::default() };
            let short = fits(&scalar(req), &scalar(alloc), &scalar(used), pods);
            prop_assert_eq!(fits_all(&scalar(req), &scalar(alloc), &scalar(used), pods), short.is_empty());
            let mut total = r(used);
            total.add(&r(req));
            total.sub(&r(req));
            prop_assert_eq!(total, r(used));
        }
    }

    proptest! {
        /// The 64-bit shortcut scores as the exact formula does.
        #[test]
        fn least_requested_matches_the_exact_formula(requested in amount(), capacity in amount()) {
            let exact = if capacity == 0 || requested > capacity {
                0
            } else {
                ((capacity - requested) * i128::from(MAX_NODE_SCORE) / capacity) as i64
            };
            prop_assert_eq!(least_requested(requested, capacity), exact);
        }
    }

    #[test]
    fn least_requested_scores() {
        assert_eq!(least_requested(0, 4000), 100);
        assert_eq!(least_requested(1000, 4000), 75);
        assert_eq!(least_requested(4001, 4000), 0);
        assert_eq!(least_requested(100, 0), 0);
        assert_eq!(least_requested(333, 1000), 66);
    }
}
