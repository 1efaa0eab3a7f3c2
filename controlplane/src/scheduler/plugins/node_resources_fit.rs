//! NodeResourcesFit: the pod's requests must fit in what the node's allocatable leaves after
//! the requests of its pods (Filter); the LeastAllocated strategy scores the node by how much
//! cpu and memory stay free once the pod is there.

use crate::scheduler::cache::NodeInfo;
use crate::scheduler::framework::Code;
use crate::scheduler::framework::{
    Args, CycleState, FilterPlugin, Plugin, Reason, ScorePlugin, Status, MAX_NODE_SCORE,
};

pub struct NodeResourcesFit;

pub const NAME: &str = "NodeResourcesFit";

impl Plugin for NodeResourcesFit {
    fn name(&self) -> &'static str {
        NAME
    }
}

/// The reasons a pod does not fit (`fitsRequest`), empty when it fits.
pub fn insufficient(args: &Args<'_>, node: &NodeInfo) -> Vec<Reason> {
    let mut reasons: Vec<Reason> = Vec::new();
    let (req, alloc, used) = (&args.pod.requests, &node.allocatable, &node.requested);
    if node.pods.len() as i64 + 1 > alloc.pods {
        reasons.push("Too many pods".into());
    }
    if req.milli_cpu == 0 && req.memory == 0 && req.ephemeral_storage == 0 && req.scalar.iter().all(|(_, v)| *v == 0) {
        return reasons;
    }
    if req.milli_cpu > 0 && req.milli_cpu > alloc.milli_cpu - used.milli_cpu {
        reasons.push("Insufficient cpu".into());
    }
    if req.memory > 0 && req.memory > alloc.memory - used.memory {
        reasons.push("Insufficient memory".into());
    }
    if req.ephemeral_storage > 0 && req.ephemeral_storage > alloc.ephemeral_storage - used.ephemeral_storage {
        reasons.push("Insufficient ephemeral-storage".into());
    }
    for (name, v) in &req.scalar {
        if *v > 0 && *v > alloc.scalar(name) - used.scalar(name) {
            reasons.push(format!("Insufficient {name}").into());
        }
    }
    reasons
}

impl FilterPlugin for NodeResourcesFit {
    fn filter(&self, args: &Args<'_>, _state: &CycleState, node: &NodeInfo) -> Status {
        let reasons = insufficient(args, node);
        if reasons.is_empty() {
            Status::SUCCESS
        } else {
            Status { code: Code::Unschedulable, reasons }
        }
    }
}

/// `leastRequestedScore`: the free share of the resource, 0..=100.
fn least_requested(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    (capacity - requested) * MAX_NODE_SCORE / capacity
}

impl ScorePlugin for NodeResourcesFit {
    /// LeastAllocated over cpu and memory, weight 1 each.
    fn score(&self, args: &Args<'_>, _state: &CycleState, node: &NodeInfo) -> i64 {
        let mut sum = 0;
        let mut weights = 0;
        for (requested, capacity) in [
            (node.non_zero_cpu + args.pod.non_zero_cpu, node.allocatable.milli_cpu),
            (node.non_zero_memory + args.pod.non_zero_memory, node.allocatable.memory),
        ] {
            if capacity == 0 {
                continue;
            }
            sum += least_requested(requested, capacity);
            weights += 1;
        }
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

    #[test]
    fn least_requested_scores() {
        assert_eq!(least_requested(0, 4000), 100);
        assert_eq!(least_requested(1000, 4000), 75);
        assert_eq!(least_requested(4001, 4000), 0);
        assert_eq!(least_requested(100, 0), 0);
        assert_eq!(least_requested(333, 1000), 66);
    }
}
