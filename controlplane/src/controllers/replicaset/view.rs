//! One view over a ReplicaSet or a ReplicationController, as upstream runs the ReplicaSet
//! controller over ReplicationControllers converted to ReplicaSets: the RC's equality
//! selector becomes `matchLabels`, and its status is converted to and from a ReplicaSet's.

use k8s_openapi::api::apps::v1::{ReplicaSetCondition, ReplicaSetStatus};
use k8s_openapi::api::core::v1::{PodTemplateSpec, ReplicationControllerCondition, ReplicationControllerStatus};

use crate::model::selector::LabelSelector;
use crate::model::Object;

/// What the controller reads of a ReplicaSet or ReplicationController.
pub(super) struct Replicated<'a> {
    pub object: &'a Object,
    /// None when the selector cannot be parsed: such an object is not synced.
    pub selector: Option<LabelSelector>,
    pub replicas: i32,
    pub min_ready_seconds: i32,
    pub template: Option<&'a PodTemplateSpec>,
    pub status: ReplicaSetStatus,
}

impl<'a> Replicated<'a> {
    /// The view of `object`, None for any other kind.
    pub fn of(object: &'a Object) -> Option<Self> {
        match object {
            Object::ReplicaSet(rs) => {
                let spec = rs.spec.as_ref();
                Some(Replicated {
                    object,
                    selector: spec.and_then(|s| LabelSelector::from_k8s(&s.selector).ok()),
                    replicas: spec.and_then(|s| s.replicas).unwrap_or(1),
                    min_ready_seconds: spec.and_then(|s| s.min_ready_seconds).unwrap_or(0),
                    template: spec.and_then(|s| s.template.as_ref()),
                    status: rs.status.clone().unwrap_or_default(),
                })
            }
            Object::ReplicationController(rc) => {
                let spec = rc.spec.as_ref();
                let empty = Default::default();
                Some(Replicated {
                    object,
                    selector: Some(LabelSelector::from_labels(
                        spec.and_then(|s| s.selector.as_ref()).unwrap_or(&empty),
                    )),
                    replicas: spec.and_then(|s| s.replicas).unwrap_or(1),
                    min_ready_seconds: spec.and_then(|s| s.min_ready_seconds).unwrap_or(0),
                    template: spec.and_then(|s| s.template.as_ref()),
                    status: rc.status.clone().map(from_rc_status).unwrap_or_default(),
                })
            }
            _ => None,
        }
    }

    pub fn generation(&self) -> i64 {
        self.object.metadata().generation.unwrap_or(0)
    }
}

/// `object` with `status` as its status, in the object's own kind.
pub(super) fn with_status(object: &Object, status: ReplicaSetStatus) -> Object {
    let mut object = object.clone();
    match &mut object {
        Object::ReplicaSet(rs) => rs.status = Some(status),
        Object::ReplicationController(rc) => rc.status = Some(to_rc_status(status)),
        _ => {}
    }
    object
}

fn from_rc_status(s: ReplicationControllerStatus) -> ReplicaSetStatus {
    let conditions = s.conditions.map(|cs| {
        cs.into_iter()
            .map(|c| ReplicaSetCondition {
                last_transition_time: c.last_transition_time,
                message: c.message,
                reason: c.reason,
                status: c.status,
                type_: c.type_,
            })
            .collect()
    });
    ReplicaSetStatus {
        available_replicas: s.available_replicas,
        conditions,
        fully_labeled_replicas: s.fully_labeled_replicas,
        observed_generation: s.observed_generation,
        ready_replicas: s.ready_replicas,
        replicas: s.replicas,
        terminating_replicas: None,
    }
}

fn to_rc_status(s: ReplicaSetStatus) -> ReplicationControllerStatus {
    let conditions = s.conditions.map(|cs| {
        cs.into_iter()
            .map(|c| ReplicationControllerCondition {
                last_transition_time: c.last_transition_time,
                message: c.message,
                reason: c.reason,
                status: c.status,
                type_: c.type_,
            })
            .collect()
    });
    ReplicationControllerStatus {
        available_replicas: s.available_replicas,
        conditions,
        fully_labeled_replicas: s.fully_labeled_replicas,
        observed_generation: s.observed_generation,
        ready_replicas: s.ready_replicas,
        replicas: s.replicas,
    }
}
