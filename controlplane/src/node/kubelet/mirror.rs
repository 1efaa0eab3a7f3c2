//! Static pods and their mirror pods. A static pod is one the kubelet reads from a manifest
//! on its node (`/etc/kubernetes/manifests`), not from the API server; so the cluster can see
//! it, the kubelet creates a mirror pod for it, owned by the Node. A mirror pod that is
//! deleted (or no longer matches its static pod) is created again at the static pod's next
//! sync, while the static pod itself keeps running (`pkg/kubelet/pod/mirror_client.go` and
//! the kubelet's `SyncPod`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::model::Pod;
use k8s_openapi::api::core::v1::Toleration;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

use crate::model::Object;
use crate::node::runtime::images;

/// Where the kubelet reads static pods from (kubeadm's `staticPodPath`).
pub const MANIFESTS: &str = "/etc/kubernetes/manifests";
/// The static pod's uid, a hash of its manifest, on the static pod and its mirror.
pub const CONFIG_HASH: &str = "kubernetes.io/config.hash";
/// The hash of the static pod a mirror pod stands for: what makes a pod a mirror pod.
pub const CONFIG_MIRROR: &str = "kubernetes.io/config.mirror";
const CONFIG_SEEN: &str = "kubernetes.io/config.seen";
const CONFIG_SOURCE: &str = "kubernetes.io/config.source";

/// A reference to the Node an object belongs to: the node's Lease has one, a mirror pod has
/// one marked as its controller.
pub fn node_owner(node: &Object, controller: bool) -> OwnerReference {
    OwnerReference {
        api_version: "v1".into(),
        kind: "Node".into(),
        name: node.name().to_string(),
        uid: node.metadata().uid.clone().unwrap_or_default(),
        controller: controller.then_some(true),
        block_owner_deletion: None,
    }
}

/// A manifest from the node's manifest directory as the kubelet's file source turns it into a
/// pod (`applyDefaults`): named `<name>-<node>`, bound to the node, its uid a hash of the
/// manifest and where it came from, tolerating every NoExecute taint so that node problems
/// never evict it, stamped with when it was first seen.
pub fn static_pod(mut pod: Pod, file: &str, node: &str, seen: DateTime<Utc>) -> Pod {
    let text = serde_json::to_string(&pod).unwrap_or_default();
    // Upstream's hash is an md5 of the pod, the host and the file; this one has its shape.
    let hash = images::digest(&format!("{text}host:{node}file:{MANIFESTS}/{file}"))[..32].to_string();
    let meta = &mut pod.metadata;
    meta.name = Some(format!("{}-{node}", meta.name.as_deref().unwrap_or_default()));
    if meta.namespace.as_deref().unwrap_or_default().is_empty() {
        meta.namespace = Some("default".into());
    }
    meta.uid = Some(hash.clone());
    let annotations = meta.annotations.get_or_insert_with(BTreeMap::new);
    annotations.insert(CONFIG_HASH.into(), hash);
    annotations.insert(CONFIG_SEEN.into(), rfc3339_nano(seen));
    annotations.insert(CONFIG_SOURCE.into(), "file".into());
    let spec = pod.spec.get_or_insert_with(Default::default);
    spec.node_name = Some(node.into());
    let tolerate_all =
        Toleration { operator: Some("Exists".into()), effect: Some("NoExecute".into()), ..Default::default() };
    let tolerations = spec.tolerations.get_or_insert_with(Vec::new);
    if !tolerations.contains(&tolerate_all) {
        tolerations.push(tolerate_all);
    }
    pod
}

/// Go's `time.RFC3339Nano`: as many fraction digits as needed, none for a whole second.
fn rfc3339_nano(t: DateTime<Utc>) -> String {
    let fraction = t.format("%.9f").to_string();
    let fraction = fraction.trim_end_matches('0').trim_end_matches('.');
    format!("{}{fraction}Z", t.format("%Y-%m-%dT%H:%M:%S"))
}

/// The mirror pod to create for a static pod: the same pod with the mirror annotation and the
/// Node as its controller; the API server gives it its own uid.
pub fn mirror_pod(static_pod: &Object, node: &Object) -> Object {
    let mut mirror = static_pod.clone();
    let hash = static_pod.annotations().get(CONFIG_HASH).cloned().unwrap_or_default();
    mirror.set_resource_version(None);
    let meta = mirror.metadata_mut();
    meta.uid = None;
    meta.annotations.get_or_insert_with(BTreeMap::new).insert(CONFIG_MIRROR.into(), hash);
    meta.owner_references = Some(vec![node_owner(node, true)]);
    mirror
}

/// Whether `pod` is the mirror pod of `static_pod` (`IsMirrorPodOf`): same name and namespace,
/// and the static pod's hash in its mirror annotation.
pub fn is_mirror_of(pod: &Object, static_pod: &Object) -> bool {
    pod.name() == static_pod.name()
        && pod.namespace() == static_pod.namespace()
        && pod.annotations().get(CONFIG_MIRROR).is_some_and(|h| Some(h) == static_pod.annotations().get(CONFIG_HASH))
}

/// The uid a pod runs under on its node: a mirror pod's static pod's, else its own (as
/// `kubectl describe` finds a static pod's events).
pub fn runtime_uid(pod: &Object) -> String {
    match pod.annotations().get(CONFIG_MIRROR) {
        Some(hash) => hash.clone(),
        None => pod.metadata().uid.clone().unwrap_or_default(),
    }
}
