//! `PodControllerRefManager` (`controller_ref_manager.go`): which pods a controller owns. A
//! controller claims the pods its selector matches: it adopts matching orphans (unless it is
//! being deleted), releases pods it owns whose labels no longer match, and leaves alone pods
//! another controller controls. Adoption and release are strategic merge patches of the pod's
//! `ownerReferences`, made as the controller's user, exactly as upstream sends them.

use k8s_openapi::api::core::v1::Pod;
use serde_json::{json, Value};

use super::template::{new_controller_ref, PodControl};
use super::Error;
use crate::apiserver::{from_k8s_time, ApiServer, Reason};
use crate::model::selector::LabelSelector;
use crate::model::Object;

/// The claims of one controller over pods, for one reconcile.
pub struct PodControllerRefManager<'a> {
    controller: &'a Object,
    selector: &'a LabelSelector,
    /// `canAdoptOnce`: whether the controller may adopt, asked of the API server at most once.
    can_adopt: Option<Result<(), String>>,
}

impl<'a> PodControllerRefManager<'a> {
    pub fn new(controller: &'a Object, selector: &'a LabelSelector) -> Self {
        PodControllerRefManager { controller, selector, can_adopt: None }
    }

    /// `ClaimPods`: the pods this controller owns after adopting and releasing, of `pods`
    /// (the controller's namespace's, from its informer) that also pass every filter. Failed
    /// adoptions and releases are returned together; a pod that vanished meanwhile is skipped.
    pub fn claim_pods<'p>(
        &mut self,
        api: &mut ApiServer,
        control: &mut PodControl,
        pods: impl IntoIterator<Item = &'p Pod>,
        filters: &[&dyn Fn(&Pod) -> bool],
    ) -> Result<Vec<&'p Pod>, Error> {
        let mut claimed = Vec::new();
        let mut errors = Vec::new();
        for pod in pods {
            match self.claim_object(api, control, pod, filters) {
                Ok(true) => claimed.push(pod),
                Ok(false) => {}
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(claimed)
        } else {
            Err(Error::Aggregate(errors))
        }
    }

    /// `ClaimObject`: whether the controller owns `pod` once this returns.
    fn claim_object(
        &mut self,
        api: &mut ApiServer,
        control: &mut PodControl,
        pod: &Pod,
        filters: &[&dyn Fn(&Pod) -> bool],
    ) -> Result<bool, Error> {
        // The selector first, so filters only run on pods that might match.
        let matches = |pod: &Pod| {
            let empty = Default::default();
            self.selector.matches(pod.metadata.labels.as_ref().unwrap_or(&empty)) && filters.iter().all(|f| f(pod))
        };
        let owner_uid = self.controller.metadata().uid.as_deref().unwrap_or("");
        let owner_deleting = self.controller.metadata().deletion_timestamp.is_some();
        let controller_ref = pod.metadata.owner_references.iter().flatten().find(|r| r.controller == Some(true));
        if let Some(controller_ref) = controller_ref {
            if controller_ref.uid != owner_uid {
                // Someone else's.
                return Ok(false);
            }
            if matches(pod) {
                // Ours and still matching; claiming it needs no write, so even while deleting.
                return Ok(true);
            }
            if owner_deleting {
                return Ok(false);
            }
            return match self.release_pod(api, control, pod) {
                Err(e) if e.is_reason(Reason::NotFound) => Ok(false),
                Err(e) => Err(e),
                Ok(()) => Ok(false),
            };
        }
        // An orphan: adopt it if it matches, neither side is being deleted, and it lives in
        // the controller's namespace.
        if owner_deleting || !matches(pod) || pod.metadata.deletion_timestamp.is_some() {
            return Ok(false);
        }
        let namespace = self.controller.namespace();
        if !namespace.is_empty() && pod.metadata.namespace.as_deref().unwrap_or("") != namespace {
            return Ok(false);
        }
        match self.adopt_pod(api, control, pod) {
            Err(e) if e.is_reason(Reason::NotFound) => Ok(false),
            Err(e) => Err(e),
            Ok(()) => Ok(true),
        }
    }

    /// `AdoptPod`: make the controller the pod's controller. The API server refuses the patch
    /// if another controller reference got there first.
    fn adopt_pod(&mut self, api: &mut ApiServer, control: &mut PodControl, pod: &Pod) -> Result<(), Error> {
        let (namespace, name, uid) = pod_identity(pod);
        if let Err(why) = self.can_adopt(api, control.user()) {
            return Err(Error::CannotAdopt { namespace: namespace.into(), name: name.into(), uid: uid.into(), why });
        }
        let patch = owner_ref_controller_patch(self.controller, uid);
        control.patch_pod(api, namespace, name, &patch)
    }

    /// `ReleasePod`: drop the controller's reference from the pod. A pod that is gone, or no
    /// longer has the reference (Invalid), needs no release.
    fn release_pod(&mut self, api: &mut ApiServer, control: &mut PodControl, pod: &Pod) -> Result<(), Error> {
        let (namespace, name, uid) = pod_identity(pod);
        let owner_uid = self.controller.metadata().uid.as_deref().unwrap_or("");
        let patch = delete_owner_ref_patch(uid, &[owner_uid]);
        match control.patch_pod(api, namespace, name, &patch) {
            Err(e) if e.is_reason(Reason::NotFound) || e.is_reason(Reason::Invalid) => Ok(()),
            other => other,
        }
    }

    /// `RecheckDeletionTimestamp` over a fresh read of the controller (not its informer's
    /// copy): a controller that is gone, was made again, or is being deleted may not adopt.
    fn can_adopt(&mut self, api: &mut ApiServer, user: &str) -> Result<(), String> {
        if let Some(answer) = &self.can_adopt {
            return answer.clone();
        }
        let c = self.controller;
        let uid = c.metadata().uid.as_deref().unwrap_or("");
        let answer = match api.get(user, c.kind(), c.namespace(), c.name()) {
            Err(e) => Err(e.message),
            Ok(fresh) if fresh.metadata().uid.as_deref().unwrap_or("") != uid => Err(format!(
                "original {}/{} is gone: got uid {}, wanted {uid}",
                c.namespace(),
                c.name(),
                fresh.metadata().uid.as_deref().unwrap_or("")
            )),
            Ok(fresh) => match &fresh.metadata().deletion_timestamp {
                Some(t) => Err(format!(
                    "{}/{} has just been deleted at {}",
                    c.namespace(),
                    c.name(),
                    from_k8s_time(t).format("%Y-%m-%d %H:%M:%S +0000 UTC")
                )),
                None => Ok(()),
            },
        };
        self.can_adopt = Some(answer.clone());
        answer
    }
}

fn pod_identity(pod: &Pod) -> (&str, &str, &str) {
    let m = &pod.metadata;
    (m.namespace.as_deref().unwrap_or(""), m.name.as_deref().unwrap_or(""), m.uid.as_deref().unwrap_or(""))
}

/// `ownerRefControllerPatch`: adds the controller reference; the pod's uid makes the patch
/// apply only to the pod that was read.
fn owner_ref_controller_patch(controller: &Object, pod_uid: &str) -> Value {
    json!({"metadata": {"ownerReferences": [new_controller_ref(controller)], "uid": pod_uid}})
}

/// `GenerateDeleteOwnerRefStrategicMergeBytes`: removes the references to `owner_uids`.
fn delete_owner_ref_patch(pod_uid: &str, owner_uids: &[&str]) -> Value {
    let refs: Vec<Value> = owner_uids.iter().map(|uid| json!({"$patch": "delete", "uid": uid})).collect();
    json!({"metadata": {"uid": pod_uid, "ownerReferences": refs}})
}
