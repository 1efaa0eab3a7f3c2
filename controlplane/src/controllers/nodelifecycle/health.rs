//! How the controller decides that a node stopped reporting: it remembers when it last saw the
//! node's Ready heartbeat or its Lease change (the probe time), and once that is longer ago
//! than the grace period it sets the node's conditions to Unknown (`tryUpdateNodeHealth`).

use std::borrow::Cow;

use crate::model::shared::Node;
use chrono::{DateTime, Duration, Utc};
use k8s_openapi::api::core::v1::NodeCondition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::apiserver::{from_k8s_time, k8s_time};

/// `--node-monitor-grace-period`: 50s since v1.32.
pub const MONITOR_GRACE: i64 = 50;
/// `--node-startup-grace-period`: for a node that never posted a Ready condition.
pub const STARTUP_GRACE: i64 = 60;

/// What the controller last saw of a node (`nodeHealthData`).
#[derive(Debug, Clone, PartialEq)]
pub struct NodeHealth {
    /// The Ready condition's heartbeat and transition times as last seen.
    pub ready: Option<(Option<Time>, Option<Time>)>,
    pub probe: DateTime<Utc>,
    pub ready_transition: DateTime<Utc>,
    /// The Lease's renew time as last seen.
    pub lease_renew: Option<DateTime<Utc>>,
}

/// The Ready status the controller acts on: "True", "False" or "Unknown" (borrowed: checked
/// for every node every five seconds).
pub type ReadyStatus = Cow<'static, str>;

fn ready_status_of(status: &str) -> ReadyStatus {
    match status {
        "True" => Cow::Borrowed("True"),
        "False" => Cow::Borrowed("False"),
        "Unknown" => Cow::Borrowed("Unknown"),
        other => Cow::Owned(other.to_string()),
    }
}

pub fn condition<'a>(node: &'a Node, type_: &str) -> Option<&'a NodeCondition> {
    node.status.as_ref()?.conditions.as_ref()?.iter().find(|c| c.type_ == type_)
}

pub fn ready_status(node: &Node) -> Option<&str> {
    condition(node, "Ready").map(|c| c.status.as_str())
}

/// The outcome of one health check of a node.
pub struct Checked {
    /// The Ready status before this check, as the controller observed it.
    pub observed: ReadyStatus,
    /// The Ready status after it (None when the node has no Ready condition).
    pub current: Option<ReadyStatus>,
    /// The node with its conditions set to Unknown, when the status must be written (boxed:
    /// every node is checked every five seconds, and most checks write nothing).
    pub write: Option<Box<Node>>,
}

/// Check one node at `now`, given what was seen of it before and its lease's renew time.
pub fn check(
    node: &Node,
    saved: Option<&NodeHealth>,
    lease_renew: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> (Checked, NodeHealth) {
    let current_ready = condition(node, "Ready");
    // A node that never posted Ready is judged as Unknown since its creation. The whole
    // condition is needed only when the node is overdue (below); every check needs its status.
    let observed = || {
        current_ready.cloned().unwrap_or_else(|| NodeCondition {
            type_: "Ready".into(),
            status: "Unknown".into(),
            last_heartbeat_time: node.metadata.creation_timestamp.clone(),
            last_transition_time: node.metadata.creation_timestamp.clone(),
            ..Default::default()
        })
    };
    let grace = if current_ready.is_some() { MONITOR_GRACE } else { STARTUP_GRACE };
    let seen = current_ready.map(|c| (c.last_heartbeat_time.clone(), c.last_transition_time.clone()));
    let fresh =
        |probe, transition| NodeHealth { ready: seen.clone(), probe, ready_transition: transition, lease_renew: None };
    let mut health = match (saved, current_ready) {
        (None, None) => {
            let created = node.metadata.creation_timestamp.as_ref().map(from_k8s_time).unwrap_or(now);
            fresh(created, created)
        }
        (Some(h), None) if h.ready.is_none() => NodeHealth { lease_renew: None, ..h.clone() },
        (None, Some(_)) | (Some(_), None) => fresh(now, now),
        (Some(h), Some(c)) => match &h.ready {
            None => fresh(now, now),
            Some((heartbeat, transition)) if *heartbeat != c.last_heartbeat_time => {
                let t = if *transition != c.last_transition_time { now } else { h.ready_transition };
                fresh(now, t)
            }
            Some(_) => h.clone(),
        },
    };
    // The lease is the kubelet's main heartbeat: a renewal counts as a probe.
    health.lease_renew = saved.and_then(|h| h.lease_renew);
    if let Some(renew) = lease_renew {
        if health.lease_renew.is_none_or(|seen| seen < renew) {
            health.lease_renew = Some(renew);
            health.probe = now;
        }
    }
    let observed_status = current_ready.map_or(Cow::Borrowed("Unknown"), |c| ready_status_of(&c.status));
    let mut checked =
        Checked { observed: observed_status, current: current_ready.map(|c| ready_status_of(&c.status)), write: None };
    if now > health.probe + Duration::seconds(grace) {
        let mut updated = node.clone();
        let conditions = updated.status.get_or_insert_with(Default::default).conditions.get_or_insert_with(Vec::new);
        for type_ in ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"] {
            match conditions.iter_mut().find(|c| c.type_ == type_) {
                None => conditions.push(NodeCondition {
                    type_: type_.into(),
                    status: "Unknown".into(),
                    reason: Some("NodeStatusNeverUpdated".into()),
                    message: Some("Kubelet never posted node status.".into()),
                    last_heartbeat_time: node.metadata.creation_timestamp.clone(),
                    last_transition_time: Some(k8s_time(now)),
                }),
                Some(c) if c.status != "Unknown" => {
                    c.status = "Unknown".into();
                    c.reason = Some("NodeStatusUnknown".into());
                    c.message = Some("Kubelet stopped posting node status.".into());
                    c.last_transition_time = Some(k8s_time(now));
                }
                Some(_) => {}
            }
        }
        let new_ready = condition(&updated, "Ready").cloned();
        checked.current = new_ready.as_ref().map(|c| ready_status_of(&c.status));
        if new_ready.as_ref() != Some(&observed()) {
            health.ready = new_ready.map(|c| (c.last_heartbeat_time, c.last_transition_time));
            health.ready_transition = now;
            checked.write = Some(Box::new(updated));
        }
    }
    (checked, health)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::clock::epoch;

    fn node(heartbeat: i64, status: &str) -> Node {
        let t = |s: i64| Some(k8s_time(epoch() + Duration::seconds(s)));
        Node {
            metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                name: Some("n".into()),
                creation_timestamp: t(0),
                ..Default::default()
            }
            .into(),
            resource_version: None,
            status: Some(k8s_openapi::api::core::v1::NodeStatus {
                conditions: Some(vec![NodeCondition {
                    type_: "Ready".into(),
                    status: status.into(),
                    last_heartbeat_time: t(heartbeat),
                    last_transition_time: t(0),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    /// Check the node at each of `times` with the lease renewed at `renewed` (when given), and
    /// return the Ready status after each check.
    fn check_at(times: &[(i64, Option<i64>)]) -> Vec<String> {
        let mut saved: Option<NodeHealth> = None;
        let mut n = node(0, "True");
        let mut out = Vec::new();
        for &(t, renewed) in times {
            let now = epoch() + Duration::seconds(t);
            let (checked, health) = check(&n, saved.as_ref(), renewed.map(|r| epoch() + Duration::seconds(r)), now);
            if let Some(w) = checked.write {
                n = *w;
            }
            saved = Some(health);
            out.push(format!("{t}:{}", checked.current.unwrap_or_default()));
        }
        out
    }

    #[test]
    fn a_node_whose_lease_stops_goes_unknown_after_the_grace_period() {
        // Lease renewed every 10s until 20s; checks every 5s.
        let times: Vec<(i64, Option<i64>)> = (0..=16).map(|i| (i * 5, Some((i * 5).min(20) / 10 * 10))).collect();
        let out = check_at(&times);
        assert_eq!(out[14], "70:True");
        assert_eq!(out[15], "75:Unknown");
    }

    #[test]
    fn a_renewed_lease_keeps_the_node_ready() {
        let times: Vec<(i64, Option<i64>)> = (0..=40).map(|i| (i * 5, Some(i * 5 / 10 * 10))).collect();
        assert!(check_at(&times).iter().all(|s| s.ends_with("True")));
    }
}
