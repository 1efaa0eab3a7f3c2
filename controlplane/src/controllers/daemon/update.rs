//! `update.go`: the rolling update (without and with surge) and the DaemonSet's history, its
//! ControllerRevisions: the current one found or made (`constructHistory`, `snapshot`), its
//! duplicates merged, and old ones beyond `revisionHistoryLimit` deleted.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::shared::Node;
use crate::model::Pod;
use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet};
use k8s_openapi::apimachinery::pkg::runtime::RawExtension;
use serde_json::{json, Value};

use super::util::{is_pod_updated, surge_count, template, template_generation, unavailable_count, REVISION_HASH_LABEL};
use super::{DaemonSetsController, NodePods, Sync};
use crate::apiserver::{ApiError, DeleteOptions, PatchType, Reason};
use crate::controllers::controller_utils::{compute_hash, is_pod_available, new_controller_ref, ControllerRefManager};
use crate::controllers::history::{max_revision, revision_name, sort_by_revision, template_patch};
use crate::model::selector::LabelSelector;
use crate::model::{Kind, Typed};
use crate::sim::component::Ctx;

/// `getPatch`: what a revision stores, a strategic merge patch that puts the template back.
pub fn get_patch(ds: &DaemonSet) -> Value {
    template_patch(template(ds))
}

/// `Match`: whether `revision` holds the DaemonSet's current template.
pub fn matches(ds: &DaemonSet, revision: &ControllerRevision) -> bool {
    revision.data.as_ref().is_some_and(|d| d.0 == get_patch(ds))
}

fn hash_label(r: &ControllerRevision) -> Option<&str> {
    r.metadata.labels.as_ref()?.get(REVISION_HASH_LABEL).map(String::as_str)
}

/// `findUpdatedPodsOnNode`: a node's one new and one old pod (not being deleted), or None when
/// it has more of either, which the manage loop prunes first.
fn find_updated_pods_on_node<'a>(
    ds: &DaemonSet,
    pods: &[&'a Pod],
    hash: &str,
) -> Option<(Option<&'a Pod>, Option<&'a Pod>)> {
    let (mut new, mut old) = (None, None);
    let generation = template_generation(ds);
    for &pod in pods.iter().filter(|p| p.metadata.deletion_timestamp.is_none()) {
        let slot = if is_pod_updated(pod, hash, generation) { &mut new } else { &mut old };
        if slot.replace(pod).is_some() {
            return None;
        }
    }
    Some((new, old))
}

fn name(pod: &Pod) -> String {
    pod.metadata.name.clone().unwrap_or_default()
}

impl DaemonSetsController {
    /// `constructHistory`: the current revision (made when none matches the template, its
    /// number raised above the old ones when it was rolled back to) and the old ones.
    pub(super) fn construct_history<'a>(
        &mut self,
        ctx: &mut Ctx<'a>,
        s: &Sync<'a>,
    ) -> Result<(ControllerRevision, Vec<ControllerRevision>), ApiError> {
        let informers = ctx.informers;
        let selector = LabelSelector::from_k8s(&s.ds.spec.clone().unwrap_or_default().selector)
            .unwrap_or_else(|_| LabelSelector::nothing());
        let all = informers.list_namespace(Kind::ControllerRevision, s.obj.namespace());
        let candidates: Vec<&ControllerRevision> = all.filter_map(|o| ControllerRevision::from_object(o)).collect();
        let histories = ControllerRefManager::new(s.obj, &selector, &self.user)
            .claim(ctx.api, candidates, &[])
            .map_err(ApiError::from)?;
        let (mut current, mut old) = (Vec::new(), Vec::new());
        for history in histories {
            let mut history = history.clone();
            if hash_label(&history).is_none() {
                // The unique label is the name, so a hash collision cannot matter.
                let name = history.metadata.name.clone().unwrap_or_default();
                history.metadata.labels.get_or_insert_with(Default::default).insert(REVISION_HASH_LABEL.into(), name);
                let updated = ctx.api.update(&self.user, history.clone().into_object())?;
                history = ControllerRevision::from_object(&updated).cloned().unwrap_or(history);
            }
            if matches(s.ds, &history) {
                current.push(history);
            } else {
                old.push(history);
            }
        }
        let next = max_revision(&old).saturating_add(1);
        let cur = if current.is_empty() {
            self.snapshot(ctx, s, next)?
        } else {
            let mut cur = self.dedup(ctx, s, current)?;
            if cur.revision < next {
                cur.revision = next;
                let updated = ctx.api.update(&self.user, cur.clone().into_object())?;
                cur = ControllerRevision::from_object(&updated).cloned().unwrap_or(cur);
            }
            cur
        };
        Ok((cur, old))
    }

    /// `snapshot`: a new revision named by the template's hash. A name already taken by a
    /// different template is a hash collision: the DaemonSet's collisionCount goes up and the
    /// next sync hashes again.
    fn snapshot(&mut self, ctx: &mut Ctx<'_>, s: &Sync<'_>, revision: i64) -> Result<ControllerRevision, ApiError> {
        let collision_count = s.ds.status.as_ref().and_then(|st| st.collision_count);
        let template_value = serde_json::to_value(template(s.ds)).unwrap_or_default();
        let hash = compute_hash(&template_value, collision_count);
        let name = revision_name(s.obj.name(), &hash);
        let mut labels = template(s.ds).metadata.as_ref().and_then(|m| m.labels.clone()).unwrap_or_default();
        labels.insert(REVISION_HASH_LABEL.into(), hash.clone());
        let history = ControllerRevision {
            metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                name: Some(name.clone()),
                namespace: Some(s.obj.namespace().to_string()),
                labels: Some(labels),
                annotations: s.ds.metadata.annotations.clone(),
                owner_references: Some(vec![new_controller_ref(s.obj)]),
                ..Default::default()
            },
            data: Some(RawExtension(get_patch(s.ds))),
            revision,
        };
        let ns = s.obj.namespace();
        match ctx.api.create(&self.user, ns, history.into_object()) {
            Ok(created) => Ok(ControllerRevision::from_object(&created).cloned().unwrap_or_default()),
            Err(e) if e.reason == Reason::AlreadyExists => {
                let existing = ctx.api.get(&self.user, Kind::ControllerRevision, ns, &name)?;
                if let Some(existing) = ControllerRevision::from_object(&existing).filter(|r| matches(s.ds, r)) {
                    return Ok(existing.clone());
                }
                let fresh = ctx.api.get(&self.user, Kind::DaemonSet, ns, s.obj.name())?;
                let Some(fresh) = DaemonSet::from_object(&fresh) else { return Err(e) };
                let fresh_count = fresh.status.as_ref().and_then(|st| st.collision_count);
                if fresh_count != collision_count {
                    return Err(ApiError::new(
                        Reason::Conflict,
                        format!(
                            "found a stale collision count ({}, expected {}) of DaemonSet {:?} while processing; will retry until it is updated",
                            collision_count.unwrap_or(0),
                            fresh_count.unwrap_or(0),
                            s.obj.name()
                        ),
                    ));
                }
                let mut bumped = fresh.clone();
                let status = bumped.status.get_or_insert_with(Default::default);
                status.collision_count = Some(fresh_count.unwrap_or(0) + 1);
                ctx.api.update_status(&self.user, bumped.into_object())?;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// `dedupCurHistories`: of several revisions holding the current template, keep the
    /// newest; relabel the pods of the others to it and delete them.
    fn dedup(
        &mut self,
        ctx: &mut Ctx<'_>,
        s: &Sync<'_>,
        current: Vec<ControllerRevision>,
    ) -> Result<ControllerRevision, ApiError> {
        let keep_index = current
            .iter()
            .enumerate()
            .fold((0, i64::MIN), |(bi, br), (i, r)| if r.revision >= br { (i, r.revision) } else { (bi, br) })
            .0;
        if current.len() == 1 {
            return Ok(current.into_iter().next().unwrap_or_default());
        }
        let keep = current[keep_index].clone();
        let keep_hash = hash_label(&keep).unwrap_or("").to_string();
        for pod in s.pods.values().flatten() {
            if pod.metadata.labels.as_ref().and_then(|l| l.get(REVISION_HASH_LABEL)) != Some(&keep_hash) {
                let patch = json!({"metadata": {"labels": {REVISION_HASH_LABEL: keep_hash}}});
                ctx.api.patch(&self.user, Kind::Pod, s.obj.namespace(), &name(pod), PatchType::Merge, &patch)?;
            }
        }
        for r in current.iter().filter(|r| r.metadata.name != keep.metadata.name) {
            let rname = r.metadata.name.as_deref().unwrap_or("");
            ctx.api.delete(&self.user, Kind::ControllerRevision, s.obj.namespace(), rname, DeleteOptions::default())?;
        }
        Ok(keep)
    }

    /// `cleanupHistory`: delete the oldest revisions beyond `revisionHistoryLimit`, except
    /// those some pod (even a finished, deleted one) still carries.
    pub(super) fn cleanup_history(
        &mut self,
        ctx: &mut Ctx<'_>,
        s: &Sync<'_>,
        old: Vec<ControllerRevision>,
    ) -> Result<(), ApiError> {
        let keep = s.ds.spec.as_ref().and_then(|sp| sp.revision_history_limit).unwrap_or(10).max(0) as usize;
        let mut to_kill = old.len().saturating_sub(keep);
        if to_kill == 0 {
            return Ok(());
        }
        let live: BTreeSet<&str> = s
            .all_pods
            .iter()
            .filter_map(|p| p.metadata.labels.as_ref()?.get(REVISION_HASH_LABEL).map(String::as_str))
            .filter(|h| !h.is_empty())
            .collect();
        let mut old: Vec<&ControllerRevision> = old.iter().collect();
        sort_by_revision(&mut old);
        for history in old {
            if to_kill == 0 {
                break;
            }
            if hash_label(history).is_some_and(|h| live.contains(h)) {
                continue;
            }
            let rname = history.metadata.name.as_deref().unwrap_or("");
            ctx.api.delete(&self.user, Kind::ControllerRevision, s.obj.namespace(), rname, DeleteOptions::default())?;
            to_kill -= 1;
        }
        Ok(())
    }

    /// `updatedDesiredNodeCounts`: (maxSurge, maxUnavailable, desiredNumberScheduled); a node
    /// that should run a pod and has none counts as a node with no pods.
    fn desired_counts(s: &Sync<'_>, pods: &mut NodePods<'_>) -> (i32, i32, i32) {
        let mut desired = 0;
        for (node, fit) in s.nodes.iter().zip(&s.fits) {
            if !fit.0 {
                continue;
            }
            desired += 1;
            pods.entry(node_name(node).to_string()).or_default();
        }
        let mut max_unavailable = unavailable_count(s.ds, desired);
        let max_surge = surge_count(s.ds, desired);
        // An impossible configuration (both 0) falls back to one unavailable at a time.
        if desired > 0 && max_unavailable == 0 && max_surge == 0 {
            max_unavailable = 1;
        }
        (max_surge, max_unavailable, desired)
    }

    /// `rollingUpdate`: which old pods to delete and on which nodes to surge a new pod.
    /// Nodes go in name order (upstream walks a Go map, in no order).
    pub(super) fn rolling_update(s: &Sync<'_>, hash: &str) -> (Vec<String>, Vec<String>) {
        let mut pods = s.pods.clone();
        let (max_surge, max_unavailable, desired) = Self::desired_counts(s, &mut pods);
        let available = |p: &Pod| is_pod_available(p, s.min_ready_seconds(), s.now);
        if max_surge == 0 {
            let mut num_unavailable = 0;
            let (mut allowed, mut candidates) = (Vec::new(), Vec::new());
            for node_pods in pods.values() {
                let Some((new, old)) = find_updated_pods_on_node(s.ds, node_pods, hash) else {
                    num_unavailable += 1;
                    continue;
                };
                match (new, old) {
                    (None, None) | (Some(_), Some(_)) => num_unavailable += 1,
                    (Some(new), None) => {
                        if !available(new) {
                            num_unavailable += 1;
                        }
                    }
                    (None, Some(old)) => {
                        if !available(old) {
                            allowed.push(name(old));
                            num_unavailable += 1;
                        } else if num_unavailable < max_unavailable {
                            candidates.push(name(old));
                        }
                    }
                }
            }
            let remaining = (max_unavailable - num_unavailable).clamp(0, candidates.len() as i32) as usize;
            allowed.extend(candidates.into_iter().take(remaining));
            return (allowed, Vec::new());
        }
        let (mut old_to_delete, mut should_not_run) = (Vec::new(), Vec::new());
        let (mut candidates, mut allowed) = (Vec::new(), Vec::new());
        let (mut num_surge, mut num_available) = (0, 0);
        let fits: BTreeMap<&str, bool> = s.nodes.iter().zip(&s.fits).map(|(n, f)| (node_name(n), f.0)).collect();
        let should_run = |node: &str| fits.get(node).copied().unwrap_or(false);
        for (node, node_pods) in &pods {
            let Some((new, old)) = find_updated_pods_on_node(s.ds, node_pods, hash) else {
                num_surge += 1;
                continue;
            };
            if old.or(new).is_some_and(available) {
                num_available += 1;
            }
            match (new, old) {
                (_, None) => {}
                (None, Some(old)) if !available(old) => {
                    if !should_run(node) {
                        old_to_delete.push(name(old));
                    } else {
                        allowed.push(node.clone());
                    }
                }
                (None, Some(old)) => {
                    if !should_run(node) {
                        should_not_run.push(name(old));
                    } else if num_surge < max_surge {
                        candidates.push(node.clone());
                    }
                }
                (Some(new), Some(old)) => {
                    if !available(new) {
                        num_surge += 1;
                    } else {
                        old_to_delete.push(name(old));
                    }
                }
            }
        }
        // Pods on nodes that should no longer run one go only while the rest stay available.
        let deletable = (num_available - desired).clamp(0, should_not_run.len() as i32) as usize;
        old_to_delete.extend(should_not_run.into_iter().take(deletable));
        let remaining = (max_surge - num_surge).clamp(0, candidates.len() as i32) as usize;
        allowed.extend(candidates.into_iter().take(remaining));
        (old_to_delete, allowed)
    }
}

fn node_name(node: &Node) -> &str {
    node.metadata.name.as_deref().unwrap_or("")
}
