//! `trackJobStatusAndRemoveFinalizers`: finished pods still holding the tracking finalizer go
//! into `status.uncountedTerminatedPods` (an Indexed Job's succeeded ones straight into
//! `completedIndexes`), that status is written, the finalizers come off, and the pods whose
//! finalizer is gone move from the uncounted lists to `succeeded`/`failed`. The interim
//! FailureTarget or SuccessCriteriaMet condition is written first; the Failed or Complete
//! condition, with its event, once nothing is uncounted or terminating.

use std::collections::BTreeSet;

use crate::model::Pod;
use k8s_openapi::api::batch::v1::{JobCondition, JobStatus};

use super::failure_policy::{match_policy, policy};
use super::indexed::{completion_index, valid_index, Intervals};
use super::util::{ensure_condition, has_tracking_finalizer, is_indexed, is_pod_failed, new_condition, phase, uid};
use super::{failed_from_target, Job, JobController, JobCtx};
use crate::apiserver::{ApiError, Reason};
use crate::events::EventType;
use crate::model::Typed;
use crate::sim::component::Ctx;

/// `MaxUncountedPods`: at most this many pods counted per sync.
const MAX_UNCOUNTED_PODS: usize = 500;

fn is_success_criteria_met(c: &JobCondition) -> bool {
    c.type_ == "SuccessCriteriaMet" && c.status == "True"
}

impl JobController {
    pub(super) fn track_status_and_remove_finalizers(
        &mut self,
        ctx: &mut Ctx<'_>,
        jc: &mut JobCtx<'_>,
        mut needs_flush: bool,
    ) -> Result<(), ApiError> {
        let indexed = is_indexed(jc.shared);
        let completions = i64::from(jc.completions().unwrap_or(0));
        let mut pods = jc.pods.clone();
        if indexed {
            pods.sort_by_key(|p| completion_index(p).unwrap_or(-1));
        }
        let mut with_finalizer: BTreeSet<String> =
            pods.iter().filter(|p| has_tracking_finalizer(p)).map(|p| uid(p).to_string()).collect();
        let status = jc.job.status.get_or_insert_with(Default::default);
        let mut old_counters = status.clone();
        needs_flush |= clean_uncounted(status, &with_finalizer);
        let mut to_remove: Vec<&Pod> = Vec::new();
        let mut new_succeeded_indexes = Vec::new();
        let mut reached_max = false;
        let finished = jc.finished.clone();
        for pod in pods {
            if !has_tracking_finalizer(pod) {
                continue;
            }
            let failed = is_pod_failed(pod, jc.shared);
            let counts = policy(jc.shared).is_none_or(|p| match_policy(p, pod).count_failed);
            if !can_remove_finalizer(jc, pod, failed) {
                continue;
            }
            to_remove.push(pod);
            let id = uid(pod).to_string();
            let uncounted = jc
                .job
                .status
                .get_or_insert_with(Default::default)
                .uncounted_terminated_pods
                .get_or_insert_with(Default::default);
            if phase(pod) == "Succeeded" && !jc.uncounted_failed.contains(&id) {
                if indexed {
                    if let Some(ix) = valid_index(pod, completions).filter(|ix| !jc.prev_succeeded_indexes.has(*ix)) {
                        new_succeeded_indexes.push(ix);
                        needs_flush = true;
                    }
                } else if !jc.uncounted_succeeded.contains(&id) {
                    needs_flush = true;
                    uncounted.succeeded.get_or_insert_with(Vec::new).push(id);
                }
            } else if failed || finished.as_ref().is_some_and(|c| !is_success_criteria_met(c)) {
                let valid = !indexed || valid_index(pod, completions).is_some();
                if !jc.uncounted_failed.contains(&id) && valid && counts {
                    needs_flush = true;
                    uncounted.failed.get_or_insert_with(Vec::new).push(id);
                }
            }
            let listed =
                uncounted.succeeded.as_ref().map_or(0, Vec::len) + uncounted.failed.as_ref().map_or(0, Vec::len);
            if new_succeeded_indexes.len() + listed >= MAX_UNCOUNTED_PODS {
                reached_max = true;
                break;
            }
        }
        if indexed {
            new_succeeded_indexes.sort_unstable();
            jc.succeeded_indexes = jc.succeeded_indexes.with_indexes(new_succeeded_indexes);
            let text = jc.succeeded_indexes.to_string();
            let status = jc.job.status.get_or_insert_with(Default::default);
            if status.completed_indexes.as_deref().unwrap_or("") != text {
                needs_flush = true;
            }
            status.succeeded = Some(jc.succeeded_indexes.total() as i32).filter(|s| *s != 0);
            status.completed_indexes = Some(text).filter(|t| !t.is_empty());
            let failed = jc.failed_indexes.as_ref().map(Intervals::to_string);
            if status.failed_indexes != failed {
                status.failed_indexes = failed;
                needs_flush = true;
            }
        }
        let now = jc.now;
        if let Some(target) = jc.finished.clone().filter(|c| c.type_ == "FailureTarget") {
            jc.job
                .status
                .get_or_insert_with(Default::default)
                .conditions
                .get_or_insert_with(Vec::new)
                .push(target.clone());
            needs_flush = true;
            jc.finished = Some(failed_from_target(&target, now));
        }
        if let Some(met) = jc.finished.clone().filter(is_success_criteria_met) {
            let conditions = jc.job.status.get_or_insert_with(Default::default).conditions.get_or_insert_with(Vec::new);
            if !conditions.iter().any(is_success_criteria_met) {
                conditions.push(met.clone());
                needs_flush = true;
            }
            let (reason, message) = (met.reason.as_deref().unwrap_or(""), met.message.as_deref().unwrap_or(""));
            jc.finished = Some(new_condition("Complete", "True", reason, message, now));
        }
        needs_flush =
            self.flush_and_remove_finalizers(ctx, jc, &to_remove, &mut with_finalizer, &mut old_counters, needs_flush)?;
        let finished = !reached_max && enact_finished(jc);
        if needs_flush || finished {
            self.write_status(ctx, jc)?;
            if finished {
                self.record_finished(ctx, jc);
            }
        }
        Ok(())
    }

    /// `flushUncountedAndRemoveFinalizers`: write the status with the new uncounted pods (and
    /// take the back-off record as final), remove the finalizers, then count the pods whose
    /// finalizer is gone. Whether the status has changes still to write.
    fn flush_and_remove_finalizers(
        &mut self,
        ctx: &mut Ctx<'_>,
        jc: &mut JobCtx<'_>,
        to_remove: &[&Pod],
        with_finalizer: &mut BTreeSet<String>,
        old_counters: &mut JobStatus,
        mut needs_flush: bool,
    ) -> Result<bool, ApiError> {
        if needs_flush {
            self.write_status(ctx, jc)?;
            self.backoff.update(jc.key, jc.new_backoff.clone());
            *old_counters = jc.job.status.clone().unwrap_or_default();
            needs_flush = false;
        }
        let mut first = None;
        for pod in to_remove {
            match self.remove_tracking_finalizer(ctx, pod) {
                Ok(()) => {
                    with_finalizer.remove(uid(pod));
                }
                Err(e) if e.reason == Reason::NotFound => {
                    with_finalizer.remove(uid(pod));
                }
                Err(e) => {
                    first.get_or_insert(e);
                }
            }
        }
        needs_flush |= clean_uncounted(jc.job.status.get_or_insert_with(Default::default), with_finalizer);
        if let Some(e) = first {
            if needs_flush {
                self.write_status(ctx, jc)?;
            }
            return Err(e);
        }
        Ok(needs_flush)
    }

    /// `updateJobStatus`, keeping the written version for the next write of this sync.
    fn write_status(&mut self, ctx: &mut Ctx<'_>, jc: &mut JobCtx<'_>) -> Result<(), ApiError> {
        let job = Job {
            metadata: jc.job.metadata.clone(),
            resource_version: jc.job.resource_version.clone(),
            spec: None,
            status: jc.job.status.clone(),
        };
        let written = ctx.api.update_status(&self.user, job.into_object())?;
        if let Some(job) = Job::from_object(&written) {
            jc.job.resource_version = job.resource_version.clone();
        }
        Ok(())
    }

    /// `recordJobFinished`: the events of a Job that has finished.
    fn record_finished(&mut self, ctx: &mut Ctx<'_>, jc: &JobCtx<'_>) {
        let Some(cond) = &jc.finished else { return };
        let recorder = self.control.recorder();
        if cond.type_ == "Complete" {
            let succeeded = jc.job.status.as_ref().and_then(|s| s.succeeded).unwrap_or(0);
            if jc.completions().is_some_and(|c| succeeded > c) {
                let message = "Too many succeeded pods running after completion count reached";
                recorder.record(ctx.api, jc.obj, None, EventType::Warning, "TooManySucceededPods", message);
            }
            recorder.record(ctx.api, jc.obj, None, EventType::Normal, "Completed", "Job completed");
        } else {
            let (reason, message) = (cond.reason.as_deref().unwrap_or(""), cond.message.as_deref().unwrap_or(""));
            recorder.record(ctx.api, jc.obj, None, EventType::Warning, reason, message);
        }
    }
}

/// `canRemoveFinalizer`: always once the Job is going or finishing, or the pod succeeded;
/// a failed pod's unless it waits for its index's replacement.
fn can_remove_finalizer(jc: &JobCtx<'_>, pod: &Pod, failed: bool) -> bool {
    if jc.shared.metadata.deletion_timestamp.is_some() || jc.finished.is_some() || phase(pod) == "Succeeded" {
        return true;
    }
    if !failed {
        return false;
    }
    match completion_index(pod).and_then(|ix| jc.delayed_deletion.get(&ix)) {
        Some(waiting) if jc.backoff_limit_per_index().is_some() => uid(waiting) != uid(pod),
        _ => true,
    }
}

/// `cleanUncountedPodsWithoutFinalizers`: count the uncounted pods whose finalizer is gone.
/// Whether anything changed.
fn clean_uncounted(status: &mut JobStatus, with_finalizer: &BTreeSet<String>) -> bool {
    let uncounted = status.uncounted_terminated_pods.get_or_insert_with(Default::default);
    let mut changed = false;
    let mut move_counted = |list: &mut Option<Vec<String>>, counter: &mut Option<i32>| {
        let before = list.as_ref().map_or(0, Vec::len);
        let kept: Vec<String> = list.iter().flatten().filter(|u| with_finalizer.contains(*u)).cloned().collect();
        if kept.len() != before {
            changed = true;
            *counter = Some(counter.unwrap_or(0) + (before - kept.len()) as i32);
            *list = (!kept.is_empty()).then_some(kept);
        }
    };
    move_counted(&mut uncounted.succeeded, &mut status.succeeded);
    move_counted(&mut uncounted.failed, &mut status.failed);
    changed
}

/// `enactJobFinished`: the Failed or Complete condition (and completionTime) once no pod is
/// uncounted or terminating. Whether the Job has finished.
fn enact_finished(jc: &mut JobCtx<'_>) -> bool {
    let Some(cond) = jc.finished.clone() else { return false };
    let status = jc.job.status.get_or_insert_with(Default::default);
    if let Some(u) = &status.uncounted_terminated_pods {
        if u.succeeded.as_ref().map_or(0, Vec::len) + u.failed.as_ref().map_or(0, Vec::len) > 0 {
            return false;
        }
    }
    if jc.terminating > 0 {
        return false;
    }
    let (reason, message) = (cond.reason.as_deref().unwrap_or(""), cond.message.as_deref().unwrap_or(""));
    let list = status.conditions.get_or_insert_with(Vec::new);
    ensure_condition(list, &cond.type_, &cond.status, reason, message, jc.now);
    if cond.type_ == "Complete" {
        status.completion_time = Some(crate::apiserver::k8s_time(jc.now));
    }
    true
}
