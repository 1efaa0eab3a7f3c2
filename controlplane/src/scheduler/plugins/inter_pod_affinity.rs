//! InterPodAffinity: required pod affinity and anti-affinity, of the incoming pod and of the
//! pods already placed, decide which nodes fit (Filter); preferred terms (and the required
//! affinity terms of placed pods, with weight 1) score nodes by topology domain.

use std::collections::HashMap;

use crate::scheduler::cache::NodeInfo;
use crate::scheduler::framework::{
    AffinityTerm, Args, CycleState, FilterPlugin, Plugin, PreFilterPlugin, PreScorePlugin, ScorePlugin, Status,
    MAX_NODE_SCORE,
};

pub struct InterPodAffinity;

pub const NAME: &str = "InterPodAffinity";
pub const REASON_AFFINITY: &str = "node(s) didn't match pod affinity rules";
pub const REASON_ANTI_AFFINITY: &str = "node(s) didn't match pod anti-affinity rules";
pub const REASON_EXISTING_ANTI_AFFINITY: &str = "node(s) didn't satisfy existing pods anti-affinity rules";

/// Weight of a placed pod's required affinity term when scoring (`hardPodAffinityWeight`).
const HARD_POD_AFFINITY_WEIGHT: i64 = 1;

type Pair = (String, String);

/// Counts per topology domain: key → value → count (looked up without allocating).
#[derive(Default)]
pub struct Counts(HashMap<String, HashMap<String, i64>>);

impl Counts {
    fn add_n(&mut self, node: &NodeInfo, key: &str, n: i64) {
        let Some(value) = node.labels().get(key) else { return };
        if !self.0.contains_key(key) {
            self.0.insert(key.to_string(), HashMap::new());
        }
        let values = self.0.get_mut(key).expect("just inserted");
        match values.get_mut(value) {
            Some(count) => *count += n,
            None => {
                values.insert(value.clone(), n);
            }
        }
    }

    fn get(&self, key: &str, value: &str) -> i64 {
        self.0.get(key).and_then(|v| v.get(value)).copied().unwrap_or(0)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether any of the node's domains has a count.
    fn any_on(&self, node: &NodeInfo) -> bool {
        let labels = node.labels();
        self.0.iter().any(|(k, values)| labels.get(k).is_some_and(|v| values.get(v).is_some_and(|n| *n > 0)))
    }
}

#[derive(Default)]
pub struct PreFilterState {
    /// Domains where a placed pod's required anti-affinity term matches the incoming pod.
    existing_anti: Counts,
    /// Domains holding pods that match all the incoming pod's required affinity terms.
    affinity: Counts,
    /// Domains holding pods that match one of the incoming pod's required anti-affinity terms.
    anti: Counts,
}

#[derive(Default)]
pub struct PreScoreState {
    scores: Vec<(Pair, i64)>,
}

impl Plugin for InterPodAffinity {
    fn name(&self) -> &'static str {
        NAME
    }
}

fn pair(node: &NodeInfo, key: &str) -> Option<Pair> {
    node.labels().get(key).map(|v| (key.to_string(), v.clone()))
}

impl PreFilterPlugin for InterPodAffinity {
    fn pre_filter(&self, args: &Args<'_>, state: &mut CycleState) -> Status {
        let pod = args.pod;
        if pod.required_affinity.is_empty()
            && pod.required_anti_affinity.is_empty()
            && args.cache.pods_with_affinity == 0
        {
            return Status::SKIP;
        }
        let mut s = PreFilterState::default();
        // Placed pods' required anti-affinity terms, once per distinct term.
        for group in args.cache.anti_terms() {
            if group.what.matches(pod, args.cache) {
                for (&node, &n) in &group.nodes {
                    if let Some(node) = args.cache.info(node) {
                        s.existing_anti.add_n(node, &group.what.topology_key, n);
                    }
                }
            }
        }
        if !pod.required_affinity.is_empty() || !pod.required_anti_affinity.is_empty() {
            // The pod's own terms, once per distinct namespace and label set of placed pods.
            for group in args.cache.label_sets() {
                let (ns, labels) = &group.what;
                let all_affinity = !pod.required_affinity.is_empty()
                    && pod.required_affinity.iter().all(|t| t.matches_labels(ns, labels, args.cache));
                let anti: Vec<&AffinityTerm> =
                    pod.required_anti_affinity.iter().filter(|t| t.matches_labels(ns, labels, args.cache)).collect();
                if !all_affinity && anti.is_empty() {
                    continue;
                }
                for (&node, &n) in &group.nodes {
                    let Some(node) = args.cache.info(node) else { continue };
                    if all_affinity {
                        for term in &pod.required_affinity {
                            s.affinity.add_n(node, &term.topology_key, n);
                        }
                    }
                    for term in &anti {
                        s.anti.add_n(node, &term.topology_key, n);
                    }
                }
            }
        }
        state.inter_pod = Some(s);
        Status::SUCCESS
    }
}

impl FilterPlugin for InterPodAffinity {
    fn filter(&self, args: &Args<'_>, state: &CycleState, node: &NodeInfo) -> Status {
        let Some(s) = &state.inter_pod else { return Status::SUCCESS };
        let pod = args.pod;
        // The pod's required affinity: every term's domain on this node holds a matching pod.
        let mut pods_exist = true;
        let labels = node.labels();
        for term in &pod.required_affinity {
            match labels.get(&term.topology_key) {
                Some(v) if s.affinity.get(&term.topology_key, v) > 0 => {}
                Some(_) => pods_exist = false,
                None => return Status::unresolvable(REASON_AFFINITY),
            }
        }
        if !pods_exist {
            // The first of a group of pods with affinity to each other may go anywhere.
            let self_match = pod.required_affinity.iter().all(|t| t.matches(pod, args.cache));
            if !(s.affinity.is_empty() && self_match) {
                return Status::unresolvable(REASON_AFFINITY);
            }
        }
        for term in &pod.required_anti_affinity {
            if labels.get(&term.topology_key).is_some_and(|v| s.anti.get(&term.topology_key, v) > 0) {
                return Status::unschedulable(REASON_ANTI_AFFINITY);
            }
        }
        if s.existing_anti.any_on(node) {
            return Status::unschedulable(REASON_EXISTING_ANTI_AFFINITY);
        }
        Status::SUCCESS
    }
}

fn add(scores: &mut HashMap<Pair, i64>, node: &NodeInfo, term: &AffinityTerm, weight: i64) {
    if let Some(p) = pair(node, &term.topology_key) {
        *scores.entry(p).or_insert(0) += weight;
    }
}

impl PreScorePlugin for InterPodAffinity {
    fn pre_score(&self, args: &Args<'_>, state: &mut CycleState, _nodes: &[&NodeInfo]) -> Status {
        let pod = args.pod;
        let has_preferred = !pod.preferred_affinity.is_empty() || !pod.preferred_anti_affinity.is_empty();
        if !has_preferred && args.cache.pods_with_scoring_terms == 0 {
            return Status::SKIP;
        }
        let mut scores: HashMap<Pair, i64> = HashMap::new();
        for node in args.cache.nodes() {
            if !has_preferred && node.pods_with_scoring_terms == 0 {
                continue;
            }
            for existing in &node.pods {
                if !has_preferred && !existing.has_scoring_terms() {
                    continue;
                }
                for t in &pod.preferred_affinity {
                    if t.matches(existing, args.cache) {
                        add(&mut scores, node, t, t.weight as i64);
                    }
                }
                for t in &pod.preferred_anti_affinity {
                    if t.matches(existing, args.cache) {
                        add(&mut scores, node, t, -(t.weight as i64));
                    }
                }
                if !existing.has_scoring_terms() {
                    continue;
                }
                for t in &existing.required_affinity {
                    if t.matches(pod, args.cache) {
                        add(&mut scores, node, t, HARD_POD_AFFINITY_WEIGHT);
                    }
                }
                for t in &existing.preferred_affinity {
                    if t.matches(pod, args.cache) {
                        add(&mut scores, node, t, t.weight as i64);
                    }
                }
                for t in &existing.preferred_anti_affinity {
                    if t.matches(pod, args.cache) {
                        add(&mut scores, node, t, -(t.weight as i64));
                    }
                }
            }
        }
        let mut scores: Vec<(Pair, i64)> = scores.into_iter().filter(|(_, v)| *v != 0).collect();
        scores.sort();
        if scores.is_empty() && !has_preferred {
            return Status::SKIP;
        }
        state.inter_pod_score = Some(PreScoreState { scores });
        Status::SUCCESS
    }
}

impl ScorePlugin for InterPodAffinity {
    fn score(&self, _args: &Args<'_>, state: &CycleState, node: &NodeInfo) -> i64 {
        let Some(s) = &state.inter_pod_score else { return 0 };
        let labels = node.labels();
        s.scores.iter().filter(|((k, v), _)| labels.get(k) == Some(v)).map(|(_, w)| *w).sum()
    }

    fn normalize(&self, _args: &Args<'_>, _state: &CycleState, _nodes: &[&NodeInfo], scores: &mut [i64]) {
        let (Some(&min), Some(&max)) = (scores.iter().min(), scores.iter().max()) else { return };
        let diff = max - min;
        for s in scores.iter_mut() {
            *s = if diff > 0 { (MAX_NODE_SCORE as f64 * ((*s - min) as f64 / diff as f64)) as i64 } else { 0 };
        }
    }
}
