//! `rolling.go`: a RollingUpdate. The new ReplicaSet grows while the total stays within
//! replicas + maxSurge; old ReplicaSets shrink, unhealthy replicas first, while the available
//! ones stay at least replicas − maxUnavailable.

use k8s_openapi::api::apps::v1::ReplicaSet;

use super::sync::active;
use super::util::{self, rs_replicas};
use super::Syncer;
use crate::apiserver::{ApiError, Reason};
use crate::controllers::runtime::Action;

impl Syncer<'_, '_> {
    /// `rolloutRolling`.
    pub(super) fn rollout_rolling(&mut self, rs_list: &[ReplicaSet]) -> Result<Action, ApiError> {
        let mut split = self.all_replica_sets_and_sync_revision(rs_list, true)?;
        let Some(new_rs) = split.0.clone() else { return self.sync_rollout_status(&split) };
        let all: Vec<ReplicaSet> = split.1.iter().cloned().chain(std::iter::once(new_rs.clone())).collect();
        if let (true, stored) = self.reconcile_new_rs(&all, new_rs)? {
            split.0 = Some(stored);
            return self.sync_rollout_status(&split);
        }
        let old_active = active(&split.1);
        if self.reconcile_old_rss(&all, old_active, split.0.clone().unwrap_or_default())? {
            return self.sync_rollout_status(&split);
        }
        let status = self.d.status.clone().unwrap_or_default();
        if util::deployment_complete(&self.d, &status) {
            self.cleanup_deployment(&split.1)?;
        }
        self.sync_rollout_status(&split)
    }

    /// `reconcileNewReplicaSet`: (scaled, the new ReplicaSet as stored).
    fn reconcile_new_rs(&mut self, all: &[ReplicaSet], new_rs: ReplicaSet) -> Result<(bool, ReplicaSet), ApiError> {
        let n = util::replicas(&self.d);
        if rs_replicas(&new_rs) == n {
            return Ok((false, new_rs));
        }
        if rs_replicas(&new_rs) > n {
            return self.scale_rs_and_record(new_rs, n);
        }
        let refs: Vec<&ReplicaSet> = all.iter().collect();
        let count = util::new_rs_new_replicas(&self.d, &refs, &new_rs);
        self.scale_rs_and_record(new_rs, count)
    }

    /// `reconcileOldReplicaSets`: whether any old replica was scaled down.
    fn reconcile_old_rss(
        &mut self,
        all: &[ReplicaSet],
        old: Vec<ReplicaSet>,
        new_rs: ReplicaSet,
    ) -> Result<bool, ApiError> {
        if util::replica_count(&old) == 0 {
            return Ok(false);
        }
        let all_pods = util::replica_count(all);
        let min_available = util::replicas(&self.d) - util::max_unavailable(&self.d);
        let new_unavailable = rs_replicas(&new_rs) - util::rs_available(&new_rs);
        let max_scaled_down = all_pods - min_available - new_unavailable;
        if max_scaled_down <= 0 {
            return Ok(false);
        }
        let (old, cleaned) = self.cleanup_unhealthy_replicas(old, max_scaled_down)?;
        let all: Vec<ReplicaSet> = old.iter().cloned().chain(std::iter::once(new_rs)).collect();
        let scaled = self.scale_down_old_rss_for_rolling_update(&all, old)?;
        Ok(cleaned + scaled > 0)
    }

    /// `cleanupUnhealthyReplicas`: scale old ReplicaSets down by their unavailable replicas,
    /// oldest first, at most `max` in all.
    fn cleanup_unhealthy_replicas(
        &mut self,
        mut old: Vec<ReplicaSet>,
        max: i32,
    ) -> Result<(Vec<ReplicaSet>, i32), ApiError> {
        old.sort_by(util::by_creation);
        let mut total = 0;
        for slot in old.iter_mut() {
            if total >= max {
                break;
            }
            let target = &*slot;
            let (replicas, available) = (rs_replicas(target), util::rs_available(target));
            if replicas == 0 || replicas == available {
                continue;
            }
            let count = (max - total).min(replicas - available);
            let new_count = replicas - count;
            if new_count > replicas {
                return Err(ApiError::new(
                    Reason::InternalError,
                    format!("when cleaning up unhealthy replicas, got invalid request to scale down {} {replicas} -> {new_count}", target.metadata.name.as_deref().unwrap_or("")),
                ));
            }
            let (_, stored) = self.scale_rs_and_record(target.clone(), new_count)?;
            total += count;
            *slot = stored;
        }
        Ok((old, total))
    }

    /// `scaleDownOldReplicaSetsForRollingUpdate`: scale old ReplicaSets down, oldest first, by
    /// as many as are available beyond replicas − maxUnavailable.
    fn scale_down_old_rss_for_rolling_update(
        &mut self,
        all: &[ReplicaSet],
        mut old: Vec<ReplicaSet>,
    ) -> Result<i32, ApiError> {
        let min_available = util::replicas(&self.d) - util::max_unavailable(&self.d);
        let available = util::available_replica_count(all);
        if available <= min_available {
            return Ok(0);
        }
        old.sort_by(util::by_creation);
        let to_scale = available - min_available;
        let mut total = 0;
        for target in old {
            if total >= to_scale {
                break;
            }
            if rs_replicas(&target) == 0 {
                continue;
            }
            let count = rs_replicas(&target).min(to_scale - total);
            let new_count = rs_replicas(&target) - count;
            self.scale_rs_and_record(target, new_count)?;
            total += count;
        }
        Ok(total)
    }
}
