//! `kubectl get leases` (`printLease`): NAME HOLDER AGE.

use crate::model::shared::Lease;

use super::{col, Column, Ctx};

pub(super) const COLUMNS: &[Column] = &[col("NAME"), col("HOLDER"), col("AGE")];

pub(super) fn row(lease: &Lease, ctx: &Ctx) -> Vec<String> {
    vec![
        lease.metadata.name.clone().unwrap_or_default(),
        lease.spec.as_ref().and_then(|s| s.holder_identity.clone()).unwrap_or_default(),
        ctx.age(lease.metadata.creation_timestamp.as_ref()),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::PrintOptions;

    #[test]
    fn holders() {
        let yaml = "
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: node-1, namespace: kube-node-lease}
spec: {holderIdentity: node-1, leaseDurationSeconds: 40, renewTime: '2025-01-01T00:59:55.000000Z'}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: kube-scheduler, namespace: kube-system}
spec: {holderIdentity: control-plane_6f1c2d3e-4a5b-6c7d-8e9f-0a1b2c3d4e5f}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: released, namespace: kube-system}
spec: {}
";
        assert_text(
            &render(yaml, &PrintOptions::default()),
            "
NAME             HOLDER                                               AGE
node-1           node-1                                               60m
kube-scheduler   control-plane_6f1c2d3e-4a5b-6c7d-8e9f-0a1b2c3d4e5f   60m
released                                                              60m
",
        );
    }
}
