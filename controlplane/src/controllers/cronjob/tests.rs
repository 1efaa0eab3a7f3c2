//! The CronJob controller alone (no Job controller): the Jobs it makes, with their status
//! written by hand as the Job controller would.

use crate::model::CronJob;
use crate::model::Job;
use chrono::Duration;
use k8s_openapi::api::batch::v1::JobCondition;
use serde_json::json;

use super::SCHEDULED_TIMESTAMP;
use crate::apiserver::k8s_time;
use crate::model::{decode, Kind, Object};
use crate::sim::{Cluster, ClusterConfig};

const USER: &str = "test";

fn cluster() -> Cluster {
    let controllers = vec!["cronjob-controller".to_string()];
    Cluster::new(ClusterConfig { workers: 0, controllers, ..Default::default() })
}

fn cronjob(c: &mut Cluster, spec: serde_json::Value) {
    let mut full = json!({"jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "OnFailure",
        "containers": [{"name": "c", "image": "busybox"}]}}}}});
    for (k, v) in spec.as_object().expect("a map") {
        full[k] = v.clone();
    }
    let cj = decode(json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "hello"}, "spec": full}))
        .expect("decodes");
    c.api().create(USER, "default", cj).expect("created");
    // A second in, so whole minutes later the sync 100ms after a schedule time has run.
    c.advance(Duration::seconds(1)).expect("advances");
}

fn get_cj(c: &mut Cluster) -> CronJob {
    match &*c.api().get(USER, Kind::CronJob, "default", "hello").expect("exists") {
        Object::CronJob(cj) => (**cj).clone(),
        _ => unreachable!(),
    }
}

fn jobs(c: &mut Cluster) -> Vec<Job> {
    let mut out: Vec<Job> = c
        .api()
        .peek_list(Kind::Job, Some("default"))
        .iter()
        .filter_map(|o| match &**o {
            Object::Job(j) => Some((**j).clone()),
            _ => None,
        })
        .collect();
    out.sort_by_key(|j| j.metadata.name.clone());
    out
}

fn job_names(c: &mut Cluster) -> Vec<String> {
    jobs(c).into_iter().map(|j| j.metadata.name.clone().unwrap_or_default()).collect()
}

fn active(c: &mut Cluster) -> Vec<String> {
    let status = get_cj(c).status.unwrap_or_default();
    status.active.unwrap_or_default().into_iter().map(|a| a.name.unwrap_or_default()).collect()
}

/// Play the Job controller: the Job started now and finishes with `condition` (`Complete` or
/// `Failed`), or is only started.
fn job_status(c: &mut Cluster, name: &str, condition: Option<&str>) {
    let mut job = jobs(c).into_iter().find(|j| j.metadata.name.as_deref() == Some(name)).expect("job");
    let now = k8s_time(c.now());
    let status = job.status.get_or_insert_with(Default::default);
    status.start_time.get_or_insert(now.clone());
    if let Some(type_) = condition {
        let cond = JobCondition { type_: type_.into(), status: "True".into(), ..Default::default() };
        status.conditions = Some(vec![cond]);
        if type_ == "Complete" {
            status.completion_time = Some(now);
        }
    }
    c.api().update_status(USER, Object::Job(Box::new(job))).expect("status written");
    c.settle().expect("settles");
}

fn events(c: &mut Cluster) -> Vec<String> {
    let mut evs: Vec<(i64, String, String)> = c
        .api()
        .peek_list(Kind::Event, Some("default"))
        .iter()
        .filter_map(|o| match &**o {
            Object::Event(e) => Some((
                e.metadata.resource_version.as_deref().unwrap_or("0").parse().unwrap_or(0),
                e.reason.as_deref().unwrap_or_default().to_string(),
                e.message.as_deref().unwrap_or_default().to_string(),
            )),
            _ => None,
        })
        .collect();
    evs.sort();
    evs.into_iter().map(|(_, r, m)| format!("{r}: {m}")).collect()
}

/// 2025-01-01T00:05:00Z in minutes since the epoch.
const AT_0005: i64 = 1_735_689_900 / 60;

fn minutes(n: i64) -> Duration {
    Duration::minutes(n)
}

#[test]
fn a_job_at_each_schedule_time_named_by_its_minute() {
    let mut c = cluster();
    cronjob(&mut c, json!({"schedule": "*/5 * * * *"}));
    assert!(jobs(&mut c).is_empty());
    c.advance(minutes(4)).expect("advances");
    assert!(jobs(&mut c).is_empty(), "nothing before 00:05");
    c.advance(minutes(1)).expect("advances");
    let all = jobs(&mut c);
    let name = format!("hello-{AT_0005}");
    assert_eq!(job_names(&mut c), std::slice::from_ref(&name));
    let job = &all[0];
    let annotations = job.metadata.annotations.clone().unwrap_or_default();
    assert_eq!(annotations.get(SCHEDULED_TIMESTAMP).map(String::as_str), Some("2025-01-01T00:05:00Z"));
    let owner = &job.metadata.owner_references.as_ref().expect("owned")[0];
    assert_eq!((owner.kind.as_str(), owner.name.as_str(), owner.controller), ("CronJob", "hello", Some(true)));
    let cj = get_cj(&mut c);
    let status = cj.status.clone().unwrap_or_default();
    assert_eq!(active(&mut c), std::slice::from_ref(&name));
    assert_eq!(
        status.last_schedule_time.map(|t| crate::apiserver::from_k8s_time(&t).to_rfc3339()).as_deref(),
        Some("2025-01-01T00:05:00+00:00")
    );
    assert_eq!(events(&mut c), [format!("SuccessfulCreate: Created job {name}")]);

    job_status(&mut c, &name, Some("Complete"));
    assert!(active(&mut c).is_empty());
    let status = get_cj(&mut c).status.unwrap_or_default();
    assert!(status.last_successful_time.is_some());
    assert_eq!(events(&mut c)[1], format!("SawCompletedJob: Saw completed job: {name}, condition: Complete"));

    // Allow: the next ones run whether or not the last finished.
    c.advance(minutes(10)).expect("advances");
    assert_eq!(job_names(&mut c).len(), 3);
    assert_eq!(active(&mut c).len(), 2);
}

#[test]
fn forbid_skips_while_one_runs_and_replace_deletes_it() {
    let mut c = cluster();
    cronjob(&mut c, json!({"schedule": "* * * * *", "concurrencyPolicy": "Forbid"}));
    c.advance(minutes(3)).expect("advances");
    assert_eq!(job_names(&mut c).len(), 1, "one Job, still running");
    let reasons: Vec<String> =
        events(&mut c).into_iter().map(|e| e.split(':').next().unwrap_or("").to_string()).collect();
    assert_eq!(reasons[0], "SuccessfulCreate");
    assert!(reasons[1..].iter().all(|r| r == "JobAlreadyActive"), "{reasons:?}");

    let mut c = cluster();
    cronjob(&mut c, json!({"schedule": "* * * * *", "concurrencyPolicy": "Replace"}));
    c.advance(minutes(1)).expect("advances");
    let first = job_names(&mut c);
    c.advance(minutes(1)).expect("advances");
    let second = job_names(&mut c);
    assert_eq!(second.len(), 1);
    assert_ne!(first, second);
    assert_eq!(active(&mut c), second);
    let evs = events(&mut c);
    assert_eq!(evs[1], format!("SuccessfulDelete: Deleted job {}", first[0]));
}

#[test]
fn history_limits_delete_the_oldest_finished_jobs() {
    let mut c = cluster();
    cronjob(&mut c, json!({"schedule": "* * * * *", "successfulJobsHistoryLimit": 2, "failedJobsHistoryLimit": 1}));
    for i in 0..4 {
        c.advance(minutes(1)).expect("advances");
        let name = job_names(&mut c).last().cloned().expect("a job");
        job_status(&mut c, &name, Some(if i == 1 || i == 3 { "Failed" } else { "Complete" }));
    }
    let names = job_names(&mut c);
    let m = |i: i64| format!("hello-{}", AT_0005 - 5 + 1 + i);
    // Complete: 0 and 2; Failed: 1 and 3, only the last kept.
    assert_eq!(names, [m(0), m(2), m(3)]);
    c.advance(minutes(1)).expect("advances");
    let name = job_names(&mut c).last().cloned().expect("a job");
    job_status(&mut c, &name, Some("Complete"));
    assert_eq!(job_names(&mut c), [m(2), m(3), m(4)]);
}

#[test]
fn suspend_stops_new_jobs_and_resume_runs_the_latest_missed() {
    let mut c = cluster();
    cronjob(&mut c, json!({"schedule": "*/5 * * * *", "suspend": true}));
    c.advance(minutes(12)).expect("advances");
    assert!(jobs(&mut c).is_empty());
    let mut cj = get_cj(&mut c);
    cj.spec.as_mut().expect("spec").suspend = Some(false);
    c.api().update(USER, Object::CronJob(Box::new(cj))).expect("updated");
    c.settle().expect("settles");
    // The most recent missed time (00:10) runs at once, the others are not made up.
    assert_eq!(job_names(&mut c), [format!("hello-{}", AT_0005 + 5)]);
}

#[test]
fn missed_times_the_starting_deadline_and_too_many() {
    let mut c = cluster();
    cronjob(&mut c, json!({"schedule": "* * * * *", "startingDeadlineSeconds": 10, "suspend": true}));
    c.advance(Duration::seconds(150)).expect("advances");
    let mut cj = get_cj(&mut c);
    cj.spec.as_mut().expect("spec").suspend = Some(false);
    c.api().update(USER, Object::CronJob(Box::new(cj))).expect("updated");
    c.settle().expect("settles");
    // 02:00 is 31s ago, before the 10s deadline: the search starts after it, so nothing is
    // due (and nothing said) until 03:00.
    assert!(jobs(&mut c).is_empty());
    assert!(events(&mut c).is_empty());
    c.advance(Duration::seconds(30)).expect("advances");
    assert_eq!(job_names(&mut c).len(), 1);

    let mut c = cluster();
    cronjob(&mut c, json!({"schedule": "* * * * *", "suspend": true}));
    c.advance(minutes(150)).expect("advances");
    let mut cj = get_cj(&mut c);
    cj.spec.as_mut().expect("spec").suspend = Some(false);
    c.api().update(USER, Object::CronJob(Box::new(cj))).expect("updated");
    c.settle().expect("settles");
    let evs = events(&mut c);
    assert_eq!(evs[0], "TooManyMissedTimes: too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew");
    assert_eq!(job_names(&mut c), [format!("hello-{}", AT_0005 - 5 + 150)]);
}

#[test]
fn a_time_zone_moves_the_times_and_the_annotation() {
    let mut c = cluster();
    cronjob(&mut c, json!({"schedule": "0 9 * * *", "timeZone": "Europe/Berlin"}));
    c.advance(Duration::hours(8)).expect("advances");
    let all = jobs(&mut c);
    assert_eq!(all.len(), 1, "09:00 in Berlin is 08:00 UTC");
    let annotations = all[0].metadata.annotations.clone().unwrap_or_default();
    assert_eq!(annotations.get(SCHEDULED_TIMESTAMP).map(String::as_str), Some("2025-01-01T09:00:00+01:00"));
}

#[test]
fn a_deleted_active_job_is_missing_and_an_unknown_one_unexpected() {
    let mut c = cluster();
    cronjob(&mut c, json!({"schedule": "*/5 * * * *"}));
    c.advance(minutes(5)).expect("advances");
    let name = job_names(&mut c)[0].clone();
    c.api().delete(USER, Kind::Job, "default", &name, Default::default()).expect("deleted");
    c.settle().expect("settles");
    assert!(active(&mut c).is_empty());
    assert_eq!(events(&mut c)[1], format!("MissingJob: Active job went missing: {name}"));
    let cj = c.api().get(USER, Kind::CronJob, "default", "hello").expect("exists");
    let owner = crate::controllers::controller_utils::new_controller_ref(&cj);
    let job = decode(
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "stray", "ownerReferences": [owner]},
        "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}}),
    )
    .expect("decodes");
    c.api().create(USER, "default", job).expect("created");
    c.settle().expect("settles");
    assert_eq!(events(&mut c)[2], "UnexpectedJob: Saw a job that the controller did not create or forgot: stray");
}

#[test]
fn a_changed_schedule_waits_for_its_next_time() {
    let mut c = cluster();
    cronjob(&mut c, json!({"schedule": "0 * * * *"}));
    c.advance(minutes(30)).expect("advances");
    let mut cj = get_cj(&mut c);
    cj.spec.as_mut().expect("spec").schedule = "*/20 * * * *".into();
    c.api().update(USER, Object::CronJob(Box::new(cj))).expect("updated");
    c.settle().expect("settles");
    assert!(jobs(&mut c).is_empty(), "00:20 passed before the change: not run now");
    c.advance(minutes(10)).expect("advances");
    assert_eq!(job_names(&mut c), [format!("hello-{}", AT_0005 + 35)]);
}
