//! `cleanupFinishedJobs`: finished Jobs past `successfulJobsHistoryLimit` and
//! `failedJobsHistoryLimit` are deleted, the earliest started first.

use std::cmp::Ordering;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::model::Job;

use super::{finished_condition, Syncer};

/// `byJobStartTime`: by start time, those not started last, then by name.
fn by_start_time(a: &Job, b: &Job) -> Ordering {
    // Times compare as instants (`metav1.Time` orders as the moments it names).
    fn start(j: &Job) -> Option<&Time> {
        j.status.as_ref().and_then(|s| s.start_time.as_ref())
    }
    fn name(j: &Job) -> &str {
        j.metadata.name.as_deref().unwrap_or_default()
    }
    match (start(a), start(b)) {
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (x, y) if x == y => name(a).cmp(name(b)),
        (x, y) => x.cmp(&y),
    }
}

impl Syncer<'_, '_> {
    pub(super) fn cleanup_finished_jobs(&mut self, jobs: &[&Job]) {
        let spec = self.cj.spec.as_ref();
        let limits = [
            ("Complete", spec.and_then(|s| s.successful_jobs_history_limit)),
            ("Failed", spec.and_then(|s| s.failed_jobs_history_limit)),
        ];
        for (condition, limit) in limits {
            let Some(limit) = limit else { continue };
            let mut finished: Vec<&Job> =
                jobs.iter().copied().filter(|j| finished_condition(j) == Some(condition)).collect();
            self.remove_oldest_jobs(&mut finished, limit);
        }
    }

    /// `removeOldestJobs`.
    fn remove_oldest_jobs(&mut self, jobs: &mut [&Job], max: i32) {
        let excess = jobs.len().saturating_sub(usize::try_from(max).unwrap_or(0));
        if excess == 0 {
            return;
        }
        jobs.sort_by(|a, b| by_start_time(a, b));
        for job in &jobs[..excess] {
            if self.delete_job(&job.metadata) {
                self.update_status = true;
            }
        }
    }
}
