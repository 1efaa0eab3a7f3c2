//! The Deployment controller (`deployment-controller`, upstream's `pkg/controller/deployment`):
//! a Deployment owns ReplicaSets, one per pod template (`<name>-<pod-template-hash>`), and
//! moves replicas from the old ones to the new one by its strategy: RollingUpdate within
//! maxSurge and maxUnavailable (`rolling.rs`) or Recreate, old pods gone before new ones start
//! (`recreate.rs`). Scaling mid-rollout spreads the change over the ReplicaSets in proportion
//! (`sync.rs`); status and the Available and Progressing conditions, with the progress deadline
//! on the simulated clock, are in `progress.rs`; annotations, fenceposts and orders in
//! `util.rs`. It only reads and writes ReplicaSets: the ReplicaSet controller makes the pods.

mod progress;
mod recreate;
mod rolling;
mod sync;
pub mod util;

use std::sync::Arc;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};

use super::controller_utils::ControllerRefManager;
use super::informers::{controller_of, Informers};
use super::runtime::{controller_user, Action, Controller};
use crate::apiserver::{ApiError, Reason, WatchEvent, WatchEventType};
use crate::events::{EventRecorder, EventType};
use crate::model::selector::LabelSelector;
use crate::model::{Kind, Object};
use crate::sim::component::Ctx;

pub const NAME: &str = "deployment-controller";

pub struct DeploymentController {
    recorder: EventRecorder,
    user: String,
}

impl Default for DeploymentController {
    fn default() -> Self {
        let user = controller_user(NAME);
        DeploymentController { recorder: EventRecorder::new(NAME, None, &user), user }
    }
}

/// One sync of one Deployment: the controller's writer and the Deployment as the sync changes
/// it (its status and revision annotation), as upstream passes `d` along.
pub(crate) struct Syncer<'c, 'a> {
    pub ctx: &'c mut Ctx<'a>,
    pub recorder: &'c mut EventRecorder,
    pub user: &'c str,
    /// The Deployment as read, for events.
    pub object: Arc<Object>,
    pub d: Deployment,
}

fn selector_of(d: &Deployment) -> LabelSelector {
    match d.spec.as_ref().map(|s| &s.selector) {
        Some(s) => LabelSelector::from_k8s(s).unwrap_or_else(|_| LabelSelector::nothing()),
        None => LabelSelector::nothing(),
    }
}

fn as_rs(o: &Object) -> Option<&ReplicaSet> {
    match o {
        Object::ReplicaSet(rs) => Some(rs),
        _ => None,
    }
}

/// The Deployments in the ReplicaSet's namespace whose selector matches it
/// (`getDeploymentsForReplicaSet`), for an orphan that one of them may adopt.
fn deployments_for_rs(rs: &Object, informers: &Informers) -> Vec<String> {
    informers
        .list_namespace(Kind::Deployment, rs.namespace())
        .filter(|d| match &***d {
            Object::Deployment(d) => {
                let sel = selector_of(d);
                !sel.is_empty() && sel.matches(rs.labels())
            }
            _ => false,
        })
        .map(|d| d.key())
        .collect()
}

impl Controller for DeploymentController {
    fn name(&self) -> &'static str {
        NAME
    }

    fn watches(&self) -> &'static [Kind] {
        &[Kind::Deployment, Kind::ReplicaSet, Kind::Pod]
    }

    fn owns(&self) -> &'static [Kind] {
        &[Kind::ReplicaSet]
    }

    fn keys_for(&mut self, event: &WatchEvent, _old: Option<&Object>, informers: &Informers) -> Vec<String> {
        let o = &event.object;
        match o.kind() {
            Kind::Deployment => vec![o.key()],
            // An orphan may be adopted (`addReplicaSet`, `updateReplicaSet`); owned ones come
            // through the owner trigger.
            Kind::ReplicaSet if controller_of(o).is_none() && event.event_type != WatchEventType::Deleted => {
                deployments_for_rs(o, informers)
            }
            // `deletePod`: a Recreate Deployment waits for its old pods to go.
            Kind::Pod if event.event_type == WatchEventType::Deleted => {
                let Some(rs_ref) = controller_of(o).filter(|r| r.kind == "ReplicaSet") else { return Vec::new() };
                let Some(rs) = informers.get(Kind::ReplicaSet, &format!("{}/{}", o.namespace(), rs_ref.name)) else {
                    return Vec::new();
                };
                let Some(d_ref) = controller_of(rs).filter(|r| r.kind == "Deployment") else { return Vec::new() };
                let key = format!("{}/{}", o.namespace(), d_ref.name);
                match informers.get(Kind::Deployment, &key).map(|d| &**d) {
                    Some(Object::Deployment(d)) if !util::is_rolling_update(d) => vec![key],
                    _ => Vec::new(),
                }
            }
            _ => Vec::new(),
        }
    }

    /// `syncDeployment`.
    fn reconcile(&mut self, key: &str, ctx: &mut Ctx<'_>) -> Result<Action, ApiError> {
        let Some(object) = ctx.informers.get(Kind::Deployment, key).cloned() else { return Ok(Action::AwaitChange) };
        let Object::Deployment(d) = &*object else { return Ok(Action::AwaitChange) };
        let d = (**d).clone();
        let mut s = Syncer { ctx, recorder: &mut self.recorder, user: &self.user, object: object.clone(), d };
        s.sync_deployment()
    }
}

impl Syncer<'_, '_> {
    fn sync_deployment(&mut self) -> Result<Action, ApiError> {
        let selector = self.d.spec.as_ref().map(|s| s.selector.clone()).unwrap_or_default();
        if selector == Default::default() {
            self.event(
                EventType::Warning,
                "SelectingAll",
                "This deployment is selecting all pods. A non-empty selector is required.",
            );
            let status = self.d.status.get_or_insert_with(Default::default);
            if status.observed_generation.unwrap_or(0) < self.d.metadata.generation.unwrap_or(0) {
                status.observed_generation = self.d.metadata.generation;
                self.update_status()?;
            }
            return Ok(Action::AwaitChange);
        }
        let rs_list = self.replica_sets_for_deployment()?;
        if self.d.metadata.deletion_timestamp.is_some() {
            self.sync_status_only(&rs_list)?;
            return Ok(Action::AwaitChange);
        }
        self.check_paused_conditions()?;
        let paused = self.d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false);
        if paused || self.is_scaling_event(&rs_list)? {
            self.sync(&rs_list)?;
            return Ok(Action::AwaitChange);
        }
        if util::is_rolling_update(&self.d) {
            self.rollout_rolling(&rs_list)
        } else {
            self.rollout_recreate(&rs_list)
        }
    }

    /// `getReplicaSetsForDeployment`: the namespace's ReplicaSets this Deployment claims. Read
    /// through the controlling-owner index: those it controls and the orphans, in name order,
    /// since a claim passes over those of other controllers without a word.
    fn replica_sets_for_deployment(&mut self) -> Result<Vec<ReplicaSet>, ApiError> {
        let selector = selector_of(&self.d);
        let informers = self.ctx.informers;
        let namespace = self.object.namespace();
        let uid = self.object.metadata().uid.as_deref().unwrap_or("");
        let owned = informers.controlled_by(Kind::ReplicaSet, uid).filter(|_| !uid.is_empty());
        let mut candidates: Vec<&Arc<Object>> = owned
            .chain(informers.orphans(Kind::ReplicaSet, namespace))
            .filter(|o| o.namespace() == namespace)
            .collect();
        candidates.sort_by(|a, b| a.name().cmp(b.name()));
        let candidates: Vec<&ReplicaSet> = candidates.into_iter().filter_map(|o| as_rs(o)).collect();
        let mut manager = ControllerRefManager::new(&self.object, &selector, self.user);
        let claimed = manager.claim(self.ctx.api, candidates, &[]).map_err(ApiError::from)?;
        Ok(claimed.into_iter().cloned().collect())
    }

    /// An event about the Deployment.
    pub fn event(&mut self, type_: EventType, reason: &str, message: &str) {
        self.recorder.record(self.ctx.api, &self.object, None, type_, reason, message);
    }

    /// `UpdateStatus` of the Deployment as the sync has changed it (status and annotations).
    pub fn update_status(&mut self) -> Result<(), ApiError> {
        let updated = self.ctx.api.update_status(self.user, Object::Deployment(Box::new(self.d.clone())))?;
        // Later writes of this sync go on from what was stored.
        self.d.metadata.resource_version = updated.metadata().resource_version.clone();
        Ok(())
    }

    /// `Update` of a ReplicaSet; the stored version back.
    pub fn update_rs(&mut self, rs: ReplicaSet) -> Result<ReplicaSet, ApiError> {
        let updated = self.ctx.api.update(self.user, Object::ReplicaSet(Box::new(rs)))?;
        as_rs(&updated).cloned().ok_or_else(|| ApiError::new(Reason::InternalError, "not a ReplicaSet"))
    }
}

#[cfg(test)]
mod tests;
