//! The default profile (`default-scheduler`): which plugins run at each extension point, in
//! upstream's order, and the score weights. Plugin names live here and in each plugin file.
//!
//! Upstream's order: SchedulingGates, PrioritySort, NodeUnschedulable, NodeName,
//! TaintToleration (weight 3), NodeAffinity (2), NodePorts, NodeResourcesFit (1),
//! VolumeRestrictions, NodeVolumeLimits, VolumeBinding, VolumeZone, PodTopologySpread (2),
//! InterPodAffinity (2), DefaultPreemption, NodeResourcesBalancedAllocation (1),
//! ImageLocality (1), DefaultBinder. PrioritySort is the queue's order (`queue.rs`),
//! DefaultPreemption the PostFilter (`plugins/default_preemption.rs`); the volume plugins
//! other than VolumeBinding and SchedulingGates are not built.

use super::framework::{FilterPlugin, PreFilterPlugin, PreScorePlugin, ScorePlugin};
use super::plugins::balanced_allocation::BalancedAllocation;
use super::plugins::image_locality::ImageLocality;
use super::plugins::inter_pod_affinity::InterPodAffinity;
use super::plugins::node_affinity::NodeAffinity;
use super::plugins::node_name::NodeName;
use super::plugins::node_ports::NodePorts;
use super::plugins::node_resources_fit::NodeResourcesFit;
use super::plugins::node_unschedulable::NodeUnschedulable;
use super::plugins::pod_topology_spread::PodTopologySpread;
use super::plugins::taint_toleration::TaintToleration;
use super::plugins::volume_binding::VolumeBinding;

pub const SCHEDULER_NAME: &str = "default-scheduler";
pub const PRIORITY_SORT: &str = "PrioritySort";
pub const DEFAULT_PREEMPTION: &str = "DefaultPreemption";

pub struct Profile {
    /// Each PreFilter plugin and the index of its Filter (which a `Skip` skips).
    pub pre_filter: Vec<(&'static dyn PreFilterPlugin, Option<usize>)>,
    pub filter: Vec<&'static dyn FilterPlugin>,
    /// Each PreScore plugin and the index of its Score.
    pub pre_score: Vec<(&'static dyn PreScorePlugin, Option<usize>)>,
    /// Each Score plugin with its weight.
    pub score: Vec<(&'static dyn ScorePlugin, i64)>,
}

impl Profile {
    pub fn default_profile() -> Profile {
        let filter: Vec<&'static dyn FilterPlugin> = vec![
            &NodeUnschedulable,
            &NodeName,
            &TaintToleration,
            &NodeAffinity,
            &NodePorts,
            &NodeResourcesFit,
            &PodTopologySpread,
            &InterPodAffinity,
        ];
        let score: Vec<(&'static dyn ScorePlugin, i64)> = vec![
            (&TaintToleration, 3),
            (&NodeAffinity, 2),
            (&NodeResourcesFit, 1),
            (&PodTopologySpread, 2),
            (&InterPodAffinity, 2),
            (&BalancedAllocation, 1),
            (&ImageLocality, 1),
        ];
        let pre_filter_plugins: Vec<&'static dyn PreFilterPlugin> =
            vec![&NodeAffinity, &NodePorts, &VolumeBinding, &PodTopologySpread, &InterPodAffinity];
        let pre_score_plugins: Vec<&'static dyn PreScorePlugin> = vec![
            &TaintToleration,
            &NodeAffinity,
            &PodTopologySpread,
            &InterPodAffinity,
            &BalancedAllocation,
            &ImageLocality,
        ];
        let pre_filter =
            pre_filter_plugins.into_iter().map(|p| (p, filter.iter().position(|f| f.name() == p.name()))).collect();
        let pre_score =
            pre_score_plugins.into_iter().map(|p| (p, score.iter().position(|(s, _)| s.name() == p.name()))).collect();
        Profile { pre_filter, filter, pre_score, score }
    }
}

/// How many feasible nodes to find before scoring (`numFeasibleNodesToFind`): all under 100
/// nodes; else `max(50 - nodes/125, 5)` percent, and at least 100.
pub fn num_feasible_nodes_to_find(all: usize) -> usize {
    if all < 100 {
        return all;
    }
    let percent = (50 - all as i64 / 125).max(5) as usize;
    (all * percent / 100).max(100)
}

#[cfg(test)]
mod tests {
    #[test]
    fn feasible_nodes() {
        for (all, expect) in
            [(4, 4), (99, 99), (100, 100), (500, 230), (1000, 420), (5000, 500), (6000, 300), (20000, 1000)]
        {
            assert_eq!(super::num_feasible_nodes_to_find(all), expect, "{all} nodes");
        }
    }
}
