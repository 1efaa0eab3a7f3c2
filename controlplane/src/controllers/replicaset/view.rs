//! One view over a ReplicaSet or a ReplicationController, as upstream runs the ReplicaSet
//! controller over ReplicationControllers converted to ReplicaSets: the RC's equality
//! selector becomes `matchLabels`, and its status is converted to and from a ReplicaSet's.

use k8s_openapi::api::apps::v1::ReplicaSetStatus;
use k8s_openapi::api::core::v1::PodTemplateSpec;

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
                    status: rc.status.clone().map(convert).unwrap_or_default(),
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
        Object::ReplicationController(rc) => rc.status = Some(convert(status)),
        _ => {}
    }
    object
}

/// A status of one kind as the other's: the two have the same fields, so the same JSON (a
/// ReplicaSet's `terminatingReplicas`, which an RC lacks, is never set here).
fn convert<A: serde::Serialize, B: serde::de::DeserializeOwned + Default>(status: A) -> B {
    serde_json::to_value(status).and_then(serde_json::from_value).unwrap_or_default()
}
