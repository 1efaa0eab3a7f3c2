//! `syncCronJob`: the active list kept true to the Jobs, then, at a schedule time, a new Job
//! (or a skip, a miss, a replacement), and when to look again.

use crate::model::Job;
use std::borrow::Cow;
use std::sync::{Arc, LazyLock};

use chrono::{DateTime, Duration, Utc};
use k8s_openapi::api::batch::v1::CronJobSpec;
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::schedule::{self, Missed, Schedule};
use super::{finished_condition, ParsedSchedule, Syncer, SCHEDULED_TIMESTAMP};
use crate::apiserver::registry::cron::load_location;
use crate::apiserver::{from_k8s_time, k8s_time, ApiError, DeleteOptions, Propagation, Reason};
use crate::controllers::controller_utils::new_controller_ref;
use crate::controllers::job::util::conditions;
use crate::events::EventType;
use crate::model::{Kind, Object};

/// `getTimeHashInMinutes`: a Job's name suffix.
pub fn job_name(cronjob: &str, scheduled: DateTime<Utc>) -> String {
    format!("{cronjob}-{}", scheduled.timestamp().div_euclid(60))
}

/// Go's `Format(time.RFC3339)`: `Z` for a zero offset.
fn rfc3339(t: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    t.with_timezone(&tz).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl Syncer<'_, '_> {
    fn spec(&self) -> &CronJobSpec {
        static NONE: LazyLock<CronJobSpec> = LazyLock::new(CronJobSpec::default);
        self.cj.spec.as_deref().unwrap_or(&NONE)
    }

    fn active(&self) -> &[ObjectReference] {
        self.cj.status.as_ref().and_then(|s| s.active.as_deref()).unwrap_or(&[])
    }

    /// `deleteFromActiveList`.
    pub(super) fn delete_from_active(&mut self, uid: Option<&str>) {
        if !self.active().iter().any(|j| j.uid.as_deref() == uid) {
            return;
        }
        if let Some(active) = self.cj.to_mut().status.as_mut().and_then(|s| s.active.as_mut()) {
            active.retain(|j| j.uid.as_deref() != uid);
        }
    }

    /// The last schedule time, or the creation time.
    fn earliest(&self) -> DateTime<Utc> {
        let last = self.cj.status.as_ref().and_then(|s| s.last_schedule_time.as_ref());
        last.or(self.cj.metadata.creation_timestamp.as_ref()).map(from_k8s_time).unwrap_or_else(|| self.ctx.now())
    }

    /// `formatSchedule` (with its warning for a time zone in the schedule) and the parse.
    /// The parse is kept while the schedule and zone stay the same.
    fn schedule(&mut self, warn: bool) -> Result<Arc<Schedule>, String> {
        let spec = self.spec();
        if warn && spec.schedule.contains("TZ") {
            let message = format!(
                "CRON_TZ or TZ used in schedule {} is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details",
                crate::apiserver::error::quote(&spec.schedule)
            );
            self.event(EventType::Warning, "UnsupportedSchedule", &message);
        }
        let spec = self.spec();
        let (text, zone) = (spec.schedule.as_str(), spec.time_zone.as_deref());
        match &*self.schedule {
            Some(p) if p.schedule == text && p.time_zone.as_deref() == zone => {}
            _ => {
                *self.schedule = Some(ParsedSchedule {
                    schedule: text.to_string(),
                    time_zone: zone.map(str::to_string),
                    parsed: schedule::parse(text, zone).map(Arc::new),
                })
            }
        }
        self.schedule.as_ref().map_or_else(|| Err(String::new()), |p| p.parsed.clone())
    }

    fn next_duration(&self, schedule: &Schedule) -> Option<Duration> {
        schedule::next_schedule_time_duration(self.earliest(), self.ctx.now(), schedule)
    }

    /// `updateCronJob` for a changed schedule: wait for the new schedule's next time.
    pub(super) fn requeue_for_new_schedule(&mut self) -> super::Action {
        match self.schedule(false) {
            Ok(s) => self.next_duration(&s).map_or(super::Action::AwaitChange, super::Action::RequeueAfter),
            Err(_) => {
                let message = format!("unparseable schedule for cronjob: {}", self.spec().schedule);
                self.event(EventType::Warning, "UnParseableCronJobSchedule", &message);
                super::Action::AwaitChange
            }
        }
    }

    /// `syncCronJob`: when to look again, and the error to retry with.
    pub(super) fn sync_cron_job(&mut self, jobs: &[&Job]) -> (Option<Duration>, Result<(), ApiError>) {
        match self.sync_active(jobs) {
            Ok(true) => {}
            Ok(false) => return (None, Ok(())),
            Err(e) => return (None, Err(e)),
        }
        self.sync_schedule()
    }

    /// The active list against the Jobs that exist; `false` when the sync stops there.
    fn sync_active(&mut self, jobs: &[&Job]) -> Result<bool, ApiError> {
        for j in jobs {
            let uid = j.metadata.uid.as_deref();
            let found = self.active().iter().any(|a| a.uid.as_deref() == uid);
            let finished = finished_condition(j);
            let name = j.metadata.name.as_deref().unwrap_or("");
            match finished {
                None if !found => {
                    let fresh =
                        self.ctx.api.get(self.user, Kind::CronJob, self.object.namespace(), self.object.name())?;
                    if let Object::CronJob(fresh) = &*fresh {
                        let listed = fresh.status.as_ref().and_then(|s| s.active.as_deref()).unwrap_or(&[]);
                        if listed.iter().any(|a| a.uid.as_deref() == uid) {
                            self.cj = Cow::Owned((**fresh).clone());
                            continue;
                        }
                    }
                    let message = format!("Saw a job that the controller did not create or forgot: {name}");
                    self.event(EventType::Warning, "UnexpectedJob", &message);
                }
                None => {}
                Some(condition) => {
                    if found {
                        self.delete_from_active(uid);
                        let message = format!("Saw completed job: {name}, condition: {condition}");
                        self.event(EventType::Normal, "SawCompletedJob", &message);
                        self.update_status = true;
                    }
                    if is_succeeded(j) {
                        self.note_success(j);
                    }
                }
            }
        }
        // An active Job that is gone (asked of the API server, not the informer). The list is
        // short (the Jobs still running): each is looked for among the children.
        let is_child = |a: &ObjectReference| {
            jobs.iter().any(|j| j.metadata.uid.as_deref().unwrap_or("") == a.uid.as_deref().unwrap_or(""))
        };
        let missing: Vec<ObjectReference> = self.active().iter().filter(|a| !is_child(a)).cloned().collect();
        for a in missing {
            let (ns, name) = (a.namespace.as_deref().unwrap_or(""), a.name.as_deref().unwrap_or(""));
            match self.ctx.api.get(self.user, Kind::Job, ns, name) {
                Err(e) if e.reason == Reason::NotFound => {
                    self.event(EventType::Normal, "MissingJob", &format!("Active job went missing: {name}"));
                    self.delete_from_active(a.uid.as_deref());
                    self.update_status = true;
                }
                Err(e) => return Err(e),
                Ok(_) => {}
            }
        }
        if self.cj.metadata.deletion_timestamp.is_some() {
            return Ok(false);
        }
        if let Some(tz) = self.spec().time_zone.clone() {
            if let Err(e) = load_location(&tz) {
                let message = format!("invalid timeZone: {}: {e}", crate::apiserver::error::quote(&tz));
                self.event(EventType::Warning, "UnknownTimeZone", &message);
                return Ok(false);
            }
        }
        Ok(!self.spec().suspend.unwrap_or(false))
    }

    /// `lastSuccessfulTime` moves up to a succeeded Job's completion time.
    fn note_success(&mut self, j: &Job) {
        let Some(done) = j.status.as_ref().and_then(|s| s.completion_time.clone()) else { return };
        let last = self.cj.status.as_ref().and_then(|s| s.last_successful_time.as_ref());
        if last.is_none_or(|t| done > *t) {
            self.cj.to_mut().status.get_or_insert_with(Default::default).last_successful_time = Some(done);
            self.update_status = true;
        }
    }

    /// At a schedule time: the Job, or why not; and the requeue.
    fn sync_schedule(&mut self) -> (Option<Duration>, Result<(), ApiError>) {
        let sched = match self.schedule(true) {
            Ok(s) => s,
            Err(e) => {
                let message =
                    format!("unparseable schedule: {} : {e}", crate::apiserver::error::quote(&self.spec().schedule));
                self.event(EventType::Warning, "UnparseableSchedule", &message);
                return (None, Ok(()));
            }
        };
        let now = self.ctx.now();
        let deadline = self.spec().starting_deadline_seconds;
        // `nextScheduleTime`.
        let scheduled = match schedule::most_recent_schedule_time(self.earliest(), deadline, now, &sched) {
            Ok(r) => match r.most_recent {
                Some(t) => {
                    if r.missed == Missed::Many {
                        let message =
                            "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew";
                        self.event(EventType::Warning, "TooManyMissedTimes", message);
                    }
                    t
                }
                None => return (self.next_duration(&sched), Ok(())),
            },
            Err(e) => {
                let message = format!("invalid schedule: {} : {e}", self.spec().schedule);
                self.event(EventType::Warning, "InvalidSchedule", &message);
                return (None, Ok(()));
            }
        };
        let requeue = |s: &Self| s.next_duration(&sched);
        if deadline.is_some_and(|d| scheduled + Duration::seconds(d) < now) {
            let when = scheduled.format("%a, %d %b %Y %H:%M:%S %z");
            self.event(EventType::Warning, "MissSchedule", &format!("Missed scheduled time to start a job: {when}"));
            return (requeue(self), Ok(()));
        }
        let name = job_name(self.object.name(), scheduled);
        let last = self.cj.status.as_ref().and_then(|s| s.last_schedule_time.as_ref()).map(from_k8s_time);
        if self.active().iter().any(|a| a.name.as_deref() == Some(&name)) || last == Some(scheduled) {
            return (requeue(self), Ok(()));
        }
        let policy = self.spec().concurrency_policy.clone().unwrap_or_default();
        if policy == "Forbid" && !self.active().is_empty() {
            let message = "Not starting job because prior execution is running and concurrency policy is Forbid";
            self.event(EventType::Normal, "JobAlreadyActive", message);
            return (requeue(self), Ok(()));
        }
        if policy == "Replace" {
            for a in self.active().to_vec() {
                let (ns, job) = (a.namespace.as_deref().unwrap_or(""), a.name.as_deref().unwrap_or(""));
                let job = match self.ctx.api.get(self.user, Kind::Job, ns, job) {
                    Ok(j) => j,
                    Err(e) => {
                        self.event(EventType::Warning, "FailedGet", &format!("Get job: {}", e.message));
                        return (None, Err(e));
                    }
                };
                if !self.delete_job(job.metadata()) {
                    let message = format!("could not replace job {}/{}", job.namespace(), job.name());
                    return (None, Err(ApiError::new(Reason::InternalError, message)));
                }
                self.update_status = true;
            }
        }
        match self.create_job(scheduled, &name) {
            Ok(Some(reference)) => {
                let status = self.cj.to_mut().status.get_or_insert_with(Default::default);
                status.active.get_or_insert_with(Vec::new).push(reference);
                status.last_schedule_time = Some(k8s_time(scheduled));
                self.update_status = true;
                (requeue(self), Ok(()))
            }
            Ok(None) => (None, Ok(())),
            Err(e) => (None, Err(e)),
        }
    }

    /// Make the Job of `scheduled` (`getJobFromTemplate2`, `CreateJob`): its reference for the
    /// active list, or `None` when a Job of that name exists and needs no adding.
    fn create_job(&mut self, scheduled: DateTime<Utc>, name: &str) -> Result<Option<ObjectReference>, ApiError> {
        let template = self.spec().job_template.clone();
        let meta = template.metadata.unwrap_or_default();
        let mut annotations = meta.annotations.unwrap_or_default();
        let tz = load_location(self.spec().time_zone.as_deref().unwrap_or(""))
            .map_err(|e| ApiError::new(Reason::InternalError, e))?;
        annotations.insert(SCHEDULED_TIMESTAMP.to_string(), rfc3339(scheduled, tz));
        let metadata = ObjectMeta {
            name: Some(name.to_string()),
            labels: meta.labels.filter(|l| !l.is_empty()),
            annotations: Some(annotations),
            owner_references: Some(vec![new_controller_ref(self.object)]),
            ..Default::default()
        };
        let job = Job::new(metadata, template.spec, None);
        let ns = self.object.namespace().to_string();
        let created = match self.ctx.api.create(self.user, &ns, Object::Job(Box::new(job))) {
            Ok(created) => {
                self.event(EventType::Normal, "SuccessfulCreate", &format!("Created job {name}"));
                created
            }
            Err(e) if e.reason == Reason::AlreadyExists => {
                let existing = self.ctx.api.get(self.user, Kind::Job, &ns, name)?;
                let ours = existing.metadata().owner_references.iter().flatten().any(|r| {
                    r.controller == Some(true) && r.uid.as_str() == self.object.metadata().uid.as_deref().unwrap_or("")
                });
                let uid = existing.metadata().uid.as_deref();
                if !ours || self.active().iter().any(|a| a.uid.as_deref() == uid) {
                    return Ok(None);
                }
                existing
            }
            // In a namespace being deleted every creation fails: no event.
            Err(e) if e.reason == Reason::Forbidden && e.message.contains("because it is being terminated") => {
                return Err(e)
            }
            Err(e) => {
                self.event(EventType::Warning, "FailedCreate", &format!("Error creating job: {}", e.message));
                return Err(e);
            }
        };
        let meta = created.metadata();
        Ok(Some(ObjectReference {
            api_version: Some("batch/v1".into()),
            kind: Some("Job".into()),
            namespace: meta.namespace.clone(),
            name: meta.name.clone(),
            uid: meta.uid.clone(),
            resource_version: created.resource_version_str().map(str::to_string),
            ..Default::default()
        }))
    }

    /// `deleteJob`: the Job (its pods in the background) and its place in the active list.
    pub(super) fn delete_job(&mut self, job: &ObjectMeta) -> bool {
        let (ns, name) = (job.namespace.as_deref().unwrap_or(""), job.name.as_deref().unwrap_or(""));
        let opts = DeleteOptions { propagation_policy: Some(Propagation::Background), ..Default::default() };
        if let Err(e) = self.ctx.api.delete(self.user, Kind::Job, ns, name, opts) {
            self.event(EventType::Warning, "FailedDelete", &format!("Deleted job: {}", e.message));
            return false;
        }
        self.delete_from_active(job.uid.as_deref());
        self.event(EventType::Normal, "SuccessfulDelete", &format!("Deleted job {name}"));
        true
    }
}

/// `IsJobSucceeded`: a true Complete condition anywhere in the list.
fn is_succeeded(j: &Job) -> bool {
    conditions(j).iter().any(|c| c.type_ == "Complete" && c.status == "True")
}
