//! The API server's etcd lease manager (k8s.io/apiserver `storage/etcd3/lease_manager.go`):
//! a write with a time to live is attached to a lease, and a lease is shared by the writes of
//! the next while rather than granted per write. A new lease gets the TTL plus the reuse
//! period (the smaller of 60 s and a tenth of the TTL), and is reused by writes whose own TTL
//! would end within it, up to 1,000 objects. So an Event lives between one hour and one hour
//! and a minute after its last write, as in kube-apiserver.

use chrono::{DateTime, Duration, Utc};

const REUSE_DURATION_SECONDS: i64 = 60;
const REUSE_DURATION_DIVISOR: i64 = 10;
const MAX_OBJECT_COUNT: i64 = 1000;

#[derive(Debug, Clone, Default)]
pub(super) struct LeaseManager {
    /// When the last lease granted expires, and how many objects it holds.
    prev: Option<(DateTime<Utc>, i64)>,
}

impl LeaseManager {
    /// The expiry of the lease a write at `now` with `ttl` seconds to live is attached to.
    pub(super) fn lease(&mut self, now: DateTime<Utc>, ttl: i64) -> DateTime<Utc> {
        let reuse = (ttl / REUSE_DURATION_DIVISOR).min(REUSE_DURATION_SECONDS);
        if let Some((expiry, attached)) = &mut self.prev {
            let valid = now + Duration::seconds(ttl) < *expiry;
            let sufficient = now + Duration::seconds(ttl + reuse) > *expiry;
            if valid && sufficient && *attached < MAX_OBJECT_COUNT {
                *attached += 1;
                return *expiry;
            }
        }
        let expiry = now + Duration::seconds(ttl + reuse);
        self.prev = Some((expiry, 1));
        expiry
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_is_shared_for_a_minute_and_lasts_the_ttl_and_a_minute() {
        let mut leases = LeaseManager::default();
        let t0 = DateTime::<Utc>::default();
        let at = |s: i64| t0 + Duration::seconds(s);
        assert_eq!(leases.lease(at(0), 3600), at(3660));
        assert_eq!(leases.lease(at(59), 3600), at(3660), "reused within the minute");
        assert_eq!(leases.lease(at(60), 3600), at(3720), "a write a minute later gets a new one");
        for _ in 0..999 {
            leases.lease(at(61), 3600);
        }
        assert_eq!(leases.lease(at(61), 3600), at(3721), "a lease holds at most 1,000 objects");
    }
}
