//! What the Job controller asks of Jobs and pods (`pkg/controller/job/util`, parts of
//! `job_controller.go` and `backoff_utils.go`): finished Jobs, conditions, failed and
//! terminating pods, and when a pod finished.

use crate::model::Pod;
use chrono::{DateTime, Utc};
use k8s_openapi::api::batch::v1::JobCondition;

use super::Job;
use crate::apiserver::{from_k8s_time, k8s_time};
pub use crate::controllers::controller_utils::pod_phase as phase;

/// `batch.JobTrackingFinalizer`: a pod keeps it until the controller has counted it.
pub const TRACKING_FINALIZER: &str = "batch.kubernetes.io/job-tracking";

pub fn annotation<'a>(pod: &'a Pod, key: &str) -> Option<&'a str> {
    pod.metadata.annotations.as_ref().and_then(|a| a.get(key)).map(String::as_str)
}

pub fn has_tracking_finalizer(pod: &Pod) -> bool {
    pod.metadata.finalizers.iter().flatten().any(|f| f == TRACKING_FINALIZER)
}

pub fn uid(pod: &Pod) -> &str {
    pod.metadata.uid.as_deref().unwrap_or("")
}

pub fn name(pod: &Pod) -> &str {
    pod.metadata.name.as_deref().unwrap_or("")
}

pub fn conditions(job: &Job) -> &[JobCondition] {
    job.status.as_ref().and_then(|s| s.conditions.as_deref()).unwrap_or_default()
}

pub fn find_condition<'a>(list: &'a [JobCondition], type_: &str) -> Option<&'a JobCondition> {
    list.iter().find(|c| c.type_ == type_)
}

/// `IsJobFinished`: a Complete or Failed condition that is True.
pub fn is_finished(job: &Job) -> bool {
    conditions(job).iter().any(|c| (c.type_ == "Complete" || c.type_ == "Failed") && c.status == "True")
}

pub fn new_condition(type_: &str, status: &str, reason: &str, message: &str, now: DateTime<Utc>) -> JobCondition {
    JobCondition {
        type_: type_.into(),
        status: status.into(),
        last_probe_time: Some(k8s_time(now)),
        last_transition_time: Some(k8s_time(now)),
        reason: Some(reason.to_string()).filter(|r| !r.is_empty()),
        message: Some(message.to_string()).filter(|m| !m.is_empty()),
    }
}

/// `ensureJobConditionStatus`: set the condition of the type, or append it unless it would be
/// False from nothing. Whether the list changed.
pub fn ensure_condition(
    list: &mut Vec<JobCondition>,
    type_: &str,
    status: &str,
    reason: &str,
    message: &str,
    now: DateTime<Utc>,
) -> bool {
    if let Some(c) = list.iter_mut().find(|c| c.type_ == type_) {
        let same = c.status == status
            && c.reason.as_deref().unwrap_or("") == reason
            && c.message.as_deref().unwrap_or("") == message;
        if same {
            return false;
        }
        *c = new_condition(type_, status, reason, message, now);
        return true;
    }
    if status != "False" {
        list.push(new_condition(type_, status, reason, message, now));
        return true;
    }
    false
}

pub fn is_suspended(job: &Job) -> bool {
    job.spec.as_ref().and_then(|s| s.suspend).unwrap_or(false)
}

pub fn is_indexed(job: &Job) -> bool {
    job.spec.as_ref().and_then(|s| s.completion_mode.as_deref()) == Some("Indexed")
}

/// `onlyReplaceFailedPods`: podReplacementPolicy Failed, or a pod failure policy.
pub fn only_replace_failed_pods(job: &Job) -> bool {
    let spec = job.spec.as_ref();
    spec.and_then(|s| s.pod_replacement_policy.as_deref()) == Some("Failed")
        || spec.is_some_and(|s| s.pod_failure_policy.is_some())
}

/// `isPodFailed`: Failed, or (unless only failed pods are replaced) deleted before it succeeded,
/// which counts an orphan that never reaches a phase.
pub fn is_pod_failed(pod: &Pod, job: &Job) -> bool {
    if phase(pod) == "Failed" {
        return true;
    }
    if only_replace_failed_pods(job) {
        return false;
    }
    pod.metadata.deletion_timestamp.is_some() && phase(pod) != "Succeeded"
}

/// `IsPodTerminating`: being deleted and not in a terminal phase.
pub fn is_terminating(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_some() && !matches!(phase(pod), "Succeeded" | "Failed")
}

/// `getFinishedTime`: when the pod turned not Ready in a terminal phase, else its
/// containers' last finish, else its deletion (less the grace period), else its creation.
pub fn finished_time(pod: &Pod) -> DateTime<Utc> {
    let status = pod.status.as_ref();
    if matches!(phase(pod), "Succeeded" | "Failed") {
        let ready = status.and_then(|s| s.conditions.as_ref()).and_then(|c| c.iter().find(|c| c.type_ == "Ready"));
        if let Some(t) = ready.filter(|c| c.status == "False").and_then(|c| c.last_transition_time.as_ref()) {
            return from_k8s_time(t);
        }
    }
    let finished = status
        .and_then(|s| s.container_statuses.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|c| c.state.as_ref()?.terminated.as_ref()?.finished_at.as_ref())
        .map(from_k8s_time)
        .max();
    if let Some(t) = finished {
        return t;
    }
    if let Some(t) = &pod.metadata.deletion_timestamp {
        let grace = pod.metadata.deletion_grace_period_seconds.unwrap_or(0);
        return from_k8s_time(t) - chrono::Duration::seconds(grace);
    }
    pod.metadata.creation_timestamp.as_ref().map(from_k8s_time).unwrap_or_default()
}
