//! RBAC roles and bindings (`pkg/apis/rbac/validation`): names are URL path segments; rules need
//! verbs and, for resources, api groups; bindings refer to a role of this API group, and the
//! reference cannot change.

use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject};

use super::names::{check_name, invalid_str, path_segment_name, NameRule};
use super::Strategy;
use crate::apiserver::error::{quote, FieldError};

const GROUP: &str = "rbac.authorization.k8s.io";

impl Strategy for Role {
    fn validate(&self, errs: &mut Vec<FieldError>) {
        validate_rules(self.rules.as_deref().unwrap_or_default(), true, errs);
    }
}

impl Strategy for ClusterRole {
    fn validate(&self, errs: &mut Vec<FieldError>) {
        validate_rules(self.rules.as_deref().unwrap_or_default(), false, errs);
    }
}

impl Strategy for RoleBinding {
    fn default(&mut self) {
        default_binding(&mut self.role_ref, self.subjects.as_mut());
    }

    fn validate(&self, errs: &mut Vec<FieldError>) {
        validate_binding(
            &self.role_ref,
            &["Role", "ClusterRole"],
            self.subjects.as_deref().unwrap_or_default(),
            true,
            errs,
        );
    }

    fn validate_update(&self, old: &Self, errs: &mut Vec<FieldError>) {
        role_ref_fixed(&self.role_ref, &old.role_ref, errs);
    }
}

impl Strategy for ClusterRoleBinding {
    fn default(&mut self) {
        default_binding(&mut self.role_ref, self.subjects.as_mut());
    }

    fn validate(&self, errs: &mut Vec<FieldError>) {
        validate_binding(&self.role_ref, &["ClusterRole"], self.subjects.as_deref().unwrap_or_default(), false, errs);
    }

    fn validate_update(&self, old: &Self, errs: &mut Vec<FieldError>) {
        role_ref_fixed(&self.role_ref, &old.role_ref, errs);
    }
}

/// rbac/v1 `SetDefaults_RoleBinding` and `SetDefaults_Subject`: the API group of the role and
/// of user and group subjects.
fn default_binding(role_ref: &mut RoleRef, subjects: Option<&mut Vec<Subject>>) {
    if role_ref.api_group.is_empty() {
        role_ref.api_group = GROUP.into();
    }
    for s in subjects.into_iter().flatten() {
        if s.api_group.as_deref().unwrap_or("").is_empty() && (s.kind == "User" || s.kind == "Group") {
            s.api_group = Some(GROUP.into());
        }
    }
}

fn validate_rules(rules: &[PolicyRule], namespaced: bool, errs: &mut Vec<FieldError>) {
    for (i, r) in rules.iter().enumerate() {
        let p = format!("rules[{i}]");
        if r.verbs.is_empty() {
            errs.push(FieldError::required(format!("{p}.verbs"), "verbs must contain at least one value"));
        }
        let urls = r.non_resource_urls.clone().unwrap_or_default();
        let len = |v: &Option<Vec<String>>| v.as_ref().map_or(0, Vec::len);
        if !urls.is_empty() {
            let shown = format!("[]string{{{}}}", urls.iter().map(|u| quote(u)).collect::<Vec<_>>().join(", "));
            if namespaced {
                errs.push(FieldError::invalid(
                    format!("{p}.nonResourceURLs"),
                    shown.clone(),
                    "namespaced rules cannot apply to non-resource URLs",
                ));
            }
            if len(&r.api_groups) + len(&r.resources) + len(&r.resource_names) > 0 {
                errs.push(FieldError::invalid(
                    format!("{p}.nonResourceURLs"),
                    shown,
                    "rules cannot apply to both regular resources and non-resource URLs",
                ));
            }
            continue;
        }
        if len(&r.api_groups) == 0 {
            errs.push(FieldError::required(
                format!("{p}.apiGroups"),
                "resource rules must supply at least one api group",
            ));
        }
        if len(&r.resources) == 0 {
            errs.push(FieldError::required(
                format!("{p}.resources"),
                "resource rules must supply at least one resource",
            ));
        }
    }
}

fn validate_binding(
    role_ref: &RoleRef,
    kinds: &[&str],
    subjects: &[Subject],
    namespaced: bool,
    errs: &mut Vec<FieldError>,
) {
    if role_ref.api_group != GROUP {
        errs.push(FieldError::not_supported("roleRef.apiGroup", quote(&role_ref.api_group), &[GROUP]));
    }
    if !kinds.contains(&role_ref.kind.as_str()) {
        errs.push(FieldError::not_supported("roleRef.kind", quote(&role_ref.kind), kinds));
    }
    if role_ref.name.is_empty() {
        errs.push(FieldError::required("roleRef.name", ""));
    } else {
        errs.extend(invalid_str("roleRef.name", &role_ref.name, path_segment_name(&role_ref.name, false)));
    }
    for (i, s) in subjects.iter().enumerate() {
        let p = format!("subjects[{i}]");
        if s.name.is_empty() {
            errs.push(FieldError::required(format!("{p}.name"), ""));
        }
        let group = s.api_group.clone().unwrap_or_default();
        match s.kind.as_str() {
            "ServiceAccount" => {
                if !s.name.is_empty() {
                    errs.extend(invalid_str(
                        format_args!("{p}.name"),
                        &s.name,
                        check_name(NameRule::Subdomain, &s.name, false),
                    ));
                }
                if !group.is_empty() {
                    errs.push(FieldError::not_supported(format!("{p}.apiGroup"), quote(&group), &[""]));
                }
                if !namespaced && s.namespace.as_deref().unwrap_or("").is_empty() {
                    errs.push(FieldError::required(format!("{p}.namespace"), ""));
                }
            }
            "User" | "Group" => {
                if group != GROUP {
                    errs.push(FieldError::not_supported(format!("{p}.apiGroup"), quote(&group), &[GROUP]));
                }
            }
            other => errs.push(FieldError::not_supported(
                format!("{p}.kind"),
                quote(other),
                &["ServiceAccount", "User", "Group"],
            )),
        }
    }
}

fn role_ref_fixed(new: &RoleRef, old: &RoleRef, errs: &mut Vec<FieldError>) {
    if new != old {
        let shown = format!(
            "rbac.RoleRef{{APIGroup:{}, Kind:{}, Name:{}}}",
            quote(&new.api_group),
            quote(&new.kind),
            quote(&new.name)
        );
        errs.push(FieldError::invalid("roleRef", shown, "cannot change roleRef"));
    }
}
