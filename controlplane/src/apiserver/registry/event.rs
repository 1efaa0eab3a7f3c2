//! Events (`pkg/registry/core/event`): no rules of their own here beyond metadata, but a time
//! to live. kube-apiserver stores each Event with a lease of `--event-ttl` (one hour by
//! default), renewed by every write, so an Event goes an hour after its last update.

use crate::model::event::Event;

use super::Strategy;

/// kube-apiserver's `--event-ttl` default: one hour.
pub const EVENT_TTL_SECONDS: i64 = 3600;

impl Strategy for Event {
    fn ttl_seconds(&self) -> Option<i64> {
        Some(EVENT_TTL_SECONDS)
    }
}
