//! The decisions that end a Job (parts of `syncJob`): a SuccessCriteriaMet or FailureTarget
//! already recorded, a FailJob rule, the backoff limit (failed pods, or restarts under
//! OnFailure), the active deadline, an Indexed Job's failed indexes and success policy; and
//! the Suspended condition of a (un)suspended Job.

use crate::model::Pod;
use chrono::{DateTime, Duration, Utc};
use k8s_openapi::api::batch::v1::JobCondition;

use super::util::{self, find_condition, is_pod_failed, is_suspended, new_condition, phase};
use super::{failure_policy, indexed, manage, success_policy, Job, JobController, JobCtx};
use crate::apiserver::from_k8s_time;
use crate::events::EventType;
use crate::sim::component::Ctx;

impl JobController {
    /// The terminal decisions before pods are managed: a SuccessCriteriaMet or FailureTarget
    /// already recorded, a FailJob rule, the backoff limit, the active deadline.
    pub(super) fn decide_finished(&mut self, jc: &mut JobCtx<'_>) {
        let now = jc.now;
        let conds = util::conditions(&jc.job).to_vec();
        let is_true = |c: &&JobCondition| c.status == "True";
        jc.finished = find_condition(&conds, "SuccessCriteriaMet").filter(is_true).cloned();
        if jc.finished.is_none() {
            if let Some(target) = find_condition(&conds, "FailureTarget").filter(is_true) {
                jc.finished = Some(failed_from_target(target, now));
            } else if let Some(message) = fail_job_message(jc.shared, &jc.pods) {
                jc.finished = Some(new_condition("FailureTarget", "True", "PodFailurePolicy", &message, now));
            }
        }
        if jc.finished.is_some() {
            return;
        }
        let spec = jc.shared.spec.as_ref();
        let limit = spec.and_then(|s| s.backoff_limit).unwrap_or(6);
        let start = jc.job.status.as_ref().and_then(|s| s.start_time.as_ref()).map(from_k8s_time);
        if jc.failed > limit || past_backoff_limit_on_failure(jc.shared, &jc.pods) {
            let message = "Job has reached the specified backoff limit";
            jc.finished = Some(new_condition("FailureTarget", "True", "BackoffLimitExceeded", message, now));
        } else if let (Some(deadline), Some(start), false) =
            (spec.and_then(|s| s.active_deadline_seconds), start, is_suspended(jc.shared))
        {
            let allowed = Duration::seconds(deadline);
            if now - start >= allowed {
                let message = "Job was active longer than specified deadline";
                jc.finished = Some(new_condition("FailureTarget", "True", "DeadlineExceeded", message, now));
            } else {
                jc.requeue_after(allowed - (now - start));
            }
        }
    }

    /// An Indexed Job's succeeded and failed indexes, and the ends they bring: too many failed
    /// indexes, failed indexes once every index is done, a success policy met.
    pub(super) fn decide_indexed(&mut self, jc: &mut JobCtx<'_>) {
        let completions = i64::from(jc.completions().unwrap_or(0));
        let (prev, all) = indexed::succeeded_indexes(jc.shared, &jc.pods, completions);
        jc.prev_succeeded_indexes = prev;
        jc.succeeded_indexes = all;
        jc.succeeded = jc.succeeded_indexes.total() as i32;
        let now = jc.now;
        if let Some(limit) = jc.backoff_limit_per_index() {
            let failed = indexed::failed_indexes(jc.shared, &jc.pods, completions, limit);
            if jc.finished.is_none() {
                let max = jc.shared.spec.as_ref().and_then(|s| s.max_failed_indexes);
                if max.is_some_and(|m| failed.total() > i64::from(m)) {
                    let message = "Job has exceeded the specified maximal number of failed indexes";
                    jc.finished =
                        Some(new_condition("FailureTarget", "True", "MaxFailedIndexesExceeded", message, now));
                } else if failed.total() > 0 && failed.total() + jc.succeeded_indexes.total() >= completions {
                    let message = "Job has failed indexes";
                    jc.finished = Some(new_condition("FailureTarget", "True", "FailedIndexes", message, now));
                }
            }
            jc.failed_indexes = Some(failed);
            jc.delayed_deletion = manage::pods_with_delayed_deletion(jc);
        }
        if jc.finished.is_none() {
            let policy = jc.shared.spec.as_ref().and_then(|s| s.success_policy.as_ref());
            if let Some(message) = success_policy::match_success_policy(policy, completions, &jc.succeeded_indexes) {
                jc.finished = Some(new_condition("SuccessCriteriaMet", "True", "SuccessPolicy", &message, now));
            }
        }
    }

    /// The Suspended condition and its events once the pods of a (un)suspended Job are
    /// managed; a resumed Job starts its clock again. Whether the conditions changed.
    pub(super) fn update_suspended(&mut self, ctx: &mut Ctx<'_>, jc: &mut JobCtx<'_>) -> bool {
        let now = jc.now;
        let suspended = is_suspended(jc.shared);
        let status = jc.job.status.get_or_insert_with(Default::default);
        let list = status.conditions.get_or_insert_with(Vec::new);
        let (state, reason, message, event) = if suspended {
            ("True", "JobSuspended", "Job suspended", "Suspended")
        } else {
            ("False", "JobResumed", "Job resumed", "Resumed")
        };
        let changed = util::ensure_condition(list, "Suspended", state, reason, message, now);
        if status.conditions.as_ref().is_some_and(Vec::is_empty) {
            status.conditions = None;
        }
        if changed {
            if state == "False" {
                status.start_time = Some(crate::apiserver::k8s_time(now));
            }
            self.control.recorder().record(ctx.api, jc.obj, None, EventType::Normal, event, message);
        }
        changed
    }
}

/// `newFailedConditionForFailureTarget`.
pub(super) fn failed_from_target(target: &JobCondition, now: DateTime<Utc>) -> JobCondition {
    let reason = target.reason.as_deref().unwrap_or("");
    new_condition("Failed", "True", reason, target.message.as_deref().unwrap_or(""), now)
}

/// `getFailJobMessage`: the message of a FailJob rule a failed pod matches.
fn fail_job_message(job: &Job, pods: &[&Pod]) -> Option<String> {
    let policy = failure_policy::policy(job)?;
    pods.iter().filter(|p| is_pod_failed(p, job)).find_map(|p| failure_policy::match_policy(policy, p).fail_job_message)
}

/// `pastBackoffLimitOnFailure`: with restartPolicy OnFailure, the restarts of the running and
/// pending pods' containers reach the backoff limit (any restart, for a limit of 0).
fn past_backoff_limit_on_failure(job: &Job, pods: &[&Pod]) -> bool {
    let spec = job.spec.as_ref();
    let restart = spec.and_then(|s| s.template.spec.as_ref()).and_then(|s| s.restart_policy.as_deref());
    if restart != Some("OnFailure") {
        return false;
    }
    let restarts: i32 = pods
        .iter()
        .filter(|p| matches!(phase(p), "Running" | "Pending"))
        .filter_map(|p| p.status.as_ref())
        .flat_map(|s| s.init_container_statuses.iter().flatten().chain(s.container_statuses.iter().flatten()))
        .map(|c| c.restart_count)
        .sum();
    match spec.and_then(|s| s.backoff_limit).unwrap_or(6) {
        0 => restarts > 0,
        limit => restarts >= limit,
    }
}
