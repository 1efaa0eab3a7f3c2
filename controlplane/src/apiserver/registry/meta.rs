//! Validation of `metadata` common to every resource (core's `ValidateObjectMeta`): the name by
//! the kind's naming rule, generateName, namespace, labels, annotations, owner references and
//! finalizers.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::names::{
    check_name, invalid_str, is_dns1123_label, is_qualified_name, nonnegative, validate_annotations, validate_labels,
    NameRule,
};
use crate::apiserver::error::{quote, FieldError};
use crate::model::{Kind, KindInfo};

/// The `ValidateNameFunc` each kind uses for `metadata.name`.
pub fn name_rule(kind: Kind) -> NameRule {
    match kind {
        Kind::Namespace | Kind::StatefulSet => NameRule::Label,
        Kind::Service => NameRule::Dns1035,
        Kind::ClusterRole | Kind::ClusterRoleBinding | Kind::Role | Kind::RoleBinding => NameRule::PathSegment,
        _ => NameRule::Subdomain,
    }
}

/// Finalizer names without a domain that upstream knows.
const STANDARD_FINALIZERS: &[&str] = &["kubernetes", "orphan", "foregroundDeletion"];

/// Validate an object's metadata on create or update.
pub fn validate_object_meta(info: &KindInfo, meta: &ObjectMeta) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let rule = name_rule(info.kind);
    if let Some(gn) = meta.generate_name.as_deref().filter(|g| !g.is_empty()) {
        errs.extend(invalid_str("metadata.generateName", gn, check_name(rule, gn, true)));
    }
    match meta.name.as_deref() {
        None | Some("") => errs.push(FieldError::required("metadata.name", "name or generateName is required")),
        Some(name) => errs.extend(invalid_str("metadata.name", name, check_name(rule, name, false))),
    }
    let namespace = meta.namespace.as_deref().unwrap_or("");
    if info.namespaced {
        if namespace.is_empty() {
            errs.push(FieldError::required("metadata.namespace", ""));
        } else {
            errs.extend(invalid_str("metadata.namespace", namespace, is_dns1123_label(namespace)));
        }
    } else if !namespace.is_empty() {
        errs.push(FieldError::forbidden("metadata.namespace", "not allowed on this type"));
    }
    nonnegative(meta.generation.unwrap_or(0), "metadata.generation", &mut errs);
    validate_labels(meta.labels.as_ref(), &"metadata.labels", &mut errs);
    validate_annotations(meta.annotations.as_ref(), &"metadata.annotations", &mut errs);
    validate_owner_references(meta, &mut errs);
    let finalizers = meta.finalizers.as_deref().unwrap_or_default();
    for f in finalizers {
        errs.extend(invalid_str("metadata.finalizers", f, is_qualified_name(f)));
    }
    if finalizers.iter().any(|f| f == "orphan") && finalizers.iter().any(|f| f == "foregroundDeletion") {
        let shown = format!("[]string{{{}}}", finalizers.iter().map(|f| quote(f)).collect::<Vec<_>>().join(", "));
        errs.push(FieldError::invalid(
            "metadata.finalizers",
            shown,
            "finalizer orphan and foregroundDeletion cannot be both set",
        ));
    }
    for (i, f) in finalizers.iter().enumerate() {
        if !f.contains('/') && !STANDARD_FINALIZERS.contains(&f.as_str()) {
            errs.push(FieldError::invalid(
                format!("metadata.finalizers[{i}]"),
                quote(f),
                "name is neither a standard finalizer name nor is it fully qualified",
            ));
        }
    }
    errs
}

/// Whether `new` holds every field [`validate_object_meta`] reads as `old` does: at once when
/// they are the very same metadata (the versions of the kinds in `model::shared` share it).
pub fn validates_as(new: &ObjectMeta, old: &ObjectMeta) -> bool {
    std::ptr::eq(new, old) || validates_as_field_by_field(new, old)
}

fn validates_as_field_by_field(new: &ObjectMeta, old: &ObjectMeta) -> bool {
    new.name == old.name
        && new.generate_name == old.generate_name
        && new.namespace == old.namespace
        && new.generation == old.generation
        && new.labels == old.labels
        && new.annotations == old.annotations
        && new.owner_references == old.owner_references
        && new.finalizers == old.finalizers
}

fn validate_owner_references(meta: &ObjectMeta, errs: &mut Vec<FieldError>) {
    let path = "metadata.ownerReferences";
    // The first controller's reference, named only if a second one makes an error.
    let mut controller: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference> = None;
    for r in meta.owner_references.iter().flatten() {
        let version = r.api_version.rsplit('/').next().unwrap_or("");
        if version.is_empty() {
            errs.push(FieldError::invalid(
                format!("{path}.apiVersion"),
                quote(&r.api_version),
                "version must not be empty",
            ));
        }
        for (field, value) in [("kind", &r.kind), ("name", &r.name), ("uid", &r.uid)] {
            if value.is_empty() {
                errs.push(FieldError::invalid(format!("{path}.{field}"), quote(value), "must not be empty"));
            }
        }
        if r.controller == Some(true) {
            match controller {
                Some(first) => errs.push(FieldError::invalid(
                    path,
                    "[]v1.OwnerReference{...}",
                    format!(
                        "Only one reference can have Controller set to true. Found \"true\" in references for {}/{} and {}/{}",
                        first.kind, first.name, r.kind, r.name
                    ),
                )),
                None => controller = Some(r),
            }
        }
    }
}
