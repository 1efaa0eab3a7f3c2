//! The StatefulSet controller (`statefulset-controller`, `stateful_set.go`): pods with stable
//! identities `<set>-<ordinal>`, each with its own claims, made and removed in order
//! (`control.rs`), written with upstream's events (`pod_control.rs`); the set's templates kept
//! as ControllerRevisions (the current and the update revision, here), and its status.

mod control;
mod pod_control;
pub mod utils;

use crate::model::Pod;
use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet, StatefulSetStatus};

use control::{apply_both, Sets};
use pod_control::StatefulPodControl;
use utils::{is_member_of, new_revision, pod_revision, replicas};

use super::controller_utils::{next_availability, ControllerRefManager};
use super::history::{create_revision, equal_revision, sort_by_revision};
use super::informers::Informers;
use super::runtime::{controller_user, Action, Controller};
use crate::apiserver::{ApiError, DeleteOptions, Reason, WatchEvent};
use crate::events::EventRecorder;
use crate::model::selector::LabelSelector;
use crate::model::{Kind, Object, Typed};
use crate::sim::component::Ctx;

pub const NAME: &str = "statefulset-controller";

pub struct StatefulSetController {
    user: String,
    control: StatefulPodControl,
}

impl Default for StatefulSetController {
    fn default() -> Self {
        let user = controller_user("statefulset-controller");
        let recorder = EventRecorder::new(NAME, None, &user);
        StatefulSetController { control: StatefulPodControl::new(&user, recorder), user }
    }
}

fn selector(set: &StatefulSet) -> Option<LabelSelector> {
    set.spec.as_ref().and_then(|s| LabelSelector::from_k8s(&s.selector).ok())
}

impl Controller for StatefulSetController {
    fn name(&self) -> &'static str {
        NAME
    }

    /// Claims are read from their informer, as upstream's claim lister.
    fn watches(&self) -> &'static [Kind] {
        &[Kind::StatefulSet, Kind::Pod, Kind::ControllerRevision, Kind::PersistentVolumeClaim]
    }

    fn owns(&self) -> &'static [Kind] {
        &[Kind::Pod]
    }

    /// An orphan pod concerns the sets whose selector matches it (`getPodStatefulSets`).
    fn keys_for(&mut self, event: &WatchEvent, _old: Option<&Object>, informers: &Informers) -> Vec<String> {
        let o = &event.object;
        match &**o {
            Object::StatefulSet(_) => vec![o.key()],
            Object::Pod(_) if super::informers::controller_of(o).is_none() => informers
                .list_namespace(Kind::StatefulSet, o.namespace())
                .filter(|s| StatefulSet::from_object(s).and_then(selector).is_some_and(|sel| sel.matches(o.labels())))
                .map(|s| s.key())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// `sync`: adopt orphan revisions and claim the set's pods, then `UpdateStatefulSet`.
    fn reconcile(&mut self, key: &str, ctx: &mut Ctx<'_>) -> Result<Action, ApiError> {
        let informers = ctx.informers;
        let Some(obj) = informers.get(Kind::StatefulSet, key) else { return Ok(Action::AwaitChange) };
        let Some(set) = StatefulSet::from_object(obj) else { return Ok(Action::AwaitChange) };
        // A selector that does not parse is not retried.
        let Some(sel) = selector(set) else { return Ok(Action::AwaitChange) };
        let mut manager = ControllerRefManager::new(obj, &sel, &self.user);
        let revisions = informers
            .list_namespace(Kind::ControllerRevision, obj.namespace())
            .filter_map(|o| ControllerRevision::from_object(o));
        let revisions: Vec<ControllerRevision> =
            manager.claim(ctx.api, revisions, &[]).map_err(ApiError::from)?.into_iter().cloned().collect();
        let candidates = informers.list_namespace(Kind::Pod, obj.namespace()).filter_map(|p| Pod::from_object(p));
        let member = |p: &Pod| is_member_of(set, p);
        let pods = manager.claim(ctx.api, candidates, &[&member]).map_err(ApiError::from)?;
        let status = self.update_stateful_set(ctx, obj, set, &pods, revisions)?;
        // Upstream requeues after minReadySeconds while some replica is not yet available.
        let min_ready = set.spec.as_ref().and_then(|s| s.min_ready_seconds).unwrap_or(0);
        let available = status.and_then(|s| s.available_replicas).unwrap_or(0);
        if available == replicas(set) {
            return Ok(Action::AwaitChange);
        }
        Ok(next_availability(pods.iter().copied(), min_ready, ctx.now())
            .map_or(Action::AwaitChange, Action::RequeueAfter))
    }
}

impl StatefulSetController {
    /// `UpdateStatefulSet`: the revisions, the pods, the status, then the history trimmed
    /// (even after an error).
    fn update_stateful_set(
        &mut self,
        ctx: &mut Ctx<'_>,
        obj: &Object,
        set: &StatefulSet,
        pods: &[&Pod],
        revisions: Vec<ControllerRevision>,
    ) -> Result<Option<StatefulSetStatus>, ApiError> {
        let mut sorted: Vec<&ControllerRevision> = revisions.iter().collect();
        sort_by_revision(&mut sorted);
        let revisions: Vec<ControllerRevision> = sorted.into_iter().cloned().collect();
        let (current, update, result) = match self.revisions(ctx, obj, set, &revisions) {
            Ok((current, update, collision)) => {
                let result = self.perform_update(ctx, obj, set, pods, &current, &update, collision);
                (Some(current), Some(update), result)
            }
            Err(e) => (None, None, Err(e)),
        };
        let truncated = self.truncate_history(ctx, obj, set, pods, &revisions, current.as_ref(), update.as_ref());
        let status = result?;
        truncated.map(|()| status)
    }

    /// `performUpdate`: the pods, then the status written (even when the pods' sync failed).
    #[allow(clippy::too_many_arguments)]
    fn perform_update(
        &mut self,
        ctx: &mut Ctx<'_>,
        obj: &Object,
        set: &StatefulSet,
        pods: &[&Pod],
        current: &ControllerRevision,
        update: &ControllerRevision,
        collision: i32,
    ) -> Result<Option<StatefulSetStatus>, ApiError> {
        let Some((current_set, update_set)) = apply_both(obj, current, update) else {
            return Err(ApiError::new(Reason::InternalError, "unable to apply the StatefulSet's revisions"));
        };
        let s = Sets { obj, set, current_set, update_set, current, update, now: ctx.now() };
        let (status, err) = self.update_pods(ctx, &s, pods, collision);
        let Some(status) = status else { return Err(err.unwrap_or_else(|| ApiError::new(Reason::InternalError, ""))) };
        let written = self.update_status(ctx, set, status.clone());
        match (err, written) {
            (Some(e), _) | (None, Err(e)) => Err(e),
            (None, Ok(())) => Ok(Some(status)),
        }
    }

    /// `getStatefulSetRevisions`: the update revision is the one holding the set's template
    /// (the latest, or an earlier one renumbered as the latest on a rollback, or a new one); the
    /// current revision is the status's, or the update revision when there is none.
    fn revisions(
        &mut self,
        ctx: &mut Ctx<'_>,
        obj: &Object,
        set: &StatefulSet,
        revisions: &[ControllerRevision],
    ) -> Result<(ControllerRevision, ControllerRevision, i32), ApiError> {
        let mut collision = set.status.as_ref().and_then(|s| s.collision_count).unwrap_or(0);
        let next = revisions.last().map_or(1, |r| r.revision + 1);
        let candidate = new_revision(obj, set, next);
        let equal: Vec<&ControllerRevision> = revisions.iter().filter(|r| equal_revision(r, &candidate)).collect();
        let update = match (equal.last(), revisions.last()) {
            (Some(eq), Some(last)) if equal_revision(last, eq) => last.clone(),
            (Some(eq), _) => {
                let mut renumbered = (*eq).clone();
                renumbered.revision = candidate.revision;
                let updated = ctx.api.update(&self.user, renumbered.clone().into_object())?;
                ControllerRevision::from_object(&updated).cloned().unwrap_or(renumbered)
            }
            (None, _) => {
                let mut candidate = candidate;
                let hash = crate::controllers::controller_utils::compute_hash(
                    &candidate.data.as_ref().map(|d| d.0.clone()).unwrap_or_default(),
                    Some(collision),
                );
                let labels = candidate.metadata.labels.get_or_insert_with(Default::default);
                labels.insert(super::history::REVISION_HASH_LABEL.into(), hash);
                create_revision(ctx.api, &self.user, obj, &candidate, &mut collision)?
            }
        };
        let current_name = set.status.as_ref().and_then(|s| s.current_revision.as_deref());
        let current = revisions.iter().find(|r| r.metadata.name.as_deref() == current_name).cloned();
        Ok((current.unwrap_or_else(|| update.clone()), update, collision))
    }

    /// `truncateHistory`: delete the oldest revisions that are neither current, nor the update
    /// revision, nor any pod's, beyond `revisionHistoryLimit`.
    #[allow(clippy::too_many_arguments)]
    fn truncate_history(
        &mut self,
        ctx: &mut Ctx<'_>,
        obj: &Object,
        set: &StatefulSet,
        pods: &[&Pod],
        revisions: &[ControllerRevision],
        current: Option<&ControllerRevision>,
        update: Option<&ControllerRevision>,
    ) -> Result<(), ApiError> {
        let live = |r: &ControllerRevision| {
            let name = r.metadata.name.as_deref();
            [current, update].iter().flatten().any(|l| l.metadata.name.as_deref() == name)
                || pods.iter().any(|p| Some(pod_revision(p)) == name)
        };
        let history: Vec<&ControllerRevision> = revisions.iter().filter(|r| !live(r)).collect();
        let limit = set.spec.as_ref().and_then(|s| s.revision_history_limit).unwrap_or(10);
        if limit < 0 || history.len() <= limit as usize {
            return Ok(());
        }
        for r in &history[..history.len() - limit as usize] {
            let name = r.metadata.name.as_deref().unwrap_or("");
            ctx.api.delete(&self.user, Kind::ControllerRevision, obj.namespace(), name, DeleteOptions::default())?;
        }
        Ok(())
    }

    /// `updateStatefulSetStatus`: a finished rolling update makes the update revision current;
    /// the status is written only when it differs (`inconsistentStatus`).
    fn update_status(
        &mut self,
        ctx: &mut Ctx<'_>,
        set: &StatefulSet,
        mut status: StatefulSetStatus,
    ) -> Result<(), ApiError> {
        let strategy = set.spec.as_ref().and_then(|s| s.update_strategy.as_ref()).and_then(|u| u.type_.as_deref());
        let n = |v: Option<i32>| v.unwrap_or(0);
        if strategy == Some("RollingUpdate")
            && n(status.updated_replicas) == status.replicas
            && n(status.ready_replicas) == status.replicas
        {
            status.current_replicas = status.updated_replicas;
            status.current_revision = status.update_revision.clone();
        }
        // Go's omitempty, except availableReplicas, which is always written.
        status.available_replicas = Some(n(status.available_replicas));
        let old = set.status.clone().unwrap_or_default();
        let inconsistent = status.observed_generation.unwrap_or(0) > old.observed_generation.unwrap_or(0)
            || status.replicas != old.replicas
            || n(status.current_replicas) != n(old.current_replicas)
            || n(status.ready_replicas) != n(old.ready_replicas)
            || n(status.updated_replicas) != n(old.updated_replicas)
            || status.current_revision != old.current_revision
            || n(status.available_replicas) != n(old.available_replicas)
            || status.update_revision != old.update_revision;
        if !inconsistent {
            return Ok(());
        }
        let mut updated = set.clone();
        status.conditions = old.conditions;
        updated.status = Some(status);
        ctx.api.update_status(&self.user, updated.into_object())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
