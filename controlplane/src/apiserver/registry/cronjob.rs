//! CronJobs (batch/v1 `SetDefaults_CronJob`, `ValidateCronJobCreate`): concurrencyPolicy Allow,
//! not suspended, history limits 3 and 1; the schedule must parse, names are at most 52
//! characters (the controller appends an 11-character suffix to job names).

use crate::model::CronJob;

use super::cron::{load_location, parse_standard};
use super::job::validate_job_spec;
use super::names::{nonnegative, one_of};
use super::podspec::default_template;
use super::{gofmt, same_spec, Strategy};
use crate::apiserver::error::{quote, FieldError};

impl Strategy for CronJob {
    fn default(&mut self) {
        let spec = self.spec.get_or_insert_with(Default::default);
        if spec.concurrency_policy.as_deref().unwrap_or("").is_empty() {
            spec.concurrency_policy = Some("Allow".into());
        }
        spec.suspend.get_or_insert(false);
        spec.successful_jobs_history_limit.get_or_insert(3);
        spec.failed_jobs_history_limit.get_or_insert(1);
        if let Some(job) = spec.job_template.spec.as_mut() {
            default_template(&mut job.template);
        }
    }

    fn default_update(&mut self, old: &Self) {
        // The CronJob's defaults are all in its spec.
        if !same_spec(&self.spec, &old.spec) {
            self.default();
        }
    }

    fn prepare_for_create(&mut self) {
        self.status = Some(Default::default());
    }

    fn validate(&self, errs: &mut Vec<FieldError>) {
        let spec = self.spec.clone().unwrap_or_default();
        if spec.schedule.is_empty() {
            errs.push(FieldError::required("spec.schedule", ""));
        } else {
            if let Err(e) = parse_standard(&spec.schedule) {
                errs.push(FieldError::invalid("spec.schedule", quote(&spec.schedule), e));
            }
            if spec.schedule.contains("TZ") {
                errs.push(FieldError::invalid(
                    "spec.schedule",
                    quote(&spec.schedule),
                    "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
                ));
            }
        }
        if let Some(d) = spec.starting_deadline_seconds {
            nonnegative(d, "spec.startingDeadlineSeconds", errs);
        }
        if let Some(tz) = spec.time_zone.as_deref() {
            validate_time_zone(tz, errs);
        }
        one_of(
            spec.concurrency_policy.as_deref().unwrap_or(""),
            "spec.concurrencyPolicy",
            &["Allow", "Forbid", "Replace"],
            errs,
        );
        let job = spec.job_template.spec.clone().unwrap_or_default();
        validate_job_spec(&job, "spec.jobTemplate.spec", errs);
        if let Some(s) = &job.selector {
            errs.push(FieldError::invalid(
                "spec.jobTemplate.spec.selector",
                gofmt::label_selector(s),
                "`selector` will be auto-generated",
            ));
        }
        if job.manual_selector == Some(true) {
            errs.push(FieldError::not_supported("spec.jobTemplate.spec.manualSelector", "true", &["nil", "false"]));
        }
        for (v, f) in [
            (spec.successful_jobs_history_limit, "successfulJobsHistoryLimit"),
            (spec.failed_jobs_history_limit, "failedJobsHistoryLimit"),
        ] {
            if let Some(v) = v {
                nonnegative(v.into(), format_args!("spec.{f}"), errs);
            }
        }
        let name = self.metadata.name.as_deref().unwrap_or("");
        if name.len() > 52 {
            errs.push(FieldError::invalid("metadata.name", quote(name), "must be no more than 52 characters"));
        }
    }
}

/// `validateTimeZone`: IANA's characters, not `Local`, and a zone the database has.
fn validate_time_zone(tz: &str, errs: &mut Vec<FieldError>) {
    if tz.is_empty() {
        errs.push(FieldError::invalid("spec.timeZone", quote(tz), "timeZone must be nil or non-empty string"));
        return;
    }
    let bad_part = tz.split('/').any(|p| {
        p == "."
            || p == ".."
            || p.starts_with('-')
            || p.is_empty()
            || p.len() > 14
            || !p.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_' | b'+'))
    });
    if bad_part {
        errs.push(FieldError::invalid("spec.timeZone", quote(tz), format!("unknown time zone {tz}")));
        return;
    }
    if tz.eq_ignore_ascii_case("local") {
        errs.push(FieldError::invalid(
            "spec.timeZone",
            quote(tz),
            "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones",
        ));
    }
    if let Err(e) = load_location(tz) {
        errs.push(FieldError::invalid("spec.timeZone", quote(tz), e));
    }
}
