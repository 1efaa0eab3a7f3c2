//! Keys that expire, as etcd's leases: a key attached to a lease is deleted when the lease's
//! time runs out, with a delete event like any other, so watchers see it go. The store has no
//! clock: deadlines are numbers on the caller's clock (the API server's simulated time), and
//! keys expire only when the caller says what time it is, so expiry is deterministic.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Revisioned, Store};

/// The keys with a lease, by when it expires. Many keys share a deadline (kube-apiserver
/// reuses one lease for the Events of a minute), so each deadline holds its keys in a list:
/// attaching one is a push, and detaching one (rare: a key written again or deleted before its
/// time) finds it by its address, as the list holds the key's own `Arc` (the store's slot's),
/// never comparing long, alike keys. The few expiries sort their keys once.
#[derive(Debug, Clone, Default)]
pub(super) struct Expiry {
    by_deadline: BTreeMap<i64, Vec<Arc<str>>>,
    len: usize,
}

impl Expiry {
    /// Attach `key` (the slot's own, not yet attached) to `deadline`.
    pub(super) fn insert(&mut self, deadline: i64, key: Arc<str>) {
        self.by_deadline.entry(deadline).or_default().push(key);
        self.len += 1;
    }

    /// Detach `key` (the slot's own) from `deadline`.
    pub(super) fn remove(&mut self, deadline: i64, key: &Arc<str>) {
        let Some(keys) = self.by_deadline.get_mut(&deadline) else { return };
        let found = keys.iter().position(|k| Arc::ptr_eq(k, key));
        debug_assert!(found.is_some() || !keys.iter().any(|k| **k == **key), "{key} is attached as another Arc");
        if let Some(i) = found {
            keys.swap_remove(i);
            self.len -= 1;
            if keys.is_empty() {
                self.by_deadline.remove(&deadline);
            }
        }
    }

    /// The keys of the earliest deadline if it is at or before `now`, in key order, taken.
    fn take_due(&mut self, now: i64) -> Option<Vec<Arc<str>>> {
        let entry = self.by_deadline.first_entry().filter(|e| *e.key() <= now)?;
        let mut keys = entry.remove();
        self.len -= keys.len();
        keys.sort_unstable();
        Some(keys)
    }
}

impl<V: Revisioned> Store<V> {
    /// Attach `key` to a lease that expires at `deadline`, replacing any it had. A later put
    /// of the key without a lease detaches it (etcd's `put` without `--lease`).
    pub fn attach_lease(&mut self, key: &str, deadline: i64) {
        let Some(slot) = self.kvs.get_mut(key) else { return };
        if let Some(old) = slot.lease.replace(deadline) {
            self.expiry.remove(old, &slot.kv.key);
        }
        self.expiry.insert(deadline, slot.kv.key.clone());
    }

    /// When `key`'s lease expires, if it has one.
    pub fn lease_deadline(&self, key: &str) -> Option<i64> {
        self.kvs.get(key).and_then(|slot| slot.lease)
    }

    /// How many keys are attached to a lease.
    pub fn lease_count(&self) -> usize {
        self.expiry.len
    }

    /// Delete every key whose lease expired at or before `now`, earliest deadline first (then
    /// key order), each at its own revision as etcd revokes one lease per transaction.
    /// Returns how many keys went.
    pub fn expire(&mut self, now: i64) -> usize {
        let mut expired = 0;
        while let Some(keys) = self.expiry.take_due(now) {
            for key in keys {
                // A key with a lease is always in the store; `delete` finds its lease gone.
                self.delete(&key);
                expired += 1;
            }
        }
        expired
    }
}
