//! `progress.go` and `calculateStatus`: a Deployment's status from its ReplicaSets, the
//! Available condition, and the Progressing condition with its deadline on the simulated
//! clock: a rollout that makes no progress for `progressDeadlineSeconds` is marked
//! `ProgressDeadlineExceeded`, the Deployment looked at again when the deadline would pass
//! (`requeueStuckDeployment`).

use chrono::Duration;
use k8s_openapi::api::apps::v1::{DeploymentCondition, DeploymentStatus, ReplicaSet};

use super::sync::{all, Split};
use super::util;
use super::Syncer;
use crate::apiserver::{from_k8s_time, ApiError};
use crate::controllers::runtime::Action;

impl Syncer<'_, '_> {
    /// `calculateStatus`.
    pub(super) fn calculate_status(&self, split: &Split) -> DeploymentStatus {
        let rss = all(split);
        let available = util::available_replica_count(rss.iter().copied());
        let total = util::replica_count(rss.iter().copied());
        let current = self.d.status.clone().unwrap_or_default();
        let mut status = DeploymentStatus {
            observed_generation: self.d.metadata.generation,
            replicas: Some(util::actual_replica_count(rss.iter().copied())),
            updated_replicas: Some(util::actual_replica_count(split.0.as_ref())),
            ready_replicas: Some(util::ready_replica_count(rss.iter().copied())),
            available_replicas: Some(available),
            unavailable_replicas: Some((total - available).max(0)),
            collision_count: current.collision_count,
            conditions: current.conditions.clone(),
            terminating_replicas: current.terminating_replicas,
        };
        let now = self.ctx.now();
        let c = if available >= util::replicas(&self.d) - util::max_unavailable(&self.d) {
            util::new_condition(
                "Available",
                "True",
                util::MINIMUM_REPLICAS_AVAILABLE,
                "Deployment has minimum availability.".into(),
                now,
            )
        } else {
            util::new_condition(
                "Available",
                "False",
                util::MINIMUM_REPLICAS_UNAVAILABLE,
                "Deployment does not have minimum availability.".into(),
                now,
            )
        };
        util::set_condition(&mut status, c);
        status
    }

    /// `syncRolloutStatus`: the status with the Progressing condition brought up to date.
    pub(super) fn sync_rollout_status(&mut self, split: &Split) -> Result<Action, ApiError> {
        let mut status = self.calculate_status(split);
        let d = &self.d;
        let deadline = util::progress_deadline(d);
        if deadline.is_none() {
            util::remove_condition(&mut status, "Progressing");
        }
        let current = self.d.status.clone().unwrap_or_default();
        let current_cond = util::condition(&current, "Progressing").cloned();
        let complete = status.replicas == status.updated_replicas
            && current_cond.as_ref().is_some_and(|c| c.reason.as_deref() == Some(util::NEW_RS_AVAILABLE_REASON));
        let now = self.ctx.now();
        let new_name = split.0.as_ref().and_then(|rs| rs.metadata.name.clone());
        let subject = |what: &str| match &new_name {
            Some(rs) => format!("ReplicaSet {rs:?} {what}"),
            None => format!("Deployment {:?} {what}", d.metadata.name.as_deref().unwrap_or("")),
        };
        if deadline.is_some() && !complete {
            if util::deployment_complete(d, &status) {
                let msg = subject("has successfully progressed.");
                let c = util::new_condition("Progressing", "True", util::NEW_RS_AVAILABLE_REASON, msg, now);
                util::set_condition(&mut status, c);
            } else if util::deployment_progressing(d, &status) {
                let msg = subject("is progressing.");
                let mut c = util::new_condition("Progressing", "True", util::RS_UPDATED_REASON, msg, now);
                if let Some(cur) = &current_cond {
                    if cur.status == "True" {
                        c.last_transition_time = cur.last_transition_time.clone();
                    }
                    util::remove_condition(&mut status, "Progressing");
                }
                util::set_condition(&mut status, c);
            } else if util::deployment_timed_out(d, &status, now) {
                let msg = subject("has timed out progressing.");
                let c = util::new_condition("Progressing", "False", util::TIMED_OUT_REASON, msg, now);
                util::set_condition(&mut status, c);
            }
        }
        match replica_failure(split) {
            Some(c) => util::set_condition(&mut status, c),
            None => util::remove_condition(&mut status, "ReplicaFailure"),
        }
        if self.d.status.as_ref() == Some(&status) {
            return Ok(self.requeue_stuck_deployment(&status));
        }
        self.d.status = Some(status);
        self.update_status()?;
        Ok(Action::AwaitChange)
    }

    /// `requeueStuckDeployment`: look again when the progress deadline would pass.
    fn requeue_stuck_deployment(&self, status: &DeploymentStatus) -> Action {
        let current = self.d.status.clone().unwrap_or_default();
        let (Some(deadline), Some(cond)) = (util::progress_deadline(&self.d), util::condition(&current, "Progressing"))
        else {
            return Action::AwaitChange;
        };
        if util::deployment_complete(&self.d, status) || cond.reason.as_deref() == Some(util::TIMED_OUT_REASON) {
            return Action::AwaitChange;
        }
        let Some(updated) = cond.last_update_time.as_ref().map(from_k8s_time) else { return Action::AwaitChange };
        let after = updated + Duration::seconds(deadline.into()) - self.ctx.now();
        if after < Duration::seconds(1) {
            // Upstream too keeps looking at a stuck Deployment whose condition cannot time
            // out (one that completed before), at the pace of the queue's rate limiter.
            return Action::RequeueRateLimited;
        }
        Action::RequeueAfter(after + Duration::seconds(1))
    }
}

/// `getReplicaFailures`: the new ReplicaSet's ReplicaFailure condition, else an old one's.
fn replica_failure(split: &Split) -> Option<DeploymentCondition> {
    let new = split.0.iter();
    let failure = |rs: &ReplicaSet| {
        rs.status.as_ref()?.conditions.as_ref()?.iter().find(|c| c.type_ == "ReplicaFailure").cloned()
    };
    new.chain(split.1.iter()).find_map(failure).map(|c| DeploymentCondition {
        type_: c.type_,
        status: c.status,
        reason: c.reason,
        message: c.message,
        last_update_time: c.last_transition_time.clone(),
        last_transition_time: c.last_transition_time,
    })
}
