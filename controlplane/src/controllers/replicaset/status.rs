//! A ReplicaSet's status (`replica_set_utils.go`): `calculateStatus` from the pods it owns,
//! the ReplicaFailure condition, and `updateReplicaSetStatus`, which writes through the status
//! subresource only when something changed. `status.terminatingReplicas` is left out: it is
//! behind the `DeploymentReplicaSetTerminatingReplicas` feature gate, off by default in v1.33.

use crate::model::Pod;
use chrono::{DateTime, Duration, Utc};
use k8s_openapi::api::apps::v1::{ReplicaSetCondition, ReplicaSetStatus};

use super::view::{with_status, Replicated};
use crate::apiserver::{k8s_time, ApiError, ApiServer};
use crate::controllers::controller_utils::{is_pod_available, is_pod_ready};
use crate::model::selector::LabelSelector;

/// `apps.ReplicaSetReplicaFailure`.
pub(super) const REPLICA_FAILURE: &str = "ReplicaFailure";

/// Go's `omitempty` for an int32 count: 0 is not written.
fn count(n: usize) -> Option<i32> {
    let n = i32::try_from(n).unwrap_or(i32::MAX);
    (n != 0).then_some(n)
}

/// `calculateStatus`: the counts over the active pods the controller owns, and the
/// ReplicaFailure condition set by a failed `manageReplicas` (kept until one succeeds).
pub(super) fn calculate_status(
    rs: &Replicated<'_>,
    pods: &[&Pod],
    manage_error: Option<&str>,
    now: DateTime<Utc>,
) -> ReplicaSetStatus {
    let mut status = rs.status.clone();
    let template_labels = rs.template.and_then(|t| t.metadata.as_ref()).and_then(|m| m.labels.clone());
    let template_selector = LabelSelector::from_labels(&template_labels.unwrap_or_default());
    let empty = Default::default();
    let (mut fully_labeled, mut ready, mut available) = (0, 0, 0);
    for pod in pods {
        if template_selector.matches(pod.metadata.labels.as_ref().unwrap_or(&empty)) {
            fully_labeled += 1;
        }
        if is_pod_ready(pod) {
            ready += 1;
            if is_pod_available(pod, rs.min_ready_seconds, now) {
                available += 1;
            }
        }
    }
    let has_failure = conditions(&status).iter().any(|c| c.type_ == REPLICA_FAILURE);
    match manage_error {
        Some(message) if !has_failure => {
            let diff = pods.len() as i64 - i64::from(rs.replicas);
            let reason = match diff {
                d if d < 0 => "FailedCreate",
                d if d > 0 => "FailedDelete",
                _ => "",
            };
            let condition = ReplicaSetCondition {
                last_transition_time: Some(k8s_time(now)),
                message: Some(message.to_string()),
                reason: Some(reason.to_string()),
                status: "True".into(),
                type_: REPLICA_FAILURE.into(),
            };
            status.conditions.get_or_insert_with(Vec::new).push(condition);
        }
        None if has_failure => {
            let kept: Vec<_> = conditions(&status).iter().filter(|c| c.type_ != REPLICA_FAILURE).cloned().collect();
            status.conditions = (!kept.is_empty()).then_some(kept);
        }
        _ => {}
    }
    status.replicas = count(pods.len()).unwrap_or(0);
    status.fully_labeled_replicas = count(fully_labeled);
    status.ready_replicas = count(ready);
    status.available_replicas = count(available);
    status
}

fn conditions(status: &ReplicaSetStatus) -> &[ReplicaSetCondition] {
    status.conditions.as_deref().unwrap_or_default()
}

/// `updateReplicaSetStatus`: nothing to write when the counts, the conditions and the observed
/// generation are already current. The write carries the generation acted on; on a conflict
/// a failed write is tried once more over a fresh read (`statusUpdateRetries`).
pub(super) fn update_status(
    api: &mut ApiServer,
    user: &str,
    rs: &Replicated<'_>,
    mut status: ReplicaSetStatus,
) -> Result<ReplicaSetStatus, ApiError> {
    let old = &rs.status;
    let same = |a: Option<i32>, b: Option<i32>| a.unwrap_or(0) == b.unwrap_or(0);
    if old.replicas == status.replicas
        && same(old.fully_labeled_replicas, status.fully_labeled_replicas)
        && same(old.ready_replicas, status.ready_replicas)
        && same(old.available_replicas, status.available_replicas)
        && rs.generation() == old.observed_generation.unwrap_or(0)
        && old.conditions == status.conditions
    {
        return Ok(status);
    }
    status.observed_generation = Some(rs.generation()).filter(|g| *g != 0);
    if api.update_status(user, with_status(rs.object, status.clone())).is_err() {
        let o = rs.object;
        let fresh = api.get(user, o.kind(), o.namespace(), o.name())?;
        api.update_status(user, with_status(&fresh, status.clone()))?;
    }
    Ok(status)
}

/// When the status next changes by time alone (`next_availability`).
pub(super) fn next_availability(rs: &Replicated<'_>, pods: &[&Pod], now: DateTime<Utc>) -> Option<Duration> {
    crate::controllers::controller_utils::next_availability(pods.iter().copied(), rs.min_ready_seconds, now)
}
