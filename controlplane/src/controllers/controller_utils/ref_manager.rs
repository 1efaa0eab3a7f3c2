//! `ControllerRefManager` (`controller_ref_manager.go`): which objects a controller owns. A
//! controller claims the objects its selector matches: it adopts matching orphans (unless it
//! is being deleted), releases objects it owns whose labels no longer match, and leaves alone
//! those another controller controls. Upstream has one manager per dependent kind
//! (`PodControllerRefManager.ClaimPods`, `ReplicaSetControllerRefManager.ClaimReplicaSets`,
//! `ControllerRevisionControllerRefManager.ClaimControllerRevisions`) over one
//! `BaseControllerRefManager.ClaimObject`; here one manager claims any kind. Adoption and
//! release are strategic merge patches of the dependent's `ownerReferences` (and of the
//! finalizers the controller puts on what it owns, as the Job controller does), made as the
//! controller's user, exactly as upstream sends them.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::Metadata;
use serde_json::{json, Value};

use super::template::new_controller_ref;
use super::Error;
use crate::apiserver::{from_k8s_time, ApiServer, PatchType, Reason};
use crate::model::selector::LabelSelector;
use crate::model::{Kind, Object, Typed};

/// The claims of one controller over its dependents, for one reconcile.
pub struct ControllerRefManager<'a> {
    controller: &'a Object,
    selector: &'a LabelSelector,
    user: &'a str,
    /// Finalizers added on adoption and removed on release.
    finalizers: &'a [&'a str],
    /// `canAdoptOnce`: whether the controller may adopt, asked of the API server at most once.
    can_adopt: Option<Result<(), String>>,
}

impl<'a> ControllerRefManager<'a> {
    /// `controller` claims as `user` (its audit user) what `selector` matches.
    pub fn new(controller: &'a Object, selector: &'a LabelSelector, user: &'a str) -> Self {
        ControllerRefManager { controller, selector, user, finalizers: &[], can_adopt: None }
    }

    /// The same, adding `finalizers` to what it adopts and removing them from what it
    /// releases (`NewPodControllerRefManager`'s `finalizers`).
    pub fn with_finalizers(mut self, finalizers: &'a [&'a str]) -> Self {
        self.finalizers = finalizers;
        self
    }

    /// `ClaimPods` (or `ClaimReplicaSets`, `ClaimControllerRevisions`): the objects this
    /// controller owns after adopting and releasing, of `objects` (the controller's
    /// namespace's, from its informer) that also pass every filter. Failed adoptions and
    /// releases are returned together; an object that vanished meanwhile is skipped.
    pub fn claim<'p, T>(
        &mut self,
        api: &mut ApiServer,
        objects: impl IntoIterator<Item = &'p T>,
        filters: &[&dyn Fn(&T) -> bool],
    ) -> Result<Vec<&'p T>, Error>
    where
        T: Typed + Metadata<Ty = ObjectMeta> + 'p,
    {
        let mut claimed = Vec::new();
        let mut errors = Vec::new();
        for obj in objects {
            match self.claim_object(api, obj, filters) {
                Ok(true) => claimed.push(obj),
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

    /// `ClaimObject`: whether the controller owns `obj` once this returns.
    fn claim_object<T>(&mut self, api: &mut ApiServer, obj: &T, filters: &[&dyn Fn(&T) -> bool]) -> Result<bool, Error>
    where
        T: Typed + Metadata<Ty = ObjectMeta>,
    {
        let meta = obj.metadata();
        // The selector first, so filters only run on objects that might match.
        let matches = || {
            let empty = Default::default();
            self.selector.matches(meta.labels.as_ref().unwrap_or(&empty)) && filters.iter().all(|f| f(obj))
        };
        let owner_uid = self.controller.metadata().uid.as_deref().unwrap_or("");
        let owner_deleting = self.controller.metadata().deletion_timestamp.is_some();
        let controller_ref = crate::controllers::informers::controller_ref(meta);
        if let Some(controller_ref) = controller_ref {
            if controller_ref.uid != owner_uid {
                // Someone else's.
                return Ok(false);
            }
            if matches() {
                // Ours and still matching; claiming it needs no write, so even while deleting.
                return Ok(true);
            }
            if owner_deleting {
                return Ok(false);
            }
            return match self.release(api, <T as Typed>::KIND, meta) {
                Err(e) if e.is_reason(Reason::NotFound) => Ok(false),
                Err(e) => Err(e),
                Ok(()) => Ok(false),
            };
        }
        // An orphan: adopt it if it matches, neither side is being deleted, and it lives in
        // the controller's namespace.
        if owner_deleting || !matches() || meta.deletion_timestamp.is_some() {
            return Ok(false);
        }
        let namespace = self.controller.namespace();
        if !namespace.is_empty() && meta.namespace.as_deref().unwrap_or("") != namespace {
            return Ok(false);
        }
        match self.adopt(api, <T as Typed>::KIND, meta) {
            Err(e) if e.is_reason(Reason::NotFound) => Ok(false),
            Err(e) => Err(e),
            Ok(()) => Ok(true),
        }
    }

    /// `AdoptPod` (`AdoptReplicaSet`, ...): make the controller the object's controller. The
    /// API server refuses the patch if another controller reference got there first.
    fn adopt(&mut self, api: &mut ApiServer, kind: Kind, meta: &ObjectMeta) -> Result<(), Error> {
        let (namespace, name, uid) = identity(meta);
        if let Err(why) = self.can_adopt(api) {
            return Err(Error::CannotAdopt {
                kind: kind.info().name,
                namespace: namespace.into(),
                name: name.into(),
                uid: uid.into(),
                why,
            });
        }
        let patch = owner_ref_controller_patch(self.controller, uid, self.finalizers);
        api.patch(self.user, kind, namespace, name, PatchType::Strategic, &patch)?;
        Ok(())
    }

    /// `ReleasePod` (`ReleaseReplicaSet`, ...): drop the controller's reference from the
    /// object. One that is gone, or no longer has the reference (Invalid), needs no release.
    fn release(&mut self, api: &mut ApiServer, kind: Kind, meta: &ObjectMeta) -> Result<(), Error> {
        let (namespace, name, uid) = identity(meta);
        let owner_uid = self.controller.metadata().uid.as_deref().unwrap_or("");
        let patch = delete_owner_ref_patch(uid, &[owner_uid], self.finalizers);
        match api.patch(self.user, kind, namespace, name, PatchType::Strategic, &patch) {
            Err(e) if matches!(e.reason, Reason::NotFound | Reason::Invalid) => Ok(()),
            Err(e) => Err(e.into()),
            Ok(_) => Ok(()),
        }
    }

    /// `RecheckDeletionTimestamp` over a fresh read of the controller (not its informer's
    /// copy): a controller that is gone, was made again, or is being deleted may not adopt.
    fn can_adopt(&mut self, api: &mut ApiServer) -> Result<(), String> {
        if let Some(answer) = &self.can_adopt {
            return answer.clone();
        }
        let c = self.controller;
        let uid = c.metadata().uid.as_deref().unwrap_or("");
        let answer = match api.get(self.user, c.kind(), c.namespace(), c.name()) {
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

fn identity(m: &ObjectMeta) -> (&str, &str, &str) {
    (m.namespace.as_deref().unwrap_or(""), m.name.as_deref().unwrap_or(""), m.uid.as_deref().unwrap_or(""))
}

/// `ownerRefControllerPatch`: adds the controller reference (and the finalizers); the
/// dependent's uid makes the patch apply only to the object that was read.
fn owner_ref_controller_patch(controller: &Object, uid: &str, finalizers: &[&str]) -> Value {
    let mut patch = json!({"metadata": {"ownerReferences": [new_controller_ref(controller)], "uid": uid}});
    if !finalizers.is_empty() {
        patch["metadata"]["finalizers"] = json!(finalizers);
    }
    patch
}

/// `GenerateDeleteOwnerRefStrategicMergeBytes`: removes the references to `owner_uids` (and
/// the finalizers).
fn delete_owner_ref_patch(uid: &str, owner_uids: &[&str], finalizers: &[&str]) -> Value {
    let refs: Vec<Value> = owner_uids.iter().map(|owner| json!({"$patch": "delete", "uid": owner})).collect();
    let mut patch = json!({"metadata": {"uid": uid, "ownerReferences": refs}});
    if !finalizers.is_empty() {
        patch["metadata"]["$deleteFromPrimitiveList/finalizers"] = json!(finalizers);
    }
    patch
}
