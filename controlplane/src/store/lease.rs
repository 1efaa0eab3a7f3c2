//! Keys that expire, as etcd's leases: a key attached to a lease is deleted when the lease's
//! time runs out, with a delete event like any other, so watchers see it go. The store has no
//! clock: deadlines are numbers on the caller's clock (the API server's simulated time), and
//! keys expire only when the caller says what time it is, so expiry is deterministic.

use super::{Revisioned, Store};

impl<V: Revisioned> Store<V> {
    /// Attach `key` to a lease that expires at `deadline`, replacing any it had. A later put
    /// of the key without a lease detaches it (etcd's `put` without `--lease`).
    pub fn attach_lease(&mut self, key: &str, deadline: i64) {
        let Some(slot) = self.kvs.get_mut(key) else { return };
        if let Some(old) = slot.lease.replace(deadline) {
            self.expiry.remove(&(old, slot.kv.key.clone()));
        }
        self.expiry.insert((deadline, slot.kv.key.clone()));
    }

    /// When `key`'s lease expires, if it has one.
    pub fn lease_deadline(&self, key: &str) -> Option<i64> {
        self.kvs.get(key).and_then(|slot| slot.lease)
    }

    /// How many keys are attached to a lease.
    pub fn lease_count(&self) -> usize {
        self.expiry.len()
    }

    /// Delete every key whose lease expired at or before `now`, earliest deadline first (then
    /// key order), each at its own revision as etcd revokes one lease per transaction.
    /// Returns how many keys went.
    pub fn expire(&mut self, now: i64) -> usize {
        let mut expired = 0;
        while let Some((deadline, key)) = self.expiry.first().cloned() {
            if deadline > now {
                break;
            }
            // `delete` detaches the lease too; a key with a lease is always in the store.
            if self.delete(&key).is_none() {
                self.expiry.remove(&(deadline, key));
            }
            expired += 1;
        }
        expired
    }
}
