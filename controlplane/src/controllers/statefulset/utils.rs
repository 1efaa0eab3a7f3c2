//! `stateful_set_utils.go`: a StatefulSet's pods by ordinal (`<set>-<ordinal>`), their identity
//! (name, hostname, subdomain, the pod-name and pod-index labels), their storage (one claim
//! `<template>-<set>-<ordinal>` per volumeClaimTemplate), the revisions they are made from, and
//! the owner references the PVC retention policy asks for on each claim.

use std::collections::BTreeMap;

use crate::model::Pod;
use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet, StatefulSetSpec};
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, PersistentVolumeClaimVolumeSource, Volume};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::runtime::RawExtension;

use crate::controllers::controller_utils::{get_pod_from_template, is_pod_available, is_pod_ready, pod_phase};
use crate::controllers::history::{template_patch, REVISION_HASH_LABEL};
use crate::model::Object;

/// `apps.StatefulSetPodNameLabel`.
pub const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
/// `apps.PodIndexLabel` (the PodIndexLabel feature, on since v1.28).
pub const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";

pub fn spec(set: &StatefulSet) -> StatefulSetSpec {
    set.spec.clone().unwrap_or_default()
}

fn name(set: &StatefulSet) -> &str {
    set.metadata.name.as_deref().unwrap_or("")
}

pub fn pod_name_of(pod: &Pod) -> &str {
    pod.metadata.name.as_deref().unwrap_or("")
}

/// `getParentNameAndOrdinal` (`(.*)-([0-9]+)$`): the parent's name and the ordinal, None for
/// a name that does not end in one (or whose number does not fit 32 bits).
pub fn parent_and_ordinal(pod_name: &str) -> (Option<&str>, Option<i32>) {
    match pod_name.rsplit_once('-') {
        Some((parent, digits)) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            (Some(parent), digits.parse().ok())
        }
        _ => (None, None),
    }
}

pub fn ordinal(pod: &Pod) -> Option<i32> {
    parent_and_ordinal(pod_name_of(pod)).1
}

/// `getStartOrdinal`: `spec.ordinals.start`, 0 when unset.
pub fn start_ordinal(set: &StatefulSet) -> i32 {
    set.spec.as_ref().and_then(|s| s.ordinals.as_ref()).and_then(|o| o.start).unwrap_or(0)
}

pub fn replicas(set: &StatefulSet) -> i32 {
    set.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
}

/// `getEndOrdinal`: the last ordinal the set wants (below the start when it wants none).
pub fn end_ordinal(set: &StatefulSet) -> i32 {
    start_ordinal(set) + replicas(set) - 1
}

/// `podInOrdinalRange`.
pub fn in_ordinal_range(pod: &Pod, set: &StatefulSet) -> bool {
    ordinal(pod).is_some_and(|o| o >= start_ordinal(set) && o <= end_ordinal(set))
}

/// `getPodName`.
pub fn pod_name(set: &StatefulSet, ordinal: i32) -> String {
    format!("{}-{ordinal}", name(set))
}

/// `isMemberOf`: the pod's name makes it one of the set's.
pub fn is_member_of(set: &StatefulSet, pod: &Pod) -> bool {
    parent_and_ordinal(pod_name_of(pod)).0 == Some(name(set))
}

/// `getPersistentVolumeClaimName`.
pub fn claim_name(set: &StatefulSet, template: &PersistentVolumeClaim, ordinal: i32) -> String {
    format!("{}-{}-{ordinal}", template.metadata.name.as_deref().unwrap_or(""), name(set))
}

pub fn claim_templates(set: &StatefulSet) -> Vec<PersistentVolumeClaim> {
    set.spec.as_ref().and_then(|s| s.volume_claim_templates.clone()).unwrap_or_default()
}

/// `identityMatches`.
pub fn identity_matches(set: &StatefulSet, pod: &Pod) -> bool {
    let (parent, ord) = parent_and_ordinal(pod_name_of(pod));
    let label = pod.metadata.labels.as_ref().and_then(|l| l.get(POD_NAME_LABEL)).map(String::as_str);
    match (parent, ord) {
        (Some(parent), Some(ord)) => {
            parent == name(set)
                && pod_name_of(pod) == pod_name(set, ord)
                && pod.metadata.namespace == set.metadata.namespace
                && label == Some(pod_name_of(pod))
        }
        _ => false,
    }
}

/// `storageMatches`: every claim template has its volume, naming this ordinal's claim.
pub fn storage_matches(set: &StatefulSet, pod: &Pod) -> bool {
    let Some(ord) = ordinal(pod) else { return false };
    let volumes = pod.spec.as_ref().and_then(|s| s.volumes.as_ref());
    claim_templates(set).iter().all(|t| {
        let volume = volumes.and_then(|v| v.iter().find(|v| Some(&v.name) == t.metadata.name.as_ref()));
        let claim = volume.and_then(|v| v.persistent_volume_claim.as_ref()).map(|c| c.claim_name.as_str());
        claim == Some(claim_name(set, t, ord).as_str())
    })
}

/// `getPersistentVolumeClaims`: the claims of the pod's ordinal, by template name, each
/// labelled with the set's selector's matchLabels.
pub fn claims_for(set: &StatefulSet, ord: i32) -> Vec<(String, PersistentVolumeClaim)> {
    let match_labels = set.spec.as_ref().and_then(|s| s.selector.match_labels.clone()).unwrap_or_default();
    claim_templates(set)
        .into_iter()
        .map(|template| {
            let mut claim = template.clone();
            claim.metadata.name = Some(claim_name(set, &template, ord));
            claim.metadata.namespace = set.metadata.namespace.clone();
            let labels = claim.metadata.labels.get_or_insert_with(BTreeMap::new);
            labels.extend(match_labels.iter().map(|(k, v)| (k.clone(), v.clone())));
            claim.status = None;
            (template.metadata.name.clone().unwrap_or_default(), claim)
        })
        .collect()
}

/// `updateStorage`: the pod's volumes name its claims (template order), its other volumes kept.
pub fn update_storage(set: &StatefulSet, pod: &mut Pod) {
    let Some(ord) = ordinal(pod) else { return };
    let claims = claims_for(set, ord);
    let spec = pod.spec.get_or_insert_with(Default::default);
    let mut volumes: Vec<Volume> = claims
        .iter()
        .map(|(template, claim)| Volume {
            name: template.clone(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: claim.metadata.name.clone().unwrap_or_default(),
                read_only: None,
            }),
            ..Default::default()
        })
        .collect();
    let current = spec.volumes.take().unwrap_or_default();
    volumes.extend(current.into_iter().filter(|v| !claims.iter().any(|(t, _)| *t == v.name)));
    spec.volumes = (!volumes.is_empty()).then_some(volumes);
}

/// `updateIdentity`: name, namespace and the pod-name and pod-index labels.
pub fn update_identity(set: &StatefulSet, pod: &mut Pod) {
    let Some(ord) = ordinal(pod) else { return };
    let name = pod_name(set, ord);
    pod.metadata.namespace = set.metadata.namespace.clone();
    let labels = pod.metadata.labels.get_or_insert_with(BTreeMap::new);
    labels.insert(POD_NAME_LABEL.into(), name.clone());
    labels.insert(POD_INDEX_LABEL.into(), ord.to_string());
    pod.metadata.name = Some(name);
}

/// `newStatefulSetPod`: the pod of `ordinal` from `set`'s template, with its identity
/// (`initIdentity`: hostname and subdomain only at creation) and storage.
pub fn new_pod(obj: &Object, set: &StatefulSet, ordinal: i32) -> Pod {
    let controller_ref = crate::controllers::controller_utils::new_controller_ref(obj);
    let mut pod = get_pod_from_template(&spec(set).template, obj, Some(&controller_ref));
    pod.metadata.generate_name = None;
    pod.metadata.name = Some(pod_name(set, ordinal));
    update_identity(set, &mut pod);
    let s = pod.spec.get_or_insert_with(Default::default);
    s.hostname = Some(pod_name(set, ordinal));
    s.subdomain = spec(set).service_name.filter(|n| !n.is_empty());
    update_storage(set, &mut pod);
    pod
}

/// `newVersionedStatefulSetPod`: below the partition (or, without one, the current replica
/// count) a pod is made at the current revision, else at the update revision.
pub fn new_versioned_pod(
    obj: &Object,
    current_set: &StatefulSet,
    update_set: &StatefulSet,
    current_revision: &str,
    update_revision: &str,
    ordinal: i32,
) -> Pod {
    let strategy = current_set.spec.as_ref().and_then(|s| s.update_strategy.clone()).unwrap_or_default();
    let start = start_ordinal(current_set);
    // Go's `a && b || c`: the partition counts whatever the strategy's type.
    let current_replicas = current_set.status.as_ref().and_then(|s| s.current_replicas).unwrap_or(0);
    let rolling = strategy.type_.as_deref() == Some("RollingUpdate");
    let below = match strategy.rolling_update.as_ref() {
        None => rolling && ordinal < start + current_replicas,
        Some(ru) => ordinal < start + ru.partition.unwrap_or(0),
    };
    let (set, revision) = if below { (current_set, current_revision) } else { (update_set, update_revision) };
    let mut pod = new_pod(obj, set, ordinal);
    pod.metadata.labels.get_or_insert_with(BTreeMap::new).insert(REVISION_HASH_LABEL.into(), revision.into());
    pod
}

/// `getPodRevision`.
pub fn pod_revision(pod: &Pod) -> &str {
    pod.metadata.labels.as_ref().and_then(|l| l.get(REVISION_HASH_LABEL)).map_or("", String::as_str)
}

/// `newRevision`: the revision holding the set's template, labelled as its template and
/// annotated as the set (the name and hash label come with its creation).
pub fn new_revision(obj: &Object, set: &StatefulSet, revision: i64) -> ControllerRevision {
    let template = spec(set).template;
    let labels = template.metadata.as_ref().and_then(|m| m.labels.clone()).unwrap_or_default();
    ControllerRevision {
        metadata: ObjectMeta {
            labels: Some(labels),
            annotations: set.metadata.annotations.clone().filter(|a| !a.is_empty()),
            owner_references: Some(vec![crate::controllers::controller_utils::new_controller_ref(obj)]),
            ..Default::default()
        },
        data: Some(RawExtension(template_patch(&template))),
        revision,
    }
}

pub fn is_created(pod: &Pod) -> bool {
    !pod_phase(pod).is_empty()
}

pub fn is_terminating(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_some()
}

/// `isRunningAndReady`.
pub fn is_running_and_ready(pod: &Pod) -> bool {
    pod_phase(pod) == "Running" && is_pod_ready(pod)
}

/// `isUnavailable`: not healthy (running, ready, not terminating) or not yet available.
pub fn is_unavailable(pod: &Pod, min_ready_seconds: i32, now: chrono::DateTime<chrono::Utc>) -> bool {
    !is_running_and_ready(pod) || is_terminating(pod) || !is_pod_available(pod, min_ready_seconds, now)
}

/// The PVC retention policy: (whenDeleted, whenScaled) is Delete.
pub fn retention(set: &StatefulSet) -> (bool, bool) {
    let policy = set.spec.as_ref().and_then(|s| s.persistent_volume_claim_retention_policy.clone());
    let policy = policy.unwrap_or_default();
    (policy.when_deleted.as_deref() == Some("Delete"), policy.when_scaled.as_deref() == Some("Delete"))
}

/// An owner as the claim's retention references name it.
pub struct Owner<'a> {
    pub api_version: &'a str,
    pub kind: &'a str,
    pub name: &'a str,
    pub uid: &'a str,
}

impl Owner<'_> {
    /// `matchesRef`: the same apiVersion, kind and name (whatever the uid).
    fn matches(&self, r: &OwnerReference) -> bool {
        r.name == self.name && r.kind == self.kind && r.api_version == self.api_version
    }

    fn controller_ref(&self) -> OwnerReference {
        OwnerReference {
            api_version: self.api_version.into(),
            kind: self.kind.into(),
            name: self.name.into(),
            uid: self.uid.into(),
            block_owner_deletion: Some(true),
            controller: Some(true),
        }
    }
}

fn refs(claim: &PersistentVolumeClaim) -> &[OwnerReference] {
    claim.metadata.owner_references.as_deref().unwrap_or_default()
}

fn has_owner_ref(claim: &PersistentVolumeClaim, owner: &Owner<'_>) -> bool {
    refs(claim).iter().any(|r| r.uid == owner.uid)
}

/// `hasStaleOwnerRef`: a reference to an object of that kind and name but another uid.
pub fn has_stale_owner_ref(claim: &PersistentVolumeClaim, owner: &Owner<'_>) -> bool {
    refs(claim).iter().find(|r| owner.matches(r)).is_some_and(|r| r.uid != owner.uid)
}

/// `hasUnexpectedController`: under a Delete policy, some other object controls the claim, or
/// a reference to the set or pod is stale. (Under Retain/Retain anyone may control it.)
fn has_unexpected_controller(
    claim: &PersistentVolumeClaim,
    policy: &StatefulSet,
    set: &Owner<'_>,
    pod: &Owner<'_>,
) -> bool {
    if retention(policy) == (false, false) {
        return false;
    }
    refs(claim).iter().any(|r| {
        if set.matches(r) {
            return r.uid != set.uid;
        }
        if pod.matches(r) {
            return r.uid != pod.uid;
        }
        r.controller == Some(true)
    })
}

/// `hasNonControllerOwner`.
fn has_non_controller_owner(claim: &PersistentVolumeClaim, set: &Owner<'_>, pod: &Owner<'_>) -> bool {
    refs(claim).iter().any(|r| (r.uid == set.uid || r.uid == pod.uid) && r.controller != Some(true))
}

/// `isClaimOwnerUpToDate`: whether the claim's references follow the retention policy: none
/// for Retain/Retain, the set for whenDeleted Delete, the pod once scaled away for whenScaled
/// Delete. A claim left by an earlier set or pod of the same name, or controlled by something
/// else, is left alone.
pub fn is_claim_owner_up_to_date(
    claim: &PersistentVolumeClaim,
    set: &StatefulSet,
    set_owner: &Owner<'_>,
    pod: &Pod,
    pod_owner: &Owner<'_>,
) -> bool {
    if has_stale_owner_ref(claim, set_owner) || has_stale_owner_ref(claim, pod_owner) {
        return true;
    }
    if has_unexpected_controller(claim, set, set_owner, pod_owner) {
        return !(has_owner_ref(claim, set_owner) || has_owner_ref(claim, pod_owner));
    }
    if has_non_controller_owner(claim, set_owner, pod_owner) {
        return false;
    }
    let (when_deleted, when_scaled) = retention(set);
    let scaled_down = !in_ordinal_range(pod, set);
    let (want_set, want_pod) = match (when_scaled, when_deleted) {
        (false, false) => (false, false),
        (false, true) => (true, false),
        (true, false) => (false, scaled_down),
        (true, true) => (!scaled_down, scaled_down),
    };
    has_owner_ref(claim, set_owner) == want_set && has_owner_ref(claim, pod_owner) == want_pod
}

/// `updateClaimOwnerRefForSetAndPod`: the set's and pod's references scrubbed, then the ones
/// the policy wants added as controller references.
pub fn update_claim_owner_refs(
    claim: &mut PersistentVolumeClaim,
    set: &StatefulSet,
    set_owner: &Owner<'_>,
    pod: &Pod,
    pod_owner: &Owner<'_>,
) {
    let unexpected = has_unexpected_controller(claim, set, set_owner, pod_owner);
    let mut refs: Vec<OwnerReference> =
        refs(claim).iter().filter(|r| !set_owner.matches(r) && !pod_owner.matches(r)).cloned().collect();
    if !unexpected {
        let (when_deleted, when_scaled) = retention(set);
        let scaled_down = !in_ordinal_range(pod, set);
        if when_scaled && scaled_down {
            refs.push(pod_owner.controller_ref());
        } else if when_deleted && (!when_scaled || !scaled_down) {
            refs.push(set_owner.controller_ref());
        }
    }
    claim.metadata.owner_references = (!refs.is_empty()).then_some(refs);
}
