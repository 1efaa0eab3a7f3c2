//! Workload controllers: deployments, replicasets, replicationcontrollers, daemonsets,
//! statefulsets and controllerrevisions (`printDeployment`, `printReplicaSet`,
//! `printReplicationController`, `printDaemonSet`, `printStatefulSet`,
//! `printControllerRevision`). Absent replicas print as the API server's default, 1.

use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::ReplicationController;

use super::{col, format_label_map, format_label_selector, layout_containers, selector_string, wide, Column, Ctx};

pub(super) const DEPLOY_COLUMNS: &[Column] = &[
    col("NAME"),
    col("READY"),
    col("UP-TO-DATE"),
    col("AVAILABLE"),
    col("AGE"),
    wide("CONTAINERS"),
    wide("IMAGES"),
    wide("SELECTOR"),
];

pub(super) fn deploy_row(d: &Deployment, ctx: &Ctx) -> Vec<String> {
    let spec = d.spec.as_ref();
    let status = d.status.as_ref();
    let desired = spec.and_then(|s| s.replicas).unwrap_or(1);
    let ready = status.and_then(|s| s.ready_replicas).unwrap_or(0);
    let containers = spec.and_then(|s| s.template.spec.as_ref()).map(|p| p.containers.as_slice()).unwrap_or(&[]);
    let (names, images) = layout_containers(containers);
    // printDeployment prints the selector itself: empty when it selects everything.
    let selector = selector_string(spec.map(|s| &s.selector)).unwrap_or_else(|_| "<invalid>".to_string());
    vec![
        d.metadata.name.clone().unwrap_or_default(),
        format!("{ready}/{desired}"),
        status.and_then(|s| s.updated_replicas).unwrap_or(0).to_string(),
        status.and_then(|s| s.available_replicas).unwrap_or(0).to_string(),
        ctx.age(d.metadata.creation_timestamp.as_ref()),
        names,
        images,
        selector,
    ]
}

pub(super) const RS_COLUMNS: &[Column] = &[
    col("NAME"),
    col("DESIRED"),
    col("CURRENT"),
    col("READY"),
    col("AGE"),
    wide("CONTAINERS"),
    wide("IMAGES"),
    wide("SELECTOR"),
];

pub(super) fn rs_row(rs: &ReplicaSet, ctx: &Ctx) -> Vec<String> {
    let spec = rs.spec.as_ref();
    let status = rs.status.as_ref();
    let containers = spec
        .and_then(|s| s.template.as_ref())
        .and_then(|t| t.spec.as_ref())
        .map(|p| p.containers.as_slice())
        .unwrap_or(&[]);
    let (names, images) = layout_containers(containers);
    vec![
        rs.metadata.name.clone().unwrap_or_default(),
        spec.and_then(|s| s.replicas).unwrap_or(1).to_string(),
        status.map_or(0, |s| s.replicas).to_string(),
        status.and_then(|s| s.ready_replicas).unwrap_or(0).to_string(),
        ctx.age(rs.metadata.creation_timestamp.as_ref()),
        names,
        images,
        format_label_selector(spec.map(|s| &s.selector)),
    ]
}

/// The same columns as replicasets.
pub(super) const RC_COLUMNS: &[Column] = RS_COLUMNS;

pub(super) fn rc_row(rc: &ReplicationController, ctx: &Ctx) -> Vec<String> {
    let spec = rc.spec.as_ref();
    let status = rc.status.as_ref();
    let containers = spec
        .and_then(|s| s.template.as_ref())
        .and_then(|t| t.spec.as_ref())
        .map(|p| p.containers.as_slice())
        .unwrap_or(&[]);
    let (names, images) = layout_containers(containers);
    vec![
        rc.metadata.name.clone().unwrap_or_default(),
        spec.and_then(|s| s.replicas).unwrap_or(1).to_string(),
        status.map_or(0, |s| s.replicas).to_string(),
        status.and_then(|s| s.ready_replicas).unwrap_or(0).to_string(),
        ctx.age(rc.metadata.creation_timestamp.as_ref()),
        names,
        images,
        format_label_map(spec.and_then(|s| s.selector.as_ref())),
    ]
}

pub(super) const DS_COLUMNS: &[Column] = &[
    col("NAME"),
    col("DESIRED"),
    col("CURRENT"),
    col("READY"),
    col("UP-TO-DATE"),
    col("AVAILABLE"),
    col("NODE SELECTOR"),
    col("AGE"),
    wide("CONTAINERS"),
    wide("IMAGES"),
    wide("SELECTOR"),
];

pub(super) fn ds_row(ds: &DaemonSet, ctx: &Ctx) -> Vec<String> {
    let spec = ds.spec.as_ref();
    let status = ds.status.as_ref();
    let pod_spec = spec.and_then(|s| s.template.spec.as_ref());
    let (names, images) = layout_containers(pod_spec.map(|p| p.containers.as_slice()).unwrap_or(&[]));
    vec![
        ds.metadata.name.clone().unwrap_or_default(),
        status.map_or(0, |s| s.desired_number_scheduled).to_string(),
        status.map_or(0, |s| s.current_number_scheduled).to_string(),
        status.map_or(0, |s| s.number_ready).to_string(),
        status.and_then(|s| s.updated_number_scheduled).unwrap_or(0).to_string(),
        status.and_then(|s| s.number_available).unwrap_or(0).to_string(),
        format_label_map(pod_spec.and_then(|p| p.node_selector.as_ref())),
        ctx.age(ds.metadata.creation_timestamp.as_ref()),
        names,
        images,
        format_label_selector(spec.map(|s| &s.selector)),
    ]
}

pub(super) const STS_COLUMNS: &[Column] = &[col("NAME"), col("READY"), col("AGE"), wide("CONTAINERS"), wide("IMAGES")];

pub(super) fn sts_row(sts: &StatefulSet, ctx: &Ctx) -> Vec<String> {
    let spec = sts.spec.as_ref();
    let desired = spec.and_then(|s| s.replicas).unwrap_or(1);
    let ready = sts.status.as_ref().and_then(|s| s.ready_replicas).unwrap_or(0);
    let containers = spec.and_then(|s| s.template.spec.as_ref()).map(|p| p.containers.as_slice()).unwrap_or(&[]);
    let (names, images) = layout_containers(containers);
    vec![
        sts.metadata.name.clone().unwrap_or_default(),
        format!("{ready}/{desired}"),
        ctx.age(sts.metadata.creation_timestamp.as_ref()),
        names,
        images,
    ]
}

pub(super) const REVISION_COLUMNS: &[Column] = &[col("NAME"), col("CONTROLLER"), col("REVISION"), col("AGE")];

pub(super) fn revision_row(cr: &ControllerRevision, ctx: &Ctx) -> Vec<String> {
    // `kind.group/name`, lower-case, of the controlling owner.
    let controller = cr
        .metadata
        .owner_references
        .iter()
        .flatten()
        .find(|o| o.controller == Some(true))
        .map(|o| {
            let group = o.api_version.split_once('/').map_or("", |(g, _)| g);
            let kind = if group.is_empty() { o.kind.clone() } else { format!("{}.{group}", o.kind) };
            format!("{}/{}", kind.to_lowercase(), o.name)
        })
        .unwrap_or_else(|| "<none>".to_string());
    vec![
        cr.metadata.name.clone().unwrap_or_default(),
        controller,
        cr.revision.to_string(),
        ctx.age(cr.metadata.creation_timestamp.as_ref()),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::PrintOptions;

    fn check(yaml: &str, wide: bool, expect: &str) {
        assert_text(&render(yaml, &PrintOptions { wide, ..Default::default() }), expect);
    }

    const TEMPLATE: &str = "{metadata: {labels: {app: web}}, spec: {containers: [{name: nginx, image: 'nginx:1.27'}, {name: log, image: busybox}]}}";

    #[test]
    fn deployments() {
        let yaml = format!(
            "
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: default}}
spec: {{replicas: 3, selector: {{matchLabels: {{app: web}}}}, template: {TEMPLATE}}}
status: {{replicas: 4, updatedReplicas: 1, readyReplicas: 2, availableReplicas: 2}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: new, namespace: default, creationTimestamp: '2025-01-01T00:59:50Z'}}
spec: {{selector: {{matchExpressions: [{{key: app, operator: In, values: [b, a]}}]}}, template: {TEMPLATE}}}
"
        );
        check(
            &yaml,
            false,
            "
NAME   READY   UP-TO-DATE   AVAILABLE   AGE
web    2/3     1            2           60m
new    0/1     0            0           10s
",
        );
        check(
            &yaml,
            true,
            "
NAME   READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES               SELECTOR
web    2/3     1            2           60m   nginx,log    nginx:1.27,busybox   app=web
new    0/1     0            0           10s   nginx,log    nginx:1.27,busybox   app in (a,b)
",
        );
    }

    #[test]
    fn replicasets_and_replicationcontrollers() {
        let yaml = format!(
            "
apiVersion: apps/v1
kind: ReplicaSet
metadata: {{name: web-5d78c9b6f5, namespace: default}}
spec: {{replicas: 3, selector: {{matchLabels: {{app: web, pod-template-hash: 5d78c9b6f5}}}}, template: {TEMPLATE}}}
status: {{replicas: 3, readyReplicas: 1}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {{name: web-old, namespace: default}}
spec: {{replicas: 0, selector: {{matchLabels: {{app: web}}}}, template: {TEMPLATE}}}
status: {{replicas: 0}}
"
        );
        check(&yaml, true, "
NAME             DESIRED   CURRENT   READY   AGE   CONTAINERS   IMAGES               SELECTOR
web-5d78c9b6f5   3         3         1       60m   nginx,log    nginx:1.27,busybox   app=web,pod-template-hash=5d78c9b6f5
web-old          0         0         0       60m   nginx,log    nginx:1.27,busybox   app=web
");
        let rc = format!(
            "
apiVersion: v1
kind: ReplicationController
metadata: {{name: legacy, namespace: default}}
spec: {{replicas: 2, selector: {{app: web}}, template: {TEMPLATE}}}
status: {{replicas: 2, readyReplicas: 2}}
"
        );
        check(
            &rc,
            false,
            "
NAME     DESIRED   CURRENT   READY   AGE
legacy   2         2         2       60m
",
        );
        check(
            &rc,
            true,
            "
NAME     DESIRED   CURRENT   READY   AGE   CONTAINERS   IMAGES               SELECTOR
legacy   2         2         2       60m   nginx,log    nginx:1.27,busybox   app=web
",
        );
    }

    #[test]
    fn daemonsets() {
        let yaml = "
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: kube-proxy, namespace: kube-system}
spec:
  selector: {matchLabels: {k8s-app: kube-proxy}}
  template:
    metadata: {labels: {k8s-app: kube-proxy}}
    spec: {nodeSelector: {kubernetes.io/os: linux}, containers: [{name: kube-proxy, image: 'registry.k8s.io/kube-proxy:v1.33.0'}]}
status: {desiredNumberScheduled: 4, currentNumberScheduled: 4, numberReady: 3, updatedNumberScheduled: 4, numberAvailable: 3, numberMisscheduled: 0}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec:
  selector: {matchLabels: {app: agent}}
  template: {metadata: {labels: {app: agent}}, spec: {containers: [{name: agent, image: agent}]}}
";
        check(
            yaml,
            false,
            "
NAME         DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR            AGE
kube-proxy   4         4         3       4            3           kubernetes.io/os=linux   60m
agent        0         0         0       0            0           <none>                   60m
",
        );
        check(yaml, true, "
NAME         DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR            AGE   CONTAINERS   IMAGES                               SELECTOR
kube-proxy   4         4         3       4            3           kubernetes.io/os=linux   60m   kube-proxy   registry.k8s.io/kube-proxy:v1.33.0   k8s-app=kube-proxy
agent        0         0         0       0            0           <none>                   60m   agent        agent                                app=agent
");
    }

    #[test]
    fn statefulsets_and_revisions() {
        let yaml = format!(
            "
apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: db, namespace: default}}
spec: {{replicas: 3, serviceName: db, selector: {{matchLabels: {{app: web}}}}, template: {TEMPLATE}}}
status: {{replicas: 2, readyReplicas: 1}}
"
        );
        check(
            &yaml,
            true,
            "
NAME   READY   AGE   CONTAINERS   IMAGES
db     1/3     60m   nginx,log    nginx:1.27,busybox
",
        );
        check(
            "
apiVersion: apps/v1
kind: ControllerRevision
metadata:
  name: db-7f8d9c6b5
  namespace: default
  ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: db, uid: u1, controller: true}]
revision: 2
---
apiVersion: apps/v1
kind: ControllerRevision
metadata: {name: orphan-1, namespace: default}
revision: 1
",
            false,
            "
NAME           CONTROLLER            REVISION   AGE
db-7f8d9c6b5   statefulset.apps/db   2          60m
orphan-1       <none>                1          60m
",
        );
    }
}
