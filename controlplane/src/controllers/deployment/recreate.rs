//! `recreate.go`: a Recreate rollout. Old ReplicaSets go to zero, and only when none of their
//! pods is left running (not just scaled down) does the new ReplicaSet scale up.

use k8s_openapi::api::apps::v1::ReplicaSet;

use super::sync::active;
use super::util;
use super::Syncer;
use crate::apiserver::ApiError;
use crate::controllers::informers::controller_uid;
use crate::controllers::runtime::Action;
use crate::model::{Kind, Object};

impl Syncer<'_, '_> {
    /// `rolloutRecreate`.
    pub(super) fn rollout_recreate(&mut self, rs_list: &[ReplicaSet]) -> Result<Action, ApiError> {
        let mut split = self.all_replica_sets_and_sync_revision(rs_list, false)?;
        let mut scaled_down = false;
        for rs in active(&split.1) {
            if self.scale_rs_and_record(rs, 0)?.0 {
                scaled_down = true;
            }
        }
        if scaled_down || self.old_pods_running(rs_list, split.0.as_ref(), &split.1) {
            return self.sync_rollout_status(&split);
        }
        if split.0.is_none() {
            split = self.all_replica_sets_and_sync_revision(rs_list, true)?;
        }
        if let Some(new_rs) = split.0.clone() {
            let n = util::replicas(&self.d);
            let (_, stored) = self.scale_rs_and_record(new_rs, n)?;
            split.0 = Some(stored);
        }
        let status = self.d.status.clone().unwrap_or_default();
        if util::deployment_complete(&self.d, &status) {
            self.cleanup_deployment(&split.1)?;
        }
        self.sync_rollout_status(&split)
    }

    /// `oldPodsRunning`: an old ReplicaSet still counts pods, or one of the Deployment's pods
    /// of an old ReplicaSet has not finished (`getPodMapForDeployment`).
    fn old_pods_running(&self, rs_list: &[ReplicaSet], new_rs: Option<&ReplicaSet>, old: &[ReplicaSet]) -> bool {
        if util::actual_replica_count(old) > 0 {
            return true;
        }
        let selector = super::selector_of(&self.d);
        let new_uid = new_rs.and_then(|rs| rs.metadata.uid.as_deref());
        let old_uids: Vec<&str> =
            rs_list.iter().filter_map(|rs| rs.metadata.uid.as_deref()).filter(|u| Some(*u) != new_uid).collect();
        self.ctx.informers.list_namespace(Kind::Pod, self.object.namespace()).any(|p| {
            let Object::Pod(pod) = &**p else { return false };
            let finished = matches!(pod.status.as_ref().and_then(|s| s.phase.as_deref()), Some("Failed" | "Succeeded"));
            !finished && selector.matches(p.labels()) && controller_uid(p).is_some_and(|u| old_uids.contains(&u))
        })
    }
}
