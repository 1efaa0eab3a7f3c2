//! ImageLocality: prefer nodes that already hold the pod's images, by their size, scaled by
//! how many nodes hold them (so one node with a popular image does not draw every pod).
//!
//! Upstream has no PreScore here: it reads each image's node count from the snapshot for
//! every node scored. That count is the same for every node of a cycle, so PreScore finds it
//! once per image, with the image's number, and Score only compares numbers.

use crate::scheduler::cache::NodeInfo;
use crate::scheduler::framework::{Args, CycleState, Plugin, PreScorePlugin, ScorePlugin, Status, MAX_NODE_SCORE};

pub struct ImageLocality;

pub const NAME: &str = "ImageLocality";

const MB: i64 = 1024 * 1024;
const MIN_THRESHOLD: i64 = 23 * MB;
const MAX_CONTAINER_THRESHOLD: i64 = 1000 * MB;

impl Plugin for ImageLocality {
    fn name(&self) -> &'static str {
        NAME
    }
}

/// `calculatePriority`: the summed image score, clamped between thresholds, to 0..=100.
pub fn priority(sum: i64, containers: i64) -> i64 {
    let max = MAX_CONTAINER_THRESHOLD * containers.max(1);
    let sum = sum.clamp(MIN_THRESHOLD, max);
    MAX_NODE_SCORE * (sum - MIN_THRESHOLD) / (max - MIN_THRESHOLD)
}

/// The pod's images that some node holds: each one's number in the cache's image table and
/// the share of all nodes holding it.
#[derive(Default)]
pub struct PreScoreState(Vec<(u32, f64)>);

impl PreScorePlugin for ImageLocality {
    fn pre_score(&self, args: &Args<'_>, state: &mut CycleState, _nodes: &[&NodeInfo]) -> Status {
        let total = args.cache.num_nodes().max(1) as f64;
        let held = args.pod.images.iter().filter_map(|image| args.cache.image(image));
        state.images = PreScoreState(held.map(|(id, nodes)| (id, nodes as f64 / total)).collect());
        // Never Skip: every node scores (0 where it holds none), as upstream's Score always runs.
        Status::SUCCESS
    }
}

impl ScorePlugin for ImageLocality {
    fn score(&self, args: &Args<'_>, state: &CycleState, node: &NodeInfo) -> i64 {
        let mut sum = 0;
        for &(image, spread) in &state.images.0 {
            if let Ok(i) = node.images.binary_search_by_key(&image, |&(id, _)| id) {
                sum += (node.images[i].1 as f64 * spread) as i64;
            }
        }
        let count = args.pod.images.len() as i64;
        priority(sum, count)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn thresholds() {
        assert_eq!(super::priority(0, 1), 0);
        assert_eq!(super::priority(2000 * super::MB, 1), 100);
        assert_eq!(super::priority(500 * super::MB, 1), 48);
    }
}
