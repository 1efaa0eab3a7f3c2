//! The TTL-after-finished controller (`ttl-after-finished-controller`,
//! `pkg/controller/ttlafterfinished`): a Job with `ttlSecondsAfterFinished` is deleted that
//! long after the Complete or Failed condition's transition, in the foreground (its pods go
//! first) and only if it is still the same Job, checked against a fresh read.

use crate::model::Job;
use chrono::{DateTime, Duration, Utc};

use super::job::util::is_finished;
use super::runtime::{controller_user, Action, Controller};
use crate::apiserver::{from_k8s_time, ApiError, DeleteOptions, Propagation, Reason};
use crate::model::{Kind, Typed};
use crate::sim::component::Ctx;

pub const NAME: &str = "ttl-after-finished-controller";

pub struct TtlAfterFinishedController {
    user: String,
}

impl Default for TtlAfterFinishedController {
    fn default() -> Self {
        TtlAfterFinishedController { user: controller_user(NAME) }
    }
}

/// `needsCleanup`: a finished Job with a TTL.
fn needs_cleanup(job: &Job) -> bool {
    job.spec.as_ref().and_then(|s| s.ttl_seconds_after_finished).is_some() && is_finished(job)
}

/// `jobFinishTime`: when the True Complete or Failed condition turned so.
fn finish_time(job: &Job) -> Option<DateTime<Utc>> {
    let conditions = job.status.as_ref().and_then(|s| s.conditions.as_ref())?;
    let finished = conditions.iter().find(|c| (c.type_ == "Complete" || c.type_ == "Failed") && c.status == "True")?;
    finished.last_transition_time.as_ref().map(from_k8s_time)
}

/// `processTTL`'s answer: how long until the Job expires (zero or less: it has).
fn time_left(job: &Job, now: DateTime<Utc>) -> Option<Duration> {
    if job.metadata.deletion_timestamp.is_some() || !needs_cleanup(job) {
        return None;
    }
    let ttl = job.spec.as_ref().and_then(|s| s.ttl_seconds_after_finished)?;
    let expire_at = finish_time(job)? + Duration::seconds(i64::from(ttl));
    Some(expire_at - now)
}

impl Controller for TtlAfterFinishedController {
    fn name(&self) -> &'static str {
        NAME
    }

    fn watches(&self) -> &'static [Kind] {
        &[Kind::Job]
    }

    fn keys_for(
        &mut self,
        event: &crate::apiserver::WatchEvent,
        _old: Option<&crate::model::Object>,
        _informers: &super::Informers,
    ) -> Vec<String> {
        let o = &event.object;
        match Job::from_object(o) {
            Some(job) if job.metadata.deletion_timestamp.is_none() && needs_cleanup(job) => vec![o.key()],
            _ => Vec::new(),
        }
    }

    /// `processJob`.
    fn reconcile(&mut self, key: &str, ctx: &mut Ctx<'_>) -> Result<Action, ApiError> {
        let now = ctx.now();
        let Some(job) = ctx.informers.get(Kind::Job, key).and_then(|o| Job::from_object(o)) else {
            return Ok(Action::AwaitChange);
        };
        match time_left(job, now) {
            None => return Ok(Action::AwaitChange),
            Some(left) if left > Duration::zero() => return Ok(Action::RequeueAfter(left)),
            Some(_) => {}
        }
        // The cache may be stale: check the TTL again on a fresh read before deleting.
        let (namespace, name) = key.split_once('/').unwrap_or(("", key));
        let fresh = match ctx.api.get(&self.user, Kind::Job, namespace, name) {
            Err(e) if e.reason == Reason::NotFound => return Ok(Action::AwaitChange),
            other => other?,
        };
        let Some(fresh_job) = Job::from_object(&fresh) else { return Ok(Action::AwaitChange) };
        match time_left(fresh_job, now) {
            None => return Ok(Action::AwaitChange),
            Some(left) if left > Duration::zero() => return Ok(Action::RequeueAfter(left)),
            Some(_) => {}
        }
        let options = DeleteOptions {
            propagation_policy: Some(Propagation::Foreground),
            uid: fresh_job.metadata.uid.clone(),
            ..Default::default()
        };
        match ctx.api.delete(&self.user, Kind::Job, namespace, name, options) {
            Err(e) if e.reason == Reason::NotFound => Ok(Action::AwaitChange),
            Err(e) => Err(e),
            Ok(_) => Ok(Action::AwaitChange),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use serde_json::json;

    use crate::model::{decode, Kind};
    use crate::sim::{Cluster, ClusterConfig};

    #[test]
    fn a_finished_job_goes_its_ttl_after_finishing_with_its_pods() {
        let mut c = Cluster::new(ClusterConfig { workers: 1, ..Default::default() });
        let doc = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "t"},
            "spec": {"ttlSecondsAfterFinished": 30, "template": {"spec": {"restartPolicy": "Never",
                "containers": [{"name": "c", "image": "busybox", "command": ["sleep", "5"]}]}}}});
        c.api().create("test", "default", decode(doc).unwrap()).unwrap();
        c.advance(Duration::seconds(10)).unwrap();
        let job = c.api().peek(Kind::Job, "default", "t").expect("still there").to_value();
        let done =
            crate::apiserver::from_k8s_time(&serde_json::from_value(job["status"]["completionTime"].clone()).unwrap());
        let until_expiry = done + Duration::seconds(30) - c.now();
        c.advance(until_expiry - Duration::seconds(1)).unwrap();
        assert!(c.api().peek(Kind::Job, "default", "t").is_some(), "not before its TTL");
        c.advance(Duration::seconds(2)).unwrap();
        assert!(c.api().peek(Kind::Job, "default", "t").is_none(), "deleted after its TTL");
        assert!(c.api().peek_list(Kind::Pod, Some("default")).is_empty(), "its pods went first");
    }
}
