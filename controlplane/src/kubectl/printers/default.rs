//! The API server's table for kinds without a printer (`rest.NewDefaultTableConvertor` in
//! `k8s.io/apiserver/pkg/registry/rest/table.go`): NAME and CREATED AT, the creation time in
//! RFC 3339, UTC. Roles, ClusterRoles and LimitRanges print this way in a real cluster
//! (`kubectl get clusterroles` shows `NAME  CREATED AT`), so they do here too.
//!
//! kubectl's own client-side fallback, NAME and AGE (`printObjectMeta` in cli-runtime), is only
//! used when a server returns no table at all, which this API server never does.

use super::{age, col, Column, Ctx};
use crate::model::Object;

pub(super) const COLUMNS: &[Column] = &[col("NAME"), col("CREATED AT")];

pub(super) fn row(obj: &Object, _ctx: &Ctx) -> Option<Vec<String>> {
    // Go's zero time when the object has none.
    let created = match obj.metadata().creation_timestamp.as_ref() {
        Some(t) => age::to_chrono(t.0).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => "0001-01-01T00:00:00Z".to_string(),
    };
    Some(vec![obj.name().to_string(), created])
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::PrintOptions;

    fn check(yaml: &str, expect: &str) {
        assert_text(&render(yaml, &PrintOptions::default()), expect);
    }

    #[test]
    fn roles_and_limit_ranges_show_creation_time() {
        check(
            "
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: admin, creationTimestamp: '2024-12-31T23:59:58Z'}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:controller:deployment-controller}
",
            "
NAME                                      CREATED AT
admin                                     2024-12-31T23:59:58Z
system:controller:deployment-controller   2025-01-01T00:00:00Z
",
        );
        check(
            "apiVersion: v1\nkind: LimitRange\nmetadata: {name: limits, namespace: dev}\nspec: {limits: [{type: Container}]}",
            "
NAME     CREATED AT
limits   2025-01-01T00:00:00Z
",
        );
        check(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: reader, namespace: dev}",
            "
NAME     CREATED AT
reader   2025-01-01T00:00:00Z
",
        );
    }
}
