//! ImageLocality: prefer nodes that already hold the pod's images, by their size, scaled by
//! how many nodes hold them (so one node with a popular image does not draw every pod).

use crate::scheduler::cache::NodeInfo;
use crate::scheduler::framework::{Args, CycleState, Plugin, ScorePlugin, MAX_NODE_SCORE};

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

impl ScorePlugin for ImageLocality {
    fn score(&self, args: &Args<'_>, _state: &CycleState, node: &NodeInfo) -> i64 {
        if node.images.is_empty() {
            return 0;
        }
        let total = args.cache.num_nodes().max(1) as f64;
        let mut sum = 0;
        for image in &args.pod.images {
            if let Some(size) = node.images.get(image) {
                let spread = args.cache.image_nodes(image) as f64 / total;
                sum += (*size as f64 * spread) as i64;
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
