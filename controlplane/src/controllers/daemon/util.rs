//! `pkg/controller/daemon/util` and the node predicates of `daemon_controller.go`: which
//! nodes should run a daemon pod, the tolerations every daemon pod gets, the node affinity
//! that pins a daemon pod to its node, and whether a pod is of the current template.

use crate::model::shared::Node;
use crate::model::Pod;
use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{
    Affinity, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, PodSpec, PodTemplateSpec,
    Toleration,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::model::toleration::find_untolerated;
use crate::scheduler::plugins::node_affinity::required_affinity_matches;

/// `apps.DefaultDaemonSetUniqueLabelKey` (= `ControllerRevisionHashLabelKey`).
pub use crate::controllers::history::REVISION_HASH_LABEL;
/// `extensions.DaemonSetTemplateGenerationKey`: the pod label of the template generation.
pub const TEMPLATE_GENERATION_LABEL: &str = "pod-template-generation";
/// Where apps/v1 keeps the DaemonSet's template generation.
pub const TEMPLATE_GENERATION_ANNOTATION: &str = "deprecated.daemonset.template.generation";

/// `util.AddOrUpdateDaemonPodTolerations`: daemon pods survive node problems (not-ready and
/// unreachable without a time limit) and run despite the condition taints.
pub fn add_or_update_daemon_pod_tolerations(spec: &mut PodSpec) {
    let host_network = spec.host_network == Some(true);
    let mut add = |key: &str, effect: &str| {
        let t = Toleration {
            key: Some(key.to_string()),
            operator: Some("Exists".into()),
            effect: Some(effect.to_string()),
            ..Default::default()
        };
        add_or_update_toleration(spec, t);
    };
    add("node.kubernetes.io/not-ready", "NoExecute");
    add("node.kubernetes.io/unreachable", "NoExecute");
    add("node.kubernetes.io/disk-pressure", "NoSchedule");
    add("node.kubernetes.io/memory-pressure", "NoSchedule");
    add("node.kubernetes.io/pid-pressure", "NoSchedule");
    add("node.kubernetes.io/unschedulable", "NoSchedule");
    if host_network {
        add("node.kubernetes.io/network-unavailable", "NoSchedule");
    }
}

/// `v1helper.AddOrUpdateTolerationInPodSpec`: a toleration with the same key, operator, value
/// and effect is replaced, otherwise the new one is appended.
fn add_or_update_toleration(spec: &mut PodSpec, toleration: Toleration) {
    let tolerations = spec.tolerations.get_or_insert_with(Vec::new);
    let same = |t: &Toleration| {
        let op = |t: &Toleration| t.operator.clone().filter(|o| !o.is_empty()).unwrap_or_else(|| "Equal".into());
        t.key == toleration.key
            && op(t) == op(&toleration)
            && t.value.as_deref().unwrap_or("") == toleration.value.as_deref().unwrap_or("")
            && t.effect == toleration.effect
    };
    match tolerations.iter_mut().find(|t| same(t)) {
        Some(existing) => *existing = toleration,
        None => tolerations.push(toleration),
    }
}

/// The DaemonSet's pod template.
pub fn template(ds: &DaemonSet) -> &PodTemplateSpec {
    static EMPTY: std::sync::OnceLock<PodTemplateSpec> = std::sync::OnceLock::new();
    ds.spec.as_ref().map(|s| &s.template).unwrap_or_else(|| EMPTY.get_or_init(PodTemplateSpec::default))
}

/// `NewPod`: the pod the DaemonSet would run, with the daemon tolerations, made once for
/// asking [`DaemonPod::should_run`] of every node.
pub struct DaemonPod {
    spec: PodSpec,
}

impl DaemonPod {
    pub fn new(ds: &DaemonSet) -> Self {
        let mut spec = template(ds).spec.clone().unwrap_or_default();
        add_or_update_daemon_pod_tolerations(&mut spec);
        DaemonPod { spec }
    }

    /// `NodeShouldRunDaemonPod`: (should a daemon pod be created on the node, should one
    /// already there keep running). A node whose labels or affinity no longer fit gets neither;
    /// an untolerated NoSchedule taint stops new pods but keeps a running one; an untolerated
    /// NoExecute taint stops both.
    pub fn should_run(&self, node: &Node) -> (bool, bool) {
        let name = node.metadata.name.as_deref().unwrap_or("");
        let wanted = self.spec.node_name.as_deref().unwrap_or("");
        if !(wanted.is_empty() || wanted == name) {
            return (false, false);
        }
        let empty = Default::default();
        let labels = node.metadata.labels.as_ref().unwrap_or(&empty);
        if !required_affinity_matches(&self.spec, labels, name) {
            return (false, false);
        }
        let taints = node.spec.as_ref().and_then(|s| s.taints.as_deref()).unwrap_or(&[]);
        let tolerations = self.spec.tolerations.as_deref().unwrap_or(&[]);
        let fits_taints =
            find_untolerated(taints, tolerations, |t| t.effect == "NoExecute" || t.effect == "NoSchedule").is_none();
        if !fits_taints {
            let keeps = find_untolerated(taints, tolerations, |t| t.effect == "NoExecute").is_none();
            return (false, keeps);
        }
        (true, true)
    }
}

/// [`DaemonPod::should_run`] for one node.
pub fn node_should_run_daemon_pod(node: &Node, ds: &DaemonSet) -> (bool, bool) {
    DaemonPod::new(ds).should_run(node)
}

/// `util.ReplaceDaemonSetPodNodeNameNodeAffinity`: pin the pod to `node` through the
/// scheduler, replacing any required node affinity (the DaemonSet already chose the node by it).
pub fn replace_node_name_affinity(affinity: Option<Affinity>, node: &str) -> Affinity {
    let term = NodeSelectorTerm {
        match_fields: Some(vec![NodeSelectorRequirement {
            key: "metadata.name".into(),
            operator: "In".into(),
            values: Some(vec![node.to_string()]),
        }]),
        match_expressions: None,
    };
    let mut affinity = affinity.unwrap_or_default();
    let node_affinity = affinity.node_affinity.get_or_insert_with(NodeAffinity::default);
    match &mut node_affinity.required_during_scheduling_ignored_during_execution {
        Some(required) => required.node_selector_terms = vec![term],
        None => {
            node_affinity.required_during_scheduling_ignored_during_execution =
                Some(NodeSelector { node_selector_terms: vec![term] })
        }
    }
    affinity
}

/// `util.GetTargetNodeName`: the node a pod is bound to, or the one its affinity pins it to.
pub fn target_node_name(pod: &Pod) -> Option<&str> {
    let spec = pod.spec.as_ref()?;
    if let Some(node) = spec.node_name.as_deref().filter(|n| !n.is_empty()) {
        return Some(node);
    }
    let terms = &spec
        .affinity
        .as_ref()?
        .node_affinity
        .as_ref()?
        .required_during_scheduling_ignored_during_execution
        .as_ref()?
        .node_selector_terms;
    let [term] = terms.as_slice() else { return None };
    let [field] = term.match_fields.as_deref()? else { return None };
    if field.key != "metadata.name" || field.operator != "In" {
        return None;
    }
    match field.values.as_deref()? {
        [node] => Some(node),
        _ => None,
    }
}

/// `util.GetTemplateGeneration`: the generation the API server keeps in an annotation.
pub fn template_generation(ds: &DaemonSet) -> Option<i64> {
    ds.metadata.annotations.as_ref()?.get(TEMPLATE_GENERATION_ANNOTATION)?.parse().ok()
}

/// `util.CreatePodTemplate`: the template with the daemon tolerations, the generation label
/// and the revision hash label.
pub fn create_pod_template(template: &PodTemplateSpec, generation: Option<i64>, hash: &str) -> PodTemplateSpec {
    let mut t = template.clone();
    add_or_update_daemon_pod_tolerations(t.spec.get_or_insert_with(Default::default));
    let labels = t.metadata.get_or_insert_with(Default::default).labels.get_or_insert_with(Default::default);
    if let Some(g) = generation {
        labels.insert(TEMPLATE_GENERATION_LABEL.into(), g.to_string());
    }
    if !hash.is_empty() {
        labels.insert(REVISION_HASH_LABEL.into(), hash.to_string());
    }
    t
}

/// `util.IsPodUpdated`: the pod carries the current revision's hash (or, for pods made before
/// hashes, the current template generation).
pub fn is_pod_updated(pod: &Pod, hash: &str, generation: Option<i64>) -> bool {
    let label = |k: &str| pod.metadata.labels.as_ref().and_then(|l| l.get(k)).map(String::as_str);
    let template_matches = generation.is_some_and(|g| label(TEMPLATE_GENERATION_LABEL) == Some(&g.to_string()));
    let hash_matches = !hash.is_empty() && label(REVISION_HASH_LABEL) == Some(hash);
    hash_matches || template_matches
}

/// `intstr.GetScaledValueFromIntOrPercent(v, total, roundUp=true)`; a malformed percentage
/// counts as 0 (the API server refuses one on write).
pub fn scaled_value_round_up(v: &IntOrString, total: i32) -> i32 {
    match v {
        IntOrString::Int(i) => *i,
        IntOrString::String(s) => {
            let pct: i64 = s.strip_suffix('%').and_then(|p| p.parse().ok()).unwrap_or(0);
            let scaled = pct.saturating_mul(i64::from(total)).saturating_add(99).div_euclid(100);
            scaled.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
        }
    }
}

fn rolling_update(ds: &DaemonSet) -> Option<&k8s_openapi::api::apps::v1::RollingUpdateDaemonSet> {
    let strategy = ds.spec.as_ref()?.update_strategy.as_ref()?;
    if strategy.type_.as_deref() != Some("RollingUpdate") {
        return None;
    }
    strategy.rolling_update.as_ref()
}

/// `util.UnavailableCount`: maxUnavailable of `number_to_schedule`, rounded up.
pub fn unavailable_count(ds: &DaemonSet, number_to_schedule: i32) -> i32 {
    let v = rolling_update(ds).and_then(|r| r.max_unavailable.as_ref());
    v.map_or(0, |v| scaled_value_round_up(v, number_to_schedule))
}

/// `util.SurgeCount`: maxSurge of `number_to_schedule`, rounded up.
pub fn surge_count(ds: &DaemonSet, number_to_schedule: i32) -> i32 {
    let v = rolling_update(ds).and_then(|r| r.max_surge.as_ref());
    v.map_or(0, |v| scaled_value_round_up(v, number_to_schedule))
}

/// `util.AllowsSurge`: whether a node may have an old and a new pod at once.
pub fn allows_surge(ds: &DaemonSet) -> bool {
    surge_count(ds, 1) != 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ds(spec: serde_json::Value) -> DaemonSet {
        serde_json::from_value(json!({"metadata": {"name": "d"}, "spec": spec})).unwrap()
    }

    fn node(name: &str, labels: serde_json::Value, taints: serde_json::Value) -> Node {
        serde_json::from_value(json!({"metadata": {"name": name, "labels": labels}, "spec": {"taints": taints}}))
            .unwrap()
    }

    fn template_spec(extra: serde_json::Value) -> serde_json::Value {
        let mut spec = json!({"containers": [{"name": "c", "image": "i"}]});
        if let (Some(s), Some(e)) = (spec.as_object_mut(), extra.as_object()) {
            s.extend(e.clone());
        }
        json!({"selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}}, "spec": spec},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": 0}}})
    }

    #[test]
    fn taints_decide_creation_and_continuation() {
        let d = ds(template_spec(json!({})));
        let n = |taints| node("n", json!({}), taints);
        assert_eq!(node_should_run_daemon_pod(&n(json!([])), &d), (true, true));
        let no_schedule = json!([{"key": "k", "effect": "NoSchedule"}]);
        assert_eq!(node_should_run_daemon_pod(&n(no_schedule), &d), (false, true));
        let no_execute = json!([{"key": "k", "effect": "NoExecute"}]);
        assert_eq!(node_should_run_daemon_pod(&n(no_execute), &d), (false, false));
        // The tolerations every daemon pod gets: a cordoned or not-ready node keeps its pod.
        let cordoned = json!([{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"},
            {"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"}]);
        assert_eq!(node_should_run_daemon_pod(&n(cordoned), &d), (true, true));
        let network = json!([{"key": "node.kubernetes.io/network-unavailable", "effect": "NoSchedule"}]);
        assert_eq!(node_should_run_daemon_pod(&n(network.clone()), &d), (false, true));
        let host = ds(template_spec(json!({"hostNetwork": true})));
        assert_eq!(node_should_run_daemon_pod(&n(network), &host), (true, true));
    }

    #[test]
    fn selectors_and_affinity_decide_both() {
        let d = ds(template_spec(json!({"nodeSelector": {"disk": "ssd"}})));
        assert_eq!(node_should_run_daemon_pod(&node("n", json!({"disk": "ssd"}), json!([])), &d), (true, true));
        assert_eq!(node_should_run_daemon_pod(&node("n", json!({}), json!([])), &d), (false, false));
        let named = ds(template_spec(json!({"nodeName": "other"})));
        assert_eq!(node_should_run_daemon_pod(&node("n", json!({}), json!([])), &named), (false, false));
    }

    #[test]
    fn the_node_affinity_pins_and_is_read_back() {
        let a = replace_node_name_affinity(None, "node-1");
        let pod: Pod = serde_json::from_value(json!({"spec": {"containers": [], "affinity": a}})).unwrap();
        assert_eq!(target_node_name(&pod), Some("node-1"));
        let mut other = serde_json::to_value(&a).unwrap();
        other["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]
            ["matchFields"][0]["values"] = json!(["a", "b"]);
        let replaced = replace_node_name_affinity(serde_json::from_value(other).ok(), "node-2");
        let pod: Pod = serde_json::from_value(json!({"spec": {"containers": [], "affinity": replaced}})).unwrap();
        assert_eq!(target_node_name(&pod), Some("node-2"));
    }

    #[test]
    fn counts_round_up_and_tolerations_are_not_doubled() {
        let d = ds(template_spec(json!({})));
        assert_eq!(unavailable_count(&d, 3), 1);
        assert_eq!(unavailable_count(&d, 5), 2);
        assert_eq!(surge_count(&d, 5), 0);
        assert!(!allows_surge(&d));
        let t = create_pod_template(template(&d), Some(2), "abc");
        let again = create_pod_template(&t, Some(2), "abc");
        assert_eq!(t.spec.as_ref().unwrap().tolerations.as_ref().unwrap().len(), 6);
        assert_eq!(again, t);
        let labels = t.metadata.unwrap().labels.unwrap();
        assert_eq!(labels.get(REVISION_HASH_LABEL).map(String::as_str), Some("abc"));
        assert_eq!(labels.get(TEMPLATE_GENERATION_LABEL).map(String::as_str), Some("2"));
    }
}
