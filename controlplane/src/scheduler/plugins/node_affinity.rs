//! NodeAffinity: `nodeSelector` and required node affinity decide which nodes fit (Filter);
//! preferred node affinity adds each matching term's weight to a node's score.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{NodeSelectorRequirement, NodeSelectorTerm, PodSpec, PreferredSchedulingTerm};

use crate::scheduler::cache::NodeInfo;
use crate::scheduler::framework::{
    default_normalize, Args, CycleState, FilterPlugin, Plugin, PreFilterPlugin, PreScorePlugin, ScorePlugin, Status,
    MAX_NODE_SCORE,
};

pub struct NodeAffinity;

pub const NAME: &str = "NodeAffinity";
pub const REASON: &str = "node(s) didn't match Pod's node affinity/selector";
/// `errReasonConflict`: the terms name nodes, but no node is in all of them.
pub const CONFLICT: &str = "pod affinity terms conflict";

#[derive(Default)]
pub struct PreState {
    pub node_selector: BTreeMap<String, String>,
    pub required: Option<Vec<NodeSelectorTerm>>,
    pub preferred: Vec<PreferredSchedulingTerm>,
}

/// Whether a node's labels (and name, for `matchFields`) satisfy one requirement.
fn requirement_matches(r: &NodeSelectorRequirement, value: Option<&str>) -> bool {
    let values = r.values.as_deref().unwrap_or(&[]);
    match r.operator.as_str() {
        "In" => value.is_some_and(|v| values.iter().any(|x| x == v)),
        "NotIn" => value.is_none_or(|v| !values.iter().any(|x| x == v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        "Gt" | "Lt" => {
            let (Some(v), Some(bound)) =
                (value.and_then(|v| v.parse::<i64>().ok()), values.first().and_then(|b| b.parse::<i64>().ok()))
            else {
                return false;
            };
            if r.operator == "Gt" {
                v > bound
            } else {
                v < bound
            }
        }
        _ => false,
    }
}

/// A term matches when all its expressions and fields do; a term with neither matches nothing.
pub fn term_matches(term: &NodeSelectorTerm, node: &NodeInfo) -> bool {
    term_matches_node(term, node.labels(), &node.name)
}

/// [`term_matches`] for a node known by its labels and name.
fn term_matches_node(term: &NodeSelectorTerm, labels: &BTreeMap<String, String>, name: &str) -> bool {
    let exprs = term.match_expressions.as_deref().unwrap_or(&[]);
    let fields = term.match_fields.as_deref().unwrap_or(&[]);
    if exprs.is_empty() && fields.is_empty() {
        return false;
    }
    exprs.iter().all(|r| requirement_matches(r, labels.get(&r.key).map(String::as_str)))
        && fields.iter().all(|r| r.key == "metadata.name" && requirement_matches(r, Some(name)))
}

/// `nodeaffinity.GetRequiredNodeAffinity(pod).Match(node)`: the pod's nodeSelector and
/// required node affinity admit a node with these labels and this name.
pub fn required_affinity_matches(spec: &PodSpec, labels: &BTreeMap<String, String>, name: &str) -> bool {
    if let Some(sel) = &spec.node_selector {
        if !sel.iter().all(|(k, v)| labels.get(k) == Some(v)) {
            return false;
        }
    }
    let required = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|na| na.required_during_scheduling_ignored_during_execution.as_ref());
    required.is_none_or(|r| r.node_selector_terms.iter().any(|t| term_matches_node(t, labels, name)))
}

impl Plugin for NodeAffinity {
    fn name(&self) -> &'static str {
        NAME
    }
}

impl PreFilterPlugin for NodeAffinity {
    fn pre_filter(&self, args: &Args<'_>, state: &mut CycleState) -> Status {
        let Some(spec) = args.pod.spec() else { return Status::SKIP };
        let node_selector = spec.node_selector.clone().unwrap_or_default();
        let required = spec
            .affinity
            .as_ref()
            .and_then(|a| a.node_affinity.as_ref())
            .and_then(|na| na.required_during_scheduling_ignored_during_execution.as_ref())
            .map(|r| r.node_selector_terms.clone());
        if node_selector.is_empty() && required.is_none() {
            return Status::SKIP;
        }
        let names = required.as_deref().and_then(pinned_nodes);
        let pre = state.node_affinity.get_or_insert_with(Default::default);
        pre.node_selector = node_selector;
        pre.required = required;
        match names {
            Some(names) if names.is_empty() => Status::unresolvable(CONFLICT),
            Some(names) => {
                state.node_names = Some((names.into_iter().collect(), NAME));
                Status::SUCCESS
            }
            None => Status::SUCCESS,
        }
    }
}

/// Upstream's PreFilterResult: when every required term names nodes (`matchFields
/// metadata.name In`), only their union can fit. None when some term allows any node.
fn pinned_nodes(terms: &[NodeSelectorTerm]) -> Option<std::collections::BTreeSet<String>> {
    let mut all = std::collections::BTreeSet::new();
    for t in terms {
        let mut term: Option<std::collections::BTreeSet<String>> = None;
        for r in t.match_fields.as_deref().unwrap_or(&[]) {
            if r.key == "metadata.name" && r.operator == "In" {
                let values: std::collections::BTreeSet<String> = r.values.iter().flatten().cloned().collect();
                term = Some(match term {
                    None => values,
                    Some(t) => t.intersection(&values).cloned().collect(),
                });
            }
        }
        all.extend(term?);
    }
    Some(all)
}

/// Whether the pod's nodeSelector and required node affinity admit the node (also used by
/// PodTopologySpread's node inclusion policy).
pub fn pod_matches_node(args: &Args<'_>, node: &NodeInfo) -> bool {
    let Some(spec) = args.pod.spec() else { return true };
    required_affinity_matches(spec, node.labels(), &node.name)
}

impl FilterPlugin for NodeAffinity {
    fn filter(&self, _args: &Args<'_>, state: &CycleState, node: &NodeInfo) -> Status {
        let Some(pre) = &state.node_affinity else { return Status::SUCCESS };
        let labels = node.labels();
        let selector_ok = pre.node_selector.iter().all(|(k, v)| labels.get(k) == Some(v));
        let required_ok = pre.required.as_ref().is_none_or(|terms| terms.iter().any(|t| term_matches(t, node)));
        if selector_ok && required_ok {
            Status::SUCCESS
        } else {
            Status::unresolvable(REASON)
        }
    }
}

impl PreScorePlugin for NodeAffinity {
    fn pre_score(&self, args: &Args<'_>, state: &mut CycleState, _nodes: &[&NodeInfo]) -> Status {
        let preferred = args
            .pod
            .spec()
            .and_then(|s| s.affinity.as_ref())
            .and_then(|a| a.node_affinity.as_ref())
            .and_then(|na| na.preferred_during_scheduling_ignored_during_execution.clone())
            .unwrap_or_default();
        if preferred.is_empty() {
            return Status::SKIP;
        }
        state.node_affinity.get_or_insert_with(Default::default).preferred = preferred;
        Status::SUCCESS
    }
}

impl ScorePlugin for NodeAffinity {
    /// The sum of the weights of the preferred terms the node matches.
    fn score(&self, _args: &Args<'_>, state: &CycleState, node: &NodeInfo) -> i64 {
        let Some(pre) = &state.node_affinity else { return 0 };
        pre.preferred.iter().filter(|t| term_matches(&t.preference, node)).map(|t| t.weight as i64).sum()
    }

    fn normalize(&self, _args: &Args<'_>, _state: &CycleState, _nodes: &[&NodeInfo], scores: &mut [i64]) {
        default_normalize(MAX_NODE_SCORE, false, scores);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(key: &str, op: &str, values: &[&str]) -> NodeSelectorRequirement {
        NodeSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: Some(values.iter().map(|s| s.to_string()).collect()),
        }
    }

    fn check(r: NodeSelectorRequirement, value: Option<&str>, expect: bool) {
        assert_eq!(requirement_matches(&r, value), expect, "{r:?} on {value:?}");
    }

    #[test]
    fn operators() {
        check(req("zone", "In", &["a", "b"]), Some("a"), true);
        check(req("zone", "In", &["a", "b"]), None, false);
        check(req("zone", "NotIn", &["a"]), None, true);
        check(req("zone", "NotIn", &["a"]), Some("a"), false);
        check(req("zone", "Exists", &[]), Some(""), true);
        check(req("zone", "DoesNotExist", &[]), Some("x"), false);
        check(req("cores", "Gt", &["4"]), Some("8"), true);
        check(req("cores", "Lt", &["4"]), Some("8"), false);
        check(req("cores", "Gt", &["4"]), Some("eight"), false);
    }
}
