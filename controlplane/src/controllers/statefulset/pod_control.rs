//! `stateful_pod_control.go`: the StatefulSet controller's writes of pods and claims, each
//! with upstream's event on the set (`create Pod web-0 in StatefulSet web successful`,
//! `create Claim www-web-0 Pod web-0 in StatefulSet web success`), and the owner references
//! of the claims that the PVC retention policy asks for.

use crate::model::Pod;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::PersistentVolumeClaim;

use super::utils::{
    claims_for, is_claim_owner_up_to_date, ordinal, pod_name_of, retention, update_claim_owner_refs, Owner,
};
use crate::apiserver::{ApiError, ApiServer, DeleteOptions, Reason};
use crate::events::{EventRecorder, EventType};
use crate::model::{Kind, Object, Typed};
use crate::sim::component::Ctx;

pub struct StatefulPodControl {
    user: String,
    recorder: EventRecorder,
}

/// `strings.Title` of a lower-case verb.
fn title(verb: &str) -> String {
    let mut c = verb.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

fn owners<'a>(obj: &'a Object, pod: &'a Pod) -> (Owner<'a>, Owner<'a>) {
    let set = Owner {
        api_version: "apps/v1",
        kind: "StatefulSet",
        name: obj.name(),
        uid: obj.metadata().uid.as_deref().unwrap_or(""),
    };
    let pod = Owner {
        api_version: "v1",
        kind: "Pod",
        name: pod_name_of(pod),
        uid: pod.metadata.uid.as_deref().unwrap_or(""),
    };
    (set, pod)
}

impl StatefulPodControl {
    pub fn new(user: &str, recorder: EventRecorder) -> Self {
        StatefulPodControl { user: user.into(), recorder }
    }

    pub fn recorder(&mut self) -> &mut EventRecorder {
        &mut self.recorder
    }

    /// `recordPodEvent`.
    fn pod_event(&mut self, api: &mut ApiServer, obj: &Object, verb: &str, pod: &str, err: Option<&ApiError>) {
        let set = obj.name();
        match err {
            None => {
                let message = format!("{verb} Pod {pod} in StatefulSet {set} successful");
                self.recorder.record(
                    api,
                    obj,
                    None,
                    EventType::Normal,
                    &format!("Successful{}", title(verb)),
                    &message,
                );
            }
            Some(e) => {
                let message = format!("{verb} Pod {pod} in StatefulSet {set} failed error: {}", e.message);
                self.recorder.record(api, obj, None, EventType::Warning, &format!("Failed{}", title(verb)), &message);
            }
        }
    }

    /// `recordClaimEvent`.
    fn claim_event(&mut self, api: &mut ApiServer, obj: &Object, claim: &str, pod: &str, err: Option<&ApiError>) {
        let set = obj.name();
        match err {
            None => {
                let message = format!("create Claim {claim} Pod {pod} in StatefulSet {set} success");
                self.recorder.record(api, obj, None, EventType::Normal, "SuccessfulCreate", &message);
            }
            Some(e) => {
                let message =
                    format!("create Claim {claim} for Pod {pod} in StatefulSet {set} failed error: {}", e.message);
                self.recorder.record(api, obj, None, EventType::Warning, "FailedCreate", &message);
            }
        }
    }

    /// The claims the pod's ordinal should have, each with the one that exists in the
    /// informer's cache (upstream's claim lister); none for a pod without an ordinal.
    fn claims(
        ctx: &Ctx<'_>,
        set: &StatefulSet,
        pod: &Pod,
    ) -> Vec<(PersistentVolumeClaim, Option<PersistentVolumeClaim>)> {
        let Some(ord) = ordinal(pod) else { return Vec::new() };
        let ns = set.metadata.namespace.as_deref().unwrap_or("");
        claims_for(set, ord)
            .into_iter()
            .map(|(_, claim)| {
                let key = format!("{ns}/{}", claim.metadata.name.as_deref().unwrap_or(""));
                let found = ctx.informers.get(Kind::PersistentVolumeClaim, &key);
                let found = found.and_then(|c| PersistentVolumeClaim::from_object(c)).cloned();
                (claim, found)
            })
            .collect()
    }

    /// `createPersistentVolumeClaims`: each claim of the pod's ordinal that does not exist yet;
    /// a claim being deleted is an error (the pod must wait for it to go).
    pub fn create_claims(
        &mut self,
        ctx: &mut Ctx<'_>,
        obj: &Object,
        set: &StatefulSet,
        pod: &Pod,
    ) -> Result<(), ApiError> {
        let mut errors = Vec::new();
        for (claim, found) in Self::claims(ctx, set, pod) {
            let name = claim.metadata.name.clone().unwrap_or_default();
            match found {
                None => match ctx.api.create(&self.user, obj.namespace(), claim.into_object()) {
                    Ok(_) => self.claim_event(ctx.api, obj, &name, pod_name_of(pod), None),
                    Err(e) => {
                        if e.reason != Reason::AlreadyExists {
                            self.claim_event(ctx.api, obj, &name, pod_name_of(pod), Some(&e));
                        }
                        errors.push(format!("failed to create PVC {name}: {}", e.message));
                    }
                },
                Some(existing) => {
                    if existing.metadata.deletion_timestamp.is_some() {
                        errors.push(format!("pvc {name} is being deleted"));
                    }
                }
            }
        }
        aggregate(errors)
    }

    /// `CreateStatefulPod`: the claims first, then the pod; then the claims' references as the
    /// retention policy wants them. A pod that already exists is an error without an event.
    pub fn create_pod(
        &mut self,
        ctx: &mut Ctx<'_>,
        obj: &Object,
        set: &StatefulSet,
        pod: &Pod,
    ) -> Result<(), ApiError> {
        if let Err(e) = self.create_claims(ctx, obj, set, pod) {
            self.pod_event(ctx.api, obj, "create", pod_name_of(pod), Some(&e));
            return Err(e);
        }
        let result = ctx.api.create(&self.user, obj.namespace(), pod.clone().into_object());
        match result {
            Err(e) if e.reason == Reason::AlreadyExists => Err(e),
            Err(e) => {
                self.pod_event(ctx.api, obj, "create", pod_name_of(pod), Some(&e));
                Err(e)
            }
            Ok(created) => {
                let created = Pod::from_object(&created).cloned().unwrap_or_else(|| pod.clone());
                if let Err(e) = self.update_claims_for_retention(ctx, obj, set, &created) {
                    self.pod_event(ctx.api, obj, "update", pod_name_of(pod), Some(&e));
                    return Err(e);
                }
                self.pod_event(ctx.api, obj, "create", pod_name_of(pod), None);
                Ok(())
            }
        }
    }

    /// `DeleteStatefulPod`.
    pub fn delete_pod(&mut self, api: &mut ApiServer, obj: &Object, pod: &Pod) -> Result<(), ApiError> {
        let result = api.delete(&self.user, Kind::Pod, obj.namespace(), pod_name_of(pod), DeleteOptions::default());
        self.pod_event(api, obj, "delete", pod_name_of(pod), result.as_ref().err());
        result.map(|_| ())
    }

    /// `createMissingPersistentVolumeClaims`: the claims of a pending pod, in case one was
    /// deleted while the pod waited.
    pub fn create_missing_claims(
        &mut self,
        ctx: &mut Ctx<'_>,
        obj: &Object,
        set: &StatefulSet,
        pod: &Pod,
    ) -> Result<(), ApiError> {
        self.create_claims(ctx, obj, set, pod)?;
        if let Err(e) = self.update_claims_for_retention(ctx, obj, set, pod) {
            self.pod_event(ctx.api, obj, "update", pod_name_of(pod), Some(&e));
            return Err(e);
        }
        Ok(())
    }

    /// `UpdateStatefulPod`: write the pod back with its identity and storage restored and its
    /// claims' references made to follow the retention policy.
    pub fn update_pod(&mut self, ctx: &mut Ctx<'_>, obj: &Object, set: &StatefulSet, pod: Pod) -> Result<(), ApiError> {
        let mut pod = pod;
        let mut consistent = true;
        if !super::utils::identity_matches(set, &pod) {
            super::utils::update_identity(set, &mut pod);
            consistent = false;
        }
        if !super::utils::storage_matches(set, &pod) {
            super::utils::update_storage(set, &mut pod);
            consistent = false;
            if let Err(e) = self.create_claims(ctx, obj, set, &pod) {
                self.pod_event(ctx.api, obj, "update", pod_name_of(&pod), Some(&e));
                return Err(e);
            }
        }
        if !self.claims_match_retention(ctx, obj, set, &pod) {
            if let Err(e) = self.update_claims_for_retention(ctx, obj, set, &pod) {
                self.pod_event(ctx.api, obj, "update", pod_name_of(&pod), Some(&e));
                return Err(e);
            }
            consistent = false;
        }
        if consistent {
            return Ok(());
        }
        let result = ctx.api.update(&self.user, pod.clone().into_object());
        self.pod_event(ctx.api, obj, "update", pod_name_of(&pod), result.as_ref().err());
        result.map(|_| ())
    }

    /// `ClaimsMatchRetentionPolicy`: a missing claim is picked up on a later sync.
    pub fn claims_match_retention(&self, ctx: &Ctx<'_>, obj: &Object, set: &StatefulSet, pod: &Pod) -> bool {
        let (set_owner, pod_owner) = owners(obj, pod);
        Self::claims(ctx, set, pod)
            .into_iter()
            .all(|(_, found)| found.is_none_or(|c| is_claim_owner_up_to_date(&c, set, &set_owner, pod, &pod_owner)))
    }

    /// `UpdatePodClaimForRetentionPolicy`.
    pub fn update_claims_for_retention(
        &mut self,
        ctx: &mut Ctx<'_>,
        obj: &Object,
        set: &StatefulSet,
        pod: &Pod,
    ) -> Result<(), ApiError> {
        let (set_owner, pod_owner) = owners(obj, pod);
        for (claim, found) in Self::claims(ctx, set, pod) {
            let name = claim.metadata.name.clone().unwrap_or_default();
            let Some(mut claim) = found else { continue };
            if is_claim_owner_up_to_date(&claim, set, &set_owner, pod, &pod_owner) {
                continue;
            }
            update_claim_owner_refs(&mut claim, set, &set_owner, pod, &pod_owner);
            ctx.api.update(&self.user, claim.into_object()).map_err(|e| {
                let message = format!("could not update claim {name} for delete policy ownerRefs: {}", e.message);
                ApiError::new(e.reason, message)
            })?;
        }
        Ok(())
    }

    /// `PodClaimIsStale`: with whenScaled Delete, a claim still referring to an earlier pod of
    /// the same name is about to be deleted, so the pod must wait.
    pub fn pod_claim_is_stale(ctx: &Ctx<'_>, obj: &Object, set: &StatefulSet, pod: &Pod) -> bool {
        if !retention(set).1 {
            return false;
        }
        let (_, pod_owner) = owners(obj, pod);
        let claims = Self::claims(ctx, set, pod);
        claims.iter().any(|(_, found)| found.as_ref().is_some_and(|c| super::utils::has_stale_owner_ref(c, &pod_owner)))
    }
}

/// `utilerrors.NewAggregate` of messages: None, one as is, several as `[a, b]`.
fn aggregate(errors: Vec<String>) -> Result<(), ApiError> {
    match crate::model::validation::aggregate(errors) {
        None => Ok(()),
        Some(message) => Err(ApiError::new(Reason::InternalError, message)),
    }
}
