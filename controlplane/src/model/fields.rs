//! Field labels: the fields each kind can be selected by (`--field-selector`), and their
//! values for an object, as each resource's `GetAttrs`/field-label conversion upstream.

use super::kinds::{Kind, Object};

/// The field labels `kind` supports beyond `metadata.name` and `metadata.namespace`.
pub fn field_labels(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Pod => &[
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.nominatedNodeName",
        ],
        Kind::Node => &["spec.unschedulable"],
        Kind::Namespace => &["status.phase"],
        Kind::Secret => &["type"],
        Kind::Event => &[
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ],
        Kind::ReplicaSet | Kind::ReplicationController => &["status.replicas"],
        Kind::Job => &["status.successful"],
        _ => &[],
    }
}

/// Whether `kind` can be selected by `field`.
pub fn supports(kind: Kind, field: &str) -> bool {
    matches!(field, "metadata.name" | "metadata.namespace") || field_labels(kind).contains(&field)
}

/// The value of a field label for `obj` (empty when unset, as upstream).
pub fn value(obj: &Object, field: &str) -> Option<String> {
    let meta = obj.metadata();
    Some(match (obj, field) {
        (_, "metadata.name") => meta.name.clone().unwrap_or_default(),
        (_, "metadata.namespace") => meta.namespace.clone().unwrap_or_default(),
        (Object::Pod(p), f) => {
            let spec = p.spec.as_ref();
            let status = p.status.as_ref();
            match f {
                "spec.nodeName" => spec.and_then(|s| s.node_name.clone()).unwrap_or_default(),
                "spec.restartPolicy" => spec.and_then(|s| s.restart_policy.clone()).unwrap_or_default(),
                "spec.schedulerName" => spec.and_then(|s| s.scheduler_name.clone()).unwrap_or_default(),
                "spec.serviceAccountName" => spec.and_then(|s| s.service_account_name.clone()).unwrap_or_default(),
                "spec.hostNetwork" => spec.and_then(|s| s.host_network).unwrap_or(false).to_string(),
                "status.phase" => status.and_then(|s| s.phase.clone()).unwrap_or_default(),
                "status.podIP" => status.and_then(|s| s.pod_ip.clone()).unwrap_or_default(),
                "status.nominatedNodeName" => status.and_then(|s| s.nominated_node_name.clone()).unwrap_or_default(),
                _ => return None,
            }
        }
        (Object::Node(n), "spec.unschedulable") => {
            n.spec.as_ref().and_then(|s| s.unschedulable).unwrap_or(false).to_string()
        }
        (Object::Namespace(n), "status.phase") => n.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_default(),
        (Object::Secret(s), "type") => s.type_.clone().unwrap_or_default(),
        (Object::Event(e), f) => match f {
            "involvedObject.kind" => e.involved_object.kind.as_deref().unwrap_or_default().to_string(),
            "involvedObject.namespace" => e.involved_object.namespace.as_deref().unwrap_or_default().to_string(),
            "involvedObject.name" => e.involved_object.name.as_deref().unwrap_or_default().to_string(),
            "involvedObject.uid" => e.involved_object.uid.as_deref().unwrap_or_default().to_string(),
            "involvedObject.apiVersion" => e.involved_object.api_version.as_deref().unwrap_or_default().to_string(),
            "involvedObject.resourceVersion" => {
                e.involved_object.resource_version.as_deref().unwrap_or_default().to_string()
            }
            "involvedObject.fieldPath" => e.involved_object.field_path.as_deref().unwrap_or_default().to_string(),
            "reason" => e.reason.as_deref().unwrap_or_default().to_string(),
            "reportingComponent" => e.reporting_component.as_deref().unwrap_or_default().to_string(),
            "source" => e.source.as_ref().and_then(|s| s.component.as_deref()).unwrap_or_default().to_string(),
            "type" => e.type_.as_deref().unwrap_or_default().to_string(),
            _ => return None,
        },
        (Object::ReplicaSet(r), "status.replicas") => r.status.as_ref().map_or(0, |s| s.replicas).to_string(),
        (Object::ReplicationController(r), "status.replicas") => {
            r.status.as_ref().map_or(0, |s| s.replicas).to_string()
        }
        (Object::Job(j), "status.successful") => j.status.as_ref().and_then(|s| s.succeeded).unwrap_or(0).to_string(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::decode::decode_one;

    #[test]
    fn pod_fields() {
        let pod = decode_one("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}\nspec: {nodeName: node-1, containers: [{name: c, image: i}]}\nstatus: {phase: Running}").unwrap();
        let check = |f: &str, want: Option<&str>| assert_eq!(value(&pod, f).as_deref(), want, "{f}");
        check("metadata.name", Some("p"));
        check("metadata.namespace", Some("ns"));
        check("spec.nodeName", Some("node-1"));
        check("status.phase", Some("Running"));
        check("status.podIP", Some(""));
        check("spec.hostNetwork", Some("false"));
        check("spec.bogus", None);
        assert!(supports(Kind::Pod, "spec.nodeName"));
        assert!(!supports(Kind::ConfigMap, "spec.nodeName"));
        assert!(supports(Kind::ConfigMap, "metadata.name"));
    }
}
