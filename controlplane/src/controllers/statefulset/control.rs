//! `stateful_set_control.go`: one sync of a StatefulSet's pods. Replicas are processed in
//! ordinal order: OrderedReady (monotonic) stops at the first pod it created or that is not
//! Running, Ready and available; Parallel processes them all in slow-start batches. Pods past
//! the wanted ordinals are condemned and deleted from the highest. Then the RollingUpdate
//! deletes the highest-ordinal pod not at the update revision (down to the partition), one at a
//! time, each only once every pod above it is available again.

use std::borrow::Cow;

use crate::model::Pod;
use chrono::{DateTime, Utc};
use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet, StatefulSetStatus};

use super::pod_control::StatefulPodControl;
use super::utils::{
    in_ordinal_range, is_created, is_running_and_ready, is_terminating, is_unavailable, new_versioned_pod, ordinal,
    pod_name_of, pod_revision, replicas, spec, start_ordinal,
};
use super::StatefulSetController;
use crate::apiserver::{ApiError, Reason};
use crate::controllers::controller_utils::{is_pod_available, pod_phase, slow_start_batch};
use crate::controllers::history::apply_revision;
use crate::events::EventType;
use crate::model::Object;
use crate::sim::component::Ctx;

/// What one sync works on: the set as stored and as each revision makes it.
pub(super) struct Sets<'a> {
    pub obj: &'a Object,
    pub set: &'a StatefulSet,
    pub current_set: StatefulSet,
    pub update_set: StatefulSet,
    pub current: &'a ControllerRevision,
    pub update: &'a ControllerRevision,
    pub now: DateTime<Utc>,
}

impl Sets<'_> {
    fn min_ready_seconds(&self) -> i32 {
        self.set.spec.as_ref().and_then(|s| s.min_ready_seconds).unwrap_or(0)
    }

    fn monotonic(&self) -> bool {
        self.set.spec.as_ref().and_then(|s| s.pod_management_policy.as_deref()) != Some("Parallel")
    }
}

fn revision_name(r: &ControllerRevision) -> &str {
    r.metadata.name.as_deref().unwrap_or("")
}

/// `computeReplicaStatus` over `pods`, added to `status`.
fn add_counts(status: &mut StatefulSetStatus, s: &Sets<'_>, pods: impl IntoIterator<Item = impl AsRef<Pod>>) {
    let count = |v: &mut Option<i32>| *v = Some(v.unwrap_or(0) + 1);
    for pod in pods {
        let pod = pod.as_ref();
        if is_created(pod) {
            status.replicas += 1;
        }
        if is_running_and_ready(pod) {
            count(&mut status.ready_replicas);
            if is_pod_available(pod, s.min_ready_seconds(), s.now) {
                count(&mut status.available_replicas);
            }
        }
        if is_created(pod) && !is_terminating(pod) {
            let revision = pod_revision(pod);
            if revision == revision_name(s.current) {
                count(&mut status.current_replicas);
            }
            if revision == revision_name(s.update) {
                count(&mut status.updated_replicas);
            }
        }
    }
}

/// `updateStatus`: the counts over the pods, from zero.
fn recount<'p>(status: &mut StatefulSetStatus, s: &Sets<'_>, lists: &[&[Cow<'p, Pod>]]) {
    status.replicas = 0;
    for v in [
        &mut status.ready_replicas,
        &mut status.available_replicas,
        &mut status.current_replicas,
        &mut status.updated_replicas,
    ] {
        *v = None;
    }
    for list in lists {
        add_counts(status, s, list.iter());
    }
}

/// A sync's outcome: the status to record (when one could be computed) and the error.
pub(super) type Outcome = (Option<StatefulSetStatus>, Option<ApiError>);

impl StatefulSetController {
    /// `updateStatefulSet`.
    pub(super) fn update_pods<'p>(
        &mut self,
        ctx: &mut Ctx<'_>,
        s: &Sets<'_>,
        pods: &[&'p Pod],
        collision: i32,
    ) -> Outcome {
        let mut status = StatefulSetStatus {
            observed_generation: s.set.metadata.generation,
            current_revision: Some(revision_name(s.current).to_string()),
            update_revision: Some(revision_name(s.update).to_string()),
            collision_count: Some(collision),
            ..Default::default()
        };
        add_counts(&mut status, s, pods.iter().map(|p| Cow::Borrowed(*p)));
        let start = start_ordinal(s.set);
        let count = replicas(s.set).max(0) as usize;
        let mut slots: Vec<Option<Cow<'p, Pod>>> = vec![None; count];
        let mut condemned: Vec<Cow<'p, Pod>> = Vec::new();
        for &pod in pods {
            let Some(ord) = ordinal(pod) else { continue };
            if in_ordinal_range(pod, s.set) {
                slots[(ord - start) as usize] = Some(Cow::Borrowed(pod));
            } else if ord >= 0 {
                condemned.push(Cow::Borrowed(pod));
            }
        }
        let mut replicas: Vec<Cow<'p, Pod>> = slots
            .into_iter()
            .enumerate()
            .map(|(i, slot)| {
                slot.unwrap_or_else(|| {
                    Cow::Owned(new_versioned_pod(
                        s.obj,
                        &s.current_set,
                        &s.update_set,
                        revision_name(s.current),
                        revision_name(s.update),
                        start + i as i32,
                    ))
                })
            })
            .collect();
        condemned.sort_by_key(|p| std::cmp::Reverse(ordinal(p)));
        let min_ready = s.min_ready_seconds();
        // The first unavailable pod: of the replicas in order, else of the condemned from the
        // lowest ordinal.
        let first_unavailable = replicas
            .iter()
            .chain(condemned.iter().rev())
            .find(|p| is_unavailable(p, min_ready, s.now))
            .map(|p| pod_name_of(p).to_string());
        if s.set.metadata.deletion_timestamp.is_some() {
            return (Some(status), None);
        }
        let monotonic = s.monotonic();

        let (exit, err) = run_for_all(replicas.len(), monotonic, |i| self.process_replica(ctx, s, &mut replicas, i));
        if exit || err.is_some() {
            recount(&mut status, s, &[&replicas, &condemned]);
            return (Some(status), err);
        }
        let (exit, err) = run_for_all(condemned.len(), monotonic, |i| {
            let pod = &condemned[i];
            if !self.control.claims_match_retention(ctx, s.obj, &s.update_set, pod) {
                self.control.update_claims_for_retention(ctx, s.obj, &s.update_set, pod)?;
            }
            Ok(false)
        });
        if exit || err.is_some() {
            recount(&mut status, s, &[&replicas, &condemned]);
            return (Some(status), err);
        }
        let (exit, err) = run_for_all(condemned.len(), monotonic, |i| {
            self.process_condemned(ctx, s, first_unavailable.as_deref(), monotonic, &condemned[i])
        });
        recount(&mut status, s, &[&replicas, &condemned]);
        if exit || err.is_some() {
            return (Some(status), err);
        }
        let strategy = spec(s.set).update_strategy.unwrap_or_default();
        if strategy.type_.as_deref() == Some("OnDelete") {
            return (Some(status), None);
        }
        // MaxUnavailableStatefulSet is off in v1.33: one pod at a time, whatever maxUnavailable says.
        let update_min = strategy.rolling_update.and_then(|r| r.partition).unwrap_or(0).max(0) as usize;
        for target in (update_min..replicas.len()).rev() {
            let pod = &replicas[target];
            if pod_revision(pod) != revision_name(s.update) && !is_terminating(pod) {
                let result = self.control.delete_pod(ctx.api, s.obj, pod);
                status.current_replicas = status.current_replicas.map(|c| c - 1).filter(|c| *c != 0);
                return (Some(status), result.err().filter(|e| e.reason != Reason::NotFound));
            }
            if is_unavailable(pod, min_ready, s.now) {
                return (Some(status), None);
            }
        }
        (Some(status), None)
    }

    /// `processReplica`: whether the sync must stop here (in OrderedReady).
    fn process_replica(
        &mut self,
        ctx: &mut Ctx<'_>,
        s: &Sets<'_>,
        replicas: &mut [Cow<'_, Pod>],
        i: usize,
    ) -> Result<bool, ApiError> {
        let pod = &replicas[i];
        let phase = pod_phase(pod);
        if phase == "Failed" || phase == "Succeeded" {
            // The replacement is made once the old pod is gone: one pod per identity.
            if !is_terminating(pod) {
                let (type_, reason, what) = if phase == "Failed" {
                    (EventType::Warning, "RecreatingFailedPod", "failed")
                } else {
                    (EventType::Normal, "RecreatingTerminatedPod", "terminated")
                };
                let message = format!(
                    "StatefulSet {}/{} is recreating {what} Pod {}",
                    s.obj.namespace(),
                    s.obj.name(),
                    pod_name_of(pod)
                );
                self.control.recorder().record(ctx.api, s.obj, None, type_, reason, &message);
                self.control.delete_pod(ctx.api, s.obj, pod)?;
            }
            return Ok(true);
        }
        if !is_created(pod) {
            if StatefulPodControl::pod_claim_is_stale(ctx, s.obj, s.set, pod) {
                return Ok(true);
            }
            self.control.create_pod(ctx, s.obj, s.set, pod)?;
            return Ok(s.monotonic());
        }
        if phase == "Pending" {
            self.control.create_missing_claims(ctx, s.obj, s.set, pod)?;
        }
        let monotonic = s.monotonic();
        if monotonic && (is_terminating(pod) || !is_running_and_ready(pod)) {
            return Ok(true);
        }
        if monotonic && !is_pod_available(pod, s.min_ready_seconds(), s.now) {
            return Ok(true);
        }
        let retention_ok = self.control.claims_match_retention(ctx, s.obj, &s.update_set, pod);
        if super::utils::identity_matches(s.set, pod) && super::utils::storage_matches(s.set, pod) && retention_ok {
            return Ok(false);
        }
        let replica = replicas[i].clone().into_owned();
        self.control.update_pod(ctx, s.obj, &s.update_set, replica)?;
        Ok(false)
    }

    /// `processCondemned`: delete a pod past the wanted ordinals; in OrderedReady only once it
    /// is the first unavailable pod or every pod is available, and one termination at a time.
    fn process_condemned(
        &mut self,
        ctx: &mut Ctx<'_>,
        s: &Sets<'_>,
        first_unavailable: Option<&str>,
        monotonic: bool,
        pod: &Pod,
    ) -> Result<bool, ApiError> {
        if is_terminating(pod) {
            return Ok(monotonic);
        }
        let first = first_unavailable == Some(pod_name_of(pod));
        if monotonic && !first && !is_running_and_ready(pod) {
            return Ok(true);
        }
        if monotonic && !first && !is_pod_available(pod, s.min_ready_seconds(), s.now) {
            return Ok(true);
        }
        self.control.delete_pod(ctx.api, s.obj, pod)?;
        Ok(true)
    }
}

/// `runForAll`: in order, stopping at the first that asks to (OrderedReady), or all of them in
/// slow-start batches (Parallel). Whether to stop, and the error.
fn run_for_all(
    count: usize,
    monotonic: bool,
    mut f: impl FnMut(usize) -> Result<bool, ApiError>,
) -> (bool, Option<ApiError>) {
    if monotonic {
        for i in 0..count {
            match f(i) {
                Ok(false) => {}
                Ok(true) => return (true, None),
                Err(e) => return (true, Some(e)),
            }
        }
        return (false, None);
    }
    let mut next = 0;
    let (_, result) = slow_start_batch(count, 1, || {
        let i = next;
        next += 1;
        f(i).map(|_| ())
    });
    match result {
        Ok(()) => (false, None),
        Err(e) => (true, Some(e)),
    }
}

/// `ApplyRevision` of both revisions: the set at its current and at its update revision.
pub(super) fn apply_both(
    obj: &Object,
    current: &ControllerRevision,
    update: &ControllerRevision,
) -> Option<(StatefulSet, StatefulSet)> {
    Some((apply_revision(obj, current)?, apply_revision(obj, update)?))
}
