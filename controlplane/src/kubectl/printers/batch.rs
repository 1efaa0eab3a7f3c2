//! Jobs and cronjobs (`printJob`, `printCronJob`).
//!
//! Job STATUS (v1.30+): `Complete` or `Failed` from a True condition, then `Terminating` while
//! being deleted, `Suspended`, `FailureTarget`, else `Running`. COMPLETIONS is
//! `succeeded/completions`, or for a work-queue job (no completions) `succeeded/1`, or
//! `succeeded/1 of parallelism` when more than one pod runs at once. DURATION runs from
//! startTime to completionTime, or to now while the job has not completed.

use crate::model::CronJob;
use crate::model::Job;
use k8s_openapi::api::batch::v1::JobCondition;

use super::{age, col, format_label_selector, layout_containers, list, wide, Column, Ctx};

pub(super) const JOB_COLUMNS: &[Column] = &[
    col("NAME"),
    col("STATUS"),
    col("COMPLETIONS"),
    col("DURATION"),
    col("AGE"),
    wide("CONTAINERS"),
    wide("IMAGES"),
    wide("SELECTOR"),
];

pub(super) fn job_row(job: &Job, ctx: &Ctx) -> Vec<String> {
    let spec = job.spec.as_ref();
    let status = job.status.as_ref();
    let succeeded = status.and_then(|s| s.succeeded).unwrap_or(0);
    let completions = match spec.and_then(|s| s.completions) {
        Some(c) => format!("{succeeded}/{c}"),
        None => match spec.and_then(|s| s.parallelism).unwrap_or(0) {
            p if p > 1 => format!("{succeeded}/1 of {p}"),
            _ => format!("{succeeded}/1"),
        },
    };
    let start = status.and_then(|s| s.start_time.as_ref());
    let duration = match (start, status.and_then(|s| s.completion_time.as_ref())) {
        (None, _) => String::new(),
        (Some(start), None) => age::since(start.0, ctx.now),
        (Some(start), Some(end)) => age::human_duration(age::to_chrono(end.0) - age::to_chrono(start.0)),
    };
    let conditions = status.map(|s| list(&s.conditions)).unwrap_or(&[]);
    let job_status = if has_condition(conditions, "Complete") {
        "Complete"
    } else if has_condition(conditions, "Failed") {
        "Failed"
    } else if job.metadata.deletion_timestamp.is_some() {
        "Terminating"
    } else if has_condition(conditions, "Suspended") {
        "Suspended"
    } else if has_condition(conditions, "FailureTarget") {
        "FailureTarget"
    } else {
        "Running"
    };
    let containers = spec.and_then(|s| s.template.spec.as_ref()).map(|p| p.containers.as_slice()).unwrap_or(&[]);
    let (names, images) = layout_containers(containers);
    vec![
        job.metadata.name.clone().unwrap_or_default(),
        job_status.to_string(),
        completions,
        duration,
        ctx.age(job.metadata.creation_timestamp.as_ref()),
        names,
        images,
        format_label_selector(spec.and_then(|s| s.selector.as_ref())),
    ]
}

/// `hasJobCondition`: the first condition of the type decides.
fn has_condition(conditions: &[JobCondition], type_: &str) -> bool {
    conditions.iter().find(|c| c.type_ == type_).is_some_and(|c| c.status == "True")
}

pub(super) const CRONJOB_COLUMNS: &[Column] = &[
    col("NAME"),
    col("SCHEDULE"),
    col("TIMEZONE"),
    col("SUSPEND"),
    col("ACTIVE"),
    col("LAST SCHEDULE"),
    col("AGE"),
    wide("CONTAINERS"),
    wide("IMAGES"),
    wide("SELECTOR"),
];

pub(super) fn cronjob_row(cj: &CronJob, ctx: &Ctx) -> Vec<String> {
    let spec = cj.spec.as_ref();
    let status = cj.status.as_ref();
    let job_spec = spec.and_then(|s| s.job_template.spec.as_ref());
    let containers = job_spec.and_then(|j| j.template.spec.as_ref()).map(|p| p.containers.as_slice()).unwrap_or(&[]);
    let (names, images) = layout_containers(containers);
    // printBoolPtr; the API server defaults an absent suspend to false.
    let suspend = if spec.and_then(|s| s.suspend).unwrap_or(false) { "True" } else { "False" };
    vec![
        cj.metadata.name.clone().unwrap_or_default(),
        spec.map(|s| s.schedule.clone()).unwrap_or_default(),
        spec.and_then(|s| s.time_zone.clone()).unwrap_or_else(|| "<none>".to_string()),
        suspend.to_string(),
        status.map_or(0, |s| list(&s.active).len()).to_string(),
        match status.and_then(|s| s.last_schedule_time.as_ref()) {
            Some(t) => ctx.age(Some(t)),
            None => "<none>".to_string(),
        },
        ctx.age(cj.metadata.creation_timestamp.as_ref()),
        names,
        images,
        format_label_selector(job_spec.and_then(|j| j.selector.as_ref())),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::PrintOptions;

    fn check(yaml: &str, wide: bool, expect: &str) {
        assert_text(&render(yaml, &PrintOptions { wide, ..Default::default() }), expect);
    }

    fn job(name: &str, meta: &str, spec: &str, status: &str) -> String {
        format!(
            "---\napiVersion: batch/v1\nkind: Job\nmetadata: {{name: {name}, namespace: default{meta}}}\nspec: {{template: {{spec: {{restartPolicy: Never, containers: [{{name: pi, image: perl}}]}}}}{spec}}}\nstatus: {status}\n"
        )
    }

    #[test]
    fn jobs() {
        let mut yaml = String::new();
        yaml += &job("pi", "", ", completions: 1, parallelism: 1", "{startTime: '2025-01-01T00:00:05Z', completionTime: '2025-01-01T00:00:47Z', succeeded: 1, conditions: [{type: SuccessCriteriaMet, status: 'True'}, {type: Complete, status: 'True'}]}");
        yaml += &job(
            "running",
            "",
            ", completions: 5, parallelism: 2",
            "{startTime: '2025-01-01T00:30:00Z', active: 2, succeeded: 2}",
        );
        yaml += &job("queue", "", ", parallelism: 3", "{startTime: '2025-01-01T00:58:00Z', active: 3}");
        yaml += &job("queue-one", "", "", "{}");
        yaml += &job("failed", "", ", completions: 1, backoffLimit: 0", "{startTime: '2025-01-01T00:00:00Z', failed: 1, conditions: [{type: FailureTarget, status: 'True'}, {type: Failed, status: 'True', reason: BackoffLimitExceeded}]}");
        yaml += &job(
            "failing",
            "",
            ", completions: 1",
            "{startTime: '2025-01-01T00:00:00Z', failed: 1, conditions: [{type: FailureTarget, status: 'True'}]}",
        );
        yaml += &job(
            "suspended",
            "",
            ", completions: 1, suspend: true",
            "{conditions: [{type: Suspended, status: 'True'}]}",
        );
        yaml += &job(
            "resumed",
            "",
            ", completions: 1",
            "{startTime: '2025-01-01T00:40:00Z', conditions: [{type: Suspended, status: 'False'}]}",
        );
        yaml += &job(
            "deleting",
            ", deletionTimestamp: '2025-01-01T01:00:00Z'",
            ", completions: 1",
            "{startTime: '2025-01-01T00:00:00Z', conditions: [{type: Suspended, status: 'True'}]}",
        );
        check(
            &yaml,
            false,
            "
NAME        STATUS          COMPLETIONS   DURATION   AGE
pi          Complete        1/1           42s        60m
running     Running         2/5           30m        60m
queue       Running         0/1 of 3      2m         60m
queue-one   Running         0/1                      60m
failed      Failed          0/1           60m        60m
failing     FailureTarget   0/1           60m        60m
suspended   Suspended       0/1                      60m
resumed     Running         0/1           20m        60m
deleting    Terminating     0/1           60m        60m
",
        );
        check(
            &job("pi", "", ", completions: 1", "{}"),
            true,
            "
NAME   STATUS    COMPLETIONS   DURATION   AGE   CONTAINERS   IMAGES   SELECTOR
pi     Running   0/1                      60m   pi           perl     <none>
",
        );
    }

    #[test]
    fn cronjobs() {
        let yaml = "
apiVersion: batch/v1
kind: CronJob
metadata: {name: backup, namespace: default}
spec:
  schedule: '*/5 * * * *'
  suspend: false
  jobTemplate: {spec: {template: {spec: {restartPolicy: OnFailure, containers: [{name: backup, image: busybox}]}}}}
status:
  lastScheduleTime: '2025-01-01T00:55:00Z'
  active: [{kind: Job, name: backup-28934215, namespace: default}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: report, namespace: default}
spec:
  schedule: '0 9 * * 1'
  timeZone: Europe/Paris
  suspend: true
  jobTemplate: {spec: {template: {spec: {restartPolicy: OnFailure, containers: [{name: report, image: reporter}]}}}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: bare, namespace: default}
spec:
  schedule: '@hourly'
  jobTemplate: {spec: {template: {spec: {restartPolicy: OnFailure, containers: [{name: c, image: c}]}}}}
";
        check(
            yaml,
            false,
            "
NAME     SCHEDULE      TIMEZONE       SUSPEND   ACTIVE   LAST SCHEDULE   AGE
backup   */5 * * * *   <none>         False     1        5m              60m
report   0 9 * * 1     Europe/Paris   True      0        <none>          60m
bare     @hourly       <none>         False     0        <none>          60m
",
        );
        check(
            yaml,
            true,
            "
NAME     SCHEDULE      TIMEZONE       SUSPEND   ACTIVE   LAST SCHEDULE   AGE   CONTAINERS   IMAGES     SELECTOR
backup   */5 * * * *   <none>         False     1        5m              60m   backup       busybox    <none>
report   0 9 * * 1     Europe/Paris   True      0        <none>          60m   report       reporter   <none>
bare     @hourly       <none>         False     0        <none>          60m   c            c          <none>
",
        );
    }
}
