//! The add-on pods a kubeadm cluster has from its first minute that no controller makes yet:
//! one kube-proxy pod per node (CoreDNS's come from its Deployment, through the Deployment and
//! ReplicaSet controllers). kubesim has no DaemonSet controller yet, so these objects are
//! written here as it would have written them (names, owner references, labels, the
//! DaemonSet's node affinity and tolerations), with the workloads' status as they report it once the pods run. The
//! scheduler and the kubelets then do the rest, as for any pod.

use serde_json::{json, Value};

use crate::apiserver::names::suffix_from;
use crate::apiserver::{ApiError, ApiServer};
use crate::controllers::controller_utils::{compute_hash, new_controller_ref};
use crate::model::{decode, Kind, Object};

use super::bootstrap::{set_status, USER};
use super::undo::Undo;

/// Create, noting the write in `undo`.
fn create_noted(api: &mut ApiServer, doc: Value, undo: &mut Undo) -> Result<Object, ApiError> {
    let obj = decode(doc).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let created = api.create(USER, "kube-system", obj)?;
    undo.created(&created);
    Ok((*created).clone())
}

/// The tolerations the DaemonSet controller adds to every daemon pod
/// (`util.AddOrUpdateDaemonPodTolerations`), the network one for host-network pods.
fn daemon_tolerations(host_network: bool) -> Vec<Value> {
    let mut t = vec![
        json!({"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"}),
        json!({"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"}),
        json!({"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"}),
        json!({"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"}),
        json!({"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"}),
        json!({"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}),
    ];
    if host_network {
        t.push(json!({"key": "node.kubernetes.io/network-unavailable", "operator": "Exists", "effect": "NoSchedule"}));
    }
    t
}

/// kube-proxy's pod for one node, pinned to it by node affinity on `metadata.name`, unless the
/// node has one already (a pod left from an earlier node of that name, not yet collected, is
/// kept, as the DaemonSet controller keeps it). Writes are noted in `undo`.
pub fn kube_proxy_pod(api: &mut ApiServer, node: &str, undo: &mut Undo) -> Result<(), ApiError> {
    let Some(ds) = api.peek(Kind::DaemonSet, "kube-system", "kube-proxy") else { return Ok(()) };
    let has_one = api.peek_list(Kind::Pod, Some("kube-system")).iter().any(|p| {
        let Object::Pod(pod) = &**p else { return false };
        let bound = pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(node);
        bound
            && p.metadata().deletion_timestamp.is_none()
            && p.labels().get("k8s-app").is_some_and(|v| v == "kube-proxy")
    });
    if has_one {
        return Ok(());
    }
    let doc = ds.to_value();
    let template = doc["spec"]["template"].clone();
    let hash = compute_hash(&template, None);
    if api.peek(Kind::ControllerRevision, "kube-system", &format!("kube-proxy-{hash}")).is_none() {
        create_noted(
            api,
            json!({"apiVersion": "apps/v1", "kind": "ControllerRevision",
                "metadata": {"name": format!("kube-proxy-{hash}"), "namespace": "kube-system",
                    "labels": {"k8s-app": "kube-proxy", "controller-revision-hash": hash},
                    "ownerReferences": [new_controller_ref(&ds)]},
                "data": {"spec": {"template": template.clone()}}, "revision": 1}),
            undo,
        )?;
    }
    let mut spec = template["spec"].clone();
    let host_network = spec["hostNetwork"].as_bool().unwrap_or(false);
    let mut tolerations = spec["tolerations"].as_array().cloned().unwrap_or_default();
    tolerations.extend(daemon_tolerations(host_network));
    spec["tolerations"] = json!(tolerations);
    spec["affinity"] = json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}]}}});
    let mut labels = template["metadata"]["labels"].clone();
    labels["controller-revision-hash"] = json!(hash);
    labels["pod-template-generation"] = json!("1");
    // Daemon pod names are random; the node name seeds them so adding nodes in any order
    // names each node's pod alike. A name already taken is refused and another tried, as the
    // controller's next sync would.
    let uid = ds.metadata().uid.clone().unwrap_or_default();
    for attempt in 0.. {
        let seed = if attempt == 0 { format!("{node}/{uid}") } else { format!("{node}/{uid}/{attempt}") };
        let doc = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": format!("kube-proxy-{}", suffix_from(&seed)), "namespace": "kube-system",
                "labels": labels, "ownerReferences": [new_controller_ref(&ds)]},
            "spec": spec});
        match create_noted(api, doc, undo) {
            Err(e) if e.reason == crate::apiserver::Reason::AlreadyExists && attempt < 16 => continue,
            result => {
                result?;
                break;
            }
        }
    }
    Ok(())
}

/// The kube-proxy DaemonSet's status, counting its pods, as the DaemonSet controller reports it.
pub fn kube_proxy_status(api: &mut ApiServer) {
    let Some(ds) = api.peek(Kind::DaemonSet, "kube-system", "kube-proxy") else { return };
    let n = api
        .peek_list(Kind::Pod, Some("kube-system"))
        .iter()
        .filter(|p| p.labels().get("k8s-app").is_some_and(|v| v == "kube-proxy"))
        .count();
    let _ = set_status(
        api,
        &ds,
        json!({"currentNumberScheduled": n, "desiredNumberScheduled": n, "numberAvailable": n, "numberMisscheduled": 0,
            "numberReady": n, "observedGeneration": 1, "updatedNumberScheduled": n}),
    );
}
