//! client-go's `flowcontrol.Backoff` as the kubelet uses it for container restarts and image
//! pulls: 10s, doubling, capped at 300s; an entry older than twice the cap (10 minutes) starts
//! over. No jitter, so runs repeat exactly.

use chrono::{DateTime, Duration, Utc};

pub const INITIAL: i64 = 10;
pub const MAX: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub delay: Duration,
    pub last_update: DateTime<Utc>,
}

fn expired(event: DateTime<Utc>, entry: &Backoff) -> bool {
    event - entry.last_update > Duration::seconds(2 * MAX)
}

/// `IsInBackOffSince`: whether `now` is still within the delay counted from `event`.
pub fn in_backoff_since(entry: &Option<Backoff>, event: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    match entry {
        Some(e) if !expired(event, e) => now - event < e.delay,
        _ => false,
    }
}

/// `IsInBackOffSinceUpdate`: whether `now` is within the delay counted from the last update.
pub fn in_backoff_since_update(entry: &Option<Backoff>, now: DateTime<Utc>) -> bool {
    match entry {
        Some(e) if !expired(now, e) => now - e.last_update < e.delay,
        _ => false,
    }
}

/// `Next`: start at 10s, or double up to the cap.
pub fn next(entry: &mut Option<Backoff>, event: DateTime<Utc>, now: DateTime<Utc>) {
    *entry = Some(match entry {
        Some(e) if !expired(event, e) => Backoff { delay: (e.delay * 2).min(Duration::seconds(MAX)), last_update: now },
        _ => Backoff { delay: Duration::seconds(INITIAL), last_update: now },
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::clock::epoch;

    /// Crashes at the given seconds; says when each restart may happen.
    fn check(crashes: &[i64], expect: &[i64]) {
        let t0 = epoch();
        let mut entry = None;
        let mut got = Vec::new();
        for &c in crashes {
            let crash = t0 + Duration::seconds(c);
            let mut now = crash;
            while in_backoff_since(&entry, crash, now) {
                now += Duration::seconds(1);
            }
            next(&mut entry, crash, now);
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
