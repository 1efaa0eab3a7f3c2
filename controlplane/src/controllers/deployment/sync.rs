//! `sync.go`: the ReplicaSets of a Deployment (new and old, with the revision kept in step),
//! making the new one, scaling (proportionally while a rollout is under way), the paused
//! conditions, the clean-up of old ReplicaSets past `revisionHistoryLimit`, and the status.

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, ReplicaSetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::util::{self, rs_replicas, POD_TEMPLATE_HASH};
use super::Syncer;
use crate::apiserver::{ApiError, DeleteOptions, Reason};
use crate::controllers::controller_utils::{compute_hash, new_controller_ref};
use crate::events::EventType;
use crate::model::Object;

/// The new ReplicaSet (if any) and all the old ones.
pub(super) type Split = (Option<ReplicaSet>, Vec<ReplicaSet>);

/// `FilterActiveReplicaSets`: those with replicas.
pub(super) fn active(rss: &[ReplicaSet]) -> Vec<ReplicaSet> {
    rss.iter().filter(|rs| rs_replicas(rs) > 0).cloned().collect()
}

/// All ReplicaSets, the new one last (upstream's `append(oldRSs, newRS)`).
pub(super) fn all(split: &Split) -> Vec<&ReplicaSet> {
    split.1.iter().chain(split.0.as_ref()).collect()
}

fn replicas_of(d: &Deployment) -> i32 {
    util::replicas(d)
}

impl Syncer<'_, '_> {
    /// `syncStatusOnly`: a Deployment being deleted only has its status kept.
    pub(super) fn sync_status_only(&mut self, rs_list: &[ReplicaSet]) -> Result<(), ApiError> {
        let split = self.all_replica_sets_and_sync_revision(rs_list, false)?;
        self.sync_deployment_status(&split)
    }

    /// `sync`: scaling, or a paused Deployment.
    pub(super) fn sync(&mut self, rs_list: &[ReplicaSet]) -> Result<(), ApiError> {
        let mut split = self.all_replica_sets_and_sync_revision(rs_list, false)?;
        self.scale(&mut split)?;
        if self.d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false) {
            self.cleanup_deployment(&split.1)?;
        }
        self.sync_deployment_status(&split)
    }

    /// `checkPausedConditions`: Progressing becomes Unknown `DeploymentPaused` while paused and
    /// `DeploymentResumed` after, so time spent paused never counts against the deadline.
    pub(super) fn check_paused_conditions(&mut self) -> Result<(), ApiError> {
        if util::progress_deadline(&self.d).is_none() {
            return Ok(());
        }
        let status = self.d.status.clone().unwrap_or_default();
        let cond = util::condition(&status, "Progressing");
        if cond.is_some_and(|c| c.reason.as_deref() == Some(util::TIMED_OUT_REASON)) {
            return Ok(());
        }
        let paused_cond = cond.is_some_and(|c| c.reason.as_deref() == Some(util::PAUSED_REASON));
        let paused = self.d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false);
        let now = self.ctx.now();
        let new = if paused && !paused_cond {
            util::new_condition("Progressing", "Unknown", util::PAUSED_REASON, "Deployment is paused".into(), now)
        } else if !paused && paused_cond {
            util::new_condition("Progressing", "Unknown", util::RESUMED_REASON, "Deployment is resumed".into(), now)
        } else {
            return Ok(());
        };
        util::set_condition(self.d.status.get_or_insert_with(Default::default), new);
        self.update_status()
    }

    /// `isScalingEvent`: an active ReplicaSet's desired-replicas annotation differs from the
    /// Deployment's replicas.
    pub(super) fn is_scaling_event(&mut self, rs_list: &[ReplicaSet]) -> Result<bool, ApiError> {
        let split = self.all_replica_sets_and_sync_revision(rs_list, false)?;
        let n = replicas_of(&self.d);
        Ok(all(&split)
            .into_iter()
            .filter(|rs| rs_replicas(rs) > 0)
            .filter_map(util::desired_replicas_annotation)
            .any(|desired| desired != n))
    }

    /// `getAllReplicaSetsAndSyncRevision`.
    pub(super) fn all_replica_sets_and_sync_revision(
        &mut self,
        rs_list: &[ReplicaSet],
        create: bool,
    ) -> Result<Split, ApiError> {
        let new_uid = util::find_new_rs(&self.d, rs_list).and_then(|rs| rs.metadata.uid.clone());
        let old: Vec<ReplicaSet> =
            rs_list.iter().filter(|rs| new_uid.is_none() || rs.metadata.uid != new_uid).cloned().collect();
        let new = self.new_replica_set(rs_list, &old, create)?;
        Ok((new, old))
    }

    /// `getNewReplicaSet`: the new ReplicaSet with its annotations and the Deployment's revision
    /// kept in step; made (if `create`) when there is none.
    fn new_replica_set(
        &mut self,
        rs_list: &[ReplicaSet],
        old: &[ReplicaSet],
        create: bool,
    ) -> Result<Option<ReplicaSet>, ApiError> {
        let new_revision = util::max_revision(old) + 1;
        let now = self.ctx.now();
        if let Some(existing) = util::find_new_rs(&self.d, rs_list) {
            let mut copy = existing.clone();
            let annotations_updated = util::set_new_rs_annotations(&self.d, &mut copy, new_revision, true);
            let min_ready = self.d.spec.as_ref().and_then(|s| s.min_ready_seconds);
            let spec = copy.spec.get_or_insert_with(Default::default);
            if annotations_updated || spec.min_ready_seconds.unwrap_or(0) != min_ready.unwrap_or(0) {
                spec.min_ready_seconds = min_ready;
                return self.update_rs(copy).map(Some);
            }
            let revision = copy.metadata.annotations.as_ref().and_then(|a| a.get(util::REVISION)).cloned();
            let mut needs_update = util::set_deployment_revision(&mut self.d, &revision.unwrap_or_default());
            let no_cond = self.d.status.as_ref().and_then(|s| util::condition(s, "Progressing")).is_none();
            if util::progress_deadline(&self.d).is_some() && no_cond {
                let msg = format!("Found new replica set {:?}", copy.metadata.name.as_deref().unwrap_or(""));
                let c = util::new_condition("Progressing", "True", util::FOUND_NEW_RS_REASON, msg, now);
                util::set_condition(self.d.status.get_or_insert_with(Default::default), c);
                needs_update = true;
            }
            if needs_update {
                self.update_status()?;
            }
            return Ok(Some(copy));
        }
        if !create {
            return Ok(None);
        }
        let spec = self.d.spec.clone().unwrap_or_default();
        let mut template = spec.template.clone();
        let collision_count = self.d.status.as_ref().and_then(|s| s.collision_count);
        let hash = compute_hash(&serde_json::to_value(&template).unwrap_or_default(), collision_count);
        template
            .metadata
            .get_or_insert_with(Default::default)
            .labels
            .get_or_insert_with(Default::default)
            .insert(POD_TEMPLATE_HASH.into(), hash.clone());
        let mut selector = spec.selector.clone();
        selector.match_labels.get_or_insert_with(Default::default).insert(POD_TEMPLATE_HASH.into(), hash.clone());
        let name = format!("{}-{hash}", self.object.name());
        let mut new_rs = ReplicaSet {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                namespace: Some(self.object.namespace().to_string()),
                owner_references: Some(vec![new_controller_ref(&self.object)]),
                labels: template.metadata.as_ref().and_then(|m| m.labels.clone()),
                ..Default::default()
            },
            spec: Some(ReplicaSetSpec {
                replicas: Some(0),
                min_ready_seconds: spec.min_ready_seconds,
                selector,
                template: Some(template),
            }),
            status: None,
        };
        let count = {
            let all: Vec<&ReplicaSet> = old.iter().chain(std::iter::once(&new_rs)).collect();
            util::new_rs_new_replicas(&self.d, &all, &new_rs)
        };
        util::set_rs_replicas(&mut new_rs, count);
        util::set_new_rs_annotations(&self.d, &mut new_rs, new_revision, false);
        let namespace = self.object.namespace().to_string();
        let mut already_exists = false;
        let created = match self.ctx.api.create(self.user, &namespace, Object::ReplicaSet(Box::new(new_rs))) {
            Ok(o) => super::as_rs(&o).cloned().unwrap_or_default(),
            Err(e) if e.reason == Reason::AlreadyExists => {
                // Ours with the same template (a stale cache), or a hash collision.
                let existing = self.ctx.informers.get(crate::model::Kind::ReplicaSet, &format!("{namespace}/{name}"));
                let existing = existing.and_then(|o| super::as_rs(o)).cloned();
                let ours = existing.as_ref().is_some_and(|rs| {
                    crate::controllers::informers::controller_ref(&rs.metadata)
                        .is_some_and(|r| Some(&r.uid) == self.d.metadata.uid.as_ref())
                        && util::equal_ignore_hash(&util::rs_template(rs), &spec.template)
                });
                match existing {
                    Some(rs) if ours => {
                        already_exists = true;
                        rs
                    }
                    _ => {
                        let status = self.d.status.get_or_insert_with(Default::default);
                        status.collision_count = Some(status.collision_count.unwrap_or(0).saturating_add(1));
                        let _ = self.update_status();
                        return Err(e);
                    }
                }
            }
            Err(e) if e.message.contains("because it is being terminated") => return Err(e),
            Err(e) => {
                let msg = format!("Failed to create new replica set {name:?}: {}", e.message);
                if util::progress_deadline(&self.d).is_some() {
                    let c =
                        util::new_condition("Progressing", "False", util::FAILED_RS_CREATE_REASON, msg.clone(), now);
                    util::set_condition(self.d.status.get_or_insert_with(Default::default), c);
                    let _ = self.update_status();
                }
                self.event(EventType::Warning, util::FAILED_RS_CREATE_REASON, &msg);
                return Err(e);
            }
        };
        if !already_exists && count > 0 {
            self.event(
                EventType::Normal,
                "ScalingReplicaSet",
                &format!("Scaled up replica set {name} from 0 to {count}"),
            );
        }
        let mut needs_update = util::set_deployment_revision(&mut self.d, &new_revision.to_string());
        if !already_exists && util::progress_deadline(&self.d).is_some() {
            let msg = format!("Created new replica set {name:?}");
            let c = util::new_condition("Progressing", "True", util::NEW_RS_REASON, msg, now);
            util::set_condition(self.d.status.get_or_insert_with(Default::default), c);
            needs_update = true;
        }
        if needs_update {
            self.update_status()?;
        }
        Ok(Some(created))
    }

    /// `scale`: a Deployment whose replicas changed. One active ReplicaSet (or none) takes the
    /// new size; a saturated new one lets the old go; mid-rollout the change is spread over
    /// the active ReplicaSets in proportion to their sizes, the rest to the largest.
    pub(super) fn scale(&mut self, split: &mut Split) -> Result<(), ApiError> {
        let n = replicas_of(&self.d);
        if let Some(target) = util::find_active_or_latest(split.0.as_ref(), &split.1) {
            if rs_replicas(target) == n {
                return Ok(());
            }
            let target = target.clone();
            self.scale_rs_and_record(target, n)?;
            return Ok(());
        }
        if util::is_saturated(&self.d, split.0.as_ref()) {
            for old in active(&split.1) {
                self.scale_rs_and_record(old, 0)?;
            }
            return Ok(());
        }
        if !util::is_rolling_update(&self.d) {
            return Ok(());
        }
        let mut rss: Vec<ReplicaSet> = all(split).into_iter().filter(|rs| rs_replicas(rs) > 0).cloned().collect();
        let allowed = if n > 0 { n + util::max_surge(&self.d) } else { 0 };
        let to_add = allowed - util::replica_count(&rss);
        if to_add > 0 {
            rss.sort_by(util::by_size_newer);
        } else if to_add < 0 {
            rss.sort_by(util::by_size_older);
        }
        let mut added = 0;
        let mut sizes: Vec<i32> = Vec::with_capacity(rss.len());
        for rs in &rss {
            if to_add != 0 {
                let p = util::proportion(rs, &self.d, to_add, added);
                sizes.push(rs_replicas(rs) + p);
                added += p;
            } else {
                sizes.push(rs_replicas(rs));
            }
        }
        for (i, rs) in rss.into_iter().enumerate() {
            let mut size = sizes[i];
            if i == 0 && to_add != 0 {
                size = (size + to_add - added).max(0);
            }
            self.scale_rs(rs, size)?;
        }
        Ok(())
    }

    /// `scaleReplicaSetAndRecordEvent`: (scaled, the ReplicaSet as stored).
    pub(super) fn scale_rs_and_record(&mut self, rs: ReplicaSet, n: i32) -> Result<(bool, ReplicaSet), ApiError> {
        if rs_replicas(&rs) == n {
            return Ok((false, rs));
        }
        self.scale_rs(rs, n)
    }

    /// `scaleReplicaSet`: the size and the replicas annotations, with a `ScalingReplicaSet` event.
    pub(super) fn scale_rs(&mut self, rs: ReplicaSet, n: i32) -> Result<(bool, ReplicaSet), ApiError> {
        let desired = replicas_of(&self.d);
        let max = desired + util::max_surge(&self.d);
        let old = rs_replicas(&rs);
        let size_changes = old != n;
        if !size_changes && !util::replicas_annotations_need_update(&rs, desired, max) {
            return Ok((false, rs));
        }
        let mut copy = rs;
        util::set_rs_replicas(&mut copy, n);
        util::set_replicas_annotations(&mut copy, desired, max);
        let stored = self.update_rs(copy)?;
        if size_changes {
            let way = if old < n { "up" } else { "down" };
            let name = stored.metadata.name.as_deref().unwrap_or("");
            self.event(
                EventType::Normal,
                "ScalingReplicaSet",
                &format!("Scaled {way} replica set {name} from {old} to {n}"),
            );
        }
        Ok((size_changes, stored))
    }

    /// `cleanupDeployment`: delete the oldest old ReplicaSets past `revisionHistoryLimit`, those
    /// with no replicas whose status has caught up.
    pub(super) fn cleanup_deployment(&mut self, old: &[ReplicaSet]) -> Result<(), ApiError> {
        let Some(limit) = self.d.spec.as_ref().and_then(|s| s.revision_history_limit) else { return Ok(()) };
        let mut cleanable: Vec<&ReplicaSet> =
            old.iter().filter(|rs| rs.metadata.deletion_timestamp.is_none()).collect();
        let diff = cleanable.len() as i64 - i64::from(limit);
        if diff <= 0 {
            return Ok(());
        }
        cleanable.sort_by(|a, b| util::by_revision(a, b));
        for rs in cleanable.into_iter().take(diff as usize) {
            let status = rs.status.clone().unwrap_or_default();
            if status.replicas != 0
                || rs_replicas(rs) != 0
                || rs.metadata.generation.unwrap_or(0) > status.observed_generation.unwrap_or(0)
            {
                continue;
            }
            let (ns, name) =
                (rs.metadata.namespace.as_deref().unwrap_or(""), rs.metadata.name.as_deref().unwrap_or(""));
            match self.ctx.api.delete(self.user, crate::model::Kind::ReplicaSet, ns, name, DeleteOptions::default()) {
                Err(e) if e.reason != Reason::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }

    /// `syncDeploymentStatus`.
    pub(super) fn sync_deployment_status(&mut self, split: &Split) -> Result<(), ApiError> {
        let status = self.calculate_status(split);
        if self.d.status.as_ref() == Some(&status) {
            return Ok(());
        }
        self.d.status = Some(status);
        self.update_status()
    }
}
