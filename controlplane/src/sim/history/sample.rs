//! What is recorded of each kind: its fields, and their values read from an object.

use super::{ConditionStatus, Field, Phase, Value};
use crate::model::{Kind, Object};

/// The most fields any kind records (a StatefulSet's six).
pub const MAX_FIELDS: usize = 6;

/// The current value of each of a kind's fields, in the order of [`fields`].
pub type Sample = [Option<Value>; MAX_FIELDS];

/// The kinds with a history, in the order they are listed.
pub const KINDS: &[Kind] =
    &[Kind::Deployment, Kind::ReplicaSet, Kind::StatefulSet, Kind::DaemonSet, Kind::Job, Kind::Pod, Kind::Node];

/// The fields recorded for `kind`: those `kubectl get` shows as its columns. Empty for a kind
/// without a history.
pub fn fields(kind: Kind) -> &'static [Field] {
    use Field::*;
    match kind {
        Kind::Deployment => &[Replicas, StatusReplicas, UpdatedReplicas, ReadyReplicas, AvailableReplicas],
        Kind::ReplicaSet => &[Replicas, StatusReplicas, ReadyReplicas, AvailableReplicas],
        Kind::StatefulSet => {
            &[Replicas, StatusReplicas, CurrentReplicas, UpdatedReplicas, ReadyReplicas, AvailableReplicas]
        }
        Kind::DaemonSet => {
            &[DesiredNumberScheduled, CurrentNumberScheduled, UpdatedNumberScheduled, NumberReady, NumberAvailable]
        }
        Kind::Job => &[Active, Succeeded, Failed],
        Kind::Pod => &[Phase, Ready, Restarts, Node],
        Kind::Node => &[NodeReady, Unschedulable, Pods],
        _ => &[],
    }
}

fn count(n: Option<i32>) -> Option<Value> {
    // The API omits zero counts from status.
    Some(Value::Count(n.unwrap_or(0)))
}

/// The object's values, with `node` the id of a pod's node and `pods` the number of pods bound
/// to a node (both kept by the history, not read from the object).
pub fn sample(obj: &Object, node: Option<Value>, pods: u32) -> Sample {
    let mut s: Sample = [None; MAX_FIELDS];
    let mut put = |values: &[Option<Value>]| s[..values.len()].copy_from_slice(values);
    match obj {
        Object::Deployment(d) => {
            let st = d.status.as_ref();
            put(&[
                count(d.spec.as_ref().and_then(|s| s.replicas)),
                count(st.and_then(|s| s.replicas)),
                count(st.and_then(|s| s.updated_replicas)),
                count(st.and_then(|s| s.ready_replicas)),
                count(st.and_then(|s| s.available_replicas)),
            ])
        }
        Object::ReplicaSet(r) => {
            let st = r.status.as_ref();
            put(&[
                count(r.spec.as_ref().and_then(|s| s.replicas)),
                count(st.map(|s| s.replicas)),
                count(st.and_then(|s| s.ready_replicas)),
                count(st.and_then(|s| s.available_replicas)),
            ])
        }
        Object::StatefulSet(ss) => {
            let st = ss.status.as_ref();
            put(&[
                count(ss.spec.as_ref().and_then(|s| s.replicas)),
                count(st.map(|s| s.replicas)),
                count(st.and_then(|s| s.current_replicas)),
                count(st.and_then(|s| s.updated_replicas)),
                count(st.and_then(|s| s.ready_replicas)),
                count(st.and_then(|s| s.available_replicas)),
            ])
        }
        Object::DaemonSet(ds) => {
            let st = ds.status.as_ref();
            put(&[
                count(st.map(|s| s.desired_number_scheduled)),
                count(st.map(|s| s.current_number_scheduled)),
                count(st.and_then(|s| s.updated_number_scheduled)),
                count(st.map(|s| s.number_ready)),
                count(st.and_then(|s| s.number_available)),
            ])
        }
        Object::Job(j) => {
            let st = j.status.as_ref();
            put(&[
                count(st.and_then(|s| s.active)),
                count(st.and_then(|s| s.succeeded)),
                count(st.and_then(|s| s.failed)),
            ])
        }
        Object::Pod(_) => put(&[
            Some(Value::Phase(pod_phase(obj))),
            Some(Value::Flag(pod_ready(obj))),
            Some(Value::Count(pod_restarts(obj))),
            Some(node.unwrap_or(Value::Node(None))),
        ]),
        Object::Node(n) => put(&[
            Some(Value::Condition(node_ready(obj))),
            Some(Value::Flag(n.spec.as_ref().and_then(|s| s.unschedulable).unwrap_or(false))),
            Some(Value::Count(i32::try_from(pods).unwrap_or(i32::MAX))),
        ]),
        _ => {}
    }
    s
}

/// A pod's phase as a learner sees it: `Terminating` once it is being deleted, else
/// `status.phase` (`Pending` before the API server has set one).
pub fn pod_phase(obj: &Object) -> Phase {
    let Object::Pod(p) = obj else { return Phase::Unknown };
    if p.metadata.deletion_timestamp.is_some() {
        return Phase::Terminating;
    }
    match p.status.as_ref().and_then(|s| s.phase.as_deref()) {
        Some("Running") => Phase::Running,
        Some("Succeeded") => Phase::Succeeded,
        Some("Failed") => Phase::Failed,
        Some("Unknown") => Phase::Unknown,
        _ => Phase::Pending,
    }
}

/// Whether the pod's Ready condition is True.
pub fn pod_ready(obj: &Object) -> bool {
    let Object::Pod(p) = obj else { return false };
    let conditions = p.status.as_ref().and_then(|s| s.conditions.as_deref()).unwrap_or_default();
    conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True")
}

/// The restarts of all of a pod's containers, init containers included, as kubectl counts them.
pub fn pod_restarts(obj: &Object) -> i32 {
    let Object::Pod(p) = obj else { return 0 };
    let Some(st) = p.status.as_ref() else { return 0 };
    let statuses = st.container_statuses.iter().flatten().chain(st.init_container_statuses.iter().flatten());
    statuses.map(|c| c.restart_count).fold(0, i32::saturating_add)
}

/// The pod's node (`spec.nodeName`), if it is bound.
pub fn pod_node(obj: &Object) -> Option<&str> {
    let Object::Pod(p) = obj else { return None };
    p.spec.as_ref().and_then(|s| s.node_name.as_deref()).filter(|n| !n.is_empty())
}

/// The status of the node's Ready condition; Unknown when it has none yet.
pub fn node_ready(obj: &Object) -> ConditionStatus {
    let Object::Node(n) = obj else { return ConditionStatus::Unknown };
    let conditions = n.status.as_ref().and_then(|s| s.conditions.as_deref()).unwrap_or_default();
    match conditions.iter().find(|c| c.type_ == "Ready").map(|c| c.status.as_str()) {
        Some("True") => ConditionStatus::True,
        Some("False") => ConditionStatus::False,
        _ => ConditionStatus::Unknown,
    }
}

/// The controller owner of `obj` (the ownerReference with `controller: true`), as kind and name.
pub fn controller_of(obj: &Object) -> Option<(&str, &str)> {
    let refs = obj.metadata().owner_references.as_deref()?;
    refs.iter().find(|r| r.controller == Some(true)).map(|r| (r.kind.as_str(), r.name.as_str()))
}
