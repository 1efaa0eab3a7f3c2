//! The controller's leader election (`--election-id=ingress-nginx-leader`), as client-go's
//! `leaderelection` runs it over a Lease: every controller pod tries each `RETRY_PERIOD`; the
//! holder renews `renewTime`, the others take the Lease once it has gone `LEASE_DURATION`
//! without renewal. ingress-nginx derives the periods from `--election-ttl` (30s): lease
//! duration 30s, renew deadline 15s, retry period 7.5s. Only the leader syncs status.

use chrono::{DateTime, Duration, Utc};
use k8s_openapi::api::coordination::v1::LeaseSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};

use crate::apiserver::error::Reason;
use crate::apiserver::ApiServer;
use crate::model::shared::Lease;
use crate::model::{Kind, Object};

/// `--election-ttl`'s default.
pub const LEASE_DURATION: i32 = 30;

/// `RetryPeriod`: a quarter of the TTL.
pub fn retry_period() -> Duration {
    Duration::milliseconds(i64::from(LEASE_DURATION) * 1000 / 4)
}

/// The Lease's name: `--election-id`, `ingress-nginx-leader` in the manifest.
pub fn election_id(pod: &crate::model::Pod) -> String {
    let mut args = pod.spec.iter().flat_map(|s| &s.containers).flat_map(|c| c.args.iter().flatten());
    args.find_map(|a| a.strip_prefix("--election-id=")).unwrap_or("ingress-controller-leader").to_string()
}

fn micro(t: DateTime<Utc>) -> MicroTime {
    let nanos = t.timestamp_nanos_opt().unwrap_or(0);
    MicroTime(k8s_openapi::jiff::Timestamp::from_nanosecond(i128::from(nanos / 1000 * 1000)).unwrap_or_default())
}

fn renewed_at(spec: &LeaseSpec) -> Option<DateTime<Utc>> {
    let t = spec.renew_time.as_ref()?.0;
    DateTime::from_timestamp(t.as_second(), u32::try_from(t.subsec_nanosecond()).unwrap_or(0))
}

/// `tryAcquireOrRenew` for `identity` on Lease `namespace/name`: whether it holds the Lease
/// after. A failed write (a conflict with another candidate) leaves it not leading.
pub fn try_acquire_or_renew(api: &mut ApiServer, user: &str, namespace: &str, name: &str, identity: &str) -> bool {
    let now = api.now();
    let current = match api.get(user, Kind::Lease, namespace, name) {
        Ok(o) => o,
        Err(e) if e.reason == Reason::NotFound => {
            let spec = LeaseSpec {
                holder_identity: Some(identity.into()),
                lease_duration_seconds: Some(LEASE_DURATION),
                acquire_time: Some(micro(now)),
                renew_time: Some(micro(now)),
                lease_transitions: Some(0),
                ..Default::default()
            };
            let meta = ObjectMeta { name: Some(name.into()), namespace: Some(namespace.into()), ..Default::default() };
            let lease = Object::Lease(Box::new(Lease::new(meta, Some(spec))));
            return api.create(user, namespace, lease).is_ok();
        }
        Err(_) => return false,
    };
    let Object::Lease(lease) = &*current else { return false };
    let mut lease: Lease = (**lease).clone();
    let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
    let holder = spec.holder_identity.clone().unwrap_or_default();
    if holder != identity {
        let duration = Duration::seconds(i64::from(spec.lease_duration_seconds.unwrap_or(LEASE_DURATION)));
        let expired = renewed_at(spec).is_none_or(|t| t + duration <= now);
        if !holder.is_empty() && !expired {
            return false;
        }
        spec.holder_identity = Some(identity.into());
        spec.acquire_time = Some(micro(now));
        spec.lease_transitions = Some(spec.lease_transitions.unwrap_or(0) + 1);
    }
    spec.lease_duration_seconds = Some(LEASE_DURATION);
    spec.renew_time = Some(micro(now));
    api.update(user, Object::Lease(Box::new(lease))).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::decode::decode_one;

    #[test]
    fn the_first_holds_until_it_stops_renewing() {
        let mut api = ApiServer::new(0, crate::sim::epoch());
        api.create(
            "kubectl",
            "",
            decode_one("apiVersion: v1\nkind: Namespace\nmetadata: {name: ingress-nginx}").unwrap(),
        )
        .unwrap();
        let at = |api: &mut ApiServer, secs: i64, who: &str| {
            api.set_now(crate::sim::epoch() + Duration::seconds(secs));
            try_acquire_or_renew(api, "u", "ingress-nginx", "ingress-nginx-leader", who)
        };
        assert!(at(&mut api, 0, "a"));
        assert!(!at(&mut api, 1, "b"));
        assert!(at(&mut api, 7, "a"));
        assert!(!at(&mut api, 36, "b"), "renewed at 7s, held until 37s");
        assert!(at(&mut api, 37, "b"));
        let lease = api.peek(Kind::Lease, "ingress-nginx", "ingress-nginx-leader").unwrap();
        let spec = lease.to_value()["spec"].clone();
        assert_eq!(spec["holderIdentity"], "b");
        assert_eq!(spec["leaseTransitions"], 1);
        assert_eq!(spec["leaseDurationSeconds"], 30);
    }
}
