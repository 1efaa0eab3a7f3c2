//! The CronJob controller (`cronjob-controller`, upstream's `cronjob_controllerv2.go`): at each
//! schedule time a CronJob makes a Job from its template, named `<cronjob>-<minutes since the
//! epoch>` so a time is never run twice, within `startingDeadlineSeconds` and the
//! concurrencyPolicy (Allow, Forbid, Replace); it keeps `status.active`, `lastScheduleTime` and
//! `lastSuccessfulTime`, and deletes finished Jobs past the history limits (`cleanup.rs`). It
//! sleeps on the simulated clock until the next schedule time (`schedule.rs`, the time
//! maths). It only reads Jobs' conditions: the Job controller runs them.

mod cleanup;
pub mod schedule;
mod sync;

use crate::model::CronJob;
use crate::model::Job;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::informers::{controller_ref, Informers};
use super::job::util::conditions;
use super::runtime::{controller_user, Action, Controller};
use crate::apiserver::{ApiError, WatchEvent, WatchEventType};
use crate::events::{EventRecorder, EventType};
use crate::model::{Kind, Object};
use crate::sim::component::Ctx;

pub const NAME: &str = "cronjob-controller";

/// The annotation with the time a Job was scheduled for, RFC 3339 in the CronJob's zone.
pub const SCHEDULED_TIMESTAMP: &str = "batch.kubernetes.io/cronjob-scheduled-timestamp";

pub struct CronJobController {
    recorder: EventRecorder,
    user: String,
    /// CronJobs whose schedule or time zone changed: their next sync only waits for the next
    /// time of the new schedule (`updateCronJob` enqueues them after it, not now).
    rescheduled: BTreeSet<String>,
    /// Each CronJob's schedule as last parsed, with the text and zone it was parsed from: a
    /// CronJob is synced at every change of its Jobs, and parsing is most of a sync's work.
    /// Entries go with their CronJob; a sync borrows its CronJob's entry in place.
    schedules: BTreeMap<String, Option<ParsedSchedule>>,
}

/// A schedule and time zone, and what parsing them gave.
pub(crate) struct ParsedSchedule {
    schedule: String,
    time_zone: Option<String>,
    parsed: Result<Arc<schedule::Schedule>, String>,
}

impl Default for CronJobController {
    fn default() -> Self {
        let user = controller_user(NAME);
        CronJobController {
            recorder: EventRecorder::new(NAME, None, &user),
            user,
            rescheduled: BTreeSet::new(),
            schedules: BTreeMap::new(),
        }
    }
}

fn as_cronjob(o: &Object) -> Option<&CronJob> {
    match o {
        Object::CronJob(c) => Some(c),
        _ => None,
    }
}

fn schedule_of(c: &CronJob) -> (&str, Option<&str>) {
    let spec = c.spec.as_ref();
    (spec.map_or("", |s| s.schedule.as_str()), spec.and_then(|s| s.time_zone.as_deref()))
}

/// One sync of one CronJob: what it writes with, and the CronJob as the sync changes it
/// (`cronJobCopy`), with whether its status needs writing.
pub(crate) struct Syncer<'c, 'a> {
    pub ctx: &'c mut Ctx<'a>,
    pub recorder: &'c mut EventRecorder,
    pub user: &'c str,
    /// The CronJob's parsed schedule, kept from one sync to the next.
    pub schedule: &'c mut Option<ParsedSchedule>,
    /// The CronJob as read, for events.
    pub object: &'a Arc<Object>,
    /// Copied only when the sync changes it.
    pub cj: Cow<'a, CronJob>,
    pub update_status: bool,
}

impl Controller for CronJobController {
    fn name(&self) -> &'static str {
        NAME
    }

    fn watches(&self) -> &'static [Kind] {
        &[Kind::CronJob, Kind::Job]
    }

    fn owns(&self) -> &'static [Kind] {
        &[Kind::Job]
    }

    fn keys_for(&mut self, event: &WatchEvent, old: Option<&Object>, _informers: &Informers) -> Vec<String> {
        let o = &event.object;
        if o.kind() != Kind::CronJob {
            return Vec::new();
        }
        let old = old.and_then(as_cronjob);
        if let (WatchEventType::Modified, Some(old), Some(new)) = (event.event_type, old, as_cronjob(o)) {
            if schedule_of(old) != schedule_of(new) {
                self.rescheduled.insert(o.key());
            }
        }
        vec![o.key()]
    }

    /// `sync`.
    fn reconcile(&mut self, key: &str, ctx: &mut Ctx<'_>) -> Result<Action, ApiError> {
        let informers: &Informers = ctx.informers;
        let Some(object) = informers.get(Kind::CronJob, key) else {
            self.rescheduled.remove(key);
            self.schedules.remove(key);
            return Ok(Action::AwaitChange);
        };
        let Some(cj) = as_cronjob(object) else { return Ok(Action::AwaitChange) };
        let cached = match self.schedules.get_mut(key) {
            Some(cached) => cached,
            None => self.schedules.entry(key.to_string()).or_default(),
        };
        let mut s = Syncer {
            ctx,
            recorder: &mut self.recorder,
            user: &self.user,
            schedule: cached,
            object,
            cj: Cow::Borrowed(cj),
            update_status: false,
        };
        let result = if self.rescheduled.remove(key) {
            Ok((Some(s.requeue_for_new_schedule()), Ok(())))
        } else {
            let jobs = s.jobs_to_be_reconciled();
            s.cleanup_finished_jobs(&jobs);
            let (requeue, result) = s.sync_cron_job(&jobs);
            match s.update_status {
                true => s.write_status().map(|()| (requeue.map(Action::RequeueAfter), result)),
                false => Ok((requeue.map(Action::RequeueAfter), result)),
            }
        };
        let (action, result) = result?;
        match (action, result) {
            (Some(action), _) => Ok(action),
            (None, Err(e)) => Err(e),
            (None, Ok(())) => Ok(Action::AwaitChange),
        }
    }
}

impl<'a> Syncer<'_, 'a> {
    /// `getJobsToBeReconciled`: the Jobs the CronJob controls, through the informers' index
    /// by controller uid (upstream lists the namespace and matches the controller's name).
    fn jobs_to_be_reconciled(&self) -> Vec<&'a Job> {
        let uid = self.object.metadata().uid.as_deref().unwrap_or("");
        let name = self.object.name();
        let informers: &'a Informers = self.ctx.informers;
        informers
            .controlled_by(Kind::Job, uid)
            .filter_map(|o| match &**o {
                Object::Job(j) if controller_ref(&j.metadata).is_some_and(|r| r.name == name) => Some(&**j),
                _ => None,
            })
            .collect()
    }

    /// An event about the CronJob.
    pub fn event(&mut self, type_: EventType, reason: &str, message: &str) {
        self.recorder.record(self.ctx.api, self.object, None, type_, reason, message);
    }

    fn write_status(&mut self) -> Result<(), ApiError> {
        let cj = CronJob {
            metadata: self.cj.metadata.clone(),
            resource_version: self.cj.resource_version.clone(),
            spec: None,
            status: self.cj.status.clone(),
        };
        self.ctx.api.update_status(self.user, Object::CronJob(Box::new(cj)))?;
        Ok(())
    }
}

/// `FinishedCondition`: the type of the first true Complete or Failed condition.
pub fn finished_condition(j: &Job) -> Option<&str> {
    conditions(j)
        .iter()
        .find(|c| (c.type_ == "Complete" || c.type_ == "Failed") && c.status == "True")
        .map(|c| c.type_.as_str())
}

#[cfg(test)]
mod tests;
