//! `kubectl get nodes` (`printNode`): NAME STATUS ROLES AGE VERSION; wide adds INTERNAL-IP
//! EXTERNAL-IP OS-IMAGE KERNEL-VERSION CONTAINER-RUNTIME.
//!
//! STATUS is `Ready` when the Ready condition is True, `NotReady` when it is False *or
//! Unknown* (a node whose kubelet stopped reporting), `Unknown` when there is no Ready
//! condition at all; `,SchedulingDisabled` follows for a cordoned node.

use std::collections::BTreeSet;

use crate::model::shared::Node;

use super::{col, list, wide, Column, Ctx};

pub(super) const COLUMNS: &[Column] = &[
    col("NAME"),
    col("STATUS"),
    col("ROLES"),
    col("AGE"),
    col("VERSION"),
    wide("INTERNAL-IP"),
    wide("EXTERNAL-IP"),
    wide("OS-IMAGE"),
    wide("KERNEL-VERSION"),
    wide("CONTAINER-RUNTIME"),
];

const ROLE_LABEL_PREFIX: &str = "node-role.kubernetes.io/";
const ROLE_LABEL: &str = "kubernetes.io/role";

pub(super) fn row(node: &Node, ctx: &Ctx) -> Vec<String> {
    let status = node.status.as_ref();
    let conditions = status.map(|s| list(&s.conditions)).unwrap_or(&[]);
    // printNode keeps conditions in a map by type: the last Ready condition counts.
    let mut states = match conditions.iter().rev().find(|c| c.type_ == "Ready") {
        Some(c) if c.status == "True" => vec!["Ready"],
        Some(_) => vec!["NotReady"],
        None => vec!["Unknown"],
    };
    if node.spec.as_ref().and_then(|s| s.unschedulable).unwrap_or(false) {
        states.push("SchedulingDisabled");
    }

    let mut roles = BTreeSet::new();
    for (k, v) in node.metadata.labels.iter().flatten() {
        if let Some(role) = k.strip_prefix(ROLE_LABEL_PREFIX) {
            if !role.is_empty() {
                roles.insert(role.to_string());
            }
        } else if k == ROLE_LABEL && !v.is_empty() {
            roles.insert(v.clone());
        }
    }
    let roles = if roles.is_empty() { "<none>".to_string() } else { roles.into_iter().collect::<Vec<_>>().join(",") };

    let info = status.and_then(|s| s.node_info.as_ref());
    let info_field = |f: fn(&k8s_openapi::api::core::v1::NodeSystemInfo) -> &String| {
        info.map(f).filter(|s| !s.is_empty()).cloned().unwrap_or_else(|| "<unknown>".to_string())
    };
    let address = |kind: &str| {
        status
            .map(|s| list(&s.addresses))
            .unwrap_or(&[])
            .iter()
            .find(|a| a.type_ == kind)
            .map(|a| a.address.clone())
            .unwrap_or_else(|| "<none>".to_string())
    };
    vec![
        node.metadata.name.clone().unwrap_or_default(),
        states.join(","),
        roles,
        ctx.age(node.metadata.creation_timestamp.as_ref()),
        info.map(|i| i.kubelet_version.clone()).unwrap_or_default(),
        address("InternalIP"),
        address("ExternalIP"),
        info_field(|i| &i.os_image),
        info_field(|i| &i.kernel_version),
        info_field(|i| &i.container_runtime_version),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::PrintOptions;

    fn check(yaml: &str, wide: bool, expect: &str) {
        assert_text(&render(yaml, &PrintOptions { wide, ..Default::default() }), expect);
    }

    const NODES: &str = "
apiVersion: v1
kind: Node
metadata:
  name: control-plane
  labels: {node-role.kubernetes.io/control-plane: ''}
spec:
  taints: [{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}]
status:
  conditions: [{type: MemoryPressure, status: 'False'}, {type: Ready, status: 'True'}]
  addresses: [{type: InternalIP, address: 172.18.0.2}, {type: Hostname, address: control-plane}]
  nodeInfo: {kubeletVersion: v1.33.0, osImage: Debian GNU/Linux 12 (bookworm), kernelVersion: 6.8.0,
    containerRuntimeVersion: containerd://2.0.0, architecture: amd64, bootID: '', kubeProxyVersion: '',
    machineID: '', operatingSystem: linux, systemUUID: ''}
---
apiVersion: v1
kind: Node
metadata:
  name: node-1
  labels: {kubernetes.io/role: worker, node-role.kubernetes.io/gpu: '', node-role.kubernetes.io/: ''}
spec: {unschedulable: true}
status:
  conditions: [{type: Ready, status: 'True'}]
  addresses: [{type: ExternalIP, address: 203.0.113.7}, {type: InternalIP, address: 172.18.0.3}]
  nodeInfo: {kubeletVersion: v1.33.0, osImage: '', kernelVersion: '', containerRuntimeVersion: '',
    architecture: amd64, bootID: '', kubeProxyVersion: '', machineID: '', operatingSystem: linux, systemUUID: ''}
---
apiVersion: v1
kind: Node
metadata: {name: node-2}
status:
  conditions: [{type: Ready, status: 'False', reason: KubeletNotReady}]
---
apiVersion: v1
kind: Node
metadata: {name: node-3}
spec: {unschedulable: true}
status:
  conditions: [{type: Ready, status: Unknown, reason: NodeStatusUnknown}]
---
apiVersion: v1
kind: Node
metadata: {name: node-4}
";

    #[test]
    fn status_roles_version() {
        check(
            NODES,
            false,
            "
NAME            STATUS                        ROLES           AGE   VERSION
control-plane   Ready                         control-plane   60m   v1.33.0
node-1          Ready,SchedulingDisabled      gpu,worker      60m   v1.33.0
node-2          NotReady                      <none>          60m   
node-3          NotReady,SchedulingDisabled   <none>          60m   
node-4          Unknown                       <none>          60m   
",
        );
    }

    #[test]
    fn wide_columns() {
        check(NODES, true, "
NAME            STATUS                        ROLES           AGE   VERSION   INTERNAL-IP   EXTERNAL-IP   OS-IMAGE                         KERNEL-VERSION   CONTAINER-RUNTIME
control-plane   Ready                         control-plane   60m   v1.33.0   172.18.0.2    <none>        Debian GNU/Linux 12 (bookworm)   6.8.0            containerd://2.0.0
node-1          Ready,SchedulingDisabled      gpu,worker      60m   v1.33.0   172.18.0.3    203.0.113.7   <unknown>                        <unknown>        <unknown>
node-2          NotReady                      <none>          60m             <none>        <none>        <unknown>                        <unknown>        <unknown>
node-3          NotReady,SchedulingDisabled   <none>          60m             <none>        <none>        <unknown>                        <unknown>        <unknown>
node-4          Unknown                       <none>          60m             <none>        <none>        <unknown>                        <unknown>        <unknown>
");
    }
}
