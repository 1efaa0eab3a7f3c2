//! Validation of `metadata` common to every resource (ValidateObjectMeta).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::apiserver::error::FieldError;
use crate::model::KindInfo;

/// Validate an object's metadata: name (per the kind's naming rule), namespace presence.
pub fn validate_object_meta(info: &KindInfo, meta: &ObjectMeta) -> Vec<FieldError> {
    let mut errs = Vec::new();
    match meta.name.as_deref() {
        None | Some("") => errs.push(FieldError::required("metadata.name", "name or generateName is required")),
        Some(_) => {}
    }
    if info.namespaced && meta.namespace.as_deref().unwrap_or("").is_empty() {
        errs.push(FieldError::required("metadata.namespace", ""));
    }
    errs
}
