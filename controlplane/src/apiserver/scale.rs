//! The `scale` subresource (`GET`/`PUT`/`PATCH deployments/NAME/scale`, and of ReplicaSets,
//! StatefulSets and ReplicationControllers): an `autoscaling/v1` Scale read from and written
//! to the object's `spec.replicas`, with the selector as a string, which is how the
//! HorizontalPodAutoscaler controller reads and sets its target, and how `kubectl scale` and
//! `kubectl patch --subresource=scale` write it.

use std::sync::Arc;

use k8s_openapi::api::autoscaling::v1::{Scale, ScaleSpec, ScaleStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::Value;

use super::error::{ApiError, Reason};
use super::patch::{apply_patch, PatchError};
use super::{ApiServer, PatchType, RequestInfo, UserInfo};
use crate::model::selector::LabelSelector;
use crate::model::{Kind, Object};

/// The kinds that serve `scale`.
pub fn has_scale(kind: Kind) -> bool {
    matches!(kind, Kind::Deployment | Kind::ReplicaSet | Kind::StatefulSet | Kind::ReplicationController)
}

impl ApiServer {
    /// `GET <kind>/NAME/scale`.
    pub fn get_scale(
        &mut self,
        user: impl Into<UserInfo>,
        kind: Kind,
        namespace: &str,
        name: &str,
    ) -> Result<Scale, ApiError> {
        let req = RequestInfo { verb: "get", info: kind.info(), sub: "scale", namespace, name };
        self.serve(user, req, |s, _| {
            let obj = s.scalable(kind, namespace, name)?;
            Ok(scale_of(&obj).unwrap_or_default())
        })
    }

    /// `PUT <kind>/NAME/scale`: `spec.replicas` of the object set to the Scale's, through the
    /// object's own update (its validation, its generation). A Scale with a resourceVersion
    /// that is not the object's is a Conflict.
    pub fn update_scale(
        &mut self,
        user: impl Into<UserInfo>,
        kind: Kind,
        namespace: &str,
        name: &str,
        scale: &Scale,
    ) -> Result<Scale, ApiError> {
        let req = RequestInfo { verb: "update", info: kind.info(), sub: "scale", namespace, name };
        self.serve(user, req, |s, _| {
            let current = s.scalable(kind, namespace, name)?;
            s.write_scale(&current, scale)
        })
    }

    /// `PATCH <kind>/NAME/scale`: the patch applied to the object's Scale as it is now (a
    /// strategic merge of a Scale is a plain merge: it has no lists), then written as `PUT`
    /// writes it. A patch that sets a stale resourceVersion is a Conflict.
    pub fn patch_scale(
        &mut self,
        user: impl Into<UserInfo>,
        kind: Kind,
        namespace: &str,
        name: &str,
        patch_type: PatchType,
        patch: &Value,
    ) -> Result<Scale, ApiError> {
        let req = RequestInfo { verb: "patch", info: kind.info(), sub: "scale", namespace, name };
        self.serve(user, req, |s, _| {
            let current = s.scalable(kind, namespace, name)?;
            let mut doc = scale_json(&scale_of(&current).unwrap_or_default());
            apply_patch(patch_type, &mut doc, patch).map_err(|e| match e {
                PatchError::OperationFailed(why) => ApiError::new(Reason::Invalid, why),
                e => ApiError::bad_request(e.to_string()),
            })?;
            let scale: Scale = serde_json::from_value(doc).map_err(|e| ApiError::bad_request(e.to_string()))?;
            if scale.metadata.name.as_deref().is_some_and(|n| n != name) {
                return Err(ApiError::bad_request("the name of the object and the name in the request do not match"));
            }
            s.write_scale(&current, &scale)
        })
    }

    /// `spec.replicas` of the object set to the Scale's, through the object's own update (its
    /// validation, its generation), with the Scale's resourceVersion as the precondition.
    fn write_scale(&mut self, current: &Object, scale: &Scale) -> Result<Scale, ApiError> {
        let replicas = scale.spec.as_ref().and_then(|sp| sp.replicas).unwrap_or(0);
        let mut obj = current.clone();
        if let Some(rv) = scale.metadata.resource_version.clone().filter(|rv| !rv.is_empty()) {
            obj.set_resource_version(Some(rv));
        }
        set_replicas(&mut obj, replicas);
        let updated = self.do_update(obj, false)?;
        Ok(scale_of(&updated).unwrap_or_default())
    }

    fn scalable(&self, kind: Kind, namespace: &str, name: &str) -> Result<Arc<Object>, ApiError> {
        if !has_scale(kind) {
            return Err(ApiError::new(Reason::NotFound, "the server could not find the requested resource"));
        }
        self.peek(kind, namespace, name).ok_or_else(|| ApiError::not_found(kind.info(), name))
    }
}

fn set_replicas(obj: &mut Object, replicas: i32) {
    match obj {
        Object::Deployment(d) => d.spec.get_or_insert_with(Default::default).replicas = Some(replicas),
        Object::ReplicaSet(r) => r.spec.get_or_insert_with(Default::default).replicas = Some(replicas),
        Object::StatefulSet(s) => s.spec.get_or_insert_with(Default::default).replicas = Some(replicas),
        Object::ReplicationController(r) => r.spec.get_or_insert_with(Default::default).replicas = Some(replicas),
        _ => {}
    }
}

/// The Scale of a scalable object: its desired and current replicas and its pod selector in
/// the string form (`metav1.FormatLabelSelector` of the converted selector; a
/// ReplicationController's map as `labels.SelectorFromSet`).
pub fn scale_of(obj: &Object) -> Option<Scale> {
    let k8s_selector = |s: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector>| {
        s.and_then(|s| LabelSelector::from_k8s(s).ok()).map(|s| s.to_string()).unwrap_or_default()
    };
    let (desired, current, selector) = match obj {
        Object::Deployment(d) => {
            let spec = d.spec.as_ref();
            (
                spec.and_then(|s| s.replicas).unwrap_or(1),
                d.status.as_ref().and_then(|s| s.replicas).unwrap_or(0),
                k8s_selector(spec.map(|s| &s.selector)),
            )
        }
        Object::ReplicaSet(r) => {
            let spec = r.spec.as_ref();
            (
                spec.and_then(|s| s.replicas).unwrap_or(1),
                r.status.as_ref().map_or(0, |s| s.replicas),
                k8s_selector(spec.map(|s| &s.selector)),
            )
        }
        Object::StatefulSet(s) => {
            let spec = s.spec.as_ref();
            (
                spec.and_then(|s| s.replicas).unwrap_or(1),
                s.status.as_ref().map_or(0, |s| s.replicas),
                k8s_selector(spec.map(|s| &s.selector)),
            )
        }
        Object::ReplicationController(r) => {
            let spec = r.spec.as_ref();
            let labels = spec.and_then(|s| s.selector.clone()).unwrap_or_default();
            (
                spec.and_then(|s| s.replicas).unwrap_or(1),
                r.status.as_ref().map_or(0, |s| s.replicas),
                LabelSelector::from_labels(&labels).to_string(),
            )
        }
        _ => return None,
    };
    let meta = obj.metadata();
    Some(Scale {
        metadata: ObjectMeta {
            name: meta.name.clone(),
            namespace: meta.namespace.clone(),
            uid: meta.uid.clone(),
            resource_version: obj.resource_version_str().map(str::to_string),
            creation_timestamp: meta.creation_timestamp.clone(),
            ..Default::default()
        },
        spec: Some(ScaleSpec { replicas: Some(desired) }),
        status: Some(ScaleStatus { replicas: current, selector: Some(selector) }),
    })
}

/// A Scale as the API serves it: `autoscaling/v1`, kind `Scale`.
pub fn scale_json(scale: &Scale) -> Value {
    let mut doc = serde_json::to_value(scale).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut doc {
        map.insert("apiVersion".into(), Value::String("autoscaling/v1".into()));
        map.insert("kind".into(), Value::String("Scale".into()));
    }
    doc
}
