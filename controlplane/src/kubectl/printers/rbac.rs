//! Role bindings (`printRoleBinding`, `printClusterRoleBinding`): NAME ROLE AGE; wide adds
//! USERS GROUPS SERVICEACCOUNTS. Roles and ClusterRoles have no printer upstream and print
//! the API server's default table (see `default.rs`).

use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{col, wide, Column, Ctx};

pub(super) const BINDING_COLUMNS: &[Column] =
    &[col("NAME"), col("ROLE"), col("AGE"), wide("USERS"), wide("GROUPS"), wide("SERVICEACCOUNTS")];

pub(super) fn role_binding_row(rb: &RoleBinding, ctx: &Ctx) -> Vec<String> {
    binding_row(&rb.metadata, &rb.role_ref, rb.subjects.as_deref().unwrap_or(&[]), ctx)
}

pub(super) fn cluster_role_binding_row(crb: &ClusterRoleBinding, ctx: &Ctx) -> Vec<String> {
    binding_row(&crb.metadata, &crb.role_ref, crb.subjects.as_deref().unwrap_or(&[]), ctx)
}

fn binding_row(meta: &ObjectMeta, role_ref: &RoleRef, subjects: &[Subject], ctx: &Ctx) -> Vec<String> {
    // rbac.SubjectsStrings: service accounts as namespace/name; other kinds are not shown.
    let of_kind = |kind: &str| subjects.iter().filter(|s| s.kind == kind).map(|s| s.name.clone()).collect::<Vec<_>>();
    let service_accounts = subjects
        .iter()
        .filter(|s| s.kind == "ServiceAccount")
        .map(|s| format!("{}/{}", s.namespace.as_deref().unwrap_or(""), s.name))
        .collect::<Vec<_>>();
    vec![
        meta.name.clone().unwrap_or_default(),
        format!("{}/{}", role_ref.kind, role_ref.name),
        ctx.age(meta.creation_timestamp.as_ref()),
        of_kind("User").join(", "),
        of_kind("Group").join(", "),
        service_accounts.join(", "),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::PrintOptions;

    fn check(yaml: &str, wide: bool, expect: &str) {
        assert_text(&render(yaml, &PrintOptions { wide, ..Default::default() }), expect);
    }

    #[test]
    fn bindings() {
        let yaml = "
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: cluster-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: 'system:masters'}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: mixed}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {kind: User, name: alice}
- {kind: User, name: bob}
- {kind: ServiceAccount, name: ci, namespace: build}
- {kind: Group, name: devs}
";
        check(
            yaml,
            false,
            "
NAME            ROLE                        AGE
cluster-admin   ClusterRole/cluster-admin   60m
mixed           ClusterRole/view            60m
",
        );
        check(
            yaml,
            true,
            "
NAME            ROLE                        AGE   USERS        GROUPS           SERVICEACCOUNTS
cluster-admin   ClusterRole/cluster-admin   60m                system:masters   
mixed           ClusterRole/view            60m   alice, bob   devs             build/ci
",
        );
        check(
            "
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read-pods, namespace: dev}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
subjects: [{kind: User, name: jane}]
",
            false,
            "
NAME        ROLE              AGE
read-pods   Role/pod-reader   60m
",
        );
    }
}
