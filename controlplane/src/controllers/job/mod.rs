//! The Job controller (`job-controller`, `pkg/controller/job`): pods from the Job's template
//! until `completions` succeed (or, without completions, one does), at most `parallelism`
//! at a time; NonIndexed or Indexed (`indexed.rs`); failed pods replaced after a back-off
//! (`pod_backoff.rs`) until `backoffLimit`, `backoffLimitPerIndex` or `activeDeadlineSeconds`
//! fails the Job, or a `podFailurePolicy` rule (`failure_policy.rs`) decides otherwise; a
//! `successPolicy` (`success_policy.rs`) may end it early; suspend and resume. Finished pods
//! are counted through `status.uncountedTerminatedPods` and the tracking finalizer
//! (`tracking.rs`), and the terminal condition comes only once no pod is left terminating:
//! FailureTarget then Failed, SuccessCriteriaMet then Complete, as v1.33 does.
//!
//! As upstream, a pod's change or a Job's status change is synced a second later
//! (`syncJobBatchPeriod`), so several are seen at once; a new Job or a change to its spec at
//! once. Upstream's expectations are not needed: a sync always sees the writes of the one
//! before.

mod failure_policy;
mod finish;
pub mod indexed;
mod manage;
mod pod_backoff;
mod success_policy;
mod tracking;
pub mod util;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

pub use crate::model::Job;
use crate::model::Pod;
use chrono::{DateTime, Duration, Utc};
use k8s_openapi::api::batch::v1::JobCondition;

use self::finish::failed_from_target;
use self::indexed::Intervals;
use self::pod_backoff::{BackoffRecord, BackoffStore};
use self::util::{
    has_tracking_finalizer, is_finished, is_indexed, is_pod_failed, is_suspended, is_terminating, new_condition, phase,
    uid, TRACKING_FINALIZER,
};
use super::controller_utils::{filter_active_pods, is_pod_ready, ControllerRefManager, PodControl};
use super::informers::{controller_of, Informers};
use super::runtime::{controller_user, Action, Controller};
use crate::apiserver::{ApiError, PatchType, Reason, WatchEvent, WatchEventType};
use crate::events::{EventRecorder, EventType};
use crate::model::selector::LabelSelector;
use crate::model::{Kind, Object, Typed};
use crate::sim::component::Ctx;

pub const NAME: &str = "job-controller";
/// `MaxPodCreateDeletePerSync`.
const MAX_POD_CREATE_DELETE_PER_SYNC: usize = 500;
/// The queue key of an orphan pod whose tracking finalizer is to go (upstream's orphan
/// queue); a space is in no object key.
const ORPHAN: &str = "orphan ";
/// The key of a Job to sync after the batch period, and of the timer that then syncs it.
const BATCH: &str = "batch ";
const BATCHED: &str = "batched ";
/// `syncJobBatchPeriod`, in seconds.
const SYNC_JOB_BATCH_PERIOD: i64 = 1;

pub struct JobController {
    user: String,
    control: PodControl,
    backoff: BackoffStore,
    /// Jobs whose batched sync is waiting for its timer.
    batched: BTreeSet<String>,
    /// Each unfinished Job's selector by uid, parsed at its first sync (a Job's selector is
    /// immutable); dropped when the Job finishes or goes. Looked up only, never walked.
    selectors: crate::fasthash::HashMap<String, Option<LabelSelector>>,
}

impl Default for JobController {
    fn default() -> Self {
        let user = controller_user(NAME);
        let control = PodControl::new(&user, EventRecorder::new(NAME, None, &user));
        JobController {
            user,
            control,
            backoff: BackoffStore::default(),
            batched: BTreeSet::new(),
            selectors: Default::default(),
        }
    }
}

/// What one sync of one Job reads and decides (`syncJobCtx`).
pub(super) struct JobCtx<'a> {
    key: &'a str,
    /// The Job as read, for events and owner references.
    obj: &'a Arc<Object>,
    /// The Job as read: its spec decides everything this sync does.
    shared: &'a Job,
    /// The status write this sync builds: the Job's name, namespace and resourceVersion and its
    /// status, without its spec (a status write sends none), so a sync never copies the pod
    /// template or the rest of the metadata.
    job: Job,
    pods: Vec<&'a Pod>,
    active: Vec<&'a Pod>,
    finished: Option<JobCondition>,
    succeeded: i32,
    failed: i32,
    prev_succeeded_indexes: Intervals,
    succeeded_indexes: Intervals,
    failed_indexes: Option<Intervals>,
    new_backoff: BackoffRecord,
    uncounted_succeeded: BTreeSet<String>,
    uncounted_failed: BTreeSet<String>,
    /// Per index, the failed pod whose removal waits until its replacement exists.
    delayed_deletion: BTreeMap<i64, &'a Pod>,
    terminating: i32,
    ready: i32,
    now: DateTime<Utc>,
    requeue: Option<Duration>,
}

impl JobCtx<'_> {
    fn requeue_after(&mut self, d: Duration) {
        self.requeue = Some(self.requeue.map_or(d, |r| r.min(d)));
    }

    fn completions(&self) -> Option<i32> {
        self.shared.spec.as_ref().and_then(|s| s.completions)
    }

    fn backoff_limit_per_index(&self) -> Option<i32> {
        self.shared.spec.as_ref().and_then(|s| s.backoff_limit_per_index)
    }
}

fn job_selector(job: &Job) -> Option<LabelSelector> {
    let s = job.spec.as_ref()?.selector.as_ref()?;
    LabelSelector::from_k8s(s).ok()
}

fn as_pod(obj: &Object) -> Option<&Pod> {
    Pod::from_object(obj)
}

/// The controlling Job of `pod`, as the informer has it (`resolveControllerRef`).
fn controlling_job<'a>(informers: &'a Informers, pod: &Object) -> Option<&'a Job> {
    let r = controller_of(pod).filter(|r| r.kind == "Job" && r.api_version == "batch/v1")?;
    let job = informers.get(Kind::Job, &crate::model::object::namespaced_key(pod.namespace(), &r.name))?;
    Job::from_object(job).filter(|j| j.metadata.uid.as_deref() == Some(r.uid.as_str()))
}

impl Controller for JobController {
    fn name(&self) -> &'static str {
        NAME
    }

    fn watches(&self) -> &'static [Kind] {
        &[Kind::Job, Kind::Pod]
    }

    /// A Job by its key; a deleted or finished Job also sends its pods that still hold the
    /// finalizer to the orphan queue (`cleanupPodFinalizers`). A pod with the finalizer whose
    /// Job is gone or finished goes there too; an orphan pod that is new or changed labels wakes
    /// the Jobs that select it. A pod's change wakes its Job (and a Job it left) after the batch period.
    fn keys_for(&mut self, event: &WatchEvent, old: Option<&Object>, informers: &Informers) -> Vec<String> {
        let o = &event.object;
        match &**o {
            Object::Job(job) => {
                // A status change (same generation) is batched; a new Job or new spec is not.
                let same_generation = old.is_some_and(|old| old.metadata().generation == job.metadata.generation);
                let mut keys = match event.event_type {
                    WatchEventType::Modified if same_generation => vec![[BATCH, &o.key()].concat()],
                    _ => vec![o.key()],
                };
                if event.event_type == WatchEventType::Deleted || is_finished(job) {
                    let uid = job.metadata.uid.as_deref().unwrap_or("");
                    self.selectors.remove(uid);
                    let pods = informers
                        .controlled_by(Kind::Pod, uid)
                        .filter(|p| as_pod(p).is_some_and(has_tracking_finalizer));
                    keys.extend(pods.map(|p| [ORPHAN, &p.key()].concat()));
                }
                keys
            }
            Object::Pod(pod) => {
                let mut keys = Vec::new();
                // A controller reference that moved tells the old Job too (one that stayed names
                // the same Job: looked up once).
                let uid = controller_of(o).map(|r| r.uid.as_str());
                let moved = old.filter(|old| controller_of(old).map(|r| r.uid.as_str()) != uid);
                let old_job = moved.and_then(|old| controlling_job(informers, old));
                let job = controlling_job(informers, o);
                if has_tracking_finalizer(pod) && job.is_none_or(is_finished) {
                    keys.push([ORPHAN, &o.key()].concat());
                }
                for j in [old_job, job].into_iter().flatten() {
                    let key = [BATCH, o.namespace(), "/", j.metadata.name.as_deref().unwrap_or("")].concat();
                    if !keys.contains(&key) {
                        keys.push(key);
                    }
                }
                let deleted = event.event_type == WatchEventType::Deleted;
                // Labels compared only for an orphan (most pods have a controller).
                let relabelled = || old.is_none_or(|old| old.labels() != o.labels() || controller_of(old).is_some());
                if uid.is_none() && !deleted && relabelled() {
                    let jobs = informers.list_namespace(Kind::Job, o.namespace());
                    let matching = jobs.filter(|j| {
                        Job::from_object(j)
                            .and_then(job_selector)
                            .is_some_and(|s| !s.is_empty() && s.matches(o.labels()))
                    });
                    keys.extend(matching.map(|j| [BATCH, &j.key()].concat()));
                }
                keys
            }
            _ => Vec::new(),
        }
    }

    fn reconcile(&mut self, key: &str, ctx: &mut Ctx<'_>) -> Result<Action, ApiError> {
        if let Some(pod) = key.strip_prefix(ORPHAN) {
            self.sync_orphan_pod(pod, ctx)?;
            return Ok(Action::AwaitChange);
        }
        if let Some(job) = key.strip_prefix(BATCH) {
            // `enqueueSyncJobBatched`: one timer however many events come meanwhile.
            if self.batched.insert(job.to_string()) {
                ctx.after(Duration::seconds(SYNC_JOB_BATCH_PERIOD), format!("{BATCHED}{job}"));
            }
            return Ok(Action::AwaitChange);
        }
        if let Some(job) = key.strip_prefix(BATCHED) {
            self.batched.remove(job);
            return match self.sync_job(job, ctx)? {
                // Retries and requeues go to the Job's own key.
                Action::RequeueAfter(d) => {
                    ctx.after(d, job.to_string());
                    Ok(Action::AwaitChange)
                }
                Action::AwaitChange => Ok(Action::AwaitChange),
                // Through the runtime's limiter: the batched key syncs the same Job again.
                Action::RequeueRateLimited => Ok(Action::RequeueRateLimited),
            };
        }
        self.sync_job(key, ctx)
    }
}

impl JobController {
    /// `syncOrphanPod`: remove the tracking finalizer of a pod no unfinished Job controls.
    fn sync_orphan_pod(&mut self, key: &str, ctx: &mut Ctx<'_>) -> Result<(), ApiError> {
        let informers = ctx.informers;
        let Some(obj) = informers.get(Kind::Pod, key) else { return Ok(()) };
        let Some(pod) = as_pod(obj) else { return Ok(()) };
        if let Some(r) = controller_of(obj) {
            if r.kind != "Job" || r.api_version != "batch/v1" {
                return Ok(());
            }
            if controlling_job(informers, obj).is_some_and(|j| !is_finished(j)) {
                return Ok(());
            }
        }
        match self.remove_tracking_finalizer(ctx, pod) {
            Err(e) if e.reason != Reason::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// `removeTrackingFinalizerPatch`, as a JSON patch that tests the entry it removes.
    fn remove_tracking_finalizer(&mut self, ctx: &mut Ctx<'_>, pod: &Pod) -> Result<(), ApiError> {
        let Some(i) = pod.metadata.finalizers.iter().flatten().position(|f| f == TRACKING_FINALIZER) else {
            return Ok(());
        };
        let finalizers = pod.metadata.finalizers.clone().unwrap_or_default();
        // The last finalizer takes the list with it, as Go's omitempty leaves no empty list.
        let patch = if finalizers.len() == 1 {
            serde_json::json!([
                {"op": "test", "path": "/metadata/finalizers", "value": finalizers},
                {"op": "remove", "path": "/metadata/finalizers"},
            ])
        } else {
            let path = format!("/metadata/finalizers/{i}");
            serde_json::json!([
                {"op": "test", "path": path, "value": TRACKING_FINALIZER},
                {"op": "remove", "path": path},
            ])
        };
        let namespace = pod.metadata.namespace.as_deref().unwrap_or("");
        ctx.api.patch(&self.user, Kind::Pod, namespace, util::name(pod), PatchType::Json, &patch).map(|_| ())
    }

    /// `getPodsForJob`: the pods the Job owns after adopting matching orphans and releasing
    /// pods that stopped matching.
    fn pods_for_job<'a>(&mut self, ctx: &mut Ctx<'a>, obj: &'a Object, job: &Job) -> Result<Vec<&'a Pod>, ApiError> {
        let informers = ctx.informers;
        let uid = job.metadata.uid.as_deref().unwrap_or("");
        let mut candidates: Vec<&Arc<Object>> =
            informers.controlled_by(Kind::Pod, uid).chain(informers.orphans(Kind::Pod, obj.namespace())).collect();
        candidates.sort_by(|a, b| a.name().cmp(b.name()));
        if !self.selectors.contains_key(uid) {
            self.selectors.insert(uid.to_string(), job_selector(job));
        }
        let Some(selector) = self.selectors.get(uid).and_then(Option::as_ref) else { return Ok(Vec::new()) };
        let pods = candidates.into_iter().filter_map(|p| as_pod(p));
        ControllerRefManager::new(obj, selector, &self.user)
            .with_finalizers(&[TRACKING_FINALIZER])
            .claim(ctx.api, pods, &[])
            .map_err(ApiError::from)
    }

    /// `syncJob`.
    fn sync_job(&mut self, key: &str, ctx: &mut Ctx<'_>) -> Result<Action, ApiError> {
        let informers = ctx.informers;
        let Some(obj) = informers.get(Kind::Job, key) else {
            self.backoff.remove(key);
            return Ok(Action::AwaitChange);
        };
        let Some(shared) = Job::from_object(obj) else { return Ok(Action::AwaitChange) };
        let spec = shared.spec.as_ref();
        if spec.and_then(|s| s.managed_by.as_deref()).is_some_and(|m| m != "kubernetes.io/job-controller") {
            return Ok(Action::AwaitChange);
        }
        if is_finished(shared) {
            self.backoff.remove(key);
            return Ok(Action::AwaitChange);
        }
        if spec.and_then(|s| s.completion_mode.as_deref()).is_some_and(|m| m != "NonIndexed" && m != "Indexed") {
            let message = "Skipped Job sync because completion mode is unknown";
            self.control.recorder().record(ctx.api, obj, None, EventType::Warning, "UnknownCompletionMode", message);
            return Ok(Action::AwaitChange);
        }
        // What a status write sends: the metadata (shared with the stored version) and status.
        let mut job = Job {
            metadata: shared.metadata.clone(),
            resource_version: shared.resource_version.clone(),
            spec: None,
            status: shared.status.clone(),
        };
        let status = job.status.get_or_insert_with(Default::default);
        let uncounted = status.uncounted_terminated_pods.get_or_insert_with(Default::default);
        let (uncounted_succeeded, uncounted_failed): (BTreeSet<String>, BTreeSet<String>) = (
            uncounted.succeeded.iter().flatten().cloned().collect(),
            uncounted.failed.iter().flatten().cloned().collect(),
        );
        let claimed = self.pods_for_job(ctx, obj, shared)?;
        // The pods just adopted got the tracking finalizer with their owner reference; the
        // rest of this sync sees them with it, as upstream's `getPodsForJob` makes them.
        let job_uid = shared.metadata.uid.as_deref().unwrap_or("");
        let adopted: Vec<Pod> = claimed
            .iter()
            .filter(|p| !p.metadata.owner_references.iter().flatten().any(|r| r.uid == job_uid))
            .filter(|p| !has_tracking_finalizer(p))
            .map(|p| {
                let mut p = (*p).clone();
                p.metadata.finalizers.get_or_insert_with(Vec::new).push(TRACKING_FINALIZER.into());
                p
            })
            .collect();
        let pods: Vec<&Pod> =
            claimed.into_iter().map(|p| adopted.iter().find(|a| uid(a) == uid(p)).unwrap_or(p)).collect();
        let now = ctx.now();
        let active = filter_active_pods(pods.iter().copied());
        let mut jc = JobCtx {
            key,
            obj,
            shared,
            job,
            ready: active.iter().filter(|p| is_pod_ready(p)).count() as i32,
            terminating: pods.iter().filter(|p| is_terminating(p)).count() as i32,
            active,
            pods,
            finished: None,
            succeeded: 0,
            failed: 0,
            prev_succeeded_indexes: Intervals::default(),
            succeeded_indexes: Intervals::default(),
            failed_indexes: None,
            new_backoff: BackoffRecord::default(),
            uncounted_succeeded,
            uncounted_failed,
            delayed_deletion: BTreeMap::new(),
            now,
            requeue: None,
        };
        let mut active_count = jc.active.len() as i32;
        let (new_succeeded, new_failed) = new_finished_pods(&jc);
        let status = jc.job.status.as_ref();
        let (succeeded, failed) = (status.and_then(|s| s.succeeded), status.and_then(|s| s.failed));
        let started = status.is_some_and(|s| s.start_time.is_some());
        jc.succeeded = succeeded.unwrap_or(0) + new_succeeded.len() as i32 + jc.uncounted_succeeded.len() as i32;
        let counted_failed = match failure_policy::policy(jc.shared) {
            Some(p) => new_failed.iter().filter(|pod| failure_policy::match_policy(p, pod).count_failed).count(),
            None => new_failed.len(),
        };
        jc.failed = failed.unwrap_or(0) + counted_failed as i32 + jc.uncounted_failed.len() as i32;
        if !started && !is_suspended(jc.shared) {
            jc.job.status.get_or_insert_with(Default::default).start_time = Some(crate::apiserver::k8s_time(now));
        }
        jc.new_backoff = self.backoff.new_record(key, &new_succeeded, &new_failed);

        self.decide_finished(&mut jc);
        if is_indexed(jc.shared) {
            self.decide_indexed(&mut jc);
        }
        let mut suspend_changed = false;
        let mut manage_error = None;
        if jc.finished.is_some() {
            let (deleted_ready, deleted, err) = self.delete_active_pods(ctx, &jc);
            if deleted != active_count {
                jc.finished = None;
            }
            active_count -= deleted;
            jc.terminating += deleted;
            jc.ready -= deleted_ready;
            manage_error = err;
        } else {
            let mut manage_called = false;
            if jc.shared.metadata.deletion_timestamp.is_none() {
                let (active, err) = self.manage_job(ctx, &mut jc);
                active_count = active;
                manage_error = err;
                manage_called = true;
            }
            let complete = match jc.completions() {
                None => jc.succeeded > 0 && active_count == 0,
                Some(c) => jc.succeeded >= c && active_count == 0,
            };
            if complete {
                let message = "Reached expected number of succeeded pods";
                jc.finished = Some(new_condition("SuccessCriteriaMet", "True", "CompletionsReached", message, now));
            } else if manage_called {
                suspend_changed = self.update_suspended(ctx, &mut jc);
            }
        }
        let status = jc.job.status.get_or_insert_with(Default::default);
        let needs_update = suspend_changed
            || active_count != status.active.unwrap_or(0)
            || Some(jc.ready) != status.ready
            || Some(jc.terminating) != status.terminating;
        status.active = Some(active_count).filter(|a| *a != 0);
        status.ready = Some(jc.ready);
        status.terminating = Some(jc.terminating);
        self.track_status_and_remove_finalizers(ctx, &mut jc, needs_update)?;
        if let Some(e) = manage_error {
            return Err(e);
        }
        Ok(jc.requeue.map_or(Action::AwaitChange, Action::RequeueAfter))
    }
}

/// `getNewFinishedPods`: the succeeded and failed pods not counted yet (holding the finalizer
/// and not in the uncounted lists), of a valid index for an Indexed Job.
fn new_finished_pods<'a>(jc: &JobCtx<'a>) -> (Vec<&'a Pod>, Vec<&'a Pod>) {
    let completions = i64::from(jc.completions().unwrap_or(0));
    let valid = |p: &&&'a Pod, uncounted: &BTreeSet<String>| {
        has_tracking_finalizer(p)
            && !uncounted.contains(uid(p))
            && (!is_indexed(jc.shared) || indexed::valid_index(p, completions).is_some())
    };
    let succeeded =
        jc.pods.iter().filter(|p| valid(p, &jc.uncounted_succeeded) && phase(p) == "Succeeded").copied().collect();
    let failed =
        jc.pods.iter().filter(|p| valid(p, &jc.uncounted_failed) && is_pod_failed(p, jc.shared)).copied().collect();
    (succeeded, failed)
}

#[cfg(test)]
mod tests;
