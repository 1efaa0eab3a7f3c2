//! `manageJob`: create pods up to what the Job wants active, after the failed-pod back-off,
//! or delete the surplus (and every active pod of a suspended Job); and the deletion of the
//! active pods of a Job that has finished.

use std::collections::BTreeMap;

use crate::model::Pod;
use chrono::Duration;

use super::indexed::{self, absolute_failure_count, completion_index, valid_index};
use super::pod_backoff::remaining;
use super::util::{
    finished_time, is_indexed, is_pod_failed, is_suspended, name, only_replace_failed_pods, TRACKING_FINALIZER,
};
use super::{JobController, JobCtx, MAX_POD_CREATE_DELETE_PER_SYNC, SYNC_JOB_BATCH_PERIOD};
use crate::apiserver::{ApiError, Reason};
use crate::controllers::controller_utils::{
    is_namespace_terminating, is_pod_ready, new_controller_ref, ActivePods, Error, PodExtras,
    SLOW_START_INITIAL_BATCH_SIZE,
};
use crate::sim::component::Ctx;

impl JobController {
    /// `manageJob`: the number of active pods after this sync, and the first failure.
    pub(super) fn manage_job(&mut self, ctx: &mut Ctx<'_>, jc: &mut JobCtx<'_>) -> (i32, Option<ApiError>) {
        let mut active = jc.active.len() as i32;
        let spec = jc.shared.spec.as_ref();
        let parallelism = spec.and_then(|s| s.parallelism).unwrap_or(1);
        if is_suspended(jc.shared) {
            let to_delete = active_pods_for_removal(jc, active as usize);
            let (ready, removed, err) = self.delete_job_pods(ctx, jc, &to_delete);
            jc.terminating += removed;
            jc.ready -= ready;
            return (active - removed, err);
        }
        let want = match spec.and_then(|s| s.completions) {
            None if jc.succeeded > 0 => active,
            None => parallelism,
            Some(c) => (c - jc.succeeded).clamp(0, parallelism.max(0)),
        };
        let rm_at_least = (active - want).max(0) as usize;
        let mut to_delete = active_pods_for_removal(jc, rm_at_least);
        to_delete.truncate(MAX_POD_CREATE_DELETE_PER_SYNC);
        if !to_delete.is_empty() {
            // Deletions and creations never happen in one sync; deletions first.
            let (ready, removed, err) = self.delete_job_pods(ctx, jc, &to_delete);
            jc.terminating += removed;
            jc.ready -= ready;
            return (active - removed, err);
        }
        let terminating = if only_replace_failed_pods(jc.shared) { jc.terminating } else { 0 };
        let mut diff = want - terminating - active;
        if diff <= 0 {
            return (active, None);
        }
        if jc.backoff_limit_per_index().is_none() {
            let wait = jc.new_backoff.remaining(jc.now);
            if wait > Duration::zero() {
                jc.requeue_after(wait.max(Duration::seconds(SYNC_JOB_BATCH_PERIOD)));
                // As upstream: a sync that waits reports no active pods.
                return (0, None);
            }
        }
        diff = diff.min(MAX_POD_CREATE_DELETE_PER_SYNC as i32);
        let mut indexes = Vec::new();
        if is_indexed(jc.shared) {
            let completions = i64::from(jc.completions().unwrap_or(0));
            indexes = indexed::first_pending_indexes(
                &jc.pods,
                only_replace_failed_pods(jc.shared),
                &jc.succeeded_indexes,
                jc.failed_indexes.as_ref(),
                diff as usize,
                completions,
            );
            if jc.backoff_limit_per_index().is_some() {
                let (now_indexes, wait) = creation_info_per_index(jc, &indexes);
                if wait > Duration::zero() {
                    jc.requeue_after(wait.max(Duration::seconds(SYNC_JOB_BATCH_PERIOD)));
                    return (0, None);
                }
                indexes = now_indexes;
            }
            diff = indexes.len() as i32;
        }
        active += diff;
        // The tracking finalizer is given to each pod, so a non-indexed Job's template is used
        // as it is (upstream adds the finalizer to a copy of the template).
        static EMPTY: std::sync::LazyLock<k8s_openapi::api::core::v1::PodTemplateSpec> =
            std::sync::LazyLock::new(Default::default);
        let mut template = std::borrow::Cow::Borrowed(spec.map_or(&*EMPTY, |s| &s.template));
        if is_indexed(jc.shared) {
            indexed::add_completion_index_env(template.to_mut());
        }
        let controller_ref = new_controller_ref(jc.obj);
        let job_name = jc.job.metadata.name.clone().unwrap_or_default();
        let namespace = jc.obj.namespace().to_string();
        let mut pending = indexes.into_iter();
        let mut first_error = None;
        let mut remaining_count = diff;
        let mut batch = remaining_count.min(SLOW_START_INITIAL_BATCH_SIZE as i32);
        while remaining_count > 0 {
            let mut failed_in_batch = false;
            for _ in 0..batch {
                // Only an indexed pod's template differs from the Job's: others use it as it is.
                let mut t = std::borrow::Cow::Borrowed(&*template);
                let mut generate_name = None;
                if let Some(ix) = pending.next() {
                    indexed::add_completion_index(t.to_mut(), &job_name, ix);
                    generate_name = Some(indexed::generate_name_with_index(&job_name, ix));
                    if jc.backoff_limit_per_index().is_some() {
                        add_index_failure_count(t.to_mut(), jc, jc.delayed_deletion.get(&ix).copied());
                    }
                }
                let created = self.control.create_pods(
                    ctx.api,
                    &namespace,
                    &t,
                    jc.obj,
                    &controller_ref,
                    PodExtras { generate_name: generate_name.as_deref(), finalizer: Some(TRACKING_FINALIZER) },
                );
                match created {
                    Err(Error::Api(e)) if is_namespace_terminating(&e) => {}
                    Err(e) => {
                        active -= 1;
                        failed_in_batch = true;
                        first_error.get_or_insert(ApiError::from(e));
                    }
                    Ok(_) => {}
                }
            }
            remaining_count -= batch;
            if failed_in_batch {
                // The rest are not tried this time (slow start).
                active -= remaining_count;
                break;
            }
            batch = (2 * batch).min(remaining_count);
        }
        (active, first_error)
    }

    /// `deleteJobPods`: take the finalizer off, then delete. Returns how many ready pods and
    /// how many pods were deleted, and the first failure.
    pub(super) fn delete_job_pods(
        &mut self,
        ctx: &mut Ctx<'_>,
        jc: &JobCtx<'_>,
        pods: &[&Pod],
    ) -> (i32, i32, Option<ApiError>) {
        let (mut ready, mut deleted, mut first) = (0, 0, None);
        for pod in pods {
            let result = self.remove_tracking_finalizer(ctx, pod).and_then(|_| {
                self.control.delete_pod(ctx.api, jc.obj.namespace(), name(pod), jc.obj).map_err(ApiError::from)
            });
            match result {
                Err(e) if e.reason != Reason::NotFound => {
                    first.get_or_insert(e);
                }
                _ => deleted += 1,
            }
            if is_pod_ready(pod) {
                ready += 1;
            }
        }
        (ready, deleted, first)
    }

    /// `deleteActivePods`: delete the active pods of a finished Job, keeping their finalizers
    /// until they are counted.
    pub(super) fn delete_active_pods(&mut self, ctx: &mut Ctx<'_>, jc: &JobCtx<'_>) -> (i32, i32, Option<ApiError>) {
        let (mut ready, mut deleted, mut first) = (0, 0, None);
        for pod in &jc.active {
            match self.control.delete_pod(ctx.api, jc.obj.namespace(), name(pod), jc.obj) {
                Err(Error::Api(e)) if e.reason == Reason::NotFound => deleted += 1,
                Err(e) => {
                    first.get_or_insert(ApiError::from(e));
                }
                Ok(()) => deleted += 1,
            }
            if is_pod_ready(pod) {
                ready += 1;
            }
        }
        (ready, deleted, first)
    }
}

/// `activePodsForRemoval`: an Indexed Job's pods of repeated or invalid indexes, then as many
/// more as needed in `ActivePods` order (not ready, unscheduled and pending first).
fn active_pods_for_removal<'a>(jc: &JobCtx<'a>, rm_at_least: usize) -> Vec<&'a Pod> {
    let (mut rm, left) = if is_indexed(jc.shared) {
        indexed::duplicated_index_pods(&jc.active, i64::from(jc.completions().unwrap_or(0)))
    } else {
        (Vec::new(), jc.active.clone())
    };
    if rm.len() < rm_at_least {
        let mut order = ActivePods(left);
        order.sort();
        rm.extend(order.0.into_iter().take(rm_at_least - rm.len()));
    }
    rm
}

/// `getPodsWithDelayedDeletionPerIndex`: for each index with no active pod that neither
/// succeeded nor failed for good, its last failed pod, kept until its replacement is made
/// so the replacement can carry the index's failure count.
pub(super) fn pods_with_delayed_deletion<'a>(jc: &JobCtx<'a>) -> BTreeMap<i64, &'a Pod> {
    let completions = i64::from(jc.completions().unwrap_or(0));
    let active: Vec<i64> = jc.active.iter().filter_map(|p| completion_index(p)).collect();
    let mut out: BTreeMap<i64, &Pod> = BTreeMap::new();
    for &pod in &jc.pods {
        if !super::util::has_tracking_finalizer(pod) || !is_pod_failed(pod, jc.shared) {
            continue;
        }
        let Some(ix) = valid_index(pod, completions) else { continue };
        let failed_for_good = jc.failed_indexes.as_ref().is_some_and(|f| f.has(ix));
        if jc.succeeded_indexes.has(ix) || failed_for_good || active.contains(&ix) {
            continue;
        }
        match out.get(&ix) {
            Some(last)
                if !(absolute_failure_count(last) <= absolute_failure_count(pod)
                    && finished_time(pod) >= finished_time(last)) => {}
            _ => {
                out.insert(ix, pod);
            }
        }
    }
    out
}

/// `getPodCreationInfoForIndependentIndexes`: the indexes whose own back-off is over, or, if
/// none, the shortest wait.
fn creation_info_per_index(jc: &JobCtx<'_>, indexes: &[i64]) -> (Vec<i64>, Duration) {
    let mut now_indexes = Vec::new();
    let mut min_wait: Option<Duration> = None;
    for &ix in indexes {
        let wait = match jc.delayed_deletion.get(&ix) {
            None => Duration::zero(),
            Some(last) => remaining(absolute_failure_count(last) + 1, Some(finished_time(last)), jc.now),
        };
        if wait <= Duration::zero() {
            now_indexes.push(ix);
        } else if min_wait.is_none_or(|m| wait < m) {
            min_wait = Some(wait);
        }
    }
    if !now_indexes.is_empty() {
        return (now_indexes, Duration::zero());
    }
    (now_indexes, min_wait.unwrap_or_else(Duration::zero))
}

/// `addIndexFailureCountAnnotation`: the failures of the index so far, one more for the pod
/// being replaced (counted or ignored as the failure policy says).
fn add_index_failure_count(
    t: &mut k8s_openapi::api::core::v1::PodTemplateSpec,
    jc: &JobCtx<'_>,
    replaced: Option<&Pod>,
) {
    let (mut count, mut ignored) = (0, 0);
    if let Some(pod) = replaced {
        count = indexed::failure_count(pod, indexed::INDEX_FAILURE_COUNT);
        ignored = indexed::failure_count(pod, indexed::INDEX_IGNORED_FAILURE_COUNT);
        let counts = super::failure_policy::policy(jc.shared)
            .is_none_or(|p| super::failure_policy::match_policy(p, pod).count_failed);
        if counts {
            count += 1;
        } else {
            ignored += 1;
        }
    }
    let annotations = t.metadata.get_or_insert_with(Default::default).annotations.get_or_insert_with(Default::default);
    annotations.insert(indexed::INDEX_FAILURE_COUNT.into(), count.to_string());
    if ignored > 0 {
        annotations.insert(indexed::INDEX_IGNORED_FAILURE_COUNT.into(), ignored.to_string());
    }
}
