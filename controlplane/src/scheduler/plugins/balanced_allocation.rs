//! NodeResourcesBalancedAllocation: prefer the node where cpu and memory would be used in the
//! most equal shares once the pod is there. Pods that request nothing are not scored.

use crate::scheduler::cache::NodeInfo;
use crate::scheduler::framework::{Args, CycleState, Plugin, PreScorePlugin, ScorePlugin, Status, MAX_NODE_SCORE};

pub struct BalancedAllocation;

pub const NAME: &str = "NodeResourcesBalancedAllocation";

impl Plugin for BalancedAllocation {
    fn name(&self) -> &'static str {
        NAME
    }
}

impl PreScorePlugin for BalancedAllocation {
    fn pre_score(&self, args: &Args<'_>, _state: &mut CycleState, _nodes: &[&NodeInfo]) -> Status {
        let r = &args.pod.requests;
        if r.milli_cpu == 0 && r.memory == 0 {
            return Status::SKIP;
        }
        Status::SUCCESS
    }
}

/// `(1 - std) * 100` over the fractions of cpu and memory requested (each at most 1).
/// `v` as a float, by way of 64 bits when it fits (the same value; a 128-bit conversion is a
/// library call, and this runs for every node of every scheduling cycle).
fn as_f64(v: i128) -> f64 {
    match i64::try_from(v) {
        // `black_box` keeps the compiler from folding both arms into the 128-bit conversion
        // (they give the same value, so it did).
        Ok(v) => std::hint::black_box(v) as f64,
        Err(_) => v as f64,
    }
}

pub fn balanced_score(fractions: &[f64]) -> i64 {
    let std = match fractions {
        [a, b] => ((a - b) / 2.0).abs(),
        [] | [_] => 0.0,
        many => {
            let mean = many.iter().sum::<f64>() / many.len() as f64;
            (many.iter().map(|f| (f - mean) * (f - mean)).sum::<f64>() / many.len() as f64).sqrt()
        }
    };
    ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
}

impl ScorePlugin for BalancedAllocation {
    fn score(&self, args: &Args<'_>, _state: &CycleState, node: &NodeInfo) -> i64 {
        // Each resource named rather than looped over, as NodeResourcesFit's Score does.
        let mut fractions = [0.0; 2];
        let mut n = 0;
        let mut add = |requested: i128, capacity: i128| {
            if capacity != 0 {
                fractions[n] = (as_f64(requested) / as_f64(capacity)).min(1.0);
                n += 1;
            }
        };
        add(node.requested.milli_cpu + args.pod.requests.milli_cpu, node.allocatable.milli_cpu);
        add(node.requested.memory + args.pod.requests.memory, node.allocatable.memory);
        balanced_score(&fractions[..n])
    }
}

#[cfg(test)]
mod tests {
    use super::{as_f64, balanced_score};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn the_64_bit_way_gives_the_128_bit_conversion(v in any::<i64>(), wide in any::<i128>()) {
            prop_assert_eq!(as_f64(i128::from(v)).to_bits(), (i128::from(v) as f64).to_bits());
            prop_assert_eq!(as_f64(wide).to_bits(), (wide as f64).to_bits());
        }
    }

    #[test]
    fn balance() {
        assert_eq!(balanced_score(&[0.5, 0.5]), 100);
        assert_eq!(balanced_score(&[0.25, 0.75]), 75);
        assert_eq!(balanced_score(&[1.0, 0.0]), 50);
    }
}
