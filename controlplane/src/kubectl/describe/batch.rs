//! Jobs and CronJobs.

use crate::model::CronJob;
use crate::model::Job;
use k8s_openapi::api::batch::v1::JobTemplateSpec;

use super::common::*;
use super::writer::{out, Writer};
use super::Ctx;
use crate::kubectl::printers::{human_duration, selector_string};
use crate::model::{Object, Typed};

/// A selector line: the selector, or the reason it is not one.
fn selector_line(w: &mut Writer, sel: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector>) {
    match selector_string(sel) {
        Ok(text) => out!(w, 0, "Selector:\t{text}\n"),
        Err(e) => out!(w, 0, "Selector:\tFailed to get selector: {e}\n"),
    }
}

pub(super) fn describe_job(ctx: &mut Ctx<'_>, obj: &Object) -> Result<String, String> {
    let job = Job::from_object(obj).ok_or("not a job")?;
    let events = ctx.events_for(obj);
    let meta = &job.metadata;
    let spec = job.spec.clone().unwrap_or_default();
    let status = job.status.clone().unwrap_or_default();
    let mut w = Writer::new();
    out!(w, 0, "Name:\t{}\n", s(&meta.name));
    out!(w, 0, "Namespace:\t{}\n", s(&meta.namespace));
    selector_line(&mut w, spec.selector.as_ref());
    labels_multiline(&mut w, "Labels", meta.labels.as_ref());
    annotations_multiline(&mut w, "Annotations", meta.annotations.as_ref());
    controlled_by(&mut w, meta);
    if let Some(p) = spec.parallelism {
        out!(w, 0, "Parallelism:\t{p}\n");
    }
    match spec.completions {
        Some(c) => out!(w, 0, "Completions:\t{c}\n"),
        None => w.write(0, "Completions:\t<unset>\n"),
    }
    if let Some(mode) = &spec.completion_mode {
        out!(w, 0, "Completion Mode:\t{mode}\n");
    }
    if let Some(suspend) = spec.suspend {
        out!(w, 0, "Suspend:\t{}\n", go_bool(suspend));
    }
    if let Some(limit) = spec.backoff_limit {
        out!(w, 0, "Backoff Limit:\t{limit}\n");
    }
    if let Some(ttl) = spec.ttl_seconds_after_finished {
        out!(w, 0, "TTL Seconds After Finished:\t{ttl}\n");
    }
    if let Some(start) = &status.start_time {
        out!(w, 0, "Start Time:\t{}\n", rfc1123z(Some(start)));
    }
    if let Some(done) = &status.completion_time {
        out!(w, 0, "Completed At:\t{}\n", rfc1123z(Some(done)));
    }
    if let (Some(start), Some(done)) = (&status.start_time, &status.completion_time) {
        let d = crate::kubectl::printers::age::to_chrono(done.0) - crate::kubectl::printers::age::to_chrono(start.0);
        out!(w, 0, "Duration:\t{}\n", human_duration(d));
    }
    if let Some(deadline) = spec.active_deadline_seconds {
        out!(w, 0, "Active Deadline Seconds:\t{deadline}s\n");
    }
    let (active, succeeded, failed) =
        (status.active.unwrap_or(0), status.succeeded.unwrap_or(0), status.failed.unwrap_or(0));
    match status.ready {
        None => out!(w, 0, "Pods Statuses:\t{active} Active / {succeeded} Succeeded / {failed} Failed\n"),
        Some(ready) => {
            out!(w, 0, "Pods Statuses:\t{active} Active ({ready} Ready) / {succeeded} Succeeded / {failed} Failed\n")
        }
    }
    if spec.completion_mode.as_deref() == Some("Indexed") {
        out!(w, 0, "Completed Indexes:\t{}\n", cap_indexes(s(&status.completed_indexes), 50));
    }
    pod_template(&mut w, Some(&spec.template));
    if let Some(mut events) = events {
        describe_events(&mut w, &mut events, ctx.now);
    }
    Ok(w.finish())
}

/// `capIndexesListOrNone`: the list up to the first comma after `soft_limit` characters, then
/// `...`; `<none>` when empty.
fn cap_indexes(indexes: &str, soft_limit: usize) -> String {
    if indexes.is_empty() {
        return "<none>".to_string();
    }
    let bytes = indexes.as_bytes();
    let mut ix = soft_limit;
    while ix < bytes.len() && bytes[ix] != b',' {
        ix += 1;
    }
    if ix >= bytes.len() {
        return indexes.to_string();
    }
    format!("{}...", &indexes[..=ix])
}

pub(super) fn describe_cron_job(ctx: &mut Ctx<'_>, obj: &Object) -> Result<String, String> {
    let cj = CronJob::from_object(obj).ok_or("not a cron job")?;
    let events = ctx.events_for(obj);
    let meta = &cj.metadata;
    let spec = cj.spec.clone().unwrap_or_default();
    let status = cj.status.clone().unwrap_or_default();
    let mut w = Writer::new();
    out!(w, 0, "Name:\t{}\n", s(&meta.name));
    out!(w, 0, "Namespace:\t{}\n", s(&meta.namespace));
    labels_multiline(&mut w, "Labels", meta.labels.as_ref());
    annotations_multiline(&mut w, "Annotations", meta.annotations.as_ref());
    out!(w, 0, "Schedule:\t{}\n", spec.schedule);
    out!(w, 0, "Concurrency Policy:\t{}\n", s(&spec.concurrency_policy));
    out!(w, 0, "Suspend:\t{}\n", print_bool_ptr(spec.suspend));
    let or_unset = |v: Option<i32>| v.map_or("<unset>".to_string(), |v| v.to_string());
    out!(w, 0, "Successful Job History Limit:\t{}\n", or_unset(spec.successful_jobs_history_limit));
    out!(w, 0, "Failed Job History Limit:\t{}\n", or_unset(spec.failed_jobs_history_limit));
    match spec.starting_deadline_seconds {
        Some(d) => out!(w, 0, "Starting Deadline Seconds:\t{d}s\n"),
        None => w.write(0, "Starting Deadline Seconds:\t<unset>\n"),
    }
    job_template(&mut w, &spec.job_template);
    match &status.last_schedule_time {
        Some(t) => out!(w, 0, "Last Schedule Time:\t{}\n", rfc1123z(Some(t))),
        None => w.write(0, "Last Schedule Time:\t<unset>\n"),
    }
    w.write(0, "Active Jobs:\t");
    let active = list(&status.active);
    if active.is_empty() {
        w.line("<none>");
    } else {
        for (i, job) in active.iter().enumerate() {
            if i != 0 {
                w.write(0, ", ");
            }
            w.write(0, s(&job.name));
        }
        w.line("");
    }
    if let Some(mut events) = events {
        describe_events(&mut w, &mut events, ctx.now);
    }
    Ok(w.finish())
}

/// `describeJobTemplate`.
fn job_template(w: &mut Writer, template: &JobTemplateSpec) {
    let spec = template.spec.clone().unwrap_or_default();
    match &spec.selector {
        Some(sel) => selector_line(w, Some(sel)),
        None => w.write(0, "Selector:\t<unset>\n"),
    }
    match spec.parallelism {
        Some(p) => out!(w, 0, "Parallelism:\t{p}\n"),
        None => w.write(0, "Parallelism:\t<unset>\n"),
    }
    match spec.completions {
        Some(c) => out!(w, 0, "Completions:\t{c}\n"),
        None => w.write(0, "Completions:\t<unset>\n"),
    }
    if let Some(deadline) = spec.active_deadline_seconds {
        out!(w, 0, "Active Deadline Seconds:\t{deadline}s\n");
    }
    pod_template(w, Some(&spec.template));
}
