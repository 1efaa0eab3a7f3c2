//! client-go's `flowcontrol.Backoff`: a delay per entry that starts at an initial value and
//! doubles up to a cap, an entry older than twice the cap starting over. No jitter, so runs
//! repeat exactly. The kubelet uses it for container restarts and image pulls ([`KUBELET`]),
//! the DaemonSet controller before it replaces a failed daemon pod ([`DAEMON_FAILED_PODS`]).

use chrono::{DateTime, Duration, Utc};

/// The initial delay and the cap of one use of the back-off, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub initial: i64,
    pub max: i64,
}

/// The kubelet's: 10s, doubling, capped at 300s (`MaxContainerBackOff`).
pub const KUBELET: Policy = Policy { initial: 10, max: 300 };

/// The DaemonSet controller's `failedPodsBackoff`: 1s, doubling, capped at 15 minutes.
pub const DAEMON_FAILED_PODS: Policy = Policy { initial: 1, max: 15 * 60 };

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub delay: Duration,
    pub last_update: DateTime<Utc>,
}

impl Policy {
    fn expired(&self, event: DateTime<Utc>, entry: &Backoff) -> bool {
        event - entry.last_update > Duration::seconds(2 * self.max)
    }

    /// `IsInBackOffSince`: whether `now` is still within the delay counted from `event`.
    pub fn in_backoff_since(&self, entry: &Option<Backoff>, event: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        match entry {
            Some(e) if !self.expired(event, e) => now - event < e.delay,
            _ => false,
        }
    }

    /// `IsInBackOffSinceUpdate`: whether `now` is within the delay counted from the last update.
    pub fn in_backoff_since_update(&self, entry: &Option<Backoff>, now: DateTime<Utc>) -> bool {
        self.remaining_since_update(entry, now).is_some()
    }

    /// How much of the delay counted from the last update is still to wait at `now`, if any.
    pub fn remaining_since_update(&self, entry: &Option<Backoff>, now: DateTime<Utc>) -> Option<Duration> {
        match entry {
            Some(e) if !self.expired(now, e) && now - e.last_update < e.delay => Some(e.delay - (now - e.last_update)),
            _ => None,
        }
    }

    /// `GC`: forget the entries of `table` whose last update is more than twice the cap ago
    /// (they would start over anyway), so a table keyed by things that come and go stays small.
    pub fn gc<K: Ord>(&self, table: &mut std::collections::BTreeMap<K, Backoff>, now: DateTime<Utc>) {
        table.retain(|_, e| !self.expired(now, e));
    }

    /// `Next`: start at the initial delay, or double up to the cap.
    pub fn next(&self, entry: &mut Option<Backoff>, event: DateTime<Utc>, now: DateTime<Utc>) {
        *entry = Some(match entry {
            Some(e) if !self.expired(event, e) => {
                Backoff { delay: (e.delay * 2).min(Duration::seconds(self.max)), last_update: now }
            }
            _ => Backoff { delay: Duration::seconds(self.initial), last_update: now },
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::clock::epoch;

    #[test]
    fn gc_forgets_entries_older_than_twice_the_cap() {
        let t0 = epoch();
        let mut table = std::collections::BTreeMap::new();
        let (mut old, mut new) = (None, None);
        DAEMON_FAILED_PODS.next(&mut old, t0, t0);
        DAEMON_FAILED_PODS.next(&mut new, t0, t0 + Duration::minutes(20));
        table.insert("old", old.unwrap());
        table.insert("new", new.unwrap());
        DAEMON_FAILED_PODS.gc(&mut table, t0 + Duration::minutes(31));
        assert_eq!(table.keys().copied().collect::<Vec<_>>(), vec!["new"]);
    }

    /// Crashes at the given seconds; says when each restart may happen.
    fn check(crashes: &[i64], expect: &[i64]) {
        let t0 = epoch();
        let mut entry = None;
        let mut got = Vec::new();
        for &c in crashes {
            let crash = t0 + Duration::seconds(c);
            let mut now = crash;
            while KUBELET.in_backoff_since(&entry, crash, now) {
                now += Duration::seconds(1);
            }
            KUBELET.next(&mut entry, crash, now);
            got.push((now - t0).num_seconds());
        }
        assert_eq!(got, expect);
    }

    #[test]
    fn restarts() {
        // A container that dies at once: 0, 10, 20, 40, 80, 160, 300, 300 between restarts.
        check(&[0], &[0]);
        check(&[0, 0], &[0, 10]);
        check(&[0, 0, 10, 30, 70, 150, 310, 610], &[0, 10, 30, 70, 150, 310, 610, 910]);
        // Ten minutes without a crash starts over.
        check(&[0, 0, 1000], &[0, 10, 1000]);
    }
}
