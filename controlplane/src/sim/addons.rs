//! The add-on pods a kubeadm cluster has from its first minute: CoreDNS's ReplicaSet and two
//! pods. kubesim has no Deployment or ReplicaSet controllers yet, so these objects are written
//! here as those controllers would have written them (names, owner references, labels), with
//! the workloads' status as they report it once the pods run. The scheduler and the kubelets
//! then do the rest, as for any pod. (kube-proxy's pods are the DaemonSet controller's.)

use serde_json::{json, Value};

use crate::apiserver::names::random_suffix;
use crate::apiserver::{ApiError, ApiServer};
use crate::controllers::controller_utils::{compute_hash, new_controller_ref};
use crate::model::{decode, Kind, Object};

use super::bootstrap::{set_status, USER};
use super::undo::Undo;

fn create(api: &mut ApiServer, doc: Value) -> Result<Object, ApiError> {
    create_noted(api, doc, &mut Undo::new(USER))
}

/// Create, noting the write in `undo`.
fn create_noted(api: &mut ApiServer, doc: Value, undo: &mut Undo) -> Result<Object, ApiError> {
    let obj = decode(doc).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let created = api.create(USER, "kube-system", obj)?;
    undo.created(&created);
    Ok((*created).clone())
}

/// CoreDNS: the Deployment's first ReplicaSet and its two pods.
pub fn coredns(api: &mut ApiServer) {
    let Some(deploy) = api.peek(Kind::Deployment, "kube-system", "coredns") else { return };
    let template = deploy.to_value()["spec"]["template"].clone();
    let hash = compute_hash(&template, None);
    let mut rs_template = template.clone();
    rs_template["metadata"]["labels"]["pod-template-hash"] = json!(hash);
    let replicas = deploy.to_value()["spec"]["replicas"].as_i64().unwrap_or(1);
    let rs = create(
        api,
        json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": format!("coredns-{hash}"), "namespace": "kube-system",
                "labels": {"k8s-app": "kube-dns", "pod-template-hash": hash},
                "annotations": {"deployment.kubernetes.io/desired-replicas": replicas.to_string(),
                    "deployment.kubernetes.io/max-replicas": (replicas + 1).to_string(),
                    "deployment.kubernetes.io/revision": "1"},
                "ownerReferences": [new_controller_ref(&deploy)]},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"k8s-app": "kube-dns", "pod-template-hash": hash}},
                "template": rs_template}}),
    )
    .expect("the coredns ReplicaSet is created");
    for _ in 0..replicas {
        let name = format!("coredns-{hash}-{}", random_suffix(api.rng()));
        let mut pod = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "kube-system", "labels": rs_template["metadata"]["labels"].clone(),
                "ownerReferences": [new_controller_ref(&rs)]},
            "spec": rs_template["spec"].clone()});
        pod["metadata"]["labels"]["pod-template-hash"] = json!(hash);
        create(api, pod).expect("a coredns pod is created");
    }
    let r = replicas;
    let _ = set_status(
        api,
        &rs,
        json!({"replicas": r, "fullyLabeledReplicas": r, "readyReplicas": r, "availableReplicas": r, "observedGeneration": 1}),
    );
    let t = api.now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let _ = set_status(
        api,
        &deploy,
        json!({"observedGeneration": 1, "replicas": r, "updatedReplicas": r, "readyReplicas": r, "availableReplicas": r,
            "conditions": [
                {"type": "Available", "status": "True", "lastUpdateTime": t, "lastTransitionTime": t,
                    "reason": "MinimumReplicasAvailable", "message": "Deployment has minimum availability."},
                {"type": "Progressing", "status": "True", "lastUpdateTime": t, "lastTransitionTime": t,
                    "reason": "NewReplicaSetAvailable", "message": format!("ReplicaSet \"coredns-{hash}\" has successfully progressed.")}]}),
    );
}
