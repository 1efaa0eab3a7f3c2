//! PodTopologySpread: `topologySpreadConstraints`. A `DoNotSchedule` constraint keeps out
//! nodes where placing the pod would make the skew (matching pods in the node's domain minus
//! the fewest in any domain) exceed `maxSkew`; `ScheduleAnyway` constraints score nodes by
//! how many matching pods their domains already hold (fewer is better).

use std::collections::HashMap;

use k8s_openapi::api::core::v1::TopologySpreadConstraint;

use super::node_affinity::pod_matches_node;
use super::taint_toleration::tolerates;
use crate::model::selector::{LabelSelector, Operator, Requirement};
use crate::scheduler::cache::NodeInfo;
use crate::scheduler::framework::{
    Args, CycleState, FilterPlugin, Plugin, PreFilterPlugin, PreScorePlugin, ScorePlugin, Status, MAX_NODE_SCORE,
};

pub struct PodTopologySpread;

pub const NAME: &str = "PodTopologySpread";
pub const REASON: &str = "node(s) didn't match pod topology spread constraints";
pub const REASON_LABEL: &str = "node(s) didn't match pod topology spread constraints (missing required label)";

const HOSTNAME: &str = "kubernetes.io/hostname";

/// One constraint, compiled.
pub struct Constraint {
    pub max_skew: i64,
    pub topology_key: String,
    pub selector: LabelSelector,
    pub min_domains: i64,
    pub honor_affinity: bool,
    pub honor_taints: bool,
}

pub struct PreFilterState {
    pub constraints: Vec<Constraint>,
    /// (constraint index, topology value) → matching pods.
    pub counts: HashMap<(usize, String), i64>,
    /// The fewest matching pods in any domain, per constraint.
    pub min: Vec<i64>,
}

pub struct PreScoreState {
    pub constraints: Vec<Constraint>,
    pub counts: HashMap<(usize, String), i64>,
    pub weights: Vec<f64>,
    /// Feasible nodes without every topology key: scored 0.
    pub ignored: Vec<bool>,
}

fn compile(args: &Args<'_>, hard: bool) -> Vec<Constraint> {
    let Some(spec) = args.pod.spec() else { return Vec::new() };
    let wanted = if hard { "DoNotSchedule" } else { "ScheduleAnyway" };
    spec.topology_spread_constraints
        .iter()
        .flatten()
        .filter(|c| c.when_unsatisfiable == wanted)
        .map(|c| constraint(c, args))
        .collect()
}

fn constraint(c: &TopologySpreadConstraint, args: &Args<'_>) -> Constraint {
    let mut selector = match &c.label_selector {
        Some(s) => LabelSelector::from_k8s(s).unwrap_or_else(|_| LabelSelector::nothing()),
        None => LabelSelector::nothing(),
    };
    if let Some(keys) = &c.match_label_keys {
        let mut reqs = selector.requirements().to_vec();
        for k in keys {
            if let Some(v) = args.pod.labels().get(k) {
                if let Ok(r) = Requirement::new(k, Operator::In, vec![v.clone()]) {
                    reqs.push(r);
                }
            }
        }
        if c.label_selector.is_some() {
            selector = LabelSelector::from_requirements(reqs);
        }
    }
    Constraint {
        max_skew: c.max_skew as i64,
        topology_key: c.topology_key.clone(),
        selector,
        min_domains: c.min_domains.unwrap_or(1) as i64,
        honor_affinity: c.node_affinity_policy.as_deref() != Some("Ignore"),
        honor_taints: c.node_taints_policy.as_deref() == Some("Honor"),
    }
}

/// Whether the node counts for the constraints (inclusion policies) and has all their keys.
fn node_counts(args: &Args<'_>, constraints: &[Constraint], node: &NodeInfo) -> bool {
    let labels = node.labels();
    if !constraints.iter().all(|c| labels.contains_key(&c.topology_key)) {
        return false;
    }
    if constraints.iter().any(|c| c.honor_affinity) && !pod_matches_node(args, node) {
        return false;
    }
    if constraints.iter().any(|c| c.honor_taints) {
        let tolerations = args.pod.spec().and_then(|s| s.tolerations.as_deref()).unwrap_or(&[]);
        let untolerated = node
            .taints()
            .iter()
            .filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute")
            .any(|taint| !tolerations.iter().any(|t| tolerates(t, taint)));
        if untolerated {
            return false;
        }
    }
    true
}

/// Pods on the node in the pod's namespace, not being deleted, that the selector matches.
fn matching(args: &Args<'_>, node: &NodeInfo, selector: &LabelSelector) -> i64 {
    node.pods
        .iter()
        .filter(|p| {
            p.namespace == args.pod.namespace
                && p.obj.metadata().deletion_timestamp.is_none()
                && selector.matches(p.labels())
        })
        .count() as i64
}

impl Plugin for PodTopologySpread {
    fn name(&self) -> &'static str {
        NAME
    }
}

impl PreFilterPlugin for PodTopologySpread {
    fn pre_filter(&self, args: &Args<'_>, state: &mut CycleState) -> Status {
        let constraints = compile(args, true);
        if constraints.is_empty() {
            return Status::SKIP;
        }
        let mut counts: HashMap<(usize, String), i64> = HashMap::new();
        for node in args.cache.nodes() {
            if !node_counts(args, &constraints, node) {
                continue;
            }
            for (i, c) in constraints.iter().enumerate() {
                let value = node.labels()[&c.topology_key].clone();
                *counts.entry((i, value)).or_insert(0) += matching(args, node, &c.selector);
            }
        }
        let min = (0..constraints.len())
            .map(|i| {
                let domains: Vec<i64> = counts.iter().filter(|((j, _), _)| *j == i).map(|(_, n)| *n).collect();
                if (domains.len() as i64) < constraints[i].min_domains {
                    0
                } else {
                    domains.into_iter().min().unwrap_or(0)
                }
            })
            .collect();
        state.spread = Some(PreFilterState { constraints, counts, min });
        Status::SUCCESS
    }
}

impl FilterPlugin for PodTopologySpread {
    fn filter(&self, args: &Args<'_>, state: &CycleState, node: &NodeInfo) -> Status {
        let Some(s) = &state.spread else { return Status::SUCCESS };
        let labels = node.labels();
        for (i, c) in s.constraints.iter().enumerate() {
            let Some(value) = labels.get(&c.topology_key) else {
                return Status::unresolvable(REASON_LABEL);
            };
            let self_match = i64::from(c.selector.matches(args.pod.labels()));
            let count = s.counts.get(&(i, value.clone())).copied().unwrap_or(0);
            if count + self_match - s.min[i] > c.max_skew {
                return Status::unschedulable(REASON);
            }
        }
        Status::SUCCESS
    }
}

impl PreScorePlugin for PodTopologySpread {
    fn pre_score(&self, args: &Args<'_>, state: &mut CycleState, nodes: &[&NodeInfo]) -> Status {
        let constraints = compile(args, false);
        if constraints.is_empty() {
            return Status::SKIP;
        }
        let ignored: Vec<bool> =
            nodes.iter().map(|n| !constraints.iter().all(|c| n.labels().contains_key(&c.topology_key))).collect();
        // Domains among the feasible nodes, per constraint.
        let mut counts: HashMap<(usize, String), i64> = HashMap::new();
        let mut weights = Vec::new();
        for (i, c) in constraints.iter().enumerate() {
            let mut domains: Vec<&String> =
                nodes.iter().zip(&ignored).filter(|(_, ig)| !**ig).map(|(n, _)| &n.labels()[&c.topology_key]).collect();
            domains.sort();
            domains.dedup();
            weights.push(((domains.len() + 2) as f64).ln());
            if c.topology_key != HOSTNAME {
                for d in domains {
                    counts.insert((i, d.clone()), 0);
                }
            }
        }
        for node in args.cache.nodes() {
            if !node_counts(args, &constraints, node) {
                continue;
            }
            for (i, c) in constraints.iter().enumerate() {
                if c.topology_key == HOSTNAME {
                    continue;
                }
                if let Some(n) = counts.get_mut(&(i, node.labels()[&c.topology_key].clone())) {
                    *n += matching(args, node, &c.selector);
                }
            }
        }
        state.spread_score = Some(PreScoreState { constraints, counts, weights, ignored });
        Status::SUCCESS
    }
}

impl ScorePlugin for PodTopologySpread {
    fn score(&self, args: &Args<'_>, state: &CycleState, node: &NodeInfo) -> i64 {
        let Some(s) = &state.spread_score else { return 0 };
        let labels = node.labels();
        let mut score = 0.0;
        for (i, c) in s.constraints.iter().enumerate() {
            let Some(value) = labels.get(&c.topology_key) else { continue };
            let count = if c.topology_key == HOSTNAME {
                matching(args, node, &c.selector)
            } else {
                s.counts.get(&(i, value.clone())).copied().unwrap_or(0)
            };
            score += count as f64 * s.weights[i] + (c.max_skew - 1) as f64;
        }
        score.round() as i64
    }

    fn normalize(&self, _args: &Args<'_>, state: &CycleState, _nodes: &[&NodeInfo], scores: &mut [i64]) {
        let Some(s) = &state.spread_score else { return };
        let (mut min, mut max) = (i64::MAX, 0);
        for (score, ignored) in scores.iter().zip(&s.ignored) {
            if !ignored {
                min = min.min(*score);
                max = max.max(*score);
            }
        }
        for (score, ignored) in scores.iter_mut().zip(&s.ignored) {
            *score = if *ignored {
                0
            } else if max == 0 {
                MAX_NODE_SCORE
            } else {
                MAX_NODE_SCORE * (max + min - *score) / max
            };
        }
    }
}
