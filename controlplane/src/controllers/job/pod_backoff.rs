//! The failed-pod back-off (`backoff_utils.go`): after a Job's pods fail, a new pod is made
//! only after 10s, doubling with each failure since the last success, at most 10 minutes.
//! Not `crate::backoff` (client-go's per-entry back-off): this one counts failures since
//! the last success and measures from the last pod's finish.

use std::collections::BTreeMap;

use crate::model::Pod;
use chrono::{DateTime, Duration, Utc};

use super::util::finished_time;

/// `DefaultJobPodFailureBackOff` and `MaxJobPodFailureBackOff`, in seconds.
pub const DEFAULT_POD_FAILURE_BACKOFF: i64 = 10;
pub const MAX_POD_FAILURE_BACKOFF: i64 = 10 * 60;

/// `backoffRecord`: failures since the last success, and when the last of them finished.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackoffRecord {
    pub failures_after_last_success: i32,
    pub last_failure_time: Option<DateTime<Utc>>,
}

/// `getRemainingTimeForFailuresCount`: how long is still to wait at `now`.
pub fn remaining(failures: i32, last_failure: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Duration {
    let Some(last) = last_failure.filter(|_| failures > 0) else { return Duration::zero() };
    let mut delay = Duration::seconds(DEFAULT_POD_FAILURE_BACKOFF);
    let max = Duration::seconds(MAX_POD_FAILURE_BACKOFF);
    for _ in 1..failures {
        delay = delay * 2;
        if delay >= max {
            delay = max;
            break;
        }
    }
    let elapsed = now - last;
    if delay < elapsed {
        Duration::zero()
    } else {
        delay - elapsed
    }
}

impl BackoffRecord {
    pub fn remaining(&self, now: DateTime<Utc>) -> Duration {
        remaining(self.failures_after_last_success, self.last_failure_time, now)
    }
}

/// `backoffStore`: a record per Job key.
#[derive(Debug, Default)]
pub struct BackoffStore(BTreeMap<String, BackoffRecord>);

impl BackoffStore {
    /// `newBackoffRecord`: the record after these newly finished pods. Failures after a
    /// success start the count again from that success.
    pub fn new_record(&self, key: &str, succeeded: &[&Pod], failed: &[&Pod]) -> BackoffRecord {
        let mut record = self.0.get(key).cloned().unwrap_or_default();
        if succeeded.is_empty() {
            if failed.is_empty() {
                return record;
            }
            record.failures_after_last_success += failed.len() as i32;
            record.last_failure_time = failed.iter().map(|p| finished_time(p)).max();
            return record;
        }
        record = BackoffRecord::default();
        let last_success = succeeded.iter().map(|p| finished_time(p)).max();
        let mut failures: Vec<DateTime<Utc>> = failed.iter().map(|p| finished_time(p)).collect();
        failures.sort();
        for t in failures.iter().rev() {
            if Some(*t) <= last_success {
                break;
            }
            record.last_failure_time.get_or_insert(*t);
            record.failures_after_last_success += 1;
        }
        record
    }

    pub fn update(&mut self, key: &str, record: BackoffRecord) {
        self.0.insert(key.to_string(), record);
    }

    pub fn remove(&mut self, key: &str) {
        self.0.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::clock::epoch;

    #[test]
    fn doubles_from_ten_seconds_to_ten_minutes() {
        let t0 = epoch();
        let wait = |failures, elapsed| remaining(failures, Some(t0), t0 + Duration::seconds(elapsed)).num_seconds();
        assert_eq!(wait(0, 0), 0);
        assert_eq!(wait(1, 0), 10);
        assert_eq!(wait(1, 4), 6);
        assert_eq!(wait(2, 0), 20);
        assert_eq!(wait(3, 0), 40);
        assert_eq!(wait(7, 0), 600);
        assert_eq!(wait(30, 0), 600);
        assert_eq!(wait(2, 25), 0);
    }
}
