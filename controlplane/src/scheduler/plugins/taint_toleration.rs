//! TaintToleration: a node's NoSchedule and NoExecute taints keep out pods that do not tolerate
//! them (Filter); PreferNoSchedule taints a pod does not tolerate lower the node's score.

use k8s_openapi::api::core::v1::Toleration;

use crate::scheduler::cache::NodeInfo;
use crate::scheduler::framework::{
    default_normalize, Args, CycleState, FilterPlugin, Plugin, PreScorePlugin, ScorePlugin, Status, MAX_NODE_SCORE,
};

pub struct TaintToleration;

pub const NAME: &str = "TaintToleration";

/// The tolerations that count for scoring: effect PreferNoSchedule or any.
pub struct PreState {
    pub tolerations: Vec<Toleration>,
}

pub use crate::model::toleration::tolerates;

impl Plugin for TaintToleration {
    fn name(&self) -> &'static str {
        NAME
    }
}

impl FilterPlugin for TaintToleration {
    fn filter(&self, args: &Args<'_>, _state: &CycleState, node: &NodeInfo) -> Status {
        // Most nodes have no taint: nothing to read from the pod then.
        if node.taints().is_empty() {
            return Status::SUCCESS;
        }
        let tolerations = args.pod.spec().and_then(|s| s.tolerations.as_deref()).unwrap_or(&[]);
        let untolerated = crate::model::toleration::find_untolerated(node.taints(), tolerations, |t| {
            t.effect == "NoSchedule" || t.effect == "NoExecute"
        });
        match untolerated {
            None => Status::SUCCESS,
            Some(taint) => Status::unresolvable(format!(
                "node(s) had untolerated taint {{{}: {}}}",
                taint.key,
                taint.value.as_deref().unwrap_or("")
            )),
        }
    }
}

impl PreScorePlugin for TaintToleration {
    fn pre_score(&self, args: &Args<'_>, state: &mut CycleState, _nodes: &[&NodeInfo]) -> Status {
        let tolerations = args.pod.spec().and_then(|s| s.tolerations.as_deref()).unwrap_or(&[]);
        let tolerations = tolerations
            .iter()
            .filter(|t| matches!(t.effect.as_deref(), None | Some("") | Some("PreferNoSchedule")))
            .cloned()
            .collect();
        state.taints = Some(PreState { tolerations });
        Status::SUCCESS
    }
}

impl ScorePlugin for TaintToleration {
    /// How many PreferNoSchedule taints the pod does not tolerate.
    fn score(&self, _args: &Args<'_>, state: &CycleState, node: &NodeInfo) -> i64 {
        let tolerations = state.taints.as_ref().map(|s| s.tolerations.as_slice()).unwrap_or(&[]);
        node.taints()
            .iter()
            .filter(|t| t.effect == "PreferNoSchedule" && !tolerations.iter().any(|tol| tolerates(tol, t)))
            .count() as i64
    }

    fn normalize(&self, _args: &Args<'_>, _state: &CycleState, _nodes: &[&NodeInfo], scores: &mut [i64]) {
        default_normalize(MAX_NODE_SCORE, true, scores);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::Taint;

    fn taint(s: &str) -> Taint {
        let (kv, effect) = s.split_once(':').unwrap();
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        Taint { key: k.into(), value: (!v.is_empty()).then(|| v.into()), effect: effect.into(), time_added: None }
    }

    fn toleration(key: &str, op: &str, value: &str, effect: &str) -> Toleration {
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        Toleration {
            key: opt(key),
            operator: opt(op),
            value: opt(value),
            effect: opt(effect),
            toleration_seconds: None,
        }
    }

    fn check(t: Toleration, taint_text: &str, expect: bool) {
        assert_eq!(tolerates(&t, &taint(taint_text)), expect, "{t:?} vs {taint_text}");
    }

    #[test]
    fn toleration_matching() {
        check(toleration("gpu", "Equal", "true", "NoSchedule"), "gpu=true:NoSchedule", true);
        check(toleration("gpu", "Equal", "false", "NoSchedule"), "gpu=true:NoSchedule", false);
        check(toleration("gpu", "Exists", "", ""), "gpu=true:NoExecute", true);
        check(toleration("", "Exists", "", ""), "anything=x:NoSchedule", true);
        check(toleration("gpu", "Exists", "", "NoExecute"), "gpu=true:NoSchedule", false);
        check(
            toleration("node-role.kubernetes.io/control-plane", "", "", "NoSchedule"),
            "node-role.kubernetes.io/control-plane:NoSchedule",
            true,
        );
    }
}
