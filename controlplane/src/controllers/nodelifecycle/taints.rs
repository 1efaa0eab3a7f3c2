//! The taints the node lifecycle controller owns: NoSchedule taints that mirror node
//! conditions and `spec.unschedulable` (TaintNodesByCondition), and the NoExecute
//! `not-ready`/`unreachable` taints that make the taint eviction controller evict pods.

use crate::model::shared::Node;
use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Taint;

use crate::apiserver::k8s_time;

pub const NOT_READY: &str = "node.kubernetes.io/not-ready";
pub const UNREACHABLE: &str = "node.kubernetes.io/unreachable";
pub const UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";

/// `nodeConditionToTaintKeyStatusMap`: which condition status gives which NoSchedule taint.
const CONDITION_TAINTS: &[(&str, &str, &str)] = &[
    ("Ready", "False", NOT_READY),
    ("Ready", "Unknown", UNREACHABLE),
    ("MemoryPressure", "True", "node.kubernetes.io/memory-pressure"),
    ("DiskPressure", "True", "node.kubernetes.io/disk-pressure"),
    ("NetworkUnavailable", "True", "node.kubernetes.io/network-unavailable"),
    ("PIDPressure", "True", "node.kubernetes.io/pid-pressure"),
];

fn owned_no_schedule(t: &Taint) -> bool {
    t.effect == "NoSchedule" && (t.key == UNSCHEDULABLE || CONDITION_TAINTS.iter().any(|(_, _, k)| *k == t.key))
}

/// A taint with just a key and an effect, as the controller writes them.
pub fn taint(key: &str, effect: &str) -> Taint {
    Taint { key: key.into(), effect: effect.into(), ..Default::default() }
}

/// `doNoScheduleTaintingPass`: the NoSchedule taints to add and to remove so that they match
/// the node's conditions and `spec.unschedulable`.
pub fn no_schedule_diff(node: &Node) -> (Vec<Taint>, Vec<Taint>) {
    let mut wanted = Vec::new();
    for c in node.status.as_ref().and_then(|s| s.conditions.as_ref()).into_iter().flatten() {
        for (type_, status, key) in CONDITION_TAINTS {
            if c.type_ == *type_ && c.status == *status {
                wanted.push(taint(key, "NoSchedule"));
            }
        }
    }
    if node.spec.as_ref().and_then(|s| s.unschedulable).unwrap_or(false) {
        wanted.push(taint(UNSCHEDULABLE, "NoSchedule"));
    }
    let have: Vec<&Taint> = node
        .spec
        .as_ref()
        .and_then(|s| s.taints.as_ref())
        .into_iter()
        .flatten()
        .filter(|t| owned_no_schedule(t))
        .collect();
    let same = |a: &Taint, b: &Taint| a.key == b.key && a.effect == b.effect;
    let add = wanted.iter().filter(|w| !have.iter().any(|h| same(w, h))).cloned().collect();
    let remove = have.iter().filter(|h| !wanted.iter().any(|w| same(w, h))).map(|t| (*t).clone()).collect();
    (add, remove)
}

pub fn has_taint(node: &Node, key: &str, effect: &str) -> bool {
    node.spec
        .as_ref()
        .and_then(|s| s.taints.as_ref())
        .is_some_and(|ts| ts.iter().any(|t| t.key == key && t.effect == effect))
}

/// `SwapNodeControllerTaint`: add `add` (stamped with `timeAdded`) and remove `remove`, matched
/// by key and effect. Returns whether the node changed.
pub fn swap(node: &mut Node, add: &[Taint], remove: &[Taint], now: DateTime<Utc>) -> bool {
    let spec = node.spec.get_or_insert_with(Default::default);
    let taints = spec.taints.get_or_insert_with(Vec::new);
    let before = taints.len();
    taints.retain(|t| !remove.iter().any(|r| r.key == t.key && r.effect == t.effect));
    let mut changed = taints.len() != before;
    for a in add {
        if !taints.iter().any(|t| t.key == a.key && t.effect == a.effect) {
            let mut a = a.clone();
            a.time_added = Some(k8s_time(now));
            taints.push(a);
            changed = true;
        }
    }
    if taints.is_empty() {
        spec.taints = None;
    }
    changed
}

/// How much of a zone is down (`ComputeZoneState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoneState {
    Initial,
    Normal,
    FullDisruption,
    PartialDisruption,
}

/// `--unhealthy-zone-threshold`.
const UNHEALTHY_ZONE_THRESHOLD: f32 = 0.55;
/// `--large-cluster-size-threshold`.
const LARGE_CLUSTER_THRESHOLD: usize = 50;
/// `--node-eviction-rate` and `--secondary-node-eviction-rate`, nodes tainted per second.
pub const EVICTION_QPS: f64 = 0.1;
const SECONDARY_EVICTION_QPS: f64 = 0.01;

/// The zone's state from whether each of its nodes is Ready (its Ready condition "True"; a
/// node without one is not).
pub fn zone_state(ready: &[bool]) -> ZoneState {
    let up = ready.iter().filter(|r| **r).count();
    let down = ready.len() - up;
    if up == 0 && down > 0 {
        ZoneState::FullDisruption
    } else if down > 2 && down as f32 / ready.len() as f32 >= UNHEALTHY_ZONE_THRESHOLD {
        ZoneState::PartialDisruption
    } else {
        ZoneState::Normal
    }
}

/// The tainting rate for a zone in `state` with `size` nodes (`setLimiterInZone`).
pub fn zone_qps(state: ZoneState, size: usize) -> f64 {
    match state {
        ZoneState::PartialDisruption if size > LARGE_CLUSTER_THRESHOLD => SECONDARY_EVICTION_QPS,
        ZoneState::PartialDisruption => 0.0,
        _ => EVICTION_QPS,
    }
}

/// `GetZoneKey`: region and zone labels; "" for a node with neither.
pub fn zone_key(node: &Node) -> String {
    let labels = node.metadata.labels.as_ref();
    let get = |k: &str| labels.and_then(|l| l.get(k)).map(String::as_str).unwrap_or("");
    let region = get("topology.kubernetes.io/region");
    let zone = get("topology.kubernetes.io/zone");
    if region.is_empty() && zone.is_empty() {
        String::new()
    } else {
        format!("{region}:\x00:{zone}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_states_follow_upstream_thresholds() {
        assert_eq!(zone_state(&[true, false]), ZoneState::Normal);
        assert_eq!(zone_state(&[false, false]), ZoneState::FullDisruption);
        assert_eq!(zone_state(&[true, false, false, false]), ZoneState::PartialDisruption);
        assert_eq!(zone_state(&[true, true, false, false]), ZoneState::Normal);
        assert_eq!(zone_qps(ZoneState::PartialDisruption, 4), 0.0);
        assert_eq!(zone_qps(ZoneState::PartialDisruption, 51), 0.01);
    }
}
