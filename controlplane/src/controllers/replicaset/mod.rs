//! The ReplicaSet controller (`replicaset-controller`) and the ReplicationController manager
//! (`replicationcontroller-controller`): one implementation, as upstream's `NewBaseController`
//! serves both, a ReplicationController being read as a ReplicaSet with a `matchLabels`
//! selector (`view.rs`). `syncReplicaSet`: claim the active pods (adopt matching orphans,
//! release owned pods that stopped matching), create or delete pods toward `spec.replicas`
//! (`manageReplicas`), then write the status (`status.rs`).
//!
//! Upstream's `ControllerExpectations` guard against acting twice on a stale informer; here
//! the informers are fed before every run, so a sync always sees the writes of the last one.

mod status;
mod view;

use std::sync::Arc;

use crate::model::Pod;
use chrono::{DateTime, Utc};

use self::status::{calculate_status, next_availability, update_status};
use self::view::Replicated;
use super::controller_utils::{
    get_pods_to_delete, is_namespace_terminating, is_pod_active, new_controller_ref, slow_start_batch,
    ControllerRefManager, Error, PodControl, PodExtras, SLOW_START_INITIAL_BATCH_SIZE,
};
use super::informers::{controller_of, controller_uid, Informers};
use super::runtime::{controller_user, Action, Controller};
use crate::apiserver::{ApiError, ApiServer, Reason, WatchEvent, WatchEventType};
use crate::events::EventRecorder;
use crate::model::{Kind, Object};
use crate::sim::component::Ctx;

/// `BurstReplicas`: at most this many pods created or deleted in one sync.
pub const BURST_REPLICAS: usize = 500;

/// Syncs ReplicaSets, or ReplicationControllers, with their pods.
pub struct ReplicaSetController {
    kind: Kind,
    name: &'static str,
    user: String,
    control: PodControl,
}

impl ReplicaSetController {
    /// The ReplicaSet controller: client `replicaset-controller`, events from the same.
    pub fn replica_sets() -> Self {
        Self::new(Kind::ReplicaSet, "replicaset-controller", "replicaset-controller", "replicaset-controller")
    }

    /// The ReplicationController manager: client and events `replication-controller`.
    pub fn replication_controllers() -> Self {
        Self::new(
            Kind::ReplicationController,
            "replicationcontroller-controller",
            "replication-controller",
            "replication-controller",
        )
    }

    fn new(kind: Kind, name: &'static str, client: &str, component: &str) -> Self {
        let user = controller_user(client);
        let control = PodControl::new(&user, EventRecorder::new(component, None, &user));
        ReplicaSetController { kind, name, user, control }
    }

    /// `manageReplicas`: create or delete pods so the active ones number `spec.replicas`, at
    /// most `BURST_REPLICAS` at a time. Returns the first failure.
    fn manage_replicas(
        &mut self,
        api: &mut ApiServer,
        informers: &Informers,
        rs: &Replicated<'_>,
        pods: &[&Pod],
        now: DateTime<Utc>,
    ) -> Option<Error> {
        let object = rs.object;
        let namespace = object.namespace();
        let want = usize::try_from(rs.replicas).unwrap_or(0);
        if pods.len() < want {
            let diff = (want - pods.len()).min(BURST_REPLICAS);
            let template = rs.template.cloned().unwrap_or_default();
            let controller_ref = new_controller_ref(object);
            let control = &mut self.control;
            let (_, result) = slow_start_batch(diff, SLOW_START_INITIAL_BATCH_SIZE, || {
                match control.create_pods(api, namespace, &template, object, &controller_ref, PodExtras::default()) {
                    // Every creation would fail the same way; nothing to report.
                    Err(Error::Api(e)) if is_namespace_terminating(&e) => Ok(()),
                    Err(e) => Err(e),
                    Ok(_) => Ok(()),
                }
            });
            return result.err();
        }
        if pods.len() > want {
            let diff = (pods.len() - want).min(BURST_REPLICAS);
            let related = related_pods(informers, object);
            let related: Vec<&Pod> = related.iter().filter_map(|p| as_pod(p)).collect();
            let mut first = None;
            for pod in get_pods_to_delete(pods.to_vec(), &related, diff, now) {
                let name = pod.metadata.name.as_deref().unwrap_or("");
                match self.control.delete_pod(api, namespace, name, object) {
                    Err(Error::Api(e)) if e.reason == Reason::NotFound => {}
                    Err(e) => {
                        first.get_or_insert(e);
                    }
                    Ok(()) => {}
                }
            }
            return first;
        }
        None
    }
}

fn as_pod(obj: &Object) -> Option<&Pod> {
    match obj {
        Object::Pod(p) => Some(p),
        _ => None,
    }
}

/// `getIndirectlyRelatedPods`: the pods of every object with the same controller as
/// `object` (a Deployment's ReplicaSets), which rank pods by how crowded their node is. Read
/// through the controlling-owner index rather than each selector: the same pods, save
/// orphans a sibling's selector happens to match.
fn related_pods<'a>(informers: &'a Informers, object: &Object) -> Vec<&'a Arc<Object>> {
    let Some(owner) = controller_uid(object) else { return Vec::new() };
    let siblings = informers.controlled_by(object.kind(), owner);
    siblings.flat_map(|s| informers.controlled_by(Kind::Pod, s.metadata().uid.as_deref().unwrap_or(""))).collect()
}

impl Controller for ReplicaSetController {
    fn name(&self) -> &'static str {
        self.name
    }

    fn watches(&self) -> &'static [Kind] {
        match self.kind {
            Kind::ReplicationController => &[Kind::ReplicationController, Kind::Pod],
            _ => &[Kind::ReplicaSet, Kind::Pod],
        }
    }

    fn owns(&self) -> &'static [Kind] {
        &[Kind::Pod]
    }

    /// Its own kind by key; an orphan pod that is new or changed labels wakes the controllers
    /// whose selector matches it, which may adopt it (`getPodReplicaSets`). Owned pods wake
    /// their owner through `owns`.
    fn keys_for(&mut self, event: &WatchEvent, old: Option<&Object>, informers: &Informers) -> Vec<String> {
        let pod = &event.object;
        if pod.kind() == self.kind {
            return vec![pod.key()];
        }
        if pod.kind() != Kind::Pod || event.event_type == WatchEventType::Deleted || controller_of(pod).is_some() {
            return Vec::new();
        }
        if old.is_some_and(|o| o.labels() == pod.labels() && controller_of(o).is_none()) {
            return Vec::new();
        }
        informers
            .list_namespace(self.kind, pod.namespace())
            .filter(|rs| {
                Replicated::of(rs).and_then(|v| v.selector).is_some_and(|s| !s.is_empty() && s.matches(pod.labels()))
            })
            .map(|rs| rs.key())
            .collect()
    }

    fn reconcile(&mut self, key: &str, ctx: &mut Ctx<'_>) -> Result<Action, ApiError> {
        let informers = ctx.informers;
        let Some(object) = informers.get(self.kind, key).cloned() else { return Ok(Action::AwaitChange) };
        let Some(rs) = Replicated::of(&object) else { return Ok(Action::AwaitChange) };
        // An invalid selector is logged upstream and the object left alone.
        let Some(selector) = rs.selector.clone() else { return Ok(Action::AwaitChange) };
        let now = ctx.now();
        let uid = object.metadata().uid.clone().unwrap_or_default();
        // The active pods it owns or might adopt; those of other controllers it never claims.
        let mut candidates: Vec<&Arc<Object>> =
            informers.controlled_by(Kind::Pod, &uid).chain(informers.orphans(Kind::Pod, object.namespace())).collect();
        candidates.sort_by(|a, b| a.name().cmp(b.name()));
        let active: Vec<&Pod> = candidates.iter().filter_map(|p| as_pod(p)).filter(|p| is_pod_active(p)).collect();
        let mut refs = ControllerRefManager::new(&object, &selector, &self.user);
        let pods = refs.claim(ctx.api, active, &[]).map_err(ApiError::from)?;

        let manage_error = if object.metadata().deletion_timestamp.is_none() {
            self.manage_replicas(ctx.api, informers, &rs, &pods, now)
        } else {
            None
        };
        let message = manage_error.as_ref().map(ToString::to_string);
        let status = calculate_status(&rs, &pods, message.as_deref(), now);
        update_status(ctx.api, &self.user, &rs, status)?;
        if let Some(e) = manage_error {
            return Err(ApiError::from(e));
        }
        Ok(match next_availability(&rs, &pods, now) {
            Some(after) => Action::RequeueAfter(after),
            None => Action::AwaitChange,
        })
    }
}

#[cfg(test)]
mod tests;
